"""Festival-wide product search: candidates from the index, the rules of server/domain/search_text.py, the
festival price from the one pricing function, variants collapsed to one hit per product group.

Candidates: on SQLite words of 3+ characters go through the FTS5 trigram table, shorter ones (사과, 가방) through
``LIKE`` on the compact body (the second path the trigram tokenizer needs); on PostgreSQL every word is a
``LIKE`` that the pg_trgm GIN index serves. Both then pass the same scoring and filters in Python.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection, func, select, text

from server.contracts.foundation import Names
from server.contracts.search import FacetCount, Facets, SearchHit, SearchQuery, SearchResult
from server.domain import search_text as st
from server.domain.errors import NotFound
from server.persistence.database import Database
from server.persistence.tables import Base
from server.services.pricing import FestivalPricing, load_pricing_sync, quote
from server.services.search_synonyms import record_miss, synonyms_sync

FESTIVALS = Base.metadata.tables["festivals"]
STORES = Base.metadata.tables["stores"]
DOCS = Base.metadata.tables["search_docs"]
FTS_MIN = 3  # the trigram tokenizer matches words of 3+ characters only

_COLUMNS = ("d.id, d.store_id, d.group_key, d.name_text, d.category_text, d.other_text, p.sku, p.name_ko, "
            "p.name_en, p.category, p.price, p.sale_price, p.currency, p.stock, p.data_json, p.image_sha256")


@dataclass
class _Group:
    doc: st.Document
    store_id: int
    key: str
    score: int
    variants: list[Any] = field(default_factory=list)


@dataclass(frozen=True)
class Scope:
    festival_id: int
    store_id: int | None
    stores: dict[int, tuple[str, Names]]  # approved stores of the festival: id → slug, names


def scope_sync(conn: Connection, festival_slug: str, store_slug: str | None) -> Scope:
    """The festival (404 if unknown) and its approved stores; ``store_slug`` must be one of them."""
    festival_id = conn.execute(select(FESTIVALS.c.id).where(FESTIVALS.c.slug == festival_slug)).scalar_one_or_none()
    if festival_id is None:
        raise NotFound(f"no festival {festival_slug!r}")
    s = STORES.c
    rows = conn.execute(select(s.id, s.slug, s.name_ko, s.name_en)
                        .where(s.festival_id == festival_id, s.status == "approved")).all()
    stores = {r.id: (r.slug, Names(ko=r.name_ko, en=r.name_en)) for r in rows}
    store_id = None
    if store_slug is not None:
        store_id = next((i for i, (slug, _) in stores.items() if slug == store_slug), None)
        if store_id is None:
            raise NotFound(f"no store {store_slug!r} in festival {festival_slug!r}")
    return Scope(festival_id, store_id, stores)


def search_sync(conn: Connection, festival_slug: str, query: SearchQuery, now: datetime) -> SearchResult:
    """One search as one read (``Database.read_sync``)."""
    return _search(conn, scope_sync(conn, festival_slug, query.store), query, now)


def _search(conn: Connection, scope: Scope, query: SearchQuery, now: datetime) -> SearchResult:
    synonyms = st.Synonyms(synonyms_sync(conn, scope.festival_id)[0])
    pricing = load_pricing_sync(conn, scope.festival_id)
    plan = st.plan(query.q, synonyms)
    groups = _groups(conn, scope, plan, query)
    corrected = None
    if not groups and not plan.empty:
        fixed = _corrected_words(conn, scope, plan, st.words(query.q))
        if fixed is not None:
            corrected = " ".join(fixed)
            plan = st.plan(corrected, synonyms)
            groups = _groups(conn, scope, plan, query)
    return _answer(scope, groups, query, pricing, now, corrected)


def _groups(conn: Connection, scope: Scope, plan: st.Plan, query: SearchQuery) -> list[_Group]:
    if not scope.stores:
        return []
    params: dict[str, Any] = {"f": scope.festival_id}
    where = ["d.festival_id = :f", f"d.store_id IN ({', '.join(str(i) for i in scope.stores)})"]
    if scope.store_id is not None:
        where.append("d.store_id = :s")
        params["s"] = scope.store_id
    category = [st.compact(part) for part in (query.category or "").split(">") if st.compact(part)]
    if category:  # a superset of category_matches: every part of the wanted path is in the document's path
        for i, part in enumerate(category):
            where.append(f"REPLACE(d.category_text, ' ', '') LIKE :c{i}")
            params[f"c{i}"] = f"%{part}%"
    if query.in_stock is True:  # exact: a group is in stock when a variant is; variants without stock drop out
        where.append("p.stock > 0")
    if query.min_price is not None:  # a superset: the festival price is never above the regular price
        where.append("p.price >= :min_price")
        params["min_price"] = query.min_price
    if not plan.empty:
        sqlite = conn.dialect.name == "sqlite"
        ways = [_match(plan.required, params, "r", sqlite)]
        if plan.joined is not None:
            ways.append(_match((plan.joined,), params, "j", sqlite))
        where.append("(" + " OR ".join(ways) + ")")
    sql = (f"SELECT {_COLUMNS} FROM search_docs d JOIN products p ON p.store_id = d.store_id "
           f"AND p.group_key = d.group_key AND p.active = :on AND p.status = 'active' "
           f"WHERE {' AND '.join(where)} ORDER BY p.id")
    params["on"] = True
    groups: dict[int, _Group] = {}
    for row in conn.execute(text(sql), params):
        group = groups.get(row.id)
        if group is None:
            doc = st.Document(row.name_text, row.category_text, row.other_text)
            points = st.score(doc, plan)
            if not points:
                continue
            group = groups[row.id] = _Group(doc, row.store_id, row.group_key, points)
        group.variants.append(row)
    return list(groups.values())


def _match(required: tuple[tuple[str, ...], ...], params: dict[str, Any], tag: str, sqlite: bool) -> str:
    """SQL that keeps documents holding one alternative of every group (a superset: scoring decides)."""
    fts: list[str] = []
    likes: list[str] = []
    for i, alternatives in enumerate(required):
        if sqlite and all(len(a) >= FTS_MIN for a in alternatives):
            fts.append("(" + " OR ".join(f'"{a}"' for a in alternatives) + ")")
            continue
        ors = []
        for j, alt in enumerate(alternatives):
            params[f"{tag}{i}_{j}"] = f"%{alt}%"
            ors.append(f"d.body LIKE :{tag}{i}_{j}")
        likes.append("(" + " OR ".join(ors) + ")")
    if fts:
        params[f"{tag}_fts"] = " AND ".join(fts)
        likes.insert(0, f"d.id IN (SELECT rowid FROM search_fts WHERE search_fts MATCH :{tag}_fts)")
    return "(" + " AND ".join(likes) + ")"


def _corrected_words(conn: Connection, scope: Scope, plan: st.Plan, words: list[str]) -> list[str] | None:
    """The query's words with each one found nowhere replaced by its nearest vocabulary word, or None."""
    vocabulary = _vocabulary(conn, scope)
    fixed, changed = [], False
    for word, alternatives in zip(words, plan.required, strict=True):
        if any(st.contains(v, alt) for v in vocabulary for alt in alternatives):
            fixed.append(word)
            continue
        better = st.correct(word, vocabulary)
        if better is None:
            return None
        fixed.append(better)
        changed = True
    return fixed if changed else None


