"""build_scene end to end: nodes, extras, manifest anchors, drawn geometry, determinism, content hash, budgets."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pytest

from storefront_builder.build import BUILDER_VERSION, STEPS, build_scene, content_hash, run_steps
from storefront_builder.build_steps.context import MAX_DRAW_CALLS, BuildContext
from storefront_builder.errors import BuildStepError
from storefront_builder.gltf.compress import EXT_MESHOPT, EXT_QUANTIZATION
from storefront_builder.gltf.instancing import EXT
from storefront_builder.gltf.reader import Glb
from storefront_builder.plan import PlacedFixture, PlacedProduct, StorePlan

MakePlan = Callable[..., StorePlan]


def _gltf(glb: bytes) -> Glb:
    return Glb.parse(glb)


def count_draw_calls(g: Glb) -> int:
    """Primitives drawn per frame: one per primitive of every node with a mesh (instanced or not)."""
    return sum(len(g.gltf["meshes"][n["mesh"]]["primitives"]) for n in g.gltf["nodes"] if "mesh" in n)


def _turn(q: np.ndarray, v: np.ndarray) -> np.ndarray:
    u, w = q[..., :3], q[..., 3:]
    t = 2.0 * np.cross(u, v)
    out: np.ndarray = v + w * t + np.cross(u, t)
    return out


def drawn(g: Glb) -> Iterator[tuple[dict[str, Any], np.ndarray, np.ndarray | None]]:
    """(node, world positions of its vertices, feature id per vertex or None) for every drawn copy of a mesh:
    the node's own transform (group nodes above have none), per instance for instanced nodes."""
    for node in g.gltf["nodes"]:
        if "mesh" not in node:
            assert not {"translation", "rotation", "scale"} & set(node) or "children" not in node
            continue
        assert "rotation" not in node  # the writer only folds a translation and a uniform scale in
        scale, move = np.asarray(node["scale"]), np.asarray(node.get("translation", [0.0, 0.0, 0.0]))
        inst = node.get("extensions", {}).get(EXT, {}).get("attributes")
        for prim in g.gltf["meshes"][node["mesh"]]["primitives"]:
            local = g.values(prim["attributes"]["POSITION"])
            fid = prim["attributes"].get("_FEATURE_ID_0")
            per_vertex = None if fid is None else g.raw(fid)
            if inst is None:
                yield node, local * scale + move, per_vertex
                continue
            t, q = g.values(inst["TRANSLATION"]), g.values(inst["ROTATION"])
            s = g.values(inst["SCALE"]) if "SCALE" in inst else np.ones_like(t)
            ids = g.raw(inst["_FEATURE_ID_0"]) if "_FEATURE_ID_0" in inst else None
            for i in range(len(t)):
                placed = _turn(np.broadcast_to(q[i], (len(local), 4)), local * s[i]) + t[i]
                yield node, placed * scale + move, None if ids is None else np.full(len(local), ids[i])


def test_anchor_nodes_extras_and_extensions(make_plan: MakePlan, scene_assets: dict[str, bytes]) -> None:
    plan = make_plan(40, image_every=4, model_every=9)
    g = _gltf(build_scene(plan, assets=scene_assets).glb)
    by_name = {n.get("name"): n for n in g.gltf["nodes"]}
    # Products have no nodes: their anchors are in the manifest.
    assert not any(str(name).startswith(("product:", "tag:")) for name in by_name)
    assert len(g.gltf["nodes"]) < 60
    assert by_name["portal:to-plaza"]["extras"]["vrstore"]["portal"] == "plaza"
    assert by_name["spawn:door"]["extras"]["vrstore"] == {"spawn": "door"}
    assert g.gltf["asset"]["extras"]["vrstore"]["store"] == plan.store_id
    required = {EXT, EXT_MESHOPT, EXT_QUANTIZATION}
    assert required <= set(g.gltf["extensionsUsed"]) and required == set(g.gltf["extensionsRequired"])
    assert "KHR_lights_punctual" in g.gltf["extensionsUsed"]
    lights = g.gltf["extensions"]["KHR_lights_punctual"]["lights"]
    assert {light["type"] for light in lights} >= {"directional", "point"}
    instanced = [n for n in g.gltf["nodes"] if EXT in n.get("extensions", {})]
    assert instanced and all("_FEATURE_ID_0" in n["extensions"][EXT]["attributes"]
                             for n in instanced if n["name"].startswith(("kit:", "placeholders:", "model:")))
    assert any(n["name"].startswith("model:") for n in instanced)
    assert any(n.get("name", "").startswith("cards:") for n in g.gltf["nodes"])
    assert len(g.gltf["images"]) == 2  # one product-image atlas page + the sign atlas


def test_drawn_geometry_lies_within_the_store(make_plan: MakePlan, scene_assets: dict[str, bytes]) -> None:
    plan = make_plan(50, image_every=4, model_every=9)
    points = np.concatenate([p for _, p, _ in drawn(_gltf(build_scene(plan, assets=scene_assets).glb))])
    lo, hi = points.min(0), points.max(0)
    assert lo[0] >= -plan.width / 2 - 1 and hi[0] <= plan.width / 2 + 1
    assert lo[2] >= -plan.depth / 2 - 1 and hi[2] <= plan.depth / 2 + 1
    assert lo[1] >= -0.1 and hi[1] <= plan.wall_height + 3


