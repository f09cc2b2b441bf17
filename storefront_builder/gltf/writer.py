"""A small deterministic glTF 2.0 binary writer: numpy arrays + a JSON dict → GLB bytes.

Determinism: the JSON is dumped with sorted keys and compact separators, floats are rounded to a fixed
number of decimals before they reach the JSON, and the binary chunk is laid out in insertion order.
"""

from __future__ import annotations

import json
import struct
from typing import Any

import numpy as np
import numpy.typing as npt

from storefront_builder.geometry.materials import Material
from storefront_builder.geometry.mesh import MeshData

ARRAY_BUFFER = 34962
ELEMENT_ARRAY_BUFFER = 34963
FLOAT, UBYTE, USHORT, UINT = 5126, 5121, 5123, 5125
_COMPONENT = {np.dtype(np.float32): FLOAT, np.dtype(np.uint8): UBYTE, np.dtype(np.uint16): USHORT,
              np.dtype(np.uint32): UINT}
_TYPE = {1: "SCALAR", 2: "VEC2", 3: "VEC3", 4: "VEC4"}
JsonDict = dict[str, Any]


def rnd(value: float, places: int = 5) -> float:
    """Round for the JSON; ``-0.0`` becomes ``0.0`` so equal scenes print equally."""
    r = round(float(value), places)
    return 0.0 if r == 0 else r


def rnd_list(values: npt.ArrayLike, places: int = 5) -> list[float]:
    """Round every element of a flat sequence (see ``rnd``)."""
    return [rnd(v, places) for v in np.asarray(values, dtype=np.float64).reshape(-1)]


