"""Merchant workflow: discount rules, builds, content-addressed assets, product model/image links.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from server.persistence.tables import UtcDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "discount_rules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("festival_id", sa.Integer(), nullable=False),
        sa.Column("percent", sa.Integer(), nullable=False),
        sa.Column("store_id", sa.Integer(), nullable=True),
        sa.Column("category", sa.String(300), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_discount_rules"),
        sa.ForeignKeyConstraint(["festival_id"], ["festivals.id"],
                                name="fk_discount_rules_festival_id_festivals", ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["store_id"], ["stores.id"], name="fk_discount_rules_store_id_stores",
                                ondelete="CASCADE"),
    )
    op.create_index("ix_discount_rules_festival_id", "discount_rules", ["festival_id"])
    op.create_table(
        "builds",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("store_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("progress", sa.Integer(), nullable=False),
        sa.Column("step", sa.String(64), nullable=True),
        sa.Column("report_json", sa.Text(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("scene_hash", sa.String(64), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("started_at", UtcDateTime(), nullable=True),
        sa.Column("finished_at", UtcDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_builds"),
        sa.ForeignKeyConstraint(["store_id"], ["stores.id"], name="fk_builds_store_id_stores", ondelete="CASCADE"),
    )
    op.create_index("ix_builds_store_id", "builds", ["store_id"])
    op.create_table(
        "assets",
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("media_type", sa.String(64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("sha256", name="pk_assets"),
    )
    with op.batch_alter_table("festivals") as batch:
        batch.add_column(sa.Column("plaza_hash", sa.String(64), nullable=True))
    with op.batch_alter_table("products") as batch:
        batch.add_column(sa.Column("model_sha256", sa.String(64), nullable=True))
        batch.add_column(sa.Column("image_sha256", sa.String(64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("products") as batch:
        batch.drop_column("image_sha256")
        batch.drop_column("model_sha256")
    with op.batch_alter_table("festivals") as batch:
        batch.drop_column("plaza_hash")
    op.drop_table("assets")
    op.drop_index("ix_builds_store_id", "builds")
    op.drop_table("builds")
    op.drop_index("ix_discount_rules_festival_id", "discount_rules")
    op.drop_table("discount_rules")
