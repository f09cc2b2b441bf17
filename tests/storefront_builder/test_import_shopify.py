"""Shopify product CSV export import."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from storefront_builder.catalog import import_catalog
from storefront_builder.catalog._rows import html_to_text
from storefront_builder.errors import CatalogError

HEADER = ("Handle,Title,Body (HTML),Vendor,Product Category,Type,Tags,Published,Option1 Name,Option1 Value,"
          "Option2 Name,Option2 Value,Option3 Name,Option3 Value,Variant SKU,Variant Grams,"
          "Variant Inventory Tracker,Variant Inventory Qty,Variant Inventory Policy,Variant Fulfillment Service,"
          "Variant Price,Variant Compare At Price,Variant Requires Shipping,Variant Taxable,Variant Barcode,"
          "Image Src,Image Position,Image Alt Text,Gift Card,SEO Title,SEO Description,Variant Image,"
          "Variant Weight Unit,Cost per item,Status")


def test_export_fixture(fixture_bytes: Callable[[str], bytes]) -> None:
    result = import_catalog(fixture_bytes("shopify_export.csv"))
    assert result.format == "shopify"
    by_sku = {p.sku: p for p in result.products}
    assert list(by_sku) == ["TEE-S-RED", "TEE-M-RED", "CUP-001"]
    small, medium, cup = by_sku.values()
    # compare-at above price: the price is the sale price and compare-at the regular price
    assert small.price.amount == 30000 and small.sale_price is not None and small.sale_price.amount == 25000
    assert medium.price.amount == 25000 and medium.sale_price is None
    # later rows inherit title, body, vendor, tags and option names from the first row of the handle
    assert medium.name_ko == "한복 티셔츠" and medium.brand == "Seoul Studio" and medium.tags == ["festival", "cotton"]
    assert medium.options == {"Size": "M", "Color": "Red"} and medium.variant_group == "hanbok-tee"
    assert small.description == "Soft cotton tee & more.\nSecond paragraph."
    assert small.images[0] == "https://cdn.example.com/tee-red.jpg"
    assert "https://cdn.example.com/tee-side.jpg" in medium.images
    assert small.category[-1] == "Shirts & Tops" and small.gtin == "8801234567893" and small.stock == 12
    assert cup.options == {} and cup.name_en == "Celadon Tea Cup" and cup.category == ["Kitchen"]
    assert cup.gtin is None  # an internal barcode is not a GTIN
    errors = {(e.row, e.column): e.message for e in result.errors}
    assert errors[(4, "Variant SKU")] == "empty SKU"
    assert (7, "Variant Price") in errors


def test_compare_at_not_above_price_is_ignored() -> None:
    data = (HEADER + "\nh,Cup,,,,,,TRUE,Title,Default Title,,,,,S1,,,1,,,100.00,100.00,,,,,,,,,,,,,\n").encode()
    p = import_catalog(data).products[0]
    assert p.price.amount == 100 and p.sale_price is None


def test_usd_store_prices_convert_to_cents() -> None:
    data = (HEADER + "\nh,Cup,,,,,,TRUE,Title,Default Title,,,,,S1,,,1,,,12.99,15.00,,,,,,,,,,,,,\n").encode()
    p = import_catalog(data, default_currency="USD").products[0]
    assert (p.price.amount, p.sale_price and p.sale_price.amount) == (1500, 1299)


def test_handle_column_required() -> None:
    with pytest.raises(CatalogError):
        import_catalog(b"Title,Variant Price\nCup,1\n", format="shopify")


def test_html_to_text() -> None:
    assert html_to_text("<p>A &lt;b&gt; &amp; c</p><script>x()</script><ul><li>one</li><li>two</li></ul>") == \
        "A <b> & c\none\ntwo"
    assert html_to_text("plain") == "plain"
