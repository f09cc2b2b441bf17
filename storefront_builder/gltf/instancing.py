"""``EXT_mesh_gpu_instancing``: one node draws a mesh many times from per-instance TRS accessors.

The extension is both used and *required*: a loader that ignored it would draw a single copy at the node's
origin – a silently wrong store – so refusing to load is the better failure. three.js (GLTFLoader), Babylon.js
and gltf-transform all implement it.

The node carries the mesh's dequantization D (``GltfDocument.add_node``), and the renderer applies the node's
transform *after* each instance's, so instance transforms I are written as D⁻¹·I·D: the same rotation and scale,
translation (t + R·S·o − o) / s for D's offset o and uniform scale s. Rotations (turns about +Y) are normalised
16-bit quaternions, which the extension allows; translations, scales and feature ids stay float.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from storefront_builder.geometry.batch import yaw_quaternions
from storefront_builder.gltf.compress import I16_MAX
from storefront_builder.gltf.writer import GltfDocument, rotate

EXT = "EXT_mesh_gpu_instancing"


def add_instanced_node(
    doc: GltfDocument,
    name: str,
    mesh: int,
    translations: npt.ArrayLike,
    yaw_deg: npt.ArrayLike,
    scales: npt.ArrayLike | None = None,
    *,
    feature_ids: npt.ArrayLike | None = None,
    extras: dict[str, Any] | None = None,
    parent: int | None = None,
) -> int:
    """Add a node that draws ``mesh`` once per row of ``translations`` (turned about +Y, scaled)."""
    t = np.asarray(translations, np.float64).reshape(-1, 3)
    rotation = np.rint(yaw_quaternions(yaw_deg).astype(np.float64) * I16_MAX).astype(np.int16)
    q = rotation / I16_MAX  # what the renderer will read
    s = np.ones_like(t) if scales is None else np.asarray(scales, np.float64).reshape(-1, 3)
    dq = doc.dequantization(mesh)
    offset = np.asarray(dq.offset)
    moved = (t + rotate(q, s * offset) - offset) / dq.scale
    attributes = {
        "TRANSLATION": doc.add_accessor(moved.astype(np.float32)),
        "ROTATION": doc.add_accessor(rotation, normalized=True),
    }
    if not np.allclose(s, 1.0):
        attributes["SCALE"] = doc.add_accessor(s.astype(np.float32))
    if feature_ids is not None:
        # Per-instance product ids, in the spirit of EXT_mesh_features: instance i → manifest feature id.
        attributes["_FEATURE_ID_0"] = doc.add_accessor(np.asarray(feature_ids, np.float32).reshape(-1))
    node: dict[str, Any] = {"name": name, "mesh": mesh, "extensions": {EXT: {"attributes": attributes}}}
    if extras:
        node["extras"] = extras
    doc.extensions_used.add(EXT)
    doc.extensions_required.add(EXT)
    return doc.add_node(node, parent=parent)
