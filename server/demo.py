"""The demo festival: *Korea Sale Festa (demo)*, seeded idempotently on the embedded defaults."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import yaml
from rich.console import Console
from rich.progress import Progress
from sqlalchemy import select

from server import pool_jobs
from server.builds import read_plaza_job, read_store_job
from server.domain.layout_choice import template_marker
from server.domain.principal import Role, new_token
from server.persistence import migrate
from server.persistence.database import Database
from server.persistence.tables import ApiToken, Festival, Merchant, Store, utcnow
from server.services import catalog, festivals
from server.settings import Settings
from server.storage import Storage
from storefront_builder.catalog.models import ImportResult
from storefront_builder.catalog.sample import sample_catalog
from storefront_builder.resources import assets_dir

FESTIVAL_FILE = "demo/festival.yaml"  # under assets/: the festival and its stores


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
                    products = sample_catalog(store_spec.kind, store_spec.products, prefix=store_spec.sku_prefix)
                    await catalog.replace_catalog(db, store, ImportResult(format="json", products=products,
                                                                          rows_read=len(products)))
                    store.layout_json = template_marker(store_spec.kind)
        await _build_scenes(settings, database, festival.id, progress)
        return summary
    finally:
        await database.close()


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
