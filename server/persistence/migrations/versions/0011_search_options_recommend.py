"""Search speed and recommendations (issue 21).

Search (services/search_sql.py works in SQL what it worked in Python):

- ``search_docs``: the names and the category path without spaces (``name_flat``, ``category_flat``) and each
  field's Latin word starts (``*_starts``, ``search_text.word_starts``): what SQL scores words in; the category
  of the group's first variant (``category_path``) and whether every variant has it (``one_category``); filled
  here from the rows already there;
- ``search_options``: each shelved variant's options (name, value, the keys the option filter compares, and the
  first row of each name and value in its group, which the facets count); filled here from the catalog data of
  the groups already indexed (``server/domain/search_text.option_index``, the rule the index uses afterwards);
- ``ix_products_shelf`` replaces ``ix_products_store_id_group_key``: the same lookup, covering the columns search
  reads of every variant (price, stock, category), so a broad search reads the index only.

Recommendations: ``recommend_pairs``, ``recommend_tags``, ``recommend_opt_outs``: item-to-item co-occurrence
counts, the keyed tags that tell shoppers apart below the k-anonymity threshold, and the sessions that turned
personalisation off (server/domain/recommend.py, docs/ANALYTICS.md).

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

from server.domain.search_text import option_index, options_of, word_starts
from server.persistence.tables import UtcDateTime

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

TEXTS = ("name_flat", "category_flat", "name_starts", "category_starts", "other_starts", "category_path")
SHELF_COLUMNS = ["store_id", "group_key", "active", "status", "id", "price", "sale_price", "stock", "category"]
# The variants of a document's group on the shelf (correlated with the UPDATE's search_docs row).
GROUP = ("FROM products p WHERE p.store_id = search_docs.store_id AND p.group_key = search_docs.group_key "
         "AND p.active = :on AND p.status = 'active'")


def upgrade() -> None:
    op.drop_index("ix_products_store_id_group_key", table_name="products")
    op.create_index("ix_products_shelf", "products", SHELF_COLUMNS)
    # Plain ALTER TABLE (no batch copy on SQLite: that would drop the FTS triggers of migration 0010).
    for column in TEXTS:
        op.add_column("search_docs", sa.Column(column, sa.Text(), server_default="", nullable=False))
    op.add_column("search_docs", sa.Column("one_category", sa.Boolean(), server_default=sa.true(), nullable=False))
    op.get_bind().execute(sa.text(
        "UPDATE search_docs SET name_flat = REPLACE(name_text, ' ', ''), "
        "category_flat = REPLACE(category_text, ' ', ''), "
        f"category_path = COALESCE((SELECT p.category {GROUP} ORDER BY p.id LIMIT 1), ''), "
        f"one_category = (SELECT COUNT(DISTINCT p.category) <= 1 {GROUP})"), {"on": True})
    _fill_starts()
    op.create_table(
        "search_options",
        sa.Column("doc_id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("pos", sa.Integer(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("name_key", sa.Text(), nullable=False),
        sa.Column("value_key", sa.Text(), nullable=False),
        sa.Column("first_in_doc", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["doc_id"], ["search_docs.id"], name="fk_search_options_doc_id_search_docs",
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["product_id"], ["products.id"], name="fk_search_options_product_id_products",
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("doc_id", "product_id", "pos", name="pk_search_options"),
    )
    op.create_index("ix_search_options_product_id", "search_options", ["product_id"])
    _fill_options()
    op.create_table(
        "recommend_pairs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("a_id", sa.Integer(), nullable=False),
        sa.Column("b_id", sa.Integer(), nullable=False),
        sa.Column("shoppers", sa.Integer(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["a_id"], ["products.id"], name="fk_recommend_pairs_a_id_products",
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["b_id"], ["products.id"], name="fk_recommend_pairs_b_id_products",
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_recommend_pairs"),
        sa.UniqueConstraint("kind", "a_id", "b_id", name="uq_recommend_pairs_key"),
    )
    op.create_index("ix_recommend_pairs_kind_b_id", "recommend_pairs", ["kind", "b_id"])
    op.create_index("ix_recommend_pairs_updated_at", "recommend_pairs", ["updated_at"])
    op.create_table(
        "recommend_tags",
        sa.Column("pair_id", sa.Integer(), nullable=False),
        sa.Column("tag", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.ForeignKeyConstraint(["pair_id"], ["recommend_pairs.id"], name="fk_recommend_tags_pair_id_recommend_pairs",
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("pair_id", "tag", name="pk_recommend_tags"),
    )
    op.create_table(
        "recommend_opt_outs",
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["session_id"], ["shopper_sessions.id"],
                                name="fk_recommend_opt_outs_session_id_shopper_sessions", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("session_id", name="pk_recommend_opt_outs"),
    )


def _fill_starts() -> None:
    """Each document's Latin word starts (``search_text.word_starts``, as ``services/search_index`` writes them)."""
    conn = op.get_bind()
    docs = conn.execute(sa.text("SELECT id, name_text, category_text, other_text FROM search_docs")).all()
    update = sa.text("UPDATE search_docs SET name_starts = :n, category_starts = :c, other_starts = :o WHERE id = :id")
    for start in range(0, len(docs), 1000):
        conn.execute(update, [{"id": i, "n": word_starts(n), "c": word_starts(c), "o": word_starts(o)}
                              for i, n, c, o in docs[start:start + 1000]])


def _fill_options() -> None:
    """The options of every variant whose product group is indexed, as ``services/search_index`` writes them."""
    conn = op.get_bind()
    rows = conn.execute(sa.text(
        "SELECT d.id, p.id, p.data_json FROM products p JOIN search_docs d ON d.store_id = p.store_id "
        "AND d.group_key = p.group_key WHERE p.active = :on AND p.status = 'active' AND p.data_json LIKE :has "
        "ORDER BY d.id, p.id"), {"on": True, "has": '%"options"%'})
    batch: list[dict[str, object]] = []
    seen: set[tuple[int, str, str]] = set()
    for doc_id, product_id, data_json in rows.all():
        for pos, (name, value, name_key, value_key) in enumerate(option_index(options_of(json.loads(data_json)))):
            first = (doc_id, name, value) not in seen
            seen.add((doc_id, name, value))
            batch.append({"doc_id": doc_id, "product_id": product_id, "pos": pos, "name": name, "value": value,
                          "name_key": name_key, "value_key": value_key, "first_in_doc": first})
    if batch:
        op.bulk_insert(sa.table("search_options", *(sa.column(c) for c in (
            "doc_id", "product_id", "pos", "name", "value", "name_key", "value_key", "first_in_doc"))), batch)


def downgrade() -> None:
    op.drop_table("recommend_opt_outs")
    op.drop_table("recommend_tags")
    op.drop_index("ix_recommend_pairs_updated_at", table_name="recommend_pairs")
    op.drop_index("ix_recommend_pairs_kind_b_id", table_name="recommend_pairs")
    op.drop_table("recommend_pairs")
    op.drop_index("ix_search_options_product_id", table_name="search_options")
    op.drop_table("search_options")
    for column in ("one_category", *TEXTS):
        op.drop_column("search_docs", column)
    op.drop_index("ix_products_shelf", table_name="products")
    op.create_index("ix_products_store_id_group_key", "products", ["store_id", "group_key"])
