"""Catalog fidelity (issue 17): status and visibility, variants with options, images in order, forgiving headers,
and every message with a stable code in Korean and English — per format, on fixtures written for these tests."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from storefront_builder.catalog import import_catalog, shelf_products, summarise
from storefront_builder.catalog.importer import sniff_format
from storefront_builder.catalog.messages import MESSAGES, WORDS_KO, placeholders, render
from storefront_builder.catalog.models import Product
from storefront_builder.errors import CatalogError

# --- Shopify --------------------------------------------------------------------------------------------------


def test_shopify_status_published_and_gift_cards_import_hidden_with_their_reason(
        fixture_bytes: Callable[[str], bytes]) -> None:
    result = import_catalog(fixture_bytes("shopify_visibility.csv"))
    status = {p.sku: p.status for p in result.products}
    assert status == {"LS-S-WHT": "active", "LS-M-WHT": "active", "LS-M-BLU": "active", "HAT-S": "draft",
                      "HAT-L": "draft", "MUG-OLD": "archived", "GIFT-10000": "unpublished",
                      "GIFT-50000": "unpublished", "SCARF-1": "unpublished", "CUP-001": "active"}
    summary = summarise(result.products, result.hidden)
    notices = {(n.row, n.column, n.code): n for n in summary.notices}
    assert set(notices) == {(6, "Status", "hidden_draft"), (8, "Status", "hidden_archived"),
                            (9, "Gift Card", "hidden_gift_card"), (12, "Published", "hidden_unpublished")}
    draft = notices[(6, "Status", "hidden_draft")]
    assert (draft.message, draft.message_ko) == ("draft: not on sale", "임시저장: 판매하지 않음")
    assert draft.params == {"group": "straw-hat", "variants": 2}
    # The 100,000원 denomination has no SKU: a hidden product never reaches an order, so it is no row error.
    assert notices[(9, "Gift Card", "hidden_gift_card")].params["variants"] == 3
    assert summary.hidden == {"hidden_draft": 1, "hidden_archived": 1, "hidden_gift_card": 1, "hidden_unpublished": 1}
    assert (summary.products, summary.variants) == (6, 10)
    assert [(e.row, e.column, e.code) for e in result.errors] == [(14, "Status", "status_unknown")]
    assert [p.sku for p in shelf_products(result.products)] == ["LS-S-WHT", "CUP-001"]


def test_shopify_variants_keep_their_own_options_prices_stock_barcodes_and_images(
        fixture_bytes: Callable[[str], bytes]) -> None:
    result = import_catalog(fixture_bytes("shopify_visibility.csv"))
    by_sku = {p.sku: p for p in result.products}
    small, medium, blue = by_sku["LS-S-WHT"], by_sku["LS-M-WHT"], by_sku["LS-M-BLU"]
    assert {small.group, medium.group, blue.group} == {"linen-shirt"}
    assert list(small.options.items()) == [("Size", "S"), ("Color", "White"), ("Material", "Linen")]
    assert list(blue.options) == ["Size", "Color", "Material"] and blue.options["Color"] == "Blue"
    assert (small.price.amount, small.sale_price and small.sale_price.amount, small.stock) == (45000, 39000, 5)
    assert (blue.price.amount, blue.stock, medium.stock) == (41000, 7, 0)
    assert (small.barcode, small.gtin) == ("8801234500017", "8801234500017")
    assert (blue.barcode, blue.gtin) == ("INT-0042", None)  # an internal code is kept as the barcode only
    product_images = ["https://cdn.example.com/ls-1.jpg", "https://cdn.example.com/ls-2.jpg",
                      "https://cdn.example.com/ls-3.jpg"]  # by Image Position, not by row order
    assert medium.images == product_images
    assert small.images == ["https://cdn.example.com/ls-white.jpg", *product_images]  # the Variant Image first
    assert blue.images[0] == "https://cdn.example.com/ls-blue.jpg"
    assert by_sku["GIFT-10000"].options == {"Denominations": "10,000원"}
    assert summarise(result.products, result.hidden).images == 7  # distinct references per product


# --- Google ---------------------------------------------------------------------------------------------------


def test_google_item_groups_options_and_availability(fixture_bytes: Callable[[str], bytes]) -> None:
    result = import_catalog(fixture_bytes("google_groups.tsv"), default_stock=4)
    by_sku = {p.sku: p for p in result.products}
    tee = [by_sku[s] for s in ("TEE-S", "TEE-M", "TEE-L")]
    assert {p.group for p in tee} == {"TEE"} and by_sku["MUG-1"].group == "MUG-1"
    assert list(tee[0].options.items()) == [("size", "S"), ("color", "red"), ("material", "cotton"),
                                            ("pattern", "striped")]
    assert [(p.availability, p.stock, p.status) for p in tee] == [
        ("in_stock", 4, "active"), ("out_of_stock", 0, "active"), ("preorder", 4, "active")]
    assert (by_sku["MUG-1"].availability, by_sku["MUG-1"].stock) == ("backorder", 4)
    assert tee[0].images == ["https://cdn.example.com/tee-s.jpg", "https://cdn.example.com/tee-2.jpg",
                             "https://cdn.example.com/tee-3.jpg"]
    assert not result.hidden  # out of stock is still on the shelf, with stock 0
    [error] = result.errors
    assert (error.row, error.column, error.code) == (6, "availability", "availability_unknown")
    assert error.message_ko.startswith("알 수 없는 판매 가능 상태")


# --- Korean spreadsheet ---------------------------------------------------------------------------------------


def test_korean_alias_headers_status_words_groups_and_options(fixture_bytes: Callable[[str], bytes]) -> None:
    result = import_catalog(fixture_bytes("korean_aliases_cp949.csv"))
    assert (result.format, result.encoding) == ("korean", "cp949")
    by_sku = {p.sku: p for p in result.products}
    red, blue = by_sku["KA-001"], by_sku["KA-002"]
    assert red.group == blue.group == "TEE"
    assert list(red.options.items()) == [("색상", "빨강"), ("사이즈", "M")]
    # 정가 20,000 with 판매가 15,000: on sale; equal prices: no sale
    assert (red.price.amount, red.sale_price and red.sale_price.amount, red.stock) == (20000, 15000, 10)
    assert (blue.price.amount, blue.sale_price) == (20000, None)
    assert red.description == "부드러운 면 티셔츠" and red.category == ["의류", "상의"]
    assert red.images == ["https://img.example.com/tee-red.jpg", "https://img.example.com/tee-2.jpg"]
    assert (red.gtin, blue.barcode, blue.gtin) == ("8801234567893", "INT-7", None)
    assert (by_sku["KA-003"].status, by_sku["KA-004"].status) == ("unpublished", "draft")
    assert by_sku["KA-004"].category == ["의류", "원피스"]
    summary = summarise(result.products, result.hidden)
    assert [(n.row, n.column, n.code) for n in summary.notices] == [(4, "상태", "hidden_unpublished"),
                                                                    (5, "상태", "hidden_draft")]
    errors = {e.row: e for e in result.errors}
    assert (errors[6].column, errors[6].code) == ("상태", "status_unknown")
    assert (errors[7].column, errors[7].code, errors[7].params["what"]) == ("정가", "price_not_number", "regular price")
    assert errors[7].message_ko == "정가이(가) 숫자가 아닙니다: '12,00'"


# --- Plain CSV and the sniffer --------------------------------------------------------------------------------


@pytest.mark.parametrize("format", [None, "csv"])
def test_plain_sku_name_price_stock_csv(fixture_bytes: Callable[[str], bytes], format: str | None) -> None:
    result = import_catalog(fixture_bytes("plain_sku_name_price_stock.csv"), format=format)
    assert result.format == "csv"
    tea, green = result.products
    assert (tea.sku, tea.name_en, tea.name_ko, tea.price.amount, tea.stock) == ("P-1", "Green tea", None, 12000, 5)
    assert (green.name_ko, green.price.amount) == ("녹차 티백", 3000)  # Hangul goes to name_ko; 3000원 is 3000
    [error] = result.errors
    assert (error.row, error.column, error.code) == (4, "name", "missing_name")


@pytest.mark.parametrize(("header", "fmt"), [
    ("sku,name,price", "csv"), ("SKU,Title,Price,Qty", "csv"), ("Product Code,Product Name,Unit Price", "csv"),
    ("sku,상품명,가격", "korean"), ("상품코드,name,판매가", "korean"),
    ("id,title,price,availability", "google"),
])
def test_sniffer_accepts_common_aliases(header: str, fmt: str) -> None:
    assert sniff_format(header + "\n") == fmt


def test_english_aliases_map_to_native_fields() -> None:
    data = ("Product Code,Product Name,Selling Price,Regular Price,Quantity,Category,Description,Image,Group,Colour,"
            "Status\nA-1,Linen shirt,\"39,000\",\"45,000\",3,Tops > Shirts,Cool,a.jpg|b.jpg,SHIRT,white,hidden\n")
    [p] = import_catalog(data.encode()).products
    assert (p.sku, p.name_en, p.price.amount, p.sale_price and p.sale_price.amount, p.stock) == (
        "A-1", "Linen shirt", 45000, 39000, 3)
    assert (p.category, p.images, p.group, p.options, p.status) == (
        ["Tops", "Shirts"], ["a.jpg", "b.jpg"], "SHIRT", {"Colour": "white"}, "unpublished")


def test_an_unknown_header_names_the_expected_columns_and_the_closest_matches() -> None:
    with pytest.raises(CatalogError) as caught:
        import_catalog(b"skew,prodct name,prise\nA,Tea,100\n")
    error = caught.value
    assert error.code == "header_unrecognised"
    assert "Expected columns: sku (상품코드), name" in str(error)
    assert "'prise' → price" in str(error) and "'prodct name' → name" in str(error)
    assert "'skew'" not in error.params["closest"]  # too far from anything to guess
    assert error.message_ko.startswith("머리글로 카탈로그 형식을 알 수 없습니다")
    assert "'prise' → price" in error.message_ko


def test_a_missing_column_with_format_csv_names_it_and_the_closest_matches() -> None:
    with pytest.raises(CatalogError) as caught:
        import_catalog(b"sku,nmae,price\nA,Tea,100\n", format="csv")
    assert caught.value.code == "columns_missing"
    assert "name (상품명)" in str(caught.value) and "'nmae' → name" in str(caught.value)


# --- Native JSON and CSV --------------------------------------------------------------------------------------


def test_json_status_group_alias_and_status_words() -> None:
    doc = {"products": [
        {"sku": "A-S", "name_ko": "셔츠", "price": 1000, "group": "A", "options": {"size": "S"}},
        {"sku": "A-M", "name_ko": "셔츠", "price": 1000, "group": "A", "options": {"size": "M"}, "status": "숨김"},
        {"sku": "B", "name_ko": "모자", "price": 1000, "status": "archived"},
        {"sku": "C", "name_ko": "컵", "price": 1000, "status": "later"},
    ]}
    result = import_catalog(json.dumps(doc, ensure_ascii=False).encode())
    assert [(p.sku, p.group, p.status) for p in result.products] == [
        ("A-S", "A", "active"), ("A-M", "A", "unpublished"), ("B", "B", "archived")]
    assert [(e.row, e.column, e.code) for e in result.errors] == [(4, "status", "status_unknown")]
    summary = summarise(result.products, result.hidden)
    # one hidden size of a visible product and a hidden product: each a notice of its own
    assert [(n.row, n.code, n.params["group"]) for n in summary.notices] == [
        (2, "hidden_unpublished", "A"), (3, "hidden_archived", "B")]
    assert [p.sku for p in shelf_products(result.products)] == ["A-S"]


def test_native_csv_group_column_and_option_columns_keep_their_order() -> None:
    data = ("sku,name,price,group,size,color,status\n"
            "S-1,Tee,100,TEE,S,red,active\nS-2,Tee,100,TEE,M,red,판매중\nS-3,Tee,100,TEE,L,blue,임시저장\n")
    result = import_catalog(data.encode())
    assert [list(p.options.items()) for p in result.products] == [
        [("size", "S"), ("color", "red")], [("size", "M"), ("color", "red")], [("size", "L"), ("color", "blue")]]
    assert [p.status for p in result.products] == ["active", "active", "draft"]
    assert {p.group for p in result.products} == {"TEE"}


# --- Messages -------------------------------------------------------------------------------------------------


def test_every_message_has_korean_and_english_with_the_same_fields() -> None:
    for code, (ko, en) in MESSAGES.items():
        assert ko and en, code
        assert placeholders(ko) == placeholders(en), code
    assert set(WORDS_KO) >= {"price", "sale price", "compare-at price", "regular price", "length", "rank"}


def test_row_errors_carry_code_params_and_both_languages() -> None:
    data = "sku,name,price,stock\nA,Tea,-5,1\nA,Tea,100,1\nB,Tea,100,-1\nC,Tea,12.5,x\n"
    result = import_catalog(data.encode(), default_currency="KRW")
    codes = [(e.row, e.column, e.code) for e in result.errors]
    assert codes == [(2, "price", "price_negative"), (4, "stock", "stock_negative"),
                     (5, "price", "price_decimals"), (5, "stock", "stock_not_number")]
    negative = result.errors[0]
    assert negative.params == {"what": "price", "text": "-5"}
    assert (negative.message, negative.message_ko) == ("negative price: '-5'", "가격이(가) 음수입니다: '-5'")
    for error in result.errors:
        assert error.message == render(error.code, error.params)
        assert error.message_ko == render(error.code, error.params, "ko")
    duplicate = import_catalog(b"sku,name,price\nA,Tea,1\nA,Tea,2\n").errors[0]
    assert (duplicate.code, duplicate.params) == ("duplicate_sku", {"sku": "A", "first": 2})


def test_whole_file_errors_have_codes() -> None:
    cases = {b"": "file_empty", b"\xff\xff\xff\x00\x80": "decode_failed", b'{"products": 1}': "json_products_missing"}
    for data, code in cases.items():
        with pytest.raises(CatalogError) as caught:
            import_catalog(data)
        assert caught.value.code == code and caught.value.message_ko != str(caught.value)
    with pytest.raises(CatalogError) as caught:
        import_catalog(b"sku,name,price\n", format="xlsx")
    assert caught.value.code == "format_unknown" and caught.value.params["format"] == "xlsx"


def test_a_hand_made_row_error_still_gets_a_code() -> None:
    from storefront_builder.catalog.models import RowError

    error = RowError(row=3, column="price", message="odd")
    assert (error.code, error.params) == ("value_invalid", {"detail": "odd"})
    assert error.message_ko == "값이 올바르지 않습니다: odd"


def test_a_product_is_its_own_group_without_variants() -> None:
    p = Product.model_validate({"sku": "X", "name_en": "x", "price": {"amount": 1, "currency": "KRW"}})
    assert (p.group, p.status, p.availability) == ("X", "active", None)
