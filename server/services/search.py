"""Festival-wide product search: candidates from the index, the rules of server/domain/search_text.py, the
festival price from the one pricing function, variants collapsed to one hit per product group.

The work is done in the database (services/search_sql.py): which groups match and how they score, their variants
at the festival price, the facets, the ranking and the page; only the page's variants are read whole and priced
again by ``pricing.quote`` for the hits. Scoring runs in SQL on the index's stored forms of the text; only a Latin
word longer than those keep (``search_text.STARTS_CHARS``) is scored in Python over the candidates the index finds.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection, func, select, text, tuple_

from server.contracts.foundation import Names
from server.contracts.search import FacetCount, Facets, SearchHit, SearchQuery, SearchResult
from server.domain import search_text as st
from server.domain.errors import NotFound
from server.persistence.database import Database
from server.persistence.tables import Base, on_shelf
from server.services import search_facts
from server.services import search_sql as sq
from server.services.pricing import FestivalPricing, best_rule, load_pricing_sync, quote
from server.services.search_answers import Answers
from server.services.search_synonyms import record_miss, synonyms_sync

FESTIVALS = Base.metadata.tables["festivals"]
STORES = Base.metadata.tables["stores"]
DOCS = Base.metadata.tables["search_docs"]
PRODUCTS = Base.metadata.tables["products"]
NO_FACETS = Facets(store=[], category=[], price=[], on_sale=[], in_stock=[], options={})


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
    stores = _approved(conn, festival_id)
    store_id = None
    if store_slug is not None:
        store_id = next((i for i, (slug, _) in stores.items() if slug == store_slug), None)
        if store_id is None:
            raise NotFound(f"no store {store_slug!r} in festival {festival_slug!r}")
    return Scope(festival_id, store_id, stores)


def _approved(conn: Connection, festival_id: int) -> dict[int, tuple[str, Names]]:
    s = STORES.c
    rows = conn.execute(select(s.id, s.slug, s.name_ko, s.name_en)
                        .where(s.festival_id == festival_id, s.status == "approved")).all()
    return {r.id: (r.slug, Names(ko=r.name_ko, en=r.name_en)) for r in rows}


def cards_sync(conn: Connection, festival_id: int, groups: Sequence[tuple[int, str]], now: datetime
               ) -> list[SearchHit]:
    """Product cards for product groups, (store id, group key), in their order, as search shows a product: every
    variant on the shelf at its festival price. Groups not on the shelf of an approved store are left out."""
    stores = _approved(conn, festival_id)
    wanted = list(dict.fromkeys((s, g) for s, g in groups if s in stores))
    if not wanted:
        return []
    p = PRODUCTS.c
    variants: dict[tuple[int, str], list[Any]] = {}
    for row in conn.execute(select(p.id, p.store_id, p.group_key, p.sku, p.name_ko, p.name_en, p.category, p.price,
                                   p.sale_price, p.currency, p.stock, p.data_json, p.image_sha256)
                            .where(tuple_(p.store_id, p.group_key).in_(wanted), on_shelf(p)).order_by(p.id)):
        variants.setdefault((row.store_id, row.group_key), []).append(row)
    pricing = load_pricing_sync(conn, festival_id)
    scope = Scope(festival_id, None, stores)
    quotes: dict[tuple[int, int | None, str, int, str], tuple[int, int, bool]] = {}
    blank = st.Document("", "", "")
    return [_hit(scope, store_id, group, blank, [_price(row, pricing, now, quotes) for row in rows], [])
            for (store_id, group) in wanted if (rows := variants.get((store_id, group)))]


def search_sync(conn: Connection, festival_slug: str, query: SearchQuery, now: datetime, *,
                facets: bool = True) -> SearchResult:
    """One search as one read (``Database.read_sync``); ``facets=False`` leaves them empty (the advisor's)."""
    return _search(conn, scope_sync(conn, festival_slug, query.store), query, now, facets)


@dataclass
class _Run:
    """One search's fixed parts: where, the variant filters, the categories that pass its filter, one page."""

    conn: Connection
    scope: sq.Scope
    variants: sq.Variants
    categories: list[str] | None
    limit: int
    start: int
    stale: bool  # whether some group's shelf facts wait for a refresh (read once per search: search_facts)

    def rows(self, build: Any, *args: Any, **kwargs: Any) -> list[Any]:
        sql = sq.Sql(self.conn.dialect.name == "sqlite")
        return list(self.conn.execute(text(build(sql, *args, **kwargs)), sql.params))


def _search(conn: Connection, scope: Scope, query: SearchQuery, now: datetime, want_facets: bool = True
            ) -> SearchResult:
    if conn.dialect.name == "postgresql":
        # Each statement planned for its own words: how many documents they match decides the plan (a scan for a
        # broad word, the trigram index for a rare one). A prepared statement's generic plan, which PostgreSQL
        # takes after five runs, made the broad search's statement 22 ms instead of 16 (bench/search.py).
        conn.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))
    synonyms = st.Synonyms(synonyms_sync(conn, scope.festival_id)[0])
    pricing = load_pricing_sync(conn, scope.festival_id)
    discounts = bool(pricing.rules) and pricing.window_open(now)
    store_ids = [scope.store_id] if scope.store_id is not None else list(scope.stores)
    shelf: list[tuple[int, str]] = []
    if store_ids and (discounts or query.category is not None):
        shelf = [(int(i), str(c)) for i, c in conn.execute(text(sq.shelf_categories(store_ids)), {"on": True})]
    categories = None
    if query.category is not None:  # a group's first variant's category must match (search_text.category_matches)
        categories = sorted({c for _, c in shelf if st.category_matches(c, query.category)})
    category = tuple(c for c in (st.compact(part) for part in (query.category or "").split(">")) if c)
    run = _Run(conn, sq.Scope(scope.festival_id, list(scope.stores), scope.store_id, category), sq.Variants(
        in_stock=query.in_stock, min_price=query.min_price, max_price=query.max_price, on_sale=query.on_sale,
        options=tuple((st.option_name(k), st.compact(v)) for k, v in _wanted_options(query.options).items()),
        percents=_percents(shelf, pricing, now) if discounts else {}),
        categories, query.limit, int(query.after) if query.after else 0, search_facts.any_stale(conn))
    plan = st.plan(query.q, synonyms)
    found = _find(run, plan, want_facets)
    corrected = None
    if not found.groups and not plan.empty:
        fixed = _corrected_words(conn, scope, plan, st.words(query.q))
        if fixed is not None:
            corrected = " ".join(fixed)
            plan = st.plan(corrected, synonyms)
            found = _find(run, plan, want_facets)
    page = _page(run, scope, found, query, pricing, now, st.words(query.q))
    more = run.start + query.limit < found.total
    return SearchResult(items=page, total=found.total, facets=_facets(scope, found.facets) if found.facets
                        else NO_FACETS, corrected=corrected, next=str(run.start + query.limit) if more else None)


