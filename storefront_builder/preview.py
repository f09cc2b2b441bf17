"""A floor-plan preview of a ``StorePlan`` as PNG bytes (Pillow), for merchants and for reviewing builds.

Seen from above with +Z (the entrance) at the bottom. Labels need a CJK font to show Hangul; without one
they are romanised (Revised Romanisation, letter by letter) so the preview never fails or shows boxes.
The output is deterministic for a given plan and font.
"""

from __future__ import annotations

import io
import math
import zlib
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from storefront_builder.layout.geometry import to_world
from storefront_builder.plan import StorePlan

# Debian: fonts-noto-cjk, fonts-nanum; then other common layouts. Read-only font lookup, not builder I/O.
CJK_FONT_PATHS = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJKkr-Regular.otf",
    "/usr/share/fonts/truetype/nanum/NanumGothic.ttf",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
    "/System/Library/Fonts/AppleSDGothicNeo.ttc",
)
LATIN_FONT_PATHS = ("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",)
MARGIN = 24
TITLE_HEIGHT = 36
FONT_SIZE = 12

Font = ImageFont.FreeTypeFont | ImageFont.ImageFont

_INITIALS = ["g", "kk", "n", "d", "tt", "r", "m", "b", "pp", "s", "ss", "", "j", "jj", "ch", "k", "t", "p", "h"]
_VOWELS = ["a", "ae", "ya", "yae", "eo", "e", "yeo", "ye", "o", "wa", "wae", "oe", "yo", "u", "wo", "we", "wi",
           "yu", "eu", "ui", "i"]
_FINALS = ["", "k", "k", "k", "n", "n", "n", "t", "l", "k", "m", "l", "l", "l", "p", "l", "m", "p", "p", "t", "t",
           "ng", "t", "t", "k", "t", "p", "t"]


