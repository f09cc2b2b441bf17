"""Image fetch jobs in the database: one job per store at a time, the outcome of every URL, and the link from a
catalog image URL to the stored image it was fetched as (what the catalog shows: ``fetched_images``).

The network side (the SSRF guard, the HTTP client, the background task) is ``server/image_fetch/``; this module
knows no HTTP. A fetched image is an ``assets`` row like an upload, stored under its SHA-256 by ``Storage``.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Connection, Select, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from server.contracts.foundation import Names
from server.contracts.image_fetch import ImageFetchOut, ImageFetchResultOut
from server.domain.errors import Conflict, ImageFetchOff
from server.domain.fetch_policy import ACTIVE_STATUSES, OUTCOMES, STATUS_TEXT, JobStatus, Mode, OutcomeCode
from server.persistence.database import Database
from server.persistence.tables import Asset, FetchedImage, ImageFetchJob, ImageFetchResult, Store
from server.persistence.tables import Product as ProductRow

# A running job writes at least every few seconds (each batch of outcomes); one silent this long died with its
# process (a crash, a kill -9), and no longer blocks the store's next job.
STALE_AFTER = timedelta(minutes=15)
URL_SCAN_BATCH = 1_000  # products read per transaction while the job collects its URLs


@dataclass(frozen=True)
class UrlOutcome:
    """How one URL ended. A fetched one carries the stored image (already under its SHA-256 in Storage)."""

    url: str
    code: OutcomeCode
    detail: str = ""
    http_status: int | None = None
    sha256: str | None = None
    media_type: str | None = None
    size: int | None = None


def image_url(store_slug: str, sha256: str) -> str:
    """Where a store's fetched image is served (``GET /api/v1/stores/{s}/images/{sha256}``)."""
    return f"/api/v1/stores/{store_slug}/images/{sha256}"


def _links(store_id: int) -> Select[str, str, str]:
    return (select(FetchedImage.url, FetchedImage.sha256, Store.slug).join(Store, Store.id == FetchedImage.store_id)
            .where(FetchedImage.store_id == store_id))


def fetched_images(conn: Connection, store_id: int) -> dict[str, str]:
    """Every catalog image URL of the store that was fetched → the URL the stored image is served at.

    For the catalog: ``await database.read_sync(fetched_images, store_id)``, or inside an ORM session
    ``await session.run_sync(lambda s: fetched_images(s.connection(), store_id))``."""
    return {url: image_url(slug, sha) for url, sha, slug in conn.execute(_links(store_id))}


async def fetched_images_of(db: AsyncSession, store_id: int, urls: Iterable[str] | None = None) -> dict[str, str]:
    """``fetched_images`` for an async ORM session; with ``urls``, only those (a page of products)."""
    query = _links(store_id)
    if urls is not None:
        wanted = sorted(set(urls))
        if not wanted:
            return {}
        query = query.where(FetchedImage.url.in_(wanted))
    return {url: image_url(slug, sha) for url, sha, slug in await db.execute(query)}


async def stored_image(db: AsyncSession, store: Store, sha256: str) -> Asset | None:
    """The image asset ``sha256`` if one of the store's URLs was fetched as it, else None."""
    linked = await db.scalar(select(FetchedImage.url).where(FetchedImage.store_id == store.id,
                                                            FetchedImage.sha256 == sha256).limit(1))
    return await db.get(Asset, sha256) if linked is not None else None


def product_image_urls(data: Any) -> list[str]:
    """The image URLs of one stored product (``data_json``), its variants' after its own, in position order.
    Upload keys (no ``scheme://``) are not URLs and are left out."""
    found: list[str] = []
    items = [data] if isinstance(data, dict) else []
    variants = data.get("variants") if isinstance(data, dict) else None
    if isinstance(variants, list):
        items += [v for v in variants if isinstance(v, dict)]
    for item in items:
        images = item.get("images")
        if isinstance(images, list):
            found += [i for i in images if isinstance(i, str) and "://" in i]  # as stored: the catalog's key
    return found