def _percents(shelf: list[tuple[int, str]], pricing: FestivalPricing, now: datetime) -> dict[tuple[int, str], int]:
    """The festival discount of every (store, category) on the shelf that has one now."""
    out = {}
    for store_id, category in shelf:
        rule = best_rule(pricing, store_id=store_id, category=category, now=now)
        if rule is not None:
            out[(store_id, category)] = rule.percent
    return out


@dataclass
class _Found:
    texts: dict[int, st.Document]  # the documents Python scored (their text, for ``matched``)
    groups: int  # matching groups with a variant read (none: a typo correction is due)
    facets: list[Any]  # the statement's cube and option rows (search_sql.search)
    total: int
    page: list[int]  # the page's documents, in rank order


def _find(run: _Run, plan: st.Plan, want_facets: bool) -> _Found:
    texts: dict[int, st.Document] = {}
    if not run.scope.store_ids:
        return _Found(texts, 0, [], 0, [])
    if plan.empty or sq.sql_scorable(plan):
        docs = sq.Docs(plan=plan)
    else:
        scores = {}
        for row in run.rows(sq.candidates, run.scope, plan):
            doc = st.Document(row.name_text, row.category_text, row.other_text)
            points = st.score(doc, plan)
            if points:
                scores[row.id] = points
                texts[row.id] = doc
        if not scores:
            return _Found(texts, 0, [], 0, [])
        docs = sq.Docs(scores=scores)
    rows = run.rows(sq.search, run.scope, docs, run.variants, categories=run.categories, limit=run.limit,
                    start=run.start, facets=want_facets, stale=run.stale)
    cube = [r for r in rows if r.part == "cube"]
    page = sorted((r for r in rows if r.part == "page"), key=lambda r: (-r.store, -r.sale, r.ok))
    return _Found(texts, sum(int(r.n) for r in cube), [r for r in rows if r.part != "page"] if want_facets else [],
                  sum(int(r.n) for r in cube if int(r.ok) & sq.OK), [int(r.n) for r in page])


