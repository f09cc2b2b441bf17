"""Forecast a festival's live shoppers for the next hour, and how many workers that needs.

The model is Holt-Winters exponential smoothing (statsmodels' ``ExponentialSmoothing``): multiplicative daily
seasonality and a damped additive trend, on 5-minute means of the per-minute history. Festivals repeat by the
day (lunch and evening peaks) and scale over the days (a weekend draws half as many again: a multiplicative
season fits it; an additive one missed by 8–9 % instead of 5 % in the backtest); the damped trend follows the
drift of the last hours without extrapolating an opening spike forever. A shopper is added to every bucket
(and taken off the forecast) because a multiplicative season cannot hold an empty night. With less than two
days of history there is no season to learn yet: Holt's damped trend alone; with less than two hours, the last
value. Per-minute points interpolate between bucket centres, starting from the last minute seen.

Pure functions of plain lists: this runs in the process pool (fitting takes CPU time the event loop must not
give) and in the backtest (``bench/forecast.py``). statsmodels is imported when a fit is asked for, not before.
"""

from __future__ import annotations

import itertools
import math
import warnings
from dataclasses import dataclass

BUCKET_MIN = 5  # the model's step
DAY_BUCKETS = 24 * 60 // BUCKET_MIN  # its season
HORIZON_MIN = 60
HEADROOM = 0.25  # scale for 25 % above the forecast peak: forecasts err, and a surge arrives in minutes


@dataclass(frozen=True)
class Forecast:
    model: str  # "holt-winters", "holt" or "last-value"
    per_minute: list[float]  # the next HORIZON_MIN minutes
    peak: float


def buckets(per_minute: list[float]) -> list[float]:
    """5-minute means, the last (possibly partial) bucket included."""
    return [sum(chunk) / len(chunk) for chunk in
            (per_minute[i:i + BUCKET_MIN] for i in range(0, len(per_minute), BUCKET_MIN))]


def forecast(per_minute: list[float], horizon_min: int = HORIZON_MIN) -> Forecast:
    """The next ``horizon_min`` minutes of concurrent shoppers from the per-minute history (oldest first)."""
    if len(per_minute) < 2 * BUCKET_MIN * 12:  # under two hours: nothing to smooth
        last = float(per_minute[-1]) if per_minute else 0.0
        return Forecast("last-value", [last] * horizon_min, last)
    series = buckets(per_minute[: len(per_minute) - len(per_minute) % BUCKET_MIN])
    steps = math.ceil(horizon_min / BUCKET_MIN)
    from statsmodels.tsa.holtwinters import ExponentialSmoothing  # imported here: heavy, and only in the pool

    seasonal = len(series) >= 2 * DAY_BUCKETS
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence chatter of the optimiser: the fit is still usable
        model = ExponentialSmoothing(
            [v + 1.0 for v in series], trend="add", damped_trend=True, seasonal="mul" if seasonal else None,
            seasonal_periods=DAY_BUCKETS if seasonal else None, initialization_method="estimated",
        ).fit()
        ahead = [max(0.0, float(v) - 1.0) for v in model.forecast(steps)]
    per_min = _interpolate(float(per_minute[-1]), ahead, horizon_min)
    return Forecast("holt-winters" if seasonal else "holt", per_min, max(per_min))


def _interpolate(last: float, ahead: list[float], horizon_min: int) -> list[float]:
    """Minute points on the line through the last minute seen and each bucket's centre."""
    points = [(-0.5, last)] + [(BUCKET_MIN * i + BUCKET_MIN / 2, v) for i, v in enumerate(ahead)]
    out = []
    for minute in range(horizon_min):
        for (x0, y0), (x1, y1) in itertools.pairwise(points):
            if x0 <= minute <= x1:
                out.append(y0 + (y1 - y0) * (minute - x0) / (x1 - x0))
                break
        else:
            out.append(points[-1][1])
    return out


def recommended_workers(current: float, predicted_peak: float, capacity_per_worker: int) -> int:
    """Workers for the larger of now and the forecast peak, with ``HEADROOM``; at least one."""
    if capacity_per_worker <= 0:
        return 1
    need = max(current, predicted_peak) * (1.0 + HEADROOM)
    return max(1, math.ceil(need / capacity_per_worker))


def mape(actual: list[float], predicted: list[float]) -> float:
    """Mean absolute percentage error over the points whose actual value is not ~0."""
    pairs = [(a, p) for a, p in zip(actual, predicted, strict=True) if a > 1.0]
    return 100.0 * sum(abs(a - p) / a for a, p in pairs) / len(pairs) if pairs else 0.0


@dataclass(frozen=True)
class Backtest:
    horizons: tuple[int, ...]
    origins: int
    mape: dict[int, float]  # the model's, by minutes ahead
    baseline_mape: dict[int, float]  # "the same minute yesterday" (seasonal naive), in the same run
    fit_seconds: float  # mean per forecast


def backtest(per_minute: list[float], origins: list[int], horizons: tuple[int, ...] = (15, 30, 60)) -> Backtest:
    """Forecast from each origin (a minute index) and score the point ``h`` minutes ahead against what came."""
    import time

    errors: dict[int, list[float]] = {h: [] for h in horizons}
    naive: dict[int, list[float]] = {h: [] for h in horizons}
    spent = 0.0
    for origin in origins:
        started = time.perf_counter()
        ahead = forecast(per_minute[:origin], max(horizons)).per_minute
        spent += time.perf_counter() - started
        for h in horizons:
            actual = per_minute[origin + h - 1]
            if actual > 1.0:
                errors[h].append(abs(actual - ahead[h - 1]) / actual)
                yesterday = per_minute[origin + h - 1 - 24 * 60]
                naive[h].append(abs(actual - yesterday) / actual)
    return Backtest(horizons, len(origins), {h: 100 * sum(e) / len(e) for h, e in errors.items() if e},
                    {h: 100 * sum(e) / len(e) for h, e in naive.items() if e}, spent / max(1, len(origins)))
