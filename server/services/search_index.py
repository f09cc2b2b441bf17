"""The search index: one ``search_docs`` row per product group on the shelf, rebuilt per store.

A catalog replacement rebuilds its store's documents right after the swap: ``reindex_batches`` (the upload path)
in units of ``BATCH`` groups, so a 100,000-row catalog never holds the writer (or the interpreter) for long;
``reindex_store`` in the caller's transaction (catalogs already in memory: the demo). Until the batches are done,
search joins the old documents with the new shelf: products gone from it drop out at once (the join reads
``on_shelf``), new ones appear batch by batch. Product patches change price and stock only: they need no reindex
(a trigger marks the group's shelf facts stale, and search reads a stale group's variants live: search_facts.py).
On SQLite, triggers of migration 0010 carry each row into the FTS5 table. With each document go its variants'
options (``search_options``), which search filters and counts, and its shelf facts (``search_facts``).
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Connection, Table, and_, delete, exists, insert, select

from server.domain.search_text import Document, document, option_index, options_of, word_starts
from server.persistence.database import Database
from server.persistence.tables import Base, on_shelf
from server.services import search_facts

BATCH = 1_000  # product groups per unit of the batched rebuild
DOCS: Table = Base.metadata.tables["search_docs"]
PRODUCTS: Table = Base.metadata.tables["products"]
STORES: Table = Base.metadata.tables["stores"]
OPTIONS: Table = Base.metadata.tables["search_options"]


def reindex_store(conn: Connection, store_id: int) -> int:
    """Rebuild the store's search documents from its shelf in one go; returns how many product groups it has."""
    conn.execute(delete(DOCS).where(DOCS.c.store_id == store_id))
    return _index_groups(conn, store_id, None)


async def reindex_batches(database: Database, store_id: int) -> int:
    """Rebuild the store's search documents in units of ``BATCH`` product groups; returns how many it has."""
    keys: list[str] = await database.read_sync(_shelf_groups, store_id)
    for start in range(0, len(keys), BATCH):
        await database.unit(_replace_groups, store_id, keys[start:start + BATCH])
    await database.unit(_drop_stale, store_id)
    return len(keys)


def _shelf_groups(conn: Connection, store_id: int) -> list[str]:
    p = PRODUCTS.c
    return list(dict.fromkeys(conn.execute(select(p.group_key).where(p.store_id == store_id, on_shelf(p))
                                           .order_by(p.id)).scalars()))


def _replace_groups(conn: Connection, store_id: int, keys: list[str]) -> None:
    conn.execute(delete(DOCS).where(DOCS.c.store_id == store_id, DOCS.c.group_key.in_(keys)))
    _index_groups(conn, store_id, keys)


def _drop_stale(conn: Connection, store_id: int) -> None:
    """Documents of groups no longer on the shelf."""
    p = PRODUCTS.c
    shelved = exists().where(and_(p.store_id == store_id, p.group_key == DOCS.c.group_key, on_shelf(p)))
    conn.execute(delete(DOCS).where(DOCS.c.store_id == store_id, ~shelved))


def _index_groups(conn: Connection, store_id: int, keys: list[str] | None) -> int:
    festival_id = conn.execute(select(STORES.c.festival_id).where(STORES.c.id == store_id)).scalar_one()
    stale = search_facts.stale_ids(conn, store_id, keys)  # before the variants: see search_facts
    p = PRODUCTS.c
    query = (select(p.id, p.group_key, p.sku, p.name_ko, p.name_en, p.category, p.data_json, p.price,
                    p.sale_price, p.stock)
             .where(p.store_id == store_id, on_shelf(p)).order_by(p.id))
    if keys is not None:
        query = query.where(p.group_key.in_(keys))
    groups: dict[str, list[tuple[Any, dict[str, Any]]]] = {}
    for row in conn.execute(query):
        groups.setdefault(row.group_key or row.sku, []).append((row, _data(row.data_json)))
    docs = [_doc_row(festival_id, store_id, key, variants) for key, variants in groups.items()]
    search_facts.forget(conn, stale)
    if not docs:
        return 0
    conn.execute(insert(DOCS), docs)
    mine = select(DOCS.c.group_key, DOCS.c.id).where(DOCS.c.store_id == store_id)
    ids = {k: i for k, i in conn.execute(mine if keys is None else mine.where(DOCS.c.group_key.in_(list(groups))))}
    options = []
    for key, variants in groups.items():
        seen: set[tuple[str, str]] = set()
        for row, data in variants:
            for pos, (name, value, name_key, value_key) in enumerate(option_index(options_of(data))):
                options.append({"doc_id": ids[key], "product_id": row.id, "pos": pos, "name": name, "value": value,
                                "name_key": name_key, "value_key": value_key,
                                "first_in_doc": (name, value) not in seen})
                seen.add((name, value))
    if options:
        conn.execute(insert(OPTIONS), options)
    return len(docs)


def _doc_row(festival_id: int, store_id: int, key: str, variants: list[tuple[Any, dict[str, Any]]]
             ) -> dict[str, Any]:
    first, data = variants[0]
    values = [value for _, variant in variants for value in options_of(variant).values()]
    names = [n for v, _ in variants for n in (v.name_ko, v.name_en)]
    doc: Document = document(names=names, category=first.category, brand=_text(data.get("brand")),
                             option_values=values, description=_text(data.get("description")))
    return {"festival_id": festival_id, "store_id": store_id, "group_key": key, "name_text": doc.name,
            "category_text": doc.category, "other_text": doc.other, "body": doc.body, "name_flat": doc.name_flat,
            "category_flat": doc.category_flat, "name_starts": word_starts(doc.name),
            "category_starts": word_starts(doc.category), "other_starts": word_starts(doc.other),
            "category_path": first.category,
            "one_category": len({v.category for v, _ in variants}) == 1,
            **search_facts.facts_of([v for v, _ in variants])}


def _data(data_json: str) -> dict[str, Any]:
    if data_json in ("", "{}"):
        return {}
    data = json.loads(data_json)
    return data if isinstance(data, dict) else {}


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None
