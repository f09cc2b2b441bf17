"""What a product looks like before it has a model: a placeholder shape from its category, and a size.

Category names come from Korean and English catalogs, so every rule lists both. The most specific category
(last in the path) is tried first: ``["주류", "맥주"]`` is a can, ``["주류", "와인"]`` a bottle.
"""

from __future__ import annotations

import re
from functools import lru_cache

from storefront_builder.catalog.models import Product
from storefront_builder.plan import PlaceholderShape

# Ordered: the first rule that matches wins, so "탄산음료" is a can before it is a bottle.
_RULES: list[tuple[PlaceholderShape, tuple[str, ...], tuple[str, ...]]] = [
    # shape, English words (whole words, plural allowed), Korean fragments (substring)
    ("can", ("can", "canned", "soda", "beer", "cola"), ("캔", "탄산", "맥주", "콜라", "통조림")),
    ("bottle", ("beverage", "drink", "liquor", "wine", "water", "juice", "spirit", "sake"),
     ("음료", "주류", "와인", "소주", "막걸리", "생수", "주스", "전통주", "음료수")),
    ("fruit_crate", ("fruit", "vegetable", "produce", "veggie"), ("과일", "채소", "야채", "농산물", "청과")),
    ("folded_garment", ("clothing", "clothes", "fashion", "apparel", "garment", "shirt", "t-shirt", "knitwear"),
     ("의류", "패션", "옷", "셔츠", "니트", "한복")),
    ("shoe_box", ("shoe", "sneaker", "footwear", "boot"), ("신발", "운동화", "구두", "슬리퍼")),
    ("jar", ("jam", "jar", "sauce", "condiment", "pickle", "spread"), ("잼", "소스", "조미료", "양념", "장류", "김치",
                                                                    "젓갈", "절임")),
    ("bag", ("bag", "handbag", "backpack", "purse", "luggage"), ("가방", "핸드백", "백팩", "지갑")),
]

# Width, height, depth in metres of a typical product of each shape (used when a product has no dimensions).
DEFAULT_SIZES: dict[PlaceholderShape, tuple[float, float, float]] = {
    "box": (0.25, 0.25, 0.2),
    "bottle": (0.09, 0.3, 0.09),
    "can": (0.07, 0.13, 0.07),
    "jar": (0.1, 0.14, 0.1),
    "folded_garment": (0.35, 0.08, 0.3),
    "shoe_box": (0.33, 0.12, 0.2),
    "fruit_crate": (0.5, 0.25, 0.35),
    "bag": (0.35, 0.3, 0.15),
}

_WORD = re.compile(r"[a-z][a-z-]*")


def _matches(part: str, english: tuple[str, ...], korean: tuple[str, ...]) -> bool:
    lowered = part.casefold()
    for word in _WORD.findall(lowered):
        for key in english:
            if word in (key, key + "s", key + "es"):
                return True
    return any(fragment in part for fragment in korean)


@lru_cache(maxsize=4096)
def shape_for_category(category: tuple[str, ...]) -> PlaceholderShape:
    """The placeholder shape for a category path (most general first)."""
    for part in reversed(category):
        for shape, english, korean in _RULES:
            if _matches(part, english, korean):
                return shape
    return "box"


def product_shape(product: Product) -> PlaceholderShape:
    """The placeholder shape of a product, from its category path."""
    return shape_for_category(tuple(product.category))


def product_size(product: Product) -> tuple[float, float, float]:
    """The space a product takes (width, height, depth): its dimensions, else its shape's default."""
    if product.dimensions is not None:
        dims = product.dimensions
        return (dims.width, dims.height, dims.depth)
    return DEFAULT_SIZES[product_shape(product)]


_SPLIT = re.compile(r"\s*[/>]\s*")


@lru_cache(maxsize=8192)
def category_key(parts: tuple[str, ...]) -> tuple[str, ...]:
    """A category path compared case-free, whether written as a list, 'a/b' or 'a > b'.

    An empty path is 'general', the catalog's name for products without a category.
    """
    key = tuple(piece.casefold() for part in parts for piece in _SPLIT.split(part.strip()) if piece.strip())
    return key or ("general",)


def longest_prefix(key: tuple[str, ...], entries: dict[tuple[str, ...], str]) -> str | None:
    """The value of the longest entry that is a prefix of ``key`` (how a product finds its zone)."""
    for length in range(len(key), 0, -1):
        found = entries.get(key[:length])
        if found is not None:
            return found
    return None
