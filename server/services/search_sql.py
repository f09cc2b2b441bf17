"""The statements of festival-wide search (services/search.py), so that a search reads little beyond its page.

``Docs`` is the documents a query matches, each with its score (``domain/search_text.score``): computed in SQL
from the stored flat fields and Latin word starts, or, for a Latin alternative longer than those keep, given as
Python's scores of the candidates the index found. From it:

- ``search``, one statement: per product group its variants on the shelf at the festival price (the same rule
  as ``pricing.quote``, as SQL: ``pricing.unit_price_sql``) and whether each passes every filter, grouped; then
  the facets (per store, first variant's category, price bucket, sale, stock, and option from
  ``search_options``), the total, and one page of the ranking (score, a kept variant in stock, catalog order);
- ``variants``: the page's variants with their catalog data, which search prices again with ``pricing.quote``.

Candidates come from the index: on SQLite the FTS5 trigram table for words of 3+ characters and ``LIKE`` on the
compact body for shorter ones; on PostgreSQL ``LIKE`` on the body, served by the pg_trgm GIN index.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from server.domain import search_text as st
from server.services.pricing import discounted_sql, unit_price_sql
from server.services.search_facts import STALE

FTS_MIN = 3  # the trigram tokenizer matches words of 3+ characters only
SHELF = "p.store_id = d.store_id AND p.group_key = d.group_key AND p.active = :on AND p.status = 'active'"


@dataclass
class Sql:
    """One statement's bound parameters, and the SQL that differs between SQLite and PostgreSQL."""

    sqlite: bool
    params: dict[str, Any] = field(default_factory=lambda: {"on": True})

    def bind(self, value: Any) -> str:
        name = f"v{len(self.params)}"
        self.params[name] = value
        return ":" + name

    def has(self, text: str, part: str) -> str:
        return f"{'INSTR' if self.sqlite else 'STRPOS'}({text}, {self.bind(part)}) > 0"

    @property
    def fence(self) -> str:
        """Ends a subquery that the planner must run as it is, not merge into the query around it."""
        return "LIMIT -1 OFFSET 0" if self.sqlite else "OFFSET 0"

    def one_of(self, column: str, values: Iterable[Any]) -> str:
        bound = [self.bind(v) for v in values]
        return f"{column} IN ({', '.join(bound)})" if bound else "1 = 0"


@dataclass(frozen=True)
class Scope:
    festival_id: int
    store_ids: Sequence[int]  # the festival's approved stores
    store_id: int | None
    category: tuple[str, ...]  # the compact parts of a category filter (a superset: each part somewhere)


@dataclass(frozen=True)
class Variants:
    """What a query asks of a product's variants: ``in_stock=True`` and ``min_price`` (on the regular price, a
    superset) already decide which variants are read; every other filter decides which of them match."""

    in_stock: bool | None
    min_price: int | None
    max_price: int | None
    on_sale: bool | None
    options: tuple[tuple[str, str], ...]  # (name key, value key) that must all hold
    percents: Mapping[tuple[int, str], int]  # (store id, category) → the festival discount now, where not 0


@dataclass(frozen=True)
class Docs:
    """The matching documents: scored in SQL (``plan``), or the ids and scores Python gave (``scores``)."""

    plan: st.Plan | None = None
    scores: Mapping[int, int] | None = None


def sql_scorable(plan: st.Plan) -> bool:
    """Whether SQL can score the plan exactly: every Latin alternative fits the stored word starts."""
    alternatives = [a for group in plan.required for a in group] + list(plan.joined or ())
    return all(len(a) <= st.STARTS_CHARS for a in alternatives if a.isascii())


def _scope_where(sql: Sql, scope: Scope) -> list[str]:
    where = ["d.festival_id = " + sql.bind(scope.festival_id),
             f"d.store_id IN ({', '.join(str(int(i)) for i in scope.store_ids)})"]
    if scope.store_id is not None:
        where.append("d.store_id = " + sql.bind(scope.store_id))
    for part in scope.category:
        where.append(f"d.category_flat LIKE {sql.bind(f'%{part}%')}")
    return where


