"""The shelf labels and the product panel in headless Chromium: names on the shelf, pictures, description,
option pickers over a product's variants (the cart line is the chosen variant), the 3D close-up, keyboard and
phone use, "N looking" without oneself, and the same panel in VR.

The store is seeded in a festival of its own (seeding.seed_panel_store), so the demo festival the other
browser tests count stays as it is.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import pytest
from factories import LiveServer
from helpers import click_product, hook, next_frames, open_store, vr_select, wait
from seeding import PanelStore, call, seed_panel_store

pytestmark = pytest.mark.e2e

FESTIVAL = "panel-festa"
KNITS = ("KNIT-NV-M", "KNIT-NV-L", "KNIT-BK-M")


@pytest.fixture(scope="module")
def shop(live_server: LiveServer) -> Iterator[PanelStore]:
    out = live_server.vrstore("admin", "create-festival", "--slug", FESTIVAL, "--name", "패널 페스타",
                              "--name-en", "Panel Festa")
    yield seed_panel_store(live_server.url, out.strip().splitlines()[-1].strip(), FESTIVAL)


@pytest.fixture(scope="module")
def knit(shop: PanelStore) -> str:
    """The knit's shelf slot: the sku of its one variant the scene places (the group's first)."""
    manifest = call(shop.url + call(f"{shop.url}/api/v1/stores/{shop.slug}")["scene"]["manifest"])
    placed = [sku for sku in KNITS if sku in manifest["products"]]
    assert len(placed) == 1, placed  # one shelf slot per product, not per variant
    return placed[0]


def _product(shop: PanelStore, sku: str) -> dict[str, Any]:
    return dict(call(f"{shop.url}/api/v1/stores/{shop.slug}/products/{sku}"))


def _variance(png: bytes) -> float:
    from PIL import Image, ImageStat

    return float(ImageStat.Stat(Image.open(io.BytesIO(png)).convert("L")).var[0])


def _labels(page: Any) -> dict[str, list[str]]:
    return {label["key"]: label["text"] for label in hook(page, "labels()") if label["text"]}


def test_the_server_groups_variants(shop: PanelStore, knit: str) -> None:
    """What the client is written for (ProductOut's group/options/images): one shelf slot per product."""
    by_sku = {p["sku"]: p for p in shop.products}
    assert {by_sku[s]["group"] for s in KNITS} == {"KNIT"}
    assert list(by_sku["KNIT-BK-M"]["options"]) == ["색상", "사이즈"]  # the catalog's option order
    assert by_sku["MUG-1"]["group"] == "MUG-1" and by_sku["MUG-1"]["options"] == {}
    assert by_sku[knit]["images"] and all(url.startswith("/") for url in by_sku[knit]["images"])


def test_shelf_labels_show_name_and_prices(shop: PanelStore, knit: str, new_page: Any) -> None:
    page = new_page()
    open_store(page, shop.url, shop.slug)
    assert hook(page, "standBefore(args[0], 2.0)", "MUG-1")  # 2 m away, as the labels are made for
    wait(page, "['MUG-1', arg].every((sku) => v.labels().some((l) => l.key === sku && l.text))", knit)
    labels = _labels(page)
    mug = _product(shop, "MUG-1")
    name, price, regular = labels["MUG-1"][:3]
    assert name.endswith("…") and mug["name"]["ko"].startswith(name[:-1].rstrip())  # shortened to fit
    assert len(name) > 3
    assert price == f"₩{mug['unit_price']:,}" and regular == f"₩{mug['price']:,}"  # a sale shows both
    # The knit's variants differ in price: its label shows the name and the lowest price, "from".
    cheapest = min(_product(shop, s)["unit_price"] for s in KNITS)
    assert labels[knit][0] == _product(shop, knit)["name"]["ko"]
    assert labels[knit][1] == f"₩{cheapest:,}~"
    page.click("#lang")  # English UI: English names
    wait(page, "v.labels().some((l) => l.key === arg && l.text && 'Wool crew knit'.startsWith("
               "l.text[0].replace('…', '')))", knit)
    next_frames(page, 2)
    shot = page.screenshot()
    assert _variance(shot) > 100
    assert page.errors == []


def test_panel_pictures_description_and_variant_choice(shop: PanelStore, knit: str, new_page: Any) -> None:
    page = new_page("니트 쇼퍼")
    open_store(page, shop.url, shop.slug)
    click_product(page, knit)  # a real click through the raycaster; the slot's variant is chosen first
    panel = page.locator("#panel")
    assert panel.get_attribute("role") == "dialog"
    assert page.inner_text("#" + (panel.get_attribute("aria-labelledby") or "")) == "울 라운드 니트"
    first = _product(shop, knit)
    # The picture is the API's image URL, loaded.
    image = page.locator("#panel .stage .image")
    assert image.is_visible() and image.get_attribute("src") == first["images"][0]
    page.wait_for_function("() => document.querySelector('#panel .stage .image').naturalWidth > 0")
    # The description is text: markup-like characters show as they are, no element is made from them.
    assert page.inner_text("#panel .description") == "<b>부드러운</b> 메리노 울 100%\n손세탁 권장"
    assert page.locator("#panel .description *").count() == 0
    shown = hook(page, "productPanel()")
    assert shown["options"] == first["options"]
    assert sorted(shown["variants"]) == sorted(KNITS)
    assert f"상품코드 {knit}" in shown["text"] and f"{first['stock']}개 남음" in shown["text"]

    # The other colour, same size: price, stock, SKU and picture follow.
    colour, size = first["options"]["색상"], first["options"]["사이즈"]
    other = "네이비" if colour == "블랙" else "블랙"
    target = next(_product(shop, s) for s in KNITS
                  if _product(shop, s)["options"] == {"색상": other, "사이즈": size})
    page.click(f"#panel .options fieldset[data-axis='0'] label:has-text('{other}')")
    wait(page, "v.productPanel().sku === arg", target["sku"])
    shown = hook(page, "productPanel()")
    assert shown["unit_price"] == target["unit_price"] and shown["stock"] == target["stock"] > 0
    assert shown["unit_price"] != first["unit_price"]
    assert shown["options"] == {"색상": other, "사이즈": size}
    assert f"₩{target['unit_price']:,}" in shown["text"] and f"{target['stock']}개 남음" in shown["text"]
    assert f"상품코드 {target['sku']}" in shown["text"]
    if target["unit_price"] < target["price"]:
        assert f"₩{target['price']:,}" in shown["text"]  # the regular price, struck through
    assert image.get_attribute("src") == target["images"][0]  # the variant's own picture

    # Navy comes in L but sold out: offered and marked. Black has no L: disabled while black is chosen.
    size_l = page.locator("#panel .options fieldset[data-axis='1'] input[value='L']")
    for choice in ("블랙", "네이비"):
        page.click(f"#panel .options fieldset[data-axis='0'] label:has-text('{choice}')")
        wait(page, "v.productPanel().options['색상'] === arg", choice)
        assert size_l.is_disabled() == (choice == "블랙")
        if choice == "네이비":
            assert "품절" in (size_l.get_attribute("aria-label") or "")
    page.click(f"#panel .options fieldset[data-axis='0'] label:has-text('{other}')")
    wait(page, "v.productPanel().sku === arg", target["sku"])

    page.click("#panel [data-action=more]")
    assert page.input_value("#panel .qty input") == "2"
    page.click("#panel .add")
    wait(page, "v.cart() && v.cart().lines.some((l) => l.sku === arg && l.quantity === 2)", target["sku"])
    assert [line["sku"] for line in hook(page, "cart()")["lines"]] == [target["sku"]]
    assert page.errors == []


def test_closeup_turns_and_zooms(shop: PanelStore, knit: str, new_page: Any) -> None:
    page = new_page()
    open_store(page, shop.url, shop.slug)
    click_product(page, knit)
    # The 3D view is the last item of the gallery; the keyboard reaches it like a picture.
    page.focus("#panel .thumbs .thumb[data-index='0']")
    page.keyboard.press("ArrowLeft")  # wraps to the last item: the 3D view
    wait(page, "v.productPanel().media === '3d' && v.productPanel().closeup.frames > 2")
    assert hook(page, "productPanel()")["closeup"]["triangles"] > 0
    canvas = page.locator("#panel canvas.closeup")
    assert canvas.is_visible() and canvas.get_attribute("aria-label")
    first = canvas.screenshot()
    assert _variance(first) > 20, "the close-up rendered a flat image"
    box = canvas.bounding_box()
    assert box is not None
    frames = hook(page, "productPanel()")["closeup"]["frames"]
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] / 2 + 90, box["y"] + box["height"] / 2 + 20, steps=5)
    page.mouse.up()
    page.mouse.wheel(0, -400)  # closer
    wait(page, "v.productPanel().closeup.frames > arg + 2", frames)
    second = canvas.screenshot()
    assert second != first, "drag and wheel changed nothing"
    assert hook(page, "productPanel()")["closeup"]["zoom"] < 1
    assert page.errors == []


