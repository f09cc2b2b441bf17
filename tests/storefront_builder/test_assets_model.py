"""Merchant model validation: valid models pass, hostile ones fail fast with an exact code."""

from __future__ import annotations

import base64
import json
import struct
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import trimesh
from hypothesis import given, settings
from hypothesis import strategies as st

from storefront_builder.assets import AssetReport, validate_model
from storefront_builder.assets.report import CODES

Glb = Callable[..., bytes]
Triangle = Callable[..., tuple[dict[str, Any], bytes]]


def _timed(data: bytes) -> AssetReport:
    start = time.perf_counter()
    report = validate_model(data)
    assert time.perf_counter() - start < 2.0
    assert report.ok == (not report.errors)
    assert all(e.code in CODES for e in report.errors)
    return report


def _rejects(data: bytes, code: str) -> AssetReport:
    report = _timed(data)
    assert not report.ok and report.codes() == [code], report.errors
    return report


def test_trimesh_box_is_valid() -> None:
    report = _timed(trimesh.creation.box().export(file_type="glb"))
    assert report.ok and report.format == "glb" and report.triangles == 12 and report.nodes == 1
    assert report.bounds == ((-0.5, -0.5, -0.5), (0.5, 0.5, 0.5))


def test_hand_built_triangle_with_transform(glb: Glb, triangle: Triangle) -> None:
    doc, binary = triangle()
    doc["nodes"] = [{"children": [1], "translation": [0, 2, 0]}, {"mesh": 0, "scale": [2, 2, 2]}]
    report = _timed(glb(doc, binary))
    assert report.ok and report.triangles == 1 and report.nodes == 2
    assert report.bounds == ((0.0, 2.0, 0.0), (2.0, 4.0, 0.0))


def test_gltf_json_with_embedded_buffer(triangle: Triangle) -> None:
    doc, binary = triangle()
    doc["buffers"][0]["uri"] = "data:application/octet-stream;base64," + base64.b64encode(binary).decode()
    report = _timed(json.dumps(doc).encode())
    assert report.ok and report.format == "gltf"


def test_embedded_textures(glb: Glb, triangle: Triangle, image_bytes: Callable[..., bytes]) -> None:
    report = _timed(glb(*triangle(image=image_bytes(64, 32))))
    assert report.ok and report.textures == 1
    # mimeType is a claim, the bytes decide: a JPEG labelled PNG is fine but flagged
    lying = _timed(glb(*triangle(image=image_bytes(8, 8, "JPEG"), mime="image/png")))
    assert lying.ok and [w.code for w in lying.warnings] == ["mime_mismatch"]


def test_mime_type_lying_about_non_image(glb: Glb, triangle: Triangle) -> None:
    _rejects(glb(*triangle(image=b"GIF89a" + b"\0" * 40, mime="image/png")), "bad_image_type")
    _rejects(glb(*triangle(image=b"<svg onload=alert(1)>", mime="image/png")), "bad_image_type")


def test_texture_limits(glb: Glb, triangle: Triangle, bomb_png: Callable[[int, int], bytes]) -> None:
    _rejects(glb(*triangle(image=bomb_png(3000, 3000))), "texture_too_large")
    _rejects(glb(*triangle(image=bomb_png(100_000, 100_000))), "decompression_bomb")
    _rejects(glb(*triangle(image=bomb_png(64, 64))), "bad_image")  # IDAT too short for the size


