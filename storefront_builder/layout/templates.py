"""Store layout templates shipped as package data, and the festival plaza built from a store list.

The YAML files live in ``storefront_builder/templates/`` and are read with ``importlib.resources`` so the
pure package needs no file paths; they are checked like any merchant layout.
"""

from __future__ import annotations

import math
from functools import lru_cache
from importlib import resources

from pydantic import ValidationError

from storefront_builder.errors import LayoutError
from storefront_builder.layout.models import Floor, Layout, PortalSpec, SpawnPointSpec
from storefront_builder.layout.parse import check_layout, parse_layout
from storefront_builder.plan import StoreKind

TEMPLATE_KINDS: tuple[StoreKind, ...] = (
    "department_store", "traditional_market", "street_district", "convenience_store", "festival_plaza",
)
PORTAL_SPACING = 3.0  # metres of circle per portal, so neighbouring portals (1.6 m wide) do not touch
MIN_PLAZA_RADIUS = 9.0
ENTRANCE_GAP_DEG = 25.0  # no portal right in front of the entrance: the first view is of the plaza


@lru_cache(maxsize=len(TEMPLATE_KINDS))
def load_template(kind: StoreKind) -> Layout:
    """The template layout for a store kind; ``LayoutError`` (loc ``('kind',)``) if there is none."""
    if kind not in TEMPLATE_KINDS:
        raise LayoutError(f"no template for store kind {kind!r}; use one of {', '.join(TEMPLATE_KINDS)}",
                          loc=("kind",))
    text = resources.files("storefront_builder").joinpath("templates", f"{kind}.yaml").read_text("utf-8")
    return parse_layout(text, format="yaml")


def plaza_layout(stores: list[tuple[str, str]]) -> Layout:
    """The festival plaza with one portal per ``(slug, label)``, evenly spaced on a circle around the square.

    The square grows with the number of stores; each portal faces the centre. Raises ``LayoutError`` for a
    bad slug (loc ``('portals', i, 'target')``) or a duplicate one.
    """
    base = load_template("festival_plaza")
    radius = max(MIN_PLAZA_RADIUS, PORTAL_SPACING * len(stores) / (2 * math.pi))
    side = max(base.floor.width, base.floor.depth, round(2 * (radius + 3.0), 2))
    gap = math.radians(ENTRANCE_GAP_DEG)
    portals: list[PortalSpec] = []
    for index, (slug, label) in enumerate(stores):
        # Angle 0 is the entrance (+Z); spread the portals over the rest of the circle.
        angle = gap + (2 * math.pi - 2 * gap) * (index + 0.5) / len(stores)
        x, z = round(radius * math.sin(angle), 4), round(radius * math.cos(angle), 4)
        try:
            portals.append(PortalSpec(id=f"portal-{slug}"[:64], target=slug, label=label[:200], position=(x, z),
                                      rotation=round(math.degrees(math.atan2(-x, -z)), 4)))
        except ValidationError as exc:
            field = str(exc.errors()[0]["loc"][0]) if exc.errors()[0]["loc"] else "target"
            raise LayoutError(f"portals.{index}.{field}: invalid store slug or label {slug!r}",
                              loc=("portals", index, "target" if field == "id" else field)) from None
    spawn = [SpawnPointSpec(position=(p.position[0], side / 2 - (base.floor.depth / 2 - p.position[1])),
                            rotation=p.rotation) for p in base.spawn_points]
    layout = base.model_copy(update={"floor": Floor(width=side, depth=side), "portals": portals,
                                     "spawn_points": spawn})
    check_layout(layout)
    return layout
