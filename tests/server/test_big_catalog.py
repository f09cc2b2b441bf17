"""A big catalog import beside everybody else (issue 16): the live tick, /healthz, another merchant's upload and
a shopper's checkout keep their pace while 20,000 rows go in; an import that fails midway changes nothing; a
catalog too big for auto-layout is refused up front.

Before: during a 100,000-row import another merchant's 11 KB image upload took 11.9 s and a checkout 3.9 s; a
20,000-row import held the loop for up to 0.94 s (measured with the same script as the test below)."""

from __future__ import annotations

import asyncio
import io
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from factories import add_many_products, add_products, bearer, checkout_body, make_settings, make_tenant, running_client
from PIL import Image

from server import keys
from server.services import catalog
from storefront_builder.catalog.sample import sample_catalog, sample_catalog_json
from storefront_builder.errors import LayoutError
from storefront_builder.layout import auto
from storefront_builder.layout.auto import MAX_AUTO_PRODUCTS


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (32, 32), (200, 40, 40)).save(out, format="PNG")
    return out.getvalue()


# A control beside the test: another process that sleeps 10 ms at a time and reports the longest it overslept.
# What it saw, the machine did to every process (the suite, its browsers and databases share two cores);
# what only the server's loop saw, the server did.
_CONTROL = ("import select, sys, time\nworst = 0.0\nwhile True:\n    t = time.monotonic()\n"
            "    if select.select([sys.stdin], [], [], 0.01)[0]:\n        break\n"
            "    worst = max(worst, time.monotonic() - t - 0.01)\nprint(f'{worst:.4f}')\n")


class MachineStalls:
    """The longest stall another process saw while this one ran (see ``_CONTROL``)."""

    def __init__(self) -> None:
        self._proc = subprocess.Popen([sys.executable, "-c", _CONTROL], stdin=subprocess.PIPE,
                                      stdout=subprocess.PIPE, text=True)

    def worst(self) -> float:
        out, _ = self._proc.communicate("stop\n", timeout=30)
        return float(out)


async def _timed(coro: Any) -> tuple[float, Any]:
    started = time.perf_counter()
    result = await coro
    return time.perf_counter() - started, result


async def test_a_big_import_leaves_ticks_health_uploads_and_checkouts_alone(
        tmp_path: Path, test_runner_heap_frozen: list[float]) -> None:
    settings = make_settings(tmp_path, f"sqlite+aiosqlite:///{tmp_path / 'vrstore.db'}")
    body = sample_catalog_json("department_store", 20_000).encode()
    async with running_client(settings) as client:
        big = await make_tenant(client, settings, "big")
        other = await make_tenant(client, settings, "small")
        await add_products(settings, other.store, [("TEA", 3000, 100)])
        lags: list[float] = []
        live = client.server.app[keys.LIVE]
        measure = live.measure_load

        def record(now: float, took: float, lag: float) -> None:
            lags.append(lag)  # how late each tick started against its boundary
            measure(now, took, lag)

        live.measure_load = record
        machine = MachineStalls()
        importing = asyncio.create_task(_timed(client.put(
            f"/api/v1/stores/{big.store}/catalog", data=io.BytesIO(body),
            headers={**bearer(big.merchant), "Content-Type": "application/json"})))
        health: list[float] = []
        while not importing.done() and len(health) < 400:
            took, r = await _timed(client.get("/healthz"))
            assert r.status == 200
            health.append(took)
            if len(health) == 5:  # the import is under way: a small merchant and a shopper go about their day
                upload_s, r = await _timed(client.put(
                    f"/api/v1/stores/{other.store}/products/TEA/image", data=_png(),
                    headers={**bearer(other.merchant), "Content-Type": "image/png"}))
                assert r.status == 200, await r.text()
                r = await client.post("/api/v1/carts", headers=bearer(other.shopper))
                cart = (await r.json())["id"]
                r = await client.post(f"/api/v1/carts/{cart}/lines", json={"store": other.store, "sku": "TEA",
                                      "quantity": 1}, headers=bearer(other.shopper))
                assert r.status == 201
                checkout_s, r = await _timed(client.post(
                    f"/api/v1/carts/{cart}/checkout", json=checkout_body(),
                    headers={**bearer(other.shopper), "Idempotency-Key": "during-import"}))
                assert r.status == 201, await r.text()
        import_s, r = await importing
        assert r.status == 200 and (await r.json())["imported"] == 20_000
        stalled = machine.worst()
    assert len(health) >= 5, "the import ended before the others could start"
    # Bounds for a shared CI box; the loop itself is never held for long (see the module docstring).
    # Ticks: almost all on time, none held for long beyond what the machine did to every process (a clean-clone
    # run saw one tick 1.2 s late, on a box running the suite's browsers beside it); the old import held the loop
    # for most of its 6.6 s, so most ticks in that window started late.
    late = sum(1 for lag in lags if lag > 0.1) / max(1, len(lags))
    assert late < 0.05 and max(lags) < 1.0 + stalled, (
        f"{late:.0%} of ticks over 100 ms late, worst {max(lags):.3f} s; the machine stalled {stalled:.3f} s; "
        f"longest collection {max(test_runner_heap_frozen, default=0):.3f} s")
    assert max(health) < 0.5, f"/healthz took {max(health):.3f} s"
    assert upload_s < 1.5 and checkout_s < 1.5, (upload_s, checkout_s, import_s)


