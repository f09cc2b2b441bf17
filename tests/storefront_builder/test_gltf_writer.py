"""The GLB writer and GPU instancing, below the build: bytes layout, accessors, determinism."""

from __future__ import annotations

import io
import json
import struct

import numpy as np
import pygltflib

from storefront_builder.geometry.materials import PALETTE
from storefront_builder.geometry.mesh import box
from storefront_builder.gltf.instancing import EXT, add_instanced_node
from storefront_builder.gltf.writer import GltfDocument, rnd, rnd_list


def _doc() -> GltfDocument:
    doc = GltfDocument()
    mesh = doc.add_mesh("cube", [(box((0.1, 0.3, 0.7)), doc.material(PALETTE["wall"]))])
    doc.add_node({"name": "cube", "mesh": mesh})
    return doc


def _chunks(glb: bytes) -> tuple[dict[str, object], bytes]:
    magic, version, total = struct.unpack_from("<4sII", glb)
    assert (magic, version, total) == (b"glTF", 2, len(glb))
    json_len, json_type = struct.unpack_from("<I4s", glb, 12)
    assert json_type == b"JSON" and json_len % 4 == 0
    bin_len, bin_type = struct.unpack_from("<I4s", glb, 20 + json_len)
    assert bin_type == b"BIN\0" and bin_len % 4 == 0
    return json.loads(glb[20:20 + json_len]), glb[28 + json_len:]


def test_glb_header_and_chunks_are_aligned() -> None:
    gltf, binary = _chunks(_doc().to_glb())
    assert gltf["asset"] == {"version": "2.0", "generator": "vrstore storefront_builder"}
    assert gltf["buffers"] == [{"byteLength": len(binary)}]


def test_position_bounds_match_the_float32_data_exactly() -> None:
    glb = _doc().to_glb()
    g = pygltflib.GLTF2.load_from_bytes(glb)
    acc = g.accessors[g.meshes[0].primitives[0].attributes.POSITION]
    view = g.bufferViews[acc.bufferView]
    data = np.frombuffer(g.binary_blob(), np.float32, acc.count * 3, view.byteOffset).reshape(-1, 3)
    assert acc.min == [float(v) for v in data.min(0)]
    assert acc.max == [float(v) for v in data.max(0)]
    assert np.allclose(data.max(0) - data.min(0), (0.1, 0.3, 0.7))


def test_same_document_gives_identical_bytes() -> None:
    assert _doc().to_glb() == _doc().to_glb()


def test_json_keys_are_sorted_and_compact() -> None:
    gltf, _ = _chunks(_doc().to_glb())
    text = json.dumps(gltf, sort_keys=True, separators=(",", ":"))
    assert list(gltf) == sorted(gltf)
    assert " " not in text.replace("vrstore storefront_builder", "")


def test_instanced_node_declares_and_requires_the_extension() -> None:
    doc = GltfDocument()
    mesh = doc.add_mesh("cube", [(box((1, 1, 1)), doc.material(PALETTE["wall"]))])
    add_instanced_node(doc, "many", mesh, [(0, 0, 0), (1, 0, 0), (2, 0, 0)], [0, 90, 180],
                       [(1, 1, 1), (2, 2, 2), (1, 1, 1)], feature_ids=[0, 1, 2])
    g = pygltflib.GLTF2.load_from_bytes(doc.to_glb())
    assert EXT in g.extensionsUsed and EXT in g.extensionsRequired
    attrs = g.nodes[0].extensions[EXT]["attributes"]
    assert set(attrs) == {"TRANSLATION", "ROTATION", "SCALE", "_FEATURE_ID_0"}
    rot = g.accessors[attrs["ROTATION"]]
    view = g.bufferViews[rot.bufferView]
    quats = np.frombuffer(g.binary_blob(), np.float32, rot.count * 4, view.byteOffset).reshape(-1, 4)
    assert np.allclose(np.linalg.norm(quats, axis=1), 1.0, atol=1e-6)
    assert np.allclose(quats[1], [0, np.sqrt(0.5), 0, np.sqrt(0.5)], atol=1e-6)


def test_unit_scale_is_omitted() -> None:
    doc = GltfDocument()
    mesh = doc.add_mesh("cube", [(box((1, 1, 1)), doc.material(PALETTE["wall"]))])
    add_instanced_node(doc, "many", mesh, [(0, 0, 0), (1, 0, 0)], [0, 0], [(1, 1, 1), (1, 1, 1)])
    g = pygltflib.GLTF2.load_from_bytes(doc.to_glb())
    assert "SCALE" not in g.nodes[0].extensions[EXT]["attributes"]


def test_unlit_and_textured_materials() -> None:
    doc = GltfDocument()
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (4, 4), (255, 0, 0)).save(buf, format="PNG")
    doc.add_texture("signs", buf.getvalue(), "image/png")
    index = doc.material(PALETTE["sign"])
    gltf, _ = _chunks(doc.to_glb())
    mat = gltf["materials"][index]  # type: ignore[index]
    assert mat["extensions"] == {"KHR_materials_unlit": {}}
    assert mat["pbrMetallicRoughness"]["baseColorTexture"] == {"index": 0}
    assert "KHR_materials_unlit" in gltf["extensionsUsed"]  # type: ignore[operator]


def test_rounding_normalises_negative_zero() -> None:
    assert str(rnd(-0.000001)) == "0.0"
    assert rnd_list([1.234567, -0.0], 3) == [1.235, 0.0]
