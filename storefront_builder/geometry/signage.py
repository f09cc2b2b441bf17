"""Signs: text rendered with Pillow into one shared sign atlas, drawn as thin boards (one draw call).

Hangul needs a CJK font. We look for Debian's fonts-noto-cjk / fonts-nanum at their usual paths; without one
the text falls back to what DejaVu (or Pillow's built-in font) can draw, and the build reports a warning.
"""

from __future__ import annotations

import io
import os
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

from PIL import Image, ImageDraw, ImageFont

CJK_FONTS = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/noto/NotoSansCJK-Bold.ttc",
    "/usr/share/fonts/truetype/nanum/NanumGothicBold.ttf",
    "/usr/share/fonts/truetype/nanum/NanumGothic.ttf",
    "/usr/share/fonts/truetype/nanum/NanumBarunGothicBold.ttf",
)
LATIN_FONTS = ("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",)
ROW_PX = 96
PAGE_W = 2048

FontT = ImageFont.FreeTypeFont | ImageFont.ImageFont


@dataclass(frozen=True)
class SignStyle:
    """Board colour, text colour (sRGB)."""

    background: tuple[int, int, int]
    text: tuple[int, int, int]


STYLES = {
    "store": SignStyle((200, 38, 45), (255, 214, 102)),
    "zone": SignStyle((255, 196, 61), (60, 30, 20)),
    "portal": SignStyle((52, 32, 64), (255, 209, 128)),
}


@dataclass(frozen=True)
class FontChoice:
    """The font in use and whether it can draw Hangul; ``ident`` goes into the content hash."""

    path: str | None
    cjk: bool

    @property
    def ident(self) -> str:
        if self.path is None:
            return "pillow-default"
        return f"{os.path.basename(self.path)}:{os.path.getsize(self.path)}"


@cache
def find_font() -> FontChoice:
    """The best font installed: a CJK one if any, else DejaVu, else Pillow's built-in font."""
    for path in CJK_FONTS:
        if os.path.exists(path):
            return FontChoice(path, True)
    for path in LATIN_FONTS:
        if os.path.exists(path):
            return FontChoice(path, False)
    return FontChoice(None, False)


@cache
def _font(size: int) -> FontT:
    choice = find_font()
    if choice.path is None:
        return ImageFont.load_default(size)
    return ImageFont.truetype(choice.path, size)


def drawable_text(text: str, fallback: str) -> str:
    """The text as the current font can draw it: without a CJK font, Hangul and CJK are dropped (and a line left
    empty by that with them)."""
    if find_font().cjk:
        return text
    lines = [" ".join("".join(ch for ch in line if ord(ch) < 0x1100).split()) for line in text.split("\n")]
    return "\n".join(line for line in lines if line) or fallback


@dataclass
class SignAtlas:
    """The encoded sign page and each sign's UV rectangle."""

    png: bytes
    rects: dict[str, tuple[float, float, float, float]]


# Per line count: each line's font size (share of the row) and centre (fraction of the row's height).
_LINE_SLOTS = {1: ((0.6, 0.5),), 2: ((0.42, 0.33), (0.3, 0.74))}


def _draw_line(draw: ImageDraw.ImageDraw, line: str, width: int, size: int, y: float,
               colour: tuple[int, int, int]) -> None:
    """One line centred at ``y``, shrunk until it fits the board (few iterations: sizes step by 15 %)."""
    font = _font(size)
    while size > 12 and draw.textlength(line, font=font) > width - 24:
        size = int(size * 0.85)
        font = _font(size)
    draw.text((width / 2, y), line, font=font, fill=colour, anchor="mm")


def render(signs: Sequence[tuple[str, str, float, str]]) -> SignAtlas:
    """Render (key, text, aspect = width/height, style) boards into one PNG page, packed in rows; a text of two
    lines (``"\\n"``) is drawn as two."""
    rects_px: list[tuple[str, int, int, int, int]] = []
    tiles: list[Image.Image] = []
    x = y = 0
    for key, text, aspect, style_name in signs:
        style = STYLES[style_name]
        width = max(ROW_PX, min(PAGE_W, round(ROW_PX * aspect)))
        tile = Image.new("RGB", (width, ROW_PX), style.background)
        draw = ImageDraw.Draw(tile)
        draw.rectangle((3, 3, width - 4, ROW_PX - 4), outline=style.text, width=3)
        lines = text.split("\n")
        # One line fills the board; two (Korean over English) share it, the second one smaller.
        for line, (share, centre) in zip(lines, _LINE_SLOTS[min(len(lines), 2)], strict=False):
            _draw_line(draw, line, width, round(ROW_PX * share), ROW_PX * centre, style.text)
        if x + width > PAGE_W:
            x, y = 0, y + ROW_PX
        rects_px.append((key, x, y, width, ROW_PX))
        tiles.append(tile)
        x += width
    page_h = 1 << (y + ROW_PX - 1).bit_length()  # power of two, for mipmaps everywhere
    page = Image.new("RGB", (PAGE_W, page_h), (255, 255, 255))
    for (_key, px, py, _w, _h), tile in zip(rects_px, tiles, strict=True):
        page.paste(tile, (px, py))
    buf = io.BytesIO()
    page.save(buf, format="PNG", optimize=False, compress_level=6)
    rects = {
        key: ((px + 0.5) / PAGE_W, (py + 0.5) / page_h, (px + w - 0.5) / PAGE_W, (py + h - 0.5) / page_h)
        for key, px, py, w, h in rects_px
    }
    return SignAtlas(buf.getvalue(), rects)
