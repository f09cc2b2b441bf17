"""A small deterministic glTF 2.0 binary writer: numpy arrays + a JSON dict → GLB bytes.

Geometry and instance data are quantized (``KHR_mesh_quantization``) and every accessor's buffer view is
compressed with meshoptimizer (``EXT_meshopt_compression``, see ``compress.py``); images are stored as they are.
Compressed views live in a *fallback* buffer that has no bytes of its own (buffer 1: its size is the decoded
size), their compressed bytes in the GLB's binary chunk (buffer 0). With no uncompressed copy, both extensions
are *required*: a loader without a meshopt decoder refuses the file instead of drawing nothing. three.js's
GLTFLoader reads both once it is given ``MeshoptDecoder``; so do Babylon.js and gltf-transform.

Positions are quantized per mesh; a node that draws a mesh gets the mesh's dequantization (uniform scale and
offset) folded into its transform by ``add_node``, and ``dequantization`` tells callers that place instances.

Determinism: the JSON is dumped with sorted keys and compact separators, floats are rounded to a fixed
number of decimals before they reach the JSON, the binary chunk is laid out in insertion order and the codecs
are deterministic.
"""

from __future__ import annotations

import json
import struct
from typing import Any

import numpy as np
import numpy.typing as npt

from storefront_builder.geometry.materials import Material
from storefront_builder.geometry.mesh import MeshData
from storefront_builder.gltf.compress import (
    EXT_MESHOPT,
    EXT_QUANTIZATION,
    Dequantize,
    encode_attributes,
    encode_triangles,
    quantize_normals,
    quantize_positions,
    quantize_uvs,
    reorder,
    rows_of,
    volume,
)

ARRAY_BUFFER = 34962
ELEMENT_ARRAY_BUFFER = 34963
FLOAT, BYTE, UBYTE, SHORT, USHORT, UINT = 5126, 5120, 5121, 5122, 5123, 5125
_COMPONENT = {np.dtype(np.float32): FLOAT, np.dtype(np.int8): BYTE, np.dtype(np.uint8): UBYTE,
              np.dtype(np.int16): SHORT, np.dtype(np.uint16): USHORT, np.dtype(np.uint32): UINT}
_TYPE = {1: "SCALAR", 2: "VEC2", 3: "VEC3", 4: "VEC4"}
JsonDict = dict[str, Any]


def rnd(value: float, places: int = 5) -> float:
    """Round for the JSON; ``-0.0`` becomes ``0.0`` so equal scenes print equally."""
    r = round(float(value), places)
    return 0.0 if r == 0 else r


def rnd_list(values: npt.ArrayLike, places: int = 5) -> list[float]:
    """Round every element of a flat sequence (see ``rnd``)."""
    return [rnd(v, places) for v in np.asarray(values, dtype=np.float64).reshape(-1)]


