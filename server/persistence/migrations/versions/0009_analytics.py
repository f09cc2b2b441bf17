"""Festival analytics: per-minute counters (server/domain/analytics.py), BRIN-indexed on PostgreSQL.

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from server.persistence.tables import UtcDateTime

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "analytics_minute",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("minute", UtcDateTime(), nullable=False),
        sa.Column("festival", sa.String(64), nullable=False),
        sa.Column("store", sa.String(80), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("key", sa.String(128), nullable=False),
        sa.Column("n", sa.BigInteger(), nullable=False),
        sa.Column("shoppers", sa.Integer(), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_analytics_minute"),
    )
    # A BRIN index on PostgreSQL (rows arrive in minute order); SQLite ignores postgresql_using: a B-tree.
    op.create_index("ix_analytics_minute_minute", "analytics_minute", ["minute"], postgresql_using="brin")


def downgrade() -> None:
    op.drop_index("ix_analytics_minute_minute", table_name="analytics_minute")
    op.drop_table("analytics_minute")
