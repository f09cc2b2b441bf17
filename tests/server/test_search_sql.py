"""Search's SQL (issue 21, services/search_sql.py) against the rules it states in SQL, on SQLite and PostgreSQL:
the festival price equals ``pricing.quote``, word starts equal ``search_text.contains``, and whole answers (ranking,
totals, pages, every facet) equal a plain Python search over every product, whichever way the words are scored;
the index paths use their indexes."""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

import pytest
from factories import make_settings
from search_fixtures import seed_demo
from sqlalchemy import Connection, insert, select, text

from server.contracts.search import SearchQuery
from server.domain import search_text as st
from server.persistence.database import Database
from server.persistence.tables import Base, DiscountRule, Festival, on_shelf
from server.services import search_facts, search_sql
from server.services.pricing import FestivalPricing, Rule, load_pricing_sync, quote, unit_price_sql
from server.services.search import search_sync
from server.services.search_synonyms import synonyms_sync

DOCS, PRODUCTS, STORES = (Base.metadata.tables[t] for t in ("search_docs", "products", "stores"))
QUERIES: list[dict[str, Any]] = [
    {}, {"q": "러닝화"}, {"q": "러닝 화"}, {"q": "가방"}, {"q": "니트"}, {"q": "oxford shirt"}, {"q": "tshirt"},
    {"q": "bag"}, {"q": "사과"}, {"q": "스니커즈"}, {"q": "운동화"}, {"q": "RUNNING Shoes"}, {"q": "특가"},
    {"q": "바나나 우유"}, {"q": "블랙"}, {"q": "", "category": "상의"}, {"q": "", "category": "의류 > 상의"},
    {"q": "", "category": "신발", "max_price": 150000}, {"q": "", "min_price": 30000, "max_price": 90000},
    {"q": "", "on_sale": True}, {"q": "", "on_sale": False, "in_stock": True}, {"q": "", "in_stock": False},
    {"q": "셔츠", "options": "색상:화이트"}, {"q": "", "options": "size:M,color:블랙"}, {"q": "", "store": "cu-plaza"},
    {"q": "", "in_stock": True, "min_price": 20000}, {"q": "", "limit": 7, "after": "14"}, {"q": "", "limit": 100},
    {"q": "러닝화", "options": "색상:블랙", "limit": 3, "after": "3"},
]


def reference(conn: Connection, festival: str, q: SearchQuery, now: datetime) -> dict[str, Any]:
    """The answer as the rules say it, over every document and variant in Python (the search before issue 21's
    speed work): its total, the page's groups in order, and the facets."""
    festival_id = conn.execute(select(Festival.id).where(Festival.slug == festival)).scalar_one()
    stores = {i: slug for i, slug in conn.execute(select(STORES.c.id, STORES.c.slug).where(
        STORES.c.festival_id == festival_id, STORES.c.status == "approved"))}
    if q.store is not None:
        stores = {i: s for i, s in stores.items() if s == q.store}
    plan = st.plan(q.q, st.Synonyms(synonyms_sync(conn, festival_id)[0]))
    pricing = load_pricing_sync(conn, festival_id)
    parts = [st.compact(p) for p in (q.category or "").split(">") if st.compact(p)]
    wanted = dict(pair.split(":", 1) for pair in q.options.split(",")) if q.options else {}
    p = PRODUCTS.c
    variants: dict[tuple[int, str], list[Any]] = {}
    for row in conn.execute(select(PRODUCTS).where(on_shelf(p), p.store_id.in_(list(stores))).order_by(p.id)):
        variants.setdefault((row.store_id, row.group_key), []).append(row)
    facets: dict[str, dict[str, int]] = {k: {} for k in ("store", "category", "price", "on_sale", "in_stock")}
    options: dict[str, dict[str, int]] = {}
    kept = []
    for doc in conn.execute(select(DOCS).where(DOCS.c.festival_id == festival_id, DOCS.c.store_id.in_(list(stores)))):
        score = st.score(st.Document(doc.name_text, doc.category_text, doc.other_text), plan)
        if not score or not all(part in doc.category_text.replace(" ", "") for part in parts):
            continue
        read = [v for v in variants.get((doc.store_id, doc.group_key), [])
                if (q.in_stock is not True or v.stock > 0) and (q.min_price is None or v.price >= q.min_price)]
        if not read:
            continue
        priced = [(v, quote(price=v.price, sale_price=v.sale_price, currency=v.currency, store_id=v.store_id,
                            category=v.category, festival=pricing, now=now)) for v in read]
        opts = [st.options_of(json.loads(v.data_json)) for v in read]
        for facet, value in (("store", stores[doc.store_id]), ("category", read[0].category),
                             ("price", st.price_bucket(min(x.unit_price for _, x in priced))),
                             ("on_sale", str(any(x.on_sale for _, x in priced)).lower()),
                             ("in_stock", str(any(v.stock > 0 for v in read)).lower())):
            facets[facet][value] = facets[facet].get(value, 0) + 1
        for name, value in {(k, v) for o in opts for k, v in o.items()}:
            options.setdefault(name, {})[value] = options.setdefault(name, {}).get(value, 0) + 1
        if q.category is not None and not st.category_matches(read[0].category, q.category):
            continue
        keep = [(v, x) for (v, x), o in zip(priced, opts, strict=True)
                if (q.min_price is None or x.unit_price >= q.min_price)
                and (q.max_price is None or x.unit_price <= q.max_price)
                and (q.on_sale is None or x.on_sale == q.on_sale)
                and (q.in_stock is None or (v.stock > 0) == q.in_stock)
                and (not wanted or st.option_matches(o, wanted))]
        if keep:
            kept.append(((-score, 0 if any(v.stock > 0 for v, _ in keep) else 1, read[0].id),
                         (stores[doc.store_id], doc.group_key)))
    kept.sort()
    start = int(q.after or 0)
    top = sorted([(f, v, n) for f, counts in facets.items() for v, n in counts.items()]
                 + [(f"option:{name}", v, n) for name, counts in options.items() for v, n in counts.items()])
    return {"total": len(kept), "page": [g for _, g in kept[start:start + q.limit]], "facets": top}


