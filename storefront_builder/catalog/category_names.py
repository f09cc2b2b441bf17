"""Category and zone names in Korean and English: the one ko → en table of the words the builder and the demo use.

The builder writes both names of each zone into the manifest and bakes both onto the zone signs; the store page
shows a product's category in the shopper's language from ``web_client/shared/category_strings.js``, which is
generated from this table (a test fails when it is stale). Regenerate with
``python -m storefront_builder.catalog.category_names > web_client/shared/category_strings.js``.

A Korean name not in the table stays Korean in both languages; an English name found among the table's English
names (case-free, as an English catalog writes them) maps back to its Korean one.
"""

from __future__ import annotations

import hashlib
import json
from functools import cache

# The demo catalogs' categories (assets/demo/catalog-seeds.yaml), the templates' zones, their category words and
# the signs' words (storefront_builder/templates/). Each English name is one Korean name's: the way back is unique.
KO_EN: dict[str, str] = {
    "기타": "General",
    # Department store and street district
    "의류": "Clothing",
    "상의": "Tops",
    "아우터": "Outerwear",
    "스트리트": "Streetwear",
    "패션": "Fashion",
    "신발": "Shoes",
    "가방": "Bags",
    "잡화": "Fashion goods",
    "액세서리": "Accessories",
    "모자": "Hats",
    "화장품": "Cosmetics",
    "뷰티": "Beauty",
    "생활·뷰티": "Home & beauty",
    "생활용품": "Household goods",
    "주방": "Kitchen",
    "식기": "Tableware",
    "문구": "Stationery",
    "도서": "Books",
    "전자": "Electronics",
    "가전": "Appliances",
    "카페": "Café",
    "커피": "Coffee",
    "차": "Tea",
    "제과": "Bakery",
    "빵": "Bread",
    # Food and drink
    "식품": "Food",
    "음료": "Beverages",
    "주류": "Liquor",
    "전통주": "Traditional liquor",
    "과자": "Confectionery",
    "간식": "Snacks",
    "과자·간식": "Snacks & sweets",
    "라면": "Ramyeon",
    "라면·즉석": "Noodles & instant food",
    "즉석식품": "Instant food",
    "가공식품": "Processed food",
    "간편식": "Ready meals",
    # Traditional market
    "청과": "Fruit & vegetables",
    "과일": "Fruit",
    "채소": "Vegetables",
    "반찬": "Side dishes",
    "김치": "Kimchi",
    "장류": "Fermented pastes",
    "젓갈": "Salted seafood",
    "소스": "Sauces",
    "먹거리": "Street food",
    "떡": "Rice cakes",
    "전통": "Traditional",
    "수산": "Seafood",
    "건어물": "Dried seafood",
    # The templates' own signs
    "백화점": "Department store",
    "전통시장": "Traditional market",
    "골목 상점가": "Street district",
    "편의점": "Convenience store",
    "축제 광장": "Festival plaza",
}


@cache
def _en_ko() -> dict[str, str]:
    return {en.casefold(): ko for ko, en in KO_EN.items()}


def names(name: str) -> dict[str, str]:
    """``{ko, en}`` of one category or zone name: from the table either way, else the name itself in both."""
    key = " ".join(name.split())
    if key in KO_EN:
        return {"ko": key, "en": KO_EN[key]}
    ko = _en_ko().get(key.casefold())
    if ko is not None:
        return {"ko": ko, "en": KO_EN[ko]}
    return {"ko": name, "en": name}


def sign_lines(text: str) -> list[str]:
    """A sign's lines: Korean over English when the table knows the text and the two differ, else the text."""
    both = names(text)
    return [both["ko"], both["en"]] if both["ko"] != both["en"] else [text]


def ident() -> str:
    """A short digest of the table, for the scene's content hash: a new translation changes the signs."""
    return hashlib.sha256(json.dumps(KO_EN, sort_keys=True, ensure_ascii=False).encode()).hexdigest()[:12]


def render_js() -> str:
    """``web_client/shared/category_strings.js``: the table as a client label table, keyed ``category.<Korean>``."""
    lines = [
        "// Generated from storefront_builder/catalog/category_names.py by",
        "// `python -m storefront_builder.catalog.category_names`: do not edit. Registered by shared/categories.js.",
        "",
        "export default {",
        *(f"  {json.dumps('category.' + ko, ensure_ascii=False)}: "
          f"{{ ko: {json.dumps(ko, ensure_ascii=False)}, en: {json.dumps(en, ensure_ascii=False)} }},"
          for ko, en in KO_EN.items()),
        "};",
    ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(render_js(), end="")