def test_keyboard_escape_and_focus(shop: PanelStore, knit: str, new_page: Any) -> None:
    page = new_page()
    open_store(page, shop.url, shop.slug)
    page.focus("#cart-toggle")
    assert hook(page, "selectProduct(args[0])", knit)
    wait(page, "v.productPanel() !== null")
    assert page.evaluate("() => document.getElementById('panel').contains(document.activeElement)")
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.getElementById('panel').contains(document.activeElement)")
    page.keyboard.press("Escape")
    wait(page, "v.productPanel() === null && v.state.selected === null")
    assert page.locator("#panel").is_hidden()
    assert page.evaluate("() => document.activeElement.id") == "cart-toggle"  # focus went back


def test_phone_layout_and_touch_targets(shop: PanelStore, knit: str, new_page: Any) -> None:
    page = new_page(viewport=(390, 844))
    open_store(page, shop.url, shop.slug)
    assert hook(page, "selectProduct(args[0])", knit)
    wait(page, "v.productPanel() !== null")
    panel = page.locator("#panel").bounding_box()
    assert panel is not None
    assert panel["x"] >= 0 and panel["x"] + panel["width"] <= 390 and panel["y"] + panel["height"] <= 844
    targets = page.evaluate("""() => [...document.querySelectorAll(
        '#panel .close, #panel .thumb, #panel .chip, #panel .step, #panel .qty input, #panel .add')]
        .map((el) => { const r = el.getBoundingClientRect(); return [el.className, r.width, r.height]; })""")
    assert len(targets) >= 8
    small = [t for t in targets if t[1] < 44 or t[2] < 44]
    assert small == [], small


