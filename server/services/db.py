"""Unit-of-work helpers shared by services."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from server import keys


@asynccontextmanager
async def transaction(
    sessionmaker: async_sessionmaker[Any], *, immediate: bool = True
) -> AsyncIterator[AsyncSession]:
    """A session inside one writing transaction.

    On SQLite a writer takes the write lock at BEGIN (IMMEDIATE). A deferred transaction that reads and
    then writes can fail at once with SQLITE_BUSY in WAL mode when another writer committed in between
    (the busy timeout does not apply to that upgrade), so every writer starts IMMEDIATE and queues on the
    busy timeout instead. PostgreSQL ignores the option.
    """
    async with sessionmaker() as session, session.begin():
        if immediate:
            # Options given here apply before SQLAlchemy emits BEGIN (see db.engine's begin hook).
            await session.connection(execution_options={"sqlite_begin": "IMMEDIATE"})
        yield session


def reading(sessionmaker: async_sessionmaker[Any]) -> Any:
    """A read-only transaction: deferred, so readers never wait for SQLite's write lock."""
    return transaction(sessionmaker, immediate=False)


def sessionmaker_of(request: web.Request) -> async_sessionmaker[Any]:
    return request.app[keys.SESSIONMAKER]
