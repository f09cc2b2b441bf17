"""The shell of a store: floor, four walls with the entrance gap on +Z, an optional ceiling."""

from __future__ import annotations

from storefront_builder.geometry.mesh import MeshData, box_between
from storefront_builder.plan import StoreKind, StorePlan

WALL_THICKNESS = 0.15
DOOR_HEIGHT = 2.8

_FLOOR_BY_KIND: dict[StoreKind, str] = {
    "department_store": "floor_tile",
    "traditional_market": "floor_stone",
    "street_district": "floor_stone",
    "convenience_store": "floor_tile",
    "brand_shop": "floor_wood",
    "festival_plaza": "floor_plaza",
}
# Open-air kinds get no ceiling, and the plaza no walls at all.
_ROOFED: frozenset[StoreKind] = frozenset({"department_store", "convenience_store", "brand_shop"})


def floor_material(kind: StoreKind) -> str:
    """The palette material for the floor of this kind of store."""
    return _FLOOR_BY_KIND[kind]


def shell(plan: StorePlan) -> dict[str, list[MeshData]]:
    """Floor, walls (entrance gap centred on the +Z wall) and ceiling, grouped by material name."""
    w, d, h = plan.width, plan.depth, plan.wall_height
    hx, hz, t = w / 2, d / 2, WALL_THICKNESS
    parts: dict[str, list[MeshData]] = {
        floor_material(plan.kind): [box_between((-hx, -0.05, -hz), (hx, 0.0, hz))],
    }
    if plan.kind == "festival_plaza":
        return parts
    walls = [
        box_between((-hx - t, 0, -hz - t), (hx + t, h, -hz)),  # back (-Z)
        box_between((-hx - t, 0, -hz), (-hx, h, hz + t)),      # left (-X)
        box_between((hx, 0, -hz), (hx + t, h, hz + t)),        # right (+X)
    ]
    gap = min(max(plan.entrance_width, 0.0), w - 0.2)
    door_h = min(DOOR_HEIGHT, h)
    if gap > 0:
        walls.append(box_between((-hx, 0, hz), (-gap / 2, h, hz + t)))
        walls.append(box_between((gap / 2, 0, hz), (hx, h, hz + t)))
        if door_h < h:
            walls.append(box_between((-gap / 2, door_h, hz), (gap / 2, h, hz + t)))
    else:
        walls.append(box_between((-hx, 0, hz), (hx, h, hz + t)))
    parts["wall"] = walls
    # A coloured skirting band inside: cheap, and it makes the room read as a shop rather than a grey box.
    band = 0.12
    parts["wall_accent"] = [
        box_between((-hx, 0, -hz), (hx, band, -hz + 0.02)),
        box_between((-hx, 0, -hz), (-hx + 0.02, band, hz)),
        box_between((hx - 0.02, 0, -hz), (hx, band, hz)),
    ]
    if plan.kind in _ROOFED:
        parts["ceiling"] = [box_between((-hx - t, h, -hz - t), (hx + t, h + 0.05, hz + t))]
    return parts
