"""Search: each product group's shelf facts on its document, and the groups whose facts may be out of date.

- ``search_docs.shelf_*``: first variant, lowest price before the festival discount, whether a variant is
  below its regular price, priced above 0, in stock (services/search_facts.py);
- ``search_stale``: the groups changed since their facts were computed. A trigger on ``products`` inserts the
  group's key with every change that can move its facts: a variant added or removed, its price, sale price,
  category (which decides its festival discount), shelf status or group changed, or its stock crossing zero
  (a sale that leaves stock does not). Insert-only, so concurrent checkouts never wait on each other for it.

Every existing document starts stale: the server's refresh (server/search_watch.py) computes the facts, and
search joins the variants of stale documents until then.

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

FACTS = ("shelf_first", "shelf_low", "shelf_sale", "shelf_priced", "shelf_stocked")
# What moves a group's facts, for a row of products before (o) and after (n) an update.
_MOVES = ("{o}.price IS DISTINCT FROM {n}.price OR {o}.sale_price IS DISTINCT FROM {n}.sale_price "
          "OR {o}.category IS DISTINCT FROM {n}.category OR {o}.active IS DISTINCT FROM {n}.active "
          "OR {o}.status IS DISTINCT FROM {n}.status OR {o}.store_id IS DISTINCT FROM {n}.store_id "
          "OR {o}.group_key IS DISTINCT FROM {n}.group_key "
          "OR ({o}.stock > 0) IS DISTINCT FROM ({n}.stock > 0)")
_MARK = "INSERT INTO search_stale (store_id, group_key) VALUES ({r}.store_id, {r}.group_key);"
_MOVED = "{n}.store_id IS DISTINCT FROM {o}.store_id OR {n}.group_key IS DISTINCT FROM {o}.group_key"

SQLITE_TRIGGERS = {  # SQLite spells IS DISTINCT FROM as IS NOT
    "products_stale_ai": f"AFTER INSERT ON products BEGIN {_MARK.format(r='new')} END",
    "products_stale_ad": f"AFTER DELETE ON products BEGIN {_MARK.format(r='old')} END",
    "products_stale_au": (
        f"AFTER UPDATE ON products WHEN {_MOVES.format(o='old', n='new').replace('IS DISTINCT FROM', 'IS NOT')} "
        f"BEGIN {_MARK.format(r='old')} INSERT INTO search_stale (store_id, group_key) SELECT new.store_id, "
        f"new.group_key WHERE {_MOVED.format(n='new', o='old').replace('IS DISTINCT FROM', 'IS NOT')}; END"),
}
POSTGRES_FUNCTION = f"""
CREATE FUNCTION search_stale_mark() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN {_MARK.format(r='OLD')} END IF;
    IF TG_OP = 'INSERT' OR (TG_OP = 'UPDATE' AND ({_MOVED.format(n='NEW', o='OLD')})) THEN
        {_MARK.format(r='NEW')}
    END IF;
    RETURN NULL;
END $$
"""
POSTGRES_TRIGGERS = {
    "products_stale_aid": "AFTER INSERT OR DELETE ON products FOR EACH ROW EXECUTE FUNCTION search_stale_mark()",
    "products_stale_au": (f"AFTER UPDATE ON products FOR EACH ROW WHEN ({_MOVES.format(o='OLD', n='NEW')}) "
                          "EXECUTE FUNCTION search_stale_mark()"),
}


def upgrade() -> None:
    for column in FACTS:
        op.add_column("search_docs", sa.Column(column, sa.Integer(), nullable=True))  # plain ALTER: keeps FTS
    op.create_table(
        "search_stale",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("store_id", sa.Integer(), nullable=False),
        sa.Column("group_key", sa.String(255), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_search_stale"),
    )
    op.create_index("ix_search_stale_group", "search_stale", ["store_id", "group_key"])
    if op.get_bind().dialect.name == "sqlite":
        for name, body in SQLITE_TRIGGERS.items():
            op.execute(f"CREATE TRIGGER {name} {body}")
    else:
        op.execute(POSTGRES_FUNCTION)
        for name, body in POSTGRES_TRIGGERS.items():
            op.execute(f"CREATE TRIGGER {name} {body}")
    op.execute("INSERT INTO search_stale (store_id, group_key) SELECT store_id, group_key FROM search_docs")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    else:
        for name in POSTGRES_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name} ON products")
        op.execute("DROP FUNCTION IF EXISTS search_stale_mark()")
    op.drop_index("ix_search_stale_group", table_name="search_stale")
    op.drop_table("search_stale")
    for column in FACTS:
        op.drop_column("search_docs", column)
