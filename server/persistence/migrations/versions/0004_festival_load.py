"""Per-minute live load of each festival (arrivals, shoppers present) for the forecast.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from server.persistence.tables import UtcDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "festival_load",
        sa.Column("festival_id", sa.Integer(), nullable=False),
        sa.Column("minute", UtcDateTime(), nullable=False),
        sa.Column("arrivals", sa.Integer(), nullable=False),
        sa.Column("shoppers", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("festival_id", "minute", name="pk_festival_load"),
        sa.ForeignKeyConstraint(["festival_id"], ["festivals.id"], name="fk_festival_load_festival_id_festivals",
                                ondelete="CASCADE"),
    )


def downgrade() -> None:
    op.drop_table("festival_load")
