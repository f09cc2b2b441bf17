"""Placement of products with variants (issue 17): one shelf slot per product, none for a hidden one."""

from __future__ import annotations

from typing import Any

from storefront_builder.build import build_store
from storefront_builder.catalog.models import Money, Product
from storefront_builder.layout import Layout
from storefront_builder.placement import place

SHELF = {"id": "S", "type": "shelf", "position": [0, 0], "size": [2.0, 2.0, 0.5], "levels": 4}


def _layout() -> Layout:
    return Layout.model_validate({"version": 1, "kind": "department_store", "floor": {"width": 12, "depth": 10},
                                  "fixtures": [SHELF]})


def _product(sku: str, **extra: Any) -> Product:
    return Product(sku=sku, name_ko=f"상품 {sku}", category=["의류"], price=Money(amount=1000, currency="KRW"),
                   **extra)


def _shirts() -> list[Product]:
    return [
        _product("LS-S", variant_group="linen", options={"size": "S", "color": "white"}),
        _product("LS-M", variant_group="linen", options={"size": "M", "color": "white"}, images=["pic-m"]),
        _product("LS-L", variant_group="linen", options={"size": "L", "color": "blue"}),
    ]


def test_three_variants_take_one_slot_shown_by_the_first() -> None:
    products = [*_shirts(), _product("CUP")]
    plan = place(products, _layout(), store_id="s", store_name="가게", assets=frozenset({"pic-m"}))
    assert [p.sku for p in plan.products] == ["CUP", "LS-S"] and not plan.unplaced
    shirt = next(p for p in plan.products if p.sku == "LS-S")
    assert (shirt.group, shirt.variants) == ("linen", ("LS-S", "LS-M", "LS-L"))
    assert list(shirt.options.items()) == [("size", "S"), ("color", "white")]
    assert shirt.image_ref == "pic-m"  # a picture only another variant has still beats a placeholder
    cup = next(p for p in plan.products if p.sku == "CUP")
    assert (cup.group, cup.variants, cup.options) == ("CUP", ("CUP",), {})


def test_hidden_variants_and_products_take_no_slot() -> None:
    shirts = _shirts()
    products = [shirts[0].model_copy(update={"status": "draft"}), *shirts[1:], _product("HAT", status="archived")]
    plan = place(products, _layout(), store_id="s", store_name="가게")
    assert [(p.sku, p.variants) for p in plan.products] == [("LS-M", ("LS-M", "LS-L"))]
    assert {u.sku: u.reason for u in plan.unplaced} == {
        "LS-S": "hidden (draft): not on the shelves", "HAT": "hidden (archived): not on the shelves"}


def test_a_build_of_three_variants_has_one_product_in_its_manifest() -> None:
    scene = build_store(_shirts(), _layout(), store_id="s", store_name="가게")
    assert list(scene.manifest["products"]) == ["LS-S"]
    assert scene.report.products_placed == 1 and scene.report.products_unplaced == 0
