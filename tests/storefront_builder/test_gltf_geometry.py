"""Geometry below the writer: placeholders, fixtures, batching, atlases, signs, merchant models."""

from __future__ import annotations

import io
from collections.abc import Callable

import numpy as np
import pytest
from PIL import Image

from storefront_builder.errors import AssetError
from storefront_builder.geometry import atlas, signage
from storefront_builder.geometry.batch import bake_instances
from storefront_builder.geometry.fixtures import fixture_parts
from storefront_builder.geometry.mesh import merge, transform, trs_matrix
from storefront_builder.geometry.models import fit_scale, load_model
from storefront_builder.geometry.placeholders import placeholder
from storefront_builder.geometry.room import shell
from storefront_builder.plan import FixtureType, PlaceholderShape, StorePlan

SHAPES: list[PlaceholderShape] = ["box", "bottle", "jar", "folded_garment", "shoe_box", "fruit_crate", "can", "bag"]
FIXTURES: list[FixtureType] = ["shelf", "gondola", "table", "rack", "fridge", "counter", "stall", "display_case"]


@pytest.mark.parametrize("shape", SHAPES)
def test_placeholders_are_small_unit_meshes(shape: PlaceholderShape) -> None:
    mesh = placeholder(shape)
    assert 0 < mesh.triangle_count <= 200
    lo, hi = mesh.positions.min(0), mesh.positions.max(0)
    assert lo[1] == pytest.approx(0.0) and hi[1] <= 1.0 + 1e-6
    assert np.all(lo >= -0.5 - 1e-6) and np.all(hi <= 0.5 + 1e-6 + np.array([0, 0.5, 0]))
    assert np.allclose(np.linalg.norm(mesh.normals, axis=1), 1.0, atol=1e-5)
    assert int(mesh.indices.max()) < mesh.vertex_count


@pytest.mark.parametrize("kind", FIXTURES)
def test_fixtures_stay_in_their_footprint(kind: FixtureType) -> None:
    parts = fixture_parts(kind, (2.0, 1.8, 0.6), [0.1, 0.6, 1.1])
    mesh = merge(m for meshes in parts.values() for m in meshes)
    assert mesh.triangle_count > 0
    lo, hi = mesh.positions.min(0), mesh.positions.max(0)
    assert lo[1] >= -1e-6
    # Awnings overhang a stall a little; everything else stays within its footprint.
    slack = 0.3 if kind == "stall" else 1e-4
    assert lo[0] >= -1.0 - slack and hi[0] <= 1.0 + slack and lo[2] >= -0.3 - slack and hi[2] <= 0.3 + slack


def test_shelf_boards_sit_at_product_heights() -> None:
    parts = fixture_parts("shelf", (1.0, 2.0, 0.4), [0.5, 1.25])
    tops = {round(float(m.positions[:, 1].max()), 3) for m in parts["fixture_wood"]}
    assert {0.5, 1.25} <= tops


def test_bake_instances_matches_one_transform_per_instance() -> None:
    rng = np.random.default_rng(3)
    unit = placeholder("bottle")
    t, yaw, s = rng.normal(size=(5, 3)), rng.uniform(0, 360, 5), rng.uniform(0.1, 2, (5, 3))
    baked = bake_instances(unit, t, yaw, s, feature_ids=np.arange(5))
    expected = merge(transform(unit, trs_matrix(t[i], yaw[i], s[i])) for i in range(5))
    assert np.allclose(baked.positions, expected.positions, atol=1e-5)
    assert np.allclose(baked.normals, expected.normals, atol=1e-4)
    assert np.array_equal(baked.indices, expected.indices)
    assert baked.feature_ids is not None and baked.feature_ids[-1] == 4


def test_room_has_an_entrance_gap_on_plus_z() -> None:
    plan = StorePlan(store_id="s", store_name="n", kind="department_store", width=10, depth=8, wall_height=4,
                     entrance_width=3)
    walls = merge(shell(plan)["wall"])
    # No wall triangle may cover the doorway's centre below the lintel on the +Z wall.
    front = walls.positions[walls.indices.reshape(-1)].reshape(-1, 3, 3)
    for tri in front:
        if np.all(tri[:, 2] >= 3.99) and np.all(tri[:, 1] < 2.8):
            assert np.all(tri[:, 0] <= -1.5 + 1e-6) or np.all(tri[:, 0] >= 1.5 - 1e-6)
    assert "ceiling" in shell(plan)
    plaza = plan.model_copy(update={"kind": "festival_plaza"})
    assert set(shell(plaza)) == {"floor_plaza"}


def _png(color: tuple[int, int, int], size: tuple[int, int]) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, color).save(buf, format="PNG")
    return buf.getvalue()


def test_atlas_packs_cells_and_reports_bad_images() -> None:
    assets = {f"i{n}": _png((n, 100, 200), (40 + n, 30)) for n in range(10)}
    assets["bad"] = b"not an image"
    packed = atlas.pack([*assets, "missing", "i1"], assets)
    assert len(packed.pages) == 1 and set(packed.cells) == {f"i{n}" for n in range(10)}
    assert len(packed.warnings) == 2
    page = Image.open(io.BytesIO(packed.pages[0]))
    assert page.format == "JPEG" and max(page.size) <= 2048
    for _page, (u0, v0, u1, v1) in packed.cells.values():
        assert 0 <= u0 < u1 <= 1 and 0 <= v0 < v1 <= 1


def test_atlas_cells_shrink_to_keep_pages_bounded() -> None:
    assert atlas.cell_size(10, 4) == 256
    assert atlas.cell_size(10_000, 4) <= 64
    assert (2048 // atlas.cell_size(10_000, 4)) ** 2 * 4 >= 10_000


def test_sign_atlas_renders_every_sign() -> None:
    out = signage.render([("a", "축제 Festival", 5.0, "store"), ("b", "Food", 4.0, "zone")])
    assert Image.open(io.BytesIO(out.png)).format == "PNG"
    assert set(out.rects) == {"a", "b"}
    assert signage.drawable_text("Food", "x") == "Food"


def test_merchant_model_is_normalised(scene_assets: dict[str, bytes]) -> None:
    model = load_model(scene_assets["models/cube.glb"])
    lo, hi = model.positions.min(0), model.positions.max(0)
    assert lo[1] == pytest.approx(0.0, abs=1e-6)
    assert float((hi - lo).max()) == pytest.approx(1.0, abs=1e-6)
    assert hi[0] == pytest.approx(-lo[0], abs=1e-6)
    assert model.colors is not None and tuple(model.colors[0][:3]) == (200, 30, 30)
    # 20×40×10 cm normalised to 0.5×1×0.25; a 0.3×0.3×0.3 slot is limited by the height.
    assert fit_scale(model, (0.3, 0.3, 0.3)) == pytest.approx(0.3, rel=1e-5)


@pytest.mark.parametrize("data", [b"", b"glTF garbage", b"\x00" * 64])
def test_bad_models_raise_asset_errors(data: bytes) -> None:
    with pytest.raises(AssetError):
        load_model(data)


def test_make_plan_fixture_is_usable(make_plan: Callable[..., StorePlan]) -> None:
    plan = make_plan(30)
    assert len(plan.products) == 30 and plan.fixtures
