"""A store's product snapshot: every product on the shelf as the shopper's client needs it, one document per store.

A 100,000-product store (inside the documented catalog limit) is 36 MiB of JSON; built on the event loop it
stalled every request and every live tick for seconds. So the document is

* **read** as one JSON text the database aggregates (on SQLite in the reader thread, which leaves the GIL to
  the loop while SQLite steps),
* **rendered** (prices through the one pricing function, JSON, gzip) in a process of the quick pool,
* **cached** per store and process, gzipped, with an ETag over its content, and rebuilt only when the store's
  catalog fingerprint (product count and latest change, which stock moves update too) or the festival's
  pricing has changed; the fingerprint is looked at most every ``RECHECK_S`` per store,
* **built once** however many ask at the same moment (one build in flight per store; the others await it).

Live stock and price changes reach shoppers in the room as they happen (``product_changed``), so a snapshot
a couple of seconds old is never what a shopper pays.
"""

from __future__ import annotations

import asyncio
import gzip
import hashlib
import json
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, NamedTuple

from sqlalchemy import Connection, Text, cast, func, select
from sqlalchemy.dialects.postgresql import aggregate_order_by

from server.persistence.database import Database
from server.persistence.tables import FetchedImage, Product, on_shelf
from server.persistence.tables import Store as StoreRow
from server.services.catalog import ProductColumns, product_out
from server.services.image_fetch import fetched_images
from server.services.pricing import FestivalPricing, load_pricing_sync

RECHECK_S = 2.0  # how stale a snapshot may be before its fingerprint is looked at again
CACHED_STORES = 64  # snapshots kept per process (least recently used go first)

PoolRunner = Callable[..., Awaitable[Any]]  # run(fn, *args) in a process pool


class StoreRef(NamedTuple):
    """The store as a pool process needs it (picklable)."""

    id: int
    slug: str


_COLUMNS = [getattr(Product, f) for f in ProductColumns._fields]


@dataclass(frozen=True)
class Snapshot:
    gzipped: bytes
    etag: str
    products: int


@dataclass
class _Entry:
    fingerprint: tuple[Any, ...]
    checked_at: float
    snapshot: Snapshot


def read_rows(conn: Connection, store_id: int) -> str:
    """Every product on the shelf (its columns) as ONE JSON array of arrays, built by the database: 100,000 rows
    made into Python tuples here (and pickled to the pool) held the GIL for most of a second; one string is free.
    Hidden products (status other than active) are not in it."""
    active = (Product.store_id == store_id) & on_shelf(Product)
    if conn.dialect.name == "postgresql":
        # cast to text: the driver would otherwise decode the json back into Python lists on the loop's side
        aggregate = func.json_agg(aggregate_order_by(func.json_build_array(*_COLUMNS), Product.id))
        query = select(cast(aggregate, Text)).where(active)
    else:  # SQLite aggregates in the order of an ordered subquery
        rows = select(*_COLUMNS).where(active).order_by(Product.id).subquery()
        query = select(func.json_group_array(func.json_array(*rows.c)))
    return str(conn.execute(query).scalar() or "[]")


def read_document(conn: Connection, store_id: int) -> tuple[str, dict[str, str]]:
    """The rows (``read_rows``) and the store's fetched catalog images, in one read."""
    return read_rows(conn, store_id), fetched_images(conn, store_id)


def fingerprint(conn: Connection, store: StoreRef, festival_id: int) -> tuple[Any, ...]:
    """What the document depends on: the catalog's size and latest change, the images fetched for it, and the
    festival's pricing now."""
    count, latest = conn.execute(select(func.count(), func.max(Product.updated_at))
                                 .where(Product.store_id == store.id)).one()
    images, fetched_at = conn.execute(select(func.count(), func.max(FetchedImage.fetched_at))
                                      .where(FetchedImage.store_id == store.id)).one()
    pricing = load_pricing_sync(conn, festival_id)
    return count, str(latest), images, str(fetched_at), pricing, pricing.window_open(datetime.now(UTC))


def render(store: StoreRef, rows_json: str, pricing: FestivalPricing, fetched: dict[str, str]) -> Snapshot:
    """The document, gzipped (runs in a pool process: pure CPU)."""
    now = datetime.now(UTC)
    products = [product_out(store, ProductColumns(*row), pricing, now, fetched=fetched).model_dump(mode="json")
                for row in json.loads(rows_json)]
    raw = json.dumps({"store": store.slug, "generated_at": now.isoformat(), "products": products},
                     ensure_ascii=False, separators=(",", ":")).encode()
    return Snapshot(gzip.compress(raw, compresslevel=6), f'"{hashlib.sha256(raw).hexdigest()[:24]}"', len(products))


class ProductSnapshots:
    """The per-process cache of snapshots; ``get`` answers from it or builds (once) what changed."""

    def __init__(self, database: Database, run_in_pool: PoolRunner, *, recheck_s: float = RECHECK_S) -> None:
        self._database = database
        self._run = run_in_pool
        self.recheck_s = recheck_s
        self.builds = 0  # documents rendered (for tests and metrics)
        self._entries: OrderedDict[int, _Entry] = OrderedDict()
        self._building: dict[int, asyncio.Task[Snapshot]] = {}

    async def get(self, store: StoreRow) -> Snapshot:
        ref = StoreRef(store.id, store.slug)
        entry = self._entries.get(ref.id)
        if entry is not None:
            self._entries.move_to_end(ref.id)
            if time.monotonic() - entry.checked_at < self.recheck_s:
                return entry.snapshot
        seen = await self._database.read_sync(fingerprint, ref, store.festival_id)
        if entry is not None and entry.fingerprint == seen:
            entry.checked_at = time.monotonic()
            return entry.snapshot
        task = self._building.get(ref.id)
        if task is None:
            task = asyncio.create_task(self._build(ref, seen), name=f"snapshot-{ref.slug}")
            self._building[ref.id] = task
            task.add_done_callback(lambda _: self._building.pop(ref.id, None))
        # shield: a shopper who gives up does not cancel the build the others are waiting for
        return await asyncio.shield(task)

    async def _build(self, ref: StoreRef, seen: tuple[Any, ...]) -> Snapshot:
        self.builds += 1
        rows, fetched = await self._database.read_sync(read_document, ref.id)
        snapshot: Snapshot = await self._run(render, ref, rows, seen[-2], fetched)
        self._entries[ref.id] = _Entry(seen, time.monotonic(), snapshot)
        while len(self._entries) > CACHED_STORES:
            self._entries.popitem(last=False)
        return snapshot

    async def close(self) -> None:
        """Cancel builds still running (shutdown)."""
        tasks = list(self._building.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
