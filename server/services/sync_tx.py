"""A write transaction whose statements run as plain synchronous functions.

On SQLite every awaited statement through aiosqlite is a hop to its worker thread and back (about 0.4 ms
here, ten times the statement itself). A hot path such as the checkout therefore runs its statements as
one synchronous function per phase: on SQLite in a dedicated writer thread with its own pysqlite
connection (one hop per phase instead of one per statement), on PostgreSQL through
``AsyncConnection.run_sync`` (the same code, statement by statement). The process's SQLite writer queue
(``cart_tx``) is held for the whole transaction, so only one writer uses the thread at a time.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from typing import Any, Concatenate, ParamSpec, TypeVar

from sqlalchemy import Connection, Engine, create_engine
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, async_sessionmaker

from server.db.engine import SQLITE_BUSY_TIMEOUT_MS, tune_sqlite
from server.services.cart_tx import writer_lock

P = ParamSpec("P")
T = TypeVar("T")


class SqliteWriter:
    """One thread and one pysqlite connection pool for the process's synchronous SQLite writes."""

    def __init__(self, async_url: str) -> None:
        url = async_url.replace("sqlite+aiosqlite", "sqlite+pysqlite", 1)
        self.engine: Engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000,
                                                                "check_same_thread": False})
        tune_sqlite(self.engine)
        self.thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite-writer")

    async def call(self, fn: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(self.thread, fn, *args)

    def close(self) -> None:
        self.thread.shutdown(wait=True)
        self.engine.dispose()


_WRITERS: weakref.WeakKeyDictionary[AsyncEngine, SqliteWriter] = weakref.WeakKeyDictionary()


def close_writer(engine: AsyncEngine) -> None:
    """Called when the app's engine is disposed."""
    writer = _WRITERS.pop(engine, None)
    if writer is not None:
        writer.close()


class SyncTransaction:
    """``await tx.run(fn, *args)`` calls ``fn(connection, *args)`` inside the open transaction."""

    def __init__(self, runner: Callable[..., Any]) -> None:
        self._runner = runner

    async def run(self, fn: Callable[Concatenate[Connection, P], T], *args: P.args, **kwargs: P.kwargs) -> T:
        result: T = await self._runner(fn, *args, **kwargs)
        return result


@asynccontextmanager
async def sync_transaction(sessionmaker: async_sessionmaker[Any]) -> AsyncIterator[SyncTransaction]:
    """One write transaction (BEGIN IMMEDIATE on SQLite); commits on success, rolls back on any error."""
    engine: AsyncEngine = sessionmaker.kw["bind"]
    if engine.dialect.name != "sqlite":
        async with engine.connect() as aconn, aconn.begin():
            yield SyncTransaction(_pg_runner(aconn))
        return
    writer = _WRITERS.get(engine)
    if writer is None:
        writer = _WRITERS[engine] = SqliteWriter(str(engine.url.render_as_string(hide_password=False)))
    async with writer_lock(sessionmaker):
        opened: list[Connection] = []

        def in_thread(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
            if not opened:  # BEGIN IMMEDIATE travels with the first statements: one hop less
                opened.append(_begin(writer.engine))
            return fn(opened[0], *args, **kwargs)

        try:
            yield SyncTransaction(lambda fn, *a, **k: writer.call(lambda: in_thread(fn, *a, **k)))
        except BaseException:
            if opened:
                await writer.call(_end, opened[0], False)
            raise
        if opened:
            await writer.call(_end, opened[0], True)


async def run_on_connection(
    sessionmaker: async_sessionmaker[Any], fn: Callable[Concatenate[Connection, P], T], *args: P.args,
    **kwargs: P.kwargs,
) -> T:
    """``fn(connection, …)`` in ONE call; ``fn`` opens its own transactions with ``connection.begin()``
    (BEGIN IMMEDIATE on SQLite, where the call holds the process's writer queue and runs in its thread)."""
    engine: AsyncEngine = sessionmaker.kw["bind"]
    if engine.dialect.name != "sqlite":
        async with engine.connect() as aconn:
            result: T = await aconn.run_sync(lambda conn: fn(conn, *args, **kwargs))
            return result
    writer = _WRITERS.get(engine)
    if writer is None:
        writer = _WRITERS[engine] = SqliteWriter(str(engine.url.render_as_string(hide_password=False)))

    def in_thread() -> T:
        with writer.engine.connect() as conn:
            return fn(conn.execution_options(sqlite_begin="IMMEDIATE"), *args, **kwargs)

    # No asyncio lock here: the writer thread is itself the queue, so checkouts run back to back in it
    # instead of each waiting for an event-loop turn to hand the lock on.
    return await writer.call(in_thread)


def _pg_runner(aconn: AsyncConnection) -> Callable[..., Any]:
    async def run(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        return await aconn.run_sync(lambda conn: fn(conn, *args, **kwargs))

    return run


def _begin(engine: Engine) -> Connection:
    conn = engine.connect().execution_options(sqlite_begin="IMMEDIATE")
    conn.begin()
    return conn


def _end(conn: Connection, commit: bool) -> None:
    try:
        if commit:
            conn.commit()
        else:
            conn.rollback()
    finally:
        conn.close()
