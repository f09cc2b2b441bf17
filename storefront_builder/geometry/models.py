"""Merchant product models: GLB bytes → one normalised, vertex-coloured unit mesh.

A normalised model is centred on X/Z, rests on y = 0 and keeps its proportions; an instance's uniform scale
(from ``fit_scale``) makes it fit the product's slot. Materials collapse to vertex colours so every merchant
model shares one material and can be batched.
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import trimesh

from storefront_builder.errors import AssetError
from storefront_builder.geometry.mesh import MeshData, from_faces, unit_normals

MAX_MODEL_TRIANGLES = 50_000


def load_model(data: bytes) -> MeshData:
    """Load GLB bytes with trimesh into one mesh (scene transforms applied), normalised as described above.

    Raises ``AssetError`` when the bytes are not a loadable GLB with triangles.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # trimesh warns about harmless things (unused extensions, …)
            loaded = trimesh.load(io.BytesIO(data), file_type="glb", process=False)
            meshes = _meshes(loaded)
    except AssetError:
        raise
    except Exception as exc:  # trimesh raises many unrelated types on bad bytes
        raise AssetError(f"model cannot be read: {type(exc).__name__}", ["model_unreadable"]) from exc
    if not meshes:
        raise AssetError("model has no triangles", ["model_empty"])
    positions, normals, colors, indices = [], [], [], []
    offset = 0
    for mesh in meshes:
        faces = np.asarray(mesh.faces, dtype=np.int64)
        verts = np.asarray(mesh.vertices, dtype=np.float64)
        if not len(faces):
            continue
        positions.append(verts)
        # Own smooth normals: trimesh's vertex_normals needs scipy, which is not a dependency.
        normals.append(from_faces(verts, faces, smooth=True).normals.astype(np.float64))
        colors.append(_colors(mesh, len(verts)))
        indices.append(faces + offset)
        offset += len(verts)
    if not indices:
        raise AssetError("model has no triangles", ["model_empty"])
    idx = np.vstack(indices)
    if len(idx) > MAX_MODEL_TRIANGLES:
        raise AssetError(f"model has {len(idx)} triangles (limit {MAX_MODEL_TRIANGLES})", ["model_too_large"])
    pos = np.vstack(positions)
    if not np.isfinite(pos).all():
        raise AssetError("model has non-finite vertices", ["model_invalid"])
    lo, hi = pos.min(0), pos.max(0)
    extent = hi - lo
    if float(extent.max()) <= 0:
        raise AssetError("model has zero size", ["model_empty"])
    # Centre on X/Z, bottom on y = 0, largest side 1 m: instance scales then stay near 1.
    pos = (pos - np.array([(lo[0] + hi[0]) / 2, lo[1], (lo[2] + hi[2]) / 2])) / float(extent.max())
    return MeshData(
        pos.astype(np.float32), unit_normals(np.vstack(normals)), idx.astype(np.uint32),
        None, np.vstack(colors).astype(np.uint8),
    )


def _meshes(loaded: object) -> list[trimesh.Trimesh]:
    if isinstance(loaded, trimesh.Trimesh):
        return [loaded]
    if isinstance(loaded, trimesh.Scene):
        dumped = loaded.dump(concatenate=False)
        return [m for m in dumped if isinstance(m, trimesh.Trimesh)]
    raise AssetError("model contains no meshes", ["model_empty"])


def _colors(mesh: trimesh.Trimesh, count: int) -> np.ndarray:
    """Vertex colours (linear 8-bit RGBA) from whatever visual the model has; grey if none."""
    try:
        source: Any = mesh.visual
        visual: Any = source.to_color() if source.kind == "texture" else source
        cols = np.asarray(visual.vertex_colors, dtype=np.uint8)
        if cols.shape == (count, 4):
            return cols
    except Exception:  # a broken texture is not worth failing the build for
        pass
    return np.tile(np.array([180, 180, 180, 255], np.uint8), (count, 1))


def fit_scale(model: MeshData, size: Sequence[float]) -> float:
    """The uniform scale that makes a normalised model fit inside ``size`` (w, h, d), aspect preserved."""
    extent = model.positions.max(0) - model.positions.min(0)
    ratios = [float(s) / float(e) for s, e in zip(size, extent, strict=True) if e > 1e-9]
    return min(ratios) if ratios else 1.0