def test_looking_counts_other_shoppers_only(shop: PanelStore, knit: str, new_page: Any) -> None:
    a, b = new_page("가영"), new_page("나래")
    for page in (a, b):
        open_store(page, shop.url, shop.slug)
        wait(page, "v.state.live && v.state.live.open", timeout=20_000)
    assert hook(a, "selectProduct(args[0])", knit)
    # The room counts A (the server's count reaches A), yet A's panel says nobody else is looking.
    wait(a, "v.state.focus.counts.get(arg) === 1", knit)
    assert hook(a, "focus()") == {}
    assert a.inner_text("#panel .looking") == ""
    assert hook(b, "selectProduct(args[0])", knit)
    wait(a, "v.state.focus.counts.get(arg) === 2", knit)
    wait(a, "document.querySelector('#panel .looking').textContent === '1명 보는 중'")
    wait(b, "document.querySelector('#panel .looking').textContent === '1명 보는 중'")
    assert hook(b, "focus()") == {knit: 1}
    hook(b, "selectProduct(null)")
    wait(a, "document.querySelector('#panel .looking').textContent === ''")


def test_vr_panel_chooses_a_variant(shop: PanelStore, knit: str, new_page: Any) -> None:
    page = new_page("VR 니트", xr=True)
    open_store(page, shop.url, shop.slug)
    assert hook(page, "standBefore(args[0])", knit)
    page.click("#vr-button")
    wait(page, "v.xr.presenting")

    vr_select(page, knit)
    wait(page, "v.vrPanel() && v.vrPanel().sku === arg", knit)
    assert hook(page, "vrPanel()")["model"] is True  # the product's copy turns beside the panel
    # The colour chip that is not chosen: the variant of that colour in the same size.
    shown = hook(page, "vrPanel()")
    colours = shown["axes"][0]["values"]
    other = next(i for i, c in enumerate(colours) if c != shown["options"]["색상"])
    target = next(s for s in KNITS if _product(shop, s)["options"] == {"색상": colours[other],
                                                                       "사이즈": shown["options"]["사이즈"]})
    vr_select(page, f"panel:opt:0:{other}")
    wait(page, "v.vrPanel().sku === arg", target)
    vr_select(page, "panel:add")
    wait(page, "v.cart() && v.cart().lines.some((l) => l.sku === arg)", target)
