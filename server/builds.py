"""Scene builds in a process pool: queued → running → succeeded | failed, with live progress.

The manager owns the pool, the progress reader and every build task; all are cancelled or shut down with
the app. A semaphore bounds concurrent builds so a burst of merchant rebuilds cannot starve the machine.
"""

from __future__ import annotations

import asyncio
import json
import logging
import multiprocessing
import os
import uuid
from collections.abc import AsyncIterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from aiohttp import web
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server import keys, pool_jobs
from server.domain.events import ScenePublished
from server.domain.layout_choice import read_layout_choice
from server.fair_slots import FairSlots
from server.persistence.tables import Asset, Build, Festival, FetchedImage, Store, on_shelf
from server.persistence.tables import Product as ProductRow
from server.storage import Storage

log = logging.getLogger("vrstore.builds")
BUILDER_MODULES = ("server.pool_jobs", "storefront_builder.build", "storefront_builder.catalog.importer",
                   "storefront_builder.assets.validate", "storefront_builder.layout.auto")


class BuildManager:
    def __init__(self, app: web.Application, pool: ProcessPoolExecutor, progress: Any, limit: int) -> None:
        self.app = app
        self.pool = pool
        self.progress_queue = progress
        self.live: dict[str, tuple[int, str]] = {}  # build id → (percent, step) while running
        self.tasks: set[asyncio.Task[None]] = set()
        # Builds and catalog imports share the pool's processes, taken in fair turns per merchant.
        self.slots = FairSlots(limit)
        self.idle = asyncio.Event()
        self.idle.set()

    async def enqueue(self, store: Store) -> Build:
        async with self.app[keys.DATABASE].write() as db:
            build = Build(id=uuid.uuid4().hex, store_id=store.id, status="queued", progress=0)
            db.add(build)
        task = asyncio.create_task(self._run(build.id, store.id, store.merchant_id), name=f"build-{build.id}")
        self.tasks.add(task)
        self.idle.clear()
        task.add_done_callback(self._done)
        return build

    def enqueue_plaza(self, festival_id: int) -> None:
        """Rebuild the festival plaza (its portals follow the approved stores) in the background."""
        task = asyncio.create_task(self._run_plaza(festival_id), name=f"plaza-{festival_id}")
        self.tasks.add(task)
        self.idle.clear()
        task.add_done_callback(self._done)

    async def _run_plaza(self, festival_id: int) -> None:
        database = self.app[keys.DATABASE]
        async with self.slots.turn(("plaza", festival_id)):
            async with database.read() as db:
                festival = await db.get(Festival, festival_id)
                if festival is None:
                    return
                args = await read_plaza_job(db, festival, self.app[keys.STORAGE])
            try:
                plaza_hash = await asyncio.get_running_loop().run_in_executor(
                    self.pool, pool_jobs.build_plaza_scene, *args)
            except Exception:
                log.exception("plaza build failed for festival %s", festival_id)
                return
            async with database.write() as db:
                festival = await db.get(Festival, festival_id)
                if festival is not None:
                    festival.plaza_hash = plaza_hash
        # The plaza has no store row; its live room is keyed by the festival (see realtime).
        await self.app[keys.EVENTS].publish(ScenePublished(store="plaza", scene=plaza_hash, festival=args[0]))

    def _done(self, task: asyncio.Task[None]) -> None:
        self.tasks.discard(task)
        if not self.tasks:
            self.idle.set()

    async def _run(self, build_id: str, store_id: int, merchant_id: int) -> None:
        database = self.app[keys.DATABASE]
        storage = self.app[keys.STORAGE]
        metrics = self.app[keys.METRICS]
        async with self.slots.turn(merchant_turn(merchant_id)):
            try:
                async with database.write() as db:
                    store = await db.get(Store, store_id)
                    build = await db.get(Build, build_id)
                    assert store is not None and build is not None
                    build.status, build.started_at = "running", datetime.now(UTC)
                    job = await read_store_job(db, store, storage)
                loop = asyncio.get_running_loop()
                result = await loop.run_in_executor(self.pool, pool_jobs.build_store_scene, *job.args(build_id))
            except asyncio.CancelledError:
                await self._finish(build_id, "failed", error="cancelled: the server shut down")
                raise
            except Exception as exc:  # a failed build is a result the merchant sees, not a crash
                log.warning("build %s failed: %s", build_id, exc)
                metrics.builds.labels("failed").inc()
                await self._finish(build_id, "failed", error=_describe(exc))
                return
            finally:
                self.live.pop(build_id, None)
            metrics.builds.labels("succeeded").inc()
            store_slug = await self._finish(build_id, "succeeded", result=result, store_id=store_id)
            await self.app[keys.EVENTS].publish(
                ScenePublished(store=store_slug, scene=result["scene_hash"], store_id=store_id))

    async def _finish(self, build_id: str, status: str, *, error: str | None = None,
                      result: dict[str, Any] | None = None, store_id: int | None = None) -> str:
        async with self.app[keys.DATABASE].write() as db:
            build = await db.get(Build, build_id)
            assert build is not None
            build.status, build.finished_at, build.error = status, datetime.now(UTC), error
            slug = ""
            if result is not None:
                build.progress, build.step = 100, None
                build.scene_hash = result["scene_hash"]
                build.report_json = json.dumps(result["report"])
                store = await db.get(Store, store_id)
                if store is not None:
                    store.scene_hash = result["scene_hash"]  # the atomic switch: one row, one commit
                    slug = store.slug
            return slug

    async def read_progress(self) -> None:
        """Drain the workers' progress queue in a thread (queue.get blocks) into ``live``, until STOP_READING.

        A blocking get without a timeout: no wake-ups while nothing is built, and shutdown wakes the thread
        at once with the sentinel instead of waiting out a poll interval (loop close waits for the thread).
        """
        while (item := await asyncio.to_thread(self.progress_queue.get)) is not STOP_READING:
            build_id, percent, step = item
            self.live[build_id] = (percent, step)


