"""Image fetch jobs in the background, owned by the app: started on a merchant's request, cancelled at shutdown.

One job per store at a time (the database says so, across workers); within this process at most
``VRSTORE_IMAGE_FETCH_CONCURRENCY`` URLs are in flight over all jobs. Outcomes are written in batches, which
also moves the job's heartbeat; a fetched body is checked in the quick pool exactly as an uploaded image is
(``services/assets.check_upload``) and stored under its SHA-256 like one.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import aiohttp
from aiohttp import web

from server import keys
from server.contracts.image_fetch import ImageFetchOut
from server.domain.fetch_policy import FetchPolicy, JobStatus, OutcomeCode
from server.image_fetch.fetch import FetchLimits, fetch
from server.image_fetch.guard import TestNetwork, guarded_session
from server.persistence.database import Database
from server.persistence.tables import Store
from server.services import assets
from server.services import image_fetch as records
from server.services.image_fetch import UrlOutcome
from server.settings import Settings
from server.storage import Storage

log = logging.getLogger("vrstore.image_fetch")
FLUSH_EVERY = 25  # outcomes per write
FLUSH_AFTER_S = 1.0  # or sooner, so that progress moves
# The upload check's codes (storefront_builder/assets/report.py) as fetch outcomes.
CHECK_CODES: dict[str, OutcomeCode] = {"too_large": "too_large", "image_too_large": "too_many_pixels",
                                       "decompression_bomb": "too_many_pixels"}

PoolRunner = Callable[..., Awaitable[Any]]


class ImageFetches:
    """The app's image fetch jobs (see the module docstring)."""

    def __init__(self, database: Database, storage: Storage, run_quick: PoolRunner, settings: Settings,
                 test_network: TestNetwork | None = None) -> None:
        self.database = database
        self.storage = storage
        self.run_quick = run_quick
        self.max_urls = settings.image_fetch_max_urls
        self.concurrency = settings.image_fetch_concurrency
        self.policy = FetchPolicy(mode=settings.image_fetch, hosts=tuple(settings.image_fetch_hosts),
                                  trusted=test_network.trusted if test_network else frozenset())
        self.resolver = test_network.resolver if test_network else None
        self.limits = FetchLimits(max_bytes=settings.max_image_bytes, timeout_s=settings.image_fetch_timeout_s,
                                  total_s=settings.image_fetch_total_s,
                                  max_redirects=settings.image_fetch_max_redirects)
        self.slots = asyncio.Semaphore(self.concurrency)  # URLs in flight, over every job of this process
        self.tasks: set[asyncio.Task[None]] = set()
        self.idle = asyncio.Event()
        self.idle.set()

    async def start(self, store: Store, *, refetch: bool) -> ImageFetchOut:
        """Queue a job for the store and start it (409 when fetching is off or one is running)."""
        async with self.database.write() as db:
            job = await records.start_job(db, store, mode=self.policy.mode, refetch=refetch, now=_now())
            job_id = job.id
        task = asyncio.create_task(self._run(job_id, store.id, refetch), name=f"image-fetch-{job_id}")
        self.tasks.add(task)
        self.idle.clear()
        task.add_done_callback(self._done)
        async with self.database.read() as db:
            return await records.latest(db, store, mode=self.policy.mode, limit=1)

    def _done(self, task: asyncio.Task[None]) -> None:
        self.tasks.discard(task)
        if not self.tasks:
            self.idle.set()

    async def close(self) -> None:
        """Cancel every job (each records itself as cancelled) and wait for them."""
        for task in list(self.tasks):
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)

    async def _run(self, job_id: str, store_id: int, refetch: bool) -> None:
        status: JobStatus = "finished"
        error: str | None = None
        try:
            urls, skipped = await records.store_urls(self.database, store_id, limit=self.max_urls, refetch=refetch)
            async with self.database.write() as db:
                await records.mark_running(db, job_id, total=len(urls), skipped=skipped, now=_now())
            batch = _Batch(self.database, job_id, store_id)
            queue = deque(urls)
            async with guarded_session(self.policy, connections=self.concurrency, resolver=self.resolver) as session, \
                    asyncio.TaskGroup() as workers:  # one failing (the database away) stops the others
                for _ in range(min(self.concurrency, len(urls))):
                    workers.create_task(self._worker(session, queue, batch))
            await batch.flush()
        except asyncio.CancelledError:
            await self._finish(job_id, "cancelled", "the server shut down")
            raise
        except Exception as exc:  # a failed job is a result the merchant sees, not a crash
            log.exception("image fetch %s failed", job_id)
            status, error = "failed", f"the fetch stopped ({type(exc).__name__}); the server log has details"
        await self._finish(job_id, status, error)

    async def _finish(self, job_id: str, status: JobStatus, error: str | None) -> None:
        async with self.database.write() as db:
            await records.finish(db, job_id, status, now=_now(), error=error)

    async def _worker(self, session: aiohttp.ClientSession, queue: deque[str], batch: _Batch) -> None:
        while queue:
            url = queue.popleft()
            async with self.slots:
                outcome = await self._one(session, url)
            await batch.add(outcome)

    async def _one(self, session: aiohttp.ClientSession, url: str) -> UrlOutcome:
        try:
            got = await fetch(session, self.policy, url, self.limits, self.storage.tmp)
            if got.upload is None:
                refusal = got.refusal
                assert refusal is not None
                return UrlOutcome(url, refusal.code, refusal.detail, got.http_status)
            try:
                report = await self.run_quick(assets.check_upload, str(got.upload.path), "image")
                if not report.ok:
                    issue = report.errors[0]
                    return UrlOutcome(url, CHECK_CODES.get(issue.code, "not_an_image"), issue.message,
                                      got.http_status)
                self.storage.keep_asset(got.upload)
            finally:
                got.upload.path.unlink(missing_ok=True)
            return UrlOutcome(url, "fetched", f"{report.format} {report.width}×{report.height}, "
                                              f"{got.upload.size:,} bytes", got.http_status, got.upload.sha256,
                              assets.media_type(report), got.upload.size)
        except Exception:  # one URL's bug must not end the job; it is logged and shown as ours
            log.exception("image fetch of %s failed", url)
            return UrlOutcome(url, "error", "the fetch failed on our side")


