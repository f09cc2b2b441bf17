"""Read back what the writer wrote: a GLB's chunks, its accessors decoded (meshopt) and dequantized, and the
same file with every compressed view decoded in place (for tools that cannot decode, like the glTF-Validator).

Used by the tests and the scene benchmark; it reads the subset of glTF the writer produces (one binary chunk,
no sparse accessors).
"""

from __future__ import annotations

import json
import struct
from dataclasses import dataclass
from typing import Any

import meshopt
import numpy as np
import numpy.typing as npt

from storefront_builder.gltf.compress import EXT_MESHOPT

_DTYPE = {5120: np.int8, 5121: np.uint8, 5122: np.int16, 5123: np.uint16, 5125: np.uint32, 5126: np.float32}
_WIDTH = {"SCALAR": 1, "VEC2": 2, "VEC3": 3, "VEC4": 4}
_NORM = {np.int8: 127.0, np.uint8: 255.0, np.int16: 32767.0, np.uint16: 65535.0}


@dataclass(frozen=True)
class Glb:
    """A parsed GLB: its JSON, its binary chunk, and the two chunks' sizes."""

    gltf: dict[str, Any]
    binary: bytes
    json_bytes: int

    @classmethod
    def parse(cls, glb: bytes) -> Glb:
        magic, _version, total = struct.unpack_from("<4sII", glb)
        if magic != b"glTF" or total != len(glb):
            raise ValueError("not a GLB or wrong length")
        json_len, _ = struct.unpack_from("<I4s", glb, 12)
        rest = 20 + json_len
        binary = glb[rest + 8:] if rest < len(glb) else b""
        return cls(json.loads(glb[20:rest]), binary, json_len)

    def view_bytes(self, index: int) -> bytes:
        """A bufferView's bytes, decoded if compressed (as laid out in its fallback buffer)."""
        view = self.gltf["bufferViews"][index]
        ext = view.get("extensions", {}).get(EXT_MESHOPT)
        if ext is None:
            start = view.get("byteOffset", 0)
            return self.binary[start:start + view["byteLength"]]
        start = ext.get("byteOffset", 0)
        data = self.binary[start:start + ext["byteLength"]]
        decoded = meshopt.decode_gltf_buffer(data, ext["count"], ext["byteStride"], ext["mode"], ext.get("filter"))
        return bytes(decoded.tobytes())

    def raw(self, accessor: int) -> npt.NDArray[Any]:
        """An accessor's stored values (count × width, or count for scalars), not dequantized."""
        acc = self.gltf["accessors"][accessor]
        view = self.gltf["bufferViews"][acc["bufferView"]]
        dtype = np.dtype(_DTYPE[acc["componentType"]])
        width = _WIDTH[acc["type"]]
        data = self.view_bytes(acc["bufferView"])
        stride = view.get("byteStride", width * dtype.itemsize)
        rows = np.frombuffer(data, np.uint8, acc["count"] * stride, acc.get("byteOffset", 0))
        values = rows.reshape(acc["count"], stride)[:, :width * dtype.itemsize].copy().view(dtype)
        return values.reshape(-1) if width == 1 else values

    def values(self, accessor: int) -> npt.NDArray[np.float64]:
        """An accessor's values as floats, normalised integers mapped back to -1..1 or 0..1."""
        acc = self.gltf["accessors"][accessor]
        raw = self.raw(accessor)
        if not acc.get("normalized"):
            return raw.astype(np.float64)
        out: npt.NDArray[np.float64] = np.maximum(raw / _NORM[raw.dtype.type], -1.0)
        return out

    def decompressed(self) -> bytes:
        """The same GLB with every compressed view decoded into the binary chunk and the extension dropped."""
        gltf = json.loads(json.dumps(self.gltf))
        chunks: list[bytes] = []
        length = 0
        for index, view in enumerate(gltf["bufferViews"]):
            data = self.view_bytes(index)
            pad = (-length) % 4
            chunks.append(b"\0" * pad)
            length += pad
            view.update(buffer=0, byteOffset=length, byteLength=len(data))
            view.pop("extensions", None)
            chunks.append(data)
            length += len(data)
        binary = b"".join(chunks)
        binary += b"\0" * ((-len(binary)) % 4)
        gltf["buffers"] = [{"byteLength": len(binary)}]
        for key in ("extensionsUsed", "extensionsRequired"):
            kept = [e for e in gltf.get(key, []) if e != EXT_MESHOPT]
            if kept:
                gltf[key] = kept
            else:
                gltf.pop(key, None)
        text = json.dumps(gltf, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
        text += b" " * ((-len(text)) % 4)
        total = 28 + len(text) + len(binary)
        return b"".join([struct.pack("<4sII", b"glTF", 2, total), struct.pack("<I4s", len(text), b"JSON"), text,
                         struct.pack("<I4s", len(binary), b"BIN\0"), binary])
