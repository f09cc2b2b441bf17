"""A product's colour option (``color``, ``colour``, ``색상``, ``컬러`` …) as the RGB its kit model is tinted with.

Colour names come in Korean and English, with the usual shop spellings: "블랙", "검정", "검은색", "Black",
"light blue", "연한 하늘색", "네이비 블루", "black/white" (the first named colour wins). A name the table does not
know gives ``None``: the model keeps its own colour rather than guessing.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache

RGB = tuple[int, int, int]

# Option names that hold a colour, compared case-free and without spaces.
COLOR_KEYS = ("color", "colour", "색상", "컬러", "색깔", "색", "칼라", "colorway", "colourway", "색상명")

# sRGB colours, one name per line; spellings and loanwords share a hex.
COLOR_NAMES: dict[str, str] = {
    # reds and pinks
    "red": "#d32f2f", "빨강": "#d32f2f", "빨간": "#d32f2f", "빨간색": "#d32f2f", "레드": "#d32f2f", "적색": "#d32f2f",
    "burgundy": "#7b1e34", "버건디": "#7b1e34", "wine": "#7b1e34", "와인": "#7b1e34", "maroon": "#6d1a24",
    "pink": "#f48fb1", "분홍": "#f48fb1", "분홍색": "#f48fb1", "핑크": "#f48fb1", "hotpink": "#e0407b",
    "핫핑크": "#e0407b", "rose": "#e57388", "로즈": "#e57388", "coral": "#f27059", "코랄": "#f27059",
    "peach": "#f6b08a", "피치": "#f6b08a", "살구": "#f6b08a", "살구색": "#f6b08a",
    # oranges, yellows, browns
    "orange": "#f57c00", "주황": "#f57c00", "주황색": "#f57c00", "오렌지": "#f57c00",
    "yellow": "#fbc02d", "노랑": "#fbc02d", "노란": "#fbc02d", "노란색": "#fbc02d", "옐로우": "#fbc02d",
    "옐로": "#fbc02d", "mustard": "#d4a017", "머스타드": "#d4a017", "겨자": "#d4a017", "겨자색": "#d4a017",
    "gold": "#c9a227", "골드": "#c9a227", "금색": "#c9a227", "beige": "#d8c3a5", "베이지": "#d8c3a5",
    "cream": "#f1e6c8", "크림": "#f1e6c8", "ivory": "#f3ecd8", "아이보리": "#f3ecd8",
    "camel": "#b5835a", "카멜": "#b5835a", "tan": "#c09a6b", "brown": "#6d4c41", "갈색": "#6d4c41",
    "브라운": "#6d4c41", "밤색": "#5b3a29", "chocolate": "#4e342e", "초코": "#4e342e", "모카": "#7b5b45",
    "mocha": "#7b5b45", "khaki": "#8f8a5c", "카키": "#8f8a5c", "olive": "#6b7a3a", "올리브": "#6b7a3a",
    # greens and blues
    "green": "#388e3c", "초록": "#388e3c", "초록색": "#388e3c", "녹색": "#388e3c", "그린": "#388e3c",
    "darkgreen": "#1b5e20", "lime": "#9ccc65", "라임": "#9ccc65", "연두": "#9ccc65", "연두색": "#9ccc65",
    "mint": "#98d8c1", "민트": "#98d8c1", "teal": "#00897b", "틸": "#00897b", "청록": "#00897b",
    "청록색": "#00897b", "turquoise": "#26c6da", "터키석": "#26c6da",
    "blue": "#1e63c4", "파랑": "#1e63c4", "파란": "#1e63c4", "파란색": "#1e63c4", "블루": "#1e63c4",
    "청색": "#1e63c4", "skyblue": "#7ec0ee", "하늘": "#7ec0ee", "하늘색": "#7ec0ee", "스카이블루": "#7ec0ee",
    "navy": "#1f2d4d", "네이비": "#1f2d4d", "남색": "#1f2d4d", "곤색": "#1f2d4d", "indigo": "#3f3d8f",
    "denim": "#4a6a94", "데님": "#4a6a94", "진청": "#2c3e66", "연청": "#8aa7c8", "중청": "#56779f",
    # purples
    "purple": "#7b3fa0", "보라": "#7b3fa0", "보라색": "#7b3fa0", "퍼플": "#7b3fa0", "violet": "#8e5bd0",
    "바이올렛": "#8e5bd0", "lavender": "#b9a5dc", "라벤더": "#b9a5dc", "연보라": "#b9a5dc", "plum": "#7d3c62",
    # neutrals
    "black": "#1e1e1e", "검정": "#1e1e1e", "검정색": "#1e1e1e", "검은": "#1e1e1e", "검은색": "#1e1e1e",
    "블랙": "#1e1e1e", "흑색": "#1e1e1e", "white": "#f5f5f2", "흰": "#f5f5f2", "흰색": "#f5f5f2",
    "하양": "#f5f5f2", "하얀색": "#f5f5f2", "화이트": "#f5f5f2", "백색": "#f5f5f2", "offwhite": "#ece7dc",
    "오프화이트": "#ece7dc", "grey": "#8e8e8e", "gray": "#8e8e8e", "회색": "#8e8e8e", "그레이": "#8e8e8e",
    "charcoal": "#3c3f44", "차콜": "#3c3f44", "silver": "#c0c3c7", "실버": "#c0c3c7", "은색": "#c0c3c7",
    "melange": "#a7a7a7", "멜란지": "#a7a7a7",
}

# Lighter and darker shades: "light blue", "연한 파랑", "dark green", "진한 빨강", "딥 네이비".
_LIGHT = ("light", "pale", "pastel", "연한", "연", "라이트", "파스텔", "밝은")
_DARK = ("dark", "deep", "진한", "다크", "딥", "어두운")
_SEPARATORS = re.compile(r"[/,+|&]|\band\b|\s-\s")
_NOISE = re.compile(r"[\s_\-·.()\[\]]+")


def color_option(options: Mapping[str, str]) -> str | None:
    """The value of the product's colour option, if it has one."""
    for key, value in options.items():
        if _NOISE.sub("", key).casefold() in COLOR_KEYS and value.strip():
            return value
    return None


