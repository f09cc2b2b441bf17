"""The search facts' refresh (server/search_watch.py, services/search_facts.py): the running server brings the
facts a merchant's change made stale up to date, search shows the change before that too, and a refresh works
off more stale groups than one batch holds."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from factories import add_products, bearer, make_tenant
from sqlalchemy import Connection, select, text

from server import keys
from server.persistence.database import Database
from server.persistence.tables import Store
from server.search_watch import refresh_once
from server.services import search_facts, search_index
from server.settings import Settings


def _reindex(conn: Connection, store: str) -> None:
    search_index.reindex_store(conn, conn.execute(select(Store.id).where(Store.slug == store)).scalar_one())


def _stocked(conn: Connection) -> dict[str, int]:
    rows = conn.execute(text("SELECT group_key, shelf_stocked FROM search_docs"))
    return {r.group_key: r.shelf_stocked for r in rows}


def _spoil_every_group(conn: Connection) -> None:
    """Every group's facts wrong, and every group stale, in one transaction (the server refreshes meanwhile)."""
    conn.execute(text("UPDATE search_docs SET shelf_stocked = 7"))
    conn.execute(text("INSERT INTO search_stale (store_id, group_key) SELECT store_id, group_key FROM search_docs"))


async def _until(database: Database, check: Any) -> None:
    """Wait for a condition on the database (the refresh runs about once a second), at most 10 s."""
    deadline = time.monotonic() + 10
    while not await database.read_sync(check):
        assert time.monotonic() < deadline, "the facts were not refreshed"
        await asyncio.sleep(0.05)


async def test_the_server_refreshes_the_facts_a_merchant_made_stale(client: TestClient[Any, Any],
                                                                    settings: Settings) -> None:
    t = await make_tenant(client, settings)
    await add_products(settings, t.store, [("A", 1000, 5), ("B", 2000, 1)])
    database = client.server.app[keys.DATABASE]
    await database.unit(_reindex, t.store)
    assert await database.read_sync(_stocked) == {"A": 1, "B": 1}

    r = await client.patch(f"/api/v1/stores/{t.store}/products/B", json={"stock": 0}, headers=bearer(t.merchant))
    assert r.status == 200, await r.text()
    r = await client.get(f"/api/v1/festivals/{t.festival}/search?q=", headers=bearer(t.shopper))
    facets = (await r.json())["facets"]["in_stock"]
    assert {f["value"]: f["count"] for f in facets} == {"true": 1, "false": 1}  # at once, refreshed or not

    await _until(database, lambda conn: _stocked(conn) == {"A": 1, "B": 0})
    await _until(database, lambda conn: not search_facts.any_stale(conn))


async def test_refreshes_work_off_more_stale_groups_than_one_batch_holds(
        client: TestClient[Any, Any], settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    t = await make_tenant(client, settings)
    await add_products(settings, t.store, [(f"P{i}", 1000 + i, i % 2) for i in range(11)])
    database = client.server.app[keys.DATABASE]
    await database.unit(_reindex, t.store)
    await database.unit(_spoil_every_group)
    monkeypatch.setattr(search_facts, "BATCH", 3)
    while await refresh_once(database):  # 3 at a time (the server's own refresh may take some meanwhile)
        pass
    assert await database.read_sync(_stocked) == {f"P{i}": i % 2 for i in range(11)}


async def test_no_groups_is_no_stale_key(client: TestClient[Any, Any], settings: Settings) -> None:
    t = await make_tenant(client, settings)
    database = client.server.app[keys.DATABASE]
    store_id = await database.read_sync(
        lambda conn: conn.execute(select(Store.id).where(Store.slug == t.store)).scalar_one())
    assert await database.read_sync(search_facts.stale_ids, store_id, []) == []
