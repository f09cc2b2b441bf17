"""Alembic environment: runs on a sync connection handed in by ``server.persistence.migrate`` (async engine)."""

from __future__ import annotations

from alembic import context

from server.persistence.tables import Base

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - we always pass a connection
    raise RuntimeError("run migrations through server.persistence.migrate (vrstore migrate)")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=True,  # SQLite cannot ALTER most things; batch mode rebuilds the table
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
