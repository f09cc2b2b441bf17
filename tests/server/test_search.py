"""Festival-wide search (issue 21) on the demo festival's catalogs, on SQLite (FTS5 trigram + the short-word
path) and PostgreSQL (pg_trgm): ranking, facets, filters, spacing, typos, synonyms, variants collapsed, the
festival price, index maintenance, zero-result counts, and bad input as problems."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from factories import bearer
from search_fixtures import DemoFestival, seed_demo

from server.settings import Settings

PROBLEM = "application/problem+json"


@pytest.fixture
async def demo(client: TestClient[Any, Any], settings: Settings) -> DemoFestival:
    return await seed_demo(settings)


async def _search(client: TestClient[Any, Any], demo: DemoFestival, query: str = "", **params: Any) -> Any:
    r = await client.get(f"/api/v1/festivals/{demo.slug}/search", params={"q": query, **{
        k: str(v).lower() if isinstance(v, bool) else str(v) for k, v in params.items()}})
    assert r.status == 200, await r.text()
    return await r.json()


async def test_a_three_syllable_word_finds_its_products_ranked_by_name(client: TestClient[Any, Any],
                                                                      demo: DemoFestival) -> None:
    result = await _search(client, demo, "러닝화")
    assert result["total"] > 0
    assert all("러닝화" in hit["name"]["ko"] for hit in result["items"])
    assert {hit["store"] for hit in result["items"]} == {"hyundai-dept"}
    first = result["items"][0]
    assert first["variants"] >= 1 and first["matched"] == "name"
    groups = [(h["store"], h["group"]) for h in result["items"]]
    assert len(groups) == len(set(groups))  # one hit per product group


async def test_two_syllable_words_take_the_second_path(client: TestClient[Any, Any], demo: DemoFestival) -> None:
    """사과 and 가방 are shorter than a trigram: found all the same (LIKE on the compact text)."""
    apples = await _search(client, demo, "사과")
    assert apples["total"] > 0 and all("사과" in h["name"]["ko"] for h in apples["items"])
    bags = await _search(client, demo, "가방")
    assert bags["total"] > 0 and all(h["category"] == "가방" or "백" in h["name"]["ko"] for h in bags["items"])


async def test_spacing_case_and_english_do_not_matter(client: TestClient[Any, Any], demo: DemoFestival) -> None:
    together = await _search(client, demo, "러닝화")
    apart = await _search(client, demo, "러닝 화")
    assert {h["group"] for h in apart["items"]} >= {h["group"] for h in together["items"]}
    assert apart["items"][0]["group"] == together["items"][0]["group"]
    english = await _search(client, demo, "RUNNING Shoes")
    assert english["total"] == together["total"]


async def test_a_typo_is_corrected_when_nothing_matches(client: TestClient[Any, Any], demo: DemoFestival) -> None:
    result = await _search(client, demo, "러닝와")
    assert result["corrected"] == "러닝화" and result["total"] > 0
    result = await _search(client, demo, "sneakrs")
    assert result["corrected"] is not None and result["total"] > 0


async def test_synonyms_are_the_organizers_to_set(client: TestClient[Any, Any], demo: DemoFestival) -> None:
    sneakers = await _search(client, demo, "운동화")  # a starter synonym of 스니커즈
    assert any("스니커즈" in h["name"]["ko"] for h in sneakers["items"])
    url = f"/api/v1/festivals/{demo.slug}/search/synonyms"
    r = await client.get(url, headers=bearer(demo.organizer))
    assert r.status == 200 and (await r.json())["default"] is True
    r = await client.put(url, json={"groups": [["야식", "라면"]]}, headers=bearer(demo.organizer))
    assert r.status == 200, await r.text()
    assert (await (await client.get(url, headers=bearer(demo.organizer))).json()) == {
        "groups": [["야식", "라면"]], "default": False}
    assert (await _search(client, demo, "야식"))["total"] > 0
    assert not any("스니커즈" in h["name"]["ko"] for h in (await _search(client, demo, "운동화"))["items"])
    merchant = next(iter(demo.merchants.values()))
    assert (await client.put(url, json={"groups": [["a", "b"]]}, headers=bearer(merchant))).status == 403
    r = await client.put(url, json={"groups": [["only-one"]]}, headers=bearer(demo.organizer))
    assert r.status == 422 and r.content_type == PROBLEM


async def test_filters_and_facets(client: TestClient[Any, Any], demo: DemoFestival) -> None:
    everything = await _search(client, demo, "", limit=100)
    facets = everything["facets"]
    assert {f["value"] for f in facets["store"]} == {"hyundai-dept", "gwangjang-market", "seongsu-street", "cu-plaza"}
    assert sum(f["count"] for f in facets["price"]) == everything["total"]
    assert "색상" in facets["options"] and "사이즈" in facets["options"]
    cheap = await _search(client, demo, "", max_price=5000, in_stock=True, limit=100)
    assert cheap["total"] > 0
    assert all(h["price_min"] <= 5000 and h["in_stock"] for h in cheap["items"])
    shoes = await _search(client, demo, "", category="신발", on_sale=True, limit=100)
    assert shoes["total"] > 0 and all(h["category"] == "신발" and h["on_sale"] for h in shoes["items"])
    black = await _search(client, demo, "러닝화", options="색상:블랙", limit=100)
    assert black["total"] > 0 and all(h["options"]["색상"] == ["블랙"] for h in black["items"])
    tops = await _search(client, demo, "", category="상의", min_price=60000, max_price=100000, limit=100)
    assert all(h["price_min"] >= 60000 and h["price_max"] <= 100000 for h in tops["items"])
    one_store = await _search(client, demo, "", store="cu-plaza", limit=5)
    assert one_store["total"] > 5 and {h["store"] for h in one_store["items"]} == {"cu-plaza"}
    second = await _search(client, demo, "", store="cu-plaza", limit=5, after=one_store["next"])
    assert not {h["group"] for h in second["items"]} & {h["group"] for h in one_store["items"]}


async def test_the_price_is_the_festival_price(client: TestClient[Any, Any], demo: DemoFestival) -> None:
    before = (await _search(client, demo, "도시락", store="cu-plaza"))["items"][0]
    r = await client.put(f"/api/v1/festivals/{demo.slug}/discounts",
                         json={"rules": [{"percent": 50, "category": "간편식"}]}, headers=bearer(demo.organizer))
    assert r.status == 200, await r.text()
    after = (await _search(client, demo, "도시락", store="cu-plaza"))["items"][0]
    assert after["group"] == before["group"]
    assert after["festival_percent"] == 50 and after["price_min"] < before["price_min"]
    r = await client.get("/api/v1/stores/cu-plaza/products?limit=200")
    shelf = {p["sku"]: p["unit_price"] for p in (await r.json())["items"]}
    assert after["price_min"] == shelf[after["sku"]]


async def test_the_index_follows_catalog_replacement(client: TestClient[Any, Any], demo: DemoFestival) -> None:
    token = demo.merchants["cu-plaza"]
    catalog = [{"sku": "NEW-1", "name_ko": "수박 주스", "name_en": "Watermelon juice", "category": ["음료"],
                "price": {"amount": 3000, "currency": "KRW"}, "stock": 4}]
    r = await client.put("/api/v1/stores/cu-plaza/catalog", json=catalog, headers=bearer(token))
    assert r.status == 200, await r.text()
    assert (await _search(client, demo, "수박"))["items"][0]["sku"] == "NEW-1"
    assert (await _search(client, demo, "도시락"))["total"] == 0  # the old catalog is gone from search


async def test_zero_result_queries_are_counted_for_merchants_and_organizers(client: TestClient[Any, Any],
                                                                           demo: DemoFestival) -> None:
    for _ in range(3):
        await _search(client, demo, "  Zzqx  Qqq ")
    await _search(client, demo, "없는상품", store="cu-plaza")
    r = await client.get(f"/api/v1/festivals/{demo.slug}/search/misses", headers=bearer(demo.organizer))
    assert r.status == 200, await r.text()
    assert (await r.json())["items"] == [{"query": "zzqx qqq", "count": 3}, {"query": "없는상품", "count": 1}]
    r = await client.get("/api/v1/stores/cu-plaza/search/misses", headers=bearer(demo.merchants["cu-plaza"]))
    assert (await r.json())["items"] == [{"query": "없는상품", "count": 1}]
    r = await client.get("/api/v1/stores/cu-plaza/search/misses", headers=bearer(demo.merchants["seongsu-street"]))
    assert r.status == 404


async def test_bad_input_is_a_problem(client: TestClient[Any, Any], demo: DemoFestival) -> None:
    for params in ({"min_price": "-1"}, {"limit": "0"}, {"options": "nocolon"}, {"after": "x"},
                   {"q": "x" * 101}):
        r = await client.get(f"/api/v1/festivals/{demo.slug}/search", params=params)
        assert r.status == 422 and r.content_type == PROBLEM, (params, await r.text())
    assert (await _search(client, demo, "", min_price=10, max_price=5))["total"] == 0  # an empty range: nothing
    r = await client.get("/api/v1/festivals/nope/search?q=a")
    assert r.status == 404 and r.content_type == PROBLEM
    r = await client.get(f"/api/v1/festivals/{demo.slug}/search", params={"store": "nope"})
    assert r.status == 404


async def test_an_upload_reindexes_in_batches(client: TestClient[Any, Any], demo: DemoFestival,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    from server.services import search_index

    monkeypatch.setattr(search_index, "BATCH", 3)  # 7 groups: three units, then the stale ones dropped
    catalog = [{"sku": f"W-{i}", "name_ko": f"수박 {i}호", "name_en": f"Watermelon no. {i}", "category": ["과일"],
                "price": {"amount": 1000 * i, "currency": "KRW"}, "stock": 1} for i in range(1, 8)]
    r = await client.put("/api/v1/stores/gwangjang-market/catalog", json=catalog,
                         headers=bearer(demo.merchants["gwangjang-market"]))
    assert r.status == 200, await r.text()
    result = await _search(client, demo, "수박", limit=100)
    assert sorted(h["sku"] for h in result["items"]) == [f"W-{i}" for i in range(1, 8)]
    assert (await _search(client, demo, "사과"))["total"] == 0  # the old catalog's documents are gone