_VOCABULARIES: dict[tuple[str, int, int | None, int, int], frozenset[str]] = {}
_VOCABULARIES_KEPT = 64


def _vocabulary(conn: Connection, scope: Scope) -> frozenset[str]:
    """The words of the names and categories in scope, kept while the index is unchanged (the number of documents
    and the newest id identify its state: a reindex deletes and inserts), so a typo costs a lookup, not a scan."""
    where = [DOCS.c.festival_id == scope.festival_id]
    if scope.store_id is not None:
        where.append(DOCS.c.store_id == scope.store_id)
    count, newest = conn.execute(select(func.count(), func.max(DOCS.c.id)).where(*where)).one()
    key = (str(conn.engine.url), scope.festival_id, scope.store_id, int(count), int(newest or 0))
    known = _VOCABULARIES.get(key)
    if known is None:
        words: set[str] = set()
        for name, category in conn.execute(select(DOCS.c.name_text, DOCS.c.category_text).where(*where)):
            words |= st.vocabulary_words(st.Document(name, category, ""))
        if len(_VOCABULARIES) >= _VOCABULARIES_KEPT:
            _VOCABULARIES.clear()
        known = _VOCABULARIES[key] = frozenset(words)
    return known


@lru_cache(maxsize=20_000)
def _options(data_json: str) -> dict[str, str]:
    """A variant's options from its catalog data (memoised by the text: parsing is most of a broad search)."""
    if '"options"' not in data_json:
        return {}
    options = json.loads(data_json).get("options")
    return {str(k): str(v) for k, v in options.items()} if isinstance(options, dict) else {}


@dataclass(slots=True)
class _Priced:
    row: Any
    unit: int
    percent: int
    on_sale: bool
    options: dict[str, str]


def _answer(scope: Scope, groups: list[_Group], query: SearchQuery, pricing: FestivalPricing, now: datetime,
            corrected: str | None) -> SearchResult:
    wanted = _wanted_options(query.options)
    facets = _FacetCounter()
    quotes: dict[tuple[int, int | None, str, int, str], tuple[int, int, bool]] = {}
    kept: list[tuple[tuple[int, int, int], _Group, list[_Priced]]] = []
    for group in groups:
        priced = [_price(row, pricing, now, quotes) for row in group.variants]
        facets.add(scope, group, priced)
        if query.category is not None and not st.category_matches(group.variants[0].category, query.category):
            continue
        keep = [v for v in priced if _variant_ok(v, query, wanted)]
        if keep:
            in_stock = any(v.row.stock > 0 for v in keep)
            kept.append(((-group.score, 0 if in_stock else 1, group.variants[0].id), group, keep))
    kept.sort(key=lambda entry: entry[0])
    start = int(query.after) if query.after else 0
    ws = st.words(query.q)
    page = [_hit(scope, group, keep, ws) for _, group, keep in kept[start:start + query.limit]]
    more = start + query.limit < len(kept)
    return SearchResult(items=page, total=len(kept), facets=facets.result(), corrected=corrected,
                        next=str(start + query.limit) if more else None)


