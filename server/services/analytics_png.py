"""The heat map as a PNG over the store's floor plan (Pillow). CPU work: the server runs it in the quick pool
(server/quick_pool.py), never on the event loop. Input: the already suppressed cells of a ``HeatMap`` and the
plan parts of the scene manifest (floor box, walkable rectangles, zones with their names)."""

from __future__ import annotations

import io
from collections.abc import Sequence

from PIL import Image, ImageDraw, ImageFont

from storefront_builder.geometry.signage import find_font

Rect = Sequence[float]  # x0, z0, x1, z1 in metres
WIDTH = 720
MARGIN = 16
FLOOR, WALL, WALKABLE, ZONE, TEXT = (246, 243, 236), (92, 87, 80), (64, 192, 87, 46), (214, 51, 108, 150), (52, 58, 64)


def _heat(t: float) -> tuple[int, int, int, int]:
    """Yellow → red with the share of the busiest cell; never fully opaque, so the plan shows through."""
    t = max(0.0, min(1.0, t))
    return (255, int(220 * (1 - t)), 0, int(70 + 150 * t))


def render(cells: Sequence[tuple[int, int, int]], cell_m: float, bounds: Rect | None,
           walkable: Sequence[Rect], zones: Sequence[tuple[str, Rect]]) -> bytes:
    """``cells`` are (x index, z index, seconds). Without a floor box the cells' own extent is drawn."""
    if bounds is None:
        xs = [c[0] * cell_m for c in cells] or [0.0]
        zs = [c[1] * cell_m for c in cells] or [0.0]
        bounds = (min(xs) - 1, min(zs) - 1, max(xs) + cell_m + 1, max(zs) + cell_m + 1)
    x0, z0, x1, z1 = bounds
    span_x, span_z = max(x1 - x0, 1.0), max(z1 - z0, 1.0)
    scale = (WIDTH - 2 * MARGIN) / span_x
    height = int(span_z * scale) + 2 * MARGIN

    def px(x: float, z: float) -> tuple[float, float]:
        return MARGIN + (x - x0) * scale, MARGIN + (z - z0) * scale

    base = Image.new("RGB", (WIDTH, height), (255, 255, 255))
    g = ImageDraw.Draw(base)
    g.rectangle((*px(x0, z0), *px(x1, z1)), fill=FLOOR)
    overlay = Image.new("RGBA", base.size, (0, 0, 0, 0))
    o = ImageDraw.Draw(overlay)
    for r in walkable:
        o.rectangle((*px(r[0], r[1]), *px(r[2], r[3])), fill=WALKABLE)
    most = max((c[2] for c in cells), default=0)
    for cx, cz, seconds in cells:
        a = px(cx * cell_m, cz * cell_m)
        b = px((cx + 1) * cell_m, (cz + 1) * cell_m)
        o.rectangle((*a, b[0] - 1, b[1] - 1), fill=_heat(seconds / most if most else 0.0))
    choice = find_font()  # Hangul zone names need a CJK font: the same one the scene signs use
    font = ImageFont.truetype(choice.path, 14) if choice.path else ImageFont.load_default(14)
    for name, r in zones:
        o.rectangle((*px(r[0], r[1]), *px(r[2], r[3])), outline=ZONE, width=2)
        ax, az = px(r[0], r[1])
        o.text((ax + 4, az + 3), name, fill=(*TEXT, 255), font=font, stroke_width=2, stroke_fill=(255, 255, 255, 220))
    out = Image.alpha_composite(base.convert("RGBA"), overlay)
    ImageDraw.Draw(out).rectangle((*px(x0, z0), *px(x1, z1)), outline=WALL, width=3)
    buf = io.BytesIO()
    out.convert("RGB").save(buf, format="PNG", optimize=True)
    return buf.getvalue()
