"""Procedural fixtures in local coordinates: footprint centred on the origin, floor at y = 0, front +Z.

Level boards sit where the products on the fixture actually rest (passed in as ``boards``), so the
geometry matches whatever heights placement chose; without products the levels are spaced evenly.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from storefront_builder.geometry.mesh import MeshData, box_between, lathe, transform, trs_matrix
from storefront_builder.plan import FixtureType

Parts = dict[str, list[MeshData]]
BOARD = 0.025
PANEL = 0.03


def even_boards(height: float, levels: int, *, base: float = 0.1) -> tuple[float, ...]:
    """Evenly spaced board tops from ``base`` up to below the top, one per level."""
    step = (height - base) / max(levels, 1)
    return tuple(round(base + i * step, 3) for i in range(levels))


def _boards(parts: Parts, mat: str, w: float, z0: float, z1: float, tops: Sequence[float]) -> None:
    for y in tops:
        if y > BOARD:
            parts.setdefault(mat, []).append(box_between((-w / 2, y - BOARD, z0), (w / 2, y, z1)))


def _shelf(w: float, h: float, d: float, tops: Sequence[float]) -> Parts:
    hx, hz = w / 2, d / 2
    parts: Parts = {
        "fixture_panel": [
            box_between((-hx, 0, -hz), (hx, h, -hz + PANEL)),            # back
            box_between((-hx, 0, -hz), (-hx + PANEL, h, hz)),            # sides
            box_between((hx - PANEL, 0, -hz), (hx, h, hz)),
            box_between((-hx, h - PANEL, -hz), (hx, h, hz)),             # top
        ],
        "fixture_wood": [box_between((-hx, 0, -hz), (hx, 0.1, hz))],   # kick base
    }
    _boards(parts, "fixture_wood", w - 2 * PANEL, -hz + PANEL, hz, tops)
    return parts


def _gondola(w: float, h: float, d: float, tops: Sequence[float]) -> Parts:
    hx, hz = w / 2, d / 2
    parts: Parts = {
        "fixture_metal": [
            box_between((-hx, 0, -PANEL / 2), (hx, h, PANEL / 2)),       # spine
            box_between((-hx, 0, -hz), (-hx + PANEL, h, hz)),
            box_between((hx - PANEL, 0, -hz), (hx, h, hz)),
        ],
        "fixture_wood": [box_between((-hx, 0, -hz), (hx, 0.1, hz))],
        "light_strip": [box_between((-hx, h, -0.06), (hx, h + 0.08, 0.06))],
    }
    _boards(parts, "fixture_wood", w - 2 * PANEL, -hz, hz, tops)
    return parts


def _table(w: float, h: float, d: float, tops: Sequence[float]) -> Parts:
    hx, hz, leg = w / 2, d / 2, 0.06
    top = max([h, *tops]) if tops else h
    legs = [
        box_between((sx * (hx - 0.05) - leg / 2, 0, sz * (hz - 0.05) - leg / 2),
                    (sx * (hx - 0.05) + leg / 2, top - 0.04, sz * (hz - 0.05) + leg / 2))
        for sx in (-1, 1) for sz in (-1, 1)
    ]
    parts: Parts = {"fixture_wood": [box_between((-hx, top - 0.04, -hz), (hx, top, hz))], "fixture_metal": legs}
    _boards(parts, "fixture_wood", w, -hz, hz, [y for y in tops if y < top - 0.1])
    return parts


def _rack(w: float, h: float, d: float, tops: Sequence[float]) -> Parts:
    hx, r = w / 2, 0.02
    rail = lathe([(r, -hx), (r, hx)], 8)
    # The lathe runs along Y; turn it onto X and lift it to the rail height.
    turn = np.array([[0, 1, 0, 0], [-1, 0, 0, h - 0.05], [0, 0, 1, 0], [0, 0, 0, 1]], dtype=np.float64)
    rail_x = transform(rail, turn)
    post = hx - 0.03  # uprights and feet stay inside the footprint
    uprights = [box_between((sx * post - 0.025, 0, -0.025), (sx * post + 0.025, h, 0.025)) for sx in (-1, 1)]
    feet = [box_between((sx * post - 0.03, 0, -d / 2), (sx * post + 0.03, 0.04, d / 2)) for sx in (-1, 1)]
    parts: Parts = {"fixture_metal": [rail_x, *uprights, *feet]}
    _boards(parts, "fixture_wood", w, -d / 2, d / 2, [y for y in tops if y < h - 0.3])
    return parts


def _fridge(w: float, h: float, d: float, tops: Sequence[float]) -> Parts:
    hx, hz = w / 2, d / 2
    parts: Parts = {
        "fridge_body": [
            box_between((-hx, 0, -hz), (hx, h, -hz + PANEL)),
            box_between((-hx, 0, -hz), (-hx + PANEL, h, hz)),
            box_between((hx - PANEL, 0, -hz), (hx, h, hz)),
            box_between((-hx, h - 0.15, -hz), (hx, h, hz)),
            box_between((-hx, 0, -hz), (hx, 0.12, hz)),
        ],
        "glass": [box_between((-hx + PANEL, 0.12, hz - 0.01), (hx - PANEL, h - 0.15, hz))],
        "light_strip": [box_between((-hx + 0.05, h - 0.12, hz - 0.02), (hx - 0.05, h - 0.04, hz))],
    }
    _boards(parts, "fixture_metal", w - 2 * PANEL, -hz + PANEL, hz - 0.02, tops)
    return parts


def _counter(w: float, h: float, d: float, tops: Sequence[float]) -> Parts:
    hx, hz = w / 2, d / 2
    parts: Parts = {
        "fixture_panel": [box_between((-hx + 0.03, 0, -hz + 0.03), (hx - 0.03, h - 0.04, hz - 0.03))],
        "counter_top": [box_between((-hx, h - 0.04, -hz), (hx, h, hz))],
    }
    _boards(parts, "fixture_wood", w - 0.1, -hz + 0.05, hz - 0.05, [y for y in tops if y < h - 0.1])
    return parts


def _stall(w: float, h: float, d: float, tops: Sequence[float]) -> Parts:
    hx, hz = w / 2, d / 2
    table_h = min([0.85, *tops]) if tops else 0.85
    table_h = max(table_h, 0.5)
    parts = _table(w, table_h, d, [y for y in tops if y < table_h])
    roof = max(h, table_h + 1.0)
    poles = [box_between((sx * hx - 0.03, 0, sz * hz - 0.03), (sx * hx + 0.03, roof, sz * hz + 0.03))
             for sx in (-1, 1) for sz in (-1, 1)]
    parts.setdefault("fixture_metal", []).extend(poles)
    stripes = 6
    for i in range(stripes):
        x0, x1 = -hx - 0.1 + i * (w + 0.2) / stripes, -hx - 0.1 + (i + 1) * (w + 0.2) / stripes
        mat = "awning_red" if i % 2 == 0 else "awning_white"
        parts.setdefault(mat, []).append(box_between((x0, roof, -hz - 0.1), (x1, roof + 0.02, hz + 0.25)))
    _boards(parts, "fixture_wood", w, -hz, hz, [y for y in tops if table_h + 0.1 < y < roof - 0.2])
    return parts


def _display_case(w: float, h: float, d: float, tops: Sequence[float]) -> Parts:
    hx, hz = w / 2, d / 2
    base_h = min(0.4, h / 2)
    parts: Parts = {
        "fixture_wood": [box_between((-hx, 0, -hz), (hx, base_h, hz))],
        "glass": [box_between((-hx, base_h, -hz), (hx, h, hz))],
        "fixture_metal": [box_between((-hx, h - 0.02, -hz), (hx, h, hz))],
    }
    _boards(parts, "glass", w - 0.04, -hz + 0.02, hz - 0.02, [y for y in tops if y > base_h + 0.05])
    return parts


_BUILDERS: dict[FixtureType, Callable[[float, float, float, Sequence[float]], Parts]] = {
    "shelf": _shelf, "gondola": _gondola, "table": _table, "rack": _rack, "fridge": _fridge,
    "counter": _counter, "stall": _stall, "display_case": _display_case,
}


def fixture_parts(kind: FixtureType, size: Sequence[float], boards: Sequence[float]) -> Parts:
    """Geometry of one fixture, grouped by palette material, in the fixture's local frame."""
    w, h, d = (max(float(v), 0.05) for v in size)
    return _BUILDERS[kind](w, h, d, sorted(set(boards)))


def place(parts: Parts, position: Sequence[float], rotation_y: float) -> Parts:
    """The same parts moved into the store frame (used when a fixture is baked, not instanced)."""
    m = trs_matrix(position, rotation_y)
    return {mat: [transform(p, m) for p in meshes] for mat, meshes in parts.items()}
