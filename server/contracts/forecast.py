"""The load forecast of a festival, as the organizer (and an autoscaler) reads it."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class ForecastOut(BaseModel):
    festival: str
    generated_at: datetime
    model: str = Field(description="holt-winters (two days of history or more), holt, or last-value")
    history_minutes: int
    shoppers_now: int
    per_minute: list[float] = Field(description="Forecast live shoppers for each of the next 60 minutes")
    peak: float
    capacity_per_worker: int = Field(description="Live shoppers one worker carries at its target load, measured")
    recommended_workers: int
