"""Auto-layout: a layout from a catalog alone, sized so every product has a place.

Products are grouped by top category into zones (one per category, its fixtures contiguous). Each zone's
fixtures are sized for its products and counted with first-fit's guarantee (every row but the last is
filled to within one product's width), so placement never runs out of room. Department, convenience and
brand stores (and a plaza with products) get rows of fixtures facing the entrance with aisles between them;
a traditional market gets stalls along alleys and a street district shopfronts along streets, both growing
longer and then wider as the catalog grows. An entrance area near +Z stays free, aisles are ≥ 1.5 m.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from storefront_builder.catalog.models import Product
from storefront_builder.errors import LayoutError
from storefront_builder.layout.arrange import Placed, Sized, alleys, grid
from storefront_builder.layout.fixtures import BOARD, EDGE, FIXTURE_TYPES, GAP, fixture_rows, resolved_levels
from storefront_builder.layout.models import (
    MAX_FIXTURES,
    Entrance,
    FixtureSpec,
    Floor,
    Layout,
    SignSpec,
    SpawnPointSpec,
    ZoneSpec,
)
from storefront_builder.layout.shapes import category_key, longest_prefix, product_shape, product_size
from storefront_builder.plan import FixtureType, PlaceholderShape, StoreKind

# Largest fixture auto-layout builds; a product bigger than this in any direction stays unplaced.
MAX_FIXTURE_SIZE = (4.0, 3.0, 2.0)
ENTRANCE_DEPTH = 4.0  # free floor inside the entrance
# The catalog size a build refuses up front with auto-layout: ~5,000 fixtures at 4+ products each, and a scene a
# phone on mobile data can still load. The exact fixture count is checked when the layout is made.
MAX_AUTO_PRODUCTS = 20_000
MIN_WALL_HEIGHT = 3.5

Size = tuple[float, float, float]


@dataclass(frozen=True, slots=True)
class _KindRules:
    fixture: FixtureType  # the default fixture
    by_shape: dict[PlaceholderShape, FixtureType]  # a better fixture for some shapes
    large: FixtureType  # single-faced fixture for products that do not fit the usual one
    shrink: float  # scale of the default fixture size (a convenience store is smaller)


_GRID_KINDS: dict[StoreKind, _KindRules] = {
    "department_store": _KindRules("gondola", {"folded_garment": "table", "fruit_crate": "table",
                                               "bag": "display_case", "shoe_box": "shelf"}, "display_case", 1.0),
    "convenience_store": _KindRules("gondola", {"bottle": "fridge", "can": "fridge", "fruit_crate": "table"},
                                    "display_case", 0.8),
    "brand_shop": _KindRules("table", {"bag": "display_case", "shoe_box": "shelf"}, "display_case", 1.0),
    "festival_plaza": _KindRules("stall", {}, "stall", 1.0),
}
_ALLEY_KINDS: dict[StoreKind, tuple[_KindRules, float, float]] = {
    # rules, alley width, gap between neighbouring fixtures along the alley
    "traditional_market": (_KindRules("stall", {}, "stall", 1.0), 3.0, 0.1),
    "street_district": (_KindRules("display_case", {}, "display_case", 1.0), 6.0, 0.6),
}


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def _rows_needed(widths: list[float], row_length: float) -> int:
    """Rows that first-fit fills with these widths, in this order: the same first-fit placement runs.

    Simulated rather than bounded: the bound (each row but the last ends with less room than the widest
    slot) doubles the fixtures for uniform catalogs; it only sizes the simulation's array.
    """
    slots = np.array([width + GAP for width in widths], dtype=np.float64)
    spare = row_length - float(slots.max())
    bound = len(slots) if spare <= 1e-6 else min(len(slots), math.floor(float(slots.sum()) / spare + 1e-9) + 1)
    remaining = np.full(bound, row_length, dtype=np.float64)
    used = 0
    for slot in slots.tolist():
        # Placement compares with the same 1e-9 tolerance, so a row it fills here it fills there.
        index = int(np.argmax(remaining >= slot - 1e-9))
        remaining[index] -= slot
        used = max(used, index + 1)
    return used


def _regular(kind: FixtureType, items: list[Size], shrink: float) -> tuple[Size, int]:
    """Size a fixture of ``kind`` so most (90 %) of ``items`` fit; returns (size, levels)."""
    spec = FIXTURE_TYPES[kind]
    width0, height0, depth0 = (value * shrink for value in spec.size)
    max_w, max_h, max_d = MAX_FIXTURE_SIZE
    w90 = _percentile([item[0] for item in items], 0.9)
    h90 = _percentile([item[1] for item in items], 0.9)
    d90 = _percentile([item[2] for item in items], 0.9)
    width = min(max_w, max(width0, w90 + 2 * EDGE + GAP + 0.01))
    depth = min(max_d, max(depth0, spec.faces * (d90 + EDGE + GAP) + 0.01))
    base = min(spec.base, height0 / 2)
    height = min(max_h, max(height0, base + h90 + BOARD + 0.01))
    base = min(spec.base, height / 2)
    levels = max(1, min(resolved_levels(kind, None), math.floor((height - base) / (h90 + BOARD + 1e-3))))
    return (round(width, 3), round(height, 3), round(depth, 3)), levels


def _large(kind: FixtureType, items: list[Size]) -> tuple[Size, int]:
    """A one-level single-faced fixture big enough for ``items`` (up to MAX_FIXTURE_SIZE)."""
    spec = FIXTURE_TYPES[kind]
    max_w, max_h, max_d = MAX_FIXTURE_SIZE
    width = min(max_w, max(spec.size[0], max(item[0] for item in items) + 2 * EDGE + GAP + 0.01))
    depth = min(max_d, max(spec.size[2], max(item[2] for item in items) + 2 * EDGE + 0.01))
    height = min(max_h, max(spec.size[1], spec.base + max(item[1] for item in items) + BOARD + 0.01))
    return (round(width, 3), round(height, 3), round(depth, 3)), 1


def _zone_fixtures(items: list[Size], shapes: list[PlaceholderShape], rules: _KindRules) -> list[Sized]:
    """The fixtures one zone needs (items in placement order): usual ones, then large ones for the rest."""
    majority = max(sorted(set(shapes)), key=shapes.count)
    kind = rules.by_shape.get(majority, rules.fixture)
    size, levels = _regular(kind, items, rules.shrink)
    rows = fixture_rows(kind, size, levels)
    fitting = [item for item in items if rows[0].fits(*item)]
    rest = [item for item in items if not rows[0].fits(*item)]
    needed: list[Sized] = []
    if fitting:
        count = math.ceil(_rows_needed([item[0] for item in fitting], rows[0].length) / len(rows))
        needed += [Sized(kind, size, levels)] * count
    if rest:
        large_size, large_levels = _large(rules.large, rest)
        row = fixture_rows(rules.large, large_size, large_levels)[0]
        fit_large = [item[0] for item in rest if row.fits(*item)]
        if fit_large:  # anything left over is larger than any fixture and will be reported unplaced
            needed += [Sized(rules.large, large_size, large_levels)] * _rows_needed(fit_large, row.length)
    return needed


def _group(products: list[Product]) -> list[tuple[str, list[Size], list[PlaceholderShape]]]:
    """Zones (one per top category) with their products' sizes and shapes, in placement order."""
    unique: list[Product] = []
    seen: set[str] = set()
    for product in sorted(products, key=lambda p: (p.rank, p.sku)):
        if product.sku not in seen:  # placement reports duplicates; they need no room
            seen.add(product.sku)
            unique.append(product)
    # Zones match by category key, so "Food" and "food" are one zone; names are the first spelling seen.
    names: dict[tuple[str, ...], str] = {}
    for product in unique:
        names.setdefault(category_key((product.top_category,)), product.top_category[:100])
    groups: dict[str, tuple[list[Size], list[PlaceholderShape]]] = {}
    for product in unique:
        # The zone placement will choose (longest prefix), which is not always the top category's own.
        zone = longest_prefix(category_key(tuple(product.category)), names) or product.top_category[:100]
        sizes, shapes = groups.setdefault(zone, ([], []))
        sizes.append(product_size(product))
        shapes.append(product_shape(product))
    return [(names[key], *groups[names[key]]) for key in sorted(names) if names[key] in groups]


