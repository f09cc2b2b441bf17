"""Festival analytics end to end: a seeded simulation against the real server, counted again from the
generator's own log; the k-anonymity rule in every answer; role scoping; retention; the PNG heat map."""

from __future__ import annotations

import asyncio
import io
import json
import random
import time
from collections import defaultdict
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestClient
from factories import Tenant, add_products, bearer, make_settings, make_tenant, new_shopper, running_client
from loadtest.behaviour import Behaviour, Shelf, ShopperLog, plan_visit, run_visit
from PIL import Image

from server import keys
from server.analytics_watch import flush, flush_every_minute
from server.domain.analytics import K_MIN, Accumulator, Row
from server.services import analytics
from server.settings import Settings

WIDE = {"since": (datetime.now(UTC) - timedelta(days=30)).isoformat(), "bucket": "day"}
SHELVES = [Shelf("CHEAP", 5_000, 1.0, 1.0, "front"), Shelf("MID", 20_000, 2.0, 3.0, "front"),
           Shelf("DEAR", 90_000, -2.0, 4.0, "back")]


async def flush_all(client: TestClient[Any, Any]) -> None:
    app = client.server.app
    await flush(app, app[keys.ANALYTICS].take_all())


async def raw(client: TestClient[Any, Any], festival: str) -> dict[tuple[str, str, str], analytics.Stored]:
    """The stored counters over all time, added over minutes (no privacy rule: what the test compares)."""
    async with client.server.app[keys.DATABASE].read() as db:
        rows = await analytics.read(
            db, festival, datetime(2000, 1, 1, tzinfo=UTC), datetime.now(UTC) + timedelta(minutes=5),
            kinds=("enter", "dwell", "view", "panel", "option", "add", "order", "checkout", "cell", "visit"),
            per_minute=False)
    return {(r.store, r.kind, r.key): r for r in rows}


async def simulate(client: TestClient[Any, Any], t: Tenant, shoppers: int, seed: int) -> ShopperLog:
    log = ShopperLog()
    rng = random.Random(seed)
    behaviour = Behaviour(looks=(1, 3), look_s=(2.2, 2.8), gap_s=(2.2, 2.5), add_at_ref=0.6, checkout=0.8,
                          decline=0.25)
    base = str(client.make_url("")).rstrip("/")
    tokens = [(await new_shopper(client, f"s{i}"))[0] for i in range(shoppers)]
    async with aiohttp.ClientSession() as http:
        await asyncio.gather(*(run_visit(base, t.store, tok, plan_visit(rng, SHELVES, behaviour), log, http)
                               for tok in tokens))
    live = client.server.app[keys.LIVE]
    await wait_until(lambda: not live.conns)  # every leave is counted once the server saw the socket close
    await flush_all(client)
    return log


async def wait_until(condition: Any, timeout: float = 10.0) -> None:  # noqa: ASYNC109
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.02)  # polling a condition of the server under test


@pytest.fixture
async def tenant_client(settings: Settings) -> AsyncIterator[tuple[TestClient[Any, Any], Tenant]]:
    async with running_client(settings) as client:
        t = await make_tenant(client, settings)
        await add_products(settings, t.store, [(s.sku, s.price, 1000) for s in SHELVES])
        yield client, t


