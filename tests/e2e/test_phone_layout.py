"""The store page on phones and a tablet (issue #19), upright and sideways, and on a desktop window: every visible
control and overlay stays on the screen, no two overlap (a control may sit inside its own panel), every control on a
touch screen is at least 44 × 44 CSS px and not covered by anything else, with nothing open, with the product panel
open and with the cart (and its checkout form) open. The "VR unavailable" notice shows only where a headset is
plausible, once per browser, and goes with its ✕; nothing asks for a name before the store opens, and "Change name"
in the header's menu renames the shopper for the server and the live room.

One browser context for the touch screens (a phone's browser, 2 device pixels per CSS px) whose one page takes each
screen size upright and sideways with ``set_viewport_size``; one for the desktop."""

from __future__ import annotations

import re
from typing import Any

import pytest
from helpers import hook, in_stock_product, open_store, wait
from seeding import Seeded

pytestmark = pytest.mark.e2e

STORE = "cu-plaza"
PHONES = {"360x640": (360, 640), "390x844": (390, 844), "430x932": (430, 932)}
TABLET = (768, 1024)  # a touch screen wider than any phone gets the same layout
MIN_TARGET = 44  # CSS px, WCAG 2.2's enhanced target size and the platforms' own guidance
# A phone's browser: WebXR is there (as in Chrome on Android), but no headset is.
PHONE_UA = ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/126.0.0.0 Mobile Safari/537.36")

# Everything the shopper can see and touch over the 3D view, measured in the page. Overlays ("regions") are the
# fixed-position boxes (header, notice, help line, chat and its log, joystick, panels, sheets, menus, toasts, and
# whatever region another feature adds); controls are buttons, fields and links (a radio or checkbox inside its
# label is the label, which is what a finger hits). A control's visible part is its box clipped by the scrolling
# boxes it is in; one scrolled out of its panel, or scrolled under the panel's own sticky bar, is not on show.
MEASURE = r"""() => {
  const vw = document.documentElement.clientWidth, vh = document.documentElement.clientHeight;
  const shown = (el) => el.checkVisibility({ opacityProperty: true, visibilityProperty: true });
  const rect = (r) => ({ l: r.left, t: r.top, r: r.right, b: r.bottom });
  const cut = (a, b) => ({ l: Math.max(a.l, b.l), t: Math.max(a.t, b.t),
                          r: Math.min(a.r, b.r), b: Math.min(a.b, b.b) });
  const empty = (a) => a.r - a.l < 1 || a.b - a.t < 1;
  const label = (el) => {
    const text = (el.getAttribute('aria-label') || el.textContent || el.value || '').trim().replace(/\s+/g, ' ');
    const cls = typeof el.className === 'string' && el.className
      ? '.' + el.className.trim().split(/\s+/).join('.') : '';
    return `${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''}${cls} "${text.slice(0, 24)}"`;
  };
  const fixed = (el) => getComputedStyle(el).position === 'fixed';
  const regionOf = (el) => { for (let a = el; a; a = a.parentElement) if (fixed(a)) return a; return null; };
  const visiblePart = (el) => {
    let box = rect(el.getBoundingClientRect());
    for (let a = el.parentElement; a && !fixed(el); a = a.parentElement) {
      const cs = getComputedStyle(a);
      if (cs.overflowX !== 'visible' || cs.overflowY !== 'visible') box = cut(box, rect(a.getBoundingClientRect()));
      if (fixed(a)) break;
    }
    return box;
  };
  const all = [...document.body.querySelectorAll('*')];
  const regions = all.filter((el) => fixed(el) && shown(el) && !el.closest('#app')
    && !(el.matches('.skip-link') && document.activeElement !== el)) // off the screen until it has focus
    .map((el) => ({ el, box: rect(el.getBoundingClientRect()) })).filter((r) => !empty(r.box));
  const controls = new Map();
  const CONTROL = 'a[href], button, input:not([type=hidden]), select, textarea, [role=button], summary';
  for (const el of all.filter((e) => e.matches(CONTROL))) {
    const box = el.matches('input[type=radio], input[type=checkbox]') ? el.closest('label') : null;
    const target = box ?? el;
    if (controls.has(target) || !shown(target) || target.closest('#app') || !regionOf(target)) continue;
    if (target.matches('.skip-link') && document.activeElement !== target) continue;
    const part = visiblePart(target);
    if (empty(part)) continue; // scrolled out of its panel
    const x = (part.l + part.r) / 2, y = (part.t + part.b) / 2;
    const top = document.elementFromPoint(x, y);
    const onTop = Boolean(top) && (target.contains(top) || top.contains(target));
    // Under something of its own panel (a sticky bar over scrolled content): not on show, not a fault.
    if (!onTop && top && regionOf(top) === regionOf(target)) continue;
    const own = target.getBoundingClientRect();
    controls.set(target, { box: part, w: own.width, h: own.height, onTop, over: top ? label(top) : null });
  }
  const nested = (a, b) => a.contains(b) || b.contains(a);
  const overlap = (a, b) => Math.min(a.r, b.r) - Math.max(a.l, b.l) > 0.5
    && Math.min(a.b, b.b) - Math.max(a.t, b.t) > 0.5;
  const outside = (a) => a.l < -0.5 || a.t < -0.5 || a.r > vw + 0.5 || a.b > vh + 0.5;
  const faults = [];
  const items = [...regions.map((r) => ({ ...r, kind: 'region' })),
                 ...[...controls].map(([el, c]) => ({ el, box: c.box, kind: 'control' }))];
  for (const it of items) {
    if (outside(it.box)) faults.push(`${label(it.el)} leaves the ${vw}×${vh} screen: ${JSON.stringify(it.box)}`);
  }
  for (let i = 0; i < items.length; i++) {
    for (let j = i + 1; j < items.length; j++) {
      const a = items[i], b = items[j];
      if (!nested(a.el, b.el) && overlap(a.box, b.box)) faults.push(`${label(a.el)} overlaps ${label(b.el)}`);
    }
  }
  for (const [el, c] of controls) if (!c.onTop) faults.push(`${label(el)} is covered by ${c.over}`);
  const small = [...controls].filter(([, c]) => c.w < 44 - 0.01 || c.h < 44 - 0.01)
    .map(([el, c]) => `${label(el)} is ${c.w.toFixed(1)}×${c.h.toFixed(1)}`);
  return { faults, small, regions: regions.map((r) => label(r.el)), controls: [...controls.keys()].map(label),
           hudHeight: document.getElementById('hud').getBoundingClientRect().height };
}"""


