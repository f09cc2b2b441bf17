"""The shopping advisor in 3D (issue 21): a question's cards, their products glowing on the shelves, the walk to one
drawn on the floor and gone on arrival; a product of another store leads to the way out and on into that store."""

from __future__ import annotations

import math
from typing import Any

import pytest
from helpers import hook, next_frames, open_store, vr_select, wait
from seeding import Seeded

pytestmark = pytest.mark.e2e

STORE = "cu-plaza"
QUESTION = "여기 과자"  # snacks in this store (tests/server/advisor_queries.yaml): every card is on its shelves
ELSEWHERE = "엄마 선물"  # gifts for mom: festival-wide, the convenience store sells none of them
ARRIVE_M = 0.6  # advisor_path.js


def _ask(page: Any, question: str) -> dict[str, Any]:
    page.fill("#advisor-input", question)
    page.click("#advisor button.ask")
    info: dict[str, Any] = wait(page, "!v.advisor().busy && v.advisor().answer !== null && v.advisor()")
    return info


def _floor(point: dict[str, float]) -> list[float]:
    return [point["x"], point["z"]]


def _walk(page: Any, points: list[list[float]]) -> None:
    """Stand on each turn of the way short of its end (the walk stays), then on its end."""
    end = points[-1]
    for x, z in points[:-1]:
        if math.dist([x, z], end) > ARRIVE_M + 0.1:
            hook(page, "teleport(args[0], args[1])", x, z)
            next_frames(page, 1)
            assert hook(page, "advisor().path") is not None
    hook(page, "teleport(args[0], args[1])", *end)


def test_cards_glow_and_take_me_there_walks_to_the_product(demo: Seeded, new_page: Any) -> None:
    page = new_page("도우미")
    open_store(page, demo.url, STORE)
    page.click("#advisor-toggle")
    # The question field has a label (found by it, as a screen reader would).
    assert page.get_by_label("무엇을 찾으세요?").get_attribute("id") == "advisor-input"

    info = _ask(page, QUESTION)
    cards = {c["sku"] for c in info["cards"]}
    assert cards and {c["store"] for c in info["cards"]} == {STORE}, info
    shown = page.eval_on_selector_all("#advisor .cards li", "(els) => els.map((e) => e.dataset.sku)")
    assert set(shown) == cards
    assert set(info["glowing"]) == cards and info["pulsing"]  # every card's product glows on its shelf
    page.emulate_media(reduced_motion="reduce")  # then it holds a steady highlight instead of pulsing
    assert hook(page, "advisor().pulsing") is False and set(hook(page, "advisor().glowing")) == cards
    page.emulate_media(reduced_motion="no-preference")

    sku = info["cards"][0]["sku"]
    start = _floor(hook(page, "position()"))
    page.click(f"#advisor .cards li[data-sku='{sku}'] [data-action='go']")
    path = wait(page, "v.advisor().path")
    assert path["arrives"] == "product" and path["visible"] and path["arrows"] > 0
    product = page.evaluate("(sku) => { const p = window.vrstore.state.scene.products.get(sku); "
                            "return [p.world.x, p.world.z]; }", sku)
    assert math.dist(path["points"][0], start) < 0.05, (path, start)
    assert math.dist(path["points"][-1], product) < 1.5, (path, product)
    assert page.locator("#guide").is_visible()
    _walk(page, path["points"])
    wait(page, "v.advisor().path === null")
    assert page.locator("#guide").is_hidden()
    assert set(hook(page, "advisor().glowing")) == cards  # the answer still glows until the panel closes
    page.click("#advisor .close")
    assert hook(page, "advisor().glowing") == []

    # A product of another store: the walk ends before the portal, which offers the store; going there carries on
    # to the product on that store's floor.
    page.click("#advisor-toggle")
    info = _ask(page, ELSEWHERE)
    other = next(c for c in info["cards"] if c["store"] != STORE)
    assert set(info["glowing"]) == {c["sku"] for c in info["cards"] if c["store"] == STORE}
    page.click(f"#advisor .cards li[data-sku='{other['sku']}'][data-store='{other['store']}'] [data-action='go']")
    path = wait(page, "v.advisor().path")
    assert path["arrives"] == "portal"
    _walk(page, path["points"])
    offer = wait(page, "v.advisor().offer")
    assert offer["slug"] == other["store"]
    page.click("#guide [data-action='enter']")
    wait(page, "v.state.store === arg && !v.state.switching", other["store"], timeout=30_000)
    path = wait(page, "v.advisor().path && v.advisor().path.arrives === 'product' && v.advisor().path")
    assert path["product"] == other["sku"]
    assert other["sku"] in hook(page, "advisor().glowing")
    assert not page.errors, page.errors


def test_the_wrist_menu_asks_a_preset_and_shows_the_way_in_vr(demo: Seeded, new_page: Any) -> None:
    page = new_page("VR 도우미", xr=True)
    open_store(page, demo.url, STORE)
    if not page.locator("#vr-button").is_visible() and page.locator("#menu-toggle").is_visible():
        page.click("#menu-toggle")  # a narrow window folds the header's buttons into its menu
    page.click("#vr-button")
    wait(page, "v.xr.presenting")
    page.evaluate("() => window.__xrDevice.controllers.left.updateButtonValue('x-button', 1)")
    wait(page, "v.xr.menu().visible && v.xr.menu().pinned")
    page.evaluate("() => window.__xrDevice.controllers.left.updateButtonValue('x-button', 0)")
    vr_select(page, "menu:tab:advisor")
    menu = wait(page, "v.xr.menu().page === 'advisor' && v.xr.menu()")
    assert {"ask:0", "ask:1", "ask:2", "ask:3"} <= set(menu["buttons"])
    vr_select(page, "menu:ask:1")  # "여기 3만원 이하": this store's products under 30,000 won
    info = wait(page, "v.advisor().cards.length > 0 && v.xr.menu().buttons.includes('go:0') && v.advisor()")
    assert {c["store"] for c in info["cards"]} == {STORE}
    assert set(info["glowing"]) == {c["sku"] for c in info["cards"]}
    vr_select(page, "menu:go:0")
    path = wait(page, "v.advisor().path")
    assert path["arrives"] == "product" and path["product"] == info["cards"][0]["sku"]
    assert hook(page, "xr.presenting")
    assert not page.errors, page.errors
