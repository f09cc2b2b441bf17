"""Floor geometry with numpy: rotated footprints, overlap tests and the walkable area.

Rotations follow the plan: degrees counter-clockwise seen from above, i.e. a turn about +Y, which maps
local (x, z) to (x·cos θ + z·sin θ, −x·sin θ + z·cos θ).
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
Rect = tuple[float, float, float, float]  # min_x, min_z, max_x, max_z

# Touching fixtures (gondolas in a run) are fine; only a real overlap deeper than this is an error.
OVERLAP_EPS = 1e-4


def to_world(x: float, z: float, rotation: float, origin: tuple[float, float]) -> tuple[float, float]:
    """Local (x, z) of something rotated by ``rotation`` degrees and centred at ``origin`` → world (x, z)."""
    theta = math.radians(rotation)
    cos, sin = math.cos(theta), math.sin(theta)
    return (origin[0] + x * cos + z * sin, origin[1] - x * sin + z * cos)


def corners(centres: FloatArray, halves: FloatArray, rotations: FloatArray) -> FloatArray:
    """World corners (n, 4, 2) of n rectangles given centres (n, 2), half sizes (n, 2), degrees (n,)."""
    theta = np.radians(rotations)
    cos, sin = np.cos(theta), np.sin(theta)
    signs = np.array([[-1.0, -1.0], [1.0, -1.0], [1.0, 1.0], [-1.0, 1.0]])
    local = signs[None, :, :] * halves[:, None, :]
    x = local[..., 0] * cos[:, None] + local[..., 1] * sin[:, None]
    z = -local[..., 0] * sin[:, None] + local[..., 1] * cos[:, None]
    return np.stack([x, z], axis=-1) + centres[:, None, :]


def bounds(corner_array: FloatArray) -> FloatArray:
    """Axis-aligned bounds (n, 4) = min_x, min_z, max_x, max_z of corner sets (n, 4, 2)."""
    return np.concatenate([corner_array.min(axis=1), corner_array.max(axis=1)], axis=1)


def separated(a: FloatArray, b: FloatArray) -> bool:
    """Separating-axis test for two convex quads (4, 2): True if they do not overlap by more than EPS."""
    for quad in (a, b):
        for index in range(2):
            edge = quad[index + 1] - quad[index]
            axis = np.array([-edge[1], edge[0]])
            norm = float(np.hypot(axis[0], axis[1]))
            if norm == 0.0:
                continue
            axis /= norm
            pa, pb = a @ axis, b @ axis
            if pa.max() <= pb.min() + OVERLAP_EPS or pb.max() <= pa.min() + OVERLAP_EPS:
                return True
    return False


def overlapping_pairs(corner_array: FloatArray, limit: int = 20) -> list[tuple[int, int]]:
    """Pairs (i < j) of rectangles that overlap, at most ``limit``; sweep-and-prune keeps it near O(n log n)."""
    n = corner_array.shape[0]
    if n < 2:
        return []
    box = bounds(corner_array)
    order = np.argsort(box[:, 0], kind="stable")
    sorted_box = box[order]
    ends = np.searchsorted(sorted_box[:, 0], sorted_box[:, 2] - OVERLAP_EPS, side="left")
    found: list[tuple[int, int]] = []
    for pos in range(n):
        stop = int(ends[pos])
        if stop <= pos + 1:
            continue
        mine = sorted_box[pos]
        others = sorted_box[pos + 1:stop]
        hits = np.flatnonzero((others[:, 1] < mine[3] - OVERLAP_EPS) & (others[:, 3] > mine[1] + OVERLAP_EPS))
        for hit in hits:
            i, j = int(order[pos]), int(order[pos + 1 + int(hit)])
            if not separated(corner_array[i], corner_array[j]):
                found.append((min(i, j), max(i, j)))
                if len(found) >= limit:
                    return sorted(found)
    return sorted(found)


def walkable_rects(width: float, depth: float, obstacles: FloatArray, margin: float = 0.3,
                   min_width: float = 0.4) -> list[Rect]:
    """The floor minus a wall margin and the obstacles' bounds (m, 4), as disjoint rectangles.

    Sweeps bands between the obstacles' z edges; each band's free x intervals become rectangles, and a
    rectangle grows downwards while the next band has the same interval. Gaps narrower than ``min_width``
    are dropped: an avatar cannot stand in them.
    """
    x0, z0, x1, z1 = -width / 2 + margin, -depth / 2 + margin, width / 2 - margin, depth / 2 - margin
    if x1 - x0 < min_width or z1 - z0 <= 0:
        return []
    obs = obstacles.reshape(-1, 4) if obstacles.size else np.zeros((0, 4))
    edges = np.unique(np.clip(np.concatenate([[z0, z1], obs[:, 1], obs[:, 3]]), z0, z1))
    rects: list[Rect] = []
    open_rects: dict[tuple[float, float], float] = {}  # free x interval → z where it started
    for top, bottom in itertools.pairwise(edges):
        mid = (top + bottom) / 2
        inside = obs[(obs[:, 1] < mid) & (obs[:, 3] > mid)]
        free: list[tuple[float, float]] = []
        cursor = x0
        for lo, hi in sorted(zip(inside[:, 0].tolist(), inside[:, 2].tolist(), strict=True)):
            if lo > cursor and min(lo, x1) - cursor >= min_width:
                free.append((cursor, min(lo, x1)))
            cursor = max(cursor, hi)
            if cursor >= x1:
                break
        if x1 - cursor >= min_width:
            free.append((cursor, x1))
        current = set(free)
        for interval in [key for key in open_rects if key not in current]:
            start = open_rects.pop(interval)
            rects.append((interval[0], start, interval[1], float(top)))
        for interval in free:
            open_rects.setdefault(interval, float(top))
    for interval, start in open_rects.items():
        rects.append((interval[0], start, interval[1], float(z1)))
    return sorted(rects, key=lambda rect: (rect[1], rect[0]))
