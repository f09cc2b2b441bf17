"""Vectorised interest management: for every recipient, the K nearest candidates (exact).

Result semantics (the tests compare with a brute-force reference): for each recipient, the candidates other
than itself (different id) within ``max_dist_cm``, ordered by squared 3-D distance in integer cm² and then by
candidate id, truncated to ``k``.

Small sets are solved by brute force as dense (recipients × candidates) blocks with ``np.partition``.
Larger ones use a uniform grid on the floor plane (x, z): each recipient gets the candidates of its 3×3 block
of cells. Its answer is exact when its K-th distance is within the block's *covered radius* (one cell plus
its distance to its own cell's nearest edge: nothing outside the block can be closer) or when that radius
already reaches ``max_dist_cm``. Recipients that are not settled (sparse areas, edges of the floor) retry on
a grid with cells twice as large, and the last few by brute force. Recipients standing in a crowd (their
block holds many times K) are first tried on cells half as large, down to ``MIN_CELL_CM``: ranking a whole
crowd for each of its members would cost the square of the crowd. The pair arrays are flat (recipient,
candidate) and sorted by one packed int64 key, so there is no per-recipient Python loop.
"""

from __future__ import annotations

from typing import Final, NamedTuple

import numpy as np
from numpy.typing import NDArray

MAX_RECIPIENTS: Final = 1 << 13  # the packed sort key keeps 13 bits for the recipient index
BRUTE_FORCE_MAX: Final = 256  # up to BRUTE_FORCE_MAX² recipient × candidate pairs, dense beats the grid
CELL_FACTOR: Final = 0.3  # see nearest_k; tuned with bench/realtime_room.py
MAX_CELLS_PER_AXIS: Final = 512
CHUNK_PAIRS: Final = 65536  # dense brute-force block size (entries): bounds temporary memory
# A recipient whose 3×3 block holds more than CROWDED × k candidates stands in a crowd: it is solved on cells half
# as large first (down to MIN_CELL_CM), where its K nearest still are, instead of ranking the whole crowd.
CROWDED: Final = 8
MIN_CELL_CM: Final = 25
_D2_BITS: Final = 34  # int16 cm coordinates: 3 × 65535² < 2**34
_ID_BITS: Final = 16
_NONE: Final = np.int64(np.iinfo(np.int64).max)  # a dense key that is no candidate (self, too far)

IntArray = NDArray[np.intp]


class Pairs(NamedTuple):
    """Flat interest pairs, grouped by recipient and ordered by distance within a recipient."""

    rec: IntArray  # index into the recipient arrays
    cand: IntArray  # index into the candidate arrays
    d2: NDArray[np.int64]  # squared distance in cm²


def _empty() -> Pairs:
    z = np.zeros(0, dtype=np.intp)
    return Pairs(z, z.copy(), np.zeros(0, dtype=np.int64))


class _Points(NamedTuple):
    """Coordinates as separate int64 columns (1-D gathers are much cheaper than row gathers) plus ids."""

    x: NDArray[np.int64]
    y: NDArray[np.int64]
    z: NDArray[np.int64]
    ids: NDArray[np.int64]

    @classmethod
    def of(cls, pos: NDArray[np.integer], ids: NDArray[np.integer]) -> _Points:
        p = pos.astype(np.int64)
        return cls(p[:, 0].copy(), p[:, 1].copy(), p[:, 2].copy(), ids.astype(np.int64))


def _top_k(
    rec: IntArray, cand: IntArray, r: _Points, c: _Points, cmap: IntArray, k: int, lim: NDArray[np.int64],
) -> Pairs:
    """Each recipient's k best among the pairs with d2 ≤ ``lim[recipient]`` (any order in, sorted out)."""
    dx = c.x[cand] - r.x[rec]
    d2 = dx * dx
    dx = c.y[cand] - r.y[rec]
    d2 += dx * dx
    dx = c.z[cand] - r.z[rec]
    d2 += dx * dx
    cid = c.ids[cand]
    keep = (d2 <= lim[rec]) & (cid != r.ids[rec])
    # One packed key orders by (recipient, distance, candidate id); np.sort on int64 is far faster than
    # lexsort/argsort and the candidate is recovered from its id. Packed whole, then filtered: one masked
    # gather instead of three.
    key = ((rec.astype(np.int64) << (_D2_BITS + _ID_BITS)) | (d2 << _ID_BITS) | cid)[keep]
    n = len(key)
    if n == 0:
        return _empty()
    key.sort()
    srec = (key >> (_D2_BITS + _ID_BITS)).astype(np.intp)
    idx = np.arange(n)
    start = np.empty(n, dtype=bool)
    start[0] = True
    np.not_equal(srec[1:], srec[:-1], out=start[1:])
    rank = idx - np.maximum.accumulate(np.where(start, idx, 0))
    sel = rank < k
    key = key[sel]
    return Pairs(
        rec=srec[sel],
        cand=cmap[key & ((1 << _ID_BITS) - 1)],
        d2=(key >> _ID_BITS) & ((1 << _D2_BITS) - 1),
    )


