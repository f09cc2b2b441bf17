"""A synthetic 10-day festival, minute by minute: what the forecast's backtest (bench and tests) runs against.

Concurrent shoppers follow a daily profile (quiet nights, a lunch peak, a bigger evening peak), weekends
(days 5 and 6) draw half as many again, the opening morning (day 0, 10:00) brings a spike that decays over two
hours, and every minute carries a little noise. Deterministic for a given seed.
"""

from __future__ import annotations

import math
import random


def daily_profile(minute_of_day: int) -> float:
    hour = minute_of_day / 60.0
    night = 0.08
    lunch = 0.55 * math.exp(-((hour - 12.5) / 1.2) ** 2)
    evening = 1.0 * math.exp(-((hour - 21.0) / 1.6) ** 2)
    daytime = 0.25 * (1 / (1 + math.exp(-(hour - 8.5) * 2))) * (1 / (1 + math.exp((hour - 23.5) * 2)))
    return night + lunch + evening + daytime


def festival_minutes(days: int = 10, peak: float = 4000.0, seed: int = 7) -> list[float]:
    rng = random.Random(seed)
    out = []
    for day in range(days):
        weekend = 1.5 if day % 7 in (5, 6) else 1.0
        for minute in range(24 * 60):
            level = peak * daily_profile(minute) * weekend
            t = day * 24 * 60 + minute - 10 * 60  # minutes since the opening (day 0, 10:00)
            if t >= 0:
                level += peak * 1.2 * math.exp(-t / 45.0)
            out.append(max(0.0, level * (1.0 + rng.gauss(0.0, 0.03))))
    return out
