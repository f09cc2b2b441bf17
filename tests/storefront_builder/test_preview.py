"""Floor-plan preview: a decodable, deterministic PNG of the right size that shows the plan."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from PIL import Image

from storefront_builder import preview
from storefront_builder.layout import auto_layout, load_template, plaza_layout
from storefront_builder.placement import place
from storefront_builder.plan import StorePlan
from storefront_builder.preview import MARGIN, TITLE_HEIGHT, render_floor_plan, romanize

Factory = Callable[..., list[Any]]


@pytest.fixture
def plan(make_products: Factory) -> StorePlan:
    return place(make_products(150, seed=2), load_template("department_store"), store_id="s1",
                 store_name="축제 백화점")


def decode(png: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(png))
    image.load()
    return image


def test_png_decodes_with_the_expected_size(plan: StorePlan) -> None:
    image = decode(render_floor_plan(plan, px_per_m=20))
    assert image.format == "PNG"
    assert image.size == (24 * 20 + 2 * MARGIN, 20 * 20 + 2 * MARGIN + TITLE_HEIGHT)


def test_not_blank_and_shows_products(plan: StorePlan) -> None:
    image = decode(render_floor_plan(plan)).convert("RGB")
    colours = image.getcolors(maxcolors=1 << 16)
    assert colours is not None and len(colours) > 20
    # A product dot is drawn in its category's colour at its position.
    product = plan.products[0]
    x = round(MARGIN + (product.position[0] + plan.width / 2) * 40)
    y = round(MARGIN + TITLE_HEIGHT + (product.position[2] + plan.depth / 2) * 40)
    assert image.getpixel((x, y)) == preview._colour(product.category)[:3]


def test_deterministic(plan: StorePlan) -> None:
    assert render_floor_plan(plan) == render_floor_plan(plan)


def test_large_store_is_capped(make_products: Factory) -> None:
    products = make_products(3000, seed=1)
    big = place(products, auto_layout(products, "traditional_market", name="큰 시장"), store_id="s",
                store_name="큰 시장")
    image = decode(render_floor_plan(big, px_per_m=40, max_px=800))
    assert max(image.size) <= 800


def test_plaza_with_portals() -> None:
    plaza = place([], plaza_layout([(f"store-{i}", f"상점 {i}") for i in range(20)]), store_id="plaza",
                  store_name="축제 광장")
    assert decode(render_floor_plan(plaza, px_per_m=10)).size[0] > 100


@pytest.fixture
def no_cjk_font(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(preview, "CJK_FONT_PATHS", ())
    preview._font.cache_clear()
    yield
    preview._font.cache_clear()


@pytest.mark.usefixtures("no_cjk_font")
def test_falls_back_to_romanised_labels(plan: StorePlan) -> None:
    assert preview._font(12)[1] is False
    image = decode(render_floor_plan(plan))
    assert image.size[0] > 0


@pytest.mark.usefixtures("no_cjk_font")
def test_no_fonts_at_all_still_renders(plan: StorePlan, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(preview, "LATIN_FONT_PATHS", ())
    preview._font.cache_clear()
    assert decode(render_floor_plan(plan)).size[0] > 0


def test_romanize() -> None:
    assert romanize("음료") == "eumryo"
    assert romanize("한글 Store 1") == "hangeul Store 1"
    assert romanize("축제·광장") == "chukje?gwangjang"
