"""The GLB writer and GPU instancing, below the build: bytes layout, quantization, meshopt, determinism."""

from __future__ import annotations

import io
import json
import struct
from typing import Any

import numpy as np
import pytest

from storefront_builder.geometry.materials import PALETTE
from storefront_builder.geometry.mesh import MeshData, box, lathe, merge
from storefront_builder.gltf.compress import EXT_MESHOPT, EXT_QUANTIZATION
from storefront_builder.gltf.instancing import EXT, add_instanced_node
from storefront_builder.gltf.reader import Glb
from storefront_builder.gltf.writer import GltfDocument, rnd, rnd_list


def _doc() -> GltfDocument:
    doc = GltfDocument()
    mesh = doc.add_mesh("cube", [(box((0.1, 0.3, 0.7), (2.0, 1.0, -3.0)), doc.material(PALETTE["wall"]))])
    doc.add_node({"name": "cube", "mesh": mesh})
    return doc


def _chunks(glb: bytes) -> tuple[dict[str, Any], bytes]:
    magic, version, total = struct.unpack_from("<4sII", glb)
    assert (magic, version, total) == (b"glTF", 2, len(glb))
    json_len, json_type = struct.unpack_from("<I4s", glb, 12)
    assert json_type == b"JSON" and json_len % 4 == 0
    bin_len, bin_type = struct.unpack_from("<I4s", glb, 20 + json_len)
    assert bin_type == b"BIN\0" and bin_len % 4 == 0
    return json.loads(glb[20:20 + json_len]), glb[28 + json_len:]


def _world(g: Glb, node: dict[str, object], accessor: int) -> np.ndarray:
    """Dequantized positions moved by the node's translation and (uniform) scale, as a renderer places them."""
    scale = np.asarray(node.get("scale", [1, 1, 1]), np.float64)
    return g.values(accessor) * scale + np.asarray(node.get("translation", [0, 0, 0]), np.float64)


def test_glb_header_chunks_and_the_fallback_buffer() -> None:
    gltf, binary = _chunks(_doc().to_glb())
    assert gltf["asset"] == {"version": "2.0", "generator": "vrstore storefront_builder"}
    main, fallback = gltf["buffers"]
    assert main == {"byteLength": len(binary)}
    # The decoded views' buffer has no bytes: the extension is required, not optional.
    assert fallback["extensions"] == {EXT_MESHOPT: {"fallback": True}} and "uri" not in fallback
    assert set(gltf["extensionsRequired"]) == {EXT_MESHOPT, EXT_QUANTIZATION}
    for view in gltf["bufferViews"]:
        ext = view["extensions"][EXT_MESHOPT]
        assert view["buffer"] == 1 and ext["buffer"] == 0 and ext["byteOffset"] + ext["byteLength"] <= len(binary)
        assert ext["byteStride"] % (4 if ext["mode"] == "ATTRIBUTES" else 2) == 0
        assert view["byteLength"] == ext["count"] * ext["byteStride"]


def test_quantized_positions_come_back_within_a_step() -> None:
    glb = _doc().to_glb()
    g = Glb.parse(glb)
    node = g.gltf["nodes"][0]
    acc_index = g.gltf["meshes"][0]["primitives"][0]["attributes"]["POSITION"]
    acc = g.gltf["accessors"][acc_index]
    raw = g.raw(acc_index)
    assert raw.dtype == np.int16 and acc["normalized"] is True
    assert acc["min"] == [int(v) for v in raw.min(0)] and acc["max"] == [int(v) for v in raw.max(0)]
    world = _world(g, node, acc_index)
    expected = box((0.1, 0.3, 0.7), (2.0, 1.0, -3.0)).positions
    step = node["scale"][0] / 32767
    assert node["translation"] == pytest.approx([2.0, 1.0, -3.0])
    # Same vertices (reordered for the codec): compare as sets of rows.
    assert np.allclose(np.sort(world, 0), np.sort(expected, 0), atol=step)


