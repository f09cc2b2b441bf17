"""Write transactions for carts, checkout and orders, and small helpers they share.

SQLite allows one writer at a time. ``BEGIN IMMEDIATE`` makes writers queue instead of failing at COMMIT,
but the queueing happens in SQLite's busy handler, which sleeps in steps of up to 100 ms: under a burst of
checkouts that sleep, not the work, would set the p99. So inside one process writers also queue on an
``asyncio.Lock`` (fair, no sleeping) and only contend in SQLite with other processes (the CLI). PostgreSQL
needs no such lock: row locks and conditional updates serialise exactly what conflicts.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from server.domain.events import Event
from server.events import EventHooks
from server.services.db import transaction

# asyncio.Lock binds to a loop only when first contended, so one per sessionmaker (one app) is right.
_WRITE_LOCKS: weakref.WeakKeyDictionary[async_sessionmaker[Any], asyncio.Lock] = weakref.WeakKeyDictionary()


def is_sqlite(sessionmaker: async_sessionmaker[Any]) -> bool:
    bind = sessionmaker.kw.get("bind")
    return bind is not None and bind.dialect.name == "sqlite"


@asynccontextmanager
async def write_transaction(sessionmaker: async_sessionmaker[Any]) -> AsyncIterator[AsyncSession]:
    """One write transaction: ``BEGIN IMMEDIATE`` on SQLite behind the process's writer queue."""
    if not is_sqlite(sessionmaker):
        async with transaction(sessionmaker) as db:
            yield db
        return
    async with writer_lock(sessionmaker), transaction(sessionmaker, immediate=True) as db:
        yield db


def writer_lock(sessionmaker: async_sessionmaker[Any]) -> asyncio.Lock:
    """The process's queue of SQLite writers (one per app)."""
    lock = _WRITE_LOCKS.get(sessionmaker)
    if lock is None:
        lock = _WRITE_LOCKS[sessionmaker] = asyncio.Lock()
    return lock


async def publish(hooks: EventHooks, events: list[Event]) -> None:
    """Deliver events once their transaction has committed (never before: a rollback must not be seen)."""
    for event in events:
        await hooks.publish(event)
