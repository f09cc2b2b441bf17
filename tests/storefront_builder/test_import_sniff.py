"""Encoding detection and format sniffing."""

from __future__ import annotations

import pytest

from storefront_builder.catalog import import_catalog
from storefront_builder.catalog.importer import decode, sniff_format
from storefront_builder.errors import CatalogError


@pytest.mark.parametrize(("text", "fmt"), [
    ('{"products": []}', "json"),
    ('  [{"sku": "a"}]', "json"),
    ("sku,name_ko,price\n", "csv"),
    ("SKU;NAME_EN;PRICE\n", "csv"),
    ("Handle,Title,Variant SKU,Variant Price\n", "shopify"),
    ("id\ttitle\tprice\tavailability\n", "google"),
    ("g:id,g:title,g:price\n", "google"),
    ("상품코드,상품명,판매가\n", "korean"),
    ("\n\n상품명,가격\n", "korean"),
])
def test_sniff(text: str, fmt: str) -> None:
    assert sniff_format(text) == fmt


def test_semicolon_native_csv_imports() -> None:
    result = import_catalog(b"sku;name_en;price\nA;Apple;100\n")
    assert result.products[0].price.amount == 100


def test_unknown_header_is_catalog_error() -> None:
    with pytest.raises(CatalogError, match="cannot tell"):
        import_catalog(b"foo,bar\n1,2\n")


@pytest.mark.parametrize("data", [b"", b"   \n", b"\xff\xff\xff\x00\x80"])
def test_unreadable_files(data: bytes) -> None:
    with pytest.raises(CatalogError):
        import_catalog(data)


def test_unknown_format_name() -> None:
    with pytest.raises(CatalogError, match="unknown catalog format"):
        import_catalog(b"sku,name_ko,price\n", format="xlsx")


def test_decode_prefers_utf8() -> None:
    assert decode("가나다".encode()) == ("가나다", "utf-8")
    assert decode("가나다".encode("cp949")) == ("가나다", "cp949")
    assert decode(b"\xef\xbb\xbfabc") == ("abc", "utf-8-sig")
    assert decode("abc".encode("utf-16")) == ("abc", "utf-16")


def test_header_only_file_has_no_products() -> None:
    result = import_catalog(b"sku,name_ko,price\n")
    assert result.products == [] and result.errors == [] and not result.ok
