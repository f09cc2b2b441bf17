"""The merchant and organizer consoles, driven in headless Chromium against a live ``vrstore serve``.

Every wait is on a selector or a condition (Playwright's ``expect``), never a bare sleep.
"""

from __future__ import annotations

import io
import json
import re
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import trimesh
from factories import LiveServer, start_live_server, stop_live_server
from PIL import Image
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Page,
    expect,
    sync_playwright,
)

from storefront_builder.catalog.sample import sample_catalog_json

pytestmark = pytest.mark.e2e

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--use-angle=swiftshader", "--enable-unsafe-swiftshader", "--no-sandbox",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"]
WEB_CLIENT = Path(__file__).resolve().parents[2] / "web_client"
CONSOLE_PAGES = {"merchant": WEB_CLIENT / "merchant" / "index.html",
                 "organizer": WEB_CLIENT / "organizer" / "index.html"}
VIEWER_BACKGROUND = (0xDD, 0xE3, 0xEA)  # the viewer's clear colour (viewer.js)


# --- a small REST client for arranging and checking state -------------------------------------

@dataclass
class Answer:
    status: int
    body: Any
    headers: dict[str, str]


def call(server: LiveServer, method: str, path: str, token: str | None = None, body: Any = None,
         headers: dict[str, str] | None = None) -> Answer:
    data = json.dumps(body).encode() if body is not None else None
    headers = {"Accept": "application/json", **(headers or {})}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if data is not None:
        headers["Content-Type"] = "application/json"
    request = urllib.request.Request(server.url + path, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            raw = response.read()
            return Answer(response.status, json.loads(raw) if raw else None, dict(response.headers))
    except urllib.error.HTTPError as exc:
        raw = exc.read()
        exc.close()
        return Answer(exc.code, json.loads(raw) if raw else None, dict(exc.headers))


@dataclass
class Festival:
    server: LiveServer
    slug: str
    organizer: str

    def invite(self, name: str) -> str:
        r = call(self.server, "POST", f"/api/v1/festivals/{self.slug}/merchants", self.organizer, {"name": name})
        assert r.status == 201, r.body
        return str(r.body["token"])

    def open_store(self, merchant: str, slug: str, kind: str = "convenience_store") -> None:
        r = call(self.server, "POST", "/api/v1/stores", merchant,
                 {"slug": slug, "name_ko": f"가게 {slug}", "name_en": f"Shop {slug}", "kind": kind})
        assert r.status == 201, r.body


@dataclass
class Errors:
    """Uncaught page exceptions and console errors seen while a test ran."""

    seen: list[str] = field(default_factory=list)

    def console(self, message: ConsoleMessage) -> None:
        # The browser logs every 4xx the tests provoke on purpose; the pages show those themselves.
        expected = message.text.startswith("Failed to load resource: the server responded with a status of 4")
        if message.type == "error" and not expected:
            self.seen.append(f"console: {message.text}")


# --- fixtures ---------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def festival(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Festival]:
    server = start_live_server(tmp_path_factory.mktemp("consoles"))
    try:
        out = server.vrstore("admin", "create-festival", "--slug", "fest", "--name", "축제")
        yield Festival(server, "fest", out.strip().splitlines()[-1].strip())
    finally:
        stop_live_server(server)


@pytest.fixture(scope="module")
def browser(request: pytest.FixtureRequest) -> Iterator[Browser]:
    """The shopper tests' session browser when tests/e2e/conftest.py offers one (one Playwright per process:
    a second sync driver cannot start while the first is alive), else one of our own."""
    try:
        shared: Browser | None = request.getfixturevalue("shop_browser")
    except pytest.FixtureLookupError:
        shared = None
    if shared is not None:
        yield shared
        return
    with sync_playwright() as p:
        own = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield own
        finally:
            own.close()


def serve_console_pages(context: BrowserContext, server: LiveServer) -> None:
    """The consoles are served by the server itself (server/http/handlers/web.py)."""
    for name in CONSOLE_PAGES:
        with urllib.request.urlopen(f"{server.url}/{name}", timeout=10) as response:
            assert response.status == 200 and response.headers["Content-Type"].startswith("text/html"), name


@pytest.fixture
def context(browser: Browser, festival: Festival) -> Iterator[BrowserContext]:
    ctx = browser.new_context(base_url=festival.server.url, viewport={"width": 1280, "height": 900},
                              permissions=["clipboard-read", "clipboard-write"])
    ctx.set_default_timeout(20_000)
    serve_console_pages(ctx, festival.server)
    try:
        yield ctx
    finally:
        ctx.close()


@pytest.fixture
def page(context: BrowserContext) -> Iterator[Page]:
    errors = Errors()
    page = context.new_page()
    page.on("pageerror", lambda exc: errors.seen.append(f"pageerror: {exc}"))
    page.on("console", errors.console)
    expect.set_options(timeout=20_000)
    yield page
    assert errors.seen == [], errors.seen


def sign_in(page: Page, path: str, token: str) -> None:
    page.goto(path)
    expect(page.locator("body[data-ready='1']")).to_be_attached()
    page.fill("#token", token)
    page.click("#sign-in-form button[type=submit]")
    expect(page.locator("body[data-signed-in='1']")).to_be_attached()


def canvas_is_drawn(png: bytes, background: tuple[int, int, int]) -> tuple[int, float]:
    """(distinct colours, share of pixels that differ from the background) of a screenshot."""
    image = Image.open(io.BytesIO(png)).convert("RGB")
    colours: list[tuple[int, tuple[int, int, int]]] = image.getcolors(maxcolors=1 << 20) or []  # type: ignore[assignment]
    total = image.width * image.height
    same = sum(count for count, rgb in colours
               if max(abs(a - b) for a, b in zip(rgb, background, strict=True)) <= 3)
    return len(colours), 1 - same / total


# --- the merchant console ---------------------------------------------------------------------

def test_merchant_console_catalog_layout_build_preview_and_prices(page: Page, festival: Festival,
                                                                  tmp_path: Path) -> None:
    server = festival.server
    merchant = festival.invite("편의점 사장님")
    # A wrong token is refused with the API's problem, and the console stays closed.
    page.goto("/merchant")
    expect(page.locator("body[data-ready='1']")).to_be_attached()
    page.fill("#token", "vrm_not-a-token")
    page.click("#sign-in-form button[type=submit]")
    expect(page.locator("#sign-in-out .problem")).to_contain_text("401")
    expect(page.locator("#console")).to_be_hidden()
    sign_in(page, "/merchant", merchant)
    expect(page.locator("#no-stores")).to_be_visible()

    # Create a store through the form; the new store opens as the workspace.
    form = page.locator("#create-store")
    form.locator("[name=slug]").fill("corner")
    form.locator("[name=name_ko]").fill("모퉁이 편의점")
    form.locator("[name=name_en]").fill("Corner store")
    form.locator("[name=kind]").select_option("convenience_store")
    form.locator("button").click()
    expect(page.locator("#stores-table tr[data-store=corner]")).to_contain_text("승인 대기")
    expect(page.locator("#workspace")).to_be_visible()
    expect(page.locator("#catalog-card .store-name")).to_have_text("모퉁이 편의점")

    # The same slug again: the API's problem is shown readably.
    form.locator("[name=slug]").fill("corner")
    form.locator("[name=name_ko]").fill("또")
    form.locator("[name=name_en]").fill("Again")
    form.locator("button").click()
    expect(page.locator("#create-store-out .problem")).to_be_visible()

    # A catalog with bad rows: the report lists them (row, column, message).
    bad = tmp_path / "bad.csv"
    bad.write_text("sku,name_ko,name_en,price,stock\n"
                   "BAD-1,가,A,abc,1\n"  # row 2: a price that is no number
                   ",나,B,100,2\n"  # row 3: no SKU
                   "OK-1,다,C,1000,3\n", encoding="utf-8")
    page.select_option("#catalog-format", "csv")
    page.set_input_files("#catalog-file", str(bad))
    page.click("#catalog-form button[type=submit]")
    rejected = page.locator("#rejected-rows tbody tr")
    expect(rejected.first).to_be_visible()
    assert rejected.count() >= 2
    expect(page.locator("#rejected-rows")).to_contain_text("price")
    expect(page.locator("#rejected-rows")).to_contain_text("SKU")

    # The sample catalog: 40 rows imported, none rejected, the product table fills.
    good = tmp_path / "catalog.json"
    good.write_text(sample_catalog_json("convenience_store", 40), encoding="utf-8")
    page.select_option("#catalog-format", "")
    page.set_input_files("#catalog-file", str(good))
    page.click("#catalog-form button[type=submit]")
    expect(page.locator("#import-report tr[data-field=imported] td")).to_have_text("40")
    expect(page.locator("#import-report tr[data-field=rejected] td")).to_have_text("0")
    expect(page.locator("#rejected-rows")).to_have_count(0)
    expect(page.locator("#products-table tbody tr")).to_have_count(40)

    # A broken layout file: the 422 is shown with its loc; then a template is chosen.
    layout = tmp_path / "layout.yaml"
    layout.write_text("fixtures: [1", encoding="utf-8")
    page.set_input_files("#layout-file", str(layout))
    page.click("#layout-form button[type=submit]")
    expect(page.locator("#layout-out .problem")).to_contain_text("YAML")
    expect(page.locator("#layout-out .problem li[data-loc=body]")).to_be_visible()
    page.select_option("#template", "convenience_store")
    page.click("#template-form button[type=submit]")
    expect(page.locator("#layout-out .note")).to_be_visible()
    assert call(server, "GET", "/api/v1/stores/corner/layout", merchant).body == {
        "source": "template", "template": "convenience_store", "layout": None}

    # A model that is not a GLB: the validator's error code is shown.
    junk = tmp_path / "junk.glb"
    junk.write_bytes(b"this is not a model")
    page.fill("#asset-sku", "CON-00002")
    page.set_input_files("#model-file", str(junk))
    page.click("#asset-form button[type=submit]")
    expect(page.locator("#asset-out .problem .error-code")).to_have_text("not_glb")

    # A real (tiny) model and a PNG: both accepted, and the product row says so.
    model = tmp_path / "box.glb"
    model.write_bytes(trimesh.creation.box(extents=(0.1, 0.1, 0.1)).export(file_type="glb"))
    picture = tmp_path / "picture.png"
    Image.new("RGB", (64, 64), (200, 30, 90)).save(picture)
    page.fill("#asset-sku", "CON-00003")
    page.set_input_files("#model-file", str(model))
    page.set_input_files("#image-file", str(picture))
    page.click("#asset-form button[type=submit]")
    expect(page.locator("#asset-out .note")).to_have_count(2)
    expect(page.locator("#products-table tr[data-sku='CON-00003']")).to_contain_text("🖼")
    product = call(server, "GET", "/api/v1/stores/corner/products/CON-00003", merchant).body
    assert product["model"] is True and product["image"]

    # Build: the progress bar reaches 100 %, the report shows, the 3D preview and the plan draw.
    page.click("#start-build")
    expect(page.locator("#build-progress")).to_have_attribute("data-status", "succeeded")
    expect(page.locator("#build-progress")).to_have_attribute("aria-valuenow", "100")
    expect(page.locator("#build-report-table tr[data-field=draw_calls] td")).to_have_text(re.compile(r"^\d+$"))
    expect(page.locator("#build-report-table tr[data-field=unplaced] td")).to_have_text("0")
    expect(page.locator("#viewer")).to_have_attribute("data-state", "ready")
    colours, drawn = canvas_is_drawn(page.locator("#viewer").screenshot(), VIEWER_BACKGROUND)
    assert colours > 20 and drawn > 0.05, (colours, drawn)
    expect(page.locator("#plan")).to_have_attribute("data-products", "40")
    colours, drawn = canvas_is_drawn(page.locator("#plan").screenshot(), (255, 255, 255))
    assert colours > 5 and drawn > 0.05, (colours, drawn)
    assert call(server, "GET", "/api/v1/stores/corner", merchant).body["scene"] is not None

    # Inline edits: a new price is saved through the API; a bad one shows its error in the row.
    row = page.locator("#products-table tr[data-sku='CON-00001']")
    price = row.locator("input.edit-price")
    price.fill("2500")
    price.press("Enter")
    expect(price).to_have_class("edit-price saved")
    expect(row.locator(".unit-price")).to_contain_text("2,500")
    assert call(server, "GET", "/api/v1/stores/corner/products/CON-00001", merchant).body["price"] == 2500
    stock = row.locator("input.edit-stock")
    stock.fill("-3")
    stock.press("Enter")
    expect(row.locator(".cell-error")).to_contain_text("stock")
    expect(stock).to_have_class("edit-stock invalid")
    sale = row.locator("input.edit-sale-price")
    sale.fill("abc")
    sale.press("Enter")
    expect(row.locator(".cell-error")).to_contain_text("숫자")
    assert call(server, "GET", "/api/v1/stores/corner/products/CON-00001", merchant).body["stock"] >= 0

    expect(page.locator("#no-orders")).to_be_visible()

    # English, remembered across a reload (the token stays for the tab's session).
    page.select_option("#lang", "en")
    expect(page.locator("header.top h1")).to_have_text("Merchant console")
    page.reload()
    expect(page.locator("body[data-signed-in='1']")).to_be_attached()
    expect(page.locator("header.top h1")).to_have_text("Merchant console")
    expect(page.locator("#stores-table tr[data-store=corner]")).to_contain_text("Pending")
    page.select_option("#lang", "ko")


# --- the organizer console --------------------------------------------------------------------

def test_organizer_console_approvals_sale_window_discounts_invites_and_live_stats(
        page: Page, festival: Festival) -> None:
    server = festival.server
    merchant = festival.invite("시장 상인회")
    festival.open_store(merchant, "market", kind="traditional_market")
    sign_in(page, "/organizer", festival.organizer)
    expect(page.locator("#who")).to_contain_text("fest")

    # Approve the pending store.
    row = page.locator("#stores-table tr[data-store=market]")
    expect(row).to_have_attribute("data-status", "pending")
    row.locator("button.approve").click()
    expect(page.locator("#stores-table tr[data-store=market]")).to_have_attribute("data-status", "approved")
    stores = call(server, "GET", "/api/v1/festivals/fest/stores", festival.organizer).body["stores"]
    assert {s["slug"]: s["status"] for s in stores}["market"] == "approved"

    # The sale window, entered in the festival's zone (Asia/Seoul, UTC+9), is stored in UTC.
    expect(page.locator("#f-timezone")).to_have_value("Asia/Seoul")
    expect(page.locator(".zone-name").first).to_have_text("Asia/Seoul")
    page.fill("#f-starts", "2026-12-01T10:00")
    page.fill("#f-ends", "2026-12-03T22:30")
    page.click("#festival-form button[type=submit]")
    expect(page.locator("#festival-out .note")).to_be_visible()
    body = call(server, "GET", "/api/v1/festivals/fest").body
    assert datetime.fromisoformat(body["starts_at"]) == datetime.fromisoformat("2026-12-01T01:00:00+00:00")
    assert datetime.fromisoformat(body["ends_at"]) == datetime.fromisoformat("2026-12-03T13:30:00+00:00")
    page.reload()
    expect(page.locator("body[data-signed-in='1']")).to_be_attached()
    expect(page.locator("#f-starts")).to_have_value("2026-12-01T10:00")
    expect(page.locator("#sale-window")).to_contain_text("Asia/Seoul")

    # An end before the start is refused before it is sent.
    page.fill("#f-ends", "2026-11-30T09:00")
    page.click("#festival-form button[type=submit]")
    expect(page.locator("#festival-out .problem")).to_contain_text("ends_at")
    page.fill("#f-ends", "2026-12-03T22:30")

    # A discount rule for the approved store.
    page.click("#add-rule")
    rule = page.locator("#rules-table tbody tr").last
    rule.locator(".rule-percent").fill("15")
    rule.locator(".rule-store").select_option("market")
    page.click("#save-rules")
    expect(page.locator("#discounts-out .note")).to_be_visible()
    rules = call(server, "GET", "/api/v1/festivals/fest/discounts", festival.organizer).body["rules"]
    assert {"percent": 15, "store": "market", "category": None} in rules

    # Invite a merchant: the token is shown once, can be copied, and works.
    page.fill("#invite-form [name=name]", "거리 상점")
    page.click("#invite-form button[type=submit]")
    token_box = page.locator("#invite-token")
    expect(token_box).to_have_value(re.compile(r"^\S{20,}$"))
    page.click("#copy-token")
    expect(page.locator("#copied")).not_to_be_empty()
    assert page.evaluate("navigator.clipboard.readText()") == token_box.input_value()
    me = call(server, "GET", "/api/v1/sessions/current", token_box.input_value()).body
    assert me["role"] == "merchant"
    expect(page.locator("#merchants-table")).to_contain_text("거리 상점")

    # Live stats refresh by themselves: a store opened and another suspended elsewhere show up unprompted.
    stats = page.locator("#stats-table")
    expect(stats.locator("tr[data-store=market] [data-col=status]")).to_contain_text("승인됨")
    expect(stats.locator("th")).to_contain_text(["방문자", "주문", "매출"])
    expect(stats.locator("tr[data-store=market] [data-col=visitors]")).to_have_text(re.compile(r"^\d+$"))
    updates = int(page.locator("#stats-updated").get_attribute("data-count") or "0")
    festival.open_store(merchant, "late-stall")
    r = call(server, "PUT", "/api/v1/stores/market/status", festival.organizer, {"status": "suspended"})
    assert r.status == 200, r.body
    expect(stats.locator("tr[data-store=late-stall]")).to_be_visible()
    expect(stats.locator("tr[data-store=market] [data-col=status]")).to_contain_text("정지됨")
    expect(page.locator("#stores-table tr[data-store=late-stall]")).to_have_attribute("data-status", "pending")
    assert int(page.locator("#stats-updated").get_attribute("data-count") or "0") > updates

    # The waiting line: pause admission with a message; a shopper who lines up shows in the count.
    expect(page.locator("#queue-totals [data-total=waiting] strong")).to_have_text("0")
    page.select_option("#q-mode", "paused")
    page.fill("#q-msg-ko", "잠시 후 다시 엽니다")
    page.click("#queue-form button[type=submit]")
    expect(page.locator("#queue-out .note")).to_be_visible()
    view = call(server, "GET", "/api/v1/festivals/fest/queue", festival.organizer).body
    assert view["mode"] == "paused" and view["message"]["ko"] == "잠시 후 다시 엽니다"
    shopper = call(server, "POST", "/api/v1/sessions", None, {"display_name": "줄 선 손님"}).body["token"]
    assert call(server, "POST", "/api/v1/festivals/fest/queue", shopper).status == 201
    expect(page.locator("#queue-totals [data-total=waiting] strong")).to_have_text("1")
    page.select_option("#q-mode", "auto")
    page.click("#queue-form button[type=submit]")


# --- money and time helpers, run in the browser that uses them --------------------------------

def test_console_money_and_festival_time_helpers(page: Page) -> None:
    page.goto("/organizer")
    expect(page.locator("body[data-ready='1']")).to_be_attached()
    got = page.evaluate("""async () => {
        const f = await import('/web/shared/format.js');
        return {
            krw: f.money(2500, 'KRW'), usd: f.money(1999, 'USD'), krwDigits: f.minorDigits('KRW'),
            usdIn: f.fromMajorInput('19.99', 'USD'), krwIn: f.fromMajorInput('12,000', 'KRW'),
            junk: Number.isNaN(f.fromMajorInput('abc', 'KRW')), empty: f.fromMajorInput(' ', 'KRW'),
            usdOut: f.toMajorInput(1999, 'USD'),
            seoul: f.localInputToUtc('2026-12-01T10:00', 'Asia/Seoul'),
            seoulBack: f.utcToLocalInput('2026-12-01T01:00:00Z', 'Asia/Seoul'),
            nyWinter: f.localInputToUtc('2026-01-15T12:00', 'America/New_York'),
            nySummer: f.localInputToUtc('2026-07-15T12:00', 'America/New_York'),
            nyBack: f.utcToLocalInput('2026-07-15T16:00:00Z', 'America/New_York'),
            badZone: f.isZone('Mars/Olympus'),
        };
    }""")
    assert got["krw"] == "₩2,500"
    assert got["usd"] == "US$19.99"
    assert got["krwDigits"] == 0
    assert (got["usdIn"], got["krwIn"], got["junk"], got["empty"]) == (1999, 12000, True, None)
    assert got["usdOut"] == "19.99"
    assert (got["seoul"], got["seoulBack"]) == ("2026-12-01T01:00:00Z", "2026-12-01T10:00")
    assert (got["nyWinter"], got["nySummer"]) == ("2026-01-15T17:00:00Z", "2026-07-15T16:00:00Z")
    assert got["nyBack"] == "2026-07-15T12:00"
    assert got["badZone"] is False


# --- orders in the merchant console -------------------------------------------------------------

def test_merchant_console_lists_orders(page: Page, festival: Festival) -> None:
    server = festival.server
    merchant = festival.invite("주문 많은 가게")
    festival.open_store(merchant, "busy-shop")
    catalog = json.loads(sample_catalog_json("convenience_store", 6, prefix="BUSY"))
    for product in catalog["products"]:
        product["stock"] = 20
    assert call(server, "PUT", "/api/v1/stores/busy-shop/catalog", merchant, catalog).status == 200
    approve = call(server, "PUT", "/api/v1/stores/busy-shop/status", festival.organizer, {"status": "approved"})
    assert approve.status == 200, approve.body
    shopper = call(server, "POST", "/api/v1/sessions", body={"display_name": "민지"}).body["token"]
    cart = call(server, "POST", "/api/v1/carts", shopper).body["id"]
    r = call(server, "POST", f"/api/v1/carts/{cart}/lines", shopper, {"store": "busy-shop", "sku": "BUSY-00001",
                                                                    "quantity": 2})
    assert r.status == 201, r.body
    # The merchant sets the store's fees and opening hours in the console; pickup slots come from the hours.
    sign_in(page, "/merchant", merchant)
    expect(page.locator("#no-orders")).to_be_visible()
    form = page.locator("#fulfilment-form[data-state=ready]")  # the store's terms are in: typing is kept
    form.locator("input[name=flat_fee]").fill("2500")
    form.locator("textarea[name=remote]").fill("63000-63644 3000")
    for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun"):
        form.locator(f"input[name=hours_{day}]").fill("00:00-24:00")
    form.locator("button[type=submit]").click()
    expect(page.locator("#fulfilment-note")).to_contain_text("저장했습니다")
    terms = call(server, "GET", "/api/v1/stores/busy-shop/fulfilment").body
    assert terms["shipping"]["flat_fee"] == 2500 and terms["pickup"] is True
    assert terms["shipping"]["remote_areas"] == [{"first": "63000", "last": "63644", "surcharge": 3000}]
    form.locator("input[name=hours_mon]").fill("20:00-10:00")  # nonsense is refused, in the console's language
    form.locator("button[type=submit]").click()
    expect(page.locator("#fulfilment-note")).to_contain_text("입력한 내용을 확인해 주세요")

    slot = call(server, "GET", f"/api/v1/carts/{cart}/pickup_slots", shopper).body["slots"][-1]
    r = call(server, "POST", f"/api/v1/carts/{cart}/checkout", shopper, {
        "fulfilment": {"type": "pickup", "slot": slot, "contact": {"name": "김민지", "phone": "010-5555-1234"}},
        "payment": {"provider": "test", "token": "tok_ok"}}, headers={"Idempotency-Key": "console-order-1"})
    assert r.status == 201, r.body
    total = r.body["total"]

    rows = page.locator("#orders-table tbody tr")
    expect(rows).to_have_count(1)  # it appears by itself: the console polls
    expect(rows.first).to_contain_text("× 2")
    expect(rows.first).to_contain_text("결제 완료")
    expect(rows.first).to_contain_text("매장 픽업")
    expect(rows.first).to_contain_text("김민지")
    expect(rows.first).to_contain_text("010-5555-1234")
    expect(rows.first).to_contain_text(f"₩{total:,}")
    # The pickup order moves along its states from the console: ready, then collected.
    rows.first.locator("button[data-move=ready_for_pickup]").click()
    expect(rows.first).to_contain_text("픽업 준비 완료")
    expect(rows.first.locator("button[data-move=shipped]")).to_have_count(0)  # a pickup is never shipped
    rows.first.locator("button[data-move=completed]").click()
    expect(rows.first).to_have_attribute("data-status", "completed")
    expect(rows.first.locator("button[data-move]")).to_have_count(0)
    # A new order shows up by itself (the console polls), and the CSV export carries what is needed to fulfil.
    cart = call(server, "POST", "/api/v1/carts", shopper).body["id"]
    call(server, "POST", f"/api/v1/carts/{cart}/lines", shopper, {"store": "busy-shop", "sku": "BUSY-00002",
                                                                "quantity": 1})
    address = {"name": "이지호", "phone": "010-7777-0000", "line1": "세종대로 110", "city": "서울",
               "postal_code": "04524"}
    r = call(server, "POST", f"/api/v1/carts/{cart}/checkout", shopper, {
        "fulfilment": {"type": "delivery", "address": address}, "payment": {"provider": "test", "token": "tok_ok"}},
        headers={"Idempotency-Key": "console-order-2"})
    assert r.status == 201, r.body
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text("(04524) 세종대로 110 서울")
    with page.expect_download() as download:
        page.click("#orders-export")
    text = Path(download.value.path()).read_bytes().decode("utf-8-sig")
    assert "이지호" in text and "010-7777-0000" in text and "김민지" in text


# --- a big catalog in the merchant console ---------------------------------------------------------

def test_merchant_console_pages_a_big_catalog(page: Page, festival: Festival) -> None:
    """The store resource no longer carries its products: the console pages them, 200 at a time."""
    server = festival.server
    merchant = festival.invite("큰 가게")
    festival.open_store(merchant, "big-shop")
    catalog = json.loads(sample_catalog_json("convenience_store", 450, prefix="BIG"))
    assert call(server, "PUT", "/api/v1/stores/big-shop/catalog", merchant, catalog).status == 200
    sign_in(page, "/merchant", merchant)
    rows = page.locator("#products-table tbody tr")
    expect(rows).to_have_count(200)
    expect(page.locator("#products-count")).to_contain_text("450")
    page.click("#products-more")
    expect(rows).to_have_count(400)
    page.click("#products-more")
    expect(rows).to_have_count(450)
    expect(page.locator("#products-more")).to_have_count(0)


# --- the import report of a real-shaped export (issue 17) ------------------------------------------

FIXTURES = Path(__file__).resolve().parents[1] / "storefront_builder" / "fixtures"


def test_merchant_console_import_report_hidden_products_and_typed_prices(page: Page, festival: Festival,
                                                                         tmp_path: Path) -> None:
    """The report counts products, variants, hidden products by reason and images, in the console's language;
    hidden products are listed with their status; a price typed as 12,000원 saves like the importer reads it."""
    server = festival.server
    merchant = festival.invite("린넨 가게")
    festival.open_store(merchant, "linen-shop")
    sign_in(page, "/merchant", merchant)
    page.select_option("#catalog-format", "")
    page.set_input_files("#catalog-file", str(FIXTURES / "shopify_visibility.csv"))
    page.click("#catalog-form button[type=submit]")
    report = page.locator("#import-report")
    expect(report.locator("tr[data-field=products] td")).to_have_text("6")
    expect(report.locator("tr[data-field=variants] td")).to_have_text("10")
    expect(report.locator("tr[data-field=images] td")).to_have_text("7")
    expect(report.locator("tr[data-field=hidden] td")).to_contain_text("임시저장: 판매하지 않음: 1")
    expect(report.locator("tr[data-field=images_fetch] td")).to_contain_text("꺼짐")
    expect(page.locator("#hidden-rows tr[data-code=hidden_gift_card]")).to_contain_text("기프트 카드: 진열 상품이 아님")
    expect(page.locator("#rejected-rows tr[data-code=status_unknown]")).to_contain_text("알 수 없는 상태입니다")
    # The merchant's product table lists the hidden products too, with their status.
    expect(page.locator("#products-table tbody tr")).to_have_count(10)
    expect(page.locator("#products-table tr[data-sku='HAT-S'] .product-status")).to_have_text("임시저장")
    expect(page.locator("#products-table tr[data-sku='LS-M-BLU']")).to_contain_text("Color: Blue")

    # English: the same report in the other language, without uploading again.
    page.select_option("#lang", "en")
    expect(page.locator("#rejected-rows tr[data-code=status_unknown]")).to_contain_text("unknown status 'someday'")
    expect(page.locator("#hidden-rows tr[data-code=hidden_draft]")).to_contain_text("draft: not on sale")
    expect(page.locator("#products-table tr[data-sku='HAT-S'] .product-status")).to_have_text("Draft")

    # A price typed as the importer takes it; a comma that is no thousands separator is refused.
    row = page.locator("#products-table tr[data-sku='CUP-001']")
    price = row.locator("input.edit-price")
    price.fill("12,000원")
    price.press("Enter")
    expect(price).to_have_class("edit-price saved")
    assert call(server, "GET", "/api/v1/stores/linen-shop/products/CUP-001", merchant).body["price"] == 12000
    price.fill("12,00")
    price.press("Enter")
    expect(row.locator(".cell-error")).to_contain_text("Enter a number")

    # A header the sniffer cannot read: its Korean text, with the closest matches.
    page.select_option("#lang", "ko")
    bad = tmp_path / "typo.csv"
    bad.write_text("skew,prodct name,prise\nA,Tea,100\n", encoding="utf-8")
    page.set_input_files("#catalog-file", str(bad))
    page.click("#catalog-form button[type=submit]")
    problem = page.locator("#catalog-out .problem")
    expect(problem).to_contain_text("머리글로 카탈로그 형식을 알 수 없습니다")
    expect(problem).to_contain_text("'prise' → price")
