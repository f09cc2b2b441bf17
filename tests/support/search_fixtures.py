"""The demo festival's stores and catalogs (assets/demo/, variants on) seeded straight through the services, as
``vrstore demo`` does but without images, scenes or history: what search and the advisor tests run on."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from server.demo import _ensure_store, _reissue, demo_festival
from server.persistence.database import Database
from server.services import catalog, festivals
from server.settings import Settings
from storefront_builder.catalog.models import ImportResult
from storefront_builder.catalog.sample import sample_catalog


@dataclass(frozen=True)
class DemoFestival:
    slug: str
    organizer: str
    merchants: dict[str, str]  # store slug → merchant token


async def seed_demo(settings: Settings) -> DemoFestival:
    spec = demo_festival()
    database = Database.connect(settings.effective_database_url)
    try:
        async with database.write() as db:
            festival, organizer = await festivals.create_festival(db, slug=spec.slug, name_ko=spec.name_ko,
                                                                  name_en=spec.name_en)
            now = datetime.now(UTC).replace(microsecond=0)
            festival.starts_at, festival.ends_at = now - timedelta(days=1), now + timedelta(days=14)
            merchants = {}
            for store_spec in spec.stores:
                store = await _ensure_store(db, festival, store_spec)
                merchants[store.slug] = await _reissue(db, festival.id, store.merchant_id)
                products = sample_catalog(store_spec.kind, store_spec.products, prefix=store_spec.sku_prefix,
                                          variants=True)
                await catalog.replace_catalog(db, store, ImportResult(format="json", products=products,
                                                                      rows_read=len(products)))
        return DemoFestival(spec.slug, organizer, merchants)
    finally:
        await database.close()