class GltfDocument:
    """Accumulates glTF objects and one binary buffer; ``to_glb`` serialises."""

    def __init__(self) -> None:
        self.gltf: JsonDict = {
            "asset": {"version": "2.0", "generator": "vrstore storefront_builder"},
            "scene": 0,
            "scenes": [{"nodes": []}],
            "nodes": [], "meshes": [], "materials": [], "accessors": [], "bufferViews": [],
        }
        self._chunks: list[bytes] = []
        self._length = 0
        self._materials: dict[str, int] = {}
        self._textures: dict[str, int] = {}
        self.extensions_used: set[str] = set()
        self.extensions_required: set[str] = set()

    # -- binary data -------------------------------------------------------------------------------------
    def add_view(self, data: bytes, target: int | None = None) -> int:
        """Append ``data`` (4-byte aligned) as a bufferView; returns its index."""
        pad = (-self._length) % 4
        if pad:
            self._chunks.append(b"\0" * pad)
            self._length += pad
        view: JsonDict = {"buffer": 0, "byteOffset": self._length, "byteLength": len(data)}
        if target is not None:
            view["target"] = target
        self._chunks.append(data)
        self._length += len(data)
        self.gltf["bufferViews"].append(view)
        return len(self.gltf["bufferViews"]) - 1

    def add_accessor(self, array: npt.NDArray[Any], *, target: int | None = None, bounds: bool = False,
                     normalized: bool = False) -> int:
        """Store a 1-D or 2-D array as an accessor (own bufferView); ``bounds`` adds min/max."""
        arr = np.ascontiguousarray(array)
        width = 1 if arr.ndim == 1 else arr.shape[1]
        acc: JsonDict = {
            "bufferView": self.add_view(arr.tobytes(), target),
            "componentType": _COMPONENT[arr.dtype],
            "count": int(arr.shape[0]),
            "type": _TYPE[width],
        }
        if normalized:
            acc["normalized"] = True
        if bounds:
            flat = arr.reshape(arr.shape[0], -1)
            if arr.dtype == np.float32:
                # min/max must equal the stored float32 values exactly: print their exact float64 value.
                acc["min"] = [float(v) for v in flat.min(0)]
                acc["max"] = [float(v) for v in flat.max(0)]
            else:
                acc["min"] = [int(v) for v in flat.min(0)]
                acc["max"] = [int(v) for v in flat.max(0)]
        self.gltf["accessors"].append(acc)
        return len(self.gltf["accessors"]) - 1

    # -- textures and materials --------------------------------------------------------------------------
    def add_texture(self, key: str, data: bytes, mime: str) -> int:
        """Embed an image once per key and return its texture index."""
        if key in self._textures:
            return self._textures[key]
        images = self.gltf.setdefault("images", [])
        images.append({"bufferView": self.add_view(data), "mimeType": mime, "name": key})
        # One shared sampler: linear, mipmapped, clamped (atlas cells must not wrap).
        self.gltf.setdefault("samplers", [{"magFilter": 9729, "minFilter": 9987, "wrapS": 33071, "wrapT": 33071}])
        textures = self.gltf.setdefault("textures", [])
        textures.append({"sampler": 0, "source": len(images) - 1})
        self._textures[key] = len(textures) - 1
        return self._textures[key]

    def has_texture(self, key: str) -> bool:
        """Whether an image was registered under ``key``."""
        return key in self._textures

    def material(self, mat: Material) -> int:
        """The index of ``mat``, adding it on first use."""
        if mat.name in self._materials:
            return self._materials[mat.name]
        pbr: JsonDict = {
            "baseColorFactor": rnd_list(mat.color, 4),
            "metallicFactor": rnd(mat.metallic, 3),
            "roughnessFactor": rnd(mat.roughness, 3),
        }
        if mat.texture is not None:
            pbr["baseColorTexture"] = {"index": self._textures[mat.texture]}
        out: JsonDict = {"name": mat.name, "pbrMetallicRoughness": pbr}
        if any(mat.emissive):
            out["emissiveFactor"] = rnd_list(mat.emissive, 4)
        if mat.blend:
            out["alphaMode"] = "BLEND"
        if mat.double_sided:
            out["doubleSided"] = True
        if mat.unlit:
            out["extensions"] = {"KHR_materials_unlit": {}}
            self.extensions_used.add("KHR_materials_unlit")
        self.gltf["materials"].append(out)
        self._materials[mat.name] = len(self.gltf["materials"]) - 1
        return self._materials[mat.name]

    # -- meshes and nodes --------------------------------------------------------------------------------
    def add_mesh(self, name: str, primitives: list[tuple[MeshData, int]]) -> int:
        """A mesh with one primitive per (geometry, material index); returns the mesh index."""
        prims = []
        for mesh, material in primitives:
            attrs = {
                "POSITION": self.add_accessor(mesh.positions.astype(np.float32), target=ARRAY_BUFFER,
                                              bounds=True),
                "NORMAL": self.add_accessor(mesh.normals.astype(np.float32), target=ARRAY_BUFFER),
            }
            if mesh.uvs is not None:
                attrs["TEXCOORD_0"] = self.add_accessor(mesh.uvs.astype(np.float32), target=ARRAY_BUFFER)
            if mesh.colors is not None:
                attrs["COLOR_0"] = self.add_accessor(mesh.colors.astype(np.uint8), target=ARRAY_BUFFER,
                                                     normalized=True)
            if mesh.feature_ids is not None:
                attrs["_FEATURE_ID_0"] = self.add_accessor(mesh.feature_ids.astype(np.float32),
                                                           target=ARRAY_BUFFER)
            index_type = np.uint16 if mesh.vertex_count <= 65535 else np.uint32
            indices = self.add_accessor(mesh.indices.reshape(-1).astype(index_type),
                                        target=ELEMENT_ARRAY_BUFFER)
            prims.append({"attributes": attrs, "indices": indices, "material": material, "mode": 4})
        self.gltf["meshes"].append({"name": name, "primitives": prims})
        return len(self.gltf["meshes"]) - 1

    def add_node(self, node: JsonDict, *, parent: int | None = None) -> int:
        """Append a node; a root node joins the scene, otherwise the parent's children."""
        self.gltf["nodes"].append(node)
        index = len(self.gltf["nodes"]) - 1
        if parent is None:
            self.gltf["scenes"][0]["nodes"].append(index)
        else:
            self.gltf["nodes"][parent].setdefault("children", []).append(index)
        return index

    # -- output ------------------------------------------------------------------------------------------
    def to_glb(self) -> bytes:
        """Serialise: JSON chunk (space-padded) + BIN chunk (zero-padded), little-endian header."""
        gltf = {k: v for k, v in self.gltf.items() if v != []}
        if self.extensions_used:
            gltf["extensionsUsed"] = sorted(self.extensions_used)
        if self.extensions_required:
            gltf["extensionsRequired"] = sorted(self.extensions_required)
        binary = b"".join(self._chunks)
        binary += b"\0" * ((-len(binary)) % 4)
        if binary:
            gltf["buffers"] = [{"byteLength": len(binary)}]
        text = json.dumps(gltf, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
        text += b" " * ((-len(text)) % 4)
        total = 12 + 8 + len(text) + (8 + len(binary) if binary else 0)
        out = [struct.pack("<4sII", b"glTF", 2, total), struct.pack("<I4s", len(text), b"JSON"), text]
        if binary:
            out += [struct.pack("<I4s", len(binary), b"BIN\0"), binary]
        return b"".join(out)
