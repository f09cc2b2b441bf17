"""The organizer dashboard and the merchant's analytics section in headless Chromium, against ``vrstore demo``
(which seeds two days of analytics history): charts render, tiles move live when an order is placed, the store
table sorts, the heat map image is not blank. Screenshots go to docs/screenshots/ with
VRSTORE_WRITE_SCREENSHOTS=1. Every wait is on a selector or a condition, never a bare sleep."""

from __future__ import annotations

import io
import json
import os
import re
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from factories import LiveServer
from helpers import console_page
from PIL import Image
from playwright.sync_api import Browser, Page, expect
from seeding import parse_tokens

pytestmark = pytest.mark.e2e

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
STORE = "hyundai-dept"
NUMBER = re.compile(r"^[\d,]+$")


def _shots(tmp_path: Path) -> Path:
    return SCREENSHOTS if os.environ.get("VRSTORE_WRITE_SCREENSHOTS") == "1" else tmp_path


def _call(url: str, method: str, path: str, token: str | None = None, body: Any = None,
          headers: dict[str, str] | None = None) -> Any:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url + path, data=data, method=method, headers={
        **({"Authorization": f"Bearer {token}"} if token else {}),
        **({"Content-Type": "application/json"} if data is not None else {}), **(headers or {})})
    with urllib.request.urlopen(request, timeout=30) as response:
        text = response.read()
        return json.loads(text) if text else None


def _place_order(url: str) -> None:
    shopper = _call(url, "POST", "/api/v1/sessions", None, {"display_name": "대시보드 손님"})["token"]
    products = _call(url, "GET", f"/api/v1/stores/{STORE}/products?limit=50")["items"]
    sku = next(p["sku"] for p in products if p["stock"] > 0)
    cart = _call(url, "POST", "/api/v1/carts", shopper)["id"]
    _call(url, "POST", f"/api/v1/carts/{cart}/lines", shopper, {"store": STORE, "sku": sku, "quantity": 1})
    address = {"name": "김민지", "phone": "010-1234-5678", "line1": "세종대로 110", "city": "서울",
               "postal_code": "04524"}
    _call(url, "POST", f"/api/v1/carts/{cart}/checkout", shopper, {
        "fulfilment": {"type": "delivery", "address": address}, "payment": {"provider": "test", "token": "tok_visa"}},
        {"Idempotency-Key": "dashboard-order-1"})


@pytest.fixture
def page(shop_browser: Browser, live_server: LiveServer) -> Iterator[Page]:
    with console_page(shop_browser, live_server.url, viewport={"width": 1280, "height": 1000}) as p:
        yield p


def _tokens(server: LiveServer) -> tuple[str, dict[str, str]]:
    return parse_tokens((server.data_dir.parent / "server.log").read_text(encoding="utf-8"))


def _sign_in(page: Page, path: str, token: str) -> None:
    page.goto(path)
    expect(page.locator("body[data-ready='1']")).to_be_attached()
    page.fill("#token", token)
    page.click("#sign-in-form button[type=submit]")
    expect(page.locator("body[data-signed-in='1']")).to_be_attached()


def _search_for_nothing(url: str, word: str) -> None:
    """A shopper's search in the store that finds nothing: the zero-result table of both consoles counts it."""
    festival = _call(url, "GET", f"/api/v1/stores/{STORE}")["festival"]
    query = urllib.parse.urlencode({"q": word, "store": STORE})
    for _ in range(2):
        assert _call(url, "GET", f"/api/v1/festivals/{festival}/search?{query}")["total"] == 0


def _colours(png: bytes) -> int:
    return len(Image.open(io.BytesIO(png)).convert("RGB").getcolors(maxcolors=1 << 20) or [])


def test_organizer_dashboard_charts_tiles_and_store_table(page: Page, live_server: LiveServer,
                                                          tmp_path: Path) -> None:
    organizer, _ = _tokens(live_server)
    _search_for_nothing(live_server.url, "없는물건 qzxv")
    _sign_in(page, "/organizer", organizer)
    misses = page.locator("#festival-misses tbody tr", has_text="없는물건 qzxv")
    expect(misses.locator("td").last).to_have_text("2")  # searched twice, found nothing twice
    expect(page.locator("#charts[data-state=ready] .uplot")).to_have_count(3)
    assert _colours(page.locator("#charts").screenshot()) > 20, "the charts draw lines over their grid"
    expect(page.locator("#tiles [data-tile=visitors] strong")).to_have_text(NUMBER)
    rows = page.locator("#dash-store-table tbody tr")
    expect(rows).to_have_count(4)
    expect(rows.first.locator("canvas.spark")).to_be_visible()
    page.click("#dash-store-table button[data-sort=store]")  # by name, A→Z; again: Z→A
    slugs = [r.get_attribute("data-store") or "" for r in rows.all()]
    assert slugs == sorted(slugs)
    page.click("#dash-store-table button[data-sort=store]")
    assert [r.get_attribute("data-store") for r in rows.all()] == sorted(slugs, reverse=True)

    # The tiles follow the live stream: an order placed elsewhere shows without a reload.
    orders = page.locator("#tiles [data-tile=orders] strong")
    expect(orders).to_have_text(NUMBER)
    before = int(orders.inner_text().replace(",", ""))
    frames = int(page.locator("#tiles").get_attribute("data-frames") or "0")
    _place_order(live_server.url)
    expect(orders).to_have_text(f"{before + 1:,}")
    assert int(page.locator("#tiles").get_attribute("data-frames") or "0") > frames
    expect(page.locator("#tiles [data-tile=orders-per-min] strong")).not_to_have_text("0")
    page.locator("#dashboard-card").screenshot(path=str(_shots(tmp_path) / "organizer-dashboard.png"))


def test_merchant_analytics_funnel_products_and_heat_map(page: Page, live_server: LiveServer,
                                                        tmp_path: Path) -> None:
    _, merchants = _tokens(live_server)
    _search_for_nothing(live_server.url, "빈선반 wxqz")
    _sign_in(page, "/merchant", merchants[STORE])
    misses = page.locator("#misses-table tbody tr", has_text="빈선반 wxqz")
    expect(misses.locator("td").last).to_have_text("2")
    expect(page.locator("#analytics-card[data-state=ready]")).to_be_attached()
    expect(page.locator("#funnel [data-count=visits]")).to_have_text(re.compile(r"\d"))
    expect(page.locator("#top-products tbody tr").first).to_be_visible()
    image = page.locator("#heatmap-img[data-state=ready]")
    expect(image).to_be_visible()
    assert _colours(image.screenshot()) > 30, "the heat map draws the plan and its cells"
    page.locator("#analytics-card").screenshot(path=str(_shots(tmp_path) / "merchant-analytics.png"))
