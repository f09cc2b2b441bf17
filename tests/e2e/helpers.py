"""Small helpers shared by the browser tests: a console page, waiting on the page's test hook, picking products."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from playwright.sync_api import Browser, Page, expect
from seeding import call

READY = "() => window.vrstore && window.vrstore.state.loads > 0 && window.vrstore.state.session !== null"


TEST_FPS = 8  # SwiftShader renders on the CPU: pages that render no faster leave cores for the rest of the suite


@contextmanager
def console_page(browser: Browser, base_url: str, **options: Any) -> Iterator[Page]:
    """A page in a fresh browser context on ``base_url`` (``options`` go to ``new_context``: viewport, locale …) with
    30 s waits, for the merchant and organizer consoles; closed afterwards, and an error the page threw fails the
    test. Used from a fixture, the check runs at teardown even when the test failed."""
    context = browser.new_context(base_url=base_url, **options)
    context.set_default_timeout(30_000)
    errors: list[str] = []
    page = context.new_page()
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    expect.set_options(timeout=30_000)
    try:
        yield page
    finally:
        context.close()
    assert errors == []


def open_store(page: Any, url: str, store: str, query: str = "") -> None:
    """Load a store page and wait until its scene is interactive and the shopper session exists."""
    if "maxfps=" not in query:
        query += f"{'&' if query else '?'}maxfps={TEST_FPS}"
    page.goto(f"{url}/store/{store}{query}")
    page.wait_for_function(READY, timeout=30_000)
    assert page.evaluate("() => window.vrstore.state.error") is None


def hook(page: Any, expression: str, *args: Any) -> Any:
    """Call ``window.vrstore.<expression>`` (an arrow function body receives ``args``)."""
    return page.evaluate(f"(args) => window.vrstore.{expression}", list(args))


def wait(page: Any, predicate: str, arg: Any = None, timeout: float = 15_000) -> Any:
    """Wait for an arrow-function predicate over ``window.vrstore`` (CSP forbids string eval)."""
    return page.wait_for_function(f"(arg) => {{ const v = window.vrstore; return {predicate}; }}", arg=arg,
                                  timeout=timeout).json_value()


def pump_until(page: Any, condition: Any, timeout: float = 15.0) -> None:
    """Wait for a Python-side ``condition()`` set by a Playwright callback (a route handler): the sync API delivers
    callbacks only while a call of its own is in progress, so short page waits let them run until it holds."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "the page never got there"
        page.wait_for_timeout(20)


def in_stock_product(url: str, store: str, skip: tuple[str, ...] = ()) -> dict[str, Any]:
    """A product of the store that is in stock and placed in the scene, from the public API."""
    detail = call(f"{url}/api/v1/stores/{store}")
    manifest = call(url + detail["scene"]["manifest"])
    for product in call(url + detail["snapshot"])["products"]:
        if product["stock"] >= 5 and product["sku"] in manifest["products"] and product["sku"] not in skip:
            return dict(product)
    raise AssertionError(f"no product in stock in {store}: {json.dumps(detail)[:300]}")


def click_product(page: Any, sku: str) -> None:
    """Stand in front of a product and click it where it is drawn: a real raycast through the click."""
    assert hook(page, "standBefore(args[0])", sku)
    next_frames(page)  # the camera's matrices follow the move on the next rendered frame
    spot = hook(page, "project(args[0])", sku)
    assert spot and spot["visible"], spot
    page.mouse.click(spot["x"], spot["y"])
    wait(page, "v.productPanel() && v.productPanel().sku === arg", sku)


def next_frames(page: Any, n: int = 2) -> None:
    """Return once the page has rendered ``n`` more frames (counted by the frame loop itself: with ?maxfps= it
    skips animation frames, so counting requestAnimationFrame callbacks would not mean anything was drawn)."""
    target = hook(page, "state.frames") + n
    page.wait_for_function("(target) => window.vrstore.state.frames >= target", arg=target, timeout=15_000)


def point(page: Any, hand: str, target: str, origin: list[float] | None = None) -> None:
    """Hold an emulated controller at `origin` (rig-local) aimed at a product, 'panel:<button>' or
    'menu:<button>' (the page's xr.aim finds the pose)."""
    aim = hook(page, "xr.aim(args[0], args[1])", target, origin) if origin else hook(page, "xr.aim(args[0])", target)
    assert aim is not None, target
    page.evaluate("""([hand, aim]) => {
        const c = window.__xrDevice.controllers[hand];
        c.position.set(...aim.position);
        c.quaternion.set(...aim.quaternion);
    }""", [hand, aim])
    next_frames(page, 3)


def trigger(page: Any, hand: str = "right") -> None:
    """Pull and release the controller's trigger, a few frames each (the page reads buttons once a frame)."""
    page.evaluate("(hand) => window.__xrDevice.controllers[hand].updateButtonValue('trigger', 1)", hand)
    next_frames(page, 3)
    page.evaluate("(hand) => window.__xrDevice.controllers[hand].updateButtonValue('trigger', 0)", hand)
    next_frames(page, 2)


def vr_select(page: Any, target: str) -> None:
    """Aim the right controller at `target` and pull the trigger: a press in VR."""
    point(page, "right", target)
    trigger(page)
