"""The advisor's optional LLM provider against a local fake chat API: tool calls run the festival's search, cards
come only from search results (a product the model invents is dropped), and a broken reply or a dead endpoint
falls back to the built-in advisor."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from factories import database_url, make_settings, running_client
from fake_llm import KEY, FakeLlm
from search_fixtures import seed_demo

from server.settings import Settings


@pytest.fixture
async def fake() -> AsyncIterator[tuple[FakeLlm, str]]:
    llm = FakeLlm(tool_args={"q": "러닝화", "max_price": 150000})
    server = TestServer(llm.app())
    await server.start_server()
    try:
        yield llm, str(server.make_url("/v1"))
    finally:
        await server.close()


async def _client_with(tmp_path: Path, url: str, **extra: Any) -> tuple[Settings, Any]:
    settings = make_settings(tmp_path, url, **extra)
    await seed_demo(settings)
    return settings, running_client(settings)


async def test_cards_come_only_from_search(tmp_path: Path, fake: tuple[FakeLlm, str]) -> None:
    llm, llm_url = fake
    async with database_url("sqlite", tmp_path) as url:
        _, clients = await _client_with(tmp_path, url, advisor_llm_url=llm_url, advisor_llm_key=KEY,
                                        advisor_llm_model="fake-1")
        async with clients as client:
            r = await client.post("/api/v1/advisor", json={"message": "15만원 이하 러닝화 추천", "festival":
                                                           "korea-sale-festa"})
            assert r.status == 200, await r.text()
            answer = await r.json()
            assert answer["provider"] == "llm" and answer["answer"] == "이걸 추천해요"
            [card] = answer["cards"]  # MADE-UP-1 never came from a search: dropped
            search = await _search(client, "러닝화", max_price="150000")
            assert card["product"] == search["items"][0] and card["reason"] == "잘 어울려요"
            assert llm.requests[0]["model"] == "fake-1" and llm.requests[0]["tools"][0]["function"]["name"] == \
                "search_products"


async def test_a_broken_reply_or_a_dead_endpoint_falls_back(tmp_path: Path, fake: tuple[FakeLlm, str]) -> None:
    llm, llm_url = fake
    llm.reply = "Sure! The best running shoes cost 1,000 won."  # not the JSON asked for
    async with database_url("sqlite", tmp_path) as url:
        _, clients = await _client_with(tmp_path, url, advisor_llm_url=llm_url, advisor_llm_key=KEY)
        async with clients as client:
            answer = await (await client.post("/api/v1/advisor", json={
                "message": "15만원 이하 러닝화", "festival": "korea-sale-festa"})).json()
            assert answer["provider"] == "builtin" and answer["cards"]
            assert all(c["product"]["price_max"] <= 150000 for c in answer["cards"])
        dead = make_settings(tmp_path, url, advisor_llm_url="http://127.0.0.1:9/v1", advisor_llm_timeout_s=2)
        async with running_client(dead) as client:
            answer = await (await client.post("/api/v1/advisor", json={
                "message": "러닝화", "festival": "korea-sale-festa"})).json()
            assert answer["provider"] == "builtin" and answer["cards"]


async def _search(client: TestClient[Any, Any], q: str, **params: str) -> Any:
    r = await client.get("/api/v1/festivals/korea-sale-festa/search", params={"q": q, **params})
    return await r.json()