def rotate(q: npt.ArrayLike, v: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """Rotate vectors ``v`` (…×3) by unit quaternions ``q`` (…×4, x y z w)."""
    qa, va = np.asarray(q, np.float64), np.asarray(v, np.float64)
    u, w = qa[..., :3], qa[..., 3:]
    t = 2.0 * np.cross(u, va)
    out: npt.NDArray[np.float64] = va + w * t + np.cross(u, t)
    return out


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
        self._fallback_length = 0
        self._materials: dict[str, int] = {}
        self._textures: dict[str, int] = {}
        self._dequantize: dict[int, Dequantize] = {}
        self.extensions_used: set[str] = set()
        self.extensions_required: set[str] = set()

    # -- binary data -------------------------------------------------------------------------------------
    def _append(self, data: bytes) -> int:
        """Append ``data`` to the binary chunk at a 4-byte boundary; returns its offset."""
        pad = (-self._length) % 4
        if pad:
            self._chunks.append(b"\0" * pad)
            self._length += pad
        offset = self._length
        self._chunks.append(data)
        self._length += len(data)
        return offset

    def add_view(self, data: bytes, target: int | None = None) -> int:
        """Append ``data`` uncompressed (4-byte aligned) as a bufferView; returns its index."""
        view: JsonDict = {"buffer": 0, "byteOffset": self._append(data), "byteLength": len(data)}
        if target is not None:
            view["target"] = target
        self.gltf["bufferViews"].append(view)
        return len(self.gltf["bufferViews"]) - 1

    def _add_compressed_view(self, encoded: bytes, *, count: int, stride: int, mode: str,
                             target: int | None) -> int:
        """A bufferView of the fallback buffer whose bytes are ``encoded`` (``mode``) in the binary chunk."""
        self._fallback_length += (-self._fallback_length) % 4
        length = count * stride
        view: JsonDict = {
            "buffer": 1, "byteOffset": self._fallback_length, "byteLength": length,
            "extensions": {EXT_MESHOPT: {"buffer": 0, "byteOffset": self._append(encoded),
                                         "byteLength": len(encoded), "byteStride": stride, "count": count,
                                         "mode": mode}},
        }
        if target is not None:
            view["target"] = target
        if target == ARRAY_BUFFER:
            view["byteStride"] = stride  # vertex attributes may be padded (a VEC3 of bytes takes 4)
        self._fallback_length += length
        self.extensions_used.add(EXT_MESHOPT)
        self.extensions_required.add(EXT_MESHOPT)
        self.gltf["bufferViews"].append(view)
        return len(self.gltf["bufferViews"]) - 1

    def add_accessor(self, array: npt.NDArray[Any], *, target: int | None = None, bounds: bool = False,
                     normalized: bool = False) -> int:
        """Store a 1-D or 2-D array as an accessor (own compressed bufferView); ``bounds`` adds min/max.

        Indices (``target=ELEMENT_ARRAY_BUFFER``) use the triangle codec; everything else the vertex codec, rows
        padded to 4 bytes, which only vertex attributes may be (instance data must be 4-byte elements).
        """
        arr = np.ascontiguousarray(array)
        count = int(arr.shape[0])
        width = 1 if arr.ndim == 1 else arr.shape[1]
        if target == ELEMENT_ARRAY_BUFFER:
            view = self._add_compressed_view(encode_triangles(arr), count=count, stride=arr.itemsize,
                                             mode="TRIANGLES", target=target)
        else:
            rows, stride = rows_of(arr.reshape(count, width))
            if stride != width * arr.itemsize and target != ARRAY_BUFFER:
                raise ValueError(f"a {arr.dtype} × {width} element is not 4-byte aligned outside vertex data")
            view = self._add_compressed_view(encode_attributes(rows), count=count, stride=stride,
                                             mode="ATTRIBUTES", target=target)
        acc: JsonDict = {
            "bufferView": view,
            "componentType": _COMPONENT[arr.dtype],
            "count": count,
            "type": _TYPE[width],
        }
        if normalized:
            acc["normalized"] = True
        if bounds:
            flat = arr.reshape(count, -1)
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
        """A mesh with one primitive per (geometry, material index); returns the mesh index.

        Positions are quantized in one cube for the whole mesh (``dequantization``), normals to bytes, UVs in
        0..1 to 16 bits; colours are bytes already and feature ids stay float (exact up to 2^24).
        """
        dq = volume([mesh.positions for mesh, _ in primitives])
        prims = []
        for raw, material in primitives:
            mesh = reorder(raw)
            attrs = {
                "POSITION": self.add_accessor(quantize_positions(mesh.positions, dq), target=ARRAY_BUFFER,
                                              bounds=True, normalized=True),
                "NORMAL": self.add_accessor(quantize_normals(mesh.normals), target=ARRAY_BUFFER, normalized=True),
            }
            if mesh.uvs is not None:
                uvs = quantize_uvs(mesh.uvs)
                attrs["TEXCOORD_0"] = (
                    self.add_accessor(mesh.uvs.astype(np.float32), target=ARRAY_BUFFER) if uvs is None
                    else self.add_accessor(uvs, target=ARRAY_BUFFER, normalized=True))
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
        self.extensions_used.add(EXT_QUANTIZATION)
        self.extensions_required.add(EXT_QUANTIZATION)
        index = len(self.gltf["meshes"]) - 1
        self._dequantize[index] = dq
        return index

    def dequantization(self, mesh: int) -> Dequantize:
        """How ``mesh``'s quantized positions map back to its own space."""
        return self._dequantize[mesh]

    def add_node(self, node: JsonDict, *, parent: int | None = None) -> int:
        """Append a node; a root node joins the scene, otherwise the parent's children.

        A node with a mesh gets the mesh's dequantization folded into its transform (translation, rotation and
        scale as given, then the mesh's uniform scale and offset).
        """
        if "mesh" in node:
            folded = self._fold(node, self._dequantize[node["mesh"]])
            node = {k: v for k, v in node.items() if k not in ("translation", "scale")} | folded
        self.gltf["nodes"].append(node)
        index = len(self.gltf["nodes"]) - 1
        if parent is None:
            self.gltf["scenes"][0]["nodes"].append(index)
        else:
            self.gltf["nodes"][parent].setdefault("children", []).append(index)
        return index

    @staticmethod
    def _fold(node: JsonDict, dq: Dequantize) -> JsonDict:
        if "matrix" in node:
            raise ValueError("nodes with a mesh are written with translation/rotation/scale")
        t = np.asarray(node.get("translation", [0.0, 0.0, 0.0]), np.float64)
        r = node.get("rotation", [0.0, 0.0, 0.0, 1.0])
        s = np.asarray(node.get("scale", [1.0, 1.0, 1.0]), np.float64)
        out: JsonDict = {"translation": rnd_list(t + rotate(r, s * np.asarray(dq.offset)), 6),
                         "scale": rnd_list(s * dq.scale, 6)}
        if out["translation"] == [0.0, 0.0, 0.0]:
            del out["translation"]
        return out

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
        if self._fallback_length:
            # The decoded views' home: no bytes of its own (the extension is required, see the module docstring).
            gltf["buffers"].append({"byteLength": self._fallback_length,
                                    "extensions": {EXT_MESHOPT: {"fallback": True}}})
        text = json.dumps(gltf, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
        text += b" " * ((-len(text)) % 4)
        total = 12 + 8 + len(text) + (8 + len(binary) if binary else 0)
        out = [struct.pack("<4sII", b"glTF", 2, total), struct.pack("<I4s", len(text), b"JSON"), text]
        if binary:
            out += [struct.pack("<I4s", len(binary), b"BIN\0"), binary]
        return b"".join(out)
