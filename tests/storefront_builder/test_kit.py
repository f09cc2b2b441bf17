"""The built-in asset kit (assets/kit/): its files, their regeneration, and stores built with it."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import trimesh
from PIL import Image

from storefront_builder.build import build_scene, build_store, content_hash
from storefront_builder.build_steps import products as products_step
from storefront_builder.build_steps.context import MAX_DRAW_CALLS, PLACEHOLDER_BUDGET
from storefront_builder.catalog.models import Money, Product
from storefront_builder.errors import BuilderError
from storefront_builder.geometry import kit_models
from storefront_builder.geometry.fixtures import even_boards, fixture_parts
from storefront_builder.geometry.kit_models import load_kit
from storefront_builder.geometry.materials import PALETTE, category_material, color8
from storefront_builder.gltf.instancing import EXT
from storefront_builder.gltf.reader import Glb
from storefront_builder.kit import MODELS
from storefront_builder.kit_colors import color_rgb, linear8
from storefront_builder.layout.auto import auto_layout
from storefront_builder.plan import PlacedFixture, PlacedProduct, StorePlan
from storefront_builder.resources import CHECKOUT, assets_dir

KIT = assets_dir() / "kit"
INDEX: dict[str, Any] = json.loads((KIT / "kit.json").read_text("utf-8"))
ENTRIES = {entry["name"]: entry for entry in INDEX["models"]}
Check = Callable[[bytes], dict[str, Any]]


def test_the_kit_has_thirty_category_models_within_two_thousand_triangles() -> None:
    kit = load_kit()
    assert len(kit) >= 30 and set(kit) == set(ENTRIES) == set(MODELS)
    for name, model in kit.items():
        entry = ENTRIES[name]
        assert 0 < model.triangles <= 2000 and model.triangles == entry["triangles"], name
        assert model.body.triangle_count == entry["tintable_triangles"] > 0, name
        assert entry["made"] and entry["recipe"].startswith("assets/kit_recipes/") and entry["family"]
        assert entry["serves"]["en"] or entry["serves"]["google"], name


@pytest.mark.parametrize("name", sorted(ENTRIES))
def test_every_model_is_unit_sized_and_rests_on_the_floor(name: str) -> None:
    model = load_kit()[name]
    lo, hi = model.merged.positions.min(0), model.merged.positions.max(0)
    assert lo[1] == pytest.approx(0.0, abs=1e-5)
    assert (lo[0] + hi[0]) == pytest.approx(0.0, abs=1e-4) and (lo[2] + hi[2]) == pytest.approx(0.0, abs=1e-4)
    assert float((hi - lo).max()) == pytest.approx(1.0, abs=1e-4)
    assert list(model.extent) == pytest.approx(ENTRIES[name]["size"], abs=1e-4)
    assert np.allclose(np.linalg.norm(model.merged.normals, axis=1), 1.0, atol=1e-4)


@pytest.mark.parametrize("name", sorted(ENTRIES))
def test_every_kit_file_passes_the_khronos_validator(name: str, assert_valid_gltf: Check) -> None:
    report = assert_valid_gltf((KIT / ENTRIES[name]["file"]).read_bytes())
    assert report["issues"]["numWarnings"] == 0 and report["issues"]["numInfos"] == 0, report["issues"]
    info = report["info"]
    assert info["drawCallCount"] in (1, 2) and info["totalTriangleCount"] == ENTRIES[name]["triangles"]


def test_other_tools_read_the_kit_files_as_they_are() -> None:
    scene: Any = trimesh.load(io.BytesIO((KIT / "sneaker.glb").read_bytes()), file_type="glb")
    lo, hi = scene.bounds
    assert hi[1] - lo[1] > 0.2 and max(hi - lo) == pytest.approx(1.0, abs=1e-3)


def test_regenerating_the_kit_is_byte_identical(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, str(CHECKOUT / "assets" / "make_kit.py"), "--out", str(tmp_path)],
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    def files(folder: Path) -> list[str]:
        return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())

    committed = files(KIT)
    assert files(tmp_path) == committed and "fixtures/wall_shelf.glb" in committed
    changed = [name for name in committed if (tmp_path / name).read_bytes() != (KIT / name).read_bytes()]
    assert not changed, f"run assets/make_kit.py and commit: {changed}"


def test_every_asset_file_is_recorded_in_the_readme() -> None:
    readme = (CHECKOUT / "assets" / "README.md").read_text("utf-8")
    files = [p.relative_to(CHECKOUT / "assets").as_posix() for p in (CHECKOUT / "assets").rglob("*")
             if p.is_file() and "__pycache__" not in p.parts and p.name != "README.md"]
    missing = [f for f in files if f"`{f}`" not in readme and f"`{Path(f).name}`" not in readme]
    assert not missing


def test_the_kit_is_part_of_the_content_hash(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    plan = _every_model_plan(1)
    before = content_hash(plan)
    shutil.copytree(KIT, tmp_path / "kit")
    (tmp_path / "kit" / "box.glb").write_bytes((KIT / "box.glb").read_bytes() + b"    ")
    monkeypatch.setattr(kit_models, "assets_dir", lambda: tmp_path)
    assert content_hash(plan) != before


def test_an_unreadable_kit_is_a_builder_error(tmp_path: Path) -> None:
    with pytest.raises(BuilderError, match="asset kit"):
        load_kit(tmp_path)
    (tmp_path / "kit.json").write_text(json.dumps({"models": [{"name": "x", "file": "x.glb"}]}), "utf-8")
    (tmp_path / "x.glb").write_bytes(b"glTF not really")
    with pytest.raises(BuilderError, match="asset kit"):
        load_kit(tmp_path)


# ---- stores built with the kit ---------------------------------------------------------------------------


def _product(sku: str, category: list[str], name: str, *, colour: str | None = None, **extra: Any) -> Product:
    options = {"색상": colour} if colour is not None else {}
    return Product(sku=sku, name_ko=name, category=category, price=Money(amount=12000, currency="KRW"), stock=3,
                   options=options, **extra)


def _png() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (32, 32), (20, 120, 200)).save(buf, format="PNG")
    return buf.getvalue()


def count_draw_calls(g: Glb) -> int:
    """Primitives drawn per frame: one per primitive of every node with a mesh (instanced or not)."""
    return sum(len(g.gltf["meshes"][n["mesh"]]["primitives"]) for n in g.gltf["nodes"] if "mesh" in n)


def _instance_colours(g: Glb, node_name: str) -> dict[int, tuple[int, ...]]:
    """feature id → the instance's _COLOR_0 (linear RGBA bytes) in the named instanced node."""
    (node,) = [n for n in g.gltf["nodes"] if n.get("name") == node_name]
    attributes = node["extensions"][EXT]["attributes"]
    colours = g.raw(attributes["_COLOR_0"])
    features = g.raw(attributes["_FEATURE_ID_0"])
    return {int(f): tuple(int(c) for c in colour) for f, colour in zip(features, colours, strict=True)}


