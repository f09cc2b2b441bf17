"""Building blocks of the kit recipes: raw triangle geometry in numpy, and the few ways the recipes shape it.

A recipe returns ``Parts``: pairs of (colour, ``Geo``). ``BODY`` (no colour) marks the tintable part the store
builder recolours per product; every other part carries a fixed sRGB colour. Recipes work in any unit (most
use centimetres); ``make_kit.py`` normalises each model afterwards. Front is +Z, up is +Y.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from storefront_builder.geometry.mesh import MeshData, from_faces

Array = npt.NDArray[np.float64]
Faces = npt.NDArray[np.int64]
BODY: str | None = None

# Fixed colours the recipes share (sRGB hex).
WHITE = "#f2efe8"
OFF_WHITE = "#e6dfd0"
BLACK = "#262626"
DARK = "#3a3a3f"
GREY = "#8d8d8d"
METAL = "#b9bdc3"
GOLD = "#d2a64a"
WOOD = "#b5814f"
DARK_WOOD = "#7a5232"
GLASS = "#d6e9ee"
SOIL = "#4a3526"


@dataclass(frozen=True)
class Geo:
    """Vertices (N×3) and counter-clockwise triangles (M×3); ``smooth`` shares normals across faces."""

    v: Array
    f: Faces
    smooth: bool = False

    def moved(self, t: Sequence[float] = (0.0, 0.0, 0.0), *, s: Sequence[float] | float = 1.0,
              rx: float = 0.0, ry: float = 0.0, rz: float = 0.0) -> Geo:
        """Scale, then turn about Z, X and Y (degrees, right-handed), then translate."""
        v = self.v * np.broadcast_to(np.asarray(s, np.float64), (3,))
        for axis, deg in ((2, rz), (0, rx), (1, ry)):
            if deg:
                v = v @ rotation(axis, deg).T
        f = self.f
        if np.prod(np.broadcast_to(np.asarray(s, np.float64), (3,))) < 0:
            f = f[:, ::-1]  # a mirror turns the winding inside out
        return Geo(v + np.asarray(t, np.float64), f, self.smooth)

    def warped(self, fn: Callable[[Array], Array]) -> Geo:
        """Move every vertex through ``fn`` (N×3 → N×3): tapers, bends, squashes."""
        return Geo(fn(self.v.copy()), self.f, self.smooth)

    def mesh(self) -> MeshData:
        return from_faces(self.v, self.f, smooth=self.smooth)


Parts = list[tuple[str | None, Geo]]


def rotation(axis: int, deg: float) -> Array:
    """3×3 rotation about X (0), Y (1) or Z (2), counter-clockwise looking down the axis."""
    t = np.radians(deg)
    c, s = np.cos(t), np.sin(t)
    i, j = [(1, 2), (2, 0), (0, 1)][axis]
    m = np.eye(3)
    m[i, i], m[i, j], m[j, i], m[j, j] = c, -s, s, c
    return m


def cuboid(lo: Sequence[float], hi: Sequence[float]) -> Geo:
    """An axis-aligned box between two corners (flat faces)."""
    x0, y0, z0 = lo
    x1, y1, z1 = hi
    v = np.array([[x0, y0, z0], [x1, y0, z0], [x1, y1, z0], [x0, y1, z0],
                  [x0, y0, z1], [x1, y0, z1], [x1, y1, z1], [x0, y1, z1]], np.float64)
    f = np.array([[4, 5, 6], [4, 6, 7], [1, 0, 3], [1, 3, 2], [5, 1, 2], [5, 2, 6],
                  [0, 4, 7], [0, 7, 3], [7, 6, 2], [7, 2, 3], [0, 1, 5], [0, 5, 4]], np.int64)
    return Geo(v, f)


def revolve(profile: Sequence[tuple[float, float]], seg: int = 12, *, bottom: bool = True,
            top: bool = True) -> list[Geo]:
    """Turn (radius, y) points about +Y, bottom to top: a smooth side plus flat caps where the radius is > 0.

    Split a profile into several ``revolve`` calls where it should show a crease.
    """
    prof = np.asarray(profile, np.float64)
    ang = 2 * np.pi * np.arange(seg) / seg
    cos, sin = np.cos(ang), -np.sin(ang)
    rings = len(prof)
    v = np.stack([np.outer(prof[:, 0], cos), np.repeat(prof[:, 1:2], seg, 1), np.outer(prof[:, 0], sin)], -1)
    faces: list[list[int]] = []
    for r in range(rings - 1):
        for k in range(seg):
            a, b = r * seg + k, r * seg + (k + 1) % seg
            if prof[r, 0] > 1e-9:
                faces.append([a, b, b + seg])
            if prof[r + 1, 0] > 1e-9:
                faces.append([a, b + seg, a + seg])
    out = [Geo(v.reshape(-1, 3), np.array(faces, np.int64), smooth=True)]
    for ring, up, wanted in ((0, False, bottom), (rings - 1, True, top)):
        radius, y = prof[ring]
        if wanted and radius > 1e-9:
            out.append(disc(radius, y, seg, up=up))
    return out


def disc(radius: float, y: float, seg: int, *, up: bool = True) -> Geo:
    """A flat fan at height ``y`` facing up or down."""
    ang = 2 * np.pi * np.arange(seg) / seg
    ring = np.stack([radius * np.cos(ang), np.full(seg, y), -radius * np.sin(ang)], -1)
    v = np.vstack([[0.0, y, 0.0], ring])
    f = np.array([[0, 1 + k, 1 + (k + 1) % seg] for k in range(seg)], np.int64)
    return Geo(v, f if up else f[:, ::-1])


def sphere(radius: float, center: Sequence[float] = (0.0, 0.0, 0.0), *, seg: int = 10, rings: int = 6,
           scale: Sequence[float] = (1.0, 1.0, 1.0)) -> Geo:
    """A UV sphere (or ellipsoid with ``scale``), smooth."""
    t = np.linspace(-np.pi / 2, np.pi / 2, rings + 1)
    profile = [(0.0 if k in (0, rings) else radius * float(np.cos(a)), radius * float(np.sin(a)))
               for k, a in enumerate(t)]
    (side,) = revolve(profile, seg)
    return side.moved(center, s=scale)


def cylinder(radius: float, y0: float, y1: float, seg: int = 12) -> list[Geo]:
    """A capped upright cylinder."""
    return revolve([(radius, y0), (radius, y1)], seg)


def rod(a: Sequence[float], b: Sequence[float], radius: float, seg: int = 6) -> list[Geo]:
    """A capped cylinder from point ``a`` to point ``b``."""
    pa, pb = np.asarray(a, np.float64), np.asarray(b, np.float64)
    d = pb - pa
    length = float(np.linalg.norm(d))
    y = d / length
    helper = np.array([1.0, 0.0, 0.0]) if abs(y[0]) < 0.9 else np.array([0.0, 0.0, 1.0])
    x = np.cross(y, helper)
    x /= np.linalg.norm(x)
    z = np.cross(x, y)
    basis = np.stack([x, y, z], 1)  # columns: local X, Y, Z in world space
    return [Geo(g.v @ basis.T + pa, g.f, g.smooth) for g in cylinder(radius, 0.0, length, seg)]


def ear_clip(poly: Array) -> Faces:
    """Triangulate a simple counter-clockwise polygon (N×2) by ear clipping."""
    idx = list(range(len(poly)))
    tris: list[list[int]] = []

    def cross(o: Array, a: Array, b: Array) -> float:
        return float((a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0]))

    guard = 0
    while len(idx) > 3 and guard < 10_000:
        guard += 1
        flat: int | None = None
        for n in range(len(idx)):
            i0, i1, i2 = idx[n - 1], idx[n], idx[(n + 1) % len(idx)]
            a, b, c = poly[i0], poly[i1], poly[i2]
            turn = cross(a, b, c)
            if abs(turn) <= 1e-12:
                flat = n if flat is None else flat  # a straight-through point: droppable, never an ear
                continue
            if turn < 0:
                continue  # reflex corner: not an ear
            inside = any(
                cross(a, b, poly[j]) >= 0 and cross(b, c, poly[j]) >= 0 and cross(c, a, poly[j]) >= 0
                for j in idx if j not in (i0, i1, i2)
            )
            if not inside:
                tris.append([i0, i1, i2])
                idx.pop(n)
                break
        else:
            if flat is None:
                raise ValueError("polygon is not simple or not counter-clockwise")
            idx.pop(flat)
    tris.append(idx)
    return np.array(tris, np.int64)


def extrude(outline: Sequence[tuple[float, float]], z0: float, z1: float, *, smooth_sides: bool = False) -> list[Geo]:
    """A counter-clockwise XY outline pushed from z0 to z1: two flat caps and the side wall."""
    poly = np.asarray(outline, np.float64)
    if _area(poly) < 0:
        poly = poly[::-1]
    n = len(poly)
    cap = ear_clip(poly)
    front = Geo(np.column_stack([poly, np.full(n, z1)]), cap)
    back = Geo(np.column_stack([poly, np.full(n, z0)]), cap[:, ::-1])
    v = np.vstack([np.column_stack([poly, np.full(n, z0)]), np.column_stack([poly, np.full(n, z1)])])
    f = []
    for i in range(n):
        j = (i + 1) % n
        f += [[i, j, n + j], [i, n + j, n + i]]
    return [front, back, Geo(v, np.array(f, np.int64), smooth=smooth_sides)]


def subdivide(outline: Sequence[tuple[float, float]], step: float) -> list[tuple[float, float]]:
    """The outline with extra points so no edge is longer than ``step`` (so warps can bend long edges)."""
    out: list[tuple[float, float]] = []
    for i, a in enumerate(outline):
        b = outline[(i + 1) % len(outline)]
        pieces = max(1, int(np.ceil(np.hypot(b[0] - a[0], b[1] - a[1]) / step)))
        out += [(a[0] + (b[0] - a[0]) * k / pieces, a[1] + (b[1] - a[1]) * k / pieces) for k in range(pieces)]
    return out


def _area(poly: Array) -> float:
    x, y = poly[:, 0], poly[:, 1]
    return float(np.sum(x * np.roll(y, -1) - np.roll(x, -1) * y) / 2)


def sweep(path: Sequence[Sequence[float]], radius: float, *, up: Sequence[float], sides: int = 6,
          closed: bool = False) -> Geo:
    """A tube of ``radius`` along a path lying in the plane whose normal is ``up`` (handles, rims, straps)."""
    p = np.asarray(path, np.float64)
    n = len(p)
    tangent = np.roll(p, -1, 0) - np.roll(p, 1, 0) if closed else np.gradient(p, axis=0)
    tangent /= np.linalg.norm(tangent, axis=1)[:, None]
    b = np.asarray(up, np.float64) / np.linalg.norm(up)
    normal = np.cross(tangent, b)
    normal /= np.linalg.norm(normal, axis=1)[:, None]
    ang = 2 * np.pi * np.arange(sides) / sides
    ring = p[:, None, :] + radius * (np.cos(ang)[None, :, None] * normal[:, None, :]
                                     + np.sin(ang)[None, :, None] * b[None, None, :])
    f = []
    for i in range(n if closed else n - 1):
        j = (i + 1) % n
        for k in range(sides):
            a0, a1 = i * sides + k, i * sides + (k + 1) % sides
            b0, b1 = j * sides + k, j * sides + (k + 1) % sides
            f += [[a0, b0, b1], [a0, b1, a1]]
    geo = Geo(ring.reshape(-1, 3), np.array(f, np.int64), smooth=True)
    return _outward(geo, p)


def _outward(geo: Geo, path: Array) -> Geo:
    """Flip a tube's winding when its first face points at the path instead of away from it."""
    tri = geo.v[geo.f[0]]
    normal = np.cross(tri[1] - tri[0], tri[2] - tri[0])
    centre = tri.mean(0)
    nearest = path[np.argmin(np.linalg.norm(path - centre, axis=1))]
    return geo if float(np.dot(normal, centre - nearest)) >= 0 else Geo(geo.v, geo.f[:, ::-1], geo.smooth)


