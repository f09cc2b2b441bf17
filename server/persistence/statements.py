"""Prepared statements for the hot paths (checkout, token lookup, cart reads).

Building ``select(Cart.id).where(Cart.id == x)`` anew on every call costs more than running it: SQLAlchemy
coerces every operand, makes bind parameters and derives a cache key each time (about 5 ms of a
checkout's 5.4 ms on SQLite here). These are built once, at import, as Core statements on the tables
with named ``bindparam``s, and run as ``Prepared`` statements (see server.persistence.prepared: compiled once per
dialect, executed on the DB-API cursor). Python-side column defaults do not run there, so every INSERT
and UPDATE below sets its timestamps explicitly.

Both dialects run the very same statements; only the ``INSERT … ON CONFLICT`` construct is
dialect-specific (``key_insert``). Bind names start with ``p_`` because a name equal to a column that
an INSERT or UPDATE sets is reserved by SQLAlchemy.
"""

from __future__ import annotations

from functools import cache

from sqlalchemy import Insert, Table, and_, bindparam, exists, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from server.persistence.prepared import Prepared
from server.persistence.tables import Base, on_shelf

_T = Base.metadata.tables
api_tokens: Table = _T["api_tokens"]
carts: Table = _T["carts"]
cart_members: Table = _T["cart_members"]
cart_lines: Table = _T["cart_lines"]
products: Table = _T["products"]
stores: Table = _T["stores"]
shopper_sessions: Table = _T["shopper_sessions"]
festivals: Table = _T["festivals"]
discount_rules: Table = _T["discount_rules"]
order_groups: Table = _T["order_groups"]
orders: Table = _T["orders"]
order_lines: Table = _T["order_lines"]
idempotency_keys: Table = _T["idempotency_keys"]

# --- auth ---------------------------------------------------------------------------------------------------

TOKEN_BY_HASH = Prepared(select(
    api_tokens.c.id, api_tokens.c.token_hash, api_tokens.c.role, api_tokens.c.festival_id, api_tokens.c.merchant_id,
    api_tokens.c.session_id, api_tokens.c.revoked_at,
).where(api_tokens.c.token_hash == bindparam("p_hash")))

# --- cart reads ---------------------------------------------------------------------------------------------

_HEAD = select(carts.c.id, carts.c.share_code, carts.c.status, carts.c.version, carts.c.currency,
               carts.c.festival_id, carts.c.owner_session_id).where(carts.c.id == bindparam("p_cart"))
CART_HEAD = Prepared(_HEAD)
CART_HEAD_FOR_MEMBER = Prepared(_HEAD.join_from(carts, cart_members, cart_members.c.cart_id == carts.c.id)
                                .where(cart_members.c.session_id == bindparam("p_session")))

MEMBERS = Prepared(select(cart_members.c.session_id, shopper_sessions.c.display_name)
                   .join(shopper_sessions, shopper_sessions.c.id == cart_members.c.session_id)
                   .where(cart_members.c.cart_id == bindparam("p_cart"))
                   .order_by(cart_members.c.joined_at, cart_members.c.session_id))

_adder = shopper_sessions.alias("adder")
_LINES = (
    select(cart_lines.c.id, cart_lines.c.product_id, cart_lines.c.quantity, cart_lines.c.added_by,
           _adder.c.display_name, products.c.sku, products.c.name_ko, products.c.name_en, products.c.price,
           products.c.sale_price, products.c.currency, products.c.category, products.c.stock,
           on_shelf(products.c).label("active"),  # a hidden product is no longer sold: checkout refuses it
           products.c.store_id, stores.c.slug, stores.c.status, stores.c.merchant_id)
    .join(products, products.c.id == cart_lines.c.product_id)
    .join(stores, stores.c.id == products.c.store_id)
    .join(_adder, _adder.c.id == cart_lines.c.added_by)
    .where(cart_lines.c.cart_id == bindparam("p_cart"))
)
LINES_BY_ID = Prepared(_LINES.order_by(cart_lines.c.id))
LINES_BY_PRODUCT = Prepared(_LINES.order_by(cart_lines.c.product_id))  # the checkout's lock order

