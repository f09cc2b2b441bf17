"""``EXT_mesh_gpu_instancing``: one node draws a mesh many times from per-instance TRS accessors.

The extension is both used and *required*: a loader that ignored it would draw a single copy at the node's
origin – a silently wrong store – so refusing to load is the better failure. three.js (GLTFLoader), Babylon.js
and gltf-transform all implement it.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from storefront_builder.geometry.batch import yaw_quaternions
from storefront_builder.gltf.writer import GltfDocument

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
    t = np.asarray(translations, np.float32).reshape(-1, 3)
    attributes = {
        "TRANSLATION": doc.add_accessor(t),
        "ROTATION": doc.add_accessor(yaw_quaternions(yaw_deg)),
    }
    if scales is not None:
        s = np.asarray(scales, np.float32).reshape(-1, 3)
        if not np.allclose(s, 1.0):
            attributes["SCALE"] = doc.add_accessor(s)
    if feature_ids is not None:
        # Per-instance product ids, in the spirit of EXT_mesh_features: instance i → manifest feature id.
        attributes["_FEATURE_ID_0"] = doc.add_accessor(np.asarray(feature_ids, np.float32).reshape(-1))
    node: dict[str, Any] = {"name": name, "mesh": mesh, "extensions": {EXT: {"attributes": attributes}}}
    if extras:
        node["extras"] = extras
    doc.extensions_used.add(EXT)
    doc.extensions_required.add(EXT)
    return doc.add_node(node, parent=parent)
