"""Properties of placement over random catalogs and random or auto layouts (Hypothesis)."""

from __future__ import annotations

import itertools
import math
import os
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from storefront_builder.catalog.models import Dimensions, Money, Product
from storefront_builder.layout import Layout, auto_layout, check_layout
from storefront_builder.layout.fixtures import fixture_rows, resolved_levels
from storefront_builder.layout.shapes import product_size
from storefront_builder.placement import place
from storefront_builder.plan import FixtureType, StoreKind, StorePlan

EPS = 1e-6
CATEGORIES = [["식품", "과자"], ["음료"], ["주류", "맥주"], ["의류"], ["신발"], ["가방"], ["과일"], ["잼"],
              ["Food"], ["food", "snacks"], ["A/B"], ["A"], ["음료 > 탄산"], [">"], []]
FIXTURE_TYPES: list[FixtureType] = ["shelf", "gondola", "table", "rack", "fridge", "counter", "stall",
                                    "display_case"]
KINDS: list[StoreKind] = ["department_store", "convenience_store", "traditional_market", "street_district",
                          "brand_shop", "festival_plaza"]
PROPS = settings(max_examples=int(os.environ.get("LAYOUT_PROP_EXAMPLES", "40")), deadline=None,
                 suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@st.composite
def catalogs(draw: st.DrawFn, max_size: int = 300, max_dim: float = 3.0) -> list[Product]:
    count = draw(st.integers(0, max_size))
    dim = st.floats(0.01, max_dim, allow_nan=False)
    products = []
    for index in range(count):
        sized = draw(st.booleans())
        products.append(Product(
            sku=f"P{index:04d}", name_ko=f"상품 {index}", price=Money(amount=1000, currency="KRW"),
            category=list(draw(st.sampled_from(CATEGORIES))), rank=draw(st.integers(-3, 3)),
            dimensions=Dimensions(width=draw(dim), height=draw(dim), depth=draw(dim)) if sized else None,
        ))
    return products


@st.composite
def random_layouts(draw: st.DrawFn) -> Layout:
    count = draw(st.integers(0, 12))
    columns = 4
    cell = 6.0  # every fixture (≤ 4 m wide, ≤ 2 m deep) fits its cell at any rotation
    fixtures: list[dict[str, Any]] = []
    for index in range(count):
        row, column = divmod(index, columns)
        fixtures.append({
            "type": draw(st.sampled_from(FIXTURE_TYPES)),
            "position": [(column - columns / 2 + 0.5) * cell, -(row + 0.5) * cell],
            "rotation": draw(st.sampled_from([0.0, 90.0, 180.0, -90.0, 45.0, 30.0, 200.0])),
            "size": [draw(st.floats(0.3, 4.0)), draw(st.floats(0.2, 3.0)), draw(st.floats(0.2, 2.0))],
            "levels": draw(st.one_of(st.none(), st.integers(1, 6))),
        })
    zones: list[dict[str, Any]] = []
    names = draw(st.lists(st.sampled_from(["식품", "음료", "의류", "food", "A"]), unique=True, max_size=3))
    for name in names:
        members = [f"F{i + 1}" for i in range(count) if draw(st.booleans())]
        taken = {fid for zone in zones for fid in zone["fixtures"]}
        zones.append({"name": name, "categories": [name], "fixtures": [f for f in members if f not in taken]})
    rows = max(1, math.ceil(count / columns))
    return Layout.model_validate({
        "version": 1, "kind": "department_store", "floor": {"width": columns * cell, "depth": rows * cell + 4},
        "wall_height": 4, "fixtures": [{**f, "position": [f["position"][0], f["position"][1] + rows * cell / 2 - 2]}
                                       for f in fixtures],
        "zones": zones,
    })


def _local(plan: StorePlan) -> dict[str, list[tuple[float, ...]]]:
    """Each fixture's products as boxes (x0, y0, z0, x1, y1, z1) in the fixture's local frame."""
    fixtures = {f.id: f for f in plan.fixtures}
    boxes: dict[str, list[tuple[float, ...]]] = {}
    for placed in plan.products:
        fixture = fixtures[placed.fixture_id]
        theta = math.radians(fixture.rotation_y)
        dx, dz = placed.position[0] - fixture.position[0], placed.position[2] - fixture.position[2]
        # Inverse of the plan's turn about +Y.
        x = dx * math.cos(theta) - dz * math.sin(theta)
        z = dx * math.sin(theta) + dz * math.cos(theta)
        turn = (placed.rotation_y - fixture.rotation_y) % 180
        assert math.isclose(turn, 0, abs_tol=1e-9) or math.isclose(turn, 180, abs_tol=1e-9)
        w, h, d = placed.size
        boxes.setdefault(fixture.id, []).append((x - w / 2, placed.position[1], z - d / 2, x + w / 2,
                                                 placed.position[1] + h, z + d / 2))
    return boxes


def check_plan(products: list[Product], plan: StorePlan) -> None:
    placed = [p.sku for p in plan.products]
    unplaced = [u.sku for u in plan.unplaced]
    assert sorted(placed + unplaced) == sorted(p.sku for p in products)  # each exactly once
    assert len({p.slot for p in plan.products}) == len(placed)
    fixtures = {f.id: f for f in plan.fixtures}
    for fixture_id, boxes in _local(plan).items():
        w, h, d = fixtures[fixture_id].size
        for box in boxes:  # inside the fixture's box
            assert box[0] >= -w / 2 - EPS and box[3] <= w / 2 + EPS, (fixture_id, box)
            assert box[1] >= -EPS and box[4] <= h + EPS, (fixture_id, box)
            assert box[2] >= -d / 2 - EPS and box[5] <= d / 2 + EPS, (fixture_id, box)
        for a, b in itertools.combinations(boxes, 2):  # no two overlap
            assert (a[3] <= b[0] + EPS or b[3] <= a[0] + EPS or a[4] <= b[1] + EPS or b[4] <= a[1] + EPS
                    or a[5] <= b[2] + EPS or b[5] <= a[2] + EPS), (fixture_id, a, b)


def fits_somewhere(product: Product, layout: Layout) -> bool:
    size = product_size(product)
    return any(row.fits(*size) for f in layout.fixtures
               for row in fixture_rows(f.type, f.size, resolved_levels(f.type, f.levels)))


@PROPS
@given(products=catalogs(), layout=random_layouts())
def test_random_layouts(products: list[Product], layout: Layout) -> None:
    check_layout(layout)  # the generator only builds sound layouts; fixture footprints never overlap
    plan = place(products, layout, store_id="s", store_name="가게")
    check_plan(products, plan)
    for item in plan.unplaced:
        if "too large" in item.reason:
            assert not fits_somewhere(next(p for p in products if p.sku == item.sku), layout)


@PROPS
@given(products=catalogs(max_dim=2.5), kind=st.sampled_from(KINDS))
def test_auto_layouts_place_everything_that_fits(products: list[Product], kind: StoreKind) -> None:
    layout = auto_layout(products, kind, name="자동")
    check_layout(layout)
    plan = place(products, layout, store_id="s", store_name="자동")
    check_plan(products, plan)
    by_sku: dict[str, Any] = {p.sku: p for p in products}
    for item in plan.unplaced:
        # Only products larger than any fixture auto-layout may build stay out.
        assert "too large for any fixture" in item.reason or item.reason == "the layout has no fixtures", item
        assert not fits_somewhere(by_sku[item.sku], layout)


@PROPS
@given(products=catalogs(max_dim=1.2), kind=st.sampled_from(KINDS))
def test_auto_layout_places_all_ordinary_products(products: list[Product], kind: StoreKind) -> None:
    plan = place(products, auto_layout(products, kind, name="자동"), store_id="s", store_name="자동")
    assert not plan.unplaced