def _dense(recs: IntArray, r: _Points, c: _Points, cmap: IntArray, k: int, max_d2: int) -> Pairs:
    """Brute force as dense (recipients × candidates) key blocks: one ``np.partition`` per block."""
    n_c = len(c.x)
    kk = min(k, n_c)
    out = []
    step = max(1, CHUNK_PAIRS // n_c)  # blocks small enough to stay in cache
    for i in range(0, len(recs), step):
        rows = recs[i : i + step]
        d = r.x[rows, None] - c.x[None, :]
        d2 = d * d
        d = r.y[rows, None] - c.y[None, :]
        d2 += d * d
        d = r.z[rows, None] - c.z[None, :]
        d2 += d * d
        key = (d2 << _ID_BITS) | c.ids[None, :]
        key[(d2 > max_d2) | (r.ids[rows, None] == c.ids[None, :])] = _NONE
        if kk < n_c:
            key = np.partition(key, kk - 1, axis=1)[:, :kk]
        key.sort(axis=1)
        valid = key != _NONE
        out.append((np.repeat(rows, kk)[valid.ravel()], key[valid]))
    keys = np.concatenate([o[1] for o in out])
    return Pairs(
        rec=np.concatenate([o[0] for o in out]),
        cand=cmap[keys & ((1 << _ID_BITS) - 1)],
        d2=keys >> _ID_BITS,
    )


class _Grid:
    """Candidates bucketed by floor cell, in CSR form (cell → run of candidate indices)."""

    def __init__(self, c: _Points, cell: int) -> None:
        self.cell = cell
        self.ox, self.oz = int(c.x.min()), int(c.z.min())
        gx, gz = (c.x - self.ox) // cell, (c.z - self.oz) // cell
        self.nx, self.nz = int(gx.max()) + 1, int(gz.max()) + 1
        cid = gx * self.nz + gz
        self.order = np.argsort(cid, kind="stable").astype(np.intp)
        self.counts = np.bincount(cid, minlength=self.nx * self.nz)
        self.starts = np.cumsum(self.counts) - self.counts

    def crowded(self, recs: IntArray, r: _Points, limit: int) -> NDArray[np.bool_]:
        """Which recipients have more than ``limit`` candidates in their 3×3 block of cells."""
        cells, inside, _ = self._blocks(recs, r, 1)
        held: NDArray[np.int64] = np.where(inside, self.counts[cells], 0).sum(axis=1)
        return held > limit

    def pairs(self, recs: IntArray, r: _Points, ring: int) -> tuple[IntArray, IntArray, NDArray[np.int64]]:
        """Pairs whose cells are within ``ring`` cells of the recipient's, and each recipient's covered
        radius: every candidate closer than it is among the pairs."""
        cells, inside, covered = self._blocks(recs, r, ring)
        cnt = np.where(inside, self.counts[cells], 0).ravel()
        st = self.starts[cells].ravel()
        total = int(cnt.sum())
        run_start = np.cumsum(cnt) - cnt
        within = np.arange(total) - np.repeat(run_start, cnt)
        cand = self.order[np.repeat(st, cnt) + within]
        rec = np.repeat(recs, cnt.reshape(len(recs), -1).sum(axis=1))
        return rec, cand, covered

    def _blocks(self, recs: IntArray, r: _Points, ring: int
                ) -> tuple[IntArray, NDArray[np.bool_], NDArray[np.int64]]:
        """Per recipient, the cells within ``ring`` of its own (0 where outside the grid: ``inside`` says),
        and its covered radius."""
        span = np.arange(-ring, ring + 1)
        ox, oz = np.repeat(span, len(span)), np.tile(span, len(span))
        fx, fz = r.x[recs] - self.ox, r.z[recs] - self.oz
        rx, rz = fx // self.cell, fz // self.cell
        # Distance from the recipient to its own cell's nearest edge adds to the ring's guaranteed radius.
        mx, mz = fx - rx * self.cell, fz - rz * self.cell
        edge = np.minimum(np.minimum(mx, self.cell - mx), np.minimum(mz, self.cell - mz))
        covered = ring * self.cell + edge
        gx = rx[:, None] + ox[None, :]
        gz = rz[:, None] + oz[None, :]
        inside = (gx >= 0) & (gx < self.nx) & (gz >= 0) & (gz < self.nz)
        return np.where(inside, gx * self.nz + gz, 0), inside, covered


class _Rounds:
    """One search's grid rounds: each settles the recipients whose K nearest provably lie in their block."""

    def __init__(self, r: _Points, c: _Points, cmap: IntArray, k: int, lim: NDArray[np.int64], max_d2: int
                 ) -> None:
        self.r, self.c, self.cmap, self.k, self.lim, self.max_d2 = r, c, cmap, k, lim, max_d2

    def round(self, grid: _Grid, recs: IntArray, out: list[Pairs]) -> IntArray:
        """Solve ``recs`` on ``grid``: the settled ones' pairs go to ``out``; returns the others."""
        if not len(recs):  # every one of them settled in a crowd, on finer cells
            return recs
        rec, cand, covered = grid.pairs(recs, self.r, 1)
        # Pairs beyond the covered radius cannot prove anything; dropping them before the sort halves it.
        self.lim[recs] = np.minimum(covered * covered, self.max_d2)
        got = _top_k(rec, cand, self.r, self.c, self.cmap, self.k, self.lim)
        n_r = len(self.lim)
        cnt = np.bincount(got.rec, minlength=n_r)[recs]
        exact = (cnt >= self.k) | (self.lim[recs] >= self.max_d2)
        ok = np.zeros(n_r, dtype=bool)
        ok[recs[exact]] = True
        keep = ok[got.rec]
        out.append(Pairs(got.rec[keep], got.cand[keep], got.d2[keep]))
        return recs[~exact]

    def crowds(self, recs: IntArray, cell_cm: int, out: list[Pairs]) -> IntArray:
        """Recipients standing in a crowd, solved on cells of ``cell_cm`` (and those still crowded there on
        cells half as large first): a crowd's K nearest are close by, and ranking everyone in a coarse block
        costs the square of the crowd (everyone at the entrance of a store). Returns those left unsettled, for
        the coarser grids."""
        grid = _Grid(self.c, cell_cm)
        if cell_cm // 2 >= MIN_CELL_CM:
            still = grid.crowded(recs, self.r, CROWDED * self.k)
            if still.any():
                left = self.crowds(recs[still], cell_cm // 2, out)
                recs = np.sort(np.concatenate([recs[~still], left]))
        return self.round(grid, recs, out)


def nearest_k(
    rpos: NDArray[np.integer], rids: NDArray[np.integer],
    cpos: NDArray[np.integer], cids: NDArray[np.integer],
    *, k: int, max_dist_cm: float | None = None, cell_cm: int | None = None,
) -> Pairs:
    """The K nearest candidates of every recipient (exact; see the module docstring for the order).

    ``rpos``/``cpos`` are int16-range cm positions ``(n, 3)``; ``rids``/``cids`` unique uint16 ids (a
    recipient never gets a candidate with its own id). ``cell_cm`` forces a grid cell size (tests); by
    default it is chosen from the candidates' density.
    """
    n_r, n_c = len(rpos), len(cpos)
    if n_r > MAX_RECIPIENTS:
        raise ValueError(f"at most {MAX_RECIPIENTS} recipients per call")
    if n_r == 0 or n_c == 0 or k <= 0:
        return _empty()
    r, c = _Points.of(rpos, rids), _Points.of(cpos, cids)
    cmap = np.zeros(1 << _ID_BITS, dtype=np.intp)
    cmap[c.ids] = np.arange(n_c)
    max_d2 = (1 << _D2_BITS) - 1 if max_dist_cm is None else int(max_dist_cm * max_dist_cm)
    lim = np.full(n_r, max_d2, dtype=np.int64)
    recs = np.arange(n_r, dtype=np.intp)
    if cell_cm is None and n_r * n_c <= BRUTE_FORCE_MAX * BRUTE_FORCE_MAX:
        return _dense(recs, r, c, cmap, k, max_d2)

    if cell_cm is None:
        area = float(max(int(np.ptp(c.x)), 100) * max(int(np.ptp(c.z)), 100))
        # First cell side s with s² ≈ CELL_FACTOR·K·area/n: in a uniform crowd the K-th neighbour
        # (π·d² ≈ K·area/n) is then within reach of a 3×3 block for many recipients; denser spots do better.
        cell_cm = int(max(100.0, np.sqrt(CELL_FACTOR * k * area / n_c)))
    extent = max(int(np.ptp(c.x)), int(np.ptp(c.z)), 1)
    cell_cm = max(cell_cm, extent // MAX_CELLS_PER_AXIS + 1)  # bounds the grid's dense cell arrays
    solve = _Rounds(r, c, cmap, k, lim, max_d2)
    out: list[Pairs] = []
    first = True
    while len(recs):
        if cell_cm >= extent or (len(out) and len(recs) * n_c <= 4 * BRUTE_FORCE_MAX**2):
            # One cell would hold nearly everyone, or few stragglers are left: finish them over all pairs.
            out.append(_dense(recs, r, c, cmap, k, max_d2))
            break
        # Multi-resolution: recipients that a fine grid cannot settle (sparse areas) retry on a grid twice
        # as coarse, so dense crowds are solved with small cells and sparse edges with big ones; and on the
        # first grid, recipients in a crowd are first tried on finer ones (_Rounds.crowds).
        grid = _Grid(c, cell_cm)
        if first:
            first = False
            crowded = grid.crowded(recs, r, CROWDED * k) if cell_cm // 2 >= MIN_CELL_CM else None
            if crowded is not None and crowded.any():
                left = solve.crowds(recs[crowded], cell_cm // 2, out)
                recs = np.sort(np.concatenate([recs[~crowded], left]))
        recs = solve.round(grid, recs, out)
        cell_cm *= 2
    if len(out) == 1:
        return out[0]
    rec = np.concatenate([p.rec for p in out])
    order = np.argsort(rec, kind="stable")  # regroup by recipient, keeping each row's distance order
    cand = np.concatenate([p.cand for p in out])
    d2 = np.concatenate([p.d2 for p in out])
    return Pairs(rec[order], cand[order], d2[order])
