"""Migration 0006 on a database that already has a catalog and carts (SQLite and PostgreSQL): every product becomes
its own group (or the variant group its stored data names) with status 'active', and existing carts still read,
price and check out against the same rows."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from factories import database_url
from sqlalchemy import Connection

from server.persistence import migrate
from server.persistence.engine import make_engine
from server.persistence.tables import UtcDateTime
from server.services.cart_view import load_lines_sync

NOW = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)


def _t(name: str, *columns: tuple[str, Any]) -> sa.TableClause:
    return sa.table(name, *(sa.column(column, kind) for column, kind in columns))


TEXT, INT, WHEN = sa.String(), sa.Integer(), UtcDateTime()
FESTIVALS = _t("festivals", ("id", INT), ("slug", TEXT), ("name_ko", TEXT), ("name_en", TEXT), ("timezone", TEXT),
               ("instance_capacity", INT), ("created_at", WHEN))
MERCHANTS = _t("merchants", ("id", INT), ("festival_id", INT), ("name", TEXT), ("created_at", WHEN))
STORES = _t("stores", ("id", INT), ("slug", TEXT), ("festival_id", INT), ("merchant_id", INT), ("name_ko", TEXT),
            ("name_en", TEXT), ("kind", TEXT), ("status", TEXT), ("currency", TEXT), ("created_at", WHEN))
SESSIONS = _t("shopper_sessions", ("id", INT), ("display_name", TEXT), ("locale", TEXT), ("created_at", WHEN))
PRODUCTS = _t("products", ("id", INT), ("store_id", INT), ("sku", TEXT), ("name_ko", TEXT), ("category", TEXT),
              ("price", sa.BigInteger()), ("currency", TEXT), ("stock", INT), ("active", sa.Boolean()),
              ("data_json", TEXT), ("updated_at", WHEN))
CARTS = _t("carts", ("id", INT), ("share_code", TEXT), ("owner_session_id", INT), ("status", TEXT), ("version", INT),
           ("festival_id", INT), ("currency", TEXT), ("created_at", WHEN), ("updated_at", WHEN))
MEMBERS = _t("cart_members", ("cart_id", INT), ("session_id", INT), ("joined_at", WHEN))
LINES = _t("cart_lines", ("id", INT), ("cart_id", INT), ("product_id", INT), ("quantity", INT), ("added_by", INT),
           ("created_at", WHEN))


def _seed(conn: Connection) -> None:
    conn.execute(sa.insert(FESTIVALS).values(id=1, slug="fest", name_ko="축제", name_en="Fest", timezone="Asia/Seoul",
                                             instance_capacity=100, created_at=NOW))
    conn.execute(sa.insert(MERCHANTS).values(id=1, festival_id=1, name="m", created_at=NOW))
    conn.execute(sa.insert(STORES).values(id=1, slug="shop", festival_id=1, merchant_id=1, name_ko="가게",
                                          name_en="Shop", kind="convenience_store", status="approved", currency="KRW",
                                          created_at=NOW))
    conn.execute(sa.insert(SESSIONS).values(id=1, display_name="민지", locale="ko", created_at=NOW))
    tee = {"sku": "TEE-S", "name_ko": "티", "price": {"amount": 1000, "currency": "KRW"}, "variant_group": "TEE"}
    conn.execute(sa.insert(PRODUCTS), [
        {"id": 1, "store_id": 1, "sku": "CUP", "name_ko": "컵", "category": "", "price": 500, "currency": "KRW",
         "stock": 3, "active": True, "data_json": "{}", "updated_at": NOW},
        {"id": 2, "store_id": 1, "sku": "TEE-S", "name_ko": "티", "category": "", "price": 1000, "currency": "KRW",
         "stock": 4, "active": True, "data_json": json.dumps(tee, ensure_ascii=False), "updated_at": NOW},
        {"id": 3, "store_id": 1, "sku": "OLD", "name_ko": "옛것", "category": "", "price": 700, "currency": "KRW",
         "stock": 1, "active": False, "data_json": "{}", "updated_at": NOW},
    ])
    conn.execute(sa.insert(CARTS).values(id=1, share_code="ABCDEF", owner_session_id=1, status="open", version=3,
                                         festival_id=1, currency="KRW", created_at=NOW, updated_at=NOW))
    conn.execute(sa.insert(MEMBERS).values(cart_id=1, session_id=1, joined_at=NOW))
    conn.execute(sa.insert(LINES), [
        {"id": 1, "cart_id": 1, "product_id": 1, "quantity": 2, "added_by": 1, "created_at": NOW},
        {"id": 2, "cart_id": 1, "product_id": 2, "quantity": 1, "added_by": 1, "created_at": NOW},
        {"id": 3, "cart_id": 1, "product_id": 3, "quantity": 1, "added_by": 1, "created_at": NOW},
    ])


def _after(conn: Connection) -> tuple[list[Any], list[Any]]:
    rows = conn.execute(sa.text("SELECT sku, group_key, status FROM products ORDER BY id")).all()
    lines = load_lines_sync(conn, 1)
    return [tuple(r) for r in rows], [(line.sku, line.quantity, line.active) for line in lines]


async def test_0006_upgrades_a_database_with_carts(backend: str, tmp_path: Path) -> None:
    async with database_url(backend, tmp_path, migrated=False) as url:
        engine = make_engine(url)
        try:
            await migrate.upgrade(engine, "0005")
            async with engine.begin() as conn:
                await conn.run_sync(_seed)
            await migrate.upgrade(engine, "0006")
            async with engine.connect() as conn:
                products = (await conn.execute(sa.text(
                    "SELECT sku, group_key, status FROM products ORDER BY id"))).all()
            assert [tuple(r) for r in products] == [
                ("CUP", "CUP", "active"), ("TEE-S", "TEE", "active"), ("OLD", "OLD", "active")]
            await migrate.downgrade(engine, "0005")
            async with engine.connect() as conn:
                left = (await conn.execute(sa.text("SELECT count(*) FROM cart_lines"))).scalar_one()
            assert left == 3  # going back drops the columns, never the lines that point at the products
            await migrate.upgrade(engine)  # and on to the newest schema, as a server start would
            async with engine.connect() as conn:
                products, lines = await conn.run_sync(_after)
            assert products == [("CUP", "CUP", "active"), ("TEE-S", "TEE", "active"), ("OLD", "OLD", "active")]
            # The cart reads as before; the product a replacement dropped is still the one checkout refuses.
            assert lines == [("CUP", 2, True), ("TEE-S", 1, True), ("OLD", 1, False)]
        finally:
            await engine.dispose()
