"""The demo festival: *Korea Sale Festa (demo)*, seeded idempotently on the embedded defaults."""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import time
import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import yaml
from rich.console import Console
from rich.progress import Progress
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server import pool_jobs
from server.builds import read_plaza_job, read_store_job
from server.domain.layout_choice import template_marker
from server.domain.principal import Role, new_token
from server.persistence import migrate
from server.persistence.database import Database
from server.persistence.tables import ApiToken, Festival, Merchant, Product, Store, StoreFulfilment, utcnow
from server.services import analytics_seed, assets, catalog, festivals
from server.settings import Settings
from server.storage import Storage, Upload
from storefront_builder.catalog.models import ImportResult
from storefront_builder.catalog.models import Product as Product_
from storefront_builder.catalog.sample import sample_catalog, sample_image_name
from storefront_builder.resources import assets_dir

FESTIVAL_FILE = "demo/festival.yaml"  # under assets/: the festival and its stores
IMAGES_DIR = "demo/images"  # under assets/: product photos by assets/make_demo_images.py
IMAGE_SHARE = 7  # in 10 product groups show a photo; the rest are drawn as kit models


@dataclass(frozen=True)
class DemoStore:
    slug: str
    name_ko: str
    name_en: str
    kind: str
    merchant: str
    products: int
    sku_prefix: str


@dataclass(frozen=True)
class DemoFestival:
    slug: str
    name_ko: str
    name_en: str
    stores: tuple[DemoStore, ...]


def demo_festival() -> DemoFestival:
    """The demo festival as ``assets/demo/festival.yaml`` describes it."""
    doc = yaml.safe_load((assets_dir() / FESTIVAL_FILE).read_text(encoding="utf-8"))
    return DemoFestival(**doc["festival"], stores=tuple(DemoStore(**store) for store in doc["stores"]))


@dataclass
class DemoSummary:
    festival: str
    organizer_token: str
    merchant_tokens: dict[str, str] = field(default_factory=dict)
    stores: list[str] = field(default_factory=list)


