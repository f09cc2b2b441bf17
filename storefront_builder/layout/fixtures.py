"""Fixture types: default sizes, shelf levels and the rows of slots products stand in.

One place decides where a fixture's shelves are, so auto-layout (which sizes fixtures for a catalog),
placement (which fills them) and the scene writer (which draws the boards) agree. In a fixture's local frame
the footprint is x ∈ [-w/2, w/2], z ∈ [-d/2, d/2], y ∈ [0, h]; the front faces +Z. Level k (1-based, from
the bottom) is a board at ``level_heights(...)[k - 1]``; a product on it must stay below the next board.
"""

from __future__ import annotations

from dataclasses import dataclass

from storefront_builder.plan import FixtureType

BOARD = 0.02  # thickness of a shelf board: a product's top stays this far under the next level
EDGE = 0.02  # kept free at both ends of a row and at the front and back edges
GAP = 0.02  # between neighbouring products: a slot is the product's width plus this
EYE_LEVEL = 1.2  # rows nearest this height are filled first, so low ranks are seen first


@dataclass(frozen=True, slots=True)
class FixtureDefaults:
    """Defaults of one fixture type."""

    size: tuple[float, float, float]  # width, height, depth
    levels: int
    faces: int  # 1: products face the front only; 2: front and back (gondola, table)
    base: float  # height of the lowest board; clamped to half the fixture's height


FIXTURE_TYPES: dict[FixtureType, FixtureDefaults] = {
    "shelf": FixtureDefaults((2.0, 2.0, 0.5), 5, 1, 0.1),
    "gondola": FixtureDefaults((2.4, 1.8, 1.0), 5, 2, 0.1),
    "table": FixtureDefaults((1.8, 1.1, 1.2), 1, 2, 0.7),
    "rack": FixtureDefaults((1.8, 1.8, 0.6), 2, 1, 0.2),
    "fridge": FixtureDefaults((1.2, 2.0, 0.7), 5, 1, 0.1),
    "counter": FixtureDefaults((2.0, 1.3, 0.6), 1, 1, 0.9),
    "stall": FixtureDefaults((2.5, 1.6, 1.5), 2, 1, 0.6),
    "display_case": FixtureDefaults((3.0, 2.0, 0.8), 3, 1, 0.3),
}


@dataclass(frozen=True, slots=True)
class Row:
    """One row of slots: a level on one face of a fixture, in the fixture's local frame."""

    level: int  # 1-based, from the bottom
    face: int  # 0 front (+Z), 1 back (-Z)
    y: float  # height of the board products stand on
    clearance: float  # free height above the board
    depth: float  # free depth for a product on this face
    length: float  # free length along local X
    z_front: float  # local z of this face's front edge (products are pushed against it)

    def fits(self, width: float, height: float, depth: float) -> bool:
        """Whether an empty row could hold a product of this size."""
        return width + GAP <= self.length + 1e-9 and height <= self.clearance + 1e-9 and depth <= self.depth + 1e-9


def resolved_levels(kind: FixtureType, levels: int | None) -> int:
    """The fixture's level count: as given, else the type's default."""
    return FIXTURE_TYPES[kind].levels if levels is None else levels


def level_heights(kind: FixtureType, height: float, levels: int) -> list[float]:
    """Heights of the boards of a fixture, bottom first (what the scene writer draws)."""
    base = min(FIXTURE_TYPES[kind].base, height / 2)
    pitch = (height - base) / levels
    return [base + index * pitch for index in range(levels)]


def fixture_rows(kind: FixtureType, size: tuple[float, float, float], levels: int) -> list[Row]:
    """Rows of a fixture in fill order: eye level first, the front face before the back."""
    width, height, depth = size
    spec = FIXTURE_TYPES[kind]
    heights = level_heights(kind, height, levels)
    pitch = (height - heights[0]) / levels
    clearance = pitch - BOARD
    length = width - 2 * EDGE
    # Two faces share the depth, with a divider along the middle.
    face_depth = depth / 2 - EDGE - GAP / 2 if spec.faces == 2 else depth - 2 * EDGE
    rows = [
        Row(level=index + 1, face=face, y=y, clearance=clearance, depth=face_depth, length=length,
            z_front=depth / 2 - EDGE)
        for index, y in enumerate(heights)
        for face in range(spec.faces)
    ]
    rows.sort(key=lambda row: (round(abs(row.y + row.clearance / 2 - EYE_LEVEL), 6), row.level, row.face))
    return rows