def check_layout(page: Any, what: str, *, touch: bool) -> dict[str, Any]:
    found: dict[str, Any] = page.evaluate(MEASURE)
    size = page.viewport_size
    where = f"{size['width']}×{size['height']} {what}"
    assert found["faults"] == [], f"{where}: {found['faults']}"
    if touch:
        assert found["small"] == [], f"{where}: touch targets under {MIN_TARGET} px: {found['small']}"
    # One header row, not three wrapped ones.
    assert found["hudHeight"] <= 64, f"{where}: the header is {found['hudHeight']} px tall"
    return found


def say_hello(page: Any, *, touch: bool) -> None:
    """A chat line, so that the chat's log takes its room too."""
    page.fill("#chat-text", "안녕하세요")
    (page.tap if touch else page.click)("#chat form .btn")
    page.wait_for_selector("#chat .log li")


def walk_through(page: Any, sku: str, *, touch: bool, first: bool) -> None:
    """Nothing open, the product panel (adding it to the cart the first time), the cart; each checked."""
    tap = page.tap if touch else page.click
    walking = check_layout(page, "walking", touch=touch)
    assert any(r.startswith("header#hud") for r in walking["regions"])
    assert any(r.startswith("ul.log") for r in walking["regions"]) or not touch  # its own box on touch screens
    assert any("#cart-toggle" in c for c in walking["controls"]) and any("#lang" in c for c in walking["controls"])
    if touch:
        assert any(r.startswith("div#joystick") for r in walking["regions"])
    assert hook(page, "selectProduct(args[0])", sku)
    wait(page, "v.productPanel() && v.productPanel().slot === arg", sku)
    check_layout(page, "with the product panel", touch=touch)
    if first:  # the cart gets a line (and the page a toast while the panel is still open)
        tap("#panel .add")
        wait(page, "v.cart() && v.cart().lines.some((l) => l.sku === arg)", sku)
        check_layout(page, "with the product panel and its toast", touch=touch)
    tap("#panel .close")
    wait(page, "v.productPanel() === null")
    tap("#cart-toggle")
    page.wait_for_selector("#cart form.checkout", state="visible")
    check_layout(page, "with the cart", touch=touch)
    page.locator("#cart .pay").scroll_into_view_if_needed()  # the checkout form's end: methods, quote, Pay
    cart = check_layout(page, "with the cart at its Pay button", touch=touch)
    assert any("button.btn.primary.pay" in c for c in cart["controls"]), cart["controls"]
    tap("#cart .close")
    page.wait_for_selector("#cart", state="hidden")


