"""Festival-wide product search (issue 21): search documents, synonyms per festival, zero-result counts.

SQLite: an FTS5 table with the trigram tokenizer (``search_fts``, rowid = ``search_docs.id``) kept in step by
triggers. PostgreSQL: the pg_trgm extension and a GIN trigram index on ``search_docs.body``.

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from server.persistence.tables import UtcDateTime

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

SQLITE_FTS = (
    "CREATE VIRTUAL TABLE search_fts USING fts5(body, tokenize='trigram')",
    "CREATE TRIGGER search_docs_ai AFTER INSERT ON search_docs BEGIN "
    "INSERT INTO search_fts(rowid, body) VALUES (new.id, new.body); END",
    "CREATE TRIGGER search_docs_ad AFTER DELETE ON search_docs BEGIN "
    "DELETE FROM search_fts WHERE rowid = old.id; END",
    "CREATE TRIGGER search_docs_au AFTER UPDATE OF body ON search_docs BEGIN "
    "UPDATE search_fts SET body = new.body WHERE rowid = new.id; END",
)


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    if not sqlite:
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.create_table(
        "search_docs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("festival_id", sa.Integer(), nullable=False),
        sa.Column("store_id", sa.Integer(), nullable=False),
        sa.Column("group_key", sa.String(255), nullable=False),
        sa.Column("name_text", sa.Text(), nullable=False),
        sa.Column("category_text", sa.Text(), nullable=False),
        sa.Column("other_text", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["festival_id"], ["festivals.id"], name="fk_search_docs_festival_id_festivals",
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["store_id"], ["stores.id"], name="fk_search_docs_store_id_stores",
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_search_docs"),
        sa.UniqueConstraint("store_id", "group_key", name="uq_search_docs_store_group"),
    )
    op.create_index("ix_search_docs_festival_id", "search_docs", ["festival_id"])
    op.create_index("ix_search_docs_body_trgm", "search_docs", ["body"], postgresql_using="gin",
                    postgresql_ops={"body": "gin_trgm_ops"})
    op.create_table(
        "search_synonyms",
        sa.Column("festival_id", sa.Integer(), nullable=False),
        sa.Column("groups_json", sa.Text(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["festival_id"], ["festivals.id"], name="fk_search_synonyms_festival_id_festivals",
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("festival_id", name="pk_search_synonyms"),
    )
    op.create_table(
        "search_misses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("festival_id", sa.Integer(), nullable=False),
        sa.Column("store_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.String(10), nullable=False),
        sa.Column("query", sa.String(100), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["festival_id"], ["festivals.id"], name="fk_search_misses_festival_id_festivals",
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_search_misses"),
        sa.UniqueConstraint("festival_id", "store_id", "day", "query", name="uq_search_misses_key"),
    )
    if sqlite:
        for statement in SQLITE_FTS:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for trigger in ("search_docs_ai", "search_docs_ad", "search_docs_au"):
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        op.execute("DROP TABLE IF EXISTS search_fts")
    op.drop_table("search_misses")
    op.drop_table("search_synonyms")
    op.drop_index("ix_search_docs_body_trgm", table_name="search_docs")
    op.drop_index("ix_search_docs_festival_id", table_name="search_docs")
    op.drop_table("search_docs")
