"""Forgiving headers: the column names merchants actually write (Korean and English) → native catalog fields.

One table serves the native CSV and the Korean spreadsheet importer and the format sniffer. Header names are
compared after :func:`normalise_header` (case, spaces, ``_``/``-`` and a unit in brackets ignored), and for each
field the first alias present in the header wins, so ``판매가`` beats ``가격`` when a sheet has both. Columns
named like an option (``size``, ``색상`` …) become options, keyed by the header as the merchant wrote it.
"""

from __future__ import annotations

import difflib
import re

# field → aliases in priority order, already normalised. "name" is a title whose language is read from its text
# (Hangul → name_ko, else name_en); "regular_price" is a list price (정가) that makes a lower price a sale.
ALIASES: dict[str, tuple[str, ...]] = {
    "sku": ("sku", "상품코드", "자체상품코드", "상품번호", "품번", "관리코드", "제품코드", "productcode", "itemcode",
            "skucode", "articlenumber"),
    "name_ko": ("nameko", "상품명", "제품명", "품명", "상품이름", "한글상품명", "koreanname"),
    "name_en": ("nameen", "영문상품명", "영문명", "상품명(영문)", "englishname"),
    "name": ("name", "title", "productname", "itemname", "producttitle", "product"),
    "price": ("price", "판매가", "가격", "판매가격", "sellingprice", "unitprice", "retailprice"),
    "regular_price": ("regularprice", "정가", "소비자가", "소비자가격", "listprice", "msrp", "compareatprice"),
    "sale_price": ("saleprice", "할인가", "세일가", "할인판매가", "행사가", "특가", "할인가격", "discountprice",
                   "specialprice"),
    "currency": ("currency", "통화"),
    "stock": ("stock", "재고", "재고수량", "수량", "재고량", "qty", "quantity", "inventory", "stockqty",
              "inventoryquantity", "onhand"),
    "category": ("category", "카테고리", "분류", "상품분류", "카테고리명", "producttype", "categorypath"),
    "description": ("description", "설명", "상품설명", "상세설명", "desc", "details", "body"),
    "brand": ("brand", "브랜드", "제조사", "브랜드명", "vendor", "manufacturer"),
    "gtin": ("gtin", "ean", "upc", "isbn"),
    "barcode": ("barcode", "바코드"),
    "images": ("images", "image", "이미지", "이미지url", "대표이미지", "이미지주소", "imageurl", "imagelink",
               "picture", "photo", "사진"),
    "model": ("model", "3dmodel", "modelfile", "3d모델"),
    "variant_group": ("variantgroup", "group", "groupid", "itemgroupid", "parentsku", "상품그룹", "그룹",
                      "대표상품코드"),
    "options": ("options", "옵션"),
    "status": ("status", "상태", "판매상태", "노출상태", "진열상태", "상품상태"),
    "availability": ("availability", "판매가능여부"),
    "width": ("width", "가로", "폭"),
    "height": ("height", "높이"),
    "depth": ("depth", "깊이", "세로"),
    "rank": ("rank", "순위", "정렬순서", "진열순서"),
    "tags": ("tags", "태그", "검색어", "keywords"),
    "sale_starts_at": ("salestartsat", "할인시작", "할인시작일"),
    "sale_ends_at": ("saleendsat", "할인종료", "할인종료일"),
}
# Option columns: normalised alias → the option kind (the option keeps the header's own name).
OPTION_ALIASES: dict[str, str] = {
    **{a: "size" for a in ("size", "사이즈", "크기")},
    **{a: "color" for a in ("color", "colour", "색상", "컬러", "색깔")},
    **{a: "material" for a in ("material", "소재", "재질")},
    **{a: "pattern" for a in ("pattern", "패턴", "무늬")},
}
_UNIT_SUFFIX = re.compile(r"\((원|개|krw|ea|m|미터)\)$")
_SEPARATORS = re.compile(r"[\s_\-]+")


def normalise_header(name: str) -> str:
    """``' 판매가 (원) '`` → ``'판매가'``; ``'Product_Name'`` → ``'productname'``."""
    return _UNIT_SUFFIX.sub("", _SEPARATORS.sub("", name).lower())


def map_headers(header: list[str]) -> dict[str, str]:
    """Field → the original header that supplies it (the first alias present wins)."""
    by_norm: dict[str, str] = {}
    for name in header:
        by_norm.setdefault(normalise_header(name), name)  # the first column of a name wins
    mapping: dict[str, str] = {}
    for field, names in ALIASES.items():
        for alias in names:
            if alias in by_norm:
                mapping[field] = by_norm[alias]
                break
    return mapping


def option_columns(header: list[str]) -> list[str]:
    """The header's option columns (``size``, ``색상`` …), in header order."""
    return [name for name in header if normalise_header(name) in OPTION_ALIASES]


def has_name(mapping: dict[str, str]) -> bool:
    return bool({"name_ko", "name_en", "name"} & mapping.keys())


def has_price(mapping: dict[str, str]) -> bool:
    return bool({"price", "regular_price"} & mapping.keys())


# What every table format needs at least, as the merchant would read it.
EXPECTED = "sku (상품코드), name (상품명, name_ko or name_en), price (판매가)"
_VOCABULARY = sorted({alias for names in ALIASES.values() for alias in names} | set(OPTION_ALIASES))


def closest(header: list[str], limit: int = 5) -> list[str]:
    """Header cells that look like a known column, as ``'prise' → price``: a typo the merchant can fix."""
    out: list[str] = []
    for name in header:
        norm = normalise_header(name)
        if not norm or norm in _VOCABULARY:
            continue
        match = difflib.get_close_matches(norm, _VOCABULARY, n=1, cutoff=0.7)
        if match:
            out.append(f"{name!r} → {_field_of(match[0])}")
        if len(out) == limit:
            break
    return out


def _field_of(alias: str) -> str:
    for field, names in ALIASES.items():
        if alias in names:
            return f"{field} ({alias})" if alias != field.replace("_", "") else field
    return f"option {OPTION_ALIASES[alias]}"
