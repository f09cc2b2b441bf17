"""What festival analytics costs the live path: the realtime benchmark's walking shoppers against a server with
``VRSTORE_ANALYTICS=false`` and one with it on, alternated in the same run (off, on, off, on …) on the same
seeded data, so that the shared machine's drift falls on both sides alike.

Per round: server CPU, pose latency p50/p99, delivered share and the generator's CPU (the generator runs on the
same box: read the server figures beside it and the load average). The summary gives the mean of each side
and the difference. Target: ≤ 5 % more server CPU, p99 within noise. Writes ``bench/results/analytics.json``.

    .venv/bin/python bench/analytics.py [--shoppers 1000] [--duration 20] [--rounds 2]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

import _server  # noqa: E402
import realtime  # noqa: E402  (puts the repository and tools/ on the path too)
from rich.table import Table  # noqa: E402

COLUMNS = ("server_cpu_percent", "p50_ms", "p99_ms", "delivered_percent", "generator_cpu_percent", "tick_mean_ms")


def one_round(data: Path, analytics: bool, shoppers: int, duration: float, processes: int) -> dict[str, Any]:
    server = _server.start(data, extra_env={"VRSTORE_ANALYTICS": "true" if analytics else "false"})
    try:
        out = realtime.row(realtime.loadtest(server.url, shoppers, duration, processes=processes))
    finally:
        server.stop()
    return {"analytics": analytics, **out}


def sampling_cost(shoppers: int, repeats: int = 50) -> dict[str, Any]:
    """The live path's analytics cost measured in-process, away from the shared machine's noise: one second's
    sample (``Live.sample_analytics``: every room's glances into the accumulator) of ``shoppers`` walking
    shoppers that each look at a product, in stores of 100-seat instances, and a minute's ``take`` (the
    flush's CPU on the loop). CPU seconds per second of sampling = the share of one core it takes."""
    import random
    import time

    from server.domain.analytics import Accumulator
    from server.live.core.hub import Hub, HubConfig
    from server.live.core.poses import ClientPose, Pose, encode_client_pose

    hub, rng = Hub(HubConfig(capacity=100)), random.Random(1)
    for i in range(shoppers):
        store = f"store-{i % 4}"
        hub.join(i, store=store, session=str(i), name=f"s{i}", now=0.0, scene={}, festival="fest")
        pose = ClientPose(time_ms=0, head=Pose((rng.uniform(-8, 8), 1.6, rng.uniform(-8, 8)), (0.0, 0.0, 0.0, 1.0)),
                          hands=None)
        hub.handle_pose(i, encode_client_pose(pose), now=0.1)
        hub.handle(i, json.dumps({"type": "focus", "sku": f"SKU-{rng.randrange(40)}"}), now=0.1)
    acc = Accumulator()
    started = time.process_time()
    for k in range(repeats):
        for store, _, room in hub.local_instances():
            acc.sample(1_800_000_000.0 + k, hub.festival_of(store), store, room.glances())
    per_sample = (time.process_time() - started) / repeats
    started = time.process_time()
    rows = acc.take_all()
    take = time.process_time() - started
    return {"shoppers": shoppers, "sample_ms": round(per_sample * 1000, 2),
            "core_share_percent": round(per_sample * 100, 2), "rows_per_minute": len(rows),
            "take_ms": round(take * 1000, 1)}


def mean(rows: list[dict[str, Any]], key: str) -> float | None:
    values = [r[key] for r in rows if r.get(key) is not None]
    return round(statistics.fmean(values), 2) if values else None


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shoppers", type=int, default=1000)
    ap.add_argument("--duration", type=float, default=20.0, help="measured seconds per round")
    ap.add_argument("--rounds", type=int, default=2, help="rounds per side (off and on alternate)")
    ap.add_argument("--processes", type=int, default=0, help="generator processes (0: auto)")
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "analytics.json")
    ap.add_argument("--micro-only", action="store_true", help="only the in-process sampling cost")
    args = ap.parse_args()
    micro = [sampling_cost(n) for n in (1000, 2000)]
    for m in micro:
        realtime.console.print(f"in-process: one second's sample of {m['shoppers']} shoppers takes "
                               f"{m['sample_ms']} ms of CPU ({m['core_share_percent']} % of a core); a minute's "
                               f"flush takes {m['take_ms']} ms for {m['rows_per_minute']} rows")
    if args.micro_only:
        return
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="vrstore-bench-an-") as tmp:
        data = Path(tmp) / "data"
        realtime.progress.print("seeding the demo festival …")
        realtime.seed(data)
        for _ in range(args.rounds):
            for on in (False, True):
                rows.append(one_round(data, on, args.shoppers, args.duration, args.processes))
                realtime.progress.print(rows[-1])
    sides = {name: [r for r in rows if r["analytics"] is on and "error" not in r]
             for name, on in (("off", False), ("on", True))}
    summary = {name: {k: mean(side, k) for k in COLUMNS} for name, side in sides.items()}
    off_cpu, on_cpu = summary["off"]["server_cpu_percent"], summary["on"]["server_cpu_percent"]
    summary["cpu_increase_percent"] = (round(100 * (on_cpu - off_cpu) / off_cpu, 1)
                                       if off_cpu and on_cpu is not None else None)
    t = Table(title=f"analytics off vs on: {args.shoppers} walking shoppers, {args.duration:g} s per round")
    t.add_column("analytics")
    for c in (*COLUMNS, "load 1m"):
        t.add_column(c, justify="right")
    for r in rows:
        if "error" in r:
            t.add_row("on" if r["analytics"] else "off", f"[red]{r['error']}[/red]")
            continue
        t.add_row("on" if r["analytics"] else "off", *[realtime._v(r.get(c)) for c in COLUMNS],
                  realtime._v(r["load_average"][0]))
    for name in ("off", "on"):
        t.add_row(f"[b]mean {name}[/b]", *[realtime._v(summary[name][c]) for c in COLUMNS], "")
    realtime.console.print(t)
    realtime.console.print(f"server CPU with analytics: {summary['cpu_increase_percent']} % more than without")
    result = {"benchmark": "analytics", "shoppers": args.shoppers, "duration_s": args.duration,
              "cpus": os.cpu_count(), "rounds": rows, "summary": summary, "in_process": micro}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    realtime.console.print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
