"""Product groups and status: variants of one product share ``group_key``; only ``status='active'`` is on sale.

Rows stay one per variant, so cart and order lines keep pointing at them. Existing rows become their own group
(their SKU), or the ``variant_group`` their stored catalog data already names, and status 'active'. Staged rows
also carry their place in the file, so that new products get their ids in file order.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_BATCH = 2_000


def upgrade() -> None:
    for table in ("products", "catalog_staging"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("group_key", sa.String(255), nullable=False, server_default=""))
            batch.add_column(sa.Column("status", sa.String(16), nullable=False, server_default="active"))
    with op.batch_alter_table("catalog_staging") as batch:
        batch.add_column(sa.Column("position", sa.Integer(), nullable=False, server_default=sa.text("0")))
    products = sa.table("products", sa.column("id", sa.Integer()), sa.column("sku", sa.String()),
                        sa.column("group_key", sa.String()), sa.column("data_json", sa.Text()))
    conn = op.get_bind()
    conn.execute(sa.update(products).values(group_key=products.c.sku))
    # Variant groups an earlier import stored in the catalog data (Shopify handles, item_group_id): read in
    # batches in Python, the same on SQLite and PostgreSQL (their JSON functions differ).
    last = 0
    while True:
        rows = conn.execute(sa.select(products.c.id, products.c.data_json)
                            .where(products.c.id > last, products.c.data_json.like('%"variant_group"%'))
                            .order_by(products.c.id).limit(_BATCH)).all()
        if not rows:
            break
        for row_id, data in rows:
            group = _group_of(data)
            if group:
                conn.execute(sa.update(products).where(products.c.id == row_id).values(group_key=group))
        last = rows[-1][0]
    op.create_index("ix_products_store_id_group_key", "products", ["store_id", "group_key"])


def _group_of(data: str) -> str | None:
    try:
        group = json.loads(data).get("variant_group")
    except (ValueError, AttributeError):
        return None
    return group[:255] if isinstance(group, str) and group else None


def downgrade() -> None:
    op.drop_index("ix_products_store_id_group_key", table_name="products")
    # Plain ALTER TABLE … DROP COLUMN (SQLite 3.35+), not a batch copy: recreating ``products`` on SQLite
    # would drop the old table, and with foreign keys on that deletes every cart and order line pointing at it.
    op.drop_column("catalog_staging", "position")
    for table in ("catalog_staging", "products"):
        op.drop_column(table, "status")
        op.drop_column(table, "group_key")
