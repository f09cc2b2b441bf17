"""Where a synthetic shopper walks: the store's walkable rectangles, products to look at, and pose frames.

The manifest's ``walkable`` area is a list of disjoint axis-aligned rectangles ``(min_x, min_z, max_x, max_z)``
(the floor minus fixtures). Rectangles that share an edge are connected through the middle of that edge, so a
walker goes from product to product along the aisles: a breadth-first search over the rectangles gives the
doorways to pass, and each leg is a straight line inside one (convex) rectangle.
"""

from __future__ import annotations

import itertools
import math
import random
import struct
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Final

from server.live.core.poses import KIND_POSE, quantize_quats
from server.live.core.protocol import PROTOCOL_VERSION

Rect = tuple[float, float, float, float]
_EPS: Final = 1e-3
_HEAD: Final = struct.Struct("<BBBBIhhhI")
_HAND: Final = struct.Struct("<hhhI")
_YAW_STEPS: Final = 256
_ROT: Final = [int(r) for r in quantize_quats(
    [(0.0, math.sin(a / 2), 0.0, math.cos(a / 2)) for a in (2 * math.pi * i / _YAW_STEPS for i in range(_YAW_STEPS))]
)]
DEFAULT_AREA: Final[Rect] = (-5.0, -5.0, 5.0, 5.0)  # a store without a published scene: a 10 m square


@dataclass(frozen=True)
class Product:
    """A product a shopper may walk to: its sku and the walkable spot in front of it."""

    sku: str
    rect: int
    x: float
    z: float
    px: float  # the product itself, to face it
    pz: float


@dataclass(frozen=True)
class StorePlan:
    """The parts of a store's manifest a walker needs (picklable, sent to every worker)."""

    slug: str
    rects: tuple[Rect, ...]
    products: tuple[Product, ...]
    doors: dict[int, dict[int, tuple[float, float]]] = field(default_factory=dict)


def _dist2_to_rect(r: Rect, x: float, z: float) -> float:
    dx = max(r[0] - x, 0.0, x - r[2])
    dz = max(r[1] - z, 0.0, z - r[3])
    return dx * dx + dz * dz


def _clamp(r: Rect, x: float, z: float) -> tuple[float, float]:
    return min(max(x, r[0]), r[2]), min(max(z, r[1]), r[3])


def _door(a: Rect, b: Rect) -> tuple[float, float] | None:
    """The middle of the edge two rectangles share, if they touch along a segment."""
    lo_x, hi_x = max(a[0], b[0]), min(a[2], b[2])
    lo_z, hi_z = max(a[1], b[1]), min(a[3], b[3])
    if hi_x - lo_x > _EPS and abs(hi_z - lo_z) <= _EPS:
        return (lo_x + hi_x) / 2, lo_z
    if hi_z - lo_z > _EPS and abs(hi_x - lo_x) <= _EPS:
        return lo_x, (lo_z + hi_z) / 2
    if hi_x - lo_x > _EPS and hi_z - lo_z > _EPS:  # overlapping rectangles: any common point will do
        return (lo_x + hi_x) / 2, (lo_z + hi_z) / 2
    return None


def plan_from_manifest(slug: str, manifest: dict[str, Any] | None) -> StorePlan:
    """Build a store's walking plan from its manifest JSON (``None``: a default 10 m square, no products)."""
    raw = (manifest or {}).get("walkable") or []
    rects = tuple((float(r[0]), float(r[1]), float(r[2]), float(r[3])) for r in raw if r[2] > r[0] and r[3] > r[1])
    if not rects:
        rects = (DEFAULT_AREA,)
    doors: dict[int, dict[int, tuple[float, float]]] = {i: {} for i in range(len(rects))}
    for i, a in enumerate(rects):
        for j in range(i + 1, len(rects)):
            if (d := _door(a, rects[j])) is not None:
                doors[i][j] = doors[j][i] = d
    products = []
    for sku, info in sorted(((manifest or {}).get("products") or {}).items()):
        px, _, pz = (float(v) for v in info["position"])
        best = min(range(len(rects)), key=lambda i: _dist2_to_rect(rects[i], px, pz))
        x, z = _clamp(rects[best], px, pz)
        products.append(Product(sku, best, x, z, px, pz))
    return StorePlan(slug, rects, tuple(products), doors)


