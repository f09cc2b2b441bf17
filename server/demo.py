"""The demo festival: *Korea Sale Festa (demo)*, seeded idempotently on the embedded defaults."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from rich.console import Console
from sqlalchemy import select

from server.auth import Role, new_token
from server.db import migrate
from server.db.engine import make_engine, make_sessionmaker
from server.db.tables import ApiToken, Festival, Merchant, Store, utcnow
from server.services import festivals
from server.services.db import transaction
from server.settings import Settings

FESTIVAL_SLUG = "korea-sale-festa"


@dataclass(frozen=True)
class DemoStore:
    slug: str
    name_ko: str
    name_en: str
    kind: str
    merchant: str


DEMO_STORES = (
    DemoStore("hyundai-dept", "한빛 백화점", "Hanbit Department Store", "department_store", "한빛유통"),
    DemoStore("gwangjang-market", "광장시장 먹거리", "Gwangjang Market Eats", "traditional_market", "광장상인회"),
    DemoStore("seongsu-street", "성수 골목 편집숍", "Seongsu Street Select", "street_district", "성수크루"),
    DemoStore("cu-plaza", "편의점 24", "Convenience 24", "convenience_store", "편의점24"),
)


@dataclass
class DemoSummary:
    festival: str
    organizer_token: str
    merchant_tokens: dict[str, str] = field(default_factory=dict)
    stores: list[str] = field(default_factory=list)


async def seed(settings: Settings, progress: Console | None = None) -> DemoSummary:
    """Create or refresh the demo festival; tokens are re-issued on every run (old ones revoked)."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.effective_database_url)
    try:
        await migrate.upgrade(engine)
        sessionmaker = make_sessionmaker(engine)
        async with transaction(sessionmaker) as db:
            festival = (await db.execute(select(Festival).where(Festival.slug == FESTIVAL_SLUG))).scalar_one_or_none()
            if festival is None:
                festival, _ = await festivals.create_festival(
                    db, slug=FESTIVAL_SLUG, name_ko="코리아 세일 페스타 (데모)", name_en="Korea Sale Festa (demo)"
                )
                now = datetime.now(UTC).replace(microsecond=0)
                festival.starts_at, festival.ends_at = now - timedelta(days=1), now + timedelta(days=14)
            summary = DemoSummary(festival=festival.slug, organizer_token=await _reissue(db, festival.id, None))
            for spec in DEMO_STORES:
                store = await _ensure_store(db, festival, spec)
                summary.stores.append(store.slug)
                summary.merchant_tokens[store.slug] = await _reissue(db, festival.id, store.merchant_id)
        return summary
    finally:
        await engine.dispose()


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
    console.print(f"[bold]Korea Sale Festa (demo)[/bold] at {base}/")
    console.print(f"  API docs:   {base}/api/docs")
    console.print(f"  organizer:  {base}/organizer  token {summary.organizer_token}", soft_wrap=True)
    for slug in summary.stores:
        console.print(f"  store {slug}: {base}/store/{slug}  merchant token {summary.merchant_tokens[slug]}",
                      soft_wrap=True)
