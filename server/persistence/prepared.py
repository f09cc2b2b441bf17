"""Prepared statements: a Core statement compiled once per dialect, executed on the DB-API cursor.

``Connection.execute`` of even a cached statement costs 35–45 µs of Python on this machine (execution
context, events, result metadata), and a savepoint pair 110 µs (its clause is compiled anew every time);
the SQLite statement itself takes 2–20 µs. The checkout runs about fifteen of them in the one writer
thread, so that overhead, not the database, set the checkout rate. A ``Prepared`` statement keeps what
SQLAlchemy compiled (SQL text, positional parameter order, the types' bind and result processors) and
runs it straight on the connection's DB-API cursor: the same SQL SQLAlchemy would send, on either
dialect, with the same type conversions (``UtcDateTime``, booleans on SQLite).

It is for hot statements inside a transaction that SQLAlchemy began (or for reads). What it cannot do is
refused when the plan is made: Python-side column defaults (``default=`` / ``onupdate=``) must be given
as parameters. Errors are the driver's own (``sqlite3`` / asyncpg's DB-API), not wrapped.

Making a plan reads three private parts of SQLAlchemy's compiler (``_bind_processors``, ``_result_columns``
and a type's ``_cached_result_processor``): no public API hands them out. They are checked against the exact
SQLAlchemy release in ``VERIFIED_SQLALCHEMY``; tests/server/test_prepared.py fails as soon as the lock moves
SQLAlchemy to another release, so an upgrade re-reads them before it lands.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.engine import Dialect
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.compiler import SQLCompiler

Processor = Callable[[Any], Any] | None
VERIFIED_SQLALCHEMY = "2.1.9"  # the release whose private compiler parts _make_plan was checked against


@dataclass(frozen=True)
class _Plan:
    sql: str
    params: tuple[tuple[str, Any, Processor, bool], ...]  # (name, constant, bind processor, from caller)
    results: tuple[Processor, ...]
    process_rows: bool

    def bind(self, values: Mapping[str, Any]) -> tuple[Any, ...]:
        out = []
        for name, constant, proc, given in self.params:
            value = values[name] if given else constant
            out.append(proc(value) if proc is not None else value)
        return tuple(out)

    def rows(self, raw: list[Any]) -> list[tuple[Any, ...]]:
        if not self.process_rows:
            return [tuple(row) for row in raw]
        return [tuple(proc(v) if proc is not None else v for proc, v in zip(self.results, row, strict=True))
                for row in raw]


class Prepared:
    """One statement with named ``bindparam``s; ``rows``/``first``/``rowcount``/``many`` run it."""

    every: list[Prepared] = []  # noqa: RUF012 - the registry that ``prepare_all`` compiles at startup

    def __init__(self, statement: ClauseElement, *, dialect: str | None = None) -> None:
        self.statement = statement
        self.dialect = dialect  # set for a statement written with one dialect's constructs
        # Weak: every app (every test) has its own engines and dialects; plans go with them.
        self._plans: weakref.WeakKeyDictionary[Dialect, _Plan] = weakref.WeakKeyDictionary()
        Prepared.every.append(self)

    @classmethod
    def prepare_all(cls, dialect: Dialect) -> None:
        """Compile every prepared statement for ``dialect`` now (at startup: about 5 ms each, which the
        first requests would otherwise wait for)."""
        for prepared in cls.every:
            if prepared.dialect in (None, dialect.name):
                prepared._plan(dialect)

    def _plan(self, dialect: Dialect) -> _Plan:
        plan = self._plans.get(dialect)
        if plan is None:
            plan = self._plans[dialect] = _make_plan(self.statement, dialect)
        return plan

    def _cursor(self, conn: Connection, values: Mapping[str, Any]) -> tuple[Any, _Plan]:
        plan = self._plan(conn.dialect)
        cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        cursor.execute(plan.sql, plan.bind(values))
        return cursor, plan

    def rows(self, conn: Connection, values: Mapping[str, Any]) -> list[tuple[Any, ...]]:
        """Every row (of a SELECT or a RETURNING), with the column types' result processing."""
        cursor, plan = self._cursor(conn, values)
        try:
            return plan.rows(cursor.fetchall())
        finally:
            cursor.close()

    def first(self, conn: Connection, values: Mapping[str, Any]) -> tuple[Any, ...] | None:
        rows = self.rows(conn, values)
        return rows[0] if rows else None

    def rowcount(self, conn: Connection, values: Mapping[str, Any]) -> int:
        """Run a DML statement without RETURNING; how many rows it matched."""
        cursor, _ = self._cursor(conn, values)
        try:
            return int(cursor.rowcount)
        finally:
            cursor.close()

    def many(self, conn: Connection, values: Sequence[Mapping[str, Any]]) -> None:
        """``executemany`` (an INSERT of several rows)."""
        plan = self._plan(conn.dialect)
        cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        try:
            cursor.executemany(plan.sql, [plan.bind(v) for v in values])
        finally:
            cursor.close()


def _make_plan(statement: ClauseElement, dialect: Dialect) -> _Plan:
    compiled = statement.compile(dialect=dialect)
    assert isinstance(compiled, SQLCompiler)
    if compiled.insert_prefetch or compiled.update_prefetch:  # Python-side defaults SQLAlchemy would call
        raise ValueError(f"a prepared statement cannot run Python-side column defaults: {compiled.string}")
    if compiled.positiontup is None:
        raise ValueError(f"{dialect.name} has no positional paramstyle")
    processors = compiled._bind_processors
    params: list[tuple[str, Any, Processor, bool]] = []
    for name in compiled.positiontup:
        bind = compiled.binds[name]
        given = bind.required  # a bindparam("p_…") without a value; the others are the statement's literals
        proc = processors.get(name)
        if proc is not None and not callable(proc):  # per-element processors: only for tuple types
            raise ValueError(f"a prepared statement cannot bind a tuple parameter: {name}")
        params.append((name, None if given else bind.effective_value, proc, given))
    results = tuple(column.type._cached_result_processor(dialect, None) for column in compiled._result_columns)
    return _Plan(compiled.string, tuple(params), results, any(p is not None for p in results))


@contextmanager
def savepoint(conn: Connection, name: str) -> Iterator[None]:
    """``SAVEPOINT name`` … ``RELEASE``, or ``ROLLBACK TO`` it when the block raises (then re-raised).

    For use inside a transaction that SQLAlchemy began; SQLAlchemy does not track it. Names are fixed
    per nesting level, not counted: a savepoint may reuse a name (the newest one wins), and asyncpg
    prepares each distinct SQL text once."""
    if not name.isidentifier():
        raise ValueError(f"bad savepoint name {name!r}")
    dbapi = conn.connection.dbapi_connection
    assert dbapi is not None
    cursor = dbapi.cursor()
    try:
        cursor.execute(f"SAVEPOINT {name}")
        try:
            yield
        except BaseException:
            cursor.execute(f"ROLLBACK TO SAVEPOINT {name}")
            cursor.execute(f"RELEASE SAVEPOINT {name}")
            raise
        cursor.execute(f"RELEASE SAVEPOINT {name}")
    finally:
        cursor.close()
