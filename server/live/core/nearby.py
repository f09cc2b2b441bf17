"""Whom a newcomer is told about first: the K nearest posed peers around its spawn point, with bounded work per join.

``welcome`` names a newcomer's K nearest peers (plus its cart group, see tick.py). Searching every member for each
join made a join O(n) (issue #22). Instead the room's members are bucketed on floor grids at most once per tick:
the first join after a tick builds them in a few vectorised passes, O(n) like (and far cheaper than) the tick's
own O(n·K) search. A join then looks only at the 3×3 cells around its spawn point, at no more than
``ROWS_PER_K · K`` rows per step, plus the newest ``FRESH_CAP`` shoppers seated since the grids were built.

The base grid's cell side is chosen from the crowd's density so that a 3×3 block holds about ``7 · K`` members,
enough to reach the K-th nearest head from a spawn point on the floor; finer grids (halving the side, down to
``MIN_CELL_CM``) are tried first, so a crowd packed around the spawn point is answered from small cells, and a
sparse spot widens the base block (rings 1, 2, 4 … ``MAX_RING``). Whatever the room's size, a join examines
about as many rows.

Distances are measured on the current positions, so the answer is ``nearest_k``'s (ordered by distance, then
peer id) whenever the cells searched cover the K-th distance. It can differ when a peer moved into reach since
the tick the grids were built after, or when more members crowd around the spawn point than one step may examine
(then the K nearest among the nearest cells' first rows). The welcome is a head start, not the authority: the
next tick computes the exact K nearest and announces anyone missing in its ``joined`` section.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any, Final

import numpy as np
from numpy.typing import NDArray

CELL_FACTOR: Final = 0.75  # base cell² = CELL_FACTOR · K · area / n (see the module docstring)
MIN_CELL_CM: Final = 25  # the finest grid's side at least
FINER_GRIDS: Final = 4  # grids finer than the base one, each halving the side
MAX_CELLS_PER_AXIS: Final = 512
ROWS_PER_K: Final = 16  # one step of a search examines at most this many rows per wanted peer
FRESH_CAP: Final = 64  # newcomers since the build a search looks at (the newest ones)
MAX_RING: Final = 16  # the base block widens 1, 2, 4, … cells around the spawn cell, up to this

IntArray = NDArray[np.intp]


@dataclass(slots=True)
class JoinWork:
    """What the welcome snapshots cost, counted (tests and bench/joins.py read it; nothing else does)."""

    rows: int = 0  # candidate rows examined by searches
    builds: int = 0  # grids built (each time all levels)
    indexed: int = 0  # rows bucketed by those builds (per level)


@functools.cache
def _offsets(ring: int) -> tuple[IntArray, IntArray]:
    """Cell offsets of a (2·ring+1)² block, nearest ring first (then by distance): truncation keeps near cells."""
    span = np.arange(-ring, ring + 1)
    dx, dz = np.repeat(span, len(span)), np.tile(span, len(span))
    order = np.lexsort((dx * dx + dz * dz, np.maximum(np.abs(dx), np.abs(dz))))
    return dx[order].astype(np.intp), dz[order].astype(np.intp)


@dataclass(slots=True)
class _Cells:
    """One grid: slots bucketed by floor cell in CSR form."""

    cell: int
    ox: int
    oz: int
    nx: int
    nz: int
    order: IntArray  # slots sorted by cell
    starts: NDArray[np.int64]
    counts: NDArray[np.int64]

    @classmethod
    def of(cls, slots: IntArray, x: NDArray[np.int64], z: NDArray[np.int64], cell: int) -> _Cells:
        ox, oz = int(x.min()), int(z.min())
        gx, gz = (x - ox) // cell, (z - oz) // cell
        nx, nz = int(gx.max()) + 1, int(gz.max()) + 1
        cid = gx * nz + gz
        counts = np.bincount(cid, minlength=nx * nz)
        return cls(cell, ox, oz, nx, nz, slots[np.argsort(cid, kind="stable")], np.cumsum(counts) - counts, counts)

    def block(self, px: int, pz: int, ring: int) -> tuple[IntArray, NDArray[np.int64], int, bool]:
        """The cells within ``ring`` of the cell of (px, pz), nearest first, and their counts; the reach (nobody
        outside the block is nearer on the floor) and whether the block covers the whole grid."""
        cell = self.cell
        fx, fz = px - self.ox, pz - self.oz
        rx, rz = fx // cell, fz // cell
        mx, mz = fx - rx * cell, fz - rz * cell
        reach = ring * cell + min(mx, cell - mx, mz, cell - mz)
        whole = rx - ring <= 0 and rz - ring <= 0 and rx + ring >= self.nx - 1 and rz + ring >= self.nz - 1
        dx, dz = _offsets(ring)
        gx, gz = rx + dx, rz + dz
        inside = (gx >= 0) & (gx < self.nx) & (gz >= 0) & (gz < self.nz)
        cells = (gx * self.nz + gz)[inside]
        return cells, self.counts[cells], reach, whole

    def gather(self, cells: IntArray, cnt: NDArray[np.int64], cap: int) -> tuple[IntArray, bool]:
        """The slots of ``cells`` in order, at most ``cap`` of them, and whether they were cut there."""
        before = np.cumsum(cnt) - cnt
        cut = bool(len(cnt)) and int(before[-1] + cnt[-1]) > cap
        if cut:
            cnt = np.clip(cap - before, 0, cnt)
        idx = np.repeat(self.starts[cells] - before, cnt) + np.arange(int(cnt.sum()))
        return self.order[idx], cut


@dataclass(slots=True)
class SpawnGrid:
    """The room's members on grids from fine to the base one, built after tick ``seq``; ``fresh`` are the slots
    seated since (not on the grids)."""

    seq: int
    levels: list[_Cells]  # finest first; the last is the base grid (empty room: none)
    size: int  # slots on the grids
    y_range: tuple[int, int] = (0, 0)  # of the slots on the grids: how far below heads a spawn point on the floor is
    fresh: list[int] = field(default_factory=list)

    @classmethod
    def build(cls, slots: IntArray, pos: NDArray[Any], has_pose: NDArray[np.bool_], k: int, seq: int) -> SpawnGrid:
        """Bucket ``slots`` by their position in ``pos`` (int16 cm, one row per slot) for searches of ``k``."""
        n = len(slots)
        if n == 0:
            return cls(seq, [], 0)
        x, z = pos[slots, 0].astype(np.int64), pos[slots, 2].astype(np.int64)
        extent = max(int(x.max() - x.min()), int(z.max() - z.min()), 1)
        # The density of the middle 90 %: a straggler at the far wall must not make every cell huge.
        cut = [n // 20, n - 1 - n // 20]
        xs, zs = np.partition(x, cut)[cut], np.partition(z, cut)[cut]
        area = max(float(xs[1] - xs[0]), 100.0) * max(float(zs[1] - zs[0]), 100.0)
        cell = int(max(100.0, np.sqrt(CELL_FACTOR * k * area / n)))
        cell = max(cell, extent // MAX_CELLS_PER_AXIS + 1)  # bounds the grid's dense cell arrays
        sides = [cell]
        while len(sides) <= FINER_GRIDS and sides[-1] // 2 >= max(MIN_CELL_CM, extent // MAX_CELLS_PER_AXIS + 1):
            sides.append(sides[-1] // 2)
        y = pos[slots[has_pose[slots]], 1]  # not the newcomers still standing on the spawn point
        heights = (int(y.min()), int(y.max())) if len(y) else (0, 0)
        return cls(seq, [_Cells.of(slots, x, z, side) for side in reversed(sides)], n, heights)

    def nearest(self, me: int, k: int, pos: NDArray[Any], ids: NDArray[Any], present: NDArray[np.bool_],
                has_pose: NDArray[np.bool_], work: JoinWork) -> list[int]:
        """Up to ``k`` present, posed slots nearest to slot ``me``'s position, nearest first (ties: lower id)."""
        if k <= 0:
            return []
        p = pos[me].astype(np.int64)
        px, pz = int(p[0]), int(p[2])
        # Nobody on the grids outside a block is nearer than its reach on the floor and this far in height.
        dy = max(0, self.y_range[0] - int(p[1]), int(p[1]) - self.y_range[1])
        fresh = np.asarray(self.fresh[-FRESH_CAP:], dtype=np.intp)
        cap = ROWS_PER_K * k
        if not self.levels:
            return self._best(fresh, me, k, p, pos, ids, present, has_pose, work)[0]
        *finer, base = self.levels
        for grid in finer:  # a small block of small cells answers a crowd: most joins stop at the first that does
            cells, cnt, reach, whole = grid.block(px, pz, 1)
            if int(cnt.sum()) + len(fresh) < 2 * k and not whole:
                continue  # too few here: the K-th nearest would lie at the block's edge, beyond its reach
            block, cut = grid.gather(cells, cnt, cap)
            out, kth = self._best(np.concatenate([block, fresh]), me, k, p, pos, ids, present, has_pose, work)
            if whole or cut or (len(out) == k and kth < reach * reach + dy * dy):
                return out
        ring = 1
        while True:
            cells, cnt, reach, whole = base.block(px, pz, ring)
            block, cut = base.gather(cells, cnt, cap)
            out, kth = self._best(np.concatenate([block, fresh]), me, k, p, pos, ids, present, has_pose, work)
            if whole or cut or ring >= MAX_RING or (len(out) == k and kth < reach * reach + dy * dy):
                return out
            ring *= 2

    @staticmethod
    def _best(rows: IntArray, me: int, k: int, p: NDArray[np.int64], pos: NDArray[Any], ids: NDArray[Any],
              present: NDArray[np.bool_], has_pose: NDArray[np.bool_], work: JoinWork) -> tuple[list[int], int]:
        """The ``k`` nearest of ``rows`` that are present and posed (not ``me``), and the K-th squared distance."""
        rows = np.unique(rows)  # a freed slot may be on a grid and fresh again
        work.rows += len(rows)
        rows = rows[present[rows] & has_pose[rows] & (rows != me)]
        d = pos[rows].astype(np.int64) - p
        d2 = np.einsum("ij,ij->i", d, d)
        key = (d2 << 16) | ids[rows].astype(np.int64)
        pick = np.argpartition(key, k - 1)[:k] if len(key) > k else np.arange(len(key))
        pick = pick[np.argsort(key[pick])]
        out: list[int] = rows[pick].tolist()
        return out, int(d2[pick[-1]]) if len(pick) else 0
