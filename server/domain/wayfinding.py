"""The way to a product on a store's floor, with no I/O: a walkable grid from the scene manifest and A* on it.

The manifest (storefront_builder/build_steps/output.py ``manifest()``) holds ``walkable``: rectangles ``[x0, z0,
x1, z1]`` of floor free of fixtures (the builder already cut the fixtures' footprints and a wall margin out), the
store's ``bounds``, and per product its pick box (``position``, ``rotation_y``, ``size``) and ``tag``, the point
at the front of its slot. A cell of the grid is walkable when its centre lies in one of the rectangles. The goal
is a point ``STAND_OFF`` metres in front of the slot, moved to the nearest walkable cell. Moves go to the eight
neighbours, never across a corner of a blocked cell; the path is the centres of the cells, with the points that
lie on a straight run dropped and the grid's stair steps straightened wherever the straight leg stays on the walkable
rectangles (``straighten``). A walk may also end in front of a portal (``portal_front``: on the walkable side of
its doorway, clear of the doorway itself, so following the walk never carries the shopper through it).
"""

from __future__ import annotations

import heapq
import math
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

CELL = 0.25  # metres: finer than the narrowest gap the builder keeps (0.4 m)
STAND_OFF = 0.6  # metres in front of the slot where a shopper stands to look at it
PORTAL_STAND_OFF = 1.0  # metres from a portal's centre: past the doorway a client walks through (0.35 m deep)
Point = tuple[float, float]  # x, z on the floor
Cell = tuple[int, int]  # column (x), row (z)