class _Batch:
    """Outcomes on their way to the database, written every ``FLUSH_EVERY`` or ``FLUSH_AFTER_S``."""

    def __init__(self, database: Database, job_id: str, store_id: int) -> None:
        self.database = database
        self.job_id = job_id
        self.store_id = store_id
        self.pending: list[UrlOutcome] = []
        self.lock = asyncio.Lock()
        self.flushed_at = time.monotonic()

    async def add(self, outcome: UrlOutcome) -> None:
        self.pending.append(outcome)
        if len(self.pending) >= FLUSH_EVERY or time.monotonic() - self.flushed_at >= FLUSH_AFTER_S:
            await self.flush()

    async def flush(self) -> None:
        async with self.lock:
            taken, self.pending = self.pending, []
            self.flushed_at = time.monotonic()
            if taken:
                async with self.database.write() as db:
                    await records.record(db, self.job_id, self.store_id, taken, _now())


def _now() -> datetime:
    return datetime.now(UTC)


def image_fetch_context(test_network: TestNetwork | None = None
                        ) -> Callable[[web.Application], AsyncIterator[None]]:
    """cleanup_ctx: the jobs, cancelled on shutdown (after the database, storage and quick pool exist, and
    before they go)."""

    async def context(app: web.Application) -> AsyncIterator[None]:
        if test_network is not None and test_network.trusted:
            log.warning("image fetch: trusting %s although loopback/private (a test network; never in production)",
                        sorted(test_network.trusted))
        pool = app[keys.QUICK_POOL]

        async def run_quick(fn: Any, *args: Any) -> Any:
            return await asyncio.get_running_loop().run_in_executor(pool, fn, *args)

        manager = ImageFetches(app[keys.DATABASE], app[keys.STORAGE], run_quick, app[keys.SETTINGS], test_network)
        app[keys.IMAGE_FETCHES] = manager
        try:
            yield
        finally:
            await manager.close()

    return context
