"""Recommendations in the database: the co-occurrence pairs the visits of a worker produced (server/domain/
recommend.py), counted per distinct shopper; what a product page and a store's shelf show of them; popular now
from the analytics minutes; and the sessions that turned personalisation off.

Counting a batch (one unit of work): the contributions of opted-out sessions are dropped, the products each
names are resolved to their group's first variant (``anchor``) and festival, pairs across festivals or within
one product are dropped; then each pair row gets one more shopper per session it has not seen. Below the
threshold "not seen" is decided by the pair's tags (a unique key: exact on every worker and after a restart);
from the threshold on, counts only rank pairs and the tags are deleted.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, bindparam, delete, func, select, tuple_, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from server.contracts import recommend as cr
from server.contracts.search import SearchHit, SearchQuery
from server.domain import recommend as rd
from server.domain.analytics import shown as shown_count
from server.domain.errors import NotFound
from server.persistence.database import Database
from server.persistence.tables import Base, on_shelf
from server.services import analytics
from server.services.search import cards_sync, search_sync

PAIRS = Base.metadata.tables["recommend_pairs"]
TAGS = Base.metadata.tables["recommend_tags"]
OPT_OUTS = Base.metadata.tables["recommend_opt_outs"]
PRODUCTS = Base.metadata.tables["products"]
STORES = Base.metadata.tables["stores"]
FESTIVALS = Base.metadata.tables["festivals"]
ORDERS = Base.metadata.tables["orders"]
ORDER_LINES = Base.metadata.tables["order_lines"]
ORDER_GROUPS = Base.metadata.tables["order_groups"]
CHUNK = 500  # ids per IN list
POPULAR_WINDOW = timedelta(hours=1)
ADD_WEIGHT = 2  # popular now: a cart line added counts as much as two looks
BECAUSE_ITEMS = 4  # products per look on the personal shelf
READ_PAIRS = 100  # pairs read per product (most shoppers first) before cards are made

Resolved = tuple[int, int]  # (anchor product id, festival id)


def _chunks(values: Sequence[Any]) -> Iterable[Sequence[Any]]:
    for start in range(0, len(values), CHUNK):
        yield values[start:start + CHUNK]


def _insert(conn: Connection) -> Any:
    return sqlite_insert if conn.dialect.name == "sqlite" else pg_insert


# ------------------------------------------------------------ counting


async def count(database: Database, contributions: list[rd.Contribution], key: bytes, now: datetime) -> set[int]:
    """Count a batch of contributions; returns the sessions among them that turned personalisation off."""
    return await database.unit(_count_sync, contributions, key, now)


def _count_sync(conn: Connection, contributions: list[rd.Contribution], key: bytes, now: datetime) -> set[int]:
    opted = opted_out_sync(conn, {c.session for c in contributions})
    kept = [c for c in contributions if c.session not in opted]
    resolved = _resolve(conn, {item for c in kept for item in (c.a, c.b)})
    marks: dict[tuple[rd.Kind, int, int], set[int]] = defaultdict(set)
    for c in kept:
        a, b = resolved.get(c.a), resolved.get(c.b)
        if a is not None and b is not None and a[1] == b[1] and a[0] != b[0]:  # one festival, two products
            marks[rd.pair_key(c.kind, a[0], b[0])].add(c.session)
    if marks:
        _mark(conn, marks, key, now)
    return opted


def _resolve(conn: Connection, items: set[rd.Item]) -> dict[rd.Item, Resolved]:
    """Each (store slug, sku) as its group's first variant and its festival (unknown ones are left out)."""
    by_store: dict[str, list[str]] = defaultdict(list)
    for store, sku in items:
        by_store[store].append(sku)
    p, s, g = PRODUCTS.c, STORES.c, PRODUCTS.alias("g").c
    anchor = select(func.min(g.id)).where(g.store_id == p.store_id, g.group_key == p.group_key).scalar_subquery()
    out: dict[rd.Item, Resolved] = {}
    for store, skus in by_store.items():
        for chunk in _chunks(skus):
            for sku, festival_id, first in conn.execute(
                    select(p.sku, s.festival_id, anchor).join(STORES, s.id == p.store_id)
                    .where(s.slug == store, p.sku.in_(chunk))):
                out[(store, sku)] = (int(first), int(festival_id))
    return out