async def store_urls(database: Database, store_id: int, *, limit: int, refetch: bool) -> tuple[list[str], int]:
    """The distinct image URLs of the store's active products in catalog order, at most ``limit`` of them, and
    how many more there were. Without ``refetch`` the URLs fetched before are left out.

    Read in batches of short transactions, yielding to the event loop between them: a store may list 100,000
    products, and their JSON is parsed here."""
    async with database.read() as db:
        done = set() if refetch else set(await fetched_images_of(db, store_id))
    urls: dict[str, None] = {}
    extra: set[str] = set()
    after = 0
    while True:
        async with database.read() as db:
            rows = (await db.execute(
                select(ProductRow.id, ProductRow.data_json).where(
                    ProductRow.store_id == store_id, ProductRow.active.is_(True), ProductRow.id > after)
                .order_by(ProductRow.id).limit(URL_SCAN_BATCH))).all()
        for _, data_json in rows:
            try:
                data = json.loads(data_json)
            except ValueError:
                continue
            for url in product_image_urls(data):
                if url in done or url in urls:
                    continue
                if len(urls) < limit:
                    urls[url] = None
                else:
                    extra.add(url)
        if len(rows) < URL_SCAN_BATCH:
            return list(urls), len(extra)
        after = rows[-1][0]
        await asyncio.sleep(0)


async def start_job(db: AsyncSession, store: Store, *, mode: Mode, refetch: bool, now: datetime) -> ImageFetchJob:
    """A new queued job for the store: refused while fetching is off (409 image-fetch-off) or while another job
    of the store is queued or running, in this process or another (409 conflict)."""
    if mode == "off":
        raise ImageFetchOff(
            "this server does not fetch image URLs (VRSTORE_IMAGE_FETCH=off); upload the images instead",
            extra={"detail_ko": STATUS_TEXT["off"][0], "detail_en": STATUS_TEXT["off"][1]})
    await db.execute(update(ImageFetchJob).where(
        ImageFetchJob.store_id == store.id, ImageFetchJob.status.in_(ACTIVE_STATUSES),
        ImageFetchJob.heartbeat_at < now - STALE_AFTER,
    ).values(status="failed", finished_at=now, error="lost: the server process running it stopped"))
    running = await db.scalar(select(ImageFetchJob.id).where(
        ImageFetchJob.store_id == store.id, ImageFetchJob.status.in_(ACTIVE_STATUSES)))
    if running is not None:
        raise _already_running(running)
    job = ImageFetchJob(id=uuid.uuid4().hex, store_id=store.id, status="queued", mode=mode, refetch=refetch,
                        created_at=now, heartbeat_at=now)
    db.add(job)
    try:
        await db.flush()
    except IntegrityError:  # another worker's job got in between (the partial unique index)
        raise _already_running(None) from None
    return job


def _already_running(job_id: str | None) -> Conflict:
    return Conflict("an image fetch of this store is already queued or running; see image-fetches/latest",
                    extra={"job": job_id, "detail_ko": "이 가게의 이미지를 이미 가져오고 있습니다",
                           "detail_en": "An image fetch of this store is already running"})


async def mark_running(db: AsyncSession, job_id: str, *, total: int, skipped: int, now: datetime) -> None:
    await db.execute(update(ImageFetchJob).where(ImageFetchJob.id == job_id).values(
        status="running", total=total, skipped=skipped, started_at=now, heartbeat_at=now))