@dataclass(frozen=True)
class Grid:
    x0: float
    z0: float
    cell: float
    columns: int
    rows: int
    free: frozenset[Cell]
    rects: tuple[tuple[float, float, float, float], ...] = ()  # the walkable rectangles the grid was made from

    def cell_of(self, point: Point) -> Cell:
        return (min(self.columns - 1, max(0, int((point[0] - self.x0) // self.cell))),
                min(self.rows - 1, max(0, int((point[1] - self.z0) // self.cell))))

    def centre(self, cell: Cell) -> Point:
        return (round(self.x0 + (cell[0] + 0.5) * self.cell, 4), round(self.z0 + (cell[1] + 0.5) * self.cell, 4))


def grid(manifest: Mapping[str, Any], cell: float = CELL) -> Grid:
    """The walkable grid of a store's manifest."""
    lo, hi = manifest["bounds"]["min"], manifest["bounds"]["max"]
    x0, z0 = float(lo[0]), float(lo[2])
    columns, rows = max(1, math.ceil((float(hi[0]) - x0) / cell)), max(1, math.ceil((float(hi[2]) - z0) / cell))
    rects = [(float(r[0]), float(r[1]), float(r[2]), float(r[3])) for r in manifest.get("walkable", [])]
    free = set()
    for rx0, rz0, rx1, rz1 in rects:
        for c in range(max(0, int((rx0 - x0) // cell)), min(columns, math.ceil((rx1 - x0) / cell))):
            cx = x0 + (c + 0.5) * cell
            if not rx0 <= cx <= rx1:
                continue
            for r in range(max(0, int((rz0 - z0) // cell)), min(rows, math.ceil((rz1 - z0) / cell))):
                if rz0 <= z0 + (r + 0.5) * cell <= rz1:
                    free.add((c, r))
    return Grid(x0, z0, cell, columns, rows, frozenset(free), tuple(rects))


def slot_front(product: Mapping[str, Any], stand_off: float = STAND_OFF) -> Point:
    """Where a shopper stands to face a product: ``stand_off`` in front of its slot's tag (or pick box)."""
    turn = math.radians(float(product.get("rotation_y", 0.0)))
    base = product.get("tag") or product["position"]
    return (float(base[0]) + stand_off * math.sin(turn), float(base[2]) + stand_off * math.cos(turn))


def nearest_free(g: Grid, point: Point, reach: float = 3.0) -> Cell | None:
    """The walkable cell nearest ``point`` (breadth-first over cells, at most ``reach`` metres away)."""
    start = g.cell_of(point)
    limit = math.ceil(reach / g.cell)
    seen, queue = {start}, deque([start])
    best: tuple[float, Cell] | None = None
    while queue:
        c = queue.popleft()
        if abs(c[0] - start[0]) > limit or abs(c[1] - start[1]) > limit:
            continue
        if c in g.free:
            cx, cz = g.centre(c)
            d = math.hypot(cx - point[0], cz - point[1])
            if best is None or d < best[0]:
                best = (d, c)
            continue
        for n in _around(c, g):
            if n not in seen:
                seen.add(n)
                queue.append(n)
    return best[1] if best else None


def _around(c: Cell, g: Grid) -> Iterable[Cell]:
    for dc, dr in ((1, 0), (-1, 0), (0, 1), (0, -1)):
        n = (c[0] + dc, c[1] + dr)
        if 0 <= n[0] < g.columns and 0 <= n[1] < g.rows:
            yield n


_MOVES = [(dc, dr, math.hypot(dc, dr)) for dc in (-1, 0, 1) for dr in (-1, 0, 1) if dc or dr]


def astar(g: Grid, start: Cell, goal: Cell) -> list[Cell] | None:
    """The shortest 8-connected path of free cells (no corner cutting), or None when there is none."""
    if start not in g.free or goal not in g.free:
        return None

    def h(c: Cell) -> float:  # octile distance: exact on an empty grid, so never more than the real cost
        dx, dz = abs(c[0] - goal[0]), abs(c[1] - goal[1])
        return max(dx, dz) + (math.sqrt(2) - 1) * min(dx, dz)

    came: dict[Cell, Cell] = {}
    cost = {start: 0.0}
    heap = [(h(start), 0.0, start)]
    while heap:
        _, spent, c = heapq.heappop(heap)
        if c == goal:
            path = [c]
            while c in came:
                c = came[c]
                path.append(c)
            return path[::-1]
        if spent > cost.get(c, math.inf):
            continue
        for dc, dr, step in _MOVES:
            n = (c[0] + dc, c[1] + dr)
            if n not in g.free or (dc and dr and ((c[0] + dc, c[1]) not in g.free or (c[0], c[1] + dr) not in g.free)):
                continue
            total = spent + step
            if total < cost.get(n, math.inf):
                cost[n], came[n] = total, c
                heapq.heappush(heap, (total + h(n), total, n))
    return None


def simplify(points: Sequence[Point]) -> list[Point]:
    """The points where the path turns (and its ends)."""
    if len(points) < 3:
        return list(points)
    kept = [points[0]]
    for before, here, after in zip(points, points[1:], points[2:], strict=False):
        cross = (here[0] - before[0]) * (after[1] - here[1]) - (here[1] - before[1]) * (after[0] - here[0])
        if abs(cross) > 1e-9:
            kept.append(here)
    kept.append(points[-1])
    return kept


def product_entry(manifest: Mapping[str, Any], sku: str) -> Mapping[str, Any] | None:
    """The manifest's entry of a product by its SKU or any of its variants' (the shelf shows one per product)."""
    products = manifest.get("products", {})
    found: Mapping[str, Any] | None = products.get(sku) or next(
        (p for p in products.values() if sku in p.get("variants", ())), None)
    return found


def portal_front(g: Grid, portal: Mapping[str, Any], stand_off: float = PORTAL_STAND_OFF) -> Point:
    """Where a shopper stands before a portal: ``stand_off`` along its facing, on the side with walkable floor."""
    turn = math.radians(float(portal.get("rotation_y", 0.0)))
    x, z = float(portal["position"][0]), float(portal["position"][2])
    sides = [(x + s * stand_off * math.sin(turn), z + s * stand_off * math.cos(turn)) for s in (1, -1)]

    def miss(point: Point) -> float:  # how far the nearest walkable cell is (inf: none near)
        cell = nearest_free(g, point, reach=stand_off)
        return math.dist(g.centre(cell), point) if cell is not None else math.inf

    return min(sides, key=miss)


def walk(g: Grid, start: Point, goal: Point) -> list[Point] | None:
    """The turning points of the shortest walk from the walkable cell nearest ``start`` to the one nearest ``goal``;
    None when either has no walkable cell near or no way joins them."""
    first, last = nearest_free(g, start), nearest_free(g, goal)
    if first is None or last is None:
        return None
    cells = astar(g, first, last)
    return straighten(g, simplify([g.centre(c) for c in cells])) if cells is not None else None


def on_floor(g: Grid, a: Point, b: Point, step: float = 0.05) -> bool:
    """Whether the straight leg a→b stays on the walkable rectangles (checked every ``step`` metres)."""
    n = max(1, math.ceil(math.dist(a, b) / step))
    for i in range(n + 1):
        x, z = a[0] + (b[0] - a[0]) * i / n, a[1] + (b[1] - a[1]) * i / n
        if not any(r[0] <= x <= r[2] and r[1] <= z <= r[3] for r in g.rects):
            return False
    return True


def straighten(g: Grid, points: list[Point]) -> list[Point]:
    """The path with the grid's stair steps taken out: from each kept point, straight on to the farthest later point
    the leg to which stays on the floor (a grid without its rectangles is left as it is)."""
    if not g.rects or len(points) < 3:
        return points
    kept, i = [points[0]], 0
    while i < len(points) - 1:
        j = next(j for j in range(len(points) - 1, i, -1) if j == i + 1 or on_floor(g, points[i], points[j]))
        kept.append(points[j])
        i = j
    return kept


def path_to_product(manifest: Mapping[str, Any], start: Point, sku: str, cell: float = CELL) -> list[Point] | None:
    """The walk from ``start`` to the front of product ``sku``'s slot (by its SKU or any of its variants'), as floor
    points from the nearest walkable cell of ``start`` to the nearest walkable cell in front of the slot; None
    when the product is not in the scene or no way leads there."""
    product = product_entry(manifest, sku)
    if product is None:
        return None
    return walk(grid(manifest, cell), start, slot_front(product))