def _corrected_words(conn: Connection, scope: Scope, plan: st.Plan, words: list[str]) -> list[str] | None:
    """The query's words with each one found nowhere replaced by its nearest vocabulary word, or None."""
    vocabulary = _vocabulary(conn, scope)
    fixed, changed = [], False
    for word, alternatives in zip(words, plan.required, strict=True):
        if any(st.contains(v, alt) for v in vocabulary.words for alt in alternatives):
            fixed.append(word)
            continue
        better = vocabulary.correct(word)
        if better is None:
            return None
        fixed.append(better)
        changed = True
    return fixed if changed else None


@dataclass
class _Vocabulary:
    """The words a typo may be corrected to, and the corrections made so far (the same typo comes back)."""

    words: frozenset[str]
    corrected: dict[str, str | None]

    def correct(self, word: str) -> str | None:
        if word not in self.corrected:
            if len(self.corrected) >= _CORRECTIONS_KEPT:
                self.corrected.clear()
            self.corrected[word] = st.correct(word, self.words)
        return self.corrected[word]


_VOCABULARIES: dict[tuple[str, int, int | None, int, int], _Vocabulary] = {}
_VOCABULARIES_KEPT = 64
_CORRECTIONS_KEPT = 4096


def _vocabulary(conn: Connection, scope: Scope) -> _Vocabulary:
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
        known = _VOCABULARIES[key] = _Vocabulary(frozenset(words), {})
    return known


@lru_cache(maxsize=20_000)
def _options(data_json: str) -> dict[str, str]:
    """A variant's options from its catalog data (memoised by the text: pages repeat)."""
    return st.options_of(json.loads(data_json)) if '"options"' in data_json else {}


@dataclass(slots=True)
class _Priced:
    row: Any
    unit: int
    percent: int
    on_sale: bool
    options: dict[str, str]


def _page(run: _Run, scope: Scope, found: _Found, query: SearchQuery, pricing: FestivalPricing, now: datetime,
          ws: list[str]) -> list[SearchHit]:
    """The hits of the page's groups, in rank order: their variants read whole and priced by ``pricing.quote``."""
    if not found.page:
        return []
    variants: dict[int, list[Any]] = {}
    for row in run.rows(sq.variants, found.page, run.variants):
        variants.setdefault(row.doc, []).append(row)
    wanted = _wanted_options(query.options)
    quotes: dict[tuple[int, int | None, str, int, str], tuple[int, int, bool]] = {}
    hits = []
    for doc_id in found.page:
        rows = variants.get(doc_id, [])
        keep = [v for v in (_price(row, pricing, now, quotes) for row in rows) if _variant_ok(v, query, wanted)]
        if keep:  # SQL kept it by the same rules; a product patched between the two reads may have moved on
            first = rows[0]
            doc = found.texts.get(doc_id) or st.Document(first.name_text, first.category_text, "")
            hits.append(_hit(scope, first.store_id, first.group_key, doc, keep, ws))
    return hits


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