async def test_aggregates_equal_the_generators_own_count(
        tenant_client: tuple[TestClient[Any, Any], Tenant]) -> None:
    client, t = tenant_client
    log = await simulate(client, t, shoppers=7, seed=20)
    got = await raw(client, t.festival)
    assert got[(t.store, "enter", "")].n == log.entries == 7
    assert {sku: got[(t.store, "view", sku)].n for sku in log.looks} == log.looks
    assert not {k for k in got if k[1] == "view"} - {(t.store, "view", sku) for sku in log.looks}
    assert log.panels and log.options  # the seed makes shoppers open panels and choose options
    assert {sku: r.n for (s, kind, sku), r in got.items() if kind == "panel"} == log.panels
    assert {sku: r.n for (s, kind, sku), r in got.items() if kind == "option"} == log.options
    assert {sku: r.n for (s, kind, sku), r in got.items() if kind == "add"} == log.adds
    assert {k: r.n for (s, kind, k), r in got.items() if kind == "checkout"} == log.checkouts
    if log.orders:
        order = got[(t.store, "order", "KRW")]
        assert (order.n, int(order.value)) == (log.orders, log.revenue)
    dwell = got[(t.store, "dwell", "")]
    assert dwell.n == 7 and dwell.value == pytest.approx(log.dwell_s, rel=0.01)
    assert sum(r.n for (s, kind, _), r in got.items() if kind == "cell") == got[(t.store, "visit", "")].n

    # The funnel answers the same counts, each one or hidden when fewer than K_MIN shoppers stand behind it.
    r = await client.get(f"/api/v1/stores/{t.store}/analytics/funnel", params=WIDE, headers=bearer(t.merchant))
    assert r.status == 200, await r.text()
    stages = {s["stage"]: s["count"] for s in (await r.json())["stages"]}
    for stage, kind, key in (("visits", "enter", ""), ("views", "view", None), ("adds", "add", None)):
        rows = [v for (s, k, kk), v in got.items() if k == kind and (key is None or kk == key)]
        expected = sum(v.n for v in rows) if max((v.most for v in rows), default=0) >= K_MIN else None
        assert stages[stage] == expected, stage