def test_a_mixed_catalog_is_drawn_with_tinted_kit_models(tmp_path: Path, assert_valid_gltf: Check) -> None:
    cube = trimesh.creation.box(extents=(0.2, 0.3, 0.1))
    products = [
        _product("SHOE-RED", ["Apparel & Accessories", "Shoes"], "러닝화", colour="빨강"),
        _product("SHOE-ODD", ["신발"], "운동화", colour="Sunset Glow"),
        _product("SHOE-NONE", ["신발"], "운동화"),
        _product("KIMCHI", ["식품", "김치"], "포기김치 3kg"),
        _product("LIP-1", ["화장품"], "립스틱", colour="Burgundy"),
        _product("BAG-1", ["가방"], "캔버스 백팩", colour="navy"),
        _product("MUG-1", ["주방"], "머그컵", colour="민트"),
        _product("PHOTO", ["신발"], "운동화", colour="빨강", images=["img/photo.png"]),
        _product("OWN", ["신발"], "운동화", colour="빨강", model="models/own.glb"),
    ]
    assets = {"img/photo.png": _png(), "models/own.glb": bytes(trimesh.Scene(cube).export(file_type="glb"))}
    built = build_store(products, auto_layout(products, "department_store", name="테스트"), store_id="kit-1",
                        store_name="키트 가게", assets=assets)
    drawn = {sku: entry["drawn_as"] for sku, entry in built.manifest["products"].items()}
    assert drawn.pop("PHOTO") == "image" and drawn.pop("OWN") == "model"  # the merchant's own assets win
    assert set(drawn.values()) == {"kit"}
    g = Glb.parse(built.glb)
    names = {n.get("name") for n in g.gltf["nodes"]}
    assert {"kit:sneaker", "kit:sneaker:trim", "kit:kimchi_jar", "kit:lipstick", "kit:backpack", "kit:mug"} <= names
    assert count_draw_calls(g) == built.report.draw_calls <= MAX_DRAW_CALLS

    feature = {sku: entry["feature"] for sku, entry in built.manifest["products"].items()}
    kit = load_kit()
    shoes = _instance_colours(g, "kit:sneaker")
    assert shoes[feature["SHOE-RED"]] == linear8(color_rgb("빨강") or (0, 0, 0))
    assert shoes[feature["SHOE-ODD"]] == kit["sneaker"].colour  # an unknown colour name keeps the model's
    assert shoes[feature["SHOE-NONE"]] == color8(category_material("신발"))  # no colour option: the category's
    assert _instance_colours(g, "kit:kimchi_jar")[feature["KIMCHI"]] == kit["kimchi_jar"].colour  # natural colour
    assert _instance_colours(g, "kit:backpack")[feature["BAG-1"]] == linear8(color_rgb("navy") or (0, 0, 0))
    # The trim keeps its own colours: no per-instance colour on it.
    (trim,) = [n for n in g.gltf["nodes"] if n.get("name") == "kit:sneaker:trim"]
    assert "_COLOR_0" not in trim["extensions"][EXT]["attributes"]
    assert_valid_gltf(built.glb)