def rename(page: Any, name: str) -> None:
    """From the header's menu: "Change name", a new name; the session and the live room take it."""
    page.tap("#menu-toggle")
    page.wait_for_selector("#hud-menu #rename", state="visible")
    check_layout(page, "with the menu open", touch=True)
    page.tap("#rename")
    page.wait_for_selector("#name-dialog[open]")
    page.fill("#name-dialog input", name)
    page.tap("#name-dialog button[value=ok]")
    wait(page, "v.state.session.display_name === arg && v.state.live.welcome && v.state.live.welcome.you.name === arg",
         name)
    assert page.evaluate("() => localStorage.getItem('vrstore.name')") == name
    me = page.evaluate("() => fetch('/api/v1/sessions/current').then((r) => r.json())")
    assert me["session"]["display_name"] == name


def test_phone_layouts_upright_and_sideways(demo: Seeded, shop_browser: Any) -> None:
    sku = in_stock_product(demo.url, STORE)["sku"]
    sizes = [size for width, height in [*PHONES.values(), TABLET] for size in ((width, height), (height, width))]
    first, *others = sizes
    context = shop_browser.new_context(viewport={"width": first[0], "height": first[1]}, has_touch=True,
                                       is_mobile=True, device_scale_factor=2, user_agent=PHONE_UA, locale="ko-KR")
    try:
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        open_store(page, demo.url, STORE, "?maxfps=2")  # no name asked: the first visit makes one up
        name = page.evaluate("() => localStorage.getItem('vrstore.name')")
        assert re.fullmatch(r"\S+ \S+ \d\d", name), name
        assert hook(page, "state.session.display_name") == name
        assert page.locator("#name-dialog").get_attribute("open") is None
        page.wait_for_selector("#vr-slot[data-vr]", state="attached")
        # A phone with WebXR and no headset is told why (once the welcome toast, which shares its line, is gone).
        assert page.locator("#vr-status").get_attribute("hidden") is None
        assert "VR" in (page.text_content("#vr-status") or "")
        say_hello(page, touch=True)
        walk_through(page, sku, touch=True, first=True)
        rename(page, "민지")
        for width, height in others:  # the same page turned, and on the other screens
            page.set_viewport_size({"width": width, "height": height})
            walk_through(page, sku, touch=True, first=False)
        assert errors == []
    finally:
        context.close()


def test_desktop_layout(demo: Seeded, shop_browser: Any) -> None:
    sku = in_stock_product(demo.url, STORE)["sku"]
    context = shop_browser.new_context(viewport={"width": 1280, "height": 800}, locale="ko-KR")
    try:
        page = context.new_page()
        open_store(page, demo.url, STORE)
        page.wait_for_selector("#vr-slot[data-vr=off]", state="attached")  # headless Chromium: WebXR, no headset
        assert page.locator("#vr-status").is_hidden()  # a desktop without a headset is not lectured
        assert page.locator("#menu-toggle").is_hidden()  # the menu's items stand in the header row
        say_hello(page, touch=False)
        walk_through(page, sku, touch=False, first=True)
        # The panel at its full height (its recommendation rows in) and the widest toast the page shows (a long
        # generated name's welcome): the toast keeps to the room beside the panel (a clean-clone run caught it under).
        assert hook(page, "selectProduct(args[0])", sku)
        page.wait_for_selector("#panel .recommend .rec-card")
        page.evaluate("""() => { const toast = document.getElementById('toast');
            toast.textContent = '"주황 코뿔소 99"(으)로 입장했습니다 · 이름 바꾸기에서 바꿀 수 있습니다 · 환영합니다';
            toast.classList.add('show', 'on'); }""")
        check_layout(page, "with the product panel and a long toast", touch=False)
    finally:
        context.close()


def test_vr_notice_once_per_browser(demo: Seeded, shop_browser: Any) -> None:
    context = shop_browser.new_context(viewport={"width": 390, "height": 844}, has_touch=True, is_mobile=True,
                                       user_agent=PHONE_UA, locale="en-US")
    # A returning shopper (a name, so no welcome toast over the notice's line) on a phone that has not been told yet.
    context.add_init_script("localStorage.setItem('vrstore.lang', 'en'); localStorage.setItem('vrstore.name', 'Minji')")
    try:
        page = context.new_page()
        open_store(page, demo.url, STORE)
        page.wait_for_selector("#vr-slot[data-vr=off]", state="attached")
        notice = page.locator("#vr-status")
        assert notice.is_visible() and "VR unavailable" in notice.inner_text()
        page.tap("#vr-status .close")
        assert notice.is_hidden()
        page.reload()
        page.wait_for_selector("#vr-slot[data-vr=off]", state="attached")
        assert notice.is_hidden()  # told once: this browser already knows
    finally:
        context.close()
