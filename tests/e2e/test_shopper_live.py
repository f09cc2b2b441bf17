"""The shopper client over the live socket: live prices, avatars, focus, chat and the shared group cart."""

from __future__ import annotations

from typing import Any

import pytest
from helpers import click_product, hook, in_stock_product, open_store, wait
from seeding import Seeded, call

pytestmark = pytest.mark.e2e

STORE = "cu-plaza"


def _live(page: Any) -> None:
    wait(page, "v.state.live && v.state.live.open", timeout=20_000)


def test_merchant_price_change_reaches_the_open_page(demo: Seeded, new_page: Any) -> None:
    product = in_stock_product(demo.url, STORE, skip=("CV-00001",))
    page = new_page()
    open_store(page, demo.url, STORE)
    _live(page)
    page.evaluate("() => { window.__sameDocument = true; }")
    click_product(page, product["sku"])
    new_price = product["price"] + 700
    call(f"{demo.url}/api/v1/stores/{STORE}/products/{product['sku']}", "PATCH",
         {"price": new_price, "sale_price": None, "stock": 3}, token=demo.merchants[STORE])
    expected = call(f"{demo.url}/api/v1/stores/{STORE}/products/{product['sku']}")["unit_price"]
    wait(page, "v.productPanel() && v.productPanel().unit_price === arg[0] && v.productPanel().stock === 3",
         [expected])
    assert f"{expected:,}" in hook(page, "productPanel()")["text"]
    assert "3개 남음" in hook(page, "productPanel()")["text"]
    assert page.evaluate("() => window.__sameDocument") is True
    call(f"{demo.url}/api/v1/stores/{STORE}/products/{product['sku']}", "PATCH", {"stock": 0},
         token=demo.merchants[STORE])
    wait(page, "v.productPanel() && v.productPanel().stock === 0")
    assert "품절" in hook(page, "productPanel()")["text"]
    assert page.locator("#panel .add").is_disabled()
    call(f"{demo.url}/api/v1/stores/{STORE}/products/{product['sku']}", "PATCH",
         {"price": product["price"], "sale_price": product["sale_price"], "stock": product["stock"]},
         token=demo.merchants[STORE])


def test_two_shoppers_see_each_other_and_share_a_cart(demo: Seeded, new_page: Any) -> None:
    a, b = new_page("지수"), new_page("Ben")
    # Two SwiftShader pages share two CPU cores: open_store caps their frame rate so neither starves the other.
    open_store(a, demo.url, "seongsu-street")
    open_store(b, demo.url, "seongsu-street")
    _live(a)
    _live(b)
    # Each sees the other's avatar, drawn where the other stands.
    wait(a, "v.avatars().some((p) => p.name === 'Ben' && p.position)")
    wait(b, "v.avatars().some((p) => p.name === '지수' && p.position)")
    before = next(p for p in hook(b, "avatars()") if p["name"] == "지수")["position"]
    start = hook(a, "position()")
    a.keyboard.down("w")  # walk forward until the page has moved at least half a metre
    wait(a, "Math.hypot(v.position().x - arg.x, v.position().z - arg.z) > 0.5", start)
    a.keyboard.up("w")
    wait(b, "v.avatars().some((p) => p.name === '지수' && p.position && "
            "Math.hypot(p.position[0] - arg[0], p.position[2] - arg[2]) > 0.4)", before)

    # A starts a group cart; B joins with the share code.
    a.click("#cart-toggle")
    a.click("#cart [data-action=create]")
    a.wait_for_selector("#cart .code:not(:empty)")
    code = a.inner_text("#cart .code")
    b.click("#cart-toggle")
    b.fill("#cart form.join input", code)
    b.click("#cart form.join button")
    wait(b, "v.cart() && v.cart().members.length === 2")
    wait(a, "v.cart() && v.cart().members.length === 2")  # a live cart event, then a re-read
    cart_id = hook(a, "cart().id")
    # Group members are marked: both reconnect with the cart as their group.
    wait(a, "v.avatars().some((p) => p.name === 'Ben' && String(p.group).replace('cart_', '') === String(arg))",
         cart_id)

    # B adds a product; A's open cart panel shows it with who added it, without a reload.
    product = in_stock_product(demo.url, "seongsu-street")
    click_product(b, product["sku"])
    wait(a, "v.focus()[arg] >= 1", product["sku"])  # "N looking" comes from B's focus
    b.click("#panel .add")
    wait(a, "v.cart().lines.some((l) => l.sku === arg && l.added_by.name === 'Ben')", product["sku"])
    a.wait_for_selector(f"#cart .lines li[data-sku='{product['sku']}']")
    assert "Ben" in a.inner_text(f"#cart .lines li[data-sku='{product['sku']}']")

    # Chat reaches the other shopper.
    a.fill("#chat input[name=text]", "이거 세일 중이에요!")
    a.press("#chat input[name=text]", "Enter")
    b.wait_for_selector("#chat .log li:has-text('이거 세일 중이에요!')")


def test_a_shopper_waits_in_line_and_enters_by_itself_when_admitted(demo: Seeded, new_page: Any) -> None:
    queue = f"{demo.url}/api/v1/festivals/korea-sale-festa/queue"
    call(queue, "PUT", {"mode": "paused", "message_ko": "곧 다시 엽니다", "message_en": "Opening again shortly"},
         token=demo.organizer)
    try:
        page = new_page()
        open_store(page, demo.url, STORE)
        # Paused: the live room says busy, and the page shows the line instead of retrying on its own.
        page.wait_for_selector("#waiting:not([hidden])", timeout=15_000)
        assert "1" in page.inner_text("#waiting .position")
        assert page.inner_text("#waiting .message") == "곧 다시 엽니다"
        assert "멈췄습니다" in page.inner_text("#waiting .eta")
        assert page.inner_text("#waiting .sale").strip()  # the sale countdown, while waiting too
        assert page.get_attribute("#waiting [role=progressbar]", "aria-label") == "대기 진행률"
        # While waiting, the store's products can be browsed in 2D, and the lobby is one link away.
        assert page.locator("#waiting .browse li").count() > 0
        assert "₩" in page.inner_text("#waiting .browse li >> nth=0")
        assert page.get_attribute("#waiting a.lobby", "href") == "/"
        assert call(queue, token=demo.organizer)["waiting"] == 1
        call(queue, "PUT", {"mode": "auto"}, token=demo.organizer)
        # Admitted within a round of the admitter: the page goes in by itself, no click.
        _live(page)
        page.wait_for_selector("#waiting", state="hidden", timeout=10_000)
    finally:
        call(queue, "PUT", {"mode": "auto"}, token=demo.organizer)


def test_a_tab_replaced_by_another_says_why_in_the_pages_language(demo: Seeded, new_page: Any) -> None:
    first = new_page()
    open_store(first, demo.url, STORE)
    _live(first)
    second = first.context.new_page()  # the same browser: the same shopper session enters again
    open_store(second, demo.url, STORE)
    _live(second)
    # The first tab's seat was taken over (4008): it stops for good and says so, never "replaced".
    first.wait_for_selector("#live-status[data-state=closed]")
    assert first.inner_text("#live-status") == "다른 탭이나 기기에서 이 매장에 들어와 여기서는 연결을 닫았습니다"
