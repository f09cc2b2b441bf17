"""The quick pool: one process for short CPU work that must never wait behind a scene build or a big import.

Scene builds and catalog imports take seconds to minutes in the build pool; rendering a store's product snapshot,
validating an uploaded image or model, parsing a layout and fitting the load forecast take milliseconds to a
second. Sharing one pool made a merchant's 11 KB image wait for another merchant's 100,000-row import; here the
short jobs have a lane of their own.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
from collections.abc import AsyncIterator
from concurrent.futures import ProcessPoolExecutor
from typing import Any

from aiohttp import web

from server import keys, pool_jobs
from server.services.product_snapshots import ProductSnapshots


async def quick_pool_context(app: web.Application) -> AsyncIterator[None]:
    """cleanup_ctx: the pool and the product snapshots it renders, torn down on shutdown."""
    # forkserver, as for the build pool: forking the running loop's process would copy its threads and sockets.
    pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("forkserver"),
                               initializer=pool_jobs.follow_server, initargs=(os.getpid(),))

    async def run(fn: Any, *args: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(pool, fn, *args)

    await run(pool_jobs.ready)  # start it now, before traffic: spawning blocks whoever submits first
    app[keys.QUICK_POOL] = pool
    app[keys.SNAPSHOTS] = ProductSnapshots(app[keys.DATABASE], run)
    try:
        yield
    finally:
        await app[keys.SNAPSHOTS].close()
        pool.shutdown(wait=False, cancel_futures=True)
