"""Auto-layout: every product gets a place, zones follow categories, the store grows with the catalog."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import pytest

from storefront_builder.catalog.models import Dimensions
from storefront_builder.layout import auto_layout, check_layout
from storefront_builder.layout.fixtures import fixture_rows, resolved_levels
from storefront_builder.layout.parse import ENTRANCE_CLEAR
from storefront_builder.placement import place
from storefront_builder.plan import StoreKind

Factory = Callable[..., list[Any]]
KINDS: list[StoreKind] = [
    "department_store", "convenience_store", "traditional_market", "street_district", "brand_shop", "festival_plaza",
]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("count", [10, 500])
def test_everything_is_placed(kind: StoreKind, count: int, make_products: Factory) -> None:
    products = make_products(count, seed=count)
    layout = auto_layout(products, kind, name="자동 상점")
    check_layout(layout)
    plan = place(products, layout, store_id="s", store_name="자동 상점")
    assert not plan.unplaced
    assert sorted(p.sku for p in plan.products) == sorted(p.sku for p in products)


def test_ten_thousand_products_fast(make_products: Factory) -> None:
    products = make_products(10_000, seed=7, dimensions=True)
    layout = auto_layout(products, "department_store", name="대형 백화점")
    plan = place(products, layout, store_id="s", store_name="대형 백화점")
    assert not plan.unplaced and len(plan.products) == 10_000  # timing lives in bench/scene_build.py


@pytest.mark.parametrize("kind", ["traditional_market", "street_district"])
def test_ten_thousand_in_alley_kinds(kind: StoreKind, make_products: Factory) -> None:
    products = make_products(10_000, seed=8)
    plan = place(products, auto_layout(products, kind, name="시장"), store_id="s", store_name="시장")
    assert not plan.unplaced


def test_zones_follow_top_categories(make_products: Factory) -> None:
    products = make_products(300, categories=[["음료", "탄산"], ["음료", "주스"], ["의류"], ["Food", "x"], ["food"]])
    layout = auto_layout(products, "department_store", name="구역")
    assert sorted(zone.name for zone in layout.zones) == ["Food", "음료", "의류"]  # "food" joins "Food"
    plan = place(products, layout, store_id="s", store_name="구역")
    zone_of = {f.id: f.zone for f in plan.fixtures}
    for product in plan.products:
        assert str(zone_of[product.fixture_id]).casefold() == product.category.casefold()


@pytest.mark.parametrize("kind", ["department_store", "traditional_market"])
def test_zone_fixtures_are_contiguous(kind: StoreKind, make_products: Factory) -> None:
    layout = auto_layout(make_products(800, seed=2), kind, name="연속")
    order = [fixture.zone for fixture in layout.fixtures]
    runs = [zone for zone, _ in itertools.groupby(order)]
    assert len(runs) == len(set(runs))  # each zone's fixtures come in one run (and are laid out serpentine)


@pytest.mark.parametrize("kind", KINDS)
def test_store_grows_with_the_catalog(kind: StoreKind, make_products: Factory) -> None:
    areas = []
    for count in (10, 300, 3000):
        layout = auto_layout(make_products(count, seed=1), kind, name="성장")
        areas.append(layout.floor.width * layout.floor.depth)
    assert areas[0] <= areas[1] < areas[2]


def test_market_grows_its_alley_first(make_products: Factory) -> None:
    small = auto_layout(make_products(40, seed=1), "traditional_market", name="시장")
    bigger = auto_layout(make_products(120, seed=1), "traditional_market", name="시장")
    assert bigger.floor.depth > small.floor.depth
    assert {f.rotation for f in bigger.fixtures} == {90.0, -90.0}  # stalls face the alley from both sides


@pytest.mark.parametrize("kind", KINDS)
def test_aisles_entrance_spawn_and_signs(kind: StoreKind, make_products: Factory) -> None:
    layout = auto_layout(make_products(400, seed=5), kind, name="통로 상점")
    plan = place([], layout, store_id="s", store_name="통로 상점")
    boxes = []
    for fixture in plan.fixtures:
        w, d = fixture.size[0] / 2, fixture.size[2] / 2
        if abs(fixture.rotation_y) % 180 == 90:
            w, d = d, w
        boxes.append((fixture.position[0] - w, fixture.position[2] - d, fixture.position[0] + w,
                      fixture.position[2] + d))
    def overlaps(r: tuple[float, ...], q: tuple[float, ...]) -> bool:
        return r[0] < q[2] - 1e-6 and q[0] < r[2] - 1e-6 and r[1] < q[3] - 1e-6 and q[1] < r[3] - 1e-6

    for a, b in itertools.combinations(boxes, 2):
        gap = max(b[0] - a[2], a[0] - b[2], b[1] - a[3], a[1] - b[3])
        inner = [(max(a[k], b[k]), min(a[k + 2], b[k + 2])) for k in (0, 1)]  # the span between, per axis
        between = (min(inner[0]), min(inner[1]), max(inner[0]), max(inner[1]))
        if any(overlaps(between, box) for box in boxes if box not in (a, b)):
            continue  # something stands between them: not an aisle between these two
        # Either part of one run of fixtures (touching or back to back) or a real aisle avatars can use.
        assert gap < 0.7 or gap >= 1.5, (a, b, gap)
    front = layout.floor.depth / 2
    assert all(box[3] <= front - 3.0 for box in boxes)  # the entrance area stays free
    assert ENTRANCE_CLEAR < 3.0
    assert layout.spawn_points and all(s.position[1] > front - 3.0 for s in layout.spawn_points)
    texts = [sign.text for sign in layout.signage]
    assert texts[0] == "통로 상점"
    assert set(texts[1:]) == {zone.name for zone in layout.zones}


def test_deterministic_and_order_independent(make_products: Factory) -> None:
    products = make_products(700, seed=11, dimensions=True)
    first = auto_layout(products, "convenience_store", name="같은")
    second = auto_layout(list(reversed(products)), "convenience_store", name="같은")
    assert first == second
    assert place(products, first, store_id="s", store_name="n") == place(
        list(reversed(products)), second, store_id="s", store_name="n")


def test_large_products_get_large_fixtures_and_giants_are_reported(make_products: Factory) -> None:
    products = make_products(50, categories=[["가구"]], seed=4)
    big = products[0].model_copy(update={"sku": "SOFA", "dimensions": Dimensions(width=2.2, height=0.9, depth=0.9)})
    giant = products[1].model_copy(update={"sku": "BOAT", "dimensions": Dimensions(width=6, height=1, depth=2)})
    layout = auto_layout([*products[2:], big, giant], "department_store", name="가구점")
    plan = place([*products[2:], big, giant], layout, store_id="s", store_name="가구점")
    assert [u.sku for u in plan.unplaced] == ["BOAT"]
    assert "too large for any fixture" in plan.unplaced[0].reason
    assert "SOFA" in {p.sku for p in plan.products}


def test_empty_catalog_gives_an_empty_store() -> None:
    layout = auto_layout([], "department_store", name="빈 가게")
    assert not layout.fixtures and layout.floor.width >= 8
    check_layout(layout)


def test_fixture_rows_respect_levels(make_products: Factory) -> None:
    layout = auto_layout(make_products(200, seed=9), "convenience_store", name="층")
    for fixture in layout.fixtures:
        levels = resolved_levels(fixture.type, fixture.levels)
        rows = fixture_rows(fixture.type, fixture.size, levels)
        assert {row.level for row in rows} == set(range(1, levels + 1))
        assert all(row.y + row.clearance <= fixture.size[1] + 1e-9 for row in rows)
