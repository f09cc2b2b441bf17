"""A festival's synonym groups (organizer-editable) and the zero-result query counts of search and the advisor."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection, delete, func, insert, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from server.domain.search_text import DEFAULT_SYNONYMS, MAX_QUERY_CHARS
from server.persistence.tables import Base

SYNONYMS = Base.metadata.tables["search_synonyms"]
MISSES = Base.metadata.tables["search_misses"]
MISS_RETENTION = timedelta(days=400)


def synonyms_sync(conn: Connection, festival_id: int) -> tuple[list[list[str]], bool]:
    """The festival's groups, and whether they are the starter set (the organizer has set none)."""
    stored = conn.execute(select(SYNONYMS.c.groups_json).where(SYNONYMS.c.festival_id == festival_id)).scalar()
    if stored is None:
        return [list(g) for g in DEFAULT_SYNONYMS], True
    groups = json.loads(stored)
    return [[str(t) for t in g] for g in groups], False


def set_synonyms(conn: Connection, festival_id: int, groups: list[list[str]]) -> None:
    conn.execute(delete(SYNONYMS).where(SYNONYMS.c.festival_id == festival_id))
    conn.execute(insert(SYNONYMS).values(festival_id=festival_id, updated_at=datetime.now(UTC),
                                         groups_json=json.dumps(groups, ensure_ascii=False)))


def record_miss(conn: Connection, festival_id: int, store_id: int | None, query: str, now: datetime) -> None:
    """Count one query that found nothing (normalised: outer space trimmed, inner runs of space single,
    lower case); per day, so old counts can go."""
    text_ = " ".join(query.split()).casefold()[:MAX_QUERY_CHARS]
    if not text_:
        return
    day = now.astimezone(UTC).date().isoformat()
    m = MISSES.c
    dialect_insert = sqlite_insert if conn.dialect.name == "sqlite" else pg_insert
    row = dialect_insert(MISSES).values(festival_id=festival_id, store_id=store_id or 0, day=day, query=text_, n=1)
    # One statement, so two workers counting the same new query never collide on the unique key.
    conn.execute(row.on_conflict_do_update(index_elements=[m.festival_id, m.store_id, m.day, m.query],
                                           set_={"n": m.n + 1}))
    conn.execute(delete(MISSES).where(m.day < (now - MISS_RETENTION).date().isoformat()))


def top_misses(conn: Connection, festival_id: int, store_id: int | None, *, days: int, limit: int,
               now: datetime) -> list[tuple[str, int]]:
    """The most frequent zero-result queries of the last ``days``: a store's, or (None) the whole festival's."""
    m = MISSES.c
    since = (now.astimezone(UTC) - timedelta(days=days - 1)).date().isoformat()
    query = (select(m.query, func.sum(m.n).label("count")).where(m.festival_id == festival_id, m.day >= since)
             .group_by(m.query).order_by(func.sum(m.n).desc(), m.query).limit(limit))
    if store_id is not None:
        query = query.where(m.store_id == store_id)
    return [(q, int(n)) for q, n in conn.execute(query)]