def _hit(scope: Scope, store_id: int, group: str, doc: st.Document, keep: list[_Priced], ws: list[str]
         ) -> SearchHit:
    first = keep[0].row
    slug, names = scope.stores[store_id]
    options: dict[str, list[str]] = {}
    for v in keep:
        for name, value in v.options.items():
            values = options.setdefault(name, [])
            if value not in values:
                values.append(value)
    image = f"/api/v1/stores/{slug}/products/{first.sku}/image" if first.image_sha256 else None
    return SearchHit(
        store=slug, store_name=names, sku=first.sku, group=group,
        name=Names(ko=first.name_ko or first.name_en or first.sku, en=first.name_en or first.name_ko or first.sku),
        category=first.category, price_min=min(v.unit for v in keep), price_max=max(v.unit for v in keep),
        regular_min=min(v.row.price for v in keep), currency=first.currency, on_sale=any(v.on_sale for v in keep),
        festival_percent=max(v.percent for v in keep), in_stock=any(v.row.stock > 0 for v in keep),
        variants=len(keep), options=options, image=image, matched=_matched(doc, ws))


def _matched(doc: st.Document, ws: list[str]) -> Any:
    if not ws:
        return "all"
    for name, text_ in (("name", doc.name), ("category", doc.category)):
        if any(st.contains(text_, w) for w in ws):
            return name
    return "other"


def _facets(scope: Scope, rows: list[Any]) -> Facets:
    """The facets from the statement's rows (``search_sql.search``): the sums of its cube, and the options."""
    counts: dict[str, Counter[str]] = {k: Counter() for k in ("store", "category", "price", "on_sale", "in_stock")}
    options: dict[str, Counter[str]] = {}
    flags = {True: "true", False: "false"}
    for r in rows:
        n = int(r.n)
        if r.part == "option":
            options.setdefault(r.value, Counter())[r.extra] += n
            continue
        packed = int(r.ok)
        counts["store"][scope.stores[int(r.store)][0]] += n
        counts["category"][r.value] += n
        counts["price"][sq.PRICE_BUCKETS[packed >> sq.BUCKET_SHIFT]] += n
        counts["on_sale"][flags[bool(packed & sq.SALE)]] += n
        counts["in_stock"][flags[bool(packed & sq.STOCKED)]] += n
    return Facets(store=_counts(counts["store"]), category=_counts(counts["category"]),
                  price=[FacetCount(value=b, count=n) for b, n in sorted(
                      counts["price"].items(), key=lambda kv: int(kv[0].split("-")[0]))],
                  on_sale=_counts(counts["on_sale"]), in_stock=_counts(counts["in_stock"]),
                  options={k: _counts(c) for k, c in sorted(options.items())})


def _counts(counter: Counter[str], top: int = 30) -> list[FacetCount]:
    return [FacetCount(value=v, count=n) for v, n in sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))[:top]]


Found = tuple[Scope, SearchResult]


async def search(database: Database, festival_slug: str, query: SearchQuery, now: datetime,
                 answers: Answers[Found] | None = None) -> SearchResult:
    """A shopper's search (an answer kept in ``answers`` a moment, if given: services/search_answers.py); a query
    with words that found nothing is counted each time it is asked (``search_synonyms.record_miss``)."""
    def run(conn: Connection) -> Found:
        scope = scope_sync(conn, festival_slug, query.store)
        return scope, _search(conn, scope, query, now)

    async def compute() -> Found:
        return await database.read_sync(run)

    key = festival_slug + "\n" + query.model_dump_json()
    scope, result = await (answers.get(key, compute) if answers is not None else compute())
    if not result.total and st.words(query.q):
        await database.unit(record_miss, scope.festival_id, scope.store_id, query.q, now)
    return result
