"""Placement + scene writer together: every layout template and an auto-laid-out 1,000-product store."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

import storefront_builder.layout as layout
import storefront_builder.placement as placement
from storefront_builder.build import build_scene, build_store
from storefront_builder.build_steps.context import MAX_DRAW_CALLS
from storefront_builder.catalog.models import Money, Product

Check = Callable[[bytes], dict[str, Any]]
CATEGORIES = [["식품", "과자"], ["음료"], ["의류", "상의"], ["신발"], ["과일"], ["생활용품"], ["화장품"], ["가방"]]


def _products(n: int) -> list[Product]:
    return [Product(sku=f"P{i:05d}", name_ko=f"상품 {i}", category=CATEGORIES[i % len(CATEGORIES)],
                    price=Money(amount=1000 + i, currency="KRW"), stock=5) for i in range(n)]


@pytest.mark.parametrize("kind", layout.TEMPLATE_KINDS)
def test_every_template_builds_a_valid_scene(kind: str, assert_valid_gltf: Check) -> None:
    spec = layout.load_template(kind)
    plan = placement.place(_products(150), spec, store_id=f"t-{kind}", store_name="템플릿 상점")
    built = build_scene(plan)
    assert_valid_gltf(built.glb)
    assert built.report.draw_calls <= MAX_DRAW_CALLS
    assert built.report.products_placed == len(plan.products)
    assert set(built.manifest["products"]) == {p.sku for p in plan.products}


def test_thousand_product_auto_layout_is_valid(assert_valid_gltf: Check) -> None:
    products = _products(1000)
    spec = layout.auto_layout(products, "department_store", name="자동 백화점")
    built = build_store(products, spec, store_id="auto", store_name="자동 백화점")
    assert_valid_gltf(built.glb)
    assert built.report.products_placed + built.report.products_unplaced == 1000
    assert built.report.draw_calls <= MAX_DRAW_CALLS