def answered(conn: Connection, festival: str, q: SearchQuery, now: datetime) -> dict[str, Any]:
    """search_sync's answer in the reference's shape (facets uncut: every list here is shorter than 30)."""
    result = search_sync(conn, festival, q, now)
    f = result.facets
    top = sorted([(name, c.value, c.count) for name in ("store", "category", "price", "on_sale", "in_stock")
                  for c in getattr(f, name)]
                 + [(f"option:{name}", c.value, c.count) for name, counts in f.options.items() for c in counts])
    return {"total": result.total, "page": [(h.store, h.group) for h in result.items], "facets": top}


async def add_discounts(database: Database, festival: str) -> None:
    """Festival discounts by category, by store, overlapping."""
    async with database.write() as db:
        festival_id = (await db.execute(select(Festival.id).where(Festival.slug == festival))).scalar_one()
        store_id = (await db.execute(select(STORES.c.id).where(STORES.c.slug == "hyundai-dept"))).scalar_one()
        await db.execute(insert(DiscountRule), [
            {"festival_id": festival_id, "percent": 20, "category": "의류"},
            {"festival_id": festival_id, "percent": 35, "store_id": store_id, "category": "신발"},
            {"festival_id": festival_id, "percent": 10, "store_id": store_id}])


async def assert_answers_equal_the_reference(database: Database, festival: str, now: datetime) -> None:
    for params in QUERIES:
        q = SearchQuery(**params)
        expected = await database.read_sync(reference, festival, q, now)
        assert await database.read_sync(answered, festival, q, now) == expected, params


