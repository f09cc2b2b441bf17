"""Migrations run unchanged on SQLite and PostgreSQL, both ways, and match the ORM tables."""

from __future__ import annotations

from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from factories import database_url
from sqlalchemy import Connection, inspect

from server.persistence import migrate
from server.persistence.engine import make_engine
from server.persistence.tables import Base


def _not_fts(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
    """SQLite's FTS5 search table and its shadow tables (migration 0010) have no ORM table by design."""
    return not (type_ == "table" and name is not None and name.startswith("search_fts"))


def _diff(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": True, "include_object": _not_fts})
    return list(compare_metadata(context, Base.metadata))


def _tables(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names())


async def test_upgrade_downgrade_upgrade(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        await migrate.upgrade(engine)
        assert await migrate.current_revision(engine) == migrate.head_revision()
        async with engine.connect() as conn:
            assert {"festivals", "stores", "api_tokens", "products"} <= await conn.run_sync(_tables)
            assert await conn.run_sync(_diff) == []
        await migrate.downgrade(engine, "base")
        async with engine.connect() as conn:
            assert await conn.run_sync(_tables) <= {"alembic_version"}
        await migrate.upgrade(engine)
        await migrate.upgrade(engine)  # idempotent
        assert await migrate.current_revision(engine) == migrate.head_revision()
    finally:
        await engine.dispose()


async def test_sqlite_runs_in_wal_mode_with_a_busy_timeout(sqlite_settings: Any) -> None:
    from sqlalchemy import text

    engine = make_engine(sqlite_settings.effective_database_url)
    sqlite_settings.data_dir.mkdir(parents=True, exist_ok=True)
    try:
        async with engine.connect() as conn:
            assert (await conn.execute(text("PRAGMA journal_mode"))).scalar() == "wal"
            assert (await conn.execute(text("PRAGMA busy_timeout"))).scalar() >= 5000
            assert (await conn.execute(text("PRAGMA foreign_keys"))).scalar() == 1
    finally:
        await engine.dispose()


@pytest.mark.postgres
async def test_a_burst_wider_than_the_pool_waits_for_connections_instead_of_opening_backends(tmp_path: Any) -> None:
    """PostgreSQL: a fixed pool of ``pool_size`` connections; 12 concurrent queries on a pool of 3 all succeed
    on the same 3 backends (an overflow connection would be closed on return and a new backend forked)."""
    import asyncio

    from sqlalchemy import text

    async with database_url("postgres", tmp_path) as url:
        engine = make_engine(url, pool_size=3)
        try:
            async def backend_pid() -> int:
                async with engine.connect() as conn:
                    pid = (await conn.execute(text("SELECT pg_backend_pid() FROM pg_sleep(0.05)"))).scalar_one()
                    return int(pid)

            pids = await asyncio.gather(*(backend_pid() for _ in range(12)))
            assert len(set(pids)) <= 3
            assert engine.pool.checkedout() == 0  # type: ignore[attr-defined]
        finally:
            await engine.dispose()


@pytest.mark.postgres
async def test_the_pool_replaces_a_connection_the_server_killed(tmp_path: Any) -> None:
    """After pg_terminate_backend (a database restart, a failover) the next checkout from the pool gets a live
    connection instead of an error: the pre-ping notices the dead one and the pool reconnects (the fixed pool
    keeps its connections for long, so this matters more than with overflow connections that come and go)."""
    from sqlalchemy import text

    async with database_url("postgres", tmp_path) as url:
        engine, admin = make_engine(url, pool_size=1), make_engine(url, pool_size=1)
        try:
            async with engine.connect() as conn:
                victim = (await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one()
            async with admin.connect() as conn:
                await conn.execute(text("SELECT pg_terminate_backend(:pid, 5000)"), {"pid": victim})  # waits for it
            async with engine.connect() as conn:  # the pool's only connection was victim's: pinged, replaced
                pid = (await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one()
            assert pid != victim
        finally:
            await engine.dispose()
            await admin.dispose()
