"""The load forecast: it beats "the same minute yesterday" on a synthetic festival, and sizes the workers."""

from __future__ import annotations

from typing import Any

from synthetic_festival import festival_minutes

from server.services.forecast import backtest, forecast, recommended_workers


def test_holt_winters_beats_the_seasonal_naive_baseline_on_a_synthetic_festival() -> None:
    data = festival_minutes()
    # A few origins over the three days after the weekend (days 5 and 6), mornings to nights: "yesterday" is a
    # poor guide on the first of them, and the model must follow the level down within hours.
    origins = list(range(7 * 1440 + 10 * 60, 10 * 1440 - 60, 9 * 60))
    result = backtest(data, origins)
    assert result.origins >= 6
    for h in (15, 30, 60):
        assert result.mape[h] < 10.0, result
    assert sum(result.mape.values()) < sum(result.baseline_mape.values()) / 2, result


def test_short_or_empty_histories_and_quiet_nights() -> None:
    assert forecast([]).per_minute == [0.0] * 60
    assert forecast([5.0] * 30).model == "last-value"
    quiet = forecast([0.0] * (3 * 1440))  # a multiplicative season must survive an empty festival
    assert quiet.model == "holt-winters" and max(quiet.per_minute) < 1.0


def test_recommended_workers_cover_the_larger_of_now_and_the_peak_with_headroom() -> None:
    assert recommended_workers(current=0, predicted_peak=0, capacity_per_worker=2000) == 1
    assert recommended_workers(current=1500, predicted_peak=3000, capacity_per_worker=2000) == 2  # 3,750
    assert recommended_workers(current=5000, predicted_peak=3000, capacity_per_worker=2000) == 4  # 6,250
    assert recommended_workers(current=10, predicted_peak=10, capacity_per_worker=0) == 1


async def test_the_load_is_recorded_per_minute_and_forecast_for_the_organizer(sqlite_settings: Any) -> None:
    from datetime import UTC, datetime, timedelta

    from aiohttp.test_utils import TestClient, TestServer
    from factories import bearer, make_tenant
    from sqlalchemy import insert, select

    from server import keys
    from server.app import create_app
    from server.live.client import LiveClient
    from server.load_watch import record_minute
    from server.persistence.tables import Festival, FestivalLoad
    from server.services import load_history

    async with TestClient(TestServer(create_app(sqlite_settings))) as client:
        t = await make_tenant(client, sqlite_settings)
        app = client.app
        url = str(client.make_url("")).rstrip("/")
        shopper = await LiveClient.connect(url, t.store, t.shopper)
        now = load_history.minute_of(datetime.now(UTC))
        try:
            await record_minute(app, now - timedelta(minutes=1))
            await record_minute(app, now - timedelta(minutes=1))  # a second worker adds to the same minute
        finally:
            await shopper.close()
        database = app[keys.DATABASE]
        async with database.read() as db:
            assert await load_history.shoppers_per_minute(db, "fest", now) == [2.0]
        # Three days of a synthetic festival's history: enough for the daily season.
        history = festival_minutes(days=3, peak=400.0)
        async with database.write() as db:
            fid = (await db.execute(select(Festival.id).where(Festival.slug == "fest"))).scalar_one()
            first = now - timedelta(minutes=len(history) + 1)
            await db.execute(insert(FestivalLoad), [
                {"festival_id": fid, "minute": first + timedelta(minutes=i), "arrivals": 0, "shoppers": int(v)}
                for i, v in enumerate(history)])
        r = await client.get("/api/v1/festivals/fest/forecast", headers=bearer(t.organizer))
        body = await r.json()
        assert r.status == 200, body
        assert body["model"] == "holt-winters" and len(body["per_minute"]) == 60
        assert body["history_minutes"] >= len(history) and body["recommended_workers"] >= 1
        assert body["capacity_per_worker"] >= 1
        metrics = await (await client.get("/metrics")).text()
        assert 'vrstore_recommended_workers{festival="fest"}' in metrics
        assert 'vrstore_forecast_shoppers{festival="fest",minutes_ahead="60"}' in metrics
        r = await client.get("/api/v1/festivals/fest/forecast", headers=bearer(t.shopper))
        assert r.status == 403