def _every_model_plan(per_model: int) -> StorePlan:
    """Products whose names pick every kit model, ``per_model`` of each, on plain shelves."""
    names = {entry["name"]: entry["serves"] for entry in INDEX["models"]}
    fixtures = [PlacedFixture(id=f"F{i}", type="shelf", position=(i * 2.2 - 50.0, 0.0, 0.0), size=(2.0, 1.8, 0.5),
                              levels=4) for i in range(50)]
    products = []
    for n, (model, serves) in enumerate(sorted(names.items())):
        word = (serves["ko"] or serves["en"])[0]
        for k in range(per_model):
            products.append(PlacedProduct(
                sku=f"{model}-{k}", slot=f"s{n}-{k}", fixture_id=f"F{n}", position=(n * 2.2 - 50.8 + k * 0.1, 0.5, 0.0),
                size=(0.3, 0.3, 0.3), category="기타", label=word, options={"color": "red"} if k % 2 else {}))
    return StorePlan(store_id="all", store_name="All", kind="department_store", width=120, depth=20,
                     wall_height=4, fixtures=fixtures, products=products)


def test_every_kit_model_in_one_store_stays_within_the_draw_budget(assert_valid_gltf: Check) -> None:
    built = build_scene(_every_model_plan(3))
    g = Glb.parse(built.glb)
    kit_nodes = [n for n in g.gltf["nodes"] if str(n.get("name", "")).startswith("kit:")]
    kit_draws = sum(len(g.gltf["meshes"][n["mesh"]]["primitives"]) for n in kit_nodes)
    baked = [n for n in g.gltf["nodes"] if n.get("name") == "products:baked"]
    assert kit_draws + len(baked) <= PLACEHOLDER_BUDGET and baked  # 46 models: the rarest are baked
    assert count_draw_calls(g) == built.report.draw_calls <= MAX_DRAW_CALLS
    assert {e["drawn_as"] for e in built.manifest["products"].values()} == {"kit"}
    # Every product is somewhere: an instance of a kit node or vertices of the baked mesh.
    ids: set[int] = set()
    for node in kit_nodes:
        ids |= {int(f) for f in g.raw(node["extensions"][EXT]["attributes"]["_FEATURE_ID_0"])}
    for prim in g.gltf["meshes"][baked[0]["mesh"]]["primitives"]:
        ids |= {int(f) for f in g.raw(prim["attributes"]["_FEATURE_ID_0"])}
        assert "COLOR_0" in prim["attributes"]
    assert ids == set(range(len(built.manifest["features"])))
    assert_valid_gltf(built.glb)


def test_past_the_baking_limit_the_rarest_models_are_baked_as_boxes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(products_step, "KIT_BAKED_TRIANGLES", 1000)
    built = build_scene(_every_model_plan(3))
    g = Glb.parse(built.glb)
    (baked,) = [n for n in g.gltf["nodes"] if n.get("name") == "products:baked"]
    baked_triangles = sum(g.gltf["accessors"][p["indices"]]["count"] // 3
                          for p in g.gltf["meshes"][baked["mesh"]]["primitives"])
    boxes = load_kit()["box"].triangles * 3 * len(ENTRIES)
    assert baked_triangles <= 1000 + boxes
    assert {e["drawn_as"] for e in built.manifest["products"].values()} == {"kit"}


