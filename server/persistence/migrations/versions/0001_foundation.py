"""Foundation: festivals, merchants, shopper sessions, tokens, stores, products.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from server.persistence.tables import UtcDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "festivals",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("slug", sa.String(64), nullable=False),
        sa.Column("name_ko", sa.String(200), nullable=False),
        sa.Column("name_en", sa.String(200), nullable=False),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("starts_at", UtcDateTime(), nullable=True),
        sa.Column("ends_at", UtcDateTime(), nullable=True),
        sa.Column("visitor_cap", sa.Integer(), nullable=True),
        sa.Column("instance_capacity", sa.Integer(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_festivals"),
        sa.UniqueConstraint("slug", name="uq_festivals_slug"),
    )
    op.create_table(
        "merchants",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("festival_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("contact_email", sa.String(320), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_merchants"),
        sa.ForeignKeyConstraint(
            ["festival_id"], ["festivals.id"], name="fk_merchants_festival_id_festivals", ondelete="CASCADE"
        ),
    )
    op.create_index("ix_merchants_festival_id", "merchants", ["festival_id"])
    op.create_table(
        "shopper_sessions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("display_name", sa.String(40), nullable=False),
        sa.Column("locale", sa.String(8), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_shopper_sessions"),
    )
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("festival_id", sa.Integer(), nullable=True),
        sa.Column("merchant_id", sa.Integer(), nullable=True),
        sa.Column("session_id", sa.Integer(), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("revoked_at", UtcDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_api_tokens"),
        sa.UniqueConstraint("token_hash", name="uq_api_tokens_token_hash"),
        sa.ForeignKeyConstraint(
            ["festival_id"], ["festivals.id"], name="fk_api_tokens_festival_id_festivals", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["merchant_id"], ["merchants.id"], name="fk_api_tokens_merchant_id_merchants", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["shopper_sessions.id"],
            name="fk_api_tokens_session_id_shopper_sessions",
            ondelete="CASCADE",
        ),
    )
    op.create_index("ix_api_tokens_festival_id", "api_tokens", ["festival_id"])
    op.create_index("ix_api_tokens_merchant_id", "api_tokens", ["merchant_id"])
    op.create_index("ix_api_tokens_session_id", "api_tokens", ["session_id"])
    op.create_table(
        "stores",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("slug", sa.String(64), nullable=False),
        sa.Column("festival_id", sa.Integer(), nullable=False),
        sa.Column("merchant_id", sa.Integer(), nullable=False),
        sa.Column("name_ko", sa.String(200), nullable=False),
        sa.Column("name_en", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("layout_json", sa.Text(), nullable=True),
        sa.Column("scene_hash", sa.String(64), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_stores"),
        sa.UniqueConstraint("slug", name="uq_stores_slug"),
        sa.ForeignKeyConstraint(
            ["festival_id"], ["festivals.id"], name="fk_stores_festival_id_festivals", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["merchant_id"], ["merchants.id"], name="fk_stores_merchant_id_merchants", ondelete="CASCADE"
        ),
    )
    op.create_index("ix_stores_festival_status", "stores", ["festival_id", "status"])
    op.create_index("ix_stores_merchant_id", "stores", ["merchant_id"])
    op.create_table(
        "products",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("store_id", sa.Integer(), nullable=False),
        sa.Column("sku", sa.String(64), nullable=False),
        sa.Column("name_ko", sa.String(300), nullable=True),
        sa.Column("name_en", sa.String(300), nullable=True),
        sa.Column("category", sa.String(300), nullable=False),
        sa.Column("price", sa.BigInteger(), nullable=False),
        sa.Column("sale_price", sa.BigInteger(), nullable=True),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("stock", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("data_json", sa.Text(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_products"),
        sa.UniqueConstraint("store_id", "sku", name="uq_products_store_sku"),
        sa.ForeignKeyConstraint(
            ["store_id"], ["stores.id"], name="fk_products_store_id_stores", ondelete="CASCADE"
        ),
    )


def downgrade() -> None:
    op.drop_table("products")
    op.drop_index("ix_stores_merchant_id", "stores")
    op.drop_index("ix_stores_festival_status", "stores")
    op.drop_table("stores")
    op.drop_table("api_tokens")
    op.drop_table("shopper_sessions")
    op.drop_table("merchants")
    op.drop_table("festivals")
