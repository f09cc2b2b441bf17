"""Placement: slots, sizes, ranks, shapes, zones, asset references and what does not fit."""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Callable
from typing import Any

import pytest

from storefront_builder.catalog.models import Dimensions, Money, Product
from storefront_builder.errors import LayoutError
from storefront_builder.layout import Layout
from storefront_builder.layout.fixtures import EYE_LEVEL, GAP, level_heights
from storefront_builder.layout.shapes import DEFAULT_SIZES, shape_for_category
from storefront_builder.placement import place
from storefront_builder.plan import PlaceholderShape

Factory = Callable[..., list[Any]]


def layout(*fixtures: dict[str, Any], zones: list[dict[str, Any]] | None = None, width: float = 12) -> Layout:
    return Layout.model_validate({
        "version": 1, "kind": "department_store", "floor": {"width": width, "depth": 10},
        "fixtures": list(fixtures), "zones": zones or [],
    })


def product(sku: str, *, category: list[str] | None = None, rank: int = 0,
            size: tuple[float, float, float] | None = None, **extra: Any) -> Product:
    dims = Dimensions(width=size[0], height=size[1], depth=size[2]) if size else None
    return Product(sku=sku, name_ko=f"상품 {sku}", category=category or ["식품"], rank=rank, dimensions=dims,
                   price=Money(amount=1000, currency="KRW"), **extra)


SHELF = {"id": "S", "type": "shelf", "position": [0, 0], "size": [2.0, 2.0, 0.5], "levels": 4}


def test_slot_ids_positions_and_sizes() -> None:
    items = [product(f"P{i}", size=(0.3, 0.2, 0.25)) for i in range(5)]
    plan = place(items, layout(SHELF), store_id="s", store_name="가게")
    assert not plan.unplaced
    for placed in plan.products:
        assert re.fullmatch(r"S-L[1-4]-S\d+", placed.slot)
        assert placed.size == (0.3, 0.2, 0.25)
        assert placed.fixture_id == "S" and placed.label.startswith("상품")
    # All five fit on one level, side by side without touching.
    xs = sorted(p.position[0] for p in plan.products)
    assert len({p.position[1] for p in plan.products}) == 1
    assert all(b - a >= 0.3 + GAP - 1e-9 for a, b in itertools.pairwise(xs))
    # Pushed to the front edge (+Z) of the shelf.
    assert all(math.isclose(p.position[2] + 0.125, 0.25 - 0.02) for p in plan.products)


