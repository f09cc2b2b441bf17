"""The shopping advisor (issue 21): the pure reading of messages, and the API on the demo festival's catalogs."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from search_fixtures import DemoFestival, seed_demo

from server.domain.advisor import complements, understand
from server.settings import Settings

PROBLEM = "application/problem+json"


@pytest.mark.parametrize(("message", "expected"), [
    ("10만원 이하 신발", {"price_max": 100_000, "category": "신발"}),
    ("5만 원 미만", {"price_max": 49_999}),
    ("under 50,000 won", {"price_max": 49_999}),
    ("up to 50k won", {"price_max": 50_000}),
    ("3~5만원 가방", {"price_min": 30_000, "price_max": 50_000, "category": "가방"}),
    ("3만~5만원", {"price_min": 30_000, "price_max": 50_000}),
    ("between 20000 and 40000", {"price_min": 20_000, "price_max": 40_000}),
    ("2만원에서 4만원 사이", {"price_min": 20_000, "price_max": 40_000}),
    ("2만원대 반찬", {"price_min": 20_000, "price_max": 29_999, "category": "반찬"}),
    ("3만5천원 이하", {"price_max": 35_000}),
    ("1만원 이상", {"price_min": 10_000}),
    ("over 200,000 won", {"price_min": 200_001}),
    ("블랙 러닝화 할인", {"colour": "블랙", "on_sale": True, "words": ["러닝화"]}),
    ("navy knit size m", {"colour": "네이비", "size": "M", "category": None}),
    ("M 사이즈 네이비 니트", {"colour": "네이비", "size": "M", "words": ["니트"]}),
    ("재고 있는 과자", {"in_stock": True, "category": "과자"}),
    ("엄마 선물", {"gift_for": "mom"}),
    ("gift for dad", {"gift_for": "dad"}),
    ("선물 추천", {"gift_for": "anyone"}),
    ("아이보리 에코백", {"colour": "아이보리", "gift_for": None, "words": ["에코백"]}),
    ("이거랑 어울리는 거", {"complement": True, "words": []}),
    ("something that goes with this", {"complement": True, "words": []}),
    ("이거보다 싼 거", {"cheaper": True, "words": []}),
    ("cheaper than this?", {"cheaper": True, "words": []}),
    ("사과를 찾아줘", {"words": ["사과"]}),
    ("여기 가방 있어요?", {"category": "가방", "words": []}),  # "here" is the store asked in, not a word
    ("any bags here?", {"category": "가방", "words": []}),
    ("겨울 코트 10만원 이하 있어요?", {"price_max": 100_000, "category": "아우터", "words": []}),
])
def test_the_parser_reads_prices_categories_colours_and_intents(message: str, expected: dict[str, Any]) -> None:
    intent = vars(understand(message))
    assert {k: intent[k] for k in expected} == expected, intent


def test_complements_come_from_the_table() -> None:
    assert complements("의류 > 상의") == ("아우터", "신발", "모자")
    assert complements("셔츠") == ("바지", "넥타이", "아우터", "신발")
    assert complements("커피") == ("머그", "과자")
    assert complements("unknown") == ()


@pytest.fixture
async def demo(client: TestClient[Any, Any], settings: Settings) -> DemoFestival:
    return await seed_demo(settings)


async def _ask(client: TestClient[Any, Any], body: dict[str, Any], status: int = 200) -> Any:
    r = await client.post("/api/v1/advisor", json=body)
    assert r.status == status, await r.text()
    return await r.json(content_type=None)


async def test_the_advisor_answers_with_cards_from_search(client: TestClient[Any, Any], demo: DemoFestival) -> None:
    answer = await _ask(client, {"message": "신발 15만원 이하 할인", "festival": demo.slug, "lang": "ko"})
    assert answer["provider"] == "builtin" and answer["cards"]
    assert answer["understood"]["price_max"] == 150_000 and answer["understood"]["category"] == "신발"
    assert answer["answer"].startswith(f"조건에 맞는 상품 {len(answer['cards'])}개")
    for card in answer["cards"]:
        product = card["product"]
        assert product["price_max"] <= 150_000 and product["on_sale"] and product["category"] == "신발"
        assert card["store"] == product["store"] and "150,000원 이하" in card["reason"]
        r = await client.get(f"/api/v1/festivals/{demo.slug}/search",
                             params={"q": product["name"]["ko"], "store": product["store"], "on_sale": "true"})
        same = [h for h in (await r.json())["items"] if h["group"] == product["group"]]
        assert same and same[0]["price_min"] == product["price_min"]  # the same price as search shows


async def test_this_is_the_first_cart_item(client: TestClient[Any, Any], demo: DemoFestival) -> None:
    r = await client.get(f"/api/v1/festivals/{demo.slug}/search", params={"q": "가죽 로퍼", "store": "hyundai-dept"})
    loafer = (await r.json())["items"][0]
    cart = [{"store": "hyundai-dept", "sku": loafer["sku"]}]
    cheaper = await _ask(client, {"message": "이거보다 싼 거", "store": "hyundai-dept", "cart": cart})
    assert cheaper["understood"]["cheaper_than"] == loafer["price_min"] and cheaper["cards"]
    assert all(c["product"]["price_max"] < loafer["price_min"] and c["product"]["category"] == "신발"
               for c in cheaper["cards"])
    assert loafer["group"] not in {c["product"]["group"] for c in cheaper["cards"]}
    goes = await _ask(client, {"message": "what goes with this?", "store": "hyundai-dept", "cart": cart, "lang": "en"})
    assert goes["understood"]["complement_of"] == "신발"
    assert {c["product"]["category"].split(" > ")[0] for c in goes["cards"]} <= {"의류", "액세서리", "가방"}
    alone = await _ask(client, {"message": "이거보다 싼 거", "store": "hyundai-dept"})
    assert not alone["cards"] and "장바구니" in alone["answer"]


async def test_nothing_found_is_said_with_a_suggestion_and_counted(client: TestClient[Any, Any],
                                                                   demo: DemoFestival) -> None:
    none = await _ask(client, {"message": "1000원 이하 러닝화", "festival": demo.slug})
    assert none["cards"] == [] and "조건에 맞는 상품이 없어요" in none["answer"] and "가장 싼 것" in none["answer"]
    english = await _ask(client, {"message": "do you sell laptops?", "store": "cu-plaza", "lang": "en"})
    assert english["cards"] == [] and english["answer"].startswith("I found nothing")
    from factories import bearer

    r = await client.get("/api/v1/stores/cu-plaza/search/misses", headers=bearer(demo.merchants["cu-plaza"]))
    assert (await r.json())["items"] == [{"query": "do you sell laptops?", "count": 1}]


async def test_bad_advice_requests_are_problems(client: TestClient[Any, Any], demo: DemoFestival) -> None:
    for body in ({"message": ""}, {"message": "x"}, {"message": "x", "festival": demo.slug, "lang": "fr"},
                 {"message": "x", "festival": demo.slug, "limit": 0}, {"message": "x\u0000", "festival": demo.slug},
                 {"message": "x", "festival": demo.slug, "cart": [{"store": "cu-plaza"}]}):
        r = await client.post("/api/v1/advisor", json=body)
        assert r.status == 422 and r.content_type == PROBLEM, (body, await r.text())
    r = await client.post("/api/v1/advisor", json={"message": "x", "store": "nope"})
    assert r.status == 404 and r.content_type == PROBLEM
