"""A minimal triangle-mesh value type and the numpy helpers every geometry module shares.

Meshes are flat-shaded by default (vertices unshared per triangle) because the store is low-poly and flat
normals need no smoothing heuristics; lathe shapes ask for smooth normals explicitly.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

F32 = npt.NDArray[np.float32]
U32 = npt.NDArray[np.uint32]
U8 = npt.NDArray[np.uint8]

_UP = np.array([0.0, 1.0, 0.0], dtype=np.float32)


@dataclass(frozen=True)
class MeshData:
    """Positions (N×3), unit normals (N×3), indices (M×3) and optional UVs (N×2) and colours (N×4 uint8)."""

    positions: F32
    normals: F32
    indices: U32
    uvs: F32 | None = None
    colors: U8 | None = None
    feature_ids: F32 | None = None

    @property
    def triangle_count(self) -> int:
        return int(self.indices.shape[0])

    @property
    def vertex_count(self) -> int:
        return int(self.positions.shape[0])


def unit_normals(normals: npt.NDArray[np.floating]) -> F32:
    """Normalise rows; zero-length rows become +Y so the validator never sees a non-unit normal."""
    n = np.asarray(normals, dtype=np.float64)
    length = np.linalg.norm(n, axis=1)
    bad = length < 1e-9
    n[bad] = _UP
    length[bad] = 1.0
    out: F32 = (n / length[:, None]).astype(np.float32)
    return out


def from_faces(
    vertices: npt.ArrayLike,
    faces: npt.ArrayLike,
    *,
    smooth: bool = False,
    uvs: npt.ArrayLike | None = None,
) -> MeshData:
    """Build a mesh from shared vertices and triangles (counter-clockwise seen from outside)."""
    v = np.asarray(vertices, dtype=np.float64).reshape(-1, 3)
    f = np.asarray(faces, dtype=np.int64).reshape(-1, 3)
    tri = v[f]
    face_n = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])
    uv_arr = None if uvs is None else np.asarray(uvs, dtype=np.float32).reshape(-1, 2)
    if smooth:
        acc = np.zeros_like(v)
        for corner in range(3):
            np.add.at(acc, f[:, corner], face_n)
        return MeshData(
            v.astype(np.float32), unit_normals(acc), f.astype(np.uint32), uv_arr,
        )
    flat_v = tri.reshape(-1, 3)
    flat_n = np.repeat(face_n, 3, axis=0)
    flat_uv = None if uv_arr is None else uv_arr[f.reshape(-1)]
    idx = np.arange(flat_v.shape[0], dtype=np.uint32).reshape(-1, 3)
    return MeshData(flat_v.astype(np.float32), unit_normals(flat_n), idx, flat_uv)


# A unit cube's 6 faces with their own vertices (24) so each face has a flat normal and 0..1 UVs.
_FACE_AXES = (
    ((1, 0, 0), (0, 0, -1), (0, 1, 0)),   # +X: u along -Z, v along +Y
    ((-1, 0, 0), (0, 0, 1), (0, 1, 0)),   # -X
    ((0, 1, 0), (1, 0, 0), (0, 0, -1)),   # +Y
    ((0, -1, 0), (1, 0, 0), (0, 0, 1)),   # -Y
    ((0, 0, 1), (1, 0, 0), (0, 1, 0)),    # +Z (front)
    ((0, 0, -1), (-1, 0, 0), (0, 1, 0)),  # -Z
)


def _unit_box_arrays() -> tuple[F32, F32, F32, U32]:
    pos: list[list[float]] = []
    nor: list[tuple[int, int, int]] = []
    uv: list[tuple[float, float]] = []
    idx: list[list[int]] = []
    for n, u, w in _FACE_AXES:
        nv, uv_axis, wv = np.array(n, float), np.array(u, float), np.array(w, float)
        base = len(pos)
        for su, sv in ((-1, -1), (1, -1), (1, 1), (-1, 1)):
            pos.append(list(0.5 * (nv + su * uv_axis + sv * wv)))
            nor.append(n)
            uv.append(((su + 1) / 2, (1 - sv) / 2))
        idx += [[base, base + 1, base + 2], [base, base + 2, base + 3]]
    return (
        np.array(pos, np.float32), np.array(nor, np.float32), np.array(uv, np.float32),
        np.array(idx, np.uint32),
    )


_BOX = _unit_box_arrays()


def box(size: Sequence[float], center: Sequence[float] = (0.0, 0.0, 0.0)) -> MeshData:
    """An axis-aligned box of ``size`` (w, h, d) centred on ``center``; 12 triangles, per-face UVs 0..1."""
    pos, nor, uv, idx = _BOX
    p = pos * np.asarray(size, np.float32) + np.asarray(center, np.float32)
    return MeshData(p.astype(np.float32), nor.copy(), idx.copy(), uv.copy())


def box_between(lo: Sequence[float], hi: Sequence[float]) -> MeshData:
    """A box spanning corner ``lo`` to corner ``hi``."""
    a, b = np.asarray(lo, np.float64), np.asarray(hi, np.float64)
    return box(tuple(np.abs(b - a)), tuple((a + b) / 2))


def lathe(profile: Sequence[tuple[float, float]], segments: int = 12, *, cap_top: bool = True) -> MeshData:
    """Revolve (radius, y) points about +Y, bottom to top; smooth sides, flat caps."""
    prof = np.asarray(profile, dtype=np.float64)
    ang = np.linspace(0.0, 2 * np.pi, segments, endpoint=False)
    cos, sin = np.cos(ang), np.sin(ang)
    rings = len(prof)
    verts = np.stack(
        [np.outer(prof[:, 0], cos), np.repeat(prof[:, 1:2], segments, 1), -np.outer(prof[:, 0], sin)], -1
    ).reshape(-1, 3)
    faces: list[list[int]] = []
    for r in range(rings - 1):
        for s in range(segments):
            a, b = r * segments + s, r * segments + (s + 1) % segments
            c, d = a + segments, b + segments
            # A ring of radius 0 is a pole: one of the quad's triangles would be degenerate.
            if prof[r, 0] > 1e-6:
                faces.append([a, b, d])
            if prof[r + 1, 0] > 1e-6:
                faces.append([a, d, c])
    parts = [from_faces(verts, faces, smooth=True)]
    caps = [(0, False)] + ([(rings - 1, True)] if cap_top else [])
    for ring, up in caps:
        r, y = prof[ring]
        if r <= 1e-6:
            continue
        ring_v = np.stack([r * cos, np.full(segments, y), -r * sin], -1)
        fan = np.vstack([[0.0, y, 0.0], ring_v])
        tri = [[0, 1 + s, 1 + (s + 1) % segments] for s in range(segments)]
        if not up:
            tri = [[t[0], t[2], t[1]] for t in tri]
        parts.append(from_faces(fan, tri))
    return merge(parts)


def transform(mesh: MeshData, matrix: npt.ArrayLike) -> MeshData:
    """Apply a 4×4 affine transform; normals use the inverse transpose."""
    m = np.asarray(matrix, dtype=np.float64)
    pos = mesh.positions.astype(np.float64) @ m[:3, :3].T + m[:3, 3]
    nor = mesh.normals.astype(np.float64) @ np.linalg.inv(m[:3, :3])
    return MeshData(
        pos.astype(np.float32), unit_normals(nor), mesh.indices, mesh.uvs, mesh.colors, mesh.feature_ids
    )


def trs_matrix(translation: Sequence[float], rotation_y_deg: float = 0.0,
               scale: Sequence[float] = (1.0, 1.0, 1.0)) -> npt.NDArray[np.float64]:
    """A 4×4 matrix: scale, then turn about +Y (counter-clockwise from above), then translate."""
    t = np.radians(rotation_y_deg)
    c, s = np.cos(t), np.sin(t)
    m = np.eye(4)
    m[:3, :3] = np.array([[c, 0, s], [0, 1, 0], [-s, 0, c]]) @ np.diag(np.asarray(scale, float))
    m[:3, 3] = translation
    return m


def merge(meshes: Iterable[MeshData]) -> MeshData:
    """Concatenate meshes; optional attributes survive only when every part has them."""
    parts = [m for m in meshes if m.vertex_count]
    if not parts:
        return MeshData(np.zeros((0, 3), np.float32), np.zeros((0, 3), np.float32), np.zeros((0, 3), np.uint32))
    offsets = np.cumsum([0] + [p.vertex_count for p in parts[:-1]])
    idx = np.vstack([p.indices.astype(np.uint32) + np.uint32(o) for p, o in zip(parts, offsets, strict=True)])

    def cat(name: str) -> npt.NDArray[np.generic] | None:
        arrays = [getattr(p, name) for p in parts]
        return None if any(a is None for a in arrays) else np.concatenate(arrays)

    uvs, colors, fids = cat("uvs"), cat("colors"), cat("feature_ids")
    return MeshData(
        np.concatenate([p.positions for p in parts]),
        np.concatenate([p.normals for p in parts]),
        idx,
        None if uvs is None else uvs.astype(np.float32),
        None if colors is None else colors.astype(np.uint8),
        None if fids is None else fids.astype(np.float32),
    )


def with_color(mesh: MeshData, rgba: Sequence[int]) -> MeshData:
    """The same mesh with one vertex colour everywhere (used for baked, vertex-coloured batches)."""
    col = np.tile(np.asarray(rgba, np.uint8), (mesh.vertex_count, 1))
    return MeshData(mesh.positions, mesh.normals, mesh.indices, mesh.uvs, col, mesh.feature_ids)


def drop_uvs(mesh: MeshData) -> MeshData:
    """The same mesh without texture coordinates (so it merges with untextured parts)."""
    return MeshData(mesh.positions, mesh.normals, mesh.indices, None, mesh.colors, mesh.feature_ids)