def romanize(text: str) -> str:
    """Hangul syllables → Revised Romanisation (no sound-change rules); other non-ASCII becomes '?'."""
    out: list[str] = []
    for char in text:
        code = ord(char) - 0xAC00
        if 0 <= code < 11172:
            out.append(_INITIALS[code // 588] + _VOWELS[(code % 588) // 28] + _FINALS[code % 28])
        elif char.isascii():
            out.append(char)
        elif char.isspace():
            out.append(" ")
        else:
            out.append("?")
    return "".join(out)


@lru_cache(maxsize=4)
def _font(size: int) -> tuple[Font, bool]:
    """(font, can_draw_hangul): a CJK font when installed, else DejaVu, else Pillow's built-in font."""
    for path in CJK_FONT_PATHS:
        if Path(path).is_file():
            try:
                return ImageFont.truetype(path, size), True
            except OSError:
                continue
    for path in LATIN_FONT_PATHS:
        if Path(path).is_file():
            try:
                return ImageFont.truetype(path, size), False
            except OSError:
                continue
    return ImageFont.load_default(), False


def _colour(category: str, alpha: int = 255) -> tuple[int, int, int, int]:
    # crc32, not hash(): the colour must not change between processes (PYTHONHASHSEED).
    hue = (zlib.crc32(category.encode("utf-8")) % 360) / 360.0
    r, g, b = (int(255 * (0.35 + 0.5 * max(0.0, min(1.0, abs((hue * 6 + k) % 6 - 3) - 1)))) for k in (0, 4, 2))
    return (r, g, b, alpha)


def render_floor_plan(plan: StorePlan, *, px_per_m: int = 40, max_px: int = 2048) -> bytes:
    """Draw the plan from above: floor, walls with the entrance gap, zones, fixtures, products (dots by
    category), spawn points (triangles), portals, a scale bar and a title. Returns PNG bytes.

    The scale is ``px_per_m`` unless the image would exceed ``max_px`` on a side, then it shrinks to fit.
    """
    scale = min(float(px_per_m), (max_px - 2 * MARGIN) / plan.width, (max_px - 2 * MARGIN - TITLE_HEIGHT) / plan.depth)
    scale = max(scale, 1e-3)
    width_px = min(max_px, math.ceil(plan.width * scale) + 2 * MARGIN)
    height_px = min(max_px, math.ceil(plan.depth * scale) + 2 * MARGIN + TITLE_HEIGHT)
    top = MARGIN + TITLE_HEIGHT

    def px(x: float, z: float) -> tuple[float, float]:
        return (MARGIN + (x + plan.width / 2) * scale, top + (z + plan.depth / 2) * scale)

    font, hangul = _font(FONT_SIZE)
    title_font, _ = _font(FONT_SIZE + 6)

    def label(text: str, fallback: str = "") -> str:
        if hangul or text.isascii():
            return text
        return romanize(text) or fallback

    image = Image.new("RGBA", (width_px, height_px), (255, 255, 255, 255))
    overlay = Image.new("RGBA", image.size, (0, 0, 0, 0))
    tint = ImageDraw.Draw(overlay)
    for zone in plan.zones:
        x0, y0 = px(zone.bounds[0], zone.bounds[1])
        x1, y1 = px(zone.bounds[2], zone.bounds[3])
        tint.rectangle((x0 - 4, y0 - 4, x1 + 4, y1 + 4), fill=_colour(zone.name, 60))
    draw = ImageDraw.Draw(image)
    draw.rectangle((*px(-plan.width / 2, -plan.depth / 2), *px(plan.width / 2, plan.depth / 2)), fill=(246, 243, 236))
    image.alpha_composite(overlay)
    draw = ImageDraw.Draw(image)
    _walls(draw, plan, px, max(2, round(scale * 0.15)))
    for fixture in plan.fixtures:
        w, d = fixture.size[0] / 2, fixture.size[2] / 2
        centre = (fixture.position[0], fixture.position[2])
        quad = [px(*to_world(x, z, fixture.rotation_y, centre)) for x, z in ((-w, -d), (w, -d), (w, d), (-w, d))]
        draw.polygon(quad, fill=(205, 200, 190), outline=(90, 85, 80))
        # A short tick on the front edge shows which way the fixture faces.
        draw.line([px(*to_world(0, d * 0.6, fixture.rotation_y, centre)), px(*to_world(0, d, fixture.rotation_y,
                                                                                   centre))], fill=(90, 85, 80))
    radius = max(1.0, min(4.0, scale * 0.08))
    for product in plan.products:
        x, y = px(product.position[0], product.position[2])
        draw.ellipse((x - radius, y - radius, x + radius, y + radius), fill=_colour(product.category))
    for zone in plan.zones:
        x0, y0 = px(zone.bounds[0], zone.bounds[1])
        draw.text((x0, y0 - 4), label(zone.name, "zone"), fill=(40, 40, 40), font=font, anchor="lb")
    for spawn in plan.spawn_points:
        _triangle(draw, px(spawn.position[0], spawn.position[2]), spawn.rotation_y, max(6.0, scale * 0.4))
    for portal in plan.portals:
        w, d = portal.size[0] / 2, portal.size[2] / 2
        centre = (portal.position[0], portal.position[2])
        quad = [px(*to_world(x, z, portal.rotation_y, centre)) for x, z in ((-w, -d), (w, -d), (w, d), (-w, d))]
        draw.polygon(quad, fill=(120, 80, 200), outline=(60, 30, 120))
        x, y = px(*centre)
        draw.text((x, y + 6), label(portal.label or portal.target, portal.target), fill=(60, 30, 120), font=font,
                  anchor="mt")
    _scale_bar(draw, scale, height_px, font)
    title = f"{label(plan.store_name, plan.store_id)}  ·  {plan.kind}  ·  {plan.width:g} × {plan.depth:g} m"
    if not (hangul or title.isascii()):
        title = title.replace("·", "-").replace("×", "x")
    draw.text((MARGIN, MARGIN), title, fill=(20, 20, 20), font=title_font)
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, format="PNG", optimize=False)
    return buffer.getvalue()


def _walls(draw: ImageDraw.ImageDraw, plan: StorePlan, px: Callable[[float, float], tuple[float, float]],
           thickness: int) -> None:
    hw, hd = plan.width / 2, plan.depth / 2
    gap = min(plan.entrance_width, plan.width) / 2
    colour = (50, 50, 60)
    # The entrance gap is centred on the +Z wall (the plan carries no entrance offset).
    for a, b in (((-hw, -hd), (hw, -hd)), ((-hw, -hd), (-hw, hd)), ((hw, -hd), (hw, hd)),
                 ((-hw, hd), (-gap, hd)), ((gap, hd), (hw, hd))):
        draw.line([px(*a), px(*b)], fill=colour, width=thickness)


def _triangle(draw: ImageDraw.ImageDraw, centre: tuple[float, float], rotation: float, size: float) -> None:
    # Rotation 0 looks towards -Z, which is up in the image; the plan turns counter-clockwise from above.
    theta = math.radians(rotation)
    tip = (centre[0] - size * math.sin(theta), centre[1] - size * math.cos(theta))
    left = (centre[0] - size * 0.6 * math.cos(theta), centre[1] + size * 0.6 * math.sin(theta))
    right = (centre[0] + size * 0.6 * math.cos(theta), centre[1] - size * 0.6 * math.sin(theta))
    draw.polygon([tip, left, right], fill=(220, 60, 60), outline=(120, 20, 20))


def _scale_bar(draw: ImageDraw.ImageDraw, scale: float, height_px: int, font: Font) -> None:
    metres = next((m for m in (1, 2, 5, 10, 20, 50, 100, 200, 500) if m * scale >= 60), 1000)
    x0, y = MARGIN, height_px - MARGIN / 2
    draw.line([(x0, y), (x0 + metres * scale, y)], fill=(20, 20, 20), width=3)
    draw.text((x0 + metres * scale + 6, y), f"{metres} m", fill=(20, 20, 20), font=font, anchor="lm")