def test_a_few_kit_models_get_their_trim_in_its_own_colours() -> None:
    built = build_scene(_every_model_plan(2).model_copy(update={"products": _every_model_plan(2).products[:20]}))
    names = {n.get("name") for n in Glb.parse(built.glb).gltf["nodes"]}
    trims = {name for name in names if str(name).endswith(":trim")}
    assert len(trims) >= 8  # ten models: each drawn as body + trim


def test_without_a_readable_kit_products_fall_back_to_placeholders(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(kit_models, "assets_dir", lambda: tmp_path)  # an assets folder with no kit in it
    built = build_scene(_every_model_plan(1))
    assert {e["drawn_as"] for e in built.manifest["products"].values()} == {"placeholder"}
    assert any("asset kit" in w for w in built.report.warnings)


def test_the_whole_category_path_chooses_the_model_not_only_its_top() -> None:
    # "식품" alone says nothing about the shape; the deeper "김치" does, whatever the product is called.
    products = [_product("K-1", ["식품", "김치"], "종가 1kg"), _product("B-1", ["Home", "Books"], "Vol. 2")]
    built = build_store(products, auto_layout(products, "department_store", name="경로"), store_id="kit-path",
                        store_name="경로")
    names = {n.get("name") for n in Glb.parse(built.glb).gltf["nodes"]}
    assert {"kit:kimchi_jar", "kit:book"} <= names


# ---- fixture pieces (assets/kit/fixtures/) ---------------------------------------------------------------

FIXTURES = {entry["name"]: entry for entry in INDEX["fixtures"]}


def test_the_kit_has_fixture_pieces_of_every_needed_kind_apart_from_the_models() -> None:
    kinds = {entry["kind"] for entry in FIXTURES.values()}
    assert len(FIXTURES) >= 6 and {"shelf", "rack", "stall", "sign"} <= kinds
    assert not set(FIXTURES) & set(ENTRIES) and set(load_kit()) == set(ENTRIES)  # never read as product models
    on_disk = sorted(p.name for p in (KIT / "fixtures").iterdir())
    assert on_disk == sorted(Path(entry["file"]).name for entry in FIXTURES.values())
    for entry in FIXTURES.values():
        assert entry["file"].startswith("fixtures/") and entry["made"] and entry["title"]["ko"]


@pytest.mark.parametrize("name", sorted(FIXTURES))
def test_every_fixture_piece_is_valid_real_sized_and_drawn_in_the_builders_palette(
        name: str, assert_valid_gltf: Check) -> None:
    entry = FIXTURES[name]
    data = (KIT / entry["file"]).read_bytes()
    report = assert_valid_gltf(data)
    assert report["issues"]["numWarnings"] == 0 and report["issues"]["numInfos"] == 0, report["issues"]
    assert 0 < report["info"]["totalTriangleCount"] == entry["triangles"] <= 2000
    g = Glb.parse(data)
    positions = np.vstack([g.raw(p["attributes"]["POSITION"]) for p in g.gltf["meshes"][0]["primitives"]])
    lo, hi = positions.min(0), positions.max(0)
    assert lo[1] == pytest.approx(0.0, abs=1e-5) and list(hi - lo) == pytest.approx(entry["size"], abs=1e-4)
    w, d = entry["footprint"]
    assert lo[0] <= -w / 2 + 1e-4 and hi[0] >= w / 2 - 1e-4 and lo[2] <= -d / 2 + 1e-4 and hi[2] >= d / 2 - 1e-4
    assert 0.3 < float((hi - lo).max()) < 3.0  # metres, not a unit model
    for material in g.gltf["materials"]:
        if material["name"] in PALETTE:
            assert material["pbrMetallicRoughness"]["baseColorFactor"] == list(PALETTE[material["name"]].color)


def test_fixture_pieces_are_the_builders_own_designs() -> None:
    shelf = FIXTURES["wall_shelf"]
    parts = fixture_parts("shelf", (1.2, 1.8, 0.45), even_boards(1.8, 4))
    g = Glb.parse((KIT / shelf["file"]).read_bytes())
    triangles = {m["name"]: g.gltf["accessors"][p["indices"]]["count"] // 3
                 for p, m in ((p, g.gltf["materials"][p["material"]]) for p in g.gltf["meshes"][0]["primitives"])}
    assert triangles == {mat: sum(m.triangle_count for m in meshes) for mat, meshes in parts.items()}
    assert triangles["fixture_wood"] == 12 * 5  # kick base + 4 boards
    assert shelf["size"] == [1.2, 1.8, 0.45]
