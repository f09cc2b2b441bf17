"""The process's SQLite writer: one thread, one pysqlite connection pool, and group commit.

SQLite has one writer at a time, so a process gains nothing from writing on several threads; it gains a
lot from writing less often. Units of work (``unit(fn, …)``: ``fn(conn, …)``) are queued to one thread. It
takes every unit that is waiting (up to ``MAX_BATCH``), runs them in ONE ``BEGIN IMMEDIATE … COMMIT``, each
inside its own ``SAVEPOINT`` so a unit that raises rolls back only itself, and answers all of them only after
the COMMIT succeeded. A unit's result is therefore never seen before it is durable, and a crash before the
COMMIT loses the whole batch, acknowledged to nobody. One COMMIT (WAL append) per batch instead of one or two
per checkout, and one wake-up of the event loop per batch instead of one per job.

If the transaction itself is lost in the middle of a batch (SQLite rolls back on some errors, such as a
full disk), the units that had already run are run again in batches of one: nothing of theirs was
committed, so running them again is exactly as if they had queued behind the failure.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Engine, create_engine

from server.persistence.engine import SQLITE_BUSY_TIMEOUT_MS, tune_sqlite
from server.persistence.prepared import savepoint

log = logging.getLogger("vrstore.sqlite_writer")
MAX_BATCH = 64  # bounds how long the first unit of a batch waits for the last one (≈ 1 ms each)


@dataclass(eq=False)
class _Job:
    fn: Callable[..., Any]
    args: tuple[Any, ...]
    loop: asyncio.AbstractEventLoop
    future: asyncio.Future[Any]
    outcome: tuple[bool, Any] | None = field(default=None)  # (ok, result or exception)


_STOP = object()


class SqliteWriter:
    """One thread and one pysqlite connection pool for the process's synchronous SQLite writes."""

    def __init__(self, async_url: str) -> None:
        url = async_url.replace("sqlite+aiosqlite", "sqlite+pysqlite", 1)
        self.engine: Engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000,
                                                                "check_same_thread": False})
        tune_sqlite(self.engine)
        self._queue: queue.SimpleQueue[_Job | object] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="sqlite-writer", daemon=True)
        self._thread.start()

    def unit(self, fn: Callable[..., Any], *args: Any) -> asyncio.Future[Any]:
        """``fn(conn, *args)`` inside a savepoint of the next group commit; resolves once it is committed."""
        loop = asyncio.get_running_loop()
        job = _Job(fn, args, loop, loop.create_future())
        self._queue.put(job)
        return job.future

    def close(self) -> None:
        self._queue.put(_STOP)
        self._thread.join()
        self.engine.dispose()

    # --- the writer thread ---------------------------------------------------------------------------------

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is _STOP:
                return
            assert isinstance(item, _Job)
            batch = [item]
            # Take whatever else is already waiting: that is the whole point of a group commit.
            while len(batch) < MAX_BATCH:
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                if more is _STOP:
                    self._queue.put(_STOP)
                    break
                assert isinstance(more, _Job)
                batch.append(more)
            self._run_batch(batch)

    def _run_batch(self, jobs: list[_Job]) -> None:
        rerun: list[_Job] = []
        try:
            with self.engine.connect() as conn:
                conn = conn.execution_options(sqlite_begin="IMMEDIATE")
                with conn.begin():
                    for index, job in enumerate(jobs):
                        try:
                            with savepoint(conn, "vrs_unit"):
                                job.outcome = (True, job.fn(conn, *job.args))
                        except Exception as exc:
                            job.outcome = (False, exc)
                            if not _in_transaction(conn):
                                rerun = [j for j in jobs[:index] if j.outcome is not None and j.outcome[0]]
                                rerun += jobs[index + 1:]
                                raise _TransactionLost from exc
        except _TransactionLost:
            log.warning("the write transaction was lost mid-batch; re-running %d units alone", len(rerun))
            again = {id(j) for j in rerun}
            failed = [j for j in jobs if id(j) not in again]
            _settle(failed)
            for job in rerun:
                job.outcome = None
                self._run_batch([job])
            return
        except BaseException as exc:
            for job in jobs:
                job.outcome = (False, exc)
        _settle(jobs)


class _TransactionLost(Exception):
    pass


def _in_transaction(conn: Connection) -> bool:
    dbapi = conn.connection.dbapi_connection
    return bool(getattr(dbapi, "in_transaction", False))


def _settle(jobs: list[_Job]) -> None:
    """Hand the outcomes to their event loops: one wake-up per loop for the whole batch."""
    by_loop: dict[asyncio.AbstractEventLoop, list[_Job]] = {}
    for job in jobs:
        by_loop.setdefault(job.loop, []).append(job)
    for loop, some in by_loop.items():
        with contextlib.suppress(RuntimeError):  # the loop is closed: nobody is waiting any more
            loop.call_soon_threadsafe(_deliver, some)


def _deliver(jobs: list[_Job]) -> None:
    for job in jobs:
        if job.future.done() or job.outcome is None:  # cancelled while it ran
            continue
        ok, value = job.outcome
        if ok:
            job.future.set_result(value)
        else:
            job.future.set_exception(value)