def test_rank_then_sku_decides_eye_level_and_slot_order() -> None:
    items = [product(f"P{i:02d}", rank=10 - i // 3, size=(0.5, 0.3, 0.3)) for i in range(15)]
    plan = place(items, layout(SHELF), store_id="s", store_name="가게")
    heights = level_heights("shelf", 2.0, 4)
    eye = min(range(4), key=lambda k: abs(heights[k] + 0.2 - EYE_LEVEL)) + 1
    first = [p for p in plan.products if p.slot.startswith(f"S-L{eye}-")]
    by_slot = sorted(first, key=lambda p: int(p.slot.rsplit("S", 1)[1]))
    # Rank 6 is the lowest: P12, P13, P14 take the eye-level row first, in sku order.
    assert [p.sku for p in by_slot][:3] == ["P12", "P13", "P14"]


def test_products_too_big_are_reported_not_dropped() -> None:
    items = [product("OK", size=(0.3, 0.3, 0.3)), product("WIDE", size=(2.5, 0.3, 0.3)),
             product("TALL", size=(0.3, 1.5, 0.3)), product("DEEP", size=(0.3, 0.3, 0.9))]
    plan = place(items, layout(SHELF), store_id="s", store_name="가게")
    assert [p.sku for p in plan.products] == ["OK"]
    assert {u.sku for u in plan.unplaced} == {"WIDE", "TALL", "DEEP"}
    assert all("too large for any fixture" in u.reason for u in plan.unplaced)


def test_full_fixtures_report_no_room() -> None:
    items = [product(f"P{i}", size=(0.9, 0.4, 0.3)) for i in range(10)]
    plan = place(items, layout(SHELF), store_id="s", store_name="가게")
    assert len(plan.products) == 8  # 2 per level × 4 levels
    assert all("no room left" in u.reason for u in plan.unplaced) and len(plan.unplaced) == 2


def test_duplicates_and_no_fixtures() -> None:
    items = [product("A"), product("A"), product("B")]
    plan = place(items, layout(SHELF), store_id="s", store_name="가게")
    assert [p.sku for p in plan.products] == ["A", "B"]
    assert [u.sku for u in plan.unplaced] == ["A"] and "duplicate" in plan.unplaced[0].reason
    empty = place(items[:1], layout(), store_id="s", store_name="가게")
    assert empty.unplaced[0].reason == "the layout has no fixtures"


@pytest.mark.parametrize(
    ("category", "shape"),
    [
        (["음료"], "bottle"), (["Beverages"], "bottle"), (["drinks", "juice"], "bottle"), (["주류", "와인"], "bottle"),
        (["주류", "맥주"], "can"), (["식품", "탄산음료"], "can"), (["Soda"], "can"),
        (["과일"], "fruit_crate"), (["채소"], "fruit_crate"), (["Fresh Fruit"], "fruit_crate"),
        (["의류", "티셔츠"], "folded_garment"), (["Clothing"], "folded_garment"), (["fashion"], "folded_garment"),
        (["신발"], "shoe_box"), (["Shoes", "Sneakers"], "shoe_box"),
        (["잼"], "jar"), (["소스"], "jar"), (["Condiments"], "jar"), (["jam & jelly"], "jar"),
        (["가방"], "bag"), (["Bags"], "bag"),
        (["식품", "과자"], "box"), (["Candy"], "box"), ([], "box"), (["전자"], "box"),
    ],
)
def test_shape_by_korean_and_english_category(category: list[str], shape: PlaceholderShape) -> None:
    assert shape_for_category(tuple(category)) == shape
    plan = place([product("X", category=category or None)], layout(SHELF), store_id="s", store_name="가게")
    assert plan.products[0].shape == shape
    assert plan.products[0].size == DEFAULT_SIZES[shape]


def test_zones_route_products_and_fall_back() -> None:
    fixtures = [
        {"id": "DRINK", "type": "fridge", "position": [-3, 0], "size": [1.2, 2.0, 0.7]},
        {"id": "SNACK", "type": "shelf", "position": [0, 0], "size": [2.0, 2.0, 0.5]},
        {"id": "FREE", "type": "table", "position": [3, 0], "size": [1.8, 1.1, 1.2]},
    ]
    zones = [{"name": "음료", "categories": ["음료"], "fixtures": ["DRINK"]},
             {"name": "과자", "categories": ["식품 > 과자", "snacks"], "fixtures": ["SNACK"]}]
    items = [product("D1", category=["음료", "생수"]), product("S1", category=["식품", "과자", "초콜릿"]),
             product("S2", category=["Snacks"]), product("G1", category=["생활용품"]),
             product("F1", category=["식품", "면"])]
    plan = place(items, layout(*fixtures, zones=zones), store_id="s", store_name="가게")
    where = {p.sku: p.fixture_id for p in plan.products}
    assert where == {"D1": "DRINK", "S1": "SNACK", "S2": "SNACK", "G1": "FREE", "F1": "FREE"}
    assert {z.name: z.categories for z in plan.zones} == {"음료": ["음료"], "과자": ["식품 > 과자", "snacks"]}
    assert [f.zone for f in plan.fixtures] == ["음료", "과자", None]


def test_a_full_zone_overflows_instead_of_dropping() -> None:
    fixtures = [{"id": "Z", "type": "counter", "position": [-3, 0], "size": [1.0, 1.3, 0.6]},
                {"id": "O", "type": "counter", "position": [3, 0], "size": [2.0, 1.3, 0.6]}]
    zones = [{"name": "음료", "categories": ["음료"], "fixtures": ["Z"]}]
    items = [product(f"D{i}", category=["음료"], size=(0.4, 0.3, 0.3)) for i in range(5)]
    plan = place(items, layout(*fixtures, zones=zones), store_id="s", store_name="가게")
    assert [p.fixture_id for p in plan.products] == ["Z", "Z", "O", "O", "O"]


def test_rotated_fixture_places_products_in_world_space() -> None:
    fixture = {"id": "R", "type": "shelf", "position": [2, 1], "rotation": 90, "size": [2.0, 2.0, 0.5], "levels": 1}
    plan = place([product("A", size=(0.4, 0.4, 0.2))], layout(fixture), store_id="s", store_name="가게")
    placed = plan.products[0]
    # Rotated 90°, the shelf's front (+Z) faces +X: the product sits at the +X edge, centred along Z.
    assert math.isclose(placed.position[0], 2 + 0.25 - 0.02 - 0.1)
    assert math.isclose(placed.position[2], 1.0, abs_tol=1e-9)
    assert placed.rotation_y == 90


def test_gondola_back_face_turns_products_around() -> None:
    gondola = {"id": "G", "type": "gondola", "position": [0, 0], "size": [1.0, 1.8, 1.0], "levels": 1}
    items = [product(f"P{i}", size=(0.4, 0.4, 0.3)) for i in range(4)]
    plan = place(items, layout(gondola), store_id="s", store_name="가게")
    fronts = [p for p in plan.products if p.position[2] > 0]
    backs = [p for p in plan.products if p.position[2] < 0]
    assert len(fronts) == 2 and len(backs) == 2
    assert {p.rotation_y for p in backs} == {180.0} and {p.rotation_y for p in fronts} == {0.0}
    assert len({p.slot for p in plan.products}) == 4


def test_asset_references_only_when_bytes_exist() -> None:
    items = [product("A", model="models/a.glb", images=["https://x/1.jpg", "img/a.png", "img/b.png"]),
             product("B", model="models/missing.glb", images=["img/none.png"])]
    plan = place(items, layout(SHELF), store_id="s", store_name="가게",
                 assets=frozenset({"models/a.glb", "img/a.png", "img/b.png"}))
    refs = {p.sku: (p.model_ref, p.image_ref) for p in plan.products}
    assert refs == {"A": ("models/a.glb", "img/a.png"), "B": (None, None)}


def test_plan_carries_layout_parts(make_products: Factory) -> None:
    data = {
        "version": 1, "kind": "convenience_store", "floor": {"width": 10, "depth": 8}, "wall_height": 3,
        "entrance": {"width": 2.5}, "fixtures": [SHELF],
        "signage": [{"text": "간판", "position": [0, 2.5, 0], "rotation": 180, "size": [2, 0.5]}],
        "portals": [{"id": "p", "target": "plaza", "label": "광장", "position": [4, 3], "rotation": 90}],
    }
    plan = place(make_products(5), Layout.model_validate(data), store_id="s1", store_name="가게")
    assert (plan.width, plan.depth, plan.wall_height, plan.entrance_width) == (10, 8, 3, 2.5)
    assert plan.signs[0].text == "간판" and plan.signs[0].rotation_y == 180
    assert plan.portals[0].position == (4, 0, 3) and plan.portals[0].target == "plaza"
    assert plan.spawn_points[0].position == (0, 0, 3.5)  # default: just inside the entrance
    # Walkable rectangles stay off the shelf (x ∈ [-1, 1], z ∈ [-0.25, 0.25]) and inside the walls.
    for x0, z0, x1, z1 in plan.walkable:
        assert -4.7 - 1e-9 <= x0 < x1 <= 4.7 + 1e-9 and -3.7 - 1e-9 <= z0 < z1 <= 3.7 + 1e-9
        assert x1 <= -1 + 1e-9 or x0 >= 1 - 1e-9 or z1 <= -0.25 + 1e-9 or z0 >= 0.25 - 1e-9
    area = sum((x1 - x0) * (z1 - z0) for x0, z0, x1, z1 in plan.walkable)
    assert math.isclose(area, 9.4 * 7.4 - 2.0 * 0.5)


def test_invalid_layout_is_refused() -> None:
    overlapping = layout(SHELF, {**SHELF, "id": "T"})
    with pytest.raises(LayoutError) as info:
        place([], overlapping, store_id="s", store_name="가게")
    assert info.value.loc == ("fixtures", 1, "position")
