"""The waiting line under a crowd: 20,000 arrivals in two minutes against one server process.

Every arrival creates a shopper session and takes a ticket (``POST /festivals/{f}/queue``) at its moment on a
uniform arrival curve. The organizer lets shoppers in at a fixed ``--admit-per-min`` below the arrival rate, so a
line of thousands forms and then drains; nobody enters the live rooms, so admitted turns lapse after a short
window (``VRSTORE_QUEUE_ADMIT_WINDOW_S=5``) instead of holding room for a minute. A sample of tickets is polled every
second as the waiting page does (more often than the page would, to time admissions closely): from it the
benchmark reports FIFO violations (a later arrival admitted in an earlier poll round than an earlier one), the
estimated-wait error once the line has run for two minutes (predicted wait against the actual admission time),
and the latency of the status endpoint; the server's RSS is read at the end. Prints a table, writes JSON.

Run: ``.venv/bin/python bench/queue.py [--arrivals 20000] [--over 120] [--admit-per-min 6000] [--sample 300]``
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp
import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "bench"), str(ROOT), str(ROOT / "tools")]

import _server  # noqa: E402
from realtime import console, progress  # noqa: E402
from rich.table import Table  # noqa: E402

FESTIVAL = "korea-sale-festa"


async def arrive(http: aiohttp.ClientSession, url: str, index: int, at: float, out: dict[int, Any]) -> None:
    await asyncio.sleep(max(0.0, at - time.monotonic()))
    async with http.post(f"{url}/api/v1/sessions", json={"display_name": f"q{index}"}) as r:
        token = (await r.json())["token"]
    headers = {"Authorization": f"Bearer {token}"}
    async with http.post(f"{url}/api/v1/festivals/{FESTIVAL}/queue", headers=headers) as r:
        body = await r.json()
    out[index] = {"token": token, "ticket": body["ticket"], "taken": time.monotonic(), "position": body["position"]}


async def watch(http: aiohttp.ClientSession, url: str, index: int, entry: dict[str, Any], started: float,
                latencies: list[float], stop: asyncio.Event) -> None:
    headers = {"Authorization": f"Bearer {entry['token']}"}
    path = f"{url}/api/v1/festivals/{FESTIVAL}/queue/{entry['ticket']}"
    while not stop.is_set():
        sent = time.monotonic()
        async with http.get(path, headers=headers) as r:
            body = await r.json()
        latencies.append((time.monotonic() - sent) * 1000)
        if body["phase"] == "admitted":
            entry["admitted"] = time.monotonic()
            return
        if body["eta_s"] is not None and sent - started >= 120 and "eta_at" not in entry:
            entry["eta_at"], entry["eta_s"] = sent, body["eta_s"]  # the prediction once the line has run 2 min
        await asyncio.sleep(1.0)


def seed_demo(data_dir: Path) -> str:
    """The demo festival; returns its organizer token (printed by ``vrstore demo``)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "VRSTORE_DATA_DIR": str(data_dir), "VRSTORE_LOG_LEVEL": "WARNING", "COLUMNS": "400"}
    out = subprocess.run([sys.executable, "-m", "server", "demo", "--seed-only"], env=env, cwd=ROOT, check=True,
                         capture_output=True, text=True, timeout=600).stdout
    found = re.search(r"organizer:.*token (\S+)", out)
    assert found, out
    return found.group(1)


async def run(url: str, pid: int, arrivals: int, over: float, sample: int, organizer: str,
              admit_per_min: int) -> dict[str, Any]:
    connector = aiohttp.TCPConnector(limit=256)
    async with aiohttp.ClientSession(connector=connector, cookie_jar=aiohttp.DummyCookieJar()) as http:
        async with http.put(f"{url}/api/v1/festivals/{FESTIVAL}/queue", json={"mode": "fixed",
                            "admit_per_min": admit_per_min}, headers={"Authorization": f"Bearer {organizer}"}) as r:
            assert r.status == 200, await r.text()
        taken: dict[int, Any] = {}
        started = time.monotonic()
        cpu_started = time.process_time()
        every = max(1, arrivals // sample)
        stop = asyncio.Event()
        latencies: list[float] = []
        watchers: list[asyncio.Task[None]] = []

        async def arrive_and_maybe_watch(i: int) -> None:
            await arrive(http, url, i, started + over * i / arrivals, taken)
            if i % every == 0:
                watchers.append(asyncio.create_task(watch(http, url, i, taken[i], started, latencies, stop)))

        await asyncio.gather(*(arrive_and_maybe_watch(i) for i in range(arrivals)))
        progress.print(f"{len(taken):,} tickets taken in {time.monotonic() - started:.0f} s; waiting for the sample …")
        await asyncio.wait(watchers, timeout=max(1.0, started + over + 600 - time.monotonic()))
        stop.set()
        await asyncio.gather(*watchers, return_exceptions=True)
        generator_cpu = 100 * (time.process_time() - cpu_started) / (time.monotonic() - started)
    sampled = sorted((i, taken[i]) for i in taken if i % every == 0)
    admitted = [(i, e["admitted"]) for i, e in sampled if "admitted" in e]
    violations = sum(1 for (i, ti) in admitted for (j, tj) in admitted if i < j and tj < ti - 1.0)
    errors = [abs((e["admitted"] - e["eta_at"]) - e["eta_s"]) / max(1.0, e["admitted"] - e["eta_at"])
              for _, e in sampled if "eta_at" in e and "admitted" in e]
    latencies.sort()
    return {
        "arrivals": arrivals, "over_s": over, "sampled": len(sampled), "admitted_sampled": len(admitted),
        "fifo_violations": violations,
        "eta_error_median_percent": round(100 * statistics.median(errors), 1) if errors else None,
        "eta_predictions": len(errors),
        "status_p50_ms": round(latencies[len(latencies) // 2], 1) if latencies else None,
        "status_p99_ms": round(latencies[int(len(latencies) * 0.99)], 1) if latencies else None,
        "status_requests": len(latencies),
        "server_rss_mib": round(psutil.Process(pid).memory_info().rss / 2**20, 1),
        "generator_cpu_percent": round(generator_cpu, 1),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--arrivals", type=int, default=20000)
    ap.add_argument("--over", type=float, default=120.0)
    ap.add_argument("--sample", type=int, default=300)
    ap.add_argument("--admit-per-min", type=int, default=6000)
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "queue.json")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="vrstore-bench-queue-") as tmp:
        data = Path(tmp) / "data"
        progress.print("seeding the demo festival …")
        organizer = seed_demo(data)
        server = _server.start(data, extra_env={"VRSTORE_QUEUE_ADMIT_WINDOW_S": "5"})
        try:
            result = asyncio.run(run(server.url, server.process.pid, args.arrivals, args.over, args.sample,
                                     organizer, args.admit_per_min))
        finally:
            server.stop()
    table = Table(title=f"Waiting line: {args.arrivals:,} arrivals in {args.over:g} s, {args.admit_per_min:,} let in "
                        "a minute (one process; generator on the same machine)")
    columns = ("fifo_violations", "eta_error_median_percent", "status_p50_ms", "status_p99_ms", "server_rss_mib",
               "generator_cpu_percent", "admitted_sampled", "eta_predictions", "status_requests")
    for k in columns:
        table.add_column(k, justify="right")
    table.add_row(*(str(result[k]) for k in columns))
    console.print(table)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
