"""Each product group's shelf facts on its search document, so that a broad search reads one row per group.

A search matching most of the festival needs, per product group, its first variant, its lowest price, and
whether a variant is on sale or in stock. Joining every matching document with every variant for that was most
of a broad search's time. These facts change only when a variant's price, place on the shelf or stock (across
zero) changes, so they are kept on ``search_docs`` (the ``shelf_*`` columns) and read from there.

**Kept exact without a lock on the hot path.** A trigger on ``products`` (migration 0012) writes the group's key
into ``search_stale`` in the same transaction as such a change. It only inserts. Updating the document instead
would lock it, and two checkouts selling the last of two variants of one group (each locking products in id
order) could then deadlock on PostgreSQL. Search reads the facts of documents without a stale key and joins the
variants of the rest (``search_sql``), so an answer is exact whether the refresh has run or not.
:func:`refresh_stale` (about once a second, ``server/search_watch.py``) recomputes the facts of stale groups and
removes the keys it read; an index rebuild writes each document with its facts (:func:`facts_of`) and removes
its groups' keys.

**Only the keys read are removed**, after the facts are recomputed: a key committed later (its change not yet
seen by the recomputation) stays for the next round.

The facts are before any festival discount. Search applies the discount per document, which is exact where all
the group's variants share one category (one percent for the group): the discounted price is monotone in the
base price, so the lowest base gives the lowest price (``pricing.discounted_sql``), and with a discount every
variant priced above 0 is on sale. Groups of mixed categories are always joined.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from sqlalchemy import Connection, text

from server.services.pricing import base_price, unit_price_sql

BATCH = 2_000  # stale keys per refresh unit: a big catalog swap is worked off in short writes
COLUMNS = ("shelf_first", "shelf_low", "shelf_sale", "shelf_priced", "shelf_stocked")
_BASE = unit_price_sql(price="p.price", sale_price="p.sale_price", percent="0")
# The facts of the search_docs row being updated: NULLs when no variant of its group is on the shelf.
FACTS = (f"SELECT MIN(p.id), MIN({_BASE}), MAX(CASE WHEN {_BASE} < p.price THEN 1 ELSE 0 END), "
         "MAX(CASE WHEN p.price > 0 THEN 1 ELSE 0 END), MAX(CASE WHEN p.stock > 0 THEN 1 ELSE 0 END) "
         "FROM products p WHERE p.store_id = search_docs.store_id AND p.group_key = search_docs.group_key "
         "AND p.active = :on AND p.status = 'active'")
STALE = "EXISTS (SELECT 1 FROM search_stale st WHERE st.store_id = d.store_id AND st.group_key = d.group_key)"


class Variant(Protocol):
    """What the facts read of a variant on the shelf."""

    id: int
    price: int
    sale_price: int | None
    stock: int


def facts_of(variants: Sequence[Variant]) -> dict[str, int]:
    """``FACTS`` of a group from its variants on the shelf (at least one), for a document being written: the
    index rebuild reads them anyway, and writing the document with its facts spares PostgreSQL a second version
    of every row. A test holds the two equal."""
    bases = [base_price(v.price, v.sale_price) for v in variants]
    return dict(zip(COLUMNS, (min(v.id for v in variants), min(bases),
                              int(any(b < v.price for b, v in zip(bases, variants, strict=True))),
                              int(any(v.price > 0 for v in variants)), int(any(v.stock > 0 for v in variants))),
                    strict=True))


def stale_ids(conn: Connection, store_id: int, keys: Sequence[str] | None) -> list[int]:
    """The stale keys of the store's groups (of ``keys``, else all): read before the variants that the facts
    are computed from, then removed with :func:`forget` (a key committed in between stays)."""
    where, params = _of_store(store_id, keys)
    return list(conn.execute(text(f"SELECT id FROM search_stale WHERE {where}"), params).scalars())


def any_stale(conn: Connection) -> bool:
    """Whether some group's facts wait for a refresh."""
    return conn.execute(text("SELECT 1 FROM search_stale LIMIT 1")).first() is not None


def refresh_stale(conn: Connection, limit: int = BATCH) -> int:
    """Recompute the facts of the oldest ``limit`` stale keys and remove those keys; returns how many it read."""
    rows = conn.execute(text("SELECT id, store_id, group_key FROM search_stale ORDER BY id LIMIT :n"),
                        {"n": limit}).all()
    by_store: dict[int, set[str]] = {}
    for row in rows:
        by_store.setdefault(int(row.store_id), set()).add(row.group_key)
    for store_id, keys in sorted(by_store.items()):
        _update(conn, *_of_store(store_id, sorted(keys)))  # one lock order for every refresher (several workers)
    forget(conn, [int(row.id) for row in rows])
    return len(rows)


def _of_store(store_id: int, keys: Sequence[str] | None) -> tuple[str, dict[str, object]]:
    """The documents of a store (of ``keys``, else all) as a WHERE clause and its parameters."""
    params: dict[str, object] = {"store": store_id}
    if keys is None:
        return "store_id = :store", params
    if not keys:
        return "1 = 0", params  # no group (an empty IN list is not SQL)
    params |= {f"k{i}": k for i, k in enumerate(keys)}
    return f"store_id = :store AND group_key IN ({', '.join(f':k{i}' for i in range(len(keys)))})", params


def _update(conn: Connection, where: str, params: dict[str, object]) -> None:
    conn.execute(text(f"UPDATE search_docs SET ({', '.join(COLUMNS)}) = ({FACTS}) WHERE {where}"),
                 {"on": True} | params)


def forget(conn: Connection, ids: list[int]) -> None:
    """Remove these stale keys (their groups' facts were computed after they were read)."""
    for start in range(0, len(ids), 500):  # statements of bounded length however many keys a swap left
        chunk = ids[start:start + 500]
        conn.execute(text(f"DELETE FROM search_stale WHERE id IN ({', '.join(str(i) for i in chunk)})"))
