"""The demo festival shows recognisable products: most product groups get their photo (attached the way a
merchant's image upload is), the rest are drawn as tinted kit models, and the catalogs have variant groups."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from factories import running_client
from sqlalchemy import select

from server.demo import demo_festival, seed, shows_photo
from server.persistence.database import Database
from server.persistence.tables import Asset, Product, Store
from server.settings import Settings
from server.storage import Storage
from storefront_builder.catalog.sample import COLOR, SIZE, sample_catalog
from storefront_builder.kit_colors import color_rgb


async def test_the_seeded_demo_draws_photos_and_kit_models(sqlite_settings: Settings) -> None:
    summary = await seed(sqlite_settings)
    storage = Storage(sqlite_settings.data_dir)
    database = Database.connect(sqlite_settings.effective_database_url)
    try:
        async with database.read() as db:
            stores = (await db.execute(select(Store).order_by(Store.id))).scalars().all()
            assert [s.slug for s in stores] == summary.stores
            rows = (await db.execute(select(Product.store_id, Product.sku, Product.image_sha256, Product.data_json)
                                     )).all()
            images = {row.image_sha256 for row in rows if row.image_sha256}
            kept = (await db.execute(select(Asset).where(Asset.sha256.in_(images)))).scalars().all()
    finally:
        await database.close()
    with_image = sum(1 for row in rows if row.image_sha256)
    assert 0.6 < with_image / len(rows) < 0.8, "most products, not all, have a photo"
    assert {a.media_type for a in kept} == {"image/jpeg"} and len(kept) == len(images)
    assert all(storage.asset_path(sha).exists() for sha in images)
    for row in rows:  # the choice is the stable one shows_photo makes, group by group
        assert (row.image_sha256 is not None) == shows_photo(_product(row.data_json))
    groups = Counter(json.loads(row.data_json).get("variant_group") for row in rows)
    assert sum(1 for group, n in groups.items() if group and n > 1) > 20, "the catalogs have variant groups"
    for store in stores:
        assert store.scene_hash
        manifest = json.loads(storage.scene_path(store.scene_hash, ".json").read_text(encoding="utf-8"))
        drawn = Counter(p["drawn_as"] for p in manifest["products"].values())
        assert drawn["image"] > drawn["kit"] > 0, (store.slug, drawn)
        assert set(drawn) <= {"image", "kit"}, (store.slug, drawn)

    async with running_client(sqlite_settings) as client:  # a photo is served like an uploaded one
        sku = next(row.sku for row in rows if row.image_sha256)
        store_slug = next(s.slug for s in stores if s.id == next(r.store_id for r in rows if r.sku == sku))
        r = await client.get(f"/api/v1/stores/{store_slug}/products/{sku}/image")
        assert r.status == 200 and r.content_type == "image/jpeg"
        assert (await r.read())[:3] == b"\xff\xd8\xff"
        # The demo stores offer pickup and charge shipping, so the checkout's choices show in the demo.
        slots = await (await client.get(f"/api/v1/stores/{store_slug}/pickup_slots")).json()
        fulfilment = await (await client.get(f"/api/v1/stores/{store_slug}/fulfilment")).json()
    assert slots["slots"], slots
    assert fulfilment["shipping"]["flat_fee"] == 3000 and fulfilment["shipping"]["remote_areas"], fulfilment


def _product(data_json: str) -> Any:
    from storefront_builder.catalog.models import Product as CatalogProduct

    return CatalogProduct.model_validate_json(data_json)


def test_the_demo_catalogs_have_colour_and_size_variants() -> None:
    for store in demo_festival().stores:
        products = sample_catalog(store.kind, store.products, prefix=store.sku_prefix, variants=True)
        assert len(products) == store.products  # the count is rows, variants included
        assert len({p.sku for p in products}) == len(products)
        coloured = [p for p in products if COLOR in p.options]
        if store.kind in ("department_store", "street_district"):
            assert coloured, store.slug
            assert all(color_rgb(p.options[COLOR]) is not None for p in coloured), "colours the kit can tint"
            sized = [p for p in coloured if SIZE in p.options]
            assert {p.options[SIZE] for p in sized} >= {"M", "L"}
            for group in {p.variant_group for p in coloured}:
                members = [p for p in products if p.variant_group == group]
                assert len({tuple(sorted(p.options.items())) for p in members}) == len(members)
                assert len({p.price for p in members}) == 1 and len({p.name_ko for p in members}) == 1
        else:
            assert not coloured and all(p.variant_group is None for p in products)
    assert sample_catalog("department_store", 60, variants=True) == sample_catalog("department_store", 60,
                                                                                   variants=True)