async def record(db: AsyncSession, job_id: str, store_id: int, outcomes: Sequence[UrlOutcome], now: datetime) -> None:
    """Store a batch of outcomes: the result rows, the fetched images as assets, the URL → image links, and the
    job's progress."""
    if not outcomes:
        return
    await db.execute(insert(ImageFetchResult), [
        {"job_id": job_id, "url": o.url, "outcome": o.code, "detail": o.detail[:500], "http_status": o.http_status,
         "sha256": o.sha256} for o in outcomes])
    fetched = [o for o in outcomes if o.code == "fetched" and o.sha256]
    if fetched:
        upsert = postgresql.insert if db.get_bind().dialect.name == "postgresql" else sqlite.insert
        assets = {o.sha256: {"sha256": o.sha256, "kind": "image", "media_type": o.media_type, "size": o.size,
                             "created_at": now} for o in fetched}
        await db.execute(upsert(Asset).values(list(assets.values())).on_conflict_do_nothing(
            index_elements=[Asset.sha256]))
        links = upsert(FetchedImage).values(
            [{"store_id": store_id, "url": o.url, "sha256": o.sha256, "fetched_at": now} for o in fetched])
        await db.execute(links.on_conflict_do_update(
            index_elements=[FetchedImage.store_id, FetchedImage.url],
            set_={"sha256": links.excluded.sha256, "fetched_at": links.excluded.fetched_at}))
    await db.execute(update(ImageFetchJob).where(ImageFetchJob.id == job_id).values(
        done=ImageFetchJob.done + len(outcomes), heartbeat_at=now))


async def finish(db: AsyncSession, job_id: str, status: JobStatus, *, now: datetime, error: str | None = None) -> None:
    await db.execute(update(ImageFetchJob).where(ImageFetchJob.id == job_id).values(
        status=status, finished_at=now, heartbeat_at=now, error=error))


def _messages(codes: Iterable[str]) -> dict[str, Names]:
    return {code: Names(ko=OUTCOMES[code][0], en=OUTCOMES[code][1])
            for code in sorted(set(codes)) if code in OUTCOMES}


async def latest(db: AsyncSession, store: Store, *, mode: Mode, after: int = 0, limit: int = 100,
                 outcome: str | None = None) -> ImageFetchOut:
    """The store's latest job with its counts and one page of per-URL outcomes (``next``: the cursor of the
    following page), or, with no job, whether fetching is off on this server."""
    job = await db.scalar(select(ImageFetchJob).where(ImageFetchJob.store_id == store.id)
                          .order_by(ImageFetchJob.created_at.desc(), ImageFetchJob.id.desc()).limit(1))
    if job is None:
        status: JobStatus = "off" if mode == "off" else "none"
        ko, en = STATUS_TEXT[status]
        return ImageFetchOut(id=None, store=store.slug, mode=mode, status=status, message=Names(ko=ko, en=en))
    counts = {code: int(n) for code, n in await db.execute(select(ImageFetchResult.outcome, func.count()).where(
        ImageFetchResult.job_id == job.id).group_by(ImageFetchResult.outcome))}
    query = select(ImageFetchResult).where(ImageFetchResult.job_id == job.id, ImageFetchResult.id > after)
    if outcome is not None:
        query = query.where(ImageFetchResult.outcome == outcome)
    rows = list((await db.scalars(query.order_by(ImageFetchResult.id).limit(limit + 1))).all())
    more = len(rows) > limit
    rows = rows[:limit]
    status = cast(JobStatus, job.status)
    ko, en = STATUS_TEXT[status]
    return ImageFetchOut(
        id=job.id, store=store.slug, mode=mode, status=status, message=Names(ko=ko, en=en), refetch=job.refetch,
        created_at=job.created_at, started_at=job.started_at, finished_at=job.finished_at, total=job.total,
        done=job.done, skipped=job.skipped, error=job.error, counts=counts, messages=_messages(counts),
        results=[ImageFetchResultOut(
            url=r.url, outcome=cast(OutcomeCode, r.outcome), detail=r.detail, http_status=r.http_status,
            sha256=r.sha256, image=image_url(store.slug, r.sha256) if r.sha256 else None) for r in rows],
        next=str(rows[-1].id) if more else None)
