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

A unit may be given a budget for its wait in the queue (``unit(…, budget_s=…)``). When it runs out before the
thread has started the unit, the unit is given up (it will never run) and the caller gets ``QueueTimeout``; once
started, the caller waits for its commit, which the busy timeout bounds. Which of the two happens is decided under
one lock, so a caller told "not done" can rely on it.
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

from server.persistence.engine import SQLITE_BUSY_TIMEOUT_S, tune_sqlite
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
    state: str = "queued"  # → "running" (the writer thread took it) or → "given_up" (its caller's budget ran out)


class QueueTimeout(Exception):
    """The unit waited in the queue for its whole budget and was given up: it has not run and never will."""


_STOP = object()


class SqliteWriter:
    """One thread and one pysqlite connection pool for the process's synchronous SQLite writes."""

    def __init__(self, async_url: str, *, busy_timeout_s: float = SQLITE_BUSY_TIMEOUT_S) -> None:
        url = async_url.replace("sqlite+aiosqlite", "sqlite+pysqlite", 1)
        self.engine: Engine = create_engine(url, connect_args={"timeout": busy_timeout_s, "check_same_thread": False})
        tune_sqlite(self.engine, busy_timeout_s)
        self._queue: queue.SimpleQueue[_Job | object] = queue.SimpleQueue()
        self._states = threading.Lock()  # guards _Job.state: started or given up, never both
        self._thread = threading.Thread(target=self._run, name="sqlite-writer", daemon=True)
        self._thread.start()

    async def unit(self, fn: Callable[..., Any], *args: Any, budget_s: float | None = None) -> Any:
        """``fn(conn, *args)`` inside a savepoint of the next group commit; returns once it is committed.

        With ``budget_s``, a unit still queued after that long is given up: ``QueueTimeout``."""
        loop = asyncio.get_running_loop()
        job = _Job(fn, args, loop, loop.create_future())
        self._queue.put(job)
        if budget_s is None:
            return await job.future
        try:
            # asyncio.timeout, not wait_for: on Python 3.11 wait_for returns the result when the unit finishes in
            # the same loop turn as a cancel of the caller, and swallows the cancel. A periodic task cancelled at
            # shutdown then ran on, and the cleanup awaiting it waited forever (seen as a 300 s teardown timeout).
            async with asyncio.timeout(budget_s):
                return await asyncio.shield(job.future)
        except asyncio.CancelledError:
            job.future.cancel()  # as without a budget: the outcome is dropped, nobody is waiting for it
            raise
        except TimeoutError:
            with self._states:
                if job.state == "queued":
                    job.state = "given_up"
                    raise QueueTimeout() from None
            return await job.future  # it has started: its answer comes with its batch's commit

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
                        if not self._start(job):
                            continue  # its caller gave up waiting; nobody will read an outcome
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
        except BaseException as exc:  # e.g. BEGIN IMMEDIATE found the lock held past the busy timeout
            for job in jobs:
                if self._start(job):  # the failure is its answer, unless its caller already gave up
                    job.outcome = (False, exc)
        _settle(jobs)

    def _start(self, job: _Job) -> bool:
        """Mark ``job`` as running unless its caller gave it up first (a re-run after a lost transaction is a
        start again)."""
        with self._states:
            if job.state == "given_up":
                return False
            job.state = "running"
            return True


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
