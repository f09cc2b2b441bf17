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
    sessionmaker: async_sessionmaker[Any], *, immediate: bool = False
) -> AsyncIterator[AsyncSession]:
    """A session inside one transaction; ``immediate`` takes SQLite's write lock at BEGIN."""
    async with sessionmaker() as session, session.begin():
        if immediate:
            # Options given here apply before SQLAlchemy emits BEGIN (see db.engine's begin hook).
            await session.connection(execution_options={"sqlite_begin": "IMMEDIATE"})
        yield session


def sessionmaker_of(request: web.Request) -> async_sessionmaker[Any]:
    return request.app[keys.SESSIONMAKER]