async def test_every_answer_hides_what_fewer_than_5_shoppers_did(
        tenant_client: tuple[TestClient[Any, Any], Tenant]) -> None:
    client, t = tenant_client
    minute = int(time.time() // 60 * 60) - 120
    rows = [Row(minute, t.festival, t.store, "enter", "", 9, K_MIN), Row(minute, t.festival, t.store, "visit", "", 90,
                                                                          K_MIN),
            Row(minute, t.festival, t.store, "view", "SHOWN", 8, K_MIN),
            Row(minute, t.festival, t.store, "view", "HIDDEN", 6, K_MIN - 1),
            Row(minute, t.festival, t.store, "add", "SHOWN", 3, K_MIN - 1),
            Row(minute, t.festival, t.store, "cell", "1,1", 40, K_MIN),
            Row(minute, t.festival, t.store, "cell", "2,2", 30, K_MIN - 1),
            Row(minute, t.festival, t.store, "order", "KRW", 2, 2, 30_000.0)]
    async with client.server.app[keys.DATABASE].write() as db:
        await analytics.write(db, rows)
    m = bearer(t.merchant)
    funnel = await (await client.get(f"/api/v1/stores/{t.store}/analytics/funnel", params=WIDE, headers=m)).json()
    assert [(s["stage"], s["count"]) for s in funnel["stages"]] == [
        ("visits", 9), ("views", 14), ("adds", None), ("orders", None)]  # a stage adds up every product
    products = await (await client.get(f"/api/v1/stores/{t.store}/analytics/products", params=WIDE, headers=m)).json()
    assert [p["sku"] for p in products["by_views"]] == ["SHOWN"]
    assert products["by_views"][0]["adds"] == 0, "the add count of 4 shoppers is hidden inside a shown product"
    heat = await (await client.get(f"/api/v1/stores/{t.store}/analytics/heatmap", params=WIDE, headers=m)).json()
    assert [(c["x"], c["z"], c["seconds"]) for c in heat["cells"]] == [(1, 1, 40)] and heat["suppressed"] == 1
    overview = await (await client.get(f"/api/v1/festivals/{t.festival}/analytics",
                                       params={**WIDE, "bucket": "day"}, headers=bearer(t.organizer))).json()
    assert overview["entries"] == 9 and overview["orders"] is None and overview["revenue"] is None
    assert [p["sku"] for p in overview["top_products"]] == ["SHOWN"]
    assert [s["store"] for s in overview["top_stores"]] == [t.store]
    csv_text = await (await client.get(f"/api/v1/stores/{t.store}/analytics.csv", params=WIDE, headers=m)).text()
    assert "SHOWN" in csv_text and "HIDDEN" not in csv_text and "2,2" not in csv_text and "order" not in csv_text


async def test_answers_are_scoped_to_the_festival_and_the_store(
        tenant_client: tuple[TestClient[Any, Any], Tenant], settings: Settings) -> None:
    client, t = tenant_client
    other = await make_tenant(client, settings, "other")
    store_paths = [f"/api/v1/stores/{t.store}/analytics/{p}" for p in ("funnel", "products", "heatmap")]
    for path in store_paths:
        assert (await client.get(path, headers=bearer(t.merchant))).status == 200
        assert (await client.get(path, headers=bearer(t.organizer))).status == 200, "the festival's organizer"
        assert (await client.get(path, headers=bearer(other.merchant))).status == 404, "another merchant"
        assert (await client.get(path, headers=bearer(other.organizer))).status == 404, "another festival"
        assert (await client.get(path, headers=bearer(t.shopper))).status == 403
    overview = f"/api/v1/festivals/{t.festival}/analytics"
    assert (await client.get(overview, headers=bearer(t.organizer))).status == 200
    assert (await client.get(overview, headers=bearer(other.organizer))).status == 404
    assert (await client.get(overview, headers=bearer(t.merchant))).status == 403
    assert (await client.get(overview, params={"bucket": "minute", "since": "2000-01-01T00:00:00Z"},
                             headers=bearer(t.organizer))).status == 422, "too long a range for minute buckets"


async def test_retention_prunes_old_minutes_in_the_apps_own_task(tmp_path: Any, db_url: str) -> None:
    settings = make_settings(tmp_path, db_url, analytics_retention_days=2)
    old, recent = int(time.time()) - 3 * 86400, int(time.time()) - 86400
    async with running_client(settings) as client:
        await make_tenant(client, settings)
        async with client.server.app[keys.DATABASE].write() as db:
            assert await analytics.write(db, [Row(old // 60 * 60, "fest", "s", "enter", "", 5, 5),
                                              Row(recent // 60 * 60, "fest", "s", "enter", "", 6, 6)]) == 2
    async with running_client(settings) as client:  # a restart: the app's pruning task runs at once
        async def counts() -> list[int]:
            return [r.n for r in (await raw(client, "fest")).values()]

        deadline = time.monotonic() + 10
        while (found := await counts()) != [6]:
            assert time.monotonic() < deadline, found
            await asyncio.sleep(0.05)  # polling the database the task under test writes to


async def test_the_minute_writer_flushes_just_past_the_boundary_and_keeps_the_open_minute(
        tenant_client: tuple[TestClient[Any, Any], Tenant]) -> None:
    client, t = tenant_client
    app = client.server.app
    start = time.time()
    offset = 60.0 - start % 60.0 - 0.5 + 2 * 86400  # a clock 0.5 s before a minute ends, two days ahead
    def wall() -> float:
        return time.time() + offset

    acc: Accumulator = app[keys.ANALYTICS]
    ending = wall()
    acc.enter(ending, t.festival, t.store, "s-ending")  # in the minute about to end
    acc.enter(ending + 60, t.festival, t.store, "s-next")  # in the minute after it: not written yet
    writer = asyncio.create_task(flush_every_minute(app, wall))
    try:
        async def entered() -> dict[int, int]:
            async with app[keys.DATABASE].read() as db:
                rows = await analytics.read(db, t.festival, datetime.fromtimestamp(ending - 120, UTC),
                                            datetime.fromtimestamp(ending + 240, UTC), kinds=("enter",))
            return {r.minute: r.n for r in rows}

        deadline = time.monotonic() + 10
        while not (written := await entered()):
            assert time.monotonic() < deadline, "the minute was not written"
            await asyncio.sleep(0.05)  # polling the database the task under test writes to
        assert written == {int(ending // 60 * 60): 1}
        assert [r.key for r in acc.take_all() if r.kind == "enter"] == [""]  # the next minute stayed in memory
    finally:
        writer.cancel()
        await asyncio.gather(writer, return_exceptions=True)


async def test_analytics_off_counts_nothing(tmp_path: Any) -> None:
    settings = make_settings(tmp_path, f"sqlite+aiosqlite:///{tmp_path / 'off.db'}", analytics=False)
    async with running_client(settings) as client:
        assert keys.ANALYTICS not in client.server.app and client.server.app[keys.LIVE].analytics is None


async def test_heat_map_png_is_drawn_over_the_plan(tenant_client: tuple[TestClient[Any, Any], Tenant]) -> None:
    client, t = tenant_client
    minute = int(time.time() // 60 * 60) - 60
    async with client.server.app[keys.DATABASE].write() as db:
        await analytics.write(db, [Row(minute, t.festival, t.store, "cell", f"{x},{z}", 10 + x * z, K_MIN)
                                   for x in range(-3, 4) for z in range(-2, 3)])
    r = await client.get(f"/api/v1/stores/{t.store}/analytics/heatmap.png", params=WIDE, headers=bearer(t.merchant))
    assert r.status == 200 and r.content_type == "image/png"
    image = Image.open(io.BytesIO(await r.read())).convert("RGB")
    r_band, _, b_band = (list(band.tobytes()) for band in image.split())
    reds = sum(1 for red, blue in zip(r_band, b_band, strict=True) if red > 200 and blue < 80)
    assert reds > 1000, "the heat cells are drawn"


def test_cells_by_zone_add_up() -> None:
    from server.contracts.analytics import Cell
    from server.services.analytics_reports import zone_dwell

    cells = [Cell(x=0, z=0, seconds=10), Cell(x=3, z=0, seconds=5), Cell(x=10, z=10, seconds=1)]
    zones = zone_dwell(cells, {"zones": [{"name": "front", "bounds": [0, 0, 1, 1]},
                                         {"name": "side", "bounds": [1, 0, 2, 1]},
                                         {"name": "empty", "bounds": [20, 20, 21, 21]}]})
    assert [(z.name, z.seconds) for z in zones] == [("front", 10), ("side", 5), ("empty", None)]
    by: dict[str, float | None] = defaultdict(float, {z.name: z.share for z in zones})
    assert by["front"] == pytest.approx(10 / 16)


async def test_the_dashboard_stream_sends_tiles_every_second_to_the_organizer_only(
        tenant_client: tuple[TestClient[Any, Any], Tenant], settings: Settings) -> None:
    client, t = tenant_client
    path = f"/api/v1/festivals/{t.festival}/analytics/live"
    assert (await client.get(path)).status == 401
    other = await make_tenant(client, settings, "other")
    assert (await client.get(path, headers=bearer(other.organizer))).status == 404
    assert (await client.get(path, headers=bearer(t.merchant))).status == 403
    response = await client.get(path, headers=bearer(t.organizer))
    assert response.status == 200 and response.content_type == "text/event-stream"
    frames = []
    while len(frames) < 2:
        line = (await asyncio.wait_for(response.content.readline(), 10)).decode()
        if line.startswith("data: "):
            frames.append(json.loads(line[6:]))
    assert frames[0]["orders"] == 0 and frames[0]["health"]["level"] == "normal" and frames[0]["alerts"] == []
    assert frames[1]["at"] > frames[0]["at"]
    assert len(client.server.app[keys.ANALYTICS_STREAMS]) == 1, "the app owns the open stream"
    response.close()
    await wait_until(lambda: not client.server.app[keys.ANALYTICS_STREAMS])


async def test_two_workers_rows_add_up_and_the_privacy_bound_is_the_larger_one(
        tenant_client: tuple[TestClient[Any, Any], Tenant]) -> None:
    client, t = tenant_client
    minute = int(time.time() // 60 * 60) - 60
    workers = []
    for sessions in (("1", "2", "3"), ("4", "5", "6", "7")):  # each worker saw its own shoppers this minute
        acc = Accumulator()
        for s in sessions:
            acc.enter(minute + 5, t.festival, t.store, s)
        workers.append(acc.take(minute + 60))
    async with client.server.app[keys.DATABASE].write() as db:
        for rows in workers:
            await analytics.write(db, rows)
    got = (await raw(client, t.festival))[(t.store, "enter", "")]
    assert (got.n, got.shoppers, got.most) == (7, 7, 4)
    funnel = await (await client.get(f"/api/v1/stores/{t.store}/analytics/funnel", params=WIDE,
                                     headers=bearer(t.merchant))).json()
    assert funnel["stages"][0]["count"] is None, "no single count saw 5 shoppers: hidden, though 7 came"
