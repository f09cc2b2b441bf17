"""ORM tables. Times are timezone-aware UTC; money is integer minor units plus an ISO 4217 code."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    and_,
    text,
    true,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.types import TypeDecorator

# Stable constraint names so Alembic migrations are identical on SQLite and PostgreSQL.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UtcDateTime(TypeDecorator[datetime]):
    """Stores aware datetimes; SQLite drops the zone, so it is put back as UTC on the way out."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Festival(Base):
    __tablename__ = "festivals"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name_ko: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Seoul")
    starts_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    ends_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    visitor_cap: Mapped[int | None] = mapped_column(Integer, nullable=True)
    instance_capacity: Mapped[int] = mapped_column(Integer, default=100)
    plaza_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class Merchant(Base):
    __tablename__ = "merchants"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    festival_id: Mapped[int] = mapped_column(ForeignKey("festivals.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    contact_email: Mapped[str | None] = mapped_column(String(320), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class ShopperSession(Base):
    __tablename__ = "shopper_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    display_name: Mapped[str] = mapped_column(String(40))
    locale: Mapped[str] = mapped_column(String(8), default="ko")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class ApiToken(Base):
    """A bearer token, stored only as its SHA-256; ``role`` decides which owner column is set."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    festival_id: Mapped[int | None] = mapped_column(
        ForeignKey("festivals.id", ondelete="CASCADE"), nullable=True, index=True
    )
    merchant_id: Mapped[int | None] = mapped_column(
        ForeignKey("merchants.id", ondelete="CASCADE"), nullable=True, index=True
    )
    session_id: Mapped[int | None] = mapped_column(
        ForeignKey("shopper_sessions.id", ondelete="CASCADE"), nullable=True, index=True
    )
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class Store(Base):
    __tablename__ = "stores"
    __table_args__ = (Index("ix_stores_festival_status", "festival_id", "status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    festival_id: Mapped[int] = mapped_column(ForeignKey("festivals.id", ondelete="CASCADE"))
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id", ondelete="CASCADE"), index=True)
    name_ko: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    currency: Mapped[str] = mapped_column(String(3), default="KRW")
    layout_json: Mapped[str | None] = mapped_column(Text, nullable=True)
    scene_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


def _own_group(context: Any) -> str:
    """A product inserted without a group is its own group (its SKU)."""
    return str(context.get_current_parameters()["sku"])


class Product(Base):
    """A store's catalog entry: one row per variant (cart and order lines point at it).

    ``active`` is false once a catalog replacement drops it (orders keep it). ``status`` is the catalog's
    visibility (active, draft, archived, unpublished); shoppers see only rows that are active with status
    active (:func:`on_shelf`). ``group_key`` names the product the variant belongs to (its SKU when it has no
    variants)."""

    __tablename__ = "products"
    # ix_products_shelf covers what search reads of every variant of a product group on the shelf (its price,
    # stock and category), so a broad search never touches the rows themselves (migration 0011).
    __table_args__ = (UniqueConstraint("store_id", "sku", name="uq_products_store_sku"),
                      Index("ix_products_shelf", "store_id", "group_key", "active", "status", "id", "price",
                            "sale_price", "stock", "category"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    sku: Mapped[str] = mapped_column(String(64))
    name_ko: Mapped[str | None] = mapped_column(String(300), nullable=True)
    name_en: Mapped[str | None] = mapped_column(String(300), nullable=True)
    category: Mapped[str] = mapped_column(String(300), default="")
    price: Mapped[int] = mapped_column(BigInteger)
    sale_price: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    currency: Mapped[str] = mapped_column(String(3))
    stock: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(default=True)
    model_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    image_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    data_json: Mapped[str] = mapped_column(Text, default="{}")
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)
    group_key: Mapped[str] = mapped_column(String(255), default=_own_group, server_default="")
    status: Mapped[str] = mapped_column(String(16), default="active", server_default="active")


def on_shelf(columns: Any) -> ColumnElement[bool]:
    """The one rule of what shoppers see: a product still in the catalog whose status is active.

    ``columns`` is the ORM class (``Product``) or the table's columns (``products.c``)."""
    return and_(columns.active.is_(True), columns.status == "active")


class CatalogStaging(Base):
    """A catalog replacement on its way in: written in batches (each a short transaction, so checkouts and
    other merchants' writes interleave), then swapped into ``products`` in one transaction of set-based
    statements, and deleted. Rows of an import that died midway are swept by age."""

    __tablename__ = "catalog_staging"

    import_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    sku: Mapped[str] = mapped_column(String(64), primary_key=True)
    name_ko: Mapped[str | None] = mapped_column(String(300), nullable=True)
    name_en: Mapped[str | None] = mapped_column(String(300), nullable=True)
    category: Mapped[str] = mapped_column(String(300))
    price: Mapped[int] = mapped_column(BigInteger)
    sale_price: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    currency: Mapped[str] = mapped_column(String(3))
    stock: Mapped[int] = mapped_column(Integer)
    data_json: Mapped[str] = mapped_column(Text)
    staged_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    group_key: Mapped[str] = mapped_column(String(255), server_default="")
    status: Mapped[str] = mapped_column(String(16), server_default="active")
    # The row's place in the file: new products get their ids in file order (a product's first variant first).
    position: Mapped[int] = mapped_column(Integer, server_default=text("0"))


class DiscountRule(Base):
    """Festival discount: percent off, by store and/or category prefix; only inside the sale window."""

    __tablename__ = "discount_rules"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    festival_id: Mapped[int] = mapped_column(ForeignKey("festivals.id", ondelete="CASCADE"), index=True)
    percent: Mapped[int] = mapped_column(Integer)
    store_id: Mapped[int | None] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"), nullable=True)
    category: Mapped[str | None] = mapped_column(String(300), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class Build(Base):
    """A scene build of one store: queued → running → succeeded | failed."""

    __tablename__ = "builds"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="queued")
    progress: Mapped[int] = mapped_column(Integer, default=0)
    step: Mapped[str | None] = mapped_column(String(64), nullable=True)
    report_json: Mapped[str | None] = mapped_column(Text, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    scene_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class Asset(Base):
    """A merchant upload, stored content-addressed under the data directory (never by client name)."""

    __tablename__ = "assets"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    media_type: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


# --- Carts, checkout and orders (issue 6) -------------------------------------------------------------------


class Cart(Base):
    """A group cart: its members share one set of lines; ``version`` goes up by one on every change."""

    __tablename__ = "carts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    share_code: Mapped[str] = mapped_column(String(6), unique=True)
    owner_session_id: Mapped[int] = mapped_column(ForeignKey("shopper_sessions.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="open")
    version: Mapped[int] = mapped_column(Integer, default=1)
    # Set by the first line (one festival and one currency per cart); cleared when the cart empties.
    festival_id: Mapped[int | None] = mapped_column(ForeignKey("festivals.id", ondelete="CASCADE"), nullable=True)
    currency: Mapped[str | None] = mapped_column(String(3), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    # The fresh cart its members carry on with once it is checked out (same members, new share code).
    successor_id: Mapped[int | None] = mapped_column(Integer, nullable=True)


class CartMember(Base):
    __tablename__ = "cart_members"

    cart_id: Mapped[int] = mapped_column(ForeignKey("carts.id", ondelete="CASCADE"), primary_key=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("shopper_sessions.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    joined_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class CartLine(Base):
    __tablename__ = "cart_lines"
    __table_args__ = (UniqueConstraint("cart_id", "product_id", name="uq_cart_lines_cart_product"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cart_id: Mapped[int] = mapped_column(ForeignKey("carts.id", ondelete="CASCADE"))
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"))
    quantity: Mapped[int] = mapped_column(Integer)
    added_by: Mapped[int] = mapped_column(ForeignKey("shopper_sessions.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class OrderGroup(Base):
    """One checkout of one cart: one order per store, paid together."""

    __tablename__ = "order_groups"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cart_id: Mapped[int] = mapped_column(ForeignKey("carts.id", ondelete="CASCADE"), unique=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("shopper_sessions.id", ondelete="CASCADE"), index=True)
    total: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    payment_provider: Mapped[str] = mapped_column(String(32))
    payment_reference: Mapped[str] = mapped_column(String(128))
    fulfilment_json: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    payment_method: Mapped[str] = mapped_column(String(16), default="card", server_default="card")
    shipping_total: Mapped[int] = mapped_column(BigInteger, default=0, server_default=text("0"))


class Order(Base):
    """One store's part of an order group: paid → ready_for_pickup | shipped → completed, or cancelled."""

    __tablename__ = "orders"
    __table_args__ = (Index("ix_orders_store_id_id", "store_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("order_groups.id", ondelete="CASCADE"), index=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    session_id: Mapped[int] = mapped_column(ForeignKey("shopper_sessions.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(20))
    total: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    fulfilment_json: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    shipping_fee: Mapped[int] = mapped_column(BigInteger, default=0, server_default=text("0"))  # in ``total``


class OrderLine(Base):
    """A snapshot of what was sold: sku, name and price as charged, whatever the catalog does later."""

    __tablename__ = "order_lines"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"), index=True)
    sku: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(300))
    quantity: Mapped[int] = mapped_column(Integer)
    unit_price: Mapped[int] = mapped_column(BigInteger)
    line_total: Mapped[int] = mapped_column(BigInteger)


class StoreFulfilment(Base):
    """What a store's merchant set for fulfilment: its shipping fees and its opening hours (pickup slots).

    No row, or empty hours, means: delivery costs nothing extra and the store offers no pickup."""

    __tablename__ = "store_fulfilment"

    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"), primary_key=True)
    shipping_flat_fee: Mapped[int] = mapped_column(BigInteger, default=0)
    shipping_free_over: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    remote_areas_json: Mapped[str] = mapped_column(Text, default="[]")  # [{from, to, surcharge}] postal ranges
    opening_hours_json: Mapped[str] = mapped_column(Text, default="{}")  # {"mon": [["10:00", "20:00"]], …}
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class Payment(Base):
    """One payment attempt at a provider, written before the provider is asked: the ledger that lets a restart
    void an authorisation whose order never committed, and capture one whose order did (services/payments.py).

    authorising → authorised (its order group committed) → captured; authorising → declined; authorising |
    authorised without an order group → voiding → voided. ``refunded`` counts what went back for cancelled orders."""

    __tablename__ = "payments"
    __table_args__ = (Index("ix_payments_status_updated_at", "status", "updated_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reference: Mapped[str] = mapped_column(String(64), unique=True)  # our idempotency key at the provider
    provider: Mapped[str] = mapped_column(String(32))
    method: Mapped[str] = mapped_column(String(16))
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(16))
    session_id: Mapped[int] = mapped_column(ForeignKey("shopper_sessions.id", ondelete="CASCADE"))
    cart_id: Mapped[int] = mapped_column(ForeignKey("carts.id", ondelete="CASCADE"))
    group_id: Mapped[int | None] = mapped_column(ForeignKey("order_groups.id", ondelete="SET NULL"), nullable=True,
                                                 index=True)
    provider_key: Mapped[str | None] = mapped_column(String(200), nullable=True)  # e.g. Toss's paymentKey
    provider_order_id: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    refunded: Mapped[int] = mapped_column(BigInteger, default=0)
    decline_code: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class IdempotencyKey(Base):
    """A client's ``Idempotency-Key``, scoped to its session: in_flight while running, then done + response."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (
        UniqueConstraint("session_id", "key", name="uq_idempotency_keys_session_key"),
        Index("ix_idempotency_keys_created_at", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("shopper_sessions.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(255))
    request_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))
    # A fresh token per claim: completion only counts for the claim that still holds the key.
    lock_token: Mapped[str] = mapped_column(String(32))
    response_status: Mapped[int | None] = mapped_column(Integer, nullable=True)
    response_body: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    locked_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class FestivalLoad(Base):
    """Live load of a festival per minute: shoppers who arrived, and shoppers present (what the forecast reads).

    Each worker adds its own counts to the minute's row (arrivals and its seats), so the row is the festival's
    total however many workers serve it. Kept for ``LOAD_RETENTION_DAYS`` (see services/load_history.py)."""

    __tablename__ = "festival_load"

    festival_id: Mapped[int] = mapped_column(ForeignKey("festivals.id", ondelete="CASCADE"), primary_key=True)
    minute: Mapped[datetime] = mapped_column(UtcDateTime, primary_key=True)
    arrivals: Mapped[int] = mapped_column(Integer, default=0)
    shoppers: Mapped[int] = mapped_column(Integer, default=0)


class AnalyticsMinute(Base):
    """One analytics counter of one minute (see server/domain/analytics.py for the kinds): counts only, never a
    shopper. Each worker inserts its own rows; answers add them up. Kept ``VRSTORE_ANALYTICS_RETENTION_DAYS``.

    Rows arrive in time order, so on PostgreSQL a BRIN index on ``minute`` serves the time-range reads at a
    fraction of a B-tree's size; SQLite ignores ``postgresql_using`` and builds a normal index."""

    __tablename__ = "analytics_minute"
    __table_args__ = (Index("ix_analytics_minute_minute", "minute", postgresql_using="brin"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    minute: Mapped[datetime] = mapped_column(UtcDateTime)
    festival: Mapped[str] = mapped_column(String(64))
    store: Mapped[str] = mapped_column(String(80))  # "" for festival-wide rows; a plaza is "plaza:<festival>"
    kind: Mapped[str] = mapped_column(String(16))
    key: Mapped[str] = mapped_column(String(128))
    n: Mapped[int] = mapped_column(BigInteger)
    shoppers: Mapped[int] = mapped_column(Integer)
    value: Mapped[float] = mapped_column(Float)


# --- Image URLs fetched on a merchant's request (issue 17) ---------------------------------------------------

# At most one job per store is queued or running, whichever worker took it (a partial unique index).
_ACTIVE_FETCH = "status IN ('queued', 'running')"


class ImageFetchJob(Base):
    """One run of the image fetcher over a store's catalog URLs: queued → running → finished | failed |
    cancelled. ``heartbeat_at`` moves while it runs; a job silent for long was lost with its process."""

    __tablename__ = "image_fetch_jobs"
    __table_args__ = (
        Index("ix_image_fetch_jobs_store_id_created_at", "store_id", "created_at"),
        Index("uq_image_fetch_jobs_active_store", "store_id", unique=True,
              sqlite_where=text(_ACTIVE_FETCH), postgresql_where=text(_ACTIVE_FETCH)),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(16), default="queued")
    mode: Mapped[str] = mapped_column(String(16))
    refetch: Mapped[bool] = mapped_column(default=False)
    total: Mapped[int] = mapped_column(Integer, default=0)
    done: Mapped[int] = mapped_column(Integer, default=0)
    skipped: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    heartbeat_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class ImageFetchResult(Base):
    """The outcome of one URL in one job, with a stable code (``server/domain/fetch_policy.OUTCOMES``)."""

    __tablename__ = "image_fetch_results"
    __table_args__ = (Index("ix_image_fetch_results_job_id_id", "job_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    job_id: Mapped[str] = mapped_column(ForeignKey("image_fetch_jobs.id", ondelete="CASCADE"))
    url: Mapped[str] = mapped_column(Text)
    outcome: Mapped[str] = mapped_column(String(32))
    detail: Mapped[str] = mapped_column(String(500), default="")
    http_status: Mapped[int | None] = mapped_column(Integer, nullable=True)
    sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)


class FetchedImage(Base):
    """A catalog image URL of a store and the stored image (an ``assets`` row) it was fetched as."""

    __tablename__ = "fetched_images"

    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"), primary_key=True)
    url: Mapped[str] = mapped_column(String(2048), primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64))
    fetched_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


# --- Festival-wide product search (issue 21) -----------------------------------------------------------------


class SearchDoc(Base):
    """The searchable text of one product group on the shelf (server/domain/search_text.py), rebuilt per store
    whenever its catalog is replaced (services/search_index.py). Prices and stock are read live from
    ``products``. On SQLite an FTS5 trigram table ``search_fts`` (rowid = id) follows it by triggers (migration
    0010); on PostgreSQL a pg_trgm GIN index on ``body`` serves the same substring matches."""

    __tablename__ = "search_docs"
    __table_args__ = (
        UniqueConstraint("store_id", "group_key", name="uq_search_docs_store_group"),
        Index("ix_search_docs_festival_id", "festival_id"),
        Index("ix_search_docs_body_trgm", "body", postgresql_using="gin", postgresql_ops={"body": "gin_trgm_ops"}),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    festival_id: Mapped[int] = mapped_column(ForeignKey("festivals.id", ondelete="CASCADE"))
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    group_key: Mapped[str] = mapped_column(String(255))
    name_text: Mapped[str] = mapped_column(Text)
    category_text: Mapped[str] = mapped_column(Text)
    other_text: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    # Migration 0011: the names and the category path without spaces, and each field's Latin word starts
    # (search_text.word_starts): what SQL scores words in; the category of the group's first variant, and
    # whether all its variants share it (then search needs no variant's category to count or filter by it).
    name_flat: Mapped[str] = mapped_column(Text, server_default="")
    category_flat: Mapped[str] = mapped_column(Text, server_default="")
    name_starts: Mapped[str] = mapped_column(Text, server_default="")
    category_starts: Mapped[str] = mapped_column(Text, server_default="")
    other_starts: Mapped[str] = mapped_column(Text, server_default="")
    category_path: Mapped[str] = mapped_column(Text, server_default="")
    one_category: Mapped[bool] = mapped_column(server_default=true())
    # Migration 0012: the group's shelf facts (services/search_facts.py), NULL when none of it is on the shelf:
    # its first variant, lowest price before the festival discount, whether one is below its regular price,
    # priced above 0, in stock. Current unless the group has a key in search_stale.
    shelf_first: Mapped[int | None] = mapped_column(Integer)
    shelf_low: Mapped[int | None] = mapped_column(Integer)
    shelf_sale: Mapped[int | None] = mapped_column(Integer)
    shelf_priced: Mapped[int | None] = mapped_column(Integer)
    shelf_stocked: Mapped[int | None] = mapped_column(Integer)


class SearchStale(Base):
    """A product group whose shelf facts on its search document may be out of date: written by a trigger on
    ``products`` with the change (migration 0012), removed once the facts are recomputed (search_facts.py).
    Insert-only on the hot path, so duplicates are allowed and no key is unique."""

    __tablename__ = "search_stale"
    __table_args__ = (Index("ix_search_stale_group", "store_id", "group_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    store_id: Mapped[int] = mapped_column(Integer)
    group_key: Mapped[str] = mapped_column(String(255))


class SearchSynonyms(Base):
    """A festival's synonym groups as its organizer set them (JSON list of lists); no row: the starter set."""

    __tablename__ = "search_synonyms"

    festival_id: Mapped[int] = mapped_column(ForeignKey("festivals.id", ondelete="CASCADE"), primary_key=True)
    groups_json: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class SearchMiss(Base):
    """How often a query found nothing, per festival, store (0: festival-wide) and day: counts, never a shopper."""

    __tablename__ = "search_misses"
    __table_args__ = (UniqueConstraint("festival_id", "store_id", "day", "query", name="uq_search_misses_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    festival_id: Mapped[int] = mapped_column(ForeignKey("festivals.id", ondelete="CASCADE"))
    store_id: Mapped[int] = mapped_column(Integer)
    day: Mapped[str] = mapped_column(String(10))  # YYYY-MM-DD, UTC
    query: Mapped[str] = mapped_column(String(100))
    n: Mapped[int] = mapped_column(Integer)


class SearchOption(Base):
    """One option (colour, size …) of a variant on the shelf, as search filters and counts them without reading
    the catalog data (``server/domain/search_text.option_index``): rebuilt with its product group's document."""

    __tablename__ = "search_options"
    __table_args__ = (Index("ix_search_options_product_id", "product_id"),)

    # Keyed by the document too: a variant that moved to another group has its old rows until that group's
    # document is rebuilt, and reads join on both.
    doc_id: Mapped[int] = mapped_column(ForeignKey("search_docs.id", ondelete="CASCADE"), primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"), primary_key=True)
    pos: Mapped[int] = mapped_column(Integer, primary_key=True)  # the option's place in the variant's options
    name: Mapped[str] = mapped_column(Text)
    value: Mapped[str] = mapped_column(Text)
    name_key: Mapped[str] = mapped_column(Text)
    value_key: Mapped[str] = mapped_column(Text)
    # The first row of its (name, value) in the group: counting these counts groups (the facets' unit).
    first_in_doc: Mapped[bool] = mapped_column()


# --- Recommendations (issue 21): item-to-item co-occurrence, counts only --------------------------------------


class RecommendPair(Base):
    """How many distinct shoppers produced a pair of products in one visit (server/domain/recommend.py):
    ``looked`` (both looked at; ``a_id < b_id``) or ``bought`` (looked at ``a``, bought ``b``). Products are each
    group's first variant. Shown only from ``K_MIN`` shoppers (the analytics rule)."""

    __tablename__ = "recommend_pairs"
    __table_args__ = (UniqueConstraint("kind", "a_id", "b_id", name="uq_recommend_pairs_key"),
                      Index("ix_recommend_pairs_kind_b_id", "kind", "b_id"),
                      Index("ix_recommend_pairs_updated_at", "updated_at"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(8))
    a_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"))
    b_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"))
    shoppers: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class RecommendTag(Base):
    """While a pair has fewer than ``K_MIN`` shoppers: one keyed hash per shopper and pair (not the session, not
    linkable across pairs), so a shopper counted once is never counted again, on any worker. Deleted once the
    pair reaches ``K_MIN``, and with the pair."""

    __tablename__ = "recommend_tags"

    pair_id: Mapped[int] = mapped_column(ForeignKey("recommend_pairs.id", ondelete="CASCADE"), primary_key=True)
    tag: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)


class RecommendOptOut(Base):
    """A shopper session that turned personalisation off: none of its looks, cart lines or orders are counted
    in pairs, and it gets no personal shelf (docs/ANALYTICS.md)."""

    __tablename__ = "recommend_opt_outs"

    session_id: Mapped[int] = mapped_column(ForeignKey("shopper_sessions.id", ondelete="CASCADE"), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
