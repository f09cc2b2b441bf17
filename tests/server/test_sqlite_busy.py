"""SQLite's write lock held by someone else (another worker process, the CLI, a backup): writers wait for it inside
their budget (VRSTORE_SQLITE_BUSY_TIMEOUT_S); past it the answer is 503 with Retry-After, never a 500."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from factories import add_products, bearer, checkout_body, make_settings, make_tenant, running_client

from server.persistence.sqlite_writer import QueueTimeout, SqliteWriter
from server.settings import Settings

PROBLEM = "application/problem+json"


@asynccontextmanager
async def _server(tmp_path: Path, budget_s: float) -> AsyncIterator[tuple[TestClient[Any, Any], Settings, Path]]:
    path = tmp_path / "vrstore.db"
    settings = make_settings(tmp_path, f"sqlite+aiosqlite:///{path}", sqlite_busy_timeout_s=budget_s)
    async with running_client(settings) as client:
        yield client, settings, path


@contextmanager
def _write_lock(path: Path) -> Iterator[sqlite3.Connection]:
    """SQLite's write lock, taken by a connection of our own (as another process would)."""
    other = sqlite3.connect(path, isolation_level=None, timeout=5)
    other.execute("BEGIN IMMEDIATE")
    try:
        yield other
    finally:
        if other.in_transaction:
            other.execute("ROLLBACK")
        other.close()


async def _assert_unavailable(response: Any) -> None:
    assert response.status == 503, await response.text()
    assert response.content_type == PROBLEM
    assert int(response.headers["Retry-After"]) >= 1
    problem = await response.json(content_type=PROBLEM)
    assert problem["type"].endswith("/unavailable") and problem["status"] == 503
    assert "busy" in problem["detail"] and "error_id" not in problem


async def test_a_lock_held_past_the_budget_is_503_with_retry_after(tmp_path: Path) -> None:
    async with _server(tmp_path, budget_s=0.3) as (client, _, path):
        with _write_lock(path):
            started = time.monotonic()
            await _assert_unavailable(await client.post("/api/v1/sessions", json={"display_name": "민지"}))
            assert time.monotonic() - started < 5  # the budget, not SQLite's default ten seconds
            # Writers queued behind the first one are held to the same budget.
            answers = await asyncio.gather(*(client.post("/api/v1/sessions", json={"display_name": f"s{i}"})
                                             for i in range(4)))
            for answer in answers:
                await _assert_unavailable(answer)
        r = await client.post("/api/v1/sessions", json={"display_name": "민지"})
        assert r.status == 201, await r.text()


async def test_a_checkout_past_the_budget_is_503_and_can_be_retried(tmp_path: Path) -> None:
    """The synchronous unit of work (the writer thread's group commit) says the same, and the key stays free."""
    async with _server(tmp_path, budget_s=0.3) as (client, settings, path):
        t = await make_tenant(client, settings)
        await add_products(settings, t.store, [("A", 100, 5)])
        cart = (await (await client.post("/api/v1/carts", headers=bearer(t.shopper))).json())["id"]
        r = await client.post(f"/api/v1/carts/{cart}/lines", json={"store": t.store, "sku": "A", "quantity": 2},
                              headers=bearer(t.shopper))
        assert r.status == 201
        headers = {**bearer(t.shopper), "Idempotency-Key": "k1"}
        with _write_lock(path):
            await _assert_unavailable(await client.post(f"/api/v1/carts/{cart}/checkout", json=checkout_body(),
                                                        headers=headers))
        r = await client.post(f"/api/v1/carts/{cart}/checkout", json=checkout_body(), headers=headers)
        assert r.status == 201, await r.text()
        assert "Idempotent-Replayed" not in r.headers  # the 503 was not stored as the key's answer


async def test_a_short_hold_is_waited_out(tmp_path: Path) -> None:
    async with _server(tmp_path, budget_s=5) as (client, settings, path):
        t = await make_tenant(client, settings)
        await add_products(settings, t.store, [("A", 100, 5)])
        cart = (await (await client.post("/api/v1/carts", headers=bearer(t.shopper))).json())["id"]
        await client.post(f"/api/v1/carts/{cart}/lines", json={"store": t.store, "sku": "A", "quantity": 1},
                          headers=bearer(t.shopper))
        with _write_lock(path) as other:
            asyncio.get_running_loop().call_later(0.3, other.execute, "ROLLBACK")
            started = time.monotonic()
            session, order = await asyncio.gather(
                client.post("/api/v1/sessions", json={"display_name": "민지"}),
                client.post(f"/api/v1/carts/{cart}/checkout", json=checkout_body(),
                            headers={**bearer(t.shopper), "Idempotency-Key": "k"}))
            waited = time.monotonic() - started
        assert session.status == 201, await session.text()
        assert order.status == 201, await order.text()
        assert waited >= 0.25  # they did wait for the lock


async def test_a_unit_given_up_in_the_queue_never_runs(tmp_path: Path) -> None:
    """The caller told 503 can trust that nothing happened: a unit given up before it started is skipped."""
    writer = SqliteWriter(f"sqlite+aiosqlite:///{tmp_path / 'w.db'}", busy_timeout_s=5)
    ran: list[str] = []

    def slow(_conn: Any) -> None:
        time.sleep(0.4)  # holds the writer thread, as a long batch would
        ran.append("slow")

    def quick(_conn: Any) -> str:
        ran.append("quick")
        return "done"

    try:
        first = asyncio.ensure_future(writer.unit(slow))
        await asyncio.sleep(0.05)  # the thread has taken it
        with pytest.raises(QueueTimeout):
            await writer.unit(quick, budget_s=0.1)
        await first
        assert await writer.unit(quick, budget_s=5) == "done"  # the queue moves on
        assert ran == ["slow", "quick"]  # the given-up unit was skipped, the later one ran
    finally:
        writer.close()


async def test_a_cancel_that_meets_the_units_commit_is_not_swallowed(tmp_path: Path) -> None:
    """A periodic task cancelled at shutdown while its unit commits must end: asyncio.wait_for (Python 3.11)
    returned the unit's result instead, the task looped on, and the app's cleanup awaited it forever."""
    writer = SqliteWriter(f"sqlite+aiosqlite:///{tmp_path / 'w.db'}", busy_timeout_s=5)
    loop = asyncio.get_running_loop()
    caller: asyncio.Task[Any] | None = None

    def unit(_conn: Any) -> str:
        assert caller is not None
        # The cancel lands one loop turn after the unit's result, between the result and the caller's wake-up:
        # where wait_for took the finished unit for an answer and dropped the cancel.
        loop.call_soon_threadsafe(loop.call_soon, caller.cancel)
        return "committed"

    try:
        caller = asyncio.ensure_future(writer.unit(unit, budget_s=5))
        with pytest.raises(asyncio.CancelledError):
            await caller
    finally:
        writer.close()