def _match(sql: Sql, plan: st.Plan) -> str:
    """Documents holding one alternative of every group, or the joined form (a superset: scoring decides)."""
    ways = [_all_groups(sql, plan.required)]
    if plan.joined is not None:
        ways.append(_all_groups(sql, (plan.joined,)))
    return "(" + " OR ".join(ways) + ")"


def _all_groups(sql: Sql, required: Sequence[Sequence[str]]) -> str:
    fts: list[str] = []
    likes: list[str] = []
    for alternatives in required:
        if sql.sqlite and all(len(a) >= FTS_MIN for a in alternatives):
            fts.append("(" + " OR ".join(f'"{a}"' for a in alternatives) + ")")
        else:
            likes.append("(" + " OR ".join(f"d.body LIKE {sql.bind(f'%{a}%')}" for a in alternatives) + ")")
    if fts:
        likes.insert(0, f"d.id IN (SELECT rowid FROM search_fts WHERE search_fts MATCH {sql.bind(' AND '.join(fts))})")
    return "(" + " AND ".join(likes) + ")"


def candidates(sql: Sql, scope: Scope, plan: st.Plan) -> str:
    """The documents the index finds for a plan, with the text Python scores."""
    where = [*_scope_where(sql, scope), _match(sql, plan)]
    return f"SELECT d.id, d.name_text, d.category_text, d.other_text FROM search_docs d WHERE {' AND '.join(where)}"


# --- scoring in SQL (search_text.score) ---------------------------------------------------------------------

# Where an alternative is, best first: the names, the category, else the rest. A non-Latin one anywhere in the
# field without spaces (the body holds every field so, split by "|", which no alternative holds); a Latin one
# from the start of a word (search_text.word_starts).
FIELDS = ((3, "d.name_flat", "d.name_starts"), (2, "d.category_flat", "d.category_starts"),
          (1, "d.body", "d.other_starts"))


def _weight(sql: Sql, alternatives: Sequence[str]) -> str:
    """The weight of the best field holding one of ``alternatives`` (0: none)."""
    def holds(flat: str, starts: str) -> str:
        return " OR ".join(sql.has(starts, "|" + a) if a.isascii() else sql.has(flat, a) for a in alternatives)

    arms = " ".join(f"WHEN {holds(flat, starts)} THEN {w}" for w, flat, starts in FIELDS)
    return f"(CASE {arms} ELSE 0 END)"


# The document columns read after scoring, carried through it so that the documents are not looked up again.
CARRIED = ("id", "store_id", "group_key", "category_path", "one_category", "shelf_first", "shelf_low", "shelf_sale",
           "shelf_priced", "shelf_stocked")


def _scored(sql: Sql, scope: Scope, plan: st.Plan, conditions: Sequence[str]) -> str:
    """The documents of ``scope`` meeting ``conditions`` with ``score`` as ``search_text.score`` gives it, those
    scoring 0 left out, as a subquery.

    The weights are worked out in an inner subquery that the planner may not merge into the outer one (``fence``),
    so each field is searched once per document although the score reads each weight more than once. A fence
    rather than a materialized CTE: the rows stream on to the grouping, and are not first copied into a store."""
    where = [*_scope_where(sql, scope), *conditions]
    if any(len(a) >= FTS_MIN for alts in plan.required for a in alts) or not sql.sqlite:
        where.append(_match(sql, plan))  # the index narrows; without it, the weights below are the whole test
    weights = [f"{_weight(sql, alts)} AS w{i}" for i, alts in enumerate(plan.required)]
    if plan.joined is not None:
        weights.append(f"{_weight(sql, plan.joined)} AS wj")
    exact = (plan.joined,) if plan.joined else plan.required
    name = "'|' || d.name_flat || '|'"
    # a whole name: tested only where the name holds the word at all (the cheap test first: most do not)
    ex = " OR ".join(f"({sql.has('d.name_flat', a)} AND {sql.has(name, f'|{a}|')})" for alts in exact for a in alts)
    ws = [f"w{i}" for i in range(len(plan.required))]
    best = f"(CASE WHEN {' AND '.join(w + ' > 0' for w in ws)} THEN {' + '.join(ws)} ELSE 0 END)"
    if plan.joined is not None:  # the joined form counts as every word
        best = f"(CASE WHEN {best} >= wj * {len(ws)} THEN {best} ELSE wj * {len(ws)} END)"
    return (f"(SELECT {', '.join(CARRIED)}, {best} + (CASE WHEN {best} > 0 THEN ex ELSE 0 END) AS score FROM "
            f"(SELECT {', '.join('d.' + c for c in CARRIED)}, {', '.join(weights)}, "
            f"(CASE WHEN {ex} THEN 2 ELSE 0 END) AS ex FROM search_docs d WHERE {' AND '.join(where)} {sql.fence}) w "
            f"WHERE {best} > 0)")


