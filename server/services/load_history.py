"""Per-minute live load of every festival: recorded by each worker, read back by the forecast.

Each worker adds its own arrivals and present shoppers to the minute's row (an upsert that adds), so a row is
the festival's total over every worker. Rows older than ``LOAD_RETENTION_DAYS`` are deleted as new ones come.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from server.persistence.tables import Festival, FestivalLoad

LOAD_RETENTION_DAYS = 35
HISTORY_DAYS = 14  # what a forecast reads


def minute_of(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(second=0, microsecond=0)


async def record(db: AsyncSession, minute: datetime, counts: dict[str, tuple[int, int]]) -> None:
    """Add ``{festival slug: (arrivals, shoppers)}`` of this worker to ``minute``'s rows."""
    if not counts:
        return
    ids = dict((await db.execute(select(Festival.slug, Festival.id).where(Festival.slug.in_(list(counts))))).all())
    rows = [{"festival_id": ids[slug], "minute": minute, "arrivals": a, "shoppers": s}
            for slug, (a, s) in counts.items() if slug in ids]
    if not rows:
        return
    insert = postgresql.insert if db.get_bind().dialect.name == "postgresql" else sqlite.insert
    stmt = insert(FestivalLoad).values(rows)
    stmt = stmt.on_conflict_do_update(
        index_elements=[FestivalLoad.festival_id, FestivalLoad.minute],
        set_={"arrivals": FestivalLoad.arrivals + stmt.excluded.arrivals,
              "shoppers": FestivalLoad.shoppers + stmt.excluded.shoppers})
    await db.execute(stmt)
    await db.execute(delete(FestivalLoad).where(FestivalLoad.minute < minute - timedelta(days=LOAD_RETENTION_DAYS)))


async def shoppers_per_minute(db: AsyncSession, festival: str, until: datetime,
                              days: int = HISTORY_DAYS) -> list[float]:
    """Shoppers present, minute by minute, from the first recorded minute in the last ``days`` to ``until``
    (exclusive); minutes nobody recorded (no worker running) count as empty."""
    since = minute_of(until) - timedelta(days=days)
    rows = (await db.execute(
        select(FestivalLoad.minute, FestivalLoad.shoppers).join(Festival).where(
            Festival.slug == festival, FestivalLoad.minute >= since, FestivalLoad.minute < minute_of(until))
        .order_by(FestivalLoad.minute))).all()
    if not rows:
        return []
    first = rows[0][0]
    out = [0.0] * int((minute_of(until) - first).total_seconds() // 60)
    for minute, shoppers in rows:
        out[int((minute - first).total_seconds() // 60)] = float(shoppers)
    return out