def arc(center: Sequence[float], radius: float, start_deg: float, end_deg: float, steps: int,
        plane: str = "xy", radius2: float | None = None) -> list[list[float]]:
    """Points on a circular (or elliptical, ``radius2`` on the second axis) arc in the ``xy``/``xz``/``yz`` plane."""
    c = np.asarray(center, np.float64)
    r2 = radius if radius2 is None else radius2
    pts = []
    for t in np.radians(np.linspace(start_deg, end_deg, steps)):
        a, b = radius * np.cos(t), r2 * np.sin(t)
        offset = {"xy": (a, b, 0.0), "xz": (a, 0.0, b), "yz": (0.0, a, b)}[plane]
        pts.append(list(c + np.asarray(offset)))
    return pts


def rounded_rect(w: float, h: float, r: float, steps: int = 3, center: Sequence[float] = (0.0, 0.0)
                 ) -> list[tuple[float, float]]:
    """A counter-clockwise rounded rectangle outline (w × h, corner radius r)."""
    cx, cy = center
    pts: list[tuple[float, float]] = []
    corners = ((w / 2 - r, h / 2 - r, 0), (-w / 2 + r, h / 2 - r, 90), (-w / 2 + r, -h / 2 + r, 180),
               (w / 2 - r, -h / 2 + r, 270))
    for x, y, start in corners:
        for t in np.radians(np.linspace(start, start + 90, steps + 1)):
            pts.append((cx + x + r * float(np.cos(t)), cy + y + r * float(np.sin(t))))
    return pts


def ellipse(rx: float, ry: float, steps: int = 16, center: Sequence[float] = (0.0, 0.0)
            ) -> list[tuple[float, float]]:
    """A counter-clockwise ellipse outline."""
    return [(center[0] + rx * float(np.cos(t)), center[1] + ry * float(np.sin(t)))
            for t in 2 * np.pi * np.arange(steps) / steps]


def smoothstep(x: Array, lo: float, hi: float) -> Array:
    t = np.clip((x - lo) / (hi - lo), 0.0, 1.0)
    out: Array = t * t * (3 - 2 * t)
    return out


def each(colour: str | None, geos: Sequence[Geo]) -> Parts:
    """Tag every geometry in ``geos`` with one colour (or ``BODY``)."""
    return [(colour, g) for g in geos]
