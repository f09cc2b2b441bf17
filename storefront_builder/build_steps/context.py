"""The state the build steps share, and the helpers that turn geometry into counted draw calls."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from storefront_builder.geometry.materials import PALETTE, Material, texture_material
from storefront_builder.geometry.mesh import MeshData, drop_uvs, merge
from storefront_builder.gltf.instancing import EXT as INSTANCING
from storefront_builder.gltf.instancing import add_instanced_node
from storefront_builder.gltf.writer import GltfDocument
from storefront_builder.plan import StorePlan

MAX_DRAW_CALLS = 100
# Draw-call budgets per concern; the sum stays under MAX_DRAW_CALLS with room for the shell and signs.
FIXTURE_BUDGET = 34
PLACEHOLDER_BUDGET = 30  # products without a model or image: kit models (placeholders without a kit)
MODEL_BUDGET = 16
ATLAS_PAGES = 4


def _resolve(name: str | Material) -> Material:
    if isinstance(name, Material):
        return name
    if name.startswith("atlas:"):
        return texture_material(name.removeprefix("atlas:"))
    return PALETTE[name]


def _fit(mesh: MeshData, material: str) -> MeshData:
    """Drop UVs the material cannot use (the validator flags them and they cost bytes)."""
    return mesh if mesh.uvs is None or _resolve(material).texture else drop_uvs(mesh)


@dataclass
class BuildContext:
    """Everything a step reads or writes; steps communicate only through it."""

    plan: StorePlan
    assets: Mapping[str, bytes]
    doc: GltfDocument = field(default_factory=GltfDocument)
    warnings: list[str] = field(default_factory=list)
    draw_calls: int = 0
    triangles: int = 0
    groups: dict[str, int] = field(default_factory=dict)
    feature_ids: dict[str, int] = field(default_factory=dict)
    image_cells: dict[str, tuple[int, tuple[float, float, float, float]]] = field(default_factory=dict)
    models: dict[str, MeshData] = field(default_factory=dict)
    representation: dict[str, str] = field(default_factory=dict)
    manifest: dict[str, Any] = field(default_factory=dict)
    glb: bytes = b""
    content_hash: str = ""

    def group(self, name: str) -> int:
        """The root node that holds one concern's nodes (``structure``, ``fixtures``, …), made on demand."""
        if name not in self.groups:
            self.groups[name] = self.doc.add_node({"name": name})
        return self.groups[name]

    def material(self, name: str | Material) -> int:
        """Material index by palette name, ``atlas:{key}`` for an atlas page, or a ``Material``."""
        return self.doc.material(_resolve(name))

    def emit(self, name: str, parts: Mapping[str, list[MeshData]], *, parent: int,
             extras: dict[str, Any] | None = None) -> int | None:
        """One static node whose mesh has one merged primitive per material (materials sorted by name)."""
        prims = []
        for mat in sorted(parts):
            merged = merge(parts[mat])
            if merged.vertex_count == 0:
                continue
            prims.append((_fit(merged, mat), self.material(mat)))
            self.draw_calls += 1
            self.triangles += merged.triangle_count
        if not prims:
            return None
        node: dict[str, Any] = {"name": name, "mesh": self.doc.add_mesh(name, prims)}
        if extras:
            node["extras"] = extras
        return self.doc.add_node(node, parent=parent)

    def emit_instanced(self, name: str, parts: Mapping[str, MeshData], *, parent: int,
                       translations: npt.ArrayLike, yaw_deg: npt.ArrayLike, scales: npt.ArrayLike | None = None,
                       feature_ids: npt.ArrayLike | None = None, extras: dict[str, Any] | None = None,
                       colors: npt.NDArray[np.uint8] | None = None) -> int:
        """One instanced node; each material primitive is one draw call however many instances there are.

        ``colors`` (K×4 linear RGBA bytes) become the per-instance ``_COLOR_0`` that three.js multiplies into
        every primitive of the node (``InstancedMesh.instanceColor``): kit bodies tinted per product.
        """
        prims = [(_fit(parts[mat], mat), self.material(mat)) for mat in sorted(parts)]
        count = int(np.asarray(translations).reshape(-1, 3).shape[0])
        self.draw_calls += len(prims)
        self.triangles += count * sum(p.triangle_count for p, _ in prims)
        mesh = self.doc.add_mesh(name, prims)
        node = add_instanced_node(self.doc, name, mesh, translations, yaw_deg, scales,
                                  feature_ids=feature_ids, extras=extras, parent=parent)
        if colors is not None:
            attributes = self.doc.gltf["nodes"][node]["extensions"][INSTANCING]["attributes"]
            attributes["_COLOR_0"] = self.doc.add_accessor(np.asarray(colors, np.uint8).reshape(count, 4),
                                                           normalized=True)
        return node