# The festival's window and its discount rules in one round trip (no rules: one row of NULL rule columns).
PRICING = Prepared(
    select(festivals.c.starts_at, festivals.c.ends_at, discount_rules.c.id, discount_rules.c.percent,
           discount_rules.c.store_id, discount_rules.c.category)
    .outerjoin(discount_rules, discount_rules.c.festival_id == festivals.c.id)
    .where(festivals.c.id == bindparam("p_festival")).order_by(discount_rules.c.id)
)

# --- checkout -----------------------------------------------------------------------------------------------

FREEZE_CART = Prepared(
    update(carts)
    .where(carts.c.id == bindparam("p_cart"), carts.c.status == "open",
           exists().where(and_(cart_members.c.cart_id == carts.c.id,
                               cart_members.c.session_id == bindparam("p_session"))))
    .values(status="checked_out", version=carts.c.version + 1, updated_at=bindparam("p_now"))
    .returning(carts.c.version, carts.c.festival_id, carts.c.currency)
)
TAKE_STOCK = Prepared(
    update(products)
    .where(products.c.id == bindparam("p_product"), products.c.stock >= bindparam("p_qty"))
    .values(stock=products.c.stock - bindparam("p_qty"), updated_at=bindparam("p_now"))
)
STOCK_OF = Prepared(select(products.c.stock).where(products.c.id == bindparam("p_product")))


def _insert(table: Table, *columns: str) -> Insert:
    """INSERT of exactly these columns, each from the parameter ``p_<column>``."""
    return insert(table).values({name: bindparam("p_" + name) for name in columns})


INSERT_GROUP = Prepared(_insert(order_groups, "cart_id", "session_id", "total", "currency", "payment_provider",
                                "payment_reference", "fulfilment_json", "created_at", "payment_method",
                                "shipping_total").returning(order_groups.c.id))
INSERT_ORDER = Prepared(_insert(orders, "group_id", "store_id", "session_id", "status", "total", "currency",
                                "fulfilment_json", "created_at", "updated_at", "shipping_fee").returning(orders.c.id))
INSERT_ORDER_LINES = Prepared(_insert(order_lines, "order_id", "product_id", "sku", "name", "quantity",
                                      "unit_price", "line_total"))  # executemany

# --- idempotency keys ---------------------------------------------------------------------------------------

KEY_ROW = Prepared(select(
    idempotency_keys.c.id, idempotency_keys.c.request_hash, idempotency_keys.c.status, idempotency_keys.c.lock_token,
    idempotency_keys.c.response_status, idempotency_keys.c.response_body, idempotency_keys.c.created_at,
    idempotency_keys.c.locked_at,
).where(idempotency_keys.c.session_id == bindparam("p_session"), idempotency_keys.c.key == bindparam("p_key")))
KEY_COMPLETE = Prepared(update(idempotency_keys)
                .where(idempotency_keys.c.id == bindparam("p_id"),
                       idempotency_keys.c.lock_token == bindparam("p_token"))
                .values(status="done", response_status=bindparam("p_status"), response_body=bindparam("p_body"))
                .returning(idempotency_keys.c.id))


@cache
def key_insert(dialect: str) -> Prepared:
    """``INSERT … ON CONFLICT (session_id, key) DO NOTHING RETURNING id``: one round trip, no exception and
    no savepoint when the key exists."""
    make = postgresql.insert if dialect == "postgresql" else sqlite.insert
    columns = ("session_id", "key", "request_hash", "status", "lock_token", "created_at", "locked_at")
    return Prepared(make(idempotency_keys).values({name: bindparam("p_" + name) for name in columns})
                    .on_conflict_do_nothing(index_elements=["session_id", "key"]).returning(idempotency_keys.c.id),
                    dialect="postgresql" if dialect == "postgresql" else "sqlite")