def _source(sql: Sql, scope: Scope, docs: Docs, conditions: Sequence[str]) -> tuple[str, str, list[str]]:
    """The matching documents ``d`` that meet ``conditions`` (on the document's columns), with their ``score``:
    (FROM, the score, WHERE)."""
    if docs.plan is not None and docs.plan.empty:
        return "search_docs d", "1", [*_scope_where(sql, scope), *conditions]
    if docs.plan is not None:
        return _scored(sql, scope, docs.plan, conditions) + " d", "d.score", []
    scores = docs.scores or {}
    if sql.sqlite:
        source = (f"json_each({sql.bind(json.dumps({str(k): v for k, v in scores.items()}))}) s "
                  "JOIN search_docs d ON d.id = CAST(s.key AS INTEGER)")
        return source, "CAST(s.value AS INTEGER)", list(conditions)
    source = (f"unnest(CAST({sql.bind(list(scores))} AS INTEGER[]), "
              f"CAST({sql.bind(list(scores.values()))} AS INTEGER[])) AS s(id, score) "
              "JOIN search_docs d ON d.id = s.id")
    return source, "s.score", list(conditions)


# --- variants at the festival price ------------------------------------------------------------------------


def _percent(sql: Sql, percents: Mapping[tuple[int, str], int], store: str = "p.store_id",
             category: str = "p.category") -> str:
    """Each row's festival discount as a SQL expression (``pricing.best_rule``, worked out per category)."""
    if not percents:
        return "0"
    by: dict[tuple[int, int], list[str]] = {}
    for (store_id, category_), percent in percents.items():
        by.setdefault((store_id, percent), []).append(category_)
    arms = " ".join(f"WHEN {store} = {int(store_id)} AND {sql.one_of(category, categories)} THEN {int(pct)}"
                    for (store_id, pct), categories in sorted(by.items()))
    return f"(CASE {arms} ELSE 0 END)"


def _tests(sql: Sql, v: Variants, unit: str) -> list[str]:
    """What a variant read must pass to be kept (search._variant_ok, in SQL)."""
    tests = []
    if v.min_price is not None:
        tests.append(f"{unit} >= {sql.bind(v.min_price)}")
    if v.max_price is not None:
        tests.append(f"{unit} <= {sql.bind(v.max_price)}")
    if v.on_sale is not None:
        tests.append(f"{unit} {'<' if v.on_sale else '>='} p.price")
    if v.in_stock is not None:
        tests.append("p.stock > 0" if v.in_stock else "p.stock <= 0")
    for name_key, value_key in v.options:
        tests.append(f"EXISTS (SELECT 1 FROM search_options o WHERE o.doc_id = d.id AND o.product_id = p.id "
                     f"AND o.name_key = {sql.bind(name_key)} AND o.value_key = {sql.bind(value_key)})")
    return tests