def _mark(conn: Connection, marks: dict[tuple[rd.Kind, int, int], set[int]], key: bytes, now: datetime) -> None:
    t = PAIRS.c
    keys = list(marks)
    conn.execute(_insert(conn)(PAIRS).on_conflict_do_nothing(index_elements=[t.kind, t.a_id, t.b_id]),
                 [{"kind": k, "a_id": a, "b_id": b, "shoppers": 0, "updated_at": now} for k, a, b in keys])
    rows: dict[tuple[str, int, int], tuple[int, int]] = {}
    for chunk in _chunks(keys):
        for pid, kind, a, b, shoppers in conn.execute(select(t.id, t.kind, t.a_id, t.b_id, t.shoppers).where(
                tuple_(t.kind, t.a_id, t.b_id).in_(chunk))):
            rows[(kind, a, b)] = (pid, shoppers)
    new: Counter[int] = Counter()
    tags = []
    for pair, sessions in marks.items():
        pid, shoppers = rows[pair]
        if rd.shown(shoppers):  # past the threshold a count only ranks: the visit's own memory deduplicates
            new[pid] += len(sessions)
        else:
            tags += [{"pair_id": pid, "tag": rd.tag(key, session, *pair)} for session in sessions]
    if tags:  # a tag already there is a shopper already counted
        fresh = conn.execute(_insert(conn)(TAGS).on_conflict_do_nothing(index_elements=[TAGS.c.pair_id, TAGS.c.tag])
                             .returning(TAGS.c.pair_id), tags)
        new.update(pid for (pid,) in fresh)
    if not new:
        return
    conn.execute(update(PAIRS).where(t.id == bindparam("pid")).values(shoppers=t.shoppers + bindparam("n"),
                                                                       updated_at=now),
                 [{"pid": pid, "n": n} for pid, n in new.items()])
    for chunk in _chunks(list(new)):
        reached = [pid for pid, shoppers in conn.execute(select(t.id, t.shoppers).where(t.id.in_(chunk)))
                   if rd.shown(shoppers)]
        if reached:
            conn.execute(delete(TAGS).where(TAGS.c.pair_id.in_(reached)))


async def bought(database: Database, groups: list[int]) -> list[tuple[int, list[rd.Item]]]:
    """The paying session and the products of each order group (its paid orders)."""
    return await database.read_sync(_bought_sync, groups)


def _bought_sync(conn: Connection, groups: list[int]) -> list[tuple[int, list[rd.Item]]]:
    out: dict[int, tuple[int, list[rd.Item]]] = {}
    o, line, s = ORDERS.c, ORDER_LINES.c, STORES.c
    for chunk in _chunks(groups):
        for group, session, store, sku in conn.execute(
                select(o.group_id, o.session_id, s.slug, line.sku).join(ORDER_LINES, line.order_id == o.id)
                .join(STORES, s.id == o.store_id).where(o.group_id.in_(chunk), o.status == "paid")
                .order_by(o.group_id, line.id)):
            out.setdefault(group, (session, []))[1].append((store, sku))
    return list(out.values())


async def prune(database: Database, now: datetime, retention_days: int) -> int:
    """Delete pairs without a new shopper for ``retention_days`` (below the threshold: ``TAG_DAYS``)."""
    def run(conn: Connection) -> int:
        t = PAIRS.c
        old = conn.execute(select(t.id, t.shoppers, t.updated_at).where(
            t.updated_at < now - timedelta(days=min(rd.TAG_DAYS, retention_days)))).all()
        gone = [pid for pid, shoppers, at in old
                if not rd.shown(shoppers) or at < now - timedelta(days=retention_days)]
        for chunk in _chunks(gone):
            conn.execute(delete(PAIRS).where(t.id.in_(chunk)))
        return len(gone)

    return await database.unit(run)