async def seed(settings: Settings, progress: Console | None = None) -> DemoSummary:
    """Create or refresh the demo festival; tokens are re-issued on every run (old ones revoked)."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    spec = demo_festival()
    database = Database.connect(settings.effective_database_url)
    try:
        await migrate.upgrade(database.engine)
        async with database.write() as db:
            festival = (await db.execute(select(Festival).where(Festival.slug == spec.slug))).scalar_one_or_none()
            if festival is None:
                festival, _ = await festivals.create_festival(
                    db, slug=spec.slug, name_ko=spec.name_ko, name_en=spec.name_en
                )
                now = datetime.now(UTC).replace(microsecond=0)
                festival.starts_at, festival.ends_at = now - timedelta(days=1), now + timedelta(days=14)
            summary = DemoSummary(festival=festival.slug, organizer_token=await _reissue(db, festival.id, None))
            for store_spec in spec.stores:
                store = await _ensure_store(db, festival, store_spec)
                summary.stores.append(store.slug)
                summary.merchant_tokens[store.slug] = await _reissue(db, festival.id, store.merchant_id)
                if not await catalog.active_count(db, store):
                    products = sample_catalog(store_spec.kind, store_spec.products, prefix=store_spec.sku_prefix,
                                              variants=True)
                    await catalog.replace_catalog(db, store, ImportResult(format="json", products=products,
                                                                          rows_read=len(products)))
                    await _attach_images(db, Storage(settings.data_dir), store, products)
                    store.layout_json = template_marker(store_spec.kind)
                await _ensure_fulfilment(db, store)
        await _build_scenes(settings, database, festival.id, progress)
        await _seed_history(settings, database, festival.id)
        return summary
    finally:
        await database.close()


def shows_photo(product: Product_) -> bool:
    """Whether the demo gives ``product`` a photo: 7 in 10 variant groups, by a stable hash of the group."""
    return zlib.crc32(product.group.encode("utf-8")) % 10 < IMAGE_SHARE


async def _attach_images(db: AsyncSession, storage: Storage, store: Store, products: list[Product_]) -> None:
    """Give most demo products their photo from ``assets/demo/images``, as a merchant's image upload would:
    the same checks (services/assets.check_upload), content-addressed storage and ``assets.attach``."""
    folder = assets_dir() / IMAGES_DIR
    kept: dict[str, tuple[str, str, int]] = {}  # file name → (sha256, media type, size)
    # Without autoflush: each product lookup would otherwise flush every product changed so far (4 s, not 0.5).
    with db.no_autoflush:
        for product in products:
            if not shows_photo(product):
                continue
            name = sample_image_name(product)
            fresh = name not in kept
            if fresh:
                kept[name] = _keep_image(storage, folder / name)
            sha256, media_type, size = kept[name]
            await assets.attach(db, store, product.sku, "image", sha256=sha256, media_type=media_type, size=size)
            if fresh:
                await db.flush()  # the new Asset row, so the next product's attach finds it


def _keep_image(storage: Storage, source: Path) -> tuple[str, str, int]:
    """Check a demo photo like an upload and keep it at its content address: (sha256, media type, size)."""
    report = assets.check_upload(str(source), "image")
    if not report.ok:
        raise RuntimeError(f"demo image {source.name} was rejected: {report.codes()}")
    data = source.read_bytes()
    fd, tmp = tempfile.mkstemp(dir=storage.tmp, prefix="demo-")
    with os.fdopen(fd, "wb") as out:
        out.write(data)
    upload = Upload(Path(tmp), hashlib.sha256(data).hexdigest(), len(data))
    storage.keep_asset(upload)
    return upload.sha256, assets.media_type(report), upload.size


async def _seed_history(settings: Settings, database: Database, festival_id: int) -> None:
    """Two days of analytics (services/analytics_seed), once: the dashboards have something to show at once."""
    storage = Storage(settings.data_dir)
    async with database.read() as db:
        festival = await db.get(Festival, festival_id)
        assert festival is not None
        stores = (await db.execute(select(Store).where(Store.festival_id == festival_id).order_by(Store.id))
                  ).scalars().all()
        seeds = []
        for i, store in enumerate(stores):
            prices = {sku: price for sku, price in await db.execute(select(Product.sku, Product.price).where(
                Product.store_id == store.id, Product.active).order_by(Product.id).limit(40))}
            manifest = None
            if store.scene_hash and (path := storage.scene_path(store.scene_hash, ".json")).exists():
                manifest = json.loads(path.read_text(encoding="utf-8"))
            products = analytics_seed.products_of(manifest, prices)
            if products:
                seeds.append(analytics_seed.SeedStore(store.slug, products, popularity=1.0 / (1 + 0.3 * i)))
        slug = festival.slug
    async with database.write() as db:
        await analytics_seed.seed_history(db, slug, seeds, time.time())


# The demo stores' fulfilment terms, so the demo offers pickup slots and shows shipping fees: open 10:00–21:00
# every day (the festival's time zone), ₩3,000 delivery, free from ₩50,000, ₩3,000 more to Jeju.
DEMO_HOURS = {day: [["10:00", "21:00"]] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
DEMO_REMOTE_AREAS = [{"first": 63000, "last": 63644, "surcharge": 3000}]  # as services/shipping.py stores them


async def _ensure_fulfilment(db: AsyncSession, store: Store) -> None:
    """Give a demo store its terms once (a merchant's later change is kept)."""
    if await db.get(StoreFulfilment, store.id) is None:
        db.add(StoreFulfilment(store_id=store.id, shipping_flat_fee=3000, shipping_free_over=50_000,
                               remote_areas_json=json.dumps(DEMO_REMOTE_AREAS),
                               opening_hours_json=json.dumps(DEMO_HOURS)))


async def _build_scenes(settings: Settings, database: Database, festival_id: int, console: Console | None) -> None:
    """Build every demo scene whose file is missing (a second run finds them all and builds nothing)."""
    storage = Storage(settings.data_dir)
    async with database.read() as db:
        festival = await db.get(Festival, festival_id)
        assert festival is not None
        query = select(Store).where(Store.festival_id == festival_id).order_by(Store.id)
        stores = (await db.execute(query)).scalars().all()
        todo = [(store.id, await read_store_job(db, store, storage)) for store in stores
                if not (store.scene_hash and storage.scene_path(store.scene_hash, ".glb").exists())]
        plaza_missing = not (festival.plaza_hash and storage.scene_path(festival.plaza_hash, ".glb").exists())
        plaza_args = await read_plaza_job(db, festival, storage)
    if not todo and not plaza_missing:
        return
    with Progress(console=console, transient=True) as bar:
        task = bar.add_task("building demo scenes", total=len(todo) + 1)
        for store_id, job in todo:
            bar.update(task, description=f"building {job.slug}")
            result = pool_jobs.build_store_scene(*job.args("demo"))
            async with database.write() as db:
                row = await db.get(Store, store_id)
                assert row is not None
                row.scene_hash = result["scene_hash"]
            bar.advance(task)
        bar.update(task, description="building the festival plaza")
        plaza_hash = pool_jobs.build_plaza_scene(*plaza_args)
        async with database.write() as db:
            festival = await db.get(Festival, festival_id)
            assert festival is not None
            festival.plaza_hash = plaza_hash
        bar.advance(task)


async def _ensure_store(db: object, festival: Festival, spec: DemoStore) -> Store:
    from sqlalchemy.ext.asyncio import AsyncSession

    assert isinstance(db, AsyncSession)
    store = (await db.execute(select(Store).where(Store.slug == spec.slug))).scalar_one_or_none()
    if store is not None:
        return store
    merchant = Merchant(festival_id=festival.id, name=spec.merchant)
    db.add(merchant)
    await db.flush()
    store = Store(slug=spec.slug, festival_id=festival.id, merchant_id=merchant.id, name_ko=spec.name_ko,
                  name_en=spec.name_en, kind=spec.kind, status="approved", currency="KRW")
    db.add(store)
    await db.flush()
    return store


async def _reissue(db: object, festival_id: int, merchant_id: int | None) -> str:
    from sqlalchemy.ext.asyncio import AsyncSession

    assert isinstance(db, AsyncSession)
    role: Role = "merchant" if merchant_id is not None else "organizer"
    old = await db.execute(
        select(ApiToken).where(ApiToken.festival_id == festival_id, ApiToken.role == role,
                               ApiToken.merchant_id.is_(None) if merchant_id is None
                               else ApiToken.merchant_id == merchant_id,
                               ApiToken.revoked_at.is_(None))
    )
    for token_row in old.scalars():
        token_row.revoked_at = utcnow()
    token, digest = new_token(role)
    db.add(ApiToken(token_hash=digest, role=role, festival_id=festival_id, merchant_id=merchant_id))
    return token


def print_summary(console: Console, settings: Settings, summary: DemoSummary) -> None:
    base = f"http://{settings.host}:{settings.port}"
    console.print(f"[bold]{demo_festival().name_en}[/bold] at {base}/")
    console.print(f"  plaza:      {base}/store/plaza")
    console.print(f"  merchant console: {base}/merchant   organizer console: {base}/organizer")
    console.print(f"  API docs:   {base}/api/docs")
    console.print(f"  organizer:  {base}/organizer  token {summary.organizer_token}", soft_wrap=True)
    for slug in summary.stores:
        console.print(f"  store {slug}: {base}/store/{slug}  merchant token {summary.merchant_tokens[slug]}",
                      soft_wrap=True)
