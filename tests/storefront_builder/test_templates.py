"""Templates ship as package data, load as checked layouts and take a sample catalog."""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from typing import Any

import pytest

from storefront_builder.errors import LayoutError
from storefront_builder.layout import TEMPLATE_KINDS, load_template, plaza_layout
from storefront_builder.placement import place
from storefront_builder.plan import StoreKind


@pytest.mark.parametrize("kind", TEMPLATE_KINDS)
def test_template_loads(kind: StoreKind) -> None:
    layout = load_template(kind)
    assert layout.kind == kind
    assert layout.spawn_points and layout.name
    assert load_template(kind) is layout  # parsed once


@pytest.mark.parametrize("kind", [k for k in TEMPLATE_KINDS if k != "festival_plaza"])
def test_template_places_a_sample_catalog(kind: StoreKind, make_products: Callable[..., list[Any]]) -> None:
    products = make_products(120, seed=3)
    plan = place(products, load_template(kind), store_id="s1", store_name="시험 상점")
    assert len(plan.products) + len(plan.unplaced) == 120
    assert not plan.unplaced, plan.unplaced[:3]
    assert plan.zones and plan.walkable and plan.spawn_points
    assert len({p.slot for p in plan.products}) == len(plan.products)


def test_zones_route_categories_in_the_department_store(make_products: Callable[..., list[Any]]) -> None:
    products = make_products(60, categories=[["음료"], ["의류", "셔츠"], ["식품", "과자"]])
    plan = place(products, load_template("department_store"), store_id="s1", store_name="백화점")
    zone_of = {f.id: f.zone for f in plan.fixtures}
    by_category = {p.category: zone_of[p.fixture_id] for p in plan.products}
    assert by_category == {"음료": "음료", "의류": "의류", "식품": "식품"}


def test_unknown_template_kind() -> None:
    with pytest.raises(LayoutError) as info:
        load_template("brand_shop")
    assert info.value.loc == ("kind",)


@pytest.mark.parametrize("count", [0, 1, 2, 7, 40, 300])
def test_plaza_portals_are_spread_evenly(count: int) -> None:
    stores = [(f"store-{i}", f"상점 {i}") for i in range(count)]
    layout = plaza_layout(stores)
    assert [p.target for p in layout.portals] == [slug for slug, _ in stores]
    radii = [math.hypot(*p.position) for p in layout.portals]
    assert not radii or max(radii) - min(radii) < 1e-3
    angles = sorted(math.atan2(p.position[0], p.position[1]) % (2 * math.pi) for p in layout.portals)
    steps = [b - a for a, b in itertools.pairwise(angles)]
    assert not steps or max(steps) - min(steps) < 1e-3  # evenly spaced
    for portal in layout.portals:
        # Each portal faces the centre: its local +Z points back at the origin.
        facing = (math.sin(math.radians(portal.rotation)), math.cos(math.radians(portal.rotation)))
        inward = (-portal.position[0], -portal.position[1])
        assert facing[0] * inward[0] + facing[1] * inward[1] > 0
    if count:
        spacing = 2 * math.pi * radii[0] / count
        assert count == 1 or spacing >= 2.0  # portals are 1.6 m wide
    plan = place([], layout, store_id="plaza", store_name="광장")
    assert len(plan.portals) == count


def test_plaza_rejects_bad_and_duplicate_slugs() -> None:
    with pytest.raises(LayoutError) as info:
        plaza_layout([("ok", "A"), ("Bad Slug!", "B")])
    assert info.value.loc == ("portals", 1, "target")
    with pytest.raises(LayoutError) as info:
        plaza_layout([("dup", "A"), ("dup", "B")])
    assert info.value.loc == ("portals", 1, "id")
