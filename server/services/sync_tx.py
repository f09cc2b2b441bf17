"""A write transaction whose statements run as plain synchronous functions.

On SQLite every awaited statement through aiosqlite is a hop to its worker thread and back (about 0.4 ms
here, ten times the statement itself). A hot path such as the checkout therefore runs its statements as
one synchronous function: on SQLite in the process's writer thread (``sqlite_writer``; ``run_unit`` makes
it part of a group commit) or reader thread (``run_read``), each with its own pysqlite connection, on
PostgreSQL through ``AsyncConnection.run_sync`` (the same code, statement by statement).
``sync_transaction`` keeps a transaction open across several such calls; it holds the process's SQLite
writer queue (``cart_tx``) meanwhile, and the writer thread holds group commits back until it ends.
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
from server.db.prepared import Prepared
from server.services.cart_tx import writer_lock
from server.services.sqlite_writer import SqliteWriter
from server.services.statements import key_insert

P = ParamSpec("P")
T = TypeVar("T")


_WRITERS: weakref.WeakKeyDictionary[AsyncEngine, SqliteWriter] = weakref.WeakKeyDictionary()
_READERS: weakref.WeakKeyDictionary[AsyncEngine, SqliteReader] = weakref.WeakKeyDictionary()


def close_writer(engine: AsyncEngine) -> None:
    """Called when the app's engine is disposed: stops its SQLite writer and reader threads."""
    writer = _WRITERS.pop(engine, None)
    if writer is not None:
        writer.close()
    reader = _READERS.pop(engine, None)
    if reader is not None:
        reader.close()


class SqliteReader:
    """One thread with its own pysqlite connection for hot reads (the token lookup of every request).

    Through aiosqlite an ORM read is four or five thread hops (begin, execute, fetch, rollback), each
    about 0.4 ms of event-loop work here; this is one. In WAL mode readers never wait for the writer."""

    def __init__(self, async_url: str) -> None:
        url = async_url.replace("sqlite+aiosqlite", "sqlite+pysqlite", 1)
        self.engine: Engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000,
                                                                "check_same_thread": False})
        tune_sqlite(self.engine)
        self.thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite-reader")

    def _read(self, fn: Callable[..., T], args: tuple[Any, ...]) -> T:
        with self.engine.connect() as conn:  # a deferred read transaction, rolled back on return
            return fn(conn, *args)

    async def call(self, fn: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(self.thread, self._read, fn, args)

    def close(self) -> None:
        self.thread.shutdown(wait=True)
        self.engine.dispose()


async def run_read(engine: AsyncEngine, fn: Callable[..., T], *args: Any) -> T:
    """``fn(connection, …)`` as one read in ONE call: on SQLite in the reader thread, on PostgreSQL
    through ``run_sync``. ``fn`` only reads."""
    if engine.dialect.name != "sqlite":
        async with engine.connect() as aconn:
            result: T = await aconn.run_sync(lambda conn: fn(conn, *args))
            return result
    return await _reader(engine).call(fn, *args)


def _reader(engine: AsyncEngine) -> SqliteReader:
    reader = _READERS.get(engine)
    if reader is None:
        reader = _READERS[engine] = SqliteReader(str(engine.url.render_as_string(hide_password=False)))
    return reader


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
    writer = _writer(engine)
    async with writer_lock(sessionmaker):
        opened: list[Connection] = []

        def in_thread(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
            if not opened:  # BEGIN IMMEDIATE travels with the first statements: one hop less
                opened.append(_begin(writer))
            return fn(opened[0], *args, **kwargs)

        try:
            yield SyncTransaction(lambda fn, *a, **k: writer.call(lambda: in_thread(fn, *a, **k)))
        except BaseException:
            if opened:
                await writer.call(_end, writer, opened[0], False)
            raise
        if opened:
            await writer.call(_end, writer, opened[0], True)


async def run_unit(sessionmaker: async_sessionmaker[Any], fn: Callable[..., T], *args: Any) -> T:
    """``fn(connection, …)`` as one all-or-nothing unit of work, in ONE call, returning once it is committed.

    On SQLite it is a unit of the writer thread's next group commit (inside its own SAVEPOINT of a shared
    ``BEGIN IMMEDIATE`` transaction; see sqlite_writer). On PostgreSQL it is its own transaction through
    ``run_sync``: row locks already let unrelated units run in parallel there. Either way ``fn`` may open
    savepoints (``server.db.prepared.savepoint``) and must not commit."""
    engine: AsyncEngine = sessionmaker.kw["bind"]
    if engine.dialect.name != "sqlite":
        async with engine.connect() as aconn, aconn.begin():
            result: T = await aconn.run_sync(lambda conn: fn(conn, *args))
            return result
    # No asyncio lock here: the writer thread is itself the queue, so units run back to back in it
    # instead of each waiting for an event-loop turn to hand a lock on.
    done: T = await _writer(engine).unit(fn, *args)
    return done


def warm_up(engine: AsyncEngine) -> None:
    """At startup: start the SQLite writer and reader threads and compile the prepared statements for
    every connection that will run them. Done lazily instead, the first checkouts would queue for about
    150 ms behind it, and a burst arriving then would start with that backlog."""
    key_insert(engine.dialect.name)  # made on first use: make it now, so that it is compiled below
    if engine.dialect.name != "sqlite":
        Prepared.prepare_all(engine.sync_engine.dialect)
        return
    Prepared.prepare_all(_writer(engine).engine.dialect)
    Prepared.prepare_all(_reader(engine).engine.dialect)


def _writer(engine: AsyncEngine) -> SqliteWriter:
    writer = _WRITERS.get(engine)
    if writer is None:
        writer = _WRITERS[engine] = SqliteWriter(str(engine.url.render_as_string(hide_password=False)))
    return writer


def _pg_runner(aconn: AsyncConnection) -> Callable[..., Any]:
    async def run(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        return await aconn.run_sync(lambda conn: fn(conn, *args, **kwargs))

    return run


def _begin(writer: SqliteWriter) -> Connection:
    conn = writer.engine.connect().execution_options(sqlite_begin="IMMEDIATE")
    conn.begin()
    writer.open_transactions += 1  # the writer thread holds group commits back until _end
    return conn


def _end(writer: SqliteWriter, conn: Connection, commit: bool) -> None:
    try:
        if commit:
            conn.commit()
        else:
            conn.rollback()
    finally:
        writer.open_transactions -= 1
        conn.close()
