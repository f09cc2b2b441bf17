"""Vectorised baking of many instances of one mesh into a single world-space mesh (one draw call)."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from storefront_builder.geometry.mesh import MeshData, unit_normals


def yaw_quaternions(yaw_deg: npt.ArrayLike) -> npt.NDArray[np.float32]:
    """Unit quaternions (x, y, z, w) for turns about +Y, one row per angle."""
    half = np.radians(np.asarray(yaw_deg, np.float64)) / 2
    q = np.zeros((half.shape[0], 4))
    q[:, 1] = np.sin(half)
    q[:, 3] = np.cos(half)
    return q.astype(np.float32)


def bake_instances(
    mesh: MeshData,
    translations: npt.ArrayLike,
    yaw_deg: npt.ArrayLike,
    scales: npt.ArrayLike,
    *,
    colors: npt.NDArray[np.uint8] | None = None,
    feature_ids: npt.ArrayLike | None = None,
    uv_rects: npt.ArrayLike | None = None,
) -> MeshData:
    """Copy ``mesh`` once per row of ``translations``; scale, turn about +Y, translate, all in numpy.

    ``uv_rects`` (K×4: u0, v0, u1, v1) remaps each copy's 0..1 UVs into its atlas cell;
    ``colors`` (K×4) and ``feature_ids`` (K) become per-vertex attributes.
    """
    t = np.asarray(translations, np.float64).reshape(-1, 3)
    k = t.shape[0]
    s = np.asarray(scales, np.float64).reshape(k, 3)
    ang = np.radians(np.asarray(yaw_deg, np.float64).reshape(k))
    c, si = np.cos(ang)[:, None], np.sin(ang)[:, None]
    n_v = mesh.vertex_count
    p = mesh.positions.astype(np.float64)[None, :, :] * s[:, None, :]  # K×V×3
    x, y, z = p[..., 0], p[..., 1], p[..., 2]
    pos = np.stack([c * x + si * z, y, -si * x + c * z], -1) + t[:, None, :]
    # Normals transform by the inverse scale before the turn (non-uniform scale keeps them perpendicular).
    nrm = mesh.normals.astype(np.float64)[None, :, :] / s[:, None, :]
    nx, ny, nz = nrm[..., 0], nrm[..., 1], nrm[..., 2]
    nor = np.stack([c * nx + si * nz, ny, -si * nx + c * nz], -1)
    offsets = (np.arange(k, dtype=np.uint64) * np.uint64(n_v))[:, None, None]
    idx = (mesh.indices.astype(np.uint64)[None, :, :] + offsets).reshape(-1, 3).astype(np.uint32)
    uvs = None
    if uv_rects is not None and mesh.uvs is not None:
        r = np.asarray(uv_rects, np.float64).reshape(k, 4)
        u = r[:, None, 0] + mesh.uvs[None, :, 0] * (r[:, None, 2] - r[:, None, 0])
        v = r[:, None, 1] + mesh.uvs[None, :, 1] * (r[:, None, 3] - r[:, None, 1])
        uvs = np.stack([u, v], -1).reshape(-1, 2).astype(np.float32)
    col = None if colors is None else np.repeat(np.asarray(colors, np.uint8).reshape(k, 4), n_v, axis=0)
    fid = None
    if feature_ids is not None:
        fid = np.repeat(np.asarray(feature_ids, np.float32).reshape(k), n_v)
    return MeshData(
        pos.reshape(-1, 3).astype(np.float32), unit_normals(nor.reshape(-1, 3)), idx, uvs, col, fid
    )