def _gc(sql: Sql, scope: Scope, docs: Docs, v: Variants, stale: bool) -> str:
    """Per matching group: its score, first variant read and that one's category, lowest festival price, whether
    one is on sale, in stock, how many are kept and whether a kept one is in stock (the CTE ``gc``).

    Without variant filters a group's facts come from its document where they are current (``search_facts``),
    and from its variants where they may not be or its variants' categories differ (their discounts may).
    ``stale``: whether any group's facts may be out of date (else no document is looked up in search_stale)."""
    unit = unit_price_sql(price="p.price", sale_price="p.sale_price", percent=_percent(sql, v.percents))
    read = _variants_read(sql, v)
    tests = _tests(sql, v, unit)
    kept = (f", SUM(CASE WHEN {' AND '.join(tests)} THEN 1 ELSE 0 END) AS kept, "
            f"MAX(CASE WHEN {' AND '.join(tests)} AND p.stock > 0 THEN 1 ELSE 0 END) AS kin") if tests else ""

    def joined(conditions: Sequence[str]) -> str:
        """The groups of the matching documents meeting ``conditions``, from their variants read."""
        source, score, where = _source(sql, scope, docs, conditions)
        # every document column read, though all are the id's: d may be the scoring subquery, whose key
        # PostgreSQL does not know
        group = "d.id, d.store_id, d.category_path, d.one_category" + ("" if score == "1" else f", {score}")
        return (f"SELECT d.id AS doc, d.store_id AS store, {score} AS score, d.category_path AS path, "
                f"d.one_category AS one, MIN(p.id) AS first, MIN({unit}) AS low, "
                f"MAX(CASE WHEN {unit} < p.price THEN 1 ELSE 0 END) AS sale, "
                f"MAX(CASE WHEN p.stock > 0 THEN 1 ELSE 0 END) AS stocked{kept} "
                f"FROM {source} JOIN products p ON {SHELF}{_where([*where, *read])} GROUP BY {group}")

    cols = "doc, store, score, first, low, sale, stocked"

    def first_category(t: str) -> str:  # the category of the first variant read, live
        return f"(SELECT p.category FROM products p WHERE p.id = {t}.first)"

    if tests:  # every variant is tested: read them all
        # the group's category is its first variant's: the one all its variants share, else looked up
        return (f"SELECT {cols}, kept, kin, CASE WHEN one THEN path ELSE {first_category('g')} END AS cat "
                f"FROM ({joined([])}) g")
    percent = _percent(sql, v.percents, store="d.store_id", category="d.category_path")
    current = [f"NOT {STALE}"] if stale else []
    source, score, where = _source(sql, scope, docs, ["d.one_category", "d.shelf_first IS NOT NULL", *current])
    # With a discount, every variant priced above 0 is on sale (search_facts explains the facts).
    sale = ("d.shelf_sale" if percent == "0"
            else f"(CASE WHEN {percent} > 0 THEN d.shelf_priced ELSE d.shelf_sale END)")
    facts = (f"SELECT d.id AS doc, d.store_id AS store, {score} AS score, d.category_path AS path, "
             f"d.shelf_first AS first, {discounted_sql('d.shelf_low', percent)} AS low, {sale} AS sale, "
             f"d.shelf_stocked AS stocked FROM {source}{_where(where)}")
    # Groups of mixed categories, and stale ones (whose category may have changed too), read their variants.
    live = f"(NOT d.one_category OR {STALE})" if stale else "NOT d.one_category"
    return (f"SELECT {cols}, 1 AS kept, stocked AS kin, path AS cat FROM ({facts}) f UNION ALL "
            f"SELECT {cols}, 1, stocked, {first_category('j')} FROM ({joined([live])}) j")


def _variants_read(sql: Sql, v: Variants) -> list[str]:
    """Which variants of a matching group are read (``in_stock=True`` and ``min_price`` narrow them)."""
    read = []
    if v.in_stock is True:
        read.append("p.stock > 0")
    if v.min_price is not None:
        read.append("p.price >= " + sql.bind(v.min_price))
    return read


def _where(conditions: Sequence[str]) -> str:
    return f" WHERE {' AND '.join(conditions)}" if conditions else ""


PRICE_BUCKETS = [st.price_bucket(lo) for lo in (0, *st.PRICE_EDGES)]  # search_text.price_bucket, by index


def price_bucket_index(column: str) -> str:
    """The index in ``PRICE_BUCKETS`` of ``column``'s bucket, as SQL."""
    arms = " ".join(f"WHEN {column} < {int(edge)} THEN {i}" for i, edge in enumerate(st.PRICE_EDGES))
    return f"(CASE {arms} ELSE {len(st.PRICE_EDGES)} END)"


# A cube row's flags, packed in one integer so that the cube groups by three columns rather than six (a broad
# search counts every product group of the festival): bit 0 in the total, 1 on sale, 2 in stock, 3+ price bucket.
OK, SALE, STOCKED, BUCKET_SHIFT = 1, 2, 4, 3


