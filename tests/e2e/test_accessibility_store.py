"""WCAG 2.2 AA on the shopper's store page, and a 2D path to every product (issue #19), against ``vrstore demo``.

axe-core (tests/e2e/axe.py) must find nothing serious or critical on the store page after load, with the product
panel open, with the cart's checkout form showing, and on the waiting line. A keyboard alone reaches every product:
the skip link leads to the product list, its search finds a product, Enter opens the same panel a click on the shelf
opens (focus inside, Tab kept inside, Escape closes, focus back on the list item) while the 3D view outlines the
product and turns to it; under reduced motion that turn is instant and CSS transitions are off. The cart and the
name dialog keep and give back the focus the same way, and every field has a label. Without WebGL the page opens
as its product list, which speaks English with its categories (and the scene's zones) in English too. One store
page serves the module's tests in order (each leaves it as it found it); every wait is on a condition, never a
bare sleep.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from axe import axe_violations, describe
from helpers import TEST_FPS, hook, in_stock_product, open_store, wait
from playwright.sync_api import Browser, BrowserContext, Page, expect
from seeding import Seeded, call

from storefront_builder.catalog.category_names import names

pytestmark = pytest.mark.e2e

STORE = "hyundai-dept"  # 360 products: the list has several pages
FESTIVAL = "korea-sale-festa"
HANGUL = re.compile("[\uac00-\ud7a3]")
INSIDE = "(sel) => document.querySelector(sel).contains(document.activeElement)"
NO_WEBGL = """{ const original = HTMLCanvasElement.prototype.getContext;
  HTMLCanvasElement.prototype.getContext = function (kind, ...rest) {
    return /webgl/i.test(kind) ? null : original.call(this, kind, ...rest); }; }"""


def _context(browser: Browser, **options: Any) -> BrowserContext:
    context = browser.new_context(viewport={"width": 1280, "height": 720}, locale="ko-KR",
                                  bypass_csp=True, **options)  # axe.py injects axe-core inline
    context.set_default_timeout(30_000)
    context.add_init_script("localStorage.setItem('vrstore.name', '민지')")
    return context


def _page(context: BrowserContext) -> Page:
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.errors = errors  # type: ignore[attr-defined]
    return page


@pytest.fixture(scope="module")
def page(shop_browser: Browser, demo: Seeded) -> Iterator[Page]:
    """One store page for the module, loaded once (the tests below take it from state to state)."""
    context = _context(shop_browser)
    p = _page(context)
    expect.set_options(timeout=30_000)
    open_store(p, demo.url, STORE)
    try:
        yield p
        assert p.errors == []  # type: ignore[attr-defined]
    finally:
        context.close()


@pytest.fixture(scope="module")
def product(demo: Seeded) -> dict[str, Any]:
    """A product on a shelf of the store (its slot), in stock."""
    return in_stock_product(demo.url, STORE)


def assert_accessible(page: Page, where: str) -> None:
    found = axe_violations(page)
    assert found == [], f"{where}:\n{describe(found)}"


def focused(page: Page) -> dict[str, Any]:
    return dict(page.evaluate("""() => { const a = document.activeElement;
        return {id: a.id, cls: a.className, sku: a.dataset.sku || null, tag: a.tagName.toLowerCase()}; }"""))


def unlabelled(page: Page, root: str) -> list[str]:
    """Form fields under ``root`` with no <label> and no aria-labelledby (a placeholder is no label)."""
    return list(page.evaluate("""(root) => [...document.querySelectorAll(`${root} input, ${root} select`)]
        .filter((f) => f.type !== 'hidden' && !f.labels.length && !f.getAttribute('aria-labelledby'))
        .map((f) => f.outerHTML.slice(0, 120))""", root))


def test_the_store_page_after_load(page: Page) -> None:
    assert_accessible(page, "store page")
    # The 3D view has a name; the skip link is the first thing Tab reaches; the store's content is in <main>.
    label = page.get_attribute("#app canvas", "aria-label") or ""
    assert page.get_attribute("#app canvas", "role") == "img" and "3D 매장" in label, label
    assert page.evaluate("() => document.querySelector('main').contains(document.getElementById('product-list'))")
    page.keyboard.press("Tab")
    assert "skip-link" in focused(page)["cls"]
    expect(page.locator(".skip-link")).to_have_text("상품 목록으로 건너뛰기")
    expect(page.locator(".skip-link")).to_be_in_viewport()  # shown while focused
    assert unlabelled(page, "body") == []  # the list's, the chat's, the panel's, the checkout's, the name's


def test_keyboard_only_from_the_skip_link_to_a_product_and_back(page: Page, product: dict[str, Any]) -> None:
    sku = product["sku"]
    page.focus(".skip-link")  # the first Tab stop of the page (the test above)
    page.keyboard.press("Enter")  # the skip link: the list opens and takes the focus
    expect(page.locator("#product-list")).to_be_visible()
    assert focused(page)["id"] == "product-list"
    assert page.get_attribute("#list-toggle", "aria-expanded") == "true"
    page.keyboard.press("Tab")
    assert focused(page)["tag"] == "input"  # the search box
    everything = hook(page, "productList()")["found"]
    page.keyboard.type(product["name"]["ko"])
    wait(page, "v.productList().found < arg[0] && v.productList().skus.includes(arg[1])", [everything, sku])
    count = page.inner_text("#product-list .count")
    assert count == f"상품 {hook(page, 'productList()')['found']}개"
    assert page.get_attribute("#product-list .count", "role") == "status"  # announced, politely
    page.keyboard.press("Enter")  # from the search to the results
    assert focused(page)["sku"] is not None
    for _ in range(hook(page, "productList()")["skus"].index(sku)):
        page.keyboard.press("ArrowDown")
    assert focused(page)["sku"] == sku
    start = hook(page, "position()")
    page.keyboard.press("Enter")

    # The same panel a click on the shelf opens, with the keyboard inside it.
    wait(page, "v.productPanel() && v.productPanel().slot === arg", sku)
    assert page.evaluate(INSIDE, "#panel")
    assert page.get_attribute(f"#product-list button[data-sku='{sku}']", "aria-current") == "true"
    # The 3D view outlines the product and turns to face it, standing where it stood.
    assert hook(page, "highlighted()") == sku
    wait(page, "v.facing(arg) > 0.98", sku)
    assert hook(page, "position()")["x"] == start["x"] and hook(page, "position()")["z"] == start["z"]

    # Tab and Shift+Tab stay inside the panel, all the way round.
    stops = page.evaluate("() => document.querySelectorAll('#panel button:not([disabled]), #panel input').length")
    for _ in range(stops + 2):
        page.keyboard.press("Tab")
        assert page.evaluate(INSIDE, "#panel"), focused(page)
    page.keyboard.press("Shift+Tab")
    assert page.evaluate(INSIDE, "#panel"), focused(page)

    page.keyboard.press("Escape")
    wait(page, "v.productPanel() === null && v.state.selected === null")
    assert focused(page)["sku"] == sku  # back on the list item that opened it
    assert hook(page, "highlighted()") is None


def test_the_product_panel_open(page: Page, product: dict[str, Any]) -> None:
    page.click(f"#product-list button[data-sku='{product['sku']}']")
    wait(page, "v.productPanel() && v.productPanel().slot === arg", product["sku"])
    assert_accessible(page, "product panel")
    page.click("#panel .add")
    expect(page.locator("#panel .note")).to_have_text("장바구니에 담았습니다")
    page.click("#panel .close")
    wait(page, "v.productPanel() === null")


def test_the_cart_with_its_checkout_form(page: Page) -> None:
    wait(page, "v.cart() && v.cart().lines.length > 0")
    page.focus("#cart-toggle")
    page.keyboard.press("Enter")
    expect(page.locator("#cart form.checkout input[name=name]")).to_be_visible()
    assert page.evaluate(INSIDE, "#cart")
    assert page.get_attribute("#cart-toggle", "aria-expanded") == "true"
    assert unlabelled(page, "#cart") == []  # name, phone, postal code, address, city, pickup fields, methods
    assert_accessible(page, "cart and checkout")
    # Tab stays in the cart; Shift+Tab from its first stop wraps to its last.
    for _ in range(30):
        page.keyboard.press("Tab")
        assert page.evaluate(INSIDE, "#cart"), focused(page)
    page.focus("#cart [data-action=close]")
    page.keyboard.press("Shift+Tab")
    assert page.evaluate(INSIDE, "#cart")
    page.keyboard.press("Escape")
    expect(page.locator("#cart")).to_be_hidden()
    assert focused(page)["id"] == "cart-toggle"


def test_the_name_dialog_keeps_and_returns_the_focus(page: Page) -> None:
    page.focus("#rename")
    page.keyboard.press("Enter")
    expect(page.locator("#name-dialog")).to_be_visible()
    assert page.evaluate(INSIDE, "#name-dialog")
    assert_accessible(page, "name dialog")
    for _ in range(4):  # the field and two buttons, round and round
        page.keyboard.press("Tab")
        assert page.evaluate(INSIDE, "#name-dialog"), focused(page)
    page.keyboard.press("Escape")
    expect(page.locator("#name-dialog")).to_be_hidden()
    assert focused(page)["id"] == "rename"


def test_the_list_filters_sorts_and_pages(page: Page, demo: Seeded) -> None:
    page.fill("#product-list input[name=q]", "")
    everything = hook(page, "productList()")
    assert everything["pages"] > 1 and len(everything["skus"]) == 24 and everything["page"] == 1
    assert page.locator("#product-list .page-of [aria-hidden]").inner_text() == f"1/{everything['pages']}"
    assert page.is_disabled("#product-list [data-step='-1']")
    page.click("#product-list [data-step='1']")
    wait(page, "v.productList().page === 2")
    assert not set(hook(page, "productList()")["skus"]) & set(everything["skus"])
    # Every product group is in the list once, on a shelf or not.
    groups = {p["group"] for p in call(f"{demo.url}/api/v1/stores/{STORE}/snapshot")["products"]}
    assert everything["found"] == len(groups)
    # A category, cheapest first.
    category = page.eval_on_selector("#product-list select[name=category]", "(s) => s.options[1].value")
    page.select_option("#product-list select[name=category]", category)
    page.select_option("#product-list select[name=sort]", "price-asc")
    wait(page, "v.productList().page === 1 && v.productList().found < arg", everything["found"])
    metas = page.locator("#product-list .items .meta").all_inner_texts()
    assert metas and all(m.startswith(category) for m in metas)
    prices = [int("".join(ch for ch in m.split(" · ")[1] if ch.isdigit())) for m in metas]
    assert prices == sorted(prices)
    page.select_option("#product-list select[name=sort]", "price-desc")
    metas = page.locator("#product-list .items .meta").all_inner_texts()
    prices = [int("".join(ch for ch in m.split(" · ")[1] if ch.isdigit())) for m in metas]
    assert prices == sorted(prices, reverse=True)
    page.select_option("#product-list select[name=category]", "")
    page.select_option("#product-list select[name=sort]", "name")


def test_reduced_motion_turns_at_once_and_stops_transitions(page: Page, product: dict[str, Any]) -> None:
    page.emulate_media(reduced_motion="reduce")
    try:
        assert page.evaluate("() => getComputedStyle(document.getElementById('toast')).transitionDuration") == "0s"
        # A product on a shelf the view does not face now.
        other = next(s for s in hook(page, "productList()")["skus"]
                     if s != product["sku"] and (hook(page, "facing(args[0])", s) or 1) < 0.9)
        page.click(f"#product-list button[data-sku='{other}']")
        # No frame has to pass: the view faces the product the moment it is chosen.
        assert hook(page, "facing(args[0])", other) > 0.999
        page.keyboard.press("Escape")
        wait(page, "v.productPanel() === null")
    finally:
        page.emulate_media(reduced_motion="no-preference")
    assert page.evaluate("() => getComputedStyle(document.getElementById('toast')).transitionDuration") != "0s"


def test_the_waiting_line(shop_browser: Browser, demo: Seeded) -> None:
    queue = f"{demo.url}/api/v1/festivals/{FESTIVAL}/queue"
    context = _context(shop_browser)
    call(queue, "PUT", {"mode": "paused", "message_ko": "곧 다시 엽니다", "message_en": "Opening again shortly"},
         token=demo.organizer)
    try:
        page = _page(context)  # a shopper new to the festival: into the line
        page.goto(f"{demo.url}/store/{STORE}?maxfps={TEST_FPS}")
        expect(page.locator("#waiting")).to_be_visible()
        expect(page.locator("#waiting .message")).to_have_text("곧 다시 엽니다")
        assert_accessible(page, "waiting line")
        # The list is the store while waiting, too.
        page.click("#list-toggle")
        wait(page, "v.productList().open && v.productList().found > 0")
        assert_accessible(page, "waiting line with the product list")
        assert page.errors == []  # type: ignore[attr-defined]
    finally:
        call(queue, "PUT", {"mode": "auto"}, token=demo.organizer)
        context.close()


def test_without_webgl_the_store_opens_as_its_list(shop_browser: Browser, demo: Seeded,
                                                   product: dict[str, Any]) -> None:
    context = _context(shop_browser)
    context.add_init_script(NO_WEBGL)
    try:
        page = _page(context)
        page.goto(f"{demo.url}/store/{STORE}?maxfps={TEST_FPS}")
        wait(page, "v && v.state.loads > 0 && v.state.session !== null", timeout=30_000)
        expect(page.locator("#product-list")).to_be_visible()
        expect(page.locator("#product-list .no3d")).to_be_visible()
        assert "표시할 수 없습니다" in (page.get_attribute("#app canvas", "aria-label") or "")
        expect(page.locator("#vr-slot button")).to_have_count(0)
        page.fill("#product-list input[name=q]", product["name"]["ko"])
        page.click(f"#product-list button[data-sku='{product['sku']}']")
        wait(page, "v.productPanel() && v.productPanel().slot === arg", product["sku"])
        assert page.evaluate(INSIDE, "#panel")
        assert_accessible(page, "no WebGL: product panel over the list")
        page.click("#lang")  # English, all through
        expect(page.locator("#list-toggle")).to_have_text("Product list")
        expect(page.locator("#product-list .count")).to_have_text(f"{hook(page, 'productList()')['found']} products")
        # Categories too, from the builder's one table (storefront_builder/catalog/category_names.py).
        english = " > ".join(names(part)["en"] for part in product["category"].split(">"))
        expect(page.locator("#panel .category")).to_contain_text(english)
        options = page.locator("#product-list select[name=category] option").all_inner_texts()
        assert "Clothing" in options and not [o for o in options if HANGUL.search(o)], options
        zones = call(demo.url + call(f"{demo.url}/api/v1/stores/{STORE}")["scene"]["manifest"])["zones"]
        assert zones and all(HANGUL.search(z["names"]["ko"]) and not HANGUL.search(z["names"]["en"]) for z in zones)
        assert page.errors == []  # type: ignore[attr-defined]
    finally:
        context.close()