def merchant_turn(merchant_id: int) -> tuple[str, int]:
    """Whose turn a merchant's build or import is (one owner per merchant, all its stores together)."""
    return ("merchant", merchant_id)


STOP_READING = None  # put on the progress queue at shutdown; workers only ever put (build id, percent, step)


@dataclass(frozen=True)
class StoreJob:
    """What a store build needs, read in one transaction: the pool job's arguments but the build id."""

    product_rows: list[tuple[str, str | None, str | None]]  # (catalog JSON, model sha256, image sha256)
    layout: Any
    kind: str
    slug: str
    name: str
    asset_paths: dict[str, str]
    scenes_dir: str
    fetched: dict[str, str]  # catalog image URL → sha256 of the image the server fetched for it

    def args(self, build_id: str) -> tuple[Any, ...]:
        return (build_id, self.product_rows, self.layout, self.kind, self.slug, self.name, self.asset_paths,
                self.scenes_dir, self.fetched)


async def read_store_job(db: AsyncSession, store: Store, storage: Storage) -> StoreJob:
    """The one way a store's build inputs are read (the build manager's and the demo's)."""
    # Plain tuples: a 100,000-product store's rows are parsed in the pool process, not here on the loop.
    # Only what shoppers may see goes on a shelf; a product's variants all come along (the first one in catalog
    # order takes the product's one slot, the builder groups them).
    query = (select(ProductRow.data_json, ProductRow.model_sha256, ProductRow.image_sha256)
             .where(ProductRow.store_id == store.id, on_shelf(ProductRow)).order_by(ProductRow.id))
    product_rows = [(data, model, image) for data, model, image in await db.execute(query)]
    # A product with no uploaded image shows the first of its catalog images the server fetched, if any.
    fetched = {url: sha for url, sha in await db.execute(select(FetchedImage.url, FetchedImage.sha256)
                                                        .where(FetchedImage.store_id == store.id))}
    asset_paths = {sha: str(storage.asset_path(sha)) for _, model, image in product_rows
                   for sha in (model, image) if sha}
    asset_paths.update({sha: str(storage.asset_path(sha)) for sha in fetched.values()})
    known = set((await db.execute(select(Asset.sha256).where(
        Asset.sha256.in_(list(asset_paths) or [""])))).scalars())
    asset_paths = {k: v for k, v in asset_paths.items() if k in known}
    # A template (or no choice) is laid out from the catalog at build time; custom is used as is.
    choice = read_layout_choice(store.layout_json, store.kind)
    fetched = {url: sha for url, sha in fetched.items() if sha in known}
    return StoreJob(product_rows, choice.layout, choice.template or store.kind, store.slug, store.name_ko,
                    asset_paths, str(storage.scenes), fetched)


async def read_plaza_job(db: AsyncSession, festival: Festival, storage: Storage) -> tuple[Any, ...]:
    """The festival plaza's build arguments: its portals lead to the approved stores."""
    query = select(Store.slug, Store.name_ko).where(Store.festival_id == festival.id,
                                                    Store.status == "approved").order_by(Store.id)
    stores = [(slug, name) for slug, name in (await db.execute(query)).all()]
    return (festival.slug, festival.name_ko, stores, str(storage.scenes))


def _describe(exc: BaseException) -> str:
    from storefront_builder.errors import BuilderError

    if isinstance(exc, BuilderError):
        return str(exc)
    return f"the build failed ({type(exc).__name__}); the server log has details"




async def build_context(app: web.Application) -> AsyncIterator[None]:
    """cleanup_ctx: the process pool, the progress reader and the build tasks, all torn down on shutdown."""
    settings = app[keys.SETTINGS]
    app[keys.STORAGE] = Storage(settings.data_dir)
    # forkserver: forking the running event loop's process would copy its threads and sockets.
    context = multiprocessing.get_context("forkserver")
    # The fork server imports the builder once; every pool worker forked from it starts with it loaded (else
    # each new worker spends ~0.5 s of CPU importing numpy and trimesh before its first build).
    context.set_forkserver_preload(list(BUILDER_MODULES))
    progress = context.Queue()
    pool = ProcessPoolExecutor(max_workers=settings.build_workers, mp_context=context,
                               initializer=pool_jobs.init_worker, initargs=(progress, os.getpid()))
    # Start the fork server and the workers now, before traffic: spawning blocks whoever submits first.
    await asyncio.get_running_loop().run_in_executor(pool, pool_jobs.ready)
    manager = BuildManager(app, pool, progress, settings.build_workers)
    app[keys.BUILD_POOL] = pool
    app[keys.BUILDS] = manager
    reader = asyncio.create_task(manager.read_progress(), name="build-progress")
    try:
        yield
    finally:
        progress.put(STOP_READING)  # wakes the reader's thread; the task ends with it
        reader.cancel()
        for task in list(manager.tasks):
            task.cancel()
        await asyncio.gather(reader, *manager.tasks, return_exceptions=True)
        pool.shutdown(wait=False, cancel_futures=True)
        progress.close()
        progress.cancel_join_thread()