def _route(plan: StorePlan, start: int, goal: int) -> list[int]:
    """Rectangles from ``start`` to ``goal`` (breadth-first; empty when they are not connected)."""
    prev: dict[int, int] = {start: start}
    todo = deque([start])
    while todo:
        cur = todo.popleft()
        if cur == goal:
            path = [cur]
            while cur != start:
                cur = prev[cur]
                path.append(cur)
            return path[::-1]
        for nxt in plan.doors.get(cur, {}):
            if nxt not in prev:
                prev[nxt] = cur
                todo.append(nxt)
    return []


class Walker:
    """One shopper's walk: to a random product along the aisles at ``speed``, a look at it, and on again."""

    def __init__(self, plan: StorePlan, rng: random.Random, *, speed: float = 1.2, hands: bool = False) -> None:
        self.plan, self.rng, self.speed, self.hands = plan, rng, speed, hands
        weights = [(r[2] - r[0]) * (r[3] - r[1]) for r in plan.rects]
        self.rect = rng.choices(range(len(plan.rects)), weights)[0]
        r = plan.rects[self.rect]
        self.x, self.z = rng.uniform(r[0], r[2]), rng.uniform(r[1], r[3])
        self.y = rng.uniform(1.5, 1.75)
        self.yaw = rng.uniform(0, 2 * math.pi)
        self.waypoints: list[tuple[float, float, int]] = []  # (x, z, rectangle entered there)
        self.target: Product | None = None
        self.dwell = 0.0
        self.focus: str | None = None

    def _choose(self) -> None:
        if not self.plan.products:  # no catalog: wander to random points
            i = self.rng.randrange(len(self.plan.rects))
            r = self.plan.rects[i]
            goal = Product("", i, self.rng.uniform(r[0], r[2]), self.rng.uniform(r[1], r[3]), 0.0, 0.0)
        else:
            goal = self.rng.choice(self.plan.products)
        route = _route(self.plan, self.rect, goal.rect) or [goal.rect]
        self.waypoints = [(*self.plan.doors[a][b], b) for a, b in itertools.pairwise(route)]
        self.waypoints.append((goal.x, goal.z, goal.rect))
        self.target = goal

    def step(self, dt: float) -> str | bool | None:
        """Advance ``dt`` seconds. Returns the new focus (a sku, or ``None`` when looking away) when it changed,
        else ``False``."""
        if self.dwell > 0:
            self.dwell -= dt
            if self.dwell > 0:
                return False
            self.focus = None
            self._choose()
            return None
        if not self.waypoints:
            self._choose()
        budget = self.speed * dt
        while budget > 0 and self.waypoints:
            wx, wz, rect = self.waypoints[0]
            dx, dz = wx - self.x, wz - self.z
            d = math.hypot(dx, dz)
            if d > 1e-6:
                self.yaw = math.atan2(dx, dz)
            if d <= budget:
                self.x, self.z, self.rect = wx, wz, rect
                self.waypoints.pop(0)
                budget -= d
            else:
                self.x, self.z, budget = self.x + dx / d * budget, self.z + dz / d * budget, 0.0
        if self.waypoints or self.target is None:
            return False
        # Arrived: face the product and look at it for a while.
        self.yaw = math.atan2(self.target.px - self.x, self.target.pz - self.z)
        self.dwell = self.rng.uniform(1.5, 5.0)
        sku, self.target = self.target.sku, None
        if not sku:
            return False
        self.focus = sku
        return sku

    def frame(self, time_ms: int) -> bytes:
        """The pose frame (18 bytes, 38 with hands) for the walker's current position and heading."""
        x, y, z = round(self.x * 100), round(self.y * 100), round(self.z * 100)
        rot = _ROT[round(self.yaw / (2 * math.pi) * _YAW_STEPS) % _YAW_STEPS]
        if not self.hands:
            return _HEAD.pack(PROTOCOL_VERSION, KIND_POSE, 0, 0, time_ms & 0xFFFFFFFF, x, y, z, rot)
        # Hands 30 cm to either side and 45 cm below the head, across the heading.
        ox, oz = round(30 * math.cos(self.yaw)), round(-30 * math.sin(self.yaw))
        return (_HEAD.pack(PROTOCOL_VERSION, KIND_POSE, 1, 0, time_ms & 0xFFFFFFFF, x, y, z, rot)
                + _HAND.pack(x - ox, y - 45, z - oz, rot) + _HAND.pack(x + ox, y - 45, z + oz, rot))
