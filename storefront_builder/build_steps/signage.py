"""Step ``signage``: store name, zone and portal signs, all from one text atlas (one draw call).

The scene is one GLB for every shopper, so a zone or portal sign the category table knows carries both names,
Korean over English (``catalog/category_names.py``); the store's own name is the merchant's and stays as written.
"""

from __future__ import annotations

from storefront_builder.build_steps.context import BuildContext
from storefront_builder.catalog.category_names import sign_lines
from storefront_builder.geometry import signage as text
from storefront_builder.geometry.batch import bake_instances
from storefront_builder.geometry.mesh import box_between
from storefront_builder.geometry.room import DOOR_HEIGHT
from storefront_builder.plan import Sign, StorePlan

BOARD_DEPTH = 0.04


def _store_signs(plan: StorePlan) -> list[Sign]:
    """The store's name over the entrance (outside) and on the back wall (seen on entering)."""
    h, hz = plan.wall_height, plan.depth / 2
    width = min(plan.width * 0.6, 6.0)
    if plan.kind == "festival_plaza":
        return [Sign(id="store-name", text=plan.store_name, position=(0.0, 3.2, -hz + 0.5), size=(width, 0.9))]
    door = min(DOOR_HEIGHT, h)
    outside_y = min(door + 0.45, h - 0.05) if h > door + 0.3 else h + 0.5
    return [
        Sign(id="store-name", text=plan.store_name, position=(0.0, outside_y, hz + 0.2), size=(width, 0.8)),
        Sign(id="store-name-back", text=plan.store_name, position=(0.0, max(h - 0.8, 1.8), -hz + 0.05),
             size=(width, 0.8)),
    ]


def _zone_signs(plan: StorePlan) -> list[Sign]:
    """Hanging signs over each zone, used only when placement supplied no signs of its own."""
    y = max(plan.wall_height - 0.6, 2.4)
    return [
        Sign(id=f"zone:{z.name}", text=z.name,
             position=((z.bounds[0] + z.bounds[2]) / 2, y, (z.bounds[1] + z.bounds[3]) / 2), size=(2.4, 0.5))
        for z in plan.zones
    ]


def all_signs(plan: StorePlan) -> list[tuple[Sign, str]]:
    """Every sign the scene draws, with its style."""
    signs = [(s, "store") for s in _store_signs(plan)]
    signs += [(s, "zone") for s in (plan.signs or _zone_signs(plan))]
    for portal in plan.portals:
        x, _y, z = portal.position
        signs.append((Sign(id=f"portal:{portal.id}", text=portal.label or portal.target,
                           position=(x, portal.size[1] + 0.35, z), rotation_y=portal.rotation_y,
                           size=(max(portal.size[0], 1.2), 0.4)), "portal"))
    return signs


def _board_text(sign: Sign, style: str) -> str:
    """What the board says: the store's name as it is, other signs in both languages when the table knows them."""
    return sign.text if style == "store" else "\n".join(sign_lines(sign.text))


def signage(ctx: BuildContext) -> None:
    """Render every sign's text into the sign atlas and draw the boards as one baked mesh."""
    signs = all_signs(ctx.plan)
    if not signs:
        return
    if not text.find_font().cjk and any(ord(ch) >= 0x1100 for s, _ in signs for ch in s.text):
        ctx.warnings.append("no CJK font installed (fonts-noto-cjk or fonts-nanum): Hangul omitted on signs")
    atlas = text.render([(s.id, text.drawable_text(_board_text(s, style), s.id), s.size[0] / s.size[1], style)
                         for s, style in signs])
    ctx.doc.add_texture("signs", atlas.png, "image/png")
    # A unit board with its bottom at y = -0.5 so the sign's position is its centre.
    unit = box_between((-0.5, -0.5, -0.5), (0.5, 0.5, 0.5))
    mesh = bake_instances(
        unit,
        [s.position for s, _ in signs],
        [s.rotation_y for s, _ in signs],
        [(s.size[0], s.size[1], BOARD_DEPTH) for s, _ in signs],
        uv_rects=[atlas.rects[s.id] for s, _ in signs],
    )
    ctx.emit("signs", {"sign": [mesh]}, parent=ctx.group("signage"),
             extras={"vrstore": {"signs": [s.id for s, _ in signs]}})
