"""Search answers kept a moment per worker (server/services/search_answers.py): one computation however many ask
at once, served again for ``keep_s`` and then computed afresh, bounded, never keeping a failure; and through the
API, a repeated search computed once while a merchant's or organizer's change is seen by the next search."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from factories import bearer
from search_fixtures import DemoFestival, seed_demo

from server import keys
from server.domain.errors import NotFound
from server.services.search_answers import Answers
from server.settings import Settings


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


async def test_many_asking_at_once_share_one_computation() -> None:
    answers: Answers[int] = Answers()
    started, release = asyncio.Event(), asyncio.Event()

    async def compute() -> int:
        started.set()
        await release.wait()
        return 42

    waiting = [asyncio.create_task(answers.get("특가", compute)) for _ in range(10)]
    await started.wait()
    release.set()
    assert await asyncio.gather(*waiting) == [42] * 10
    assert answers.computed == 1


async def test_an_answer_is_served_again_for_keep_s_then_computed_afresh() -> None:
    clock = Clock()
    answers: Answers[int] = Answers(keep_s=2.0, clock=clock)
    results = iter(range(1, 10))

    async def compute() -> int:
        return next(results)

    assert await answers.get("q", compute) == 1
    clock.now += 1.9
    assert await answers.get("q", compute) == 1
    clock.now += 0.2  # 2.1 s after it was asked
    assert await answers.get("q", compute) == 2
    assert await answers.get("other", compute) == 3
    answers.clear()
    assert await answers.get("q", compute) == 4


async def test_an_answer_computed_across_a_clear_is_not_kept() -> None:
    answers: Answers[int] = Answers()
    started, release = asyncio.Event(), asyncio.Event()
    results = iter((1, 2))

    async def compute() -> int:
        started.set()
        await release.wait()
        return next(results)

    asking = asyncio.create_task(answers.get("q", compute))
    await started.wait()
    answers.clear()  # the organizer changed a discount while the old prices were being read
    release.set()
    assert await asking == 1  # the one who asked before the change gets what was read
    assert await answers.get("q", compute) == 2  # the next ask reads afresh


async def test_the_least_recently_used_answer_goes_first() -> None:
    answers: Answers[str] = Answers(kept=2)

    def computing(value: str) -> Any:
        async def compute() -> str:
            return value
        return compute

    await answers.get("a", computing("a1"))
    await answers.get("b", computing("b1"))
    await answers.get("a", computing("a2"))  # kept: a is now the most recently used
    await answers.get("c", computing("c1"))  # one too many: b goes
    assert await answers.get("a", computing("a3")) == "a1"
    assert await answers.get("b", computing("b2")) == "b2"


async def test_a_failure_reaches_every_asker_and_is_not_kept() -> None:
    answers: Answers[int] = Answers()
    calls = 0

    async def missing() -> int:
        nonlocal calls
        calls += 1
        raise NotFound("no festival 'x'")

    for _ in range(2):
        with pytest.raises(NotFound):
            await answers.get("x", missing)
    assert calls == 2


async def test_one_asker_giving_up_leaves_the_computation_to_the_others() -> None:
    answers: Answers[int] = Answers()
    started, release = asyncio.Event(), asyncio.Event()

    async def compute() -> int:
        started.set()
        await release.wait()
        return 7

    impatient = asyncio.create_task(answers.get("q", compute))
    patient = asyncio.create_task(answers.get("q", compute))
    await started.wait()
    impatient.cancel()
    release.set()
    assert await patient == 7
    assert impatient.cancelled()


async def test_closing_cancels_what_is_still_computing() -> None:
    answers: Answers[int] = Answers()
    started = asyncio.Event()

    async def forever() -> int:
        started.set()
        await asyncio.Event().wait()
        return 0

    asker = asyncio.create_task(answers.get("q", forever))
    await started.wait()
    await answers.close()
    with pytest.raises(asyncio.CancelledError):
        await asker


@pytest.fixture
async def demo(client: TestClient[Any, Any], settings: Settings) -> DemoFestival:
    return await seed_demo(settings)


async def _search(client: TestClient[Any, Any], demo: DemoFestival, query: str, **params: str) -> Any:
    r = await client.get(f"/api/v1/festivals/{demo.slug}/search", params={"q": query, **params})
    assert r.status == 200, await r.text()
    return await r.json()


async def test_a_repeated_search_is_computed_once_and_staff_changes_are_seen_at_once(
        client: TestClient[Any, Any], demo: DemoFestival) -> None:
    answers = client.app[keys.SEARCH_ANSWERS]
    before = answers.computed
    first = await _search(client, demo, "도시락", store="cu-plaza")
    assert await _search(client, demo, "도시락", store="cu-plaza") == first
    assert answers.computed == before + 1
    # A shopper's write (a cart) leaves the answers; the organizer's discount is seen by the very next search.
    shopper = (await (await client.post("/api/v1/sessions", json={"display_name": "손님"})).json())["token"]
    assert (await client.post("/api/v1/carts", headers=bearer(shopper))).status in (200, 201)
    assert await _search(client, demo, "도시락", store="cu-plaza") == first
    r = await client.put(f"/api/v1/festivals/{demo.slug}/discounts",
                         json={"rules": [{"percent": 50, "category": "간편식"}]}, headers=bearer(demo.organizer))
    assert r.status == 200, await r.text()
    after = await _search(client, demo, "도시락", store="cu-plaza")
    assert after["items"][0]["festival_percent"] == 50
    assert answers.computed == before + 2