def test_normals_uvs_colours_feature_ids_and_triangles_survive() -> None:
    part = lathe([(0.0, 0.0), (0.3, 0.0), (0.25, 0.5), (0.0, 0.6)], segments=10)
    n = part.vertex_count
    rng = np.random.default_rng(1)
    uvs = rng.uniform(0, 1, (n, 2)).astype(np.float32)
    colours = rng.integers(0, 256, (n, 4)).astype(np.uint8)
    fids = np.arange(n, dtype=np.float32) + 70_000  # unique here, so they tell where each vertex went
    mesh = MeshData(part.positions, part.normals, part.indices, uvs, colours, fids)
    doc = GltfDocument()
    doc.add_node({"mesh": doc.add_mesh("m", [(mesh, doc.material(PALETTE["wall"]))])})
    g = Glb.parse(doc.to_glb())
    prim = g.gltf["meshes"][0]["primitives"][0]
    attrs = prim["attributes"]
    source = (g.raw(attrs["_FEATURE_ID_0"]) - 70_000).astype(int)  # the writer reorders vertices
    assert sorted(source) == list(range(n))
    assert np.array_equal(g.raw(attrs["COLOR_0"]), colours[source])
    assert np.allclose(g.values(attrs["TEXCOORD_0"]), uvs[source], atol=0.5 / 65535)
    assert g.raw(attrs["NORMAL"]).dtype == np.int8
    normals = g.values(attrs["NORMAL"])
    cosine = (normals / np.linalg.norm(normals, axis=1)[:, None] * part.normals[source]).sum(1)
    assert np.degrees(np.arccos(np.clip(cosine, -1, 1))).max() < 1.0
    step = g.gltf["nodes"][0]["scale"][0] / 32767
    assert np.allclose(_world(g, g.gltf["nodes"][0], attrs["POSITION"]), part.positions[source], atol=step)

    def canonical(tris: np.ndarray) -> set[tuple[int, ...]]:
        # A triangle is the same whichever corner it starts from (winding kept).
        return {tuple(np.roll(t, -int(np.argmin(t)))) for t in tris}

    tri = source[g.raw(prim["indices"]).reshape(-1, 3)]
    assert len(tri) == part.triangle_count and canonical(tri) == canonical(part.indices)


def test_meshes_beyond_65535_vertices_get_32_bit_indices() -> None:
    boxes = merge([box((0.1, 0.1, 0.1), (i * 0.2, 0.0, 0.0)) for i in range(2800)])  # 67,200 vertices
    doc = GltfDocument()
    doc.add_node({"mesh": doc.add_mesh("many", [(boxes, doc.material(PALETTE["wall"]))])})
    g = Glb.parse(doc.to_glb())
    prim = g.gltf["meshes"][0]["primitives"][0]
    indices = g.raw(prim["indices"])
    assert indices.dtype == np.uint32 and len(indices) == boxes.triangle_count * 3
    assert indices.max() == boxes.vertex_count - 1
    world = _world(g, g.gltf["nodes"][0], prim["attributes"]["POSITION"])
    step = g.gltf["nodes"][0]["scale"][0] / 32767  # 280 m from the centre: 8.5 mm steps
    assert np.allclose(world.min(0), boxes.positions.min(0), atol=step)
    assert np.allclose(world.max(0), boxes.positions.max(0), atol=step)


def test_uvs_outside_the_unit_square_stay_float() -> None:
    cube = box((1, 1, 1))
    assert cube.uvs is not None
    mesh = MeshData(cube.positions, cube.normals, cube.indices, cube.uvs * 3 - 1)
    doc = GltfDocument()
    doc.add_node({"mesh": doc.add_mesh("m", [(mesh, doc.material(PALETTE["wall"]))])})
    g = Glb.parse(doc.to_glb())
    acc = g.gltf["meshes"][0]["primitives"][0]["attributes"]["TEXCOORD_0"]
    assert g.raw(acc).dtype == np.float32 and g.values(acc).min() == -1.0


def test_same_document_gives_identical_bytes() -> None:
    assert _doc().to_glb() == _doc().to_glb()


def test_json_keys_are_sorted_and_compact() -> None:
    gltf, _ = _chunks(_doc().to_glb())
    text = json.dumps(gltf, sort_keys=True, separators=(",", ":"))
    assert list(gltf) == sorted(gltf)
    assert " " not in text.replace("vrstore storefront_builder", "")


def _instanced(translations: list[tuple[float, float, float]], yaws: list[float],
               scales: list[tuple[float, float, float]] | None) -> Glb:
    doc = GltfDocument()
    # Off-centre geometry: the mesh's dequantization offset matters for every instance.
    mesh = doc.add_mesh("slab", [(merge([box((0.4, 0.2, 0.1), (1.0, 0.5, 0.25))]), doc.material(PALETTE["wall"]))])
    add_instanced_node(doc, "many", mesh, translations, yaws, scales, feature_ids=list(range(len(yaws))))
    return Glb.parse(doc.to_glb())


