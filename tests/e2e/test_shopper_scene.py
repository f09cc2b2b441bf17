"""The store scene in headless Chromium: a meshopt-compressed, quantized GLB loads through the served decoder, and
the products' anchors (pick boxes, price tags) and feature ids come from the manifest (issue 17)."""

from __future__ import annotations

import json
import struct
import urllib.request
from typing import Any

import pytest
from helpers import open_store
from seeding import Seeded, call

pytestmark = pytest.mark.e2e

STORE = "cu-plaza"
SAMPLE = 12
READ_ANCHORS = """(skus) => {
  const scene = window.vrstore.state.scene;
  const out = skus.map((sku) => {
    const p = scene.products.get(sku);
    if (!p) return { sku, missing: true };
    const at = (m) => p.world.clone().setFromMatrixPosition(m).toArray();
    const front = p.world.clone().set(0, 0, 1).transformDirection(p.node.matrixWorld);
    // A ray from the aisle, 1 m in front, straight at the middle of the product: what it hits first is drawn
    // geometry, and its feature id must name this product.
    const hit = scene.raycast({ origin: p.world.clone().addScaledVector(front, 1), direction: front.negate() });
    return { sku, node: at(p.node.matrixWorld), tag: at(p.tag.matrixWorld), size: p.size, feature: p.feature,
      hit: hit ? hit.sku : null };
  });
  return { products: scene.products.size, anchors: out };
}"""


def _glb_json(url: str) -> dict[str, Any]:
    with urllib.request.urlopen(url, timeout=30) as response:
        glb = response.read()
    length = struct.unpack_from("<I", glb, 12)[0]
    return dict(json.loads(glb[20:20 + length]))


def test_products_tags_and_picking_come_from_the_manifest(demo: Seeded, new_page: Any) -> None:
    detail = call(f"{demo.url}/api/v1/stores/{STORE}")
    manifest = call(demo.url + detail["scene"]["manifest"])
    gltf = _glb_json(demo.url + detail["scene"]["glb"])
    # What the page had to decode: no per-product nodes, compressed and quantized geometry.
    assert {"EXT_meshopt_compression", "KHR_mesh_quantization"} <= set(gltf["extensionsRequired"])
    assert not any(n.get("name", "").startswith(("product:", "tag:")) for n in gltf["nodes"])
    page = new_page()
    open_store(page, demo.url, STORE)
    skus = sorted(manifest["products"])[:: max(1, len(manifest["products"]) // SAMPLE)][:SAMPLE]
    seen = page.evaluate(READ_ANCHORS, skus)
    assert seen["products"] == len(manifest["products"])
    hits = 0
    for a in seen["anchors"]:
        entry = manifest["products"][a["sku"]]
        assert a["node"] == pytest.approx(entry["position"], abs=1e-4)
        assert a["tag"] == pytest.approx(entry["tag"], abs=1e-4)
        assert a["size"] == entry["size"] and manifest["features"][a["feature"]] == a["sku"]
        hits += a["hit"] == a["sku"]
        assert a["hit"] in (a["sku"], None), a  # never another product
    assert hits >= len(skus) * 0.75, seen["anchors"]
    assert page.errors == []
