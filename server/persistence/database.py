"""The one way into the database: every unit of work starts at the app's ``Database``.

A ``Database`` owns the engine and everything a transaction needs on the way (the session factory, the
SQLite writer queue, the SQLite writer and reader threads); nothing lives in module globals, so two apps in
one process (tests) never share a thread or a lock. It offers one unit-of-work API in two styles:

==========================  ==============================================================================
``async with db.read()``    an ORM session in a deferred (read-only) transaction: readers never wait for
                            SQLite's write lock
``async with db.write()``   an ORM session in a write transaction, committed on success, rolled back on any
                            error; on SQLite ``BEGIN IMMEDIATE`` behind the process's writer queue
``await db.read_sync(fn)``  ``fn(connection, …)`` as one read in ONE call (hot reads, e.g. every token check)
``await db.unit(fn)``       ``fn(connection, …)`` as one all-or-nothing unit of work in ONE call (checkout)
==========================  ==============================================================================

Why the synchronous style exists: on SQLite every awaited statement through aiosqlite is a hop to its worker
thread and back (about 0.4 ms here, ten times the statement itself), so a hot path runs its statements as one
plain function: on SQLite in the writer thread (``unit``: part of a group commit, see sqlite_writer) or the
reader thread (``read_sync``), on PostgreSQL through ``AsyncConnection.run_sync`` (the same code).

Why writers queue on an ``asyncio.Lock`` on SQLite: SQLite allows one writer at a time, and ``BEGIN
IMMEDIATE`` makes writers queue in SQLite's busy handler, which sleeps in steps of up to 100 ms; under a burst
that sleep, not the work, would set the p99. Inside one process writers therefore queue on a fair lock and
only contend in SQLite with other processes (the CLI). PostgreSQL needs no such lock: row locks and
conditional updates serialise exactly what conflicts.

Overload on SQLite: every write has a budget (``busy_timeout_s``, VRSTORE_SQLITE_BUSY_TIMEOUT_S) for its turn
in the process's queue (the lock above, or the writer thread's queue), and again for SQLite's lock held by
another process. Past it the write fails as ``Unavailable`` (503 with Retry-After, "try again"), here and
nowhere else: "database is locked" is the server being busy, not a fault, and never reaches a client as a 500.
A unit that has started runs to its end; one given up before it started never runs.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager, contextmanager
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, create_engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from server.domain.errors import Unavailable
from server.persistence import statements
from server.persistence.engine import SQLITE_BUSY_TIMEOUT_S, make_engine, make_sessionmaker, tune_sqlite
from server.persistence.prepared import Prepared
from server.persistence.sqlite_writer import QueueTimeout, SqliteWriter

T = TypeVar("T")


class Database:
    """The app's database: one engine, one unit-of-work API (see the module docstring)."""

    def __init__(self, engine: AsyncEngine, *, busy_timeout_s: float = SQLITE_BUSY_TIMEOUT_S) -> None:
        self.engine = engine
        self.dialect = engine.dialect.name
        self.busy_timeout_s = busy_timeout_s
        self._sessions: async_sessionmaker[AsyncSession] = make_sessionmaker(engine)
        # asyncio.Lock binds to a loop only when first contended, so one per Database (one app) is right.
        self._writer_queue = asyncio.Lock()
        self._writer: SqliteWriter | None = None
        self._reader: _SqliteReader | None = None

    @classmethod
    def connect(cls, url: str, *, pool_size: int = 20, busy_timeout_s: float = SQLITE_BUSY_TIMEOUT_S) -> Database:
        """``busy_timeout_s``: on SQLite, the budget of a write for its turn (see the module docstring)."""
        return cls(make_engine(url, pool_size=pool_size, busy_timeout_s=busy_timeout_s), busy_timeout_s=busy_timeout_s)

    @property
    def is_sqlite(self) -> bool:
        return self.dialect == "sqlite"

    # -- the ORM style ---------------------------------------------------------------------------------

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncSession]:
        """A session in a deferred transaction, for reading."""
        with _busy_is_unavailable():
            async with self._sessions() as session, session.begin():
                yield session

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncSession]:
        """A session in one write transaction: committed when the block ends, rolled back if it raises.

        On SQLite the write lock is taken at BEGIN (IMMEDIATE): a deferred transaction that reads and then
        writes can fail at once with SQLITE_BUSY in WAL mode when another writer committed in between (the
        busy timeout does not apply to that upgrade)."""
        if not self.is_sqlite:
            async with self._sessions() as session, session.begin():
                yield session
            return
        try:
            async with asyncio.timeout(self.busy_timeout_s):
                await self._writer_queue.acquire()
        except TimeoutError:
            raise _busy() from None
        try:
            with _busy_is_unavailable():
                async with self._sessions() as session, session.begin():
                    # Options given here apply before SQLAlchemy emits BEGIN (see engine's begin hook).
                    await session.connection(execution_options={"sqlite_begin": "IMMEDIATE"})
                    yield session
        finally:
            self._writer_queue.release()

    # -- the synchronous style (hot paths) ---------------------------------------------------------------

    async def read_sync(self, fn: Callable[..., T], *args: Any) -> T:
        """``fn(connection, *args)`` as one read in ONE call; ``fn`` only reads."""
        if not self.is_sqlite:
            async with self.engine.connect() as aconn:
                result: T = await aconn.run_sync(lambda conn: fn(conn, *args))
                return result
        with _busy_is_unavailable():
            return await self._sqlite_reader().call(fn, *args)

    async def unit(self, fn: Callable[..., T], *args: Any) -> T:
        """``fn(connection, *args)`` as one all-or-nothing unit of work, returning once it is committed.

        On SQLite a unit of the writer thread's next group commit (inside its own SAVEPOINT of a shared
        ``BEGIN IMMEDIATE`` transaction; see sqlite_writer); on PostgreSQL its own transaction through
        ``run_sync``, where row locks already let unrelated units run in parallel. ``fn`` may open savepoints
        (``prepared.savepoint``) and must not commit."""
        if not self.is_sqlite:
            async with self.engine.connect() as aconn, aconn.begin():
                result: T = await aconn.run_sync(lambda conn: fn(conn, *args))
                return result
        # No asyncio lock here: the writer thread is itself the queue, and it holds its units back while an
        # ORM writer (which holds the lock above) has SQLite's write lock: they meet in SQLite's busy handler.
        with _busy_is_unavailable():
            try:
                done: T = await self._sqlite_writer().unit(fn, *args, budget_s=self.busy_timeout_s)
            except QueueTimeout:
                raise _busy() from None
        return done

    # -- life cycle --------------------------------------------------------------------------------------

    def warm_up(self) -> None:
        """At startup: start the SQLite threads and compile the prepared statements for every connection
        that will run them. Done lazily instead, the first checkouts would queue for about 150 ms behind it,
        and a burst arriving then would start with that backlog."""
        statements.key_insert(self.dialect)  # made on first use: make it now, so that it is compiled below
        if not self.is_sqlite:
            Prepared.prepare_all(self.engine.sync_engine.dialect)
            return
        Prepared.prepare_all(self._sqlite_writer().engine.dialect)
        Prepared.prepare_all(self._sqlite_reader().engine.dialect)

    async def close(self) -> None:
        """Stop the SQLite threads and dispose of the engine's connections."""
        writer, self._writer = self._writer, None
        if writer is not None:
            writer.close()
        reader, self._reader = self._reader, None
        if reader is not None:
            reader.close()
        await self.engine.dispose()

    def _url(self) -> str:
        return str(self.engine.url.render_as_string(hide_password=False))

    def _sqlite_writer(self) -> SqliteWriter:
        if self._writer is None:
            self._writer = SqliteWriter(self._url(), busy_timeout_s=self.busy_timeout_s)
        return self._writer

    def _sqlite_reader(self) -> _SqliteReader:
        if self._reader is None:
            self._reader = _SqliteReader(self._url(), busy_timeout_s=self.busy_timeout_s)
        return self._reader