def _rot_y(deg: float) -> np.ndarray:
    t = np.radians(deg)
    return np.array([[np.cos(t), 0, np.sin(t)], [0, 1, 0], [-np.sin(t), 0, np.cos(t)]])


def test_instanced_node_declares_and_requires_the_extension_and_places_instances() -> None:
    translations = [(0.0, 0.0, 0.0), (5.0, 1.0, -2.0), (-3.0, 2.0, 7.5)]
    yaws, scales = [0.0, 90.0, 200.0], [(1.0, 1.0, 1.0), (2.0, 2.0, 2.0), (0.5, 1.5, 1.0)]
    g = _instanced(translations, yaws, scales)
    assert EXT in g.gltf["extensionsUsed"] and EXT in g.gltf["extensionsRequired"]
    node = g.gltf["nodes"][0]
    attrs = node["extensions"][EXT]["attributes"]
    assert set(attrs) == {"TRANSLATION", "ROTATION", "SCALE", "_FEATURE_ID_0"}
    assert g.raw(attrs["ROTATION"]).dtype == np.int16
    quats = g.values(attrs["ROTATION"])
    assert np.allclose(np.linalg.norm(quats, axis=1), 1.0, atol=1e-4)
    assert np.allclose(quats[1], [0, np.sqrt(0.5), 0, np.sqrt(0.5)], atol=1e-4)
    assert list(g.raw(attrs["_FEATURE_ID_0"])) == [0.0, 1.0, 2.0]
    # What a renderer draws: node (dequantization) · instance · quantized vertex = the instance placed as asked.
    t_inst, s_inst = g.values(attrs["TRANSLATION"]), g.values(attrs["SCALE"])
    local = g.values(g.gltf["meshes"][0]["primitives"][0]["attributes"]["POSITION"])
    source = box((0.4, 0.2, 0.1), (1.0, 0.5, 0.25)).positions
    step = node["scale"][0] / 32767 * 2 * 2.0
    for i, (t, yaw, s) in enumerate(zip(translations, yaws, scales, strict=True)):
        instance = (_rot_y(yaw) @ (local * s_inst[i]).T).T + t_inst[i]
        drawn = instance * node["scale"][0] + np.asarray(node["translation"])
        expected = (_rot_y(yaw) @ (source * np.asarray(s)).T).T + np.asarray(t)
        assert np.allclose(np.sort(drawn, 0), np.sort(expected, 0), atol=step), i


def test_unit_scale_is_omitted() -> None:
    g = _instanced([(0, 0, 0), (1, 0, 0)], [0, 0], [(1, 1, 1), (1, 1, 1)])
    assert "SCALE" not in g.gltf["nodes"][0]["extensions"][EXT]["attributes"]


def test_unaligned_instance_data_is_refused() -> None:
    doc = GltfDocument()
    with pytest.raises(ValueError, match="4-byte"):
        doc.add_accessor(np.zeros((3, 3), np.int16))


def test_unlit_and_textured_materials() -> None:
    doc = GltfDocument()
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (4, 4), (255, 0, 0)).save(buf, format="PNG")
    doc.add_texture("signs", buf.getvalue(), "image/png")
    index = doc.material(PALETTE["sign"])
    gltf, binary = _chunks(doc.to_glb())
    mat = gltf["materials"][index]
    assert mat["extensions"] == {"KHR_materials_unlit": {}}
    assert mat["pbrMetallicRoughness"]["baseColorTexture"] == {"index": 0}
    assert "KHR_materials_unlit" in gltf["extensionsUsed"]
    # Images are stored as they are, in the binary chunk.
    view = gltf["bufferViews"][gltf["images"][0]["bufferView"]]
    assert view["buffer"] == 0 and binary[view["byteOffset"]:view["byteOffset"] + 8] == b"\x89PNG\r\n\x1a\n"
    assert gltf["buffers"] == [{"byteLength": len(binary)}]


def test_rounding_normalises_negative_zero() -> None:
    assert str(rnd(-0.000001)) == "0.0"
    assert rnd_list([1.234567, -0.0], 3) == [1.235, 0.0]
