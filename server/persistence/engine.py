"""Engine factory: one async engine per app, with SQLite tuned for a server (WAL, busy timeout)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine

SQLITE_BUSY_TIMEOUT_S = 10.0  # the default of VRSTORE_SQLITE_BUSY_TIMEOUT_S


def make_engine(url: str, *, echo: bool = False, pool_size: int = 20,
                busy_timeout_s: float = SQLITE_BUSY_TIMEOUT_S) -> AsyncEngine:
    """Create the async engine; SQLite gets WAL, a busy timeout and explicit transaction control.

    A server database gets a FIXED pool of ``pool_size`` connections: requests beyond it wait for one. SQLAlchemy
    closes an overflow connection as soon as it is returned, so under a burst wider than the pool every extra
    request paid a new PostgreSQL backend (fork, authentication, asyncpg's type set-up): several milliseconds
    of CPU on both sides that bought no throughput (checkout at 64 connections spent more of the machine on
    connecting than on checking out).

    ``busy_timeout_s`` is how long a SQLite statement waits for a lock another connection holds before it fails
    with "database is locked" (which ``Database`` answers as 503)."""
    kwargs: dict[str, Any] = {"echo": echo}
    if url.startswith("sqlite"):
        kwargs["connect_args"] = {"timeout": busy_timeout_s}
    else:
        kwargs.update(pool_size=pool_size, max_overflow=0, pool_pre_ping=True)
    engine = create_async_engine(url, **kwargs)
    if url.startswith("sqlite"):
        tune_sqlite(engine.sync_engine, busy_timeout_s)
    return engine


def tune_sqlite(engine: Engine, busy_timeout_s: float = SQLITE_BUSY_TIMEOUT_S) -> None:
    """WAL, busy timeout, foreign keys and explicit BEGIN [IMMEDIATE] on every connection of ``engine``."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # pysqlite's own transaction handling would defer BEGIN and break BEGIN IMMEDIATE; we
        # emit BEGIN ourselves in the "begin" hook below (SQLAlchemy's documented recipe).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={max(1, round(busy_timeout_s * 1000))}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # Writers that must not lose a race (checkout) ask for IMMEDIATE: the write lock is taken at
        # BEGIN, so two of them queue on busy_timeout instead of failing with SQLITE_BUSY at COMMIT.
        mode = conn.get_execution_options().get("sqlite_begin", "")
        conn.exec_driver_sql(f"BEGIN {mode}".strip())


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[Any]:
    return async_sessionmaker(engine, expire_on_commit=False)
