"""build_scene end to end: nodes, extras, manifest, determinism, content hash, draw-call budget, errors."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from typing import Any

import numpy as np
import pygltflib
import pytest
import trimesh

from storefront_builder.build import BUILDER_VERSION, STEPS, build_scene, content_hash, run_steps
from storefront_builder.build_steps.context import MAX_DRAW_CALLS, BuildContext
from storefront_builder.errors import BuildStepError
from storefront_builder.gltf.instancing import EXT
from storefront_builder.plan import PlacedFixture, PlacedProduct, StorePlan

MakePlan = Callable[..., StorePlan]


def _gltf(glb: bytes) -> pygltflib.GLTF2:
    return pygltflib.GLTF2.load_from_bytes(glb)


def count_draw_calls(g: pygltflib.GLTF2) -> int:
    """Primitives drawn per frame: one per primitive of every node with a mesh (instanced or not)."""
    return sum(len(g.meshes[n.mesh].primitives) for n in g.nodes if n.mesh is not None)


def test_nodes_and_extras_round_trip(make_plan: MakePlan, scene_assets: dict[str, bytes]) -> None:
    plan = make_plan(40, image_every=4, model_every=9)
    built = build_scene(plan, assets=scene_assets)
    g = _gltf(built.glb)
    by_name = {n.name: n for n in g.nodes}
    for p in plan.products:
        node = by_name[f"product:{p.sku}"]
        assert node.mesh is None
        assert node.extras["vrstore"]["sku"] == p.sku
        assert node.extras["vrstore"]["store"] == plan.store_id
        assert node.extras["vrstore"]["slot"] == p.slot
        assert node.extras["vrstore"]["pick"] == pytest.approx(list(p.size))
        assert node.translation == pytest.approx(list(p.position), abs=1e-4)
        tag = g.nodes[node.children[0]]
        assert tag.name == f"tag:{p.sku}" and tag.extras["vrstore"]["sku"] == p.sku
    assert by_name["portal:to-plaza"].extras["vrstore"]["portal"] == "plaza"
    assert "spawn:door" in by_name
    assert EXT in g.extensionsUsed and EXT in g.extensionsRequired
    assert "KHR_lights_punctual" in g.extensionsUsed
    lights = g.extensions["KHR_lights_punctual"]["lights"]
    assert {light["type"] for light in lights} >= {"directional", "point"}
    instanced = [n for n in g.nodes if n.extensions and EXT in n.extensions]
    assert instanced and all("_FEATURE_ID_0" in n.extensions[EXT]["attributes"]
                             for n in instanced if n.name.startswith(("placeholders:", "model:")))
    assert any(n.name.startswith("model:") for n in instanced)
    assert any(n.name.startswith("cards:") for n in g.nodes)
    assert len(g.images) == 2  # one product-image atlas page + the sign atlas


def test_trimesh_loads_the_scene_within_the_store(make_plan: MakePlan) -> None:
    plan = make_plan(50)
    built = build_scene(plan)
    scene: Any = trimesh.load(io.BytesIO(built.glb), file_type="glb")
    lo, hi = scene.bounds
    assert lo[0] >= -plan.width / 2 - 1 and hi[0] <= plan.width / 2 + 1
    assert lo[1] >= -0.1 and hi[1] <= plan.wall_height + 3
    assert any(name.startswith("product:") for name in scene.graph.nodes)


def test_manifest_describes_products_and_anchors(make_plan: MakePlan) -> None:
    plan = make_plan(25)
    built = build_scene(plan)
    m = built.manifest
    json.dumps(m)  # JSON-able
    assert m["version"] == 1 and m["content_hash"] == built.content_hash
    assert m["store"] == {"id": plan.store_id, "name": plan.store_name, "kind": plan.kind}
    entry = m["products"]["SKU-00003"]
    assert entry["node"] == "product:SKU-00003" and entry["tag_node"] == "tag:SKU-00003"
    assert entry["slot"] == plan.products[3].slot and entry["fixture"] == plan.products[3].fixture_id
    assert entry["position"] == pytest.approx(list(plan.products[3].position), abs=1e-4)
    assert m["features"][entry["feature"]] == "SKU-00003"
    assert m["spawn_points"][0]["node"] == "spawn:door"
    assert m["portals"][0] == {**m["portals"][0], "node": "portal:to-plaza", "target": "plaza"}
    assert m["unplaced"] == [{"sku": "NOPE-1", "reason": "no fixture fits"}]
    assert m["walkable"] and m["bounds"]["max"][1] == plan.wall_height
    stats = m["stats"]
    assert stats["bytes"] == len(built.glb) and stats["products"] == 25
    assert stats["draw_calls"] == built.report.draw_calls == count_draw_calls(_gltf(built.glb))
    assert built.report.products_placed == 25 and built.report.products_unplaced == 1


def test_same_inputs_give_identical_bytes_and_hash(make_plan: MakePlan, scene_assets: dict[str, bytes]) -> None:
    a = build_scene(make_plan(200, image_every=3, model_every=5), assets=scene_assets)
    b = build_scene(make_plan(200, image_every=3, model_every=5), assets=dict(scene_assets))
    assert a.glb == b.glb and a.content_hash == b.content_hash
    assert json.dumps(a.manifest, sort_keys=True) == json.dumps(b.manifest, sort_keys=True)


def test_content_hash_follows_the_inputs(make_plan: MakePlan, scene_assets: dict[str, bytes]) -> None:
    plan = make_plan(20, image_every=2)
    base = content_hash(plan, scene_assets)
    assert len(base) == 64 and BUILDER_VERSION
    assert content_hash(plan, {**scene_assets, "unused.png": b"x"}) == base
    assert content_hash(plan, {**scene_assets, "img/0.png": b"changed"}) != base
    moved = plan.model_copy(update={"store_name": "다른 이름"})
    assert content_hash(moved, scene_assets) != base


def test_draw_calls_stay_bounded_for_ten_thousand_products(make_plan: MakePlan,
                                                          scene_assets: dict[str, bytes]) -> None:
    built = build_scene(make_plan(10_000, image_every=5, model_every=11), assets=scene_assets)
    g = _gltf(built.glb)
    assert count_draw_calls(g) == built.report.draw_calls <= MAX_DRAW_CALLS
    assert built.report.products_placed == 10_000
    assert sum(1 for n in g.nodes if n.name.startswith("product:")) == 10_000


def _varied_plan(n: int) -> StorePlan:
    """Every product its own category and shape, fixtures of many sizes: worst case for batching."""
    shapes = ["box", "bottle", "jar", "folded_garment", "shoe_box", "fruit_crate", "can", "bag"]
    fixtures = [PlacedFixture(id=f"F{i}", type="shelf", position=(i * 0.1, 0.0, 0.0),
                              size=(1.0 + i * 0.013, 1.8, 0.5)) for i in range(150)]
    products = [PlacedProduct(sku=f"V{i}", slot=f"s{i}", fixture_id=f"F{i % 150}", position=(0.0, 0.5, 0.0),
                              size=(0.2, 0.2, 0.2), category=f"cat-{i}", shape=shapes[i % 8])
                for i in range(n)]
    return StorePlan(store_id="v", store_name="V", kind="brand_shop", width=30, depth=30, wall_height=4,
                     fixtures=fixtures, products=products)


def test_worst_case_variety_still_fits_the_budget() -> None:
    built = build_scene(_varied_plan(600))
    assert count_draw_calls(_gltf(built.glb)) == built.report.draw_calls <= MAX_DRAW_CALLS


def test_many_distinct_models_are_batched(make_plan: MakePlan, scene_assets: dict[str, bytes]) -> None:
    plan = make_plan(120)
    products = [p.model_copy(update={"model_ref": f"m{i}.glb"}) for i, p in enumerate(plan.products)]
    assets = {f"m{i}.glb": scene_assets["models/cube.glb"] for i in range(120)}
    built = build_scene(plan.model_copy(update={"products": products}), assets=assets)
    assert built.report.draw_calls <= MAX_DRAW_CALLS
    assert {e["drawn_as"] for e in built.manifest["products"].values()} == {"model"}


def test_missing_and_bad_assets_fall_back_with_warnings(make_plan: MakePlan) -> None:
    plan = make_plan(30, image_every=2, model_every=3)
    built = build_scene(plan, assets={"img/0.png": b"garbage", "models/cube.glb": b"not a glb"})
    text = " ".join(built.report.warnings)
    assert "img/0.png" in text and "models/cube.glb" in text and "img/2.png" in text
    assert {e["drawn_as"] for e in built.manifest["products"].values()} == {"placeholder"}


def test_duplicate_skus_are_reported_once(make_plan: MakePlan) -> None:
    plan = make_plan(5)
    dup = plan.products[0].model_copy(update={"slot": "other"})
    built = build_scene(plan.model_copy(update={"products": [*plan.products, dup]}))
    assert any("duplicate SKU" in w for w in built.report.warnings)
    assert sum(1 for n in _gltf(built.glb).nodes if n.name == f"product:{dup.sku}") == 1


def test_progress_reports_every_step(make_plan: MakePlan) -> None:
    seen: list[tuple[int, str]] = []
    build_scene(make_plan(5), progress=lambda pct, step: seen.append((pct, step)))
    assert [s for _, s in seen] == [name for name, _ in STEPS]
    assert seen[-1][0] == 100 and [p for p, _ in seen] == sorted(p for p, _ in seen)


def test_a_failing_step_names_itself(make_plan: MakePlan) -> None:
    def boom(ctx: BuildContext) -> None:
        raise ValueError("kaput")

    ctx = BuildContext(plan=make_plan(1), assets={})
    with pytest.raises(BuildStepError) as info:
        run_steps(ctx, [("floor_and_walls", lambda c: None), ("exploding", boom)])
    assert info.value.step == "exploding" and "kaput" in str(info.value)


def test_empty_store_builds(make_plan: MakePlan) -> None:
    plan = StorePlan(store_id="e", store_name="빈 가게", kind="festival_plaza", width=20, depth=20, wall_height=5)
    built = build_scene(plan)
    assert built.manifest["products"] == {} and built.report.draw_calls >= 1
    assert built.manifest["spawn_points"][0]["id"] == "entrance"


def test_instance_transforms_match_products(make_plan: MakePlan) -> None:
    plan = make_plan(16)
    g = _gltf(build_scene(plan).glb)
    blob = g.binary_blob()
    found: dict[int, Any] = {}
    for n in g.nodes:
        if n.name.startswith("placeholders:"):
            attrs = n.extensions[EXT]["attributes"]
            t_acc, f_acc = g.accessors[attrs["TRANSLATION"]], g.accessors[attrs["_FEATURE_ID_0"]]
            t = np.frombuffer(blob, np.float32, t_acc.count * 3, g.bufferViews[t_acc.bufferView].byteOffset)
            f = np.frombuffer(blob, np.float32, f_acc.count, g.bufferViews[f_acc.bufferView].byteOffset)
            found.update({int(fid): pos for fid, pos in zip(f, t.reshape(-1, 3), strict=True)})
    assert len(found) == 16
    for i, p in enumerate(plan.products):
        assert found[i] == pytest.approx(p.position, abs=1e-5)