async def test_sql_search_equals_a_plain_python_search(backend: str, db_url: str, tmp_path: Any,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    demo = await seed_demo(make_settings(tmp_path, db_url))
    database = Database.connect(db_url)
    now = datetime.now(UTC)
    try:
        await add_discounts(database, demo.slug)
        await assert_answers_equal_the_reference(database, demo.slug, now)
        monkeypatch.setattr(search_sql, "sql_scorable", lambda plan: False)  # every word scored in Python
        for params in QUERIES:
            q = SearchQuery(**params)
            assert (await database.read_sync(answered, demo.slug, q, now)
                    == await database.read_sync(reference, demo.slug, q, now)), params
    finally:
        await database.close()


MOVES = ("price", "sale_price", "category", "active", "status")
SALES_AND_PATCHES = (  # what moves between catalog swaps: checkouts, cancellations, a merchant's product patch
    lambda row: {"price": row.price + 7_000}, lambda row: {"sale_price": max(0, row.price - 3_000)},
    lambda row: {"sale_price": None}, lambda row: {"stock": 0}, lambda row: {"stock": 0 if row.stock else 4},
    lambda row: {"price": 0, "sale_price": None}, lambda row: {"stock": row.stock + 1 if row.stock else 0},
    lambda row: {"stock": max(1, row.stock - 1) if row.stock else 0},  # sales that leave stock move nothing
)
SWAPS = (lambda row: {"category": "신발 > 운동화"}, lambda row: {"active": False})  # a catalog swap, reindexed after


def _change_the_shelf(conn: Connection, changes: Sequence[Callable[[Any], dict[str, Any]]], seed: int
                      ) -> set[tuple[int, str]]:
    """``changes`` in turn on a seeded sample of variants, through SQL as the server writes them; returns the
    groups whose shelf facts moved."""
    rng = random.Random(seed)
    p = PRODUCTS.c
    rows = conn.execute(select(PRODUCTS).where(on_shelf(p)).order_by(p.id)).all()
    moved = set()
    for i, row in enumerate(rng.sample(rows, 80)):
        conn.execute(PRODUCTS.update().where(p.id == row.id).values(**changes[i % len(changes)](row)))
        after = conn.execute(select(PRODUCTS).where(p.id == row.id)).one()
        if any(getattr(row, c) != getattr(after, c) for c in MOVES) or (row.stock > 0) != (after.stock > 0):
            moved.add((row.store_id, row.group_key))
    return moved


def _stale_groups(conn: Connection) -> set[tuple[int, str]]:
    return {(r.store_id, r.group_key) for r in conn.execute(text("SELECT store_id, group_key FROM search_stale"))}


def _stored_facts(conn: Connection) -> list[tuple[Any, ...]]:
    return [tuple(r) for r in conn.execute(text(
        f"SELECT id, {', '.join(search_facts.COLUMNS)} FROM search_docs ORDER BY id"))]


def _recompute_every_store(conn: Connection) -> None:
    conn.execute(text("INSERT INTO search_stale (store_id, group_key) SELECT store_id, group_key FROM search_docs"))
    search_facts.refresh_stale(conn, limit=10**6)


async def test_answers_stay_exact_while_shelf_facts_are_stale_and_after_they_are_refreshed(
        backend: str, db_url: str, tmp_path: Any) -> None:
    demo = await seed_demo(make_settings(tmp_path, db_url))
    database = Database.connect(db_url)
    now = datetime.now(UTC)
    try:
        await add_discounts(database, demo.slug)
        assert not await database.read_sync(search_facts.any_stale)  # the index wrote every group's facts
        indexed = await database.read_sync(_stored_facts)
        await database.unit(_recompute_every_store)
        assert await database.read_sync(_stored_facts) == indexed  # as the refresh's SQL computes them
        moved = await database.unit(_change_the_shelf, SALES_AND_PATCHES, 12)
        assert len(moved) > 40 and await database.read_sync(_stale_groups) == moved  # those, and only those
        # The stored facts of those groups are now out of date; search joins their variants instead.
        await assert_answers_equal_the_reference(database, demo.slug, now)
        assert await database.unit(search_facts.refresh_stale) >= len(moved)
        assert not await database.read_sync(search_facts.any_stale)
        await assert_answers_equal_the_reference(database, demo.slug, now)

        moved = await database.unit(_change_the_shelf, SWAPS, 13)
        assert len(moved) > 40 and await database.read_sync(_stale_groups) == moved
        await database.unit(search_facts.refresh_stale)
        refreshed = await database.read_sync(_stored_facts)
        await database.unit(_recompute_every_store)
        assert await database.read_sync(_stored_facts) == refreshed  # the refresh left every group current
    finally:
        await database.close()


async def test_the_sql_festival_price_is_quote(db_url: str) -> None:
    rng = random.Random(21)
    cases = [(rng.choice([0, 1, 99, 100, 999, 12_345, 10**12]), rng.choice([None, 0, 50, 99, 1_000, 10**12]),
              rng.choice([0, 1, 33, 50, 90])) for _ in range(300)]
    def expr(pct: int) -> str:  # without a discount the expression is the base price alone
        return unit_price_sql(price="CAST(:price AS BIGINT)", sale_price="CAST(:sale AS BIGINT)",
                              percent="0" if pct == 0 else "CAST(:pct AS INTEGER)")

    def prices(conn: Connection) -> list[int]:
        return [int(conn.execute(text(f"SELECT {expr(pct)}"), {"price": price, "sale": sale} | (
            {"pct": pct} if pct else {})).scalar_one()) for price, sale, pct in cases]

    database = Database.connect(db_url)
    try:
        got = await database.read_sync(prices)
    finally:
        await database.close()
    now = datetime.now(UTC)
    want = [quote(price=price, sale_price=sale, currency="KRW", store_id=1, category="", now=now,
                  festival=FestivalPricing(None, None, (Rule(1, pct),) if pct else ())).unit_price
            for price, sale, pct in cases]
    assert got == want


def test_word_starts_say_what_contains_says() -> None:
    rng = random.Random(7)
    alphabet = ["a", "b", "ab", "ba", "t", "shirt", "1", "가", "방", "x가"]
    for _ in range(3000):
        field = st.SEP.join(" ".join(rng.choice(alphabet) for _ in range(rng.randint(1, 4)))
                            for _ in range(rng.randint(1, 3)))
        alternative = "".join(rng.choice(["a", "b", "t", "s", "h", "i", "r", "1"]) for _ in range(rng.randint(1, 6)))
        assert st.contains(field, alternative) == ("|" + alternative in st.word_starts(field)), (field, alternative)
    assert len(max(st.word_starts("a " * 100).split("|"), key=len)) == st.STARTS_CHARS


def test_option_rows_say_what_option_matches_says() -> None:
    options = {"Color": "Black", "색상": "화이트", "size": "M"}  # two names for one option: the last one counts
    rows = st.option_index(options)
    for name, value in (("색상", "화이트"), ("color", "black"), ("사이즈", "m"), ("색상", "블랙")):
        have = any(nk == st.option_name(name) and vk == st.compact(value) for _, _, nk, vk in rows)
        assert have == st.option_matches(options, {name: value}), (name, value)


async def test_the_index_paths_use_their_indexes(backend: str, db_url: str, tmp_path: Any) -> None:
    demo = await seed_demo(make_settings(tmp_path, db_url))
    database = Database.connect(db_url)
    try:
        def plan(conn: Connection, q: str) -> str:
            festival_id = conn.execute(select(Festival.id).where(Festival.slug == demo.slug)).scalar_one()
            store_ids = list(conn.execute(select(STORES.c.id).where(STORES.c.festival_id == festival_id)).scalars())
            sql = search_sql.Sql(conn.dialect.name == "sqlite")
            scope = search_sql.Scope(festival_id, store_ids, None, ())
            statement = search_sql.search(sql, scope, search_sql.Docs(plan=st.plan(q, st.Synonyms(()))),
                                          search_sql.Variants(None, None, None, None, (), {}), categories=None,
                                          limit=20, start=0, facets=True)
            if conn.dialect.name == "sqlite":
                return "\n".join(str(r) for r in conn.execute(text("EXPLAIN QUERY PLAN " + statement), sql.params))
            # A demo festival is small enough for PostgreSQL to prefer the festival's index (a festival of 10,000
            # products uses the trigram one): here, what the words' test can use on its own.
            conn.execute(text("ANALYZE"))  # as autovacuum would have by now
            conn.execute(text("SET LOCAL enable_seqscan = off"))
            match = search_sql.Sql(False)
            words = f"SELECT d.id FROM search_docs d WHERE {search_sql._match(match, st.plan(q, st.Synonyms(())))}"
            return "\n".join(r[0] for r in conn.execute(text("EXPLAIN " + statement), sql.params)) + (
                "\n".join(r[0] for r in conn.execute(text("EXPLAIN " + words), match.params)) if q else "")

        words = await database.read_sync(plan, "러닝화")
        every = await database.read_sync(plan, "")
    finally:
        await database.close()
    if backend == "sqlite":
        assert "search_fts VIRTUAL TABLE INDEX" in words  # the trigram table finds the words
        assert "COVERING INDEX ix_products_shelf" in words and "COVERING INDEX ix_products_shelf" in every
    else:
        assert "ix_search_docs_body_trgm" in words  # pg_trgm's GIN index finds them
        assert "Index Only Scan using ix_products_shelf" in words  # variants read from the index alone
