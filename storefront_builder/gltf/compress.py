"""Geometry compression for the writer: ``KHR_mesh_quantization`` and ``EXT_meshopt_compression``.

Quantization stores positions as normalised 16-bit integers in a per-mesh box (a uniform scale and an offset that
the node's transform puts back), normals as normalised bytes and atlas UVs as normalised 16-bit integers. A uniform
scale keeps normals right: the renderer re-normalises them after the node's scale. meshoptimizer's codecs then
compress each buffer view (its *vertex codec version 0*, the one ``EXT_meshopt_compression`` specifies), after its
vertex-cache and vertex-fetch reordering, which puts similar vertices next to each other. Every step is
deterministic: same arrays in, same bytes out.
"""

from __future__ import annotations

from dataclasses import dataclass

import meshopt
import numpy as np
import numpy.typing as npt

from storefront_builder.geometry.mesh import MeshData

EXT_MESHOPT = "EXT_meshopt_compression"
EXT_QUANTIZATION = "KHR_mesh_quantization"
I16_MAX = 32767
U16_MAX = 65535
I8_MAX = 127


@dataclass(frozen=True)
class Dequantize:
    """Quantized position ``q`` (components in -1..1) is ``offset + scale * q`` in the mesh's own space."""

    offset: tuple[float, float, float]
    scale: float


def volume(positions: list[npt.NDArray[np.float32]]) -> Dequantize:
    """The smallest centred cube that holds every position; its numbers are the ones the JSON will print."""
    stacked = np.concatenate([p.reshape(-1, 3) for p in positions]).astype(np.float64)
    lo, hi = stacked.min(0), stacked.max(0)
    offset = tuple(round(float(v), 5) for v in (lo + hi) / 2)
    reach = float(np.abs(stacked - np.asarray(offset)).max())
    # Rounded up to 1e-5 so every position stays inside -1..1 with the printed scale.
    scale = max(np.ceil(reach * 1e5) / 1e5, 1e-5)
    return Dequantize((offset[0], offset[1], offset[2]), float(scale))


def quantize_positions(positions: npt.NDArray[np.float32], dq: Dequantize) -> npt.NDArray[np.int16]:
    """Positions as normalised int16 in ``dq``'s cube."""
    q = (positions.astype(np.float64) - np.asarray(dq.offset)) / dq.scale
    out: npt.NDArray[np.int16] = np.clip(np.rint(q * I16_MAX), -I16_MAX, I16_MAX).astype(np.int16)
    return out


def quantize_normals(normals: npt.NDArray[np.float32]) -> npt.NDArray[np.int8]:
    """Unit normals as normalised int8 (direction error below half a degree)."""
    return np.clip(np.rint(normals.astype(np.float64) * I8_MAX), -I8_MAX, I8_MAX).astype(np.int8)


def quantize_uvs(uvs: npt.NDArray[np.float32]) -> npt.NDArray[np.uint16] | None:
    """UVs as normalised uint16, or None when some lie outside 0..1 (they then stay float)."""
    if uvs.size and (uvs.min() < 0 or uvs.max() > 1):
        return None
    return np.rint(uvs.astype(np.float64) * U16_MAX).astype(np.uint16)


def reorder(mesh: MeshData) -> MeshData:
    """Triangles in vertex-cache order and vertices in first-use order: faster to draw and smaller to encode."""
    if mesh.vertex_count == 0:
        return mesh
    indices, remap, unique = meshopt.reorder_mesh(mesh.indices.reshape(-1).astype(np.uint32), triangles=True,
                                                  optsize=False)
    # remap[old] = new (unused vertices get ~0 and sort last, then are dropped).
    order = np.argsort(remap, kind="stable")[:unique]
    return MeshData(
        mesh.positions[order], mesh.normals[order], indices.reshape(-1, 3).astype(np.uint32),
        None if mesh.uvs is None else mesh.uvs[order],
        None if mesh.colors is None else mesh.colors[order],
        None if mesh.feature_ids is None else mesh.feature_ids[order],
    )


def rows_of(array: npt.NDArray[np.generic]) -> tuple[npt.NDArray[np.uint8], int]:
    """A 1-D/2-D array as rows of bytes padded to a multiple of 4 (what the vertex codec and GPUs want); the stride."""
    arr = np.ascontiguousarray(array)
    count = arr.shape[0]
    raw = arr.view(np.uint8).reshape(count, -1)
    stride = -(-raw.shape[1] // 4) * 4
    if stride == raw.shape[1]:
        return raw, stride
    padded = np.zeros((count, stride), np.uint8)
    padded[:, :raw.shape[1]] = raw
    return padded, stride


def encode_attributes(rows: npt.NDArray[np.uint8]) -> bytes:
    """Rows of bytes (stride a multiple of 4) with meshoptimizer's vertex codec, version 0."""
    return bytes(meshopt.encode_vertex_buffer_level(rows, 2, 0))


def encode_triangles(indices: npt.NDArray[np.integer]) -> bytes:
    """A triangle list with meshoptimizer's index codec."""
    return bytes(meshopt.encode_index_buffer(indices.reshape(-1).astype(np.uint32)))