def search(sql: Sql, scope: Scope, docs: Docs, v: Variants, *, categories: Sequence[str] | None, limit: int,
           start: int, facets: bool, stale: bool = True) -> str:
    """One statement for a whole answer, rows of (part, store, value, sale, stocked, extra, ok, n):

    - ``cube``: groups counted per store, first variant's category (value) and flags (``ok``, packed: ``OK``
      and after): in the total (a variant kept, and with ``categories`` a first variant of one of them), on
      sale, in stock, price bucket; the facets and the total are its sums (without ``facets``: per total only);
    - ``page``: the groups ranked by score (store), a kept variant in stock (sale), catalog order (ok), rows
      ``start + 1`` to ``start + limit`` of the ranking, their documents in ``n``;
    - ``option`` (with ``facets``): groups per option name (value) and value (extra).

    ``stale``: False if no group's shelf facts wait for a refresh (``search_facts.any_stale``), read in the same
    transaction just before (on PostgreSQL, a change committed in between is then seen as of that read)."""
    ok = "kept > 0" + (f" AND {sql.one_of('cat', categories)}" if categories is not None else "")
    parts = []
    if facets:
        flags = (f"(CASE WHEN {ok} THEN {OK} ELSE 0 END) + {SALE} * sale + {STOCKED} * stocked "
                 f"+ {1 << BUCKET_SHIFT} * {price_bucket_index('low')}")
        parts.append(f"SELECT 'cube' AS part, store, cat AS value, 0 AS sale, 0 AS stocked, '' AS extra, "
                     f"{flags} AS ok, COUNT(*) AS n FROM gc GROUP BY 2, 3, 7")
        read = _variants_read(sql, v)
        if not read:  # every variant on the shelf is read: per group
            parts.append("SELECT 'option', 0, o.name, 0, 0, o.value, 0, COUNT(*) FROM gc JOIN search_options o "
                         "ON o.doc_id = gc.doc WHERE o.first_in_doc GROUP BY o.name, o.value")
        else:  # per group, of the variants read
            parts.append("SELECT 'option', 0, o.name, 0, 0, o.value, 0, COUNT(DISTINCT gc.doc) FROM gc "
                         "JOIN search_options o ON o.doc_id = gc.doc JOIN products p ON p.id = o.product_id "
                         f"AND p.active = :on AND p.status = 'active' WHERE {' AND '.join(read)} "
                         "GROUP BY o.name, o.value")
    else:
        parts.append(f"SELECT 'cube' AS part, 0 AS store, '' AS value, 0 AS sale, 0 AS stocked, '' AS extra, "
                     f"(CASE WHEN {ok} THEN {OK} ELSE 0 END) AS ok, COUNT(*) AS n FROM gc GROUP BY 7")
    parts.append(f"SELECT 'page', score, '', kin, 0, '', first, doc FROM (SELECT doc, score, kin, first FROM gc "
                 f"WHERE {ok} ORDER BY score DESC, kin DESC, first "
                 f"LIMIT {sql.bind(limit)} OFFSET {sql.bind(start)}) pg")
    return f"WITH gc AS ({_gc(sql, scope, docs, v, stale)}) " + " UNION ALL ".join(parts)


def variants(sql: Sql, doc_ids: Sequence[int], v: Variants) -> str:
    """The variants read of the page's groups, with everything a hit shows, in catalog order."""
    where = [f"d.id IN ({', '.join(str(int(i)) for i in doc_ids)})", *_variants_read(sql, v)]
    return ("SELECT d.id AS doc, d.group_key, d.name_text, d.category_text, p.id, p.store_id, p.sku, p.name_ko, "
            "p.name_en, p.category, p.price, p.sale_price, p.currency, p.stock, p.data_json, p.image_sha256 "
            f"FROM search_docs d JOIN products p ON {SHELF} WHERE {' AND '.join(where)} ORDER BY p.id")


def shelf_categories(store_ids: Sequence[int]) -> str:
    """Every (store, category) on the shelf of the stores: what discounts and category filters are worked out on."""
    return ("SELECT DISTINCT p.store_id, p.category FROM products p WHERE p.active = :on AND p.status = 'active' "
            f"AND p.store_id IN ({', '.join(str(int(i)) for i in store_ids)})")
