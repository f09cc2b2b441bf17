"""The way to a product (issue 21): a walkable grid from the scene manifest and A* on it, a pure function."""

from __future__ import annotations

import itertools
import math
from typing import Any

import numpy as np

from server.domain.wayfinding import Grid, astar, grid, path_to_product, simplify, slot_front, walk
from storefront_builder.layout.geometry import walkable_rects

# A 10 × 10 m store with a shelf wall across the middle (x −5…3, z −0.5…0.5): the way round is at the right.
SHELF = [-5.0, -0.5, 3.0, 0.5]


def _manifest(**products: dict[str, Any]) -> dict[str, Any]:
    rects = walkable_rects(10.0, 10.0, np.array([SHELF]))
    return {"bounds": {"min": [-5.0, 0.0, -5.0], "max": [5.0, 3.0, 5.0]},
            "walkable": [list(r) for r in rects], "products": products}


def _walkable(manifest: dict[str, Any], p: tuple[float, float]) -> bool:
    return any(r[0] <= p[0] <= r[2] and r[1] <= p[1] <= r[3] for r in manifest["walkable"])


def _segment_clear(manifest: dict[str, Any], a: tuple[float, float], b: tuple[float, float]) -> bool:
    steps = max(2, int(math.dist(a, b) / 0.05))
    return all(_walkable(manifest, (a[0] + (b[0] - a[0]) * t / steps, a[1] + (b[1] - a[1]) * t / steps))
               for t in range(steps + 1))


def test_the_path_goes_round_the_shelf_to_the_front_of_the_slot() -> None:
    # A product on the shelf's far side, facing −z (rotation 180°): its front is at z < −0.5.
    manifest = _manifest(**{"MUG-1": {"position": [-2.0, 1.0, -0.3], "rotation_y": 180.0, "size": [0.2, 0.2, 0.2],
                                      "tag": [-2.0, 1.0, -0.41], "variants": ["MUG-1", "MUG-2"]}})
    front = slot_front(manifest["products"]["MUG-1"])
    assert front == (-2.0 + 0.6 * math.sin(math.pi), -0.41 - 0.6)
    path = path_to_product(manifest, (-2.0, 4.0), "MUG-2")  # a variant's SKU finds its slot
    assert path is not None
    assert math.dist(path[0], (-2.0, 4.0)) < 0.25 and math.dist(path[-1], front) < 0.4
    assert max(x for x, _ in path) > 3.0  # round the end of the shelf
    for a, b in itertools.pairwise(path):  # every straight leg stays on the floor
        assert _segment_clear(manifest, a, b)


def test_no_way_and_no_product_are_none() -> None:
    walled = {"bounds": {"min": [0, 0, 0], "max": [4, 3, 2]}, "walkable": [[0.3, 0.3, 1.5, 1.7], [2.5, 0.3, 3.7, 1.7]],
              "products": {"A": {"position": [3.0, 1.0, 1.0], "rotation_y": 0.0, "size": [0.2, 0.2, 0.2]}}}
    assert path_to_product(walled, (0.5, 1.0), "A") is None  # the two rooms do not touch
    assert path_to_product(walled, (3.2, 0.5), "A") is not None
    assert path_to_product(walled, (0.5, 1.0), "NOPE") is None


def test_astar_is_shortest_and_never_cuts_a_corner() -> None:
    g = grid({"bounds": {"min": [0, 0, 0], "max": [3, 1, 3]}, "walkable": [[0, 0, 3, 3]]}, cell=1.0)
    assert len(g.free) == 9
    assert astar(g, (0, 0), (2, 2)) == [(0, 0), (1, 1), (2, 2)]
    blocked = Grid(g.x0, g.z0, g.cell, g.columns, g.rows, g.free - {(1, 0)})
    path = astar(blocked, (0, 0), (2, 0))
    assert path == [(0, 0), (0, 1), (1, 1), (2, 1), (2, 0)]  # round the blocked cell, never diagonally past it
    assert simplify([(0, 0), (1, 0), (2, 0), (2, 1)]) == [(0, 0), (2, 0), (2, 1)]


def test_the_grid_stair_steps_are_straightened_where_the_floor_allows() -> None:
    # An open floor: the diagonal walk is one straight leg, not the grid's stairs of 8-neighbour moves.
    open_floor = {"bounds": {"min": [0, 0, 0], "max": [10, 3, 4]}, "walkable": [[0.3, 0.3, 9.7, 3.7]]}
    path = walk(grid(open_floor), (0.5, 0.5), (9.5, 3.0))
    assert path is not None and len(path) == 2
    # Round a shelf the legs bend at its end and every one stays on the floor.
    manifest = _manifest(**{"A": {"position": [-2.0, 1.0, -0.3], "rotation_y": 180.0, "size": [0.2, 0.2, 0.2]}})
    bent = walk(grid(manifest), (-4.0, 4.0), (-4.0, -4.0))
    assert bent is not None and 3 <= len(bent) <= 4
    assert all(_segment_clear(manifest, a, b) for a, b in itertools.pairwise(bent))