# ------------------------------------------------------------ personalisation


def opted_out_sync(conn: Connection, sessions: Iterable[int]) -> set[int]:
    out: set[int] = set()
    for chunk in _chunks(sorted(sessions)):
        out.update(conn.execute(select(OPT_OUTS.c.session_id).where(OPT_OUTS.c.session_id.in_(chunk))).scalars())
    return out


async def personalised(database: Database, session_id: int) -> bool:
    return not await database.read_sync(opted_out_sync, [session_id])


async def set_personalised(database: Database, session_id: int, enabled: bool, now: datetime) -> None:
    def run(conn: Connection) -> None:
        if enabled:
            conn.execute(delete(OPT_OUTS).where(OPT_OUTS.c.session_id == session_id))
        else:
            conn.execute(_insert(conn)(OPT_OUTS).values(session_id=session_id, created_at=now)
                         .on_conflict_do_nothing(index_elements=[OPT_OUTS.c.session_id]))

    await database.unit(run)


# ------------------------------------------------------------ what shoppers see


def _store(conn: Connection, slug: str) -> Any:
    s, f = STORES.c, FESTIVALS.c
    row = conn.execute(select(s.id, s.festival_id, f.slug.label("festival")).join(FESTIVALS, f.id == s.festival_id)
                       .where(s.slug == slug, s.status == "approved")).first()
    if row is None:
        raise NotFound(f"no store {slug!r}")
    return row


def _partners(conn: Connection, anchor: int, kind: rd.Kind) -> list[int]:
    """The products paired with ``anchor`` that may be shown, most shoppers first."""
    t = PAIRS.c
    ways = [(t.a_id == anchor, t.b_id)]  # bought: looked at a, bought b; looked: either way round
    if kind == rd.LOOKED:
        ways.append((t.b_id == anchor, t.a_id))
    found: list[tuple[int, int]] = []
    for where, other in ways:
        found += [(int(n), int(o)) for n, o in conn.execute(select(t.shoppers, other).where(t.kind == kind, where)
                                                            .order_by(t.shoppers.desc(), other).limit(READ_PAIRS))]
    return [other for shoppers, other in sorted(found, key=lambda r: (-r[0], r[1])) if rd.shown(shoppers)]


def _groups(conn: Connection, product_ids: Sequence[int]) -> list[tuple[int, str]]:
    """(store id, group key) of each product, in order."""
    p = PRODUCTS.c
    known: dict[int, tuple[int, str]] = {}
    for chunk in _chunks(list(product_ids)):
        known.update({pid: (s, g) for pid, s, g in conn.execute(select(p.id, p.store_id, p.group_key)
                                                                .where(p.id.in_(chunk)))})
    return [known[pid] for pid in product_ids if pid in known]


def _anchor(conn: Connection, store_id: int, sku: str) -> tuple[int, str]:
    """The group's first variant and the group of a product on the shelf (404 otherwise)."""
    p, g = PRODUCTS.c, PRODUCTS.alias("g").c
    row = conn.execute(select(p.group_key, select(func.min(g.id)).where(
        g.store_id == p.store_id, g.group_key == p.group_key).scalar_subquery())
        .where(p.store_id == store_id, p.sku == sku, on_shelf(p))).first()
    if row is None:
        raise NotFound(f"no product {sku!r}")
    return int(row[1]), str(row[0])


async def recommendations(database: Database, store: str, sku: str, limit: int, now: datetime
                          ) -> cr.Recommendations:
    def run(conn: Connection) -> cr.Recommendations:
        where = _store(conn, store)
        anchor, group = _anchor(conn, where.id, sku)
        lists = []
        for kind in (rd.LOOKED, rd.BOUGHT):
            groups = [g for g in _groups(conn, _partners(conn, anchor, kind)) if g != (where.id, group)]
            lists.append(cards_sync(conn, where.festival_id, groups, now)[:limit])
        return cr.Recommendations(store=store, sku=sku, also_looked=lists[0], also_bought=lists[1])

    return await database.read_sync(run)


