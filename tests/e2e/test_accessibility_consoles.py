"""WCAG 2.2 AA in the lobby, both consoles and the friendly 404 pages (issue #19), against ``vrstore demo``.

axe-core (tests/e2e/axe.py) must find nothing serious or critical on each screen, in Korean and after switching to
English: the lobby; each console's sign-in screen, its problem box and its signed-in screen (the organizer's first
is the analytics dashboard; the merchant's is the open store's workspace). The same pages must say the server's
problems in the page's language, not the server's English ``detail``, and name store kinds from the one shared
table. One browser page per test; every wait is on a selector or a condition, never a bare sleep.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import pytest
from axe import axe_violations, describe
from factories import LiveServer
from helpers import console_page
from playwright.sync_api import Browser, Page, expect
from seeding import Seeded, parse_tokens
from test_consoles import sign_in

pytestmark = pytest.mark.e2e

STORE = "hyundai-dept"  # a demo store with a scene, orders and analytics history
# The demo stores' kinds by their one name (web_client/shared/kind_strings.js), the same in the lobby and consoles.
KIND_NAMES = {"hyundai-dept": "백화점", "gwangjang-market": "전통시장", "seongsu-street": "골목 상권",
              "cu-plaza": "편의점"}


@pytest.fixture
def page(shop_browser: Browser, live_server: LiveServer) -> Iterator[Page]:
    with console_page(shop_browser, live_server.url, viewport={"width": 1280, "height": 900}, locale="ko-KR",
                      bypass_csp=True) as p:  # axe.py injects axe-core inline
        yield p


def assert_accessible(page: Page, where: str) -> None:
    # From the top: the consoles' sticky header covers whatever a scroll left under it, and axe would count the
    # buttons there as too small to hit, though scrolling uncovers them (the CSS keeps keyboard focus clear of it).
    page.evaluate("() => window.scrollTo(0, 0)")
    found = axe_violations(page)
    assert found == [], f"{where}:\n{describe(found)}"


def to_english(page: Page, switch: Callable[[], object]) -> None:
    switch()
    expect(page.locator("html[lang=en]")).to_be_attached()


def test_lobby_and_the_not_found_pages_in_korean_and_english(page: Page, demo: Seeded) -> None:
    page.goto("/")
    enter = page.locator("#stores .store-card a.enter[href]")
    expect(enter.first).to_have_text("입장")
    expect(page.locator("body[data-ready=true]")).to_be_attached()
    kinds = {card.get_attribute("data-store"): card.locator(".kind").inner_text()
             for card in page.locator("#stores .store-card").all()}
    assert kinds == KIND_NAMES
    assert_accessible(page, "lobby (ko)")
    to_english(page, lambda: page.click("#lang"))
    expect(enter.first).to_have_text("Enter")
    assert_accessible(page, "lobby (en)")

    # An unknown store: a page that says so in both languages and leads back to the lobby, not an empty sky.
    response = page.goto("/store/does-not-exist")
    assert response is not None and response.status == 404
    expect(page.locator("h1")).to_have_text("이 매장을 찾을 수 없습니다")
    expect(page.locator("[lang=en] h2")).to_have_text("Store not found")
    expect(page.locator("a[href='/']").first).to_be_visible()
    assert_accessible(page, "store not found")
    response = page.goto("/festival/nope")
    assert response is not None and response.status == 404
    expect(page.locator("h1")).to_have_text("페이지를 찾을 수 없습니다")
    expect(page.locator("[lang=en] h2")).to_have_text("Page not found")
    assert_accessible(page, "page not found")


def test_merchant_console_sign_in_problem_and_workspace(page: Page, live_server: LiveServer) -> None:
    _, merchants = parse_tokens((live_server.data_dir.parent / "server.log").read_text(encoding="utf-8"))
    page.goto("/merchant")
    expect(page.locator("body[data-ready='1']")).to_be_attached()
    assert_accessible(page, "merchant sign-in (ko)")

    page.fill("#token", "vrm_not-a-token")
    page.click("#sign-in-form button[type=submit]")
    problem = page.locator("#sign-in-out .problem")
    expect(problem).to_contain_text("토큰")
    expect(problem).not_to_contain_text("Authentication required")
    assert_accessible(page, "merchant sign-in problem (ko)")

    sign_in(page, "/merchant", merchants[STORE])
    expect(page.locator("#analytics-card[data-state=ready]")).to_be_attached()
    expect(page.locator("#products-table tbody tr").first).to_be_visible()
    expect(page.locator("#stores-table tbody tr")).to_have_count(1)
    assert_accessible(page, "merchant workspace (ko)")
    to_english(page, lambda: page.select_option("#lang", "en"))
    expect(page.locator("header h1")).to_have_text("Merchant console")
    assert_accessible(page, "merchant workspace (en)")


def test_organizer_console_sign_in_dashboard_and_problem(page: Page, live_server: LiveServer) -> None:
    organizer, _ = parse_tokens((live_server.data_dir.parent / "server.log").read_text(encoding="utf-8"))
    page.goto("/organizer")
    expect(page.locator("body[data-ready='1']")).to_be_attached()
    assert_accessible(page, "organizer sign-in (ko)")

    sign_in(page, "/organizer", organizer)
    expect(page.locator("#charts[data-state=ready] .uplot")).to_have_count(3)
    expect(page.locator("#tiles [data-tile=visitors] strong")).to_have_text(re.compile(r"^[\d,]+$"))
    expect(page.locator("#dash-store-table tbody tr").first).to_be_visible()
    stores = page.locator("#stores-table tbody tr")
    expect(stores).to_have_count(len(KIND_NAMES))
    kinds = {row.get_attribute("data-store"): row.locator("td").nth(2).inner_text() for row in stores.all()}
    assert kinds == KIND_NAMES, "the lobby's names of the kinds"
    assert_accessible(page, "organizer dashboard (ko)")

    # A refusal of the server reads in the page's language, not as the server's English title.
    page.click("#add-rule")
    page.locator("#rules-table tbody tr .rule-percent").last.fill("150")
    page.click("#save-rules")
    problem = page.locator("#discounts-out .problem")
    expect(problem.locator(".problem-title")).to_have_text("입력한 내용을 확인해 주세요: 할인율 (422)")
    assert_accessible(page, "organizer problem (ko)")

    # An invitation shows the new merchant's token once, in a box of its own.
    page.fill("#invite-form input[name=name]", "접근성 점검 상점")
    page.click("#invite-form button[type=submit]")
    expect(page.locator("#invite-token")).to_have_value(re.compile(r"^vrm_"))
    assert_accessible(page, "organizer invitation (ko)")

    to_english(page, lambda: page.select_option("#lang", "en"))
    expect(page.locator("header h1")).to_have_text("Organizer console")
    expect(page.locator("#charts[data-state=ready] .uplot")).to_have_count(3)
    page.click("#save-rules")  # the unsaved rule survived the switch: the same refusal, now in English
    expect(problem.locator(".problem-title")).to_have_text("Please check: percent (422)")
    assert_accessible(page, "organizer dashboard and problem (en)")