async def test_an_import_that_fails_midway_changes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = make_settings(tmp_path, f"sqlite+aiosqlite:///{tmp_path / 'vrstore.db'}")
    async with running_client(settings) as client:
        t = await make_tenant(client, settings)
        await add_products(settings, t.store, [("OLD", 1000, 5)])
        monkeypatch.setattr(catalog, "STAGE_BATCH", 10)
        real = catalog.stage_rows
        batches = []

        def failing(conn: Any, import_id: str, rows: list[dict[str, Any]]) -> None:
            batches.append(len(rows))
            if len(batches) == 3:
                raise RuntimeError("the disk filled up")
            real(conn, import_id, rows)

        monkeypatch.setattr(catalog, "stage_rows", failing)
        r = await client.put(f"/api/v1/stores/{t.store}/catalog",
                             data=io.BytesIO(sample_catalog_json("convenience_store", 50).encode()),
                             headers={**bearer(t.merchant), "Content-Type": "application/json"})
        assert r.status == 500 and "error_id" in await r.json(content_type=None)
        page = await (await client.get(f"/api/v1/stores/{t.store}/products")).json()
        assert [p["sku"] for p in page["items"]] == ["OLD"]  # the old catalog, whole
        database = client.server.app[keys.DATABASE]
        left = await database.read_sync(lambda conn: conn.exec_driver_sql(
            "SELECT count(*) FROM catalog_staging").scalar())
        assert left == 0  # nothing staged is left behind


async def test_a_catalog_too_big_for_auto_layout_is_refused_before_building(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, f"sqlite+aiosqlite:///{tmp_path / 'vrstore.db'}")
    async with running_client(settings) as client:
        t = await make_tenant(client, settings)
        await add_many_products(settings, t.store, MAX_AUTO_PRODUCTS + 1)
        r = await client.post(f"/api/v1/stores/{t.store}/builds", headers=bearer(t.merchant))
        assert r.status == 422
        problem = await r.json(content_type=None)
        assert "auto-layout" in problem["detail"] and problem["errors"][0]["loc"] == ["catalog"]


def test_auto_layout_names_the_limit_instead_of_failing_inside(monkeypatch: pytest.MonkeyPatch) -> None:
    """Before: 100,000 products made 12,500 fixtures and the build died in an internal ValidationError."""
    monkeypatch.setattr(auto, "MAX_FIXTURES", 3)
    with pytest.raises(LayoutError, match="at most 3"):
        auto.auto_layout(sample_catalog("department_store", 200), "department_store", name="큰 가게")