def test_every_product_is_drawn_in_its_slot(make_plan: MakePlan, scene_assets: dict[str, bytes]) -> None:
    """Placeholders (instanced), cards (baked) and models: each feature id's vertices sit in its pick box."""
    plan = make_plan(60, image_every=4, model_every=9)
    built = build_scene(plan, assets=scene_assets)
    by_feature: dict[int, list[np.ndarray]] = {}
    for _, points, ids in drawn(_gltf(built.glb)):
        if ids is not None:
            for fid in np.unique(ids):
                by_feature.setdefault(int(fid), []).append(points[ids == fid])
    features = built.manifest["features"]
    assert sorted(by_feature) == list(range(len(features))) == list(range(60))
    for fid, parts in by_feature.items():
        entry = built.manifest["products"][features[fid]]
        pts = np.concatenate(parts)
        w, h, d = entry["size"]
        x, y, z = entry["position"]
        slack = 0.01 + 1e-3  # quantization steps and the card's thickness
        assert pts[:, 1].min() >= y - slack and pts[:, 1].max() <= y + h + slack, features[fid]
        assert np.abs(pts[:, 0] - x).max() <= max(w, d) / 2 * 1.42 + slack, features[fid]
        assert np.abs(pts[:, 2] - z).max() <= max(w, d) / 2 * 1.42 + slack, features[fid]


def test_manifest_describes_products_and_anchors(make_plan: MakePlan) -> None:
    plan = make_plan(25)
    built = build_scene(plan)
    m = built.manifest
    json.dumps(m)  # JSON-able
    assert m["version"] == 2 and m["content_hash"] == built.content_hash
    assert m["store"] == {"id": plan.store_id, "name": plan.store_name, "kind": plan.kind}
    p = plan.products[3]
    entry = m["products"]["SKU-00003"]
    assert entry["slot"] == p.slot and entry["fixture"] == p.fixture_id
    assert entry["position"] == pytest.approx(list(p.position), abs=1e-4)
    assert entry["size"] == pytest.approx(list(p.size), abs=1e-4) and entry["rotation_y"] == p.rotation_y
    # The price tag: the front of the slot at its base, a centimetre out.
    assert entry["tag"] == pytest.approx([p.position[0], p.position[1], p.position[2] + p.size[2] / 2 + 0.01],
                                         abs=1e-4)
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
    assert built.report.products_placed == 10_000 == len(built.manifest["products"])
    # Nothing in the GLB's JSON grows with the products (per-product nodes once made it 3 MB of the file).
    assert len(g.gltf["nodes"]) < 100 and g.json_bytes < 100_000


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
    assert {e["drawn_as"] for e in built.manifest["products"].values()} == {"kit"}


def test_duplicate_skus_are_reported_once(make_plan: MakePlan) -> None:
    plan = make_plan(5)
    dup = plan.products[0].model_copy(update={"slot": "other"})
    built = build_scene(plan.model_copy(update={"products": [*plan.products, dup]}))
    assert any("duplicate SKU" in w for w in built.report.warnings)
    assert built.manifest["features"].count(dup.sku) == 1 and len(built.manifest["products"]) == 5


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


def test_turned_products_have_turned_anchors(make_plan: MakePlan) -> None:
    plan = make_plan(3)
    turned = [p.model_copy(update={"rotation_y": angle}) for p, angle in zip(plan.products, (90.0, 180.0, 270.0),
                                                                             strict=True)]
    built = build_scene(plan.model_copy(update={"products": turned}))
    for p in turned:
        entry = built.manifest["products"][p.sku]
        t = np.radians(p.rotation_y)
        front = p.size[2] / 2 + 0.01
        assert entry["rotation_y"] == p.rotation_y
        assert entry["tag"] == pytest.approx([p.position[0] + front * np.sin(t), p.position[1],
                                              p.position[2] + front * np.cos(t)], abs=1e-4)


def test_instance_transforms_match_products(make_plan: MakePlan) -> None:
    plan = make_plan(16)
    g = _gltf(build_scene(plan).glb)
    found: dict[int, np.ndarray] = {}
    for node in g.gltf["nodes"]:
        if node.get("name", "").startswith(("kit:", "placeholders:")):
            # Where the mesh's own origin lands for each instance (the node carries the dequantization).
            attrs = node["extensions"][EXT]["attributes"]
            scale, move = node["scale"][0], np.asarray(node.get("translation", [0.0, 0.0, 0.0]))
            t, q = g.values(attrs["TRANSLATION"]), g.values(attrs["ROTATION"])
            s = g.values(attrs["SCALE"])
            origin = -move / scale
            world = (_turn(q, s * origin) + t) * scale + move
            found.update({int(fid): pos for fid, pos in zip(g.raw(attrs["_FEATURE_ID_0"]), world, strict=True)})
    assert len(found) == 16
    for i, p in enumerate(plan.products):
        assert found[i] == pytest.approx(p.position, abs=1e-4)