def _price(row: Any, pricing: FestivalPricing, now: datetime,
           quotes: dict[tuple[int, int | None, str, int, str], tuple[int, int, bool]]) -> _Priced:
    """The variant at its festival price (``pricing.quote``, once per distinct price, store and category)."""
    key = (row.price, row.sale_price, row.currency, row.store_id, row.category)
    known = quotes.get(key)
    if known is None:
        q = quote(price=row.price, sale_price=row.sale_price, currency=row.currency, store_id=row.store_id,
                  category=row.category, festival=pricing, now=now)
        known = quotes[key] = (q.unit_price, q.festival_percent, q.on_sale)
    return _Priced(row, known[0], known[1], known[2], _options(row.data_json))


def _variant_ok(v: _Priced, query: SearchQuery, wanted: dict[str, str]) -> bool:
    if query.min_price is not None and v.unit < query.min_price:
        return False
    if query.max_price is not None and v.unit > query.max_price:
        return False
    if query.on_sale is not None and v.on_sale != query.on_sale:
        return False
    if query.in_stock is not None and (v.row.stock > 0) != query.in_stock:
        return False
    return not wanted or st.option_matches(v.options, wanted)


def _wanted_options(text_: str | None) -> dict[str, str]:
    if not text_:
        return {}
    return dict(pair.split(":", 1) for pair in text_.split(","))  # the pattern guarantees name:value pairs


def _hit(scope: Scope, group: _Group, keep: list[_Priced], ws: list[str]) -> SearchHit:
    first = keep[0].row
    slug, names = scope.stores[group.store_id]
    options: dict[str, list[str]] = {}
    for v in keep:
        for name, value in v.options.items():
            values = options.setdefault(name, [])
            if value not in values:
                values.append(value)
    image = f"/api/v1/stores/{slug}/products/{first.sku}/image" if first.image_sha256 else None
    return SearchHit(
        store=slug, store_name=names, sku=first.sku, group=group.key,
        name=Names(ko=first.name_ko or first.name_en or first.sku, en=first.name_en or first.name_ko or first.sku),
        category=first.category, price_min=min(v.unit for v in keep), price_max=max(v.unit for v in keep),
        regular_min=min(v.row.price for v in keep), currency=first.currency, on_sale=any(v.on_sale for v in keep),
        festival_percent=max(v.percent for v in keep), in_stock=any(v.row.stock > 0 for v in keep),
        variants=len(keep), options=options, image=image, matched=_matched(group.doc, ws))


def _matched(doc: st.Document, ws: list[str]) -> Any:
    if not ws:
        return "all"
    for name, text_ in (("name", doc.name), ("category", doc.category)):
        if any(st.contains(text_, w) for w in ws):
            return name
    return "other"


class _FacetCounter:
    def __init__(self) -> None:
        self.store: Counter[str] = Counter()
        self.category: Counter[str] = Counter()
        self.price: Counter[str] = Counter()
        self.on_sale: Counter[str] = Counter()
        self.in_stock: Counter[str] = Counter()
        self.options: dict[str, Counter[str]] = {}

    def add(self, scope: Scope, group: _Group, priced: list[_Priced]) -> None:
        self.store[scope.stores[group.store_id][0]] += 1
        self.category[group.variants[0].category] += 1
        self.price[st.price_bucket(min(v.unit for v in priced))] += 1
        self.on_sale[str(any(v.on_sale for v in priced)).lower()] += 1
        self.in_stock[str(any(v.row.stock > 0 for v in priced)).lower()] += 1
        seen = {(k, val) for v in priced for k, val in v.options.items()}
        for name, value in seen:
            self.options.setdefault(name, Counter())[value] += 1

    def result(self) -> Facets:
        return Facets(store=_counts(self.store), category=_counts(self.category),
                      price=[FacetCount(value=b, count=n) for b, n in sorted(
                          self.price.items(), key=lambda kv: int(kv[0].split("-")[0]))],
                      on_sale=_counts(self.on_sale), in_stock=_counts(self.in_stock),
                      options={k: _counts(c) for k, c in sorted(self.options.items())})


def _counts(counter: Counter[str], top: int = 30) -> list[FacetCount]:
    return [FacetCount(value=v, count=n) for v, n in sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))[:top]]


async def search(database: Database, festival_slug: str, query: SearchQuery, now: datetime) -> SearchResult:
    """A shopper's search; a query with words that found nothing is counted (``search_synonyms.record_miss``)."""
    def run(conn: Connection) -> tuple[Scope, SearchResult]:
        scope = scope_sync(conn, festival_slug, query.store)
        return scope, _search(conn, scope, query, now)

    scope, result = await database.read_sync(run)
    if not result.total and st.words(query.q):
        await database.unit(record_miss, scope.festival_id, scope.store_id, query.q, now)
    return result
