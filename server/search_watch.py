"""The search facts' refresh: about once a second, recompute the shelf facts of up to 2,000 product groups
changed since (services/search_facts.py), in one short write.

Search is exact without it (it reads a stale group's variants); the refresh keeps broad searches fast. A
failed refresh (the database away, two workers' refreshes colliding on PostgreSQL) is logged and tried again:
nothing is lost, the keys stay until a refresh succeeds.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator

from aiohttp import web

from server import keys
from server.owned_task import owned_task
from server.persistence.database import Database
from server.services import search_facts

log = logging.getLogger(__name__)
EVERY_S = 1.0


async def refresh_once(database: Database) -> int:
    """One batch of stale groups (at most ``search_facts.BATCH``); returns how many stale keys it read."""
    if not await database.read_sync(search_facts.any_stale):  # the usual second: a read, no write
        return 0
    n: int = await database.unit(search_facts.refresh_stale)
    return n


async def _refresh_forever(database: Database) -> None:
    # One batch a second, never more: a catalog swap marks every changed group stale at once (100,000 rows for
    # a big store), and a refresh looping through them would hold the writer the import's own index rebuild
    # needs; that rebuild clears the keys of the groups it indexes anyway.
    while True:
        await asyncio.sleep(EVERY_S)
        try:
            await refresh_once(database)
        except Exception:
            log.warning("refreshing search facts failed; trying again", exc_info=True)


async def search_watch_context(app: web.Application) -> AsyncIterator[None]:
    """cleanup_ctx, after the database: the refresh task, owned by the app and cancelled on shutdown."""
    async with owned_task(_refresh_forever(app[keys.DATABASE]), "search-facts"):
        yield
