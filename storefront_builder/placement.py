"""Placement: a catalog plus a layout → a ``StorePlan`` with every product in a slot or in ``unplaced``.

Each fixture has rows (a level on a face); a product takes a slot of its width plus a gap in the first row,
in fill order, that has room for it. A product with variants takes ONE slot, shown by its first variant on sale
in catalog order (``catalog.groups``); hidden products (status other than active) take none. Products are taken
by rank then sku, so the lowest ranks get the first rows (eye level). Zones decide which fixtures a product may
use: its zone's fixtures first (the zone whose category entry is the longest prefix of the product's category
path), then fixtures of no zone, then any fixture with room — a product is only ``unplaced`` when no fixture can
take it, with the reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from storefront_builder.catalog.groups import shelf_groups
from storefront_builder.catalog.models import Product
from storefront_builder.layout import geometry
from storefront_builder.layout.fixtures import GAP, Row, fixture_rows, resolved_levels
from storefront_builder.layout.models import Layout
from storefront_builder.layout.parse import check_layout
from storefront_builder.layout.shapes import category_key, longest_prefix, product_shape, product_size
from storefront_builder.plan import (
    PlacedFixture,
    PlacedProduct,
    Portal,
    Sign,
    SpawnPoint,
    StorePlan,
    UnplacedProduct,
    Zone,
)

WALK_MARGIN = 0.3  # keep avatars this far from the walls


@dataclass
class _Rows:
    """Every row of every fixture as parallel arrays, so 'first row with room' is one numpy pass."""

    rows: list[Row] = field(default_factory=list)
    fixture: list[int] = field(default_factory=list)
    remaining: list[float] = field(default_factory=list)

    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        clearance = np.array([row.clearance for row in self.rows], dtype=np.float64)
        depth = np.array([row.depth for row in self.rows], dtype=np.float64)
        return np.array(self.remaining, dtype=np.float64), clearance, depth


def _zone_of_fixture(layout: Layout) -> dict[str, str]:
    owner: dict[str, str] = {}
    for zone in layout.zones:
        for fixture_id in zone.fixtures:
            owner[fixture_id] = zone.name
    for fixture in layout.fixtures:
        if fixture.zone is not None:
            owner[fixture.id] = fixture.zone
    return owner


class _ZoneMatcher:
    """Finds a product's zone: the one with the longest category entry that prefixes the product's path."""

    def __init__(self, layout: Layout) -> None:
        self._entries: dict[tuple[str, ...], str] = {}
        for zone in layout.zones:
            for category in zone.categories:
                self._entries.setdefault(category_key((category,)), zone.name)
        self._cache: dict[tuple[str, ...], str | None] = {}

    def zone(self, category: list[str]) -> str | None:
        key = category_key(tuple(category))
        if key not in self._cache:
            self._cache[key] = longest_prefix(key, self._entries)
        return self._cache[key]


def _placed_fixtures(layout: Layout, owner: dict[str, str]) -> tuple[list[PlacedFixture], _Rows]:
    fixtures: list[PlacedFixture] = []
    table = _Rows()
    for index, spec in enumerate(layout.fixtures):
        levels = resolved_levels(spec.type, spec.levels)
        fixtures.append(PlacedFixture(
            id=spec.id, type=spec.type, position=(spec.position[0], 0.0, spec.position[1]),
            rotation_y=spec.rotation, size=spec.size, levels=levels, zone=owner.get(spec.id),
        ))
        for row in fixture_rows(spec.type, spec.size, levels):
            table.rows.append(row)
            table.fixture.append(index)
            table.remaining.append(row.length)
    return fixtures, table


class _Group:
    """The rows one kind of product may use, searched first-fit from the first row that is not full.

    Rows fill roughly in order, so looking at a small window after the first open row usually finds the
    slot; the rest is only scanned when the window has no room. This keeps 10,000 products fast.
    """

    FIRST = 4  # rows tried one by one before numpy looks at a window
    WINDOW = 64

    def __init__(self, rows: np.ndarray, clearance: np.ndarray, depth: np.ndarray) -> None:
        self.rows = rows
        self.clearance = clearance[rows]
        self.depth = depth[rows]
        self.start = 0
        # Plain lists for the few rows checked one by one: numpy's per-call cost dominates there.
        self._rows = rows.tolist()
        self._clearance = self.clearance.tolist()
        self._depth = self.depth.tolist()

    def find(self, remaining: np.ndarray, slot: float, height: float, depth: float, full: float) -> int:
        """Index into the table of the first row with room, or -1; rows below ``full`` are skipped."""
        count = len(self._rows)
        while self.start < count and remaining[self._rows[self.start]] < full:
            self.start += 1
        for pos in range(self.start, min(self.start + self.FIRST, count)):
            row = self._rows[pos]
            if (remaining[row] >= slot - 1e-9 and self._clearance[pos] >= height - 1e-9
                    and self._depth[pos] >= depth - 1e-9):
                return int(row)
        for lo, hi in ((self.start + self.FIRST, self.start + self.WINDOW), (self.start + self.WINDOW, count)):
            if lo >= count:
                break
            ok = remaining[self.rows[lo:hi]] >= slot - 1e-9
            ok &= self.clearance[lo:hi] >= height - 1e-9
            ok &= self.depth[lo:hi] >= depth - 1e-9
            hit = int(np.argmax(ok))
            if ok[hit]:
                return int(self.rows[lo + hit])
        return -1


def _groups(fixtures: list[PlacedFixture], table: _Rows, clearance: np.ndarray,
            depth: np.ndarray) -> dict[str | None, _Group]:
    """Row groups per zone name (None: fixtures of no zone), in fixture order then fill order."""
    by_zone: dict[str | None, list[int]] = {}
    for row_index, fixture_index in enumerate(table.fixture):
        by_zone.setdefault(fixtures[fixture_index].zone, []).append(row_index)
    return {zone: _Group(np.array(rows, dtype=np.intp), clearance, depth) for zone, rows in by_zone.items()}


@dataclass(frozen=True, slots=True)
class _Taken:
    product: Product
    variants: list[Product]  # the product's variants on sale, ``product`` first
    row: int
    start: float  # distance from the row's left end to the slot's left edge
    size: tuple[float, float, float]
    slot: str


def _assign(products: list[Product], layout: Layout, fixtures: list[PlacedFixture],
            table: _Rows) -> tuple[list[_Taken], list[UnplacedProduct], np.ndarray]:
    remaining, clearance, depth = table.arrays()
    groups = _groups(fixtures, table, clearance, depth)
    everywhere = _Group(np.arange(len(table.rows), dtype=np.intp), clearance, depth)
    matcher = _ZoneMatcher(layout)
    lengths = remaining.copy()
    used = np.zeros_like(remaining)
    counters: dict[tuple[int, int], int] = {}
    taken: list[_Taken] = []
    unplaced: list[UnplacedProduct] = []
    seen: set[str] = set()
    unique: list[Product] = []
    for product in products:
        if product.sku in seen:
            unplaced.append(UnplacedProduct(sku=product.sku, reason="duplicate sku: placed once already"))
        elif product.status != "active":
            unplaced.append(UnplacedProduct(sku=product.sku, reason=f"hidden ({product.status}): not on the shelves"))
        else:
            unique.append(product)
        seen.add(product.sku)
    ordered = sorted(shelf_groups(unique), key=lambda g: (g[0].rank, g[0].sku))
    sizes = [product_size(variants[0]) for variants in ordered]
    # A row with less room than the narrowest product's slot is full for everyone.
    full = min((size[0] for size in sizes), default=0.0) + GAP - 1e-9
    for variants, (width, height, dep) in zip(ordered, sizes, strict=True):
        product = variants[0]
        slot_width = width + GAP
        zone = matcher.zone(product.category)
        order = [groups.get(zone), groups.get(None), everywhere] if zone is not None else [groups.get(None), everywhere]
        row_index = -1
        for group in order:
            if group is not None:
                row_index = group.find(remaining, slot_width, height, dep, full)
                if row_index >= 0:
                    break
        if row_index < 0:
            reason = _why(width, height, dep, lengths, clearance, depth)
            unplaced.append(UnplacedProduct(sku=product.sku, reason=reason))
            continue
        row = table.rows[row_index]
        fixture_index = table.fixture[row_index]
        key = (fixture_index, row.level)
        counters[key] = counters.get(key, 0) + 1
        slot = f"{fixtures[fixture_index].id}-L{row.level}-S{counters[key]}"
        start = float(used[row_index])
        used[row_index] += slot_width
        remaining[row_index] -= slot_width
        taken.append(_Taken(product, variants, row_index, start, (width, height, dep), slot))
    return taken, unplaced, used


def _why(width: float, height: float, depth: float, lengths: np.ndarray, clearance: np.ndarray,
         depths: np.ndarray) -> str:
    size = f"{width:g}×{height:g}×{depth:g} m"
    if not len(lengths):
        return "the layout has no fixtures"
    fits_empty = (lengths >= width + GAP - 1e-9) & (clearance >= height - 1e-9) & (depths >= depth - 1e-9)
    if not fits_empty.any():
        return f"too large for any fixture ({size})"
    return f"no room left on any fixture that fits it ({size})"


def _products(taken: list[_Taken], fixtures: list[PlacedFixture], table: _Rows, used: np.ndarray,
              assets: frozenset[str]) -> list[PlacedProduct]:
    placed: list[PlacedProduct] = []
    for item in taken:
        row = table.rows[item.row]
        fixture = fixtures[table.fixture[item.row]]
        width, _height, depth = item.size
        # Centre each row's run of products on the fixture instead of leaving the space at one end.
        offset = (row.length - float(used[item.row])) / 2
        local_x = -row.length / 2 + offset + item.start + (width + GAP) / 2
        local_z = row.z_front - depth / 2
        rotation = fixture.rotation_y
        if row.face == 1:
            local_x, local_z, rotation = -local_x, -local_z, rotation + 180.0
        x, z = geometry.to_world(local_x, local_z, fixture.rotation_y, (fixture.position[0], fixture.position[2]))
        product = item.product
        # The variant shown wins; a picture or model only another variant has still beats a placeholder.
        placed.append(PlacedProduct(
            sku=product.sku, slot=item.slot, fixture_id=fixture.id, position=(x, row.y, z), rotation_y=rotation,
            size=item.size, category=product.top_category,
            category_path=tuple(product.category), shape=product_shape(product),
            model_ref=next((v.model for v in item.variants if v.model in assets), None),
            image_ref=next((image for v in item.variants for image in v.images if image in assets), None),
            label=product.display_name, group=product.group, variants=tuple(v.sku for v in item.variants),
            options=dict(product.options),
        ))
    return placed


def _zones(layout: Layout, fixtures: list[PlacedFixture], boxes: np.ndarray) -> list[Zone]:
    zones: list[Zone] = []
    for zone in layout.zones:
        members = [index for index, fixture in enumerate(fixtures) if fixture.zone == zone.name]
        if not members:
            continue  # a zone without fixtures has no place on the floor
        box = boxes[members]
        zones.append(Zone(name=zone.name, categories=list(zone.categories),
                          bounds=(float(box[:, 0].min()), float(box[:, 1].min()),
                                  float(box[:, 2].max()), float(box[:, 3].max()))))
    return zones


def _spawn_points(layout: Layout) -> list[SpawnPoint]:
    if not layout.spawn_points:
        # Never leave a store without a way in: stand just inside the entrance, looking in.
        return [SpawnPoint(id="spawn-1", position=(layout.entrance.centre_x, 0.0, layout.floor.depth / 2 - 0.5))]
    return [
        SpawnPoint(id=f"spawn-{index + 1}", position=(spawn.position[0], 0.0, spawn.position[1]),
                   rotation_y=spawn.rotation)
        for index, spawn in enumerate(layout.spawn_points)
    ]


def place(products: list[Product], layout: Layout, *, store_id: str, store_name: str,
          assets: frozenset[str] = frozenset()) -> StorePlan:
    """Place a catalog into a layout. Deterministic; every product ends up placed or unplaced, once.

    ``assets`` are the asset keys the build has bytes for: a product's ``model`` and first available image
    are referenced only when present. Raises ``LayoutError`` if the layout's parts do not fit together.
    """
    check_layout(layout)
    fixtures, table = _placed_fixtures(layout, _zone_of_fixture(layout))
    taken, unplaced, used = _assign(products, layout, fixtures, table)
    if fixtures:
        corner_array = geometry.corners(
            np.array([(f.position[0], f.position[2]) for f in fixtures], dtype=np.float64),
            np.array([(f.size[0] / 2, f.size[2] / 2) for f in fixtures], dtype=np.float64),
            np.array([f.rotation_y for f in fixtures], dtype=np.float64),
        )
        boxes = geometry.bounds(corner_array)
    else:
        boxes = np.zeros((0, 4))
    return StorePlan(
        store_id=store_id, store_name=store_name, kind=layout.kind, width=layout.floor.width,
        depth=layout.floor.depth, wall_height=layout.wall_height, entrance_width=layout.entrance.width,
        fixtures=fixtures, products=_products(taken, fixtures, table, used, assets), unplaced=unplaced,
        signs=[Sign(id=f"sign-{index + 1}", text=sign.text, position=sign.position, rotation_y=sign.rotation,
                    size=sign.size) for index, sign in enumerate(layout.signage)],
        spawn_points=_spawn_points(layout),
        portals=[Portal(id=portal.id, target=portal.target, label=portal.label,
                        position=(portal.position[0], 0.0, portal.position[1]), rotation_y=portal.rotation)
                 for portal in layout.portals],
        zones=_zones(layout, fixtures, boxes),
        walkable=geometry.walkable_rects(layout.floor.width, layout.floor.depth, boxes, margin=WALK_MARGIN),
    )
