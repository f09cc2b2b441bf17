"""Festival analytics as the API sends it: aggregates only; ``None`` marks a number hidden by the k-anonymity
rule (fewer than 5 distinct shoppers behind it, see server/domain/analytics.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from server.contracts.foundation import InputModel, Timestamp

Bucket = Literal["minute", "hour", "day"]


class RangeQuery(InputModel):
    """A time range (default: the last 24 hours up to now) cut into buckets of the festival's time zone."""

    since: Timestamp | None = None
    until: Timestamp | None = None
    bucket: Bucket = "hour"


class StoreRangeQuery(RangeQuery):
    compare: bool = Field(default=False, description="also the same range one day earlier")


class Point(BaseModel):
    t: datetime
    visitors: int | None = Field(description="shoppers present (the bucket's busiest minute)")
    entries: int | None
    views: int | None
    adds: int | None
    orders: int | None
    revenue: int | None


class StoreRank(BaseModel):
    store: str
    entries: int
    views: int
    adds: int
    orders: int
    revenue: int
    dwell_s: float
    trend: list[int | None] = Field(description="entries per bucket, for a sparkline")


class ProductRank(BaseModel):
    store: str
    sku: str
    views: int
    panels: int = Field(description="panel openings (0 when fewer than K_MIN shoppers opened it)")
    options: int = Field(description="option changes to this variant (0 when fewer than K_MIN shoppers)")
    adds: int
    removes: int
    sold: int = Field(description="units in paid orders placed in the range")
    conversion: float | None = Field(description="adds / views")


class Overview(BaseModel):
    festival: str
    timezone: str
    bucket: Bucket
    since: datetime
    until: datetime
    currency: str
    visitors_now: int
    queue: int
    entries: int | None
    orders: int | None
    revenue: int | None
    conversion: float | None = Field(description="paid orders / store entries")
    checkouts: dict[str, int] = Field(description="checkout attempts by outcome (suppressed ones left out)")
    series: list[Point]
    top_stores: list[StoreRank]
    top_products: list[ProductRank]


class Stage(BaseModel):
    stage: Literal["visits", "views", "adds", "orders"]
    count: int | None
    rate: float | None = Field(description="this stage / the one before")


class Funnel(BaseModel):
    store: str
    since: datetime
    until: datetime
    stages: list[Stage]
    previous: list[Stage] | None = Field(default=None, description="the same range a day earlier (compare=true)")


class Products(BaseModel):
    store: str
    by_views: list[ProductRank]
    by_conversion: list[ProductRank]
    looked_not_bought: list[ProductRank]


class Cell(BaseModel):
    x: int = Field(description="cell index along x; the cell spans [x, x+1) × cell_m metres")
    z: int
    seconds: int


class Zone(BaseModel):
    name: str
    seconds: int | None
    share: float | None


class HeatMap(BaseModel):
    store: str
    since: datetime
    until: datetime
    cell_m: float
    bounds: list[float] | None = Field(description="the floor plan's [min x, min z, max x, max z] in metres")
    cells: list[Cell]
    zones: list[Zone]
    suppressed: int = Field(description="cells hidden by the k-anonymity rule")


class Health(BaseModel):
    worker: str
    level: str = Field(description="admission level: normal, fewer_peers, slower_far_peers, closed")
    pressure: float
    connections: int


class Alert(BaseModel):
    kind: Literal["build_failed", "p99_over_bound", "admission_paused", "declines_spike"]
    store: str | None = None


class LiveTiles(BaseModel):
    """One frame of the organizer dashboard's live stream (festival-wide totals: not suppressed)."""

    at: datetime
    visitors: int
    queue: int
    orders_last_minute: int
    orders: int
    revenue: int
    currency: str
    build_failures: int
    health: Health
    alerts: list[Alert]
