"""Image fetches: jobs, the outcome of each URL, and which catalog URL became which stored image.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from server.persistence.tables import UtcDateTime

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

ACTIVE = "status IN ('queued', 'running')"


def upgrade() -> None:
    op.create_table(
        "image_fetch_jobs",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("store_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("mode", sa.String(16), nullable=False),
        sa.Column("refetch", sa.Boolean(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("done", sa.Integer(), nullable=False),
        sa.Column("skipped", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("started_at", UtcDateTime(), nullable=True),
        sa.Column("finished_at", UtcDateTime(), nullable=True),
        sa.Column("heartbeat_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_image_fetch_jobs"),
        sa.ForeignKeyConstraint(["store_id"], ["stores.id"], name="fk_image_fetch_jobs_store_id_stores",
                                ondelete="CASCADE"),
    )
    op.create_index("ix_image_fetch_jobs_store_id_created_at", "image_fetch_jobs", ["store_id", "created_at"])
    # One queued or running job per store, whichever worker process took it.
    op.create_index("uq_image_fetch_jobs_active_store", "image_fetch_jobs", ["store_id"], unique=True,
                    sqlite_where=sa.text(ACTIVE), postgresql_where=sa.text(ACTIVE))
    op.create_table(
        "image_fetch_results",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("job_id", sa.String(32), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("outcome", sa.String(32), nullable=False),
        sa.Column("detail", sa.String(500), nullable=False),
        sa.Column("http_status", sa.Integer(), nullable=True),
        sa.Column("sha256", sa.String(64), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_image_fetch_results"),
        sa.ForeignKeyConstraint(["job_id"], ["image_fetch_jobs.id"],
                                name="fk_image_fetch_results_job_id_image_fetch_jobs", ondelete="CASCADE"),
    )
    op.create_index("ix_image_fetch_results_job_id_id", "image_fetch_results", ["job_id", "id"])
    op.create_table(
        "fetched_images",
        sa.Column("store_id", sa.Integer(), nullable=False),
        sa.Column("url", sa.String(2048), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("fetched_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("store_id", "url", name="pk_fetched_images"),
        sa.ForeignKeyConstraint(["store_id"], ["stores.id"], name="fk_fetched_images_store_id_stores",
                                ondelete="CASCADE"),
    )


def downgrade() -> None:
    op.drop_table("fetched_images")
    op.drop_index("ix_image_fetch_results_job_id_id", table_name="image_fetch_results")
    op.drop_table("image_fetch_results")
    op.drop_index("uq_image_fetch_jobs_active_store", table_name="image_fetch_jobs")
    op.drop_index("ix_image_fetch_jobs_store_id_created_at", table_name="image_fetch_jobs")
    op.drop_table("image_fetch_jobs")