async def popular(database: Database, store: str, limit: int, now: datetime, looks: list[rd.Item] | None
                  ) -> cr.Popular:
    """Popular now in the store, and with ``looks`` (the session's own, most recent first) its personal shelf."""
    async with database.read() as db:
        where = await db.run_sync(lambda s: _store(s.connection(), store))
        counted = await _popular_counts(db, where.festival, store, now)
        return await db.run_sync(lambda s: _popular_sync(s.connection(), where, store, counted, limit, now, looks))


async def _popular_counts(db: AsyncSession, festival: str, store: str, now: datetime) -> dict[str, int]:
    """Per sku of the store: looks + ADD_WEIGHT × cart adds over the last hour, for products the k-anonymity
    rule lets through (looked at by enough distinct shoppers)."""
    rows = await analytics.read(db, festival, now - POPULAR_WINDOW, now + timedelta(minutes=1),
                                kinds=("view", "add"), store=store, per_minute=False)
    views = {r.key: shown_count(r.n, r.most) for r in rows if r.kind == "view"}
    adds = {r.key: shown_count(r.n, r.most) or 0 for r in rows if r.kind == "add"}
    return {sku: int(n + ADD_WEIGHT * adds.get(sku, 0)) for sku, n in views.items() if n is not None}


def _popular_sync(conn: Connection, where: Any, store: str, counted: dict[str, int], limit: int, now: datetime,
                  looks: list[rd.Item] | None) -> cr.Popular:
    p = PRODUCTS.c
    score: Counter[tuple[int, str]] = Counter()
    skus = list(counted)
    for chunk in _chunks(skus):
        for sku, group in conn.execute(select(p.sku, p.group_key).where(p.store_id == where.id, p.sku.in_(chunk))):
            score[(where.id, group)] += counted[sku]
    ranked = [g for g, _ in sorted(score.items(), key=lambda kv: (-kv[1], kv[0][1]))]
    items = cards_sync(conn, where.festival_id, ranked, now)[:limit]
    because = _because(conn, where, store, looks, now) if looks is not None else []
    return cr.Popular(items=items, window_minutes=int(POPULAR_WINDOW.total_seconds() // 60),
                      personalised=looks is not None, because=because)


def _because(conn: Connection, where: Any, store: str, looks: list[rd.Item], now: datetime) -> list[cr.Because]:
    """For the session's latest looks in this festival: the store's products that shoppers paired with each (the
    pairs that may be shown), else more of its category in this store; nothing the visit already holds."""
    resolved = _resolve(conn, set(looks))
    mine = [resolved[i] for i in looks if i in resolved and resolved[i][1] == where.festival_id]
    seen = set(_groups(conn, [anchor for anchor, _ in mine]))
    out: list[cr.Because] = []
    for anchor, _ in list(dict.fromkeys(mine))[:rd.SHELF_LOOKS]:
        looked = cards_sync(conn, where.festival_id, _groups(conn, [anchor]), now)
        if not looked:
            continue
        groups = [g for g in _groups(conn, _partners(conn, anchor, rd.LOOKED)) if g[0] == where.id and g not in seen]
        cards = cards_sync(conn, where.festival_id, groups, now)[:BECAUSE_ITEMS]
        if not cards:
            cards = _same_kind(conn, where, store, looked[0], seen, now)
        if cards:
            out.append(cr.Because(looked_at=looked[0], items=cards))
    return out


def _same_kind(conn: Connection, where: Any, store: str, looked: SearchHit, seen: set[tuple[int, str]],
               now: datetime) -> list[SearchHit]:
    """Products of the store in the looked-at product's category, as search ranks them."""
    if not looked.category:
        return []
    skip = {(looked.store, looked.group)} | {(store, g) for store_id, g in seen if store_id == where.id}
    found = search_sync(conn, where.festival, SearchQuery(category=looked.category[:100], store=store,
                                                          limit=BECAUSE_ITEMS + len(skip)), now, facets=False)
    return [h for h in found.items if (h.store, h.group) not in skip][:BECAUSE_ITEMS]
