"""Prepared statements read private SQLAlchemy parts: pin the release they were checked against."""

from __future__ import annotations

import tomllib
from pathlib import Path

import sqlalchemy
from sqlalchemy import Integer, String, bindparam, column, create_engine, select, table

from server.persistence.prepared import VERIFIED_SQLALCHEMY, Prepared

ROOT = Path(__file__).resolve().parents[2]


def test_the_lock_pins_the_sqlalchemy_release_the_private_parts_were_checked_against() -> None:
    lock = tomllib.loads((ROOT / "uv.lock").read_text())
    locked = {p["name"]: p["version"] for p in lock["package"]}["sqlalchemy"]
    assert locked == VERIFIED_SQLALCHEMY, (
        f"uv.lock moves SQLAlchemy to {locked}: re-check prepared._make_plan's private parts, then update "
        "VERIFIED_SQLALCHEMY")
    assert sqlalchemy.__version__ == VERIFIED_SQLALCHEMY


def test_a_prepared_statement_gives_what_sqlalchemy_gives() -> None:
    engine = create_engine("sqlite://")
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT)")
        conn.exec_driver_sql("INSERT INTO t VALUES (1, 'a'), (2, 'b'), (3, 'c')")
        t = table("t", column("id", Integer), column("name", String))
        query = select(t.c.id, t.c.name).where(t.c.id >= bindparam("p_min")).order_by(t.c.id)
        prepared = Prepared(query)
        assert prepared.rows(conn, {"p_min": 2}) == [tuple(r) for r in conn.execute(query, {"p_min": 2})]
