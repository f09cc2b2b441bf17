"""Group carts, order groups, orders and idempotency keys.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from server.persistence.tables import UtcDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], [f"{target}.id"], name=f"fk_{table}_{column}_{target}",
                                   ondelete="CASCADE")


def upgrade() -> None:
    op.create_table(
        "carts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("share_code", sa.String(6), nullable=False),
        sa.Column("owner_session_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("festival_id", sa.Integer(), nullable=True),
        sa.Column("currency", sa.String(3), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_carts"),
        sa.UniqueConstraint("share_code", name="uq_carts_share_code"),
        _fk("carts", "owner_session_id", "shopper_sessions"),
        _fk("carts", "festival_id", "festivals"),
    )
    op.create_index("ix_carts_owner_session_id", "carts", ["owner_session_id"])
    op.create_table(
        "cart_members",
        sa.Column("cart_id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("joined_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("cart_id", "session_id", name="pk_cart_members"),
        _fk("cart_members", "cart_id", "carts"),
        _fk("cart_members", "session_id", "shopper_sessions"),
    )
    op.create_index("ix_cart_members_session_id", "cart_members", ["session_id"])
    op.create_table(
        "cart_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cart_id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("added_by", sa.Integer(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_cart_lines"),
        sa.UniqueConstraint("cart_id", "product_id", name="uq_cart_lines_cart_product"),
        _fk("cart_lines", "cart_id", "carts"),
        _fk("cart_lines", "product_id", "products"),
        sa.ForeignKeyConstraint(["added_by"], ["shopper_sessions.id"], name="fk_cart_lines_added_by_shopper_sessions",
                                ondelete="CASCADE"),
    )
    op.create_table(
        "order_groups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cart_id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("total", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("payment_provider", sa.String(32), nullable=False),
        sa.Column("payment_reference", sa.String(128), nullable=False),
        sa.Column("fulfilment_json", sa.Text(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_order_groups"),
        sa.UniqueConstraint("cart_id", name="uq_order_groups_cart_id"),
        _fk("order_groups", "cart_id", "carts"),
        _fk("order_groups", "session_id", "shopper_sessions"),
    )
    op.create_index("ix_order_groups_session_id", "order_groups", ["session_id"])
    op.create_table(
        "orders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("store_id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("total", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("fulfilment_json", sa.Text(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_orders"),
        _fk("orders", "group_id", "order_groups"),
        _fk("orders", "store_id", "stores"),
        _fk("orders", "session_id", "shopper_sessions"),
    )
    op.create_index("ix_orders_group_id", "orders", ["group_id"])
    op.create_index("ix_orders_store_id_id", "orders", ["store_id", "id"])
    op.create_table(
        "order_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("sku", sa.String(64), nullable=False),
        sa.Column("name", sa.String(300), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("unit_price", sa.BigInteger(), nullable=False),
        sa.Column("line_total", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_order_lines"),
        _fk("order_lines", "order_id", "orders"),
        _fk("order_lines", "product_id", "products"),
    )
    op.create_index("ix_order_lines_order_id", "order_lines", ["order_id"])
    op.create_index("ix_order_lines_product_id", "order_lines", ["product_id"])
    op.create_table(
        "idempotency_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(255), nullable=False),
        sa.Column("request_hash", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("lock_token", sa.String(32), nullable=False),
        sa.Column("response_status", sa.Integer(), nullable=True),
        sa.Column("response_body", sa.Text(), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("locked_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_idempotency_keys"),
        sa.UniqueConstraint("session_id", "key", name="uq_idempotency_keys_session_key"),
        _fk("idempotency_keys", "session_id", "shopper_sessions"),
    )
    op.create_index("ix_idempotency_keys_created_at", "idempotency_keys", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_idempotency_keys_created_at", "idempotency_keys")
    op.drop_table("idempotency_keys")
    op.drop_index("ix_order_lines_product_id", "order_lines")
    op.drop_index("ix_order_lines_order_id", "order_lines")
    op.drop_table("order_lines")
    op.drop_index("ix_orders_store_id_id", "orders")
    op.drop_index("ix_orders_group_id", "orders")
    op.drop_table("orders")
    op.drop_index("ix_order_groups_session_id", "order_groups")
    op.drop_table("order_groups")
    op.drop_table("cart_lines")
    op.drop_index("ix_cart_members_session_id", "cart_members")
    op.drop_table("cart_members")
    op.drop_index("ix_carts_owner_session_id", "carts")
    op.drop_table("carts")