def auto_layout(products: list[Product], kind: StoreKind, *, name: str) -> Layout:
    """Build a layout for ``products`` in the style of ``kind``; every product fits unless it is larger
    than ``MAX_FIXTURE_SIZE`` allows. Deterministic: the same catalog gives the same layout."""
    zones: list[tuple[str, list[Sized]]] = []
    for zone_name, items, shapes in _group(products):
        rules = _ALLEY_KINDS[kind][0] if kind in _ALLEY_KINDS else _GRID_KINDS[kind]
        zones.append((zone_name, _zone_fixtures(items, shapes, rules)))
    if kind in _ALLEY_KINDS:
        _, alley_width, spacing = _ALLEY_KINDS[kind]
        width, depth, placed = alleys(zones, alley_width=alley_width, spacing=spacing, front=ENTRANCE_DEPTH)
    else:
        width, depth, placed = grid(zones, front=ENTRANCE_DEPTH)
    if len(placed) > MAX_FIXTURES:
        raise LayoutError(
            f"{len(products):,} products need {len(placed):,} fixtures; a store holds at most {MAX_FIXTURES:,} "
            f"(auto-layout takes about {MAX_AUTO_PRODUCTS:,} products): split the catalog over several stores, "
            "or upload a layout that shows a selection")
    tallest = max((item.size[1] for item in placed), default=2.0)
    wall_height = max(MIN_WALL_HEIGHT, round(tallest + 1.2, 2))
    fixtures = [
        FixtureSpec(id=f"F{index + 1}", type=item.kind, position=(item.x, item.z), rotation=item.rotation,
                    size=item.size, levels=item.levels, zone=item.zone)
        for index, item in enumerate(placed)
    ]
    return Layout(
        version=1, kind=kind, name=name[:200] or None, floor=Floor(width=width, depth=depth),
        wall_height=wall_height, entrance=Entrance(width=min(3.0 if kind not in _ALLEY_KINDS else 4.0, width)),
        spawn_points=[SpawnPointSpec(position=(x, depth / 2 - 1.2)) for x in (-1.0, 0.0, 1.0)],
        fixtures=fixtures,
        zones=[ZoneSpec(name=zone_name, categories=[zone_name],
                        fixtures=[f.id for f in fixtures if f.zone == zone_name]) for zone_name, _ in zones],
        signage=_signs(name, placed, width, depth, wall_height),
    )


def _signs(name: str, placed: list[Placed], width: float, depth: float, wall_height: float) -> list[SignSpec]:
    signs: list[SignSpec] = []
    if name.strip():
        # Hangs over the entrance area facing +Z, so it is read by whoever walks in looking -Z.
        signs.append(SignSpec(text=name.strip()[:200], position=(0.0, wall_height - 0.5, depth / 2 - 2.5),
                              size=(min(6.0, width - 1.0), 0.8)))
    seen: set[str] = set()
    for item in placed:
        if item.zone in seen:
            continue
        seen.add(item.zone)
        # Above the zone's first fixture, facing the way the fixture faces (towards its aisle).
        signs.append(SignSpec(text=item.zone[:200], position=(item.x, min(item.size[1] + 0.5, wall_height - 0.4),
                                                              item.z),
                              rotation=item.rotation, size=(min(2.5, item.size[0]), 0.45)))
    return signs
