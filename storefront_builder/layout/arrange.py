"""Arranging sized fixtures on a floor for auto-layout: rows with aisles, or alleys lined with fixtures.

Both arrangements keep a zone's fixtures next to each other by filling in a serpentine (boustrophedon)
order, keep every aisle ≥ 1.5 m wide and leave ``front`` metres free inside the +Z entrance.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from storefront_builder.plan import FixtureType

AISLE = 2.0  # ≥ 1.5 m so two avatars pass each other
SIDE_WALK = 1.6  # walkway between the outer walls and the fixtures
CROSS_EVERY = 6  # a cross aisle after this many fixtures in a row, so long rows can be walked through
MIN_FLOOR = 8.0
BACK_TO_BACK = 0.2  # between two alleys' fixtures standing back to back
MIN_RUN = 10  # fixtures along one side before an alley is long enough to add another


@dataclass(frozen=True, slots=True)
class Sized:
    """A fixture auto-layout wants, before it has a place."""

    kind: FixtureType
    size: tuple[float, float, float]
    levels: int


@dataclass(frozen=True, slots=True)
class Placed:
    """A fixture with its place on the floor."""

    kind: FixtureType
    size: tuple[float, float, float]
    levels: int
    zone: str
    x: float
    z: float
    rotation: float


def _flatten(zones: list[tuple[str, list[Sized]]]) -> list[tuple[str, Sized]]:
    return [(name, item) for name, items in zones for item in items]


def _r(value: float) -> float:
    # Rounded coordinates keep the layout file readable and the output byte-stable across platforms.
    return round(value, 4)


def grid(zones: list[tuple[str, list[Sized]]], *, front: float) -> tuple[float, float, list[Placed]]:
    """Rows of fixtures facing +Z, aisles between rows; returns (floor width, floor depth, fixtures)."""
    items = _flatten(zones)
    if not items:
        return MIN_FLOOR, MIN_FLOOR, []
    total_width = sum(item.size[0] for _, item in items) * (1 + AISLE / (CROSS_EVERY * 2.4))
    pitch = sum(item.size[2] for _, item in items) / len(items) + AISLE
    target = max(max(item.size[0] for _, item in items), math.sqrt(total_width * pitch))
    rows: list[list[tuple[str, Sized]]] = [[]]
    row_width = 0.0
    for entry in items:
        extra = AISLE if rows[-1] and len(rows[-1]) % CROSS_EVERY == 0 else 0.0
        if rows[-1] and row_width + extra + entry[1].size[0] > target:
            rows.append([])
            row_width, extra = 0.0, 0.0
        rows[-1].append(entry)
        row_width += extra + entry[1].size[0]

    def widths(row: list[tuple[str, Sized]]) -> list[float]:
        # Left edge of each fixture from the row's start, with the cross aisles.
        lefts, cursor = [], 0.0
        for index, (_, item) in enumerate(row):
            if index and index % CROSS_EVERY == 0:
                cursor += AISLE
            lefts.append(cursor)
            cursor += item.size[0]
        return [*lefts, cursor]

    row_depths = [max(item.size[2] for _, item in row) for row in rows]
    width = max(MIN_FLOOR, max(widths(row)[-1] for row in rows) + 2 * SIDE_WALK)
    depth = max(MIN_FLOOR, front + sum(row_depths) + AISLE * (len(rows) - 1) + SIDE_WALK)
    placed: list[Placed] = []
    z_cursor = depth / 2 - front
    for row_index, row in enumerate(rows):
        z = z_cursor - row_depths[row_index] / 2
        lefts = widths(row)
        start = -lefts[-1] / 2
        for index, (zone, item) in enumerate(row):
            x = start + lefts[index] + item.size[0] / 2
            placed.append(Placed(item.kind, item.size, item.levels, zone, _r(x if row_index % 2 == 0 else -x),
                                 _r(z), 0.0))
        z_cursor -= row_depths[row_index] + AISLE
    return _r(width), _r(depth), placed


def alleys(zones: list[tuple[str, list[Sized]]], *, alley_width: float, spacing: float,
           front: float) -> tuple[float, float, list[Placed]]:
    """Fixtures along both sides of alleys running from the entrance towards -Z, facing the alley.

    A longer catalog first makes the alley longer (up to a roughly square floor), then adds alleys side by
    side; fixtures of neighbouring alleys stand back to back. Returns (floor width, floor depth, fixtures).
    """
    items = _flatten(zones)
    if not items:
        return MIN_FLOOR, MIN_FLOOR, []
    count = len(items)
    along = max(item.size[0] for _, item in items) + spacing  # a fixture's width runs along the alley
    across = max(item.size[2] for _, item in items)
    per_side = max(min(math.ceil(count / 2), MIN_RUN),
                   math.ceil(math.sqrt(count * (alley_width + 2 * across) / (2 * along))))
    columns = math.ceil(count / per_side)
    alley_count = math.ceil(columns / 2)
    block = alley_width + 2 * across
    inner = alley_count * block + (alley_count - 1) * BACK_TO_BACK
    width = max(MIN_FLOOR, inner + 2 * 0.5)
    depth = max(MIN_FLOOR, front + per_side * along + SIDE_WALK)
    left = -inner / 2
    placed: list[Placed] = []
    for column in range(columns):
        alley, side = divmod(column, 2)
        alley_left = left + alley * (block + BACK_TO_BACK) + across
        chunk = items[column * per_side:(column + 1) * per_side]
        for index, (zone, item) in enumerate(chunk):
            # Serpentine: down the left side of an alley, back up its right side, so zones stay together.
            slot = index if side == 0 else per_side - 1 - index
            z = depth / 2 - front - slot * along - along / 2
            if side == 0:
                x, rotation = alley_left - item.size[2] / 2, 90.0
            else:
                x, rotation = alley_left + alley_width + item.size[2] / 2, -90.0
            placed.append(Placed(item.kind, item.size, item.levels, zone, _r(x), _r(z), rotation))
    return _r(width), _r(depth), placed
