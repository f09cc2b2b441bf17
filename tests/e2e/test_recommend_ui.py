"""Recommendations in the product panel (issue 21) in headless Chromium, in a demo store: the shopper's own shelf
"Because you looked at …" appears under the next product once the live room has seen the first one looked at (its
once-a-second sample, no pairs of 5 shoppers needed), a card opens its product's panel, the row passes axe, and
"Turn off personal picks" empties the shelf. The pair rows ("also looked at") are the server's
(tests/server/test_recommendations.py); the client draws them with the same card code."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from axe import axe_violations, describe
from factories import LiveServer
from helpers import hook, open_store, wait
from seeding import Seeded, call

pytestmark = pytest.mark.e2e

STORE = "hyundai-dept"
SHELF = "#panel .recommend [data-row=because]"


def _two_of_a_category(url: str) -> tuple[str, str]:
    """Two placed products (other groups) of a category that has at least four: the shelf's "more of its kind"."""
    detail = call(f"{url}/api/v1/stores/{STORE}")
    placed = call(url + detail["scene"]["manifest"])["products"]
    slots = [p for p in call(url + detail["snapshot"])["products"] if p["sku"] in placed]
    groups = Counter(p["category"] for p in {p["group"]: p for p in slots}.values())
    category = next(c for c, n in groups.most_common() if n >= 4)
    first, second = [p["sku"] for p in slots if p["category"] == category][:2]
    return first, second


def test_personal_shelf_cards_open_their_panel_and_can_be_turned_off(
        live_server: LiveServer, demo: Seeded, shop_browser: Any) -> None:
    looked, then = _two_of_a_category(live_server.url)
    context = shop_browser.new_context(viewport={"width": 1280, "height": 720}, locale="ko-KR",
                                       bypass_csp=True)  # axe.py injects axe-core inline
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    open_store(page, live_server.url, STORE)
    wait(page, "v.state.live && v.state.live.open")
    assert hook(page, "selectProduct(args[0])", looked)
    # The live room samples what each shopper looks at once a second: wait until the server's visit holds it. The
    # page polls (an async predicate would not do for wait_for_function: a pending Promise counts as true at once).
    assert page.evaluate("""async ([store, looked]) => {
        for (const until = performance.now() + 15_000; performance.now() < until;) {
            const r = await fetch(`/api/v1/stores/${store}/popular`, {credentials: 'same-origin'});
            // Two groups besides the one looked at: once the next product is seen too, one is still left to show.
            if ((await r.json()).because.some((b) => b.looked_at.sku === looked
                && new Set(b.items.map((i) => i.group)).size >= 2)) return true;
            await new Promise((resolve) => setTimeout(resolve, 250));
        }
        return false;
    }""", [STORE, looked]), "the live sample never reached the shopper's visit"
    assert hook(page, "selectProduct(args[0])", then)
    cards = page.locator(f"{SHELF} .rec-card")
    cards.first.wait_for(state="visible")
    assert page.locator(f"{SHELF} h3").inner_text().startswith("최근 본 상품과 비슷한")
    assert page.locator("#panel .recommend h3:empty").count() == 0  # no row without cards
    assert axe_violations(page, "#panel") == [], describe(axe_violations(page, "#panel"))

    sku = cards.first.get_attribute("data-sku")
    cards.first.click()
    wait(page, "v.productPanel() && v.productPanel().slot !== arg", then)
    opened = hook(page, "productPanel()")
    assert sku in opened["variants"], (opened, sku)  # the card's product (its shelf slot, the group's variants)

    toggle = page.locator("#panel .recommend button[data-personal]")
    assert toggle.inner_text() == "맞춤 추천 끄기"
    toggle.click()
    page.locator("#panel .recommend button[data-personal=off]").wait_for()
    assert page.locator(SHELF).count() == 0
    assert page.evaluate("""async () => (await (await fetch('/api/v1/sessions/current/personalisation',
        {credentials: 'same-origin'})).json()).enabled""") is False
    assert errors == []
    context.close()
