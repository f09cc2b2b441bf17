"""Checkout a shopper trusts: per-store shipping fees and opening hours, the payment ledger, the order's payment
method and shipping, and the cart that follows a checked-out one.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from server.persistence.tables import UtcDateTime

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "store_fulfilment",
        sa.Column("store_id", sa.Integer(), nullable=False),
        sa.Column("shipping_flat_fee", sa.BigInteger(), nullable=False),
        sa.Column("shipping_free_over", sa.BigInteger(), nullable=True),
        sa.Column("remote_areas_json", sa.Text(), nullable=False),
        sa.Column("opening_hours_json", sa.Text(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("store_id", name="pk_store_fulfilment"),
        sa.ForeignKeyConstraint(["store_id"], ["stores.id"], name="fk_store_fulfilment_store_id_stores",
                                ondelete="CASCADE"),
    )
    op.create_table(
        "payments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(64), nullable=False),
        sa.Column("provider", sa.String(32), nullable=False),
        sa.Column("method", sa.String(16), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("cart_id", sa.Integer(), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=True),
        sa.Column("provider_key", sa.String(200), nullable=True),
        sa.Column("provider_order_id", sa.String(64), nullable=True),
        sa.Column("refunded", sa.BigInteger(), nullable=False),
        sa.Column("decline_code", sa.String(64), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_payments"),
        sa.UniqueConstraint("reference", name="uq_payments_reference"),
        sa.ForeignKeyConstraint(["session_id"], ["shopper_sessions.id"],
                                name="fk_payments_session_id_shopper_sessions", ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["cart_id"], ["carts.id"], name="fk_payments_cart_id_carts", ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["group_id"], ["order_groups.id"], name="fk_payments_group_id_order_groups",
                                ondelete="SET NULL"),
    )
    op.create_index("ix_payments_status_updated_at", "payments", ["status", "updated_at"])
    op.create_index("ix_payments_group_id", "payments", ["group_id"])
    op.create_index("ix_payments_provider_order_id", "payments", ["provider_order_id"])
    with op.batch_alter_table("carts") as batch:
        batch.add_column(sa.Column("successor_id", sa.Integer(), nullable=True))
    with op.batch_alter_table("order_groups") as batch:
        batch.add_column(sa.Column("payment_method", sa.String(16), nullable=False, server_default="card"))
        batch.add_column(sa.Column("shipping_total", sa.BigInteger(), nullable=False, server_default=sa.text("0")))
    with op.batch_alter_table("orders") as batch:
        batch.add_column(sa.Column("shipping_fee", sa.BigInteger(), nullable=False, server_default=sa.text("0")))


def downgrade() -> None:
    with op.batch_alter_table("orders") as batch:
        batch.drop_column("shipping_fee")
    with op.batch_alter_table("order_groups") as batch:
        batch.drop_column("shipping_total")
        batch.drop_column("payment_method")
    with op.batch_alter_table("carts") as batch:
        batch.drop_column("successor_id")
    op.drop_index("ix_payments_provider_order_id", table_name="payments")
    op.drop_index("ix_payments_group_id", table_name="payments")
    op.drop_index("ix_payments_status_updated_at", table_name="payments")
    op.drop_table("payments")
    op.drop_table("store_fulfilment")