def _busy() -> Unavailable:
    return Unavailable("the database is busy with other writes; try again in a moment")


def _is_busy(exc: DBAPIError) -> bool:
    """SQLITE_BUSY (a lock another connection holds, after the busy timeout) or SQLITE_LOCKED (the same, inside
    one connection), primary or extended codes; PostgreSQL raises neither."""
    cause = exc.orig
    return isinstance(cause, sqlite3.OperationalError) and getattr(cause, "sqlite_errorcode", 0) & 0xFF in (
        sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)


@contextmanager
def _busy_is_unavailable() -> Iterator[None]:
    """"database is locked" past the busy timeout is overload, answered 503 with Retry-After (the one place)."""
    try:
        yield
    except DBAPIError as exc:
        if not _is_busy(exc):
            raise
        raise _busy() from exc


class _SqliteReader:
    """One thread with its own pysqlite connection for hot reads (the token lookup of every request).

    Through aiosqlite an ORM read is four or five thread hops (begin, execute, fetch, rollback), each about
    0.4 ms of event-loop work here; this is one. In WAL mode readers never wait for the writer."""

    def __init__(self, async_url: str, *, busy_timeout_s: float = SQLITE_BUSY_TIMEOUT_S) -> None:
        url = async_url.replace("sqlite+aiosqlite", "sqlite+pysqlite", 1)
        self.engine: Engine = create_engine(url, connect_args={"timeout": busy_timeout_s, "check_same_thread": False})
        tune_sqlite(self.engine, busy_timeout_s)
        self.thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite-reader")

    def _read(self, fn: Callable[..., T], args: tuple[Any, ...]) -> T:
        with self.engine.connect() as conn:  # a deferred read transaction, rolled back on return
            return fn(conn, *args)

    async def call(self, fn: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(self.thread, self._read, fn, args)

    def close(self) -> None:
        self.thread.shutdown(wait=True)
        self.engine.dispose()


__all__ = ["Connection", "Database"]
