"""Korean spreadsheet CSV (CP949 as Excel saves it in Korea, Korean headers, '12,000원' numbers)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from storefront_builder.catalog import import_catalog
from storefront_builder.catalog.korean import map_headers
from storefront_builder.errors import CatalogError


def test_fixture_is_really_cp949(fixture_bytes: Callable[[str], bytes]) -> None:
    data = fixture_bytes("korean_cp949.csv")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    assert "똠양꿍" in data.decode("cp949")  # 똠 exists in CP949 but not in plain EUC-KR


def test_cp949_fixture(fixture_bytes: Callable[[str], bytes]) -> None:
    result = import_catalog(fixture_bytes("korean_cp949.csv"))
    assert (result.format, result.encoding) == ("korean", "cp949")
    tea, ramen = result.products
    assert tea.sku == "KR-001" and tea.name_ko == "유기농 녹차 티백"
    assert (tea.price.amount, tea.sale_price and tea.sale_price.amount, tea.stock) == (12000, 10000, 150)
    assert tea.category == ["식품", "차", "녹차"] and tea.brand == "제주다원" and tea.gtin == "8809876543217"
    assert ramen.category == ["식품", "라면"] and ramen.price.amount == 3500 and ramen.stock == 1200
    errors = {e.row: (e.column, e.message) for e in result.errors}
    assert errors[4] == ("재고수량", "negative stock: -3")
    assert errors[5][0] == "상품코드" and "row 2" in errors[5][1]
    assert errors[6][0] == "판매가(원)"
    assert errors[7][0] == "상품명" and "missing name" in errors[7][1]
    assert errors[8] == ("상품코드", "empty SKU")
    assert errors[9][0] == "할인가" and errors[10][0] == "재고수량"


def test_utf8_korean_and_synonyms() -> None:
    text = "품번,제품명,가격,세일가,재고,분류\nA-1,김치,\"₩8,000\",\"7,000원\",10개,식품/반찬\n"
    result = import_catalog(text.encode("utf-8"))
    assert (result.format, result.encoding) == ("korean", "utf-8")
    p = result.products[0]
    assert (p.sku, p.name_ko, p.price.amount, p.sale_price and p.sale_price.amount, p.stock) == (
        "A-1", "김치", 8000, 7000, 10)
    assert p.category == ["식품", "반찬"]


def test_euc_kr_bytes_decode_as_cp949() -> None:
    text = "상품코드,상품명,판매가\nB-1,고추장,\"12,000\"\n"
    result = import_catalog(text.encode("euc-kr"))
    assert result.encoding == "cp949" and result.products[0].name_ko == "고추장"


def test_header_normalisation_and_missing_columns() -> None:
    assert map_headers([" 판매가 (원) ", "상품 코드"])["price"] == " 판매가 (원) "
    with pytest.raises(CatalogError, match="판매가"):
        import_catalog("상품코드,상품명\nA,B\n".encode("cp949"), format="korean")