def test_truncated_glb() -> None:
    data = trimesh.creation.box().export(file_type="glb")
    _rejects(data[: len(data) // 2], "truncated")
    _rejects(data[:7], "truncated")


def test_lying_chunk_length(glb: Glb, triangle: Triangle) -> None:
    data = bytearray(glb(*triangle()))
    struct.pack_into("<I", data, 12, 100_000)  # JSON chunk claims more than the file holds
    _rejects(bytes(data), "truncated")


def test_huge_declared_json_length(glb: Glb, triangle: Triangle) -> None:
    data = bytearray(glb(*triangle()))
    struct.pack_into("<I", data, 12, 0xFFFFFFF0)
    _rejects(bytes(data), "json_too_large")


def test_header_length_disagrees_with_file(glb: Glb, triangle: Triangle) -> None:
    data = bytearray(glb(*triangle()))
    struct.pack_into("<I", data, 8, len(data) + 1000)
    _rejects(bytes(data), "truncated")


@pytest.mark.parametrize(("data", "code"), [
    (b"PK\x03\x04 not a model", "not_glb"),
    (b"", "not_glb"),
    (struct.pack("<4sII", b"glTF", 1, 12), "unsupported_format"),
    (b'{"asset": {"version": "1.0"}}', "unsupported_format"),
    (b"{not json", "bad_json"),
    (b"[" * 50_000 + b"]" * 50_000, "not_glb"),
    (b"{" + b'"a":[' * 50_000 + b"]" * 50_000 + b"}", "bad_json"),
])
def test_container_rejections(data: bytes, code: str) -> None:
    _rejects(data, code)


@pytest.mark.parametrize(("uri", "code"), [
    ("../../etc/passwd", "path_traversal"),
    ("textures/%2e%2e/%2e%2e/secret.bin", "path_traversal"),
    ("/etc/passwd", "path_traversal"),
    ("C:\\Windows\\system.ini", "path_traversal"),
    ("file:///etc/passwd", "external_uri"),
    ("http://example.com/model.bin", "external_uri"),
    ("https://example.com/model.bin", "external_uri"),
    ("model.bin", "external_uri"),
    ("data:application/octet-stream,rawbytes", "data_uri_not_allowed"),
    ("data:text/html;base64,PHNjcmlwdD4=", "data_uri_not_allowed"),
])
def test_uri_policy(glb: Glb, triangle: Triangle, uri: str, code: str) -> None:
    doc, binary = triangle()
    doc["buffers"][0]["uri"] = uri
    _rejects(glb(doc, binary), code)
    doc, binary = triangle()
    doc["images"] = [{"uri": uri}]
    _rejects(glb(doc, binary), code if "octet-stream;" not in uri else "bad_image_type")


def test_node_cycle(glb: Glb, triangle: Triangle) -> None:
    doc, binary = triangle()
    doc["nodes"] = [{"mesh": 0}, {"children": [2]}, {"children": [1]}]
    _rejects(glb(doc, binary), "node_cycle")
    doc["nodes"] = [{"mesh": 0, "children": [0]}]
    _rejects(glb(doc, binary), "node_cycle")


def test_node_with_two_parents(glb: Glb, triangle: Triangle) -> None:
    doc, binary = triangle()
    doc["nodes"] = [{"children": [2]}, {"children": [2]}, {"mesh": 0}]
    doc["scenes"] = [{"nodes": [0, 1]}]
    _rejects(glb(doc, binary), "node_two_parents")


def test_node_depth_and_count(glb: Glb, triangle: Triangle) -> None:
    doc, binary = triangle()
    doc["nodes"] = [{"children": [i + 1]} for i in range(70)] + [{"mesh": 0}]
    _rejects(glb(doc, binary), "node_depth")
    doc["nodes"] = [{} for _ in range(10_001)]
    _rejects(glb(doc, binary), "too_many_nodes")


def test_too_many_triangles(glb: Glb) -> None:
    data = trimesh.creation.box().export(file_type="glb")
    length = struct.unpack_from("<I", data, 12)[0]
    doc = json.loads(data[20:20 + length])
    binary = data[20 + length + 8:]
    doc["nodes"] = [{"mesh": 0} for _ in range(9000)]  # 9000 × 12 triangles
    doc["scenes"] = [{"nodes": list(range(9000))}]
    _rejects(glb(doc, binary), "too_many_triangles")


def test_nan_positions(glb: Glb, triangle: Triangle) -> None:
    _rejects(glb(*triangle(positions=[0, 0, 0, float("nan"), 0, 0, 0, 1, 0])), "nan_or_inf")
    _rejects(glb(*triangle(positions=[0, 0, 0, float("inf"), 0, 0, 0, 1, 0])), "nan_or_inf")


def test_nan_in_node_transform_and_min_max(glb: Glb, triangle: Triangle) -> None:
    doc, binary = triangle()
    doc["nodes"][0]["translation"] = [0, float("nan"), 0]
    _rejects(glb(doc, binary), "nan_or_inf")
    doc, binary = triangle()
    doc["accessors"][0]["max"] = [1, float("inf"), 0]
    _rejects(glb(doc, binary), "nan_or_inf")


def test_accessor_out_of_bounds(glb: Glb, triangle: Triangle) -> None:
    doc, binary = triangle()
    doc["accessors"][0]["count"] = 4
    _rejects(glb(doc, binary), "accessor_out_of_bounds")
    doc["accessors"][0]["count"] = 2**62  # overflows any fixed-width arithmetic; Python ints don't
    _rejects(glb(doc, binary), "accessor_out_of_bounds")
    doc, binary = triangle()
    doc["accessors"][0]["byteOffset"] = 4
    _rejects(glb(doc, binary), "accessor_out_of_bounds")


def test_buffer_view_and_buffer_bounds(glb: Glb, triangle: Triangle) -> None:
    doc, binary = triangle()
    doc["bufferViews"][1]["byteOffset"] = 10_000
    _rejects(glb(doc, binary), "buffer_view_out_of_bounds")
    doc, binary = triangle()
    doc["buffers"][0]["byteLength"] = 10_000
    _rejects(glb(doc, binary), "truncated")


def test_bad_references_and_types(glb: Glb, triangle: Triangle) -> None:
    doc, binary = triangle()
    doc["nodes"][0]["mesh"] = 7
    _rejects(glb(doc, binary), "bad_reference")
    doc, binary = triangle()
    doc["accessors"][0]["count"] = "3"
    _rejects(glb(doc, binary), "invalid_gltf")
    doc, binary = triangle()
    doc["meshes"] = {"not": "a list"}
    _rejects(glb(doc, binary), "invalid_gltf")


def test_vertex_index_out_of_range(glb: Glb, triangle: Triangle) -> None:
    doc, binary = triangle()
    patched = binary[:36] + np.array([0, 1, 9], dtype="<u2").tobytes() + binary[42:]
    _rejects(glb(doc, patched), "index_out_of_range")


def test_required_extension_we_cannot_check(glb: Glb, triangle: Triangle) -> None:
    doc, binary = triangle()
    doc["extensionsRequired"] = ["KHR_draco_mesh_compression"]
    _rejects(glb(doc, binary), "unsupported_format")


def test_over_size_file() -> None:
    _rejects(b"glTF" + b"\0" * (15 * 1024 * 1024), "too_large")


def test_hostile_input_stays_small_in_memory(glb: Glb, triangle: Triangle, bomb_png: Callable[..., bytes]) -> None:
    doc, binary = triangle(image=bomb_png(100_000, 100_000))
    doc["accessors"][0]["count"] = 2**40
    tracemalloc.start()
    try:
        validate_model(glb(doc, binary))
        validate_model(glb(*triangle(image=bomb_png(100_000, 100_000))))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 256 * 2**20


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_mutated_glb_never_raises(data: st.DataObject) -> None:
    base = bytearray(trimesh.creation.box().export(file_type="glb"))
    for _ in range(data.draw(st.integers(1, 8))):
        index = data.draw(st.integers(0, len(base) - 1))
        base[index] = data.draw(st.integers(0, 255))
    cut = data.draw(st.integers(0, len(base)))
    report = _timed(bytes(base[:cut]))
    assert isinstance(report, AssetReport)