@lru_cache(maxsize=2048)
def color_rgb(name: str) -> RGB | None:
    """sRGB (0–255) for a colour name, else ``None``."""
    for piece in _SEPARATORS.split(name):
        found = _one(piece.strip().casefold())
        if found is not None:
            return found
    return None


def _one(text: str) -> RGB | None:
    """A whole name ("light blue", "sky blue"), else its first known word ("navy blue", "midnight black")."""
    found = _shaded(text)
    if found is None:
        for word in text.split():
            found = _shaded(word)
            if found is not None:
                break
    return found


def _shaded(text: str) -> RGB | None:
    key = _NOISE.sub("", text)
    if not key:
        return None
    shade = 0.0
    for words, amount in ((_LIGHT, 0.45), (_DARK, -0.4)):
        for word in words:
            if key.startswith(word) and len(key) > len(word):
                rest = key[len(word):]
                if _lookup(rest) is not None:
                    key, shade = rest, amount
                    break
    rgb = _lookup(key)
    if rgb is None:
        return None
    if shade > 0:
        return (round(rgb[0] + (255 - rgb[0]) * shade), round(rgb[1] + (255 - rgb[1]) * shade),
                round(rgb[2] + (255 - rgb[2]) * shade))
    if shade < 0:
        return (round(rgb[0] * (1 + shade)), round(rgb[1] * (1 + shade)), round(rgb[2] * (1 + shade)))
    return rgb


def _lookup(key: str) -> RGB | None:
    for candidate in (key, key.removesuffix("색"), key.removesuffix("컬러"), key.removesuffix("계열")):
        code = COLOR_NAMES.get(candidate)
        if code is not None:
            return (int(code[1:3], 16), int(code[3:5], 16), int(code[5:7], 16))
    return None


def linear8(rgb: RGB) -> tuple[int, int, int, int]:
    """sRGB 0–255 → linear 8-bit RGBA, the space glTF vertex and instance colours are in."""
    out = []
    for c in rgb:
        v = c / 255
        lin = v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4
        out.append(round(lin * 255))
    return (out[0], out[1], out[2], 255)


def option_tint(options: Mapping[str, str]) -> tuple[int, int, int, int] | None:
    """The linear RGBA a product's colour option asks for, or ``None`` (no colour option, or an unknown name)."""
    name = color_option(options)
    rgb = None if name is None else color_rgb(name)
    return None if rgb is None else linear8(rgb)
