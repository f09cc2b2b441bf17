"""End-to-end realtime benchmark: a real ``vrstore serve`` process and the ``vrstore loadtest`` generator.

1. **Series**: N = 250 … 3,000 walking shoppers in one demo store at 10 Hz, K = 32 (instances of 100 seats):
   pose latency p50/p95/p99, delivered share, server CPU/RSS/tick, generator CPU (flagged when saturated),
   downstream bytes per shopper per second, connected count and failures.
2. **50 visible avatars**: a server with ``VRSTORE_INTEREST_K=50`` and one full instance (100 shoppers), head
   only and with hands: downstream bytes per shopper per second (target ≤ 25 kB/s).
3. **Idle capacity**: as many idle shoppers as asked (default 15,000; hello and nothing else) spread over the four
   demo stores from several generator processes, into one fresh server process whose open-file limit is
   raised to the hard limit: connected count and server RSS (target ≥ 15,000 in < 3 GiB).

The server runs on SQLite with the in-process bus in a temporary data dir seeded by ``vrstore demo
--seed-only``. Every row records the machine's load average: the box is shared, so read CPU and latency
figures beside it. Prints rich tables and writes ``bench/results/realtime.json``.

    .venv/bin/python bench/realtime.py [--duration 15] [--sizes 250,500,1000,2000,3000] [--idle 15000] [--quick]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT / "tools"))  # the load generator

import _server  # noqa: E402
import psutil  # noqa: E402
from loadtest.run import LoadtestConfig, LoadtestError, run_loadtest  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

STORE = "hyundai-dept"
DEMO_STORES = ("hyundai-dept", "gwangjang-market", "seongsu-street", "cu-plaza")
console = Console(width=200)
progress = Console(stderr=True)


def seed(data_dir: Path) -> None:
    """The demo festival (four built stores) into ``data_dir``."""
    data_dir.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "VRSTORE_DATA_DIR": str(data_dir), "VRSTORE_LOG_LEVEL": "WARNING"}
    subprocess.run([sys.executable, "-m", "server", "demo", "--seed-only"], env=env, cwd=ROOT, check=True,
                   capture_output=True, timeout=600)


def loadtest(url: str, shoppers: int, duration: float, **kw: Any) -> dict[str, Any]:
    """One load-test run; a failed run becomes a row with its error instead of aborting the benchmark."""
    cfg = LoadtestConfig(url=url, stores=kw.pop("stores", (STORE,)), shoppers=shoppers, duration=duration, **kw)
    load_before = os.getloadavg()
    try:
        s = run_loadtest(cfg, progress)
    except LoadtestError as exc:
        return {"shoppers": shoppers, "error": str(exc)}
    s["load_average_before"] = [round(v, 2) for v in load_before]
    return s


def row(s: dict[str, Any]) -> dict[str, Any]:
    """The benchmark's view of one load-test summary."""
    if "error" in s:
        return s
    lat, srv, gen = s["latency_ms"], s["server"], s["generator"]
    share = s["delivered"]["share"]
    return {
        "shoppers": s["config"]["shoppers"], "connected": s["connected"], "failures": s["failures_total"],
        "closed_by_server": sum(s["dropped"].values()), "p50_ms": lat["p50"], "p95_ms": lat["p95"],
        "p99_ms": lat["p99"], "delivered_percent": None if share is None else round(100 * share, 2),
        "server_cpu_percent": srv["cpu_percent"], "infra_cpu_percent": srv.get("watched_cpu_percent"),
        "server_rss_mib": srv["rss_mib"], "tick_mean_ms": srv["tick_mean_ms"],
        "tick_busy_percent": srv["tick_busy_percent"], "ticks_per_s": srv["ticks_per_s"],
        "queue_drops": srv["queue_drops"], "server_measured_by": srv["measured_by"],
        "metrics_scrape_delay_s": srv["scrape_delay_s"],
        "connect_seconds": gen.get("connect_seconds"),
        "generator_cpu_percent": gen["cpu_percent"], "generator_busiest_percent": gen["max_process_percent"],
        "generator_processes": gen["processes"], "generator_saturated": gen["saturated"],
        "generator_lagging": gen["lagging"],
        "send_lag_p99_ms": gen["send_lag_p99_ms"], "bytes_per_shopper_s": s["downstream"]["bytes_per_shopper_s"],
        "records_per_tick": s["records_per_frame"], "load_average": s["load_average"],
    }


def _v(x: Any) -> str:
    return "–" if x is None else str(x)


def series_table(rows: list[dict[str, Any]], title: str) -> Table:
    """The rich table of a list of rows."""
    t = Table(title=title)
    for col in ("N", "conn", "fail", "p50 ms", "p95 ms", "p99 ms", "deliv %", "srv CPU %", "RSS MiB", "tick ms",
                "ticks/s", "gen CPU %", "B/shopper/s", "rec/tick", "load 1m"):
        t.add_column(col, justify="right")
    for r in rows:
        if "error" in r:
            t.add_row(str(r["shoppers"]), f"[red]{r['error']}[/red]", *[""] * 13)
            continue
        gen = f"{r['generator_cpu_percent']} ({r['generator_processes']}p)"
        if r["generator_saturated"]:
            gen = f"[red]{gen} SAT[/red]"
        elif r["generator_lagging"]:
            gen = f"[yellow]{gen} LAG[/yellow]"
        t.add_row(str(r["shoppers"]), str(r["connected"]), str(r["failures"] + r["closed_by_server"]),
                  _v(r["p50_ms"]), _v(r["p95_ms"]), _v(r["p99_ms"]), _v(r["delivered_percent"]),
                  _v(r["server_cpu_percent"]), _v(r["server_rss_mib"]), _v(r["tick_mean_ms"]),
                  _v(r["ticks_per_s"]), gen,
                  f"{r['bytes_per_shopper_s']:.0f}", _v(r["records_per_tick"]), _v(r["load_average"][0]))
    return t


def main() -> None:
    """Run the three sections, print the tables and write the JSON results."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--duration", type=float, default=15.0, help="measured seconds per row")
    ap.add_argument("--sizes", default="250,500,1000,2000,3000")
    ap.add_argument("--idle", type=int, default=15000, help="idle shoppers for the capacity run (0: skip)")
    ap.add_argument("--idle-processes", type=int, default=4)
    ap.add_argument("--processes", type=int, default=0, help="generator processes per row (0: auto)")
    ap.add_argument("--quick", action="store_true", help="a short smoke run: small sizes, 4 s rows, 1,000 idle")
    ap.add_argument("--profile-server", type=Path, default=None,
                    help="run the series' server under cProfile, write server.prof here and print its top functions")
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "realtime.json")
    args = ap.parse_args()
    if args.quick:
        args.sizes, args.duration, args.idle = "100,250", 4.0, min(args.idle, 1000)
    sizes = [int(s) for s in args.sizes.split(",") if s]
    result: dict[str, Any] = {
        "benchmark": "realtime", "machine": _server.machine(),
        "duration_s": args.duration, "store": STORE, "rate_hz": 10.0, "k": 32,
    }
    with tempfile.TemporaryDirectory(prefix="vrstore-bench-rt-") as tmp:
        data = Path(tmp) / "data"
        progress.print("seeding the demo festival …")
        seed(data)
        prof = args.profile_server / "server.prof" if args.profile_server else None
        if prof:
            prof.parent.mkdir(parents=True, exist_ok=True)
        server = _server.start(data, profile=prof)
        try:
            series = [row(loadtest(server.url, n, args.duration, processes=args.processes)) for n in sizes]
        finally:
            server.stop()
        result["series"] = series
        if prof:
            result["server_profile_top"] = profile_top(prof)
        console.print(series_table(series, f"{STORE}, 10 Hz, K=32, {args.duration:g} s per row"))

        server = _server.start(data, extra_env={"VRSTORE_INTEREST_K": "50"})
        try:
            avatars = [row(loadtest(server.url, 100, args.duration, hands=hands)) | {"hands": hands}
                       for hands in ((True,) if args.quick else (False, True))]
        finally:
            server.stop()
        result["avatars_50"] = avatars
        console.print(series_table(avatars, "50 visible avatars (K=50, 100 shoppers in one instance; head only, "
                                   "then with hands); target ≤ 25,000 B/shopper/s"))
        if args.idle:
            result["idle"] = idle_capacity(data, args.idle, args.duration, args.idle_processes)
    _server.write_results(result, args.out, console.print)


def profile_top(path: Path, n: int = 30) -> list[dict[str, Any]]:
    """The server profile's top functions by own time (printed and kept in the JSON)."""
    import pstats

    stats = pstats.Stats(str(path))
    table = stats.stats  # type: ignore[attr-defined]
    rows = sorted(table.items(), key=lambda kv: kv[1][2], reverse=True)[:n]
    out = [{"function": f"{fn[0].rsplit('site-packages/', 1)[-1]}:{fn[1]}({fn[2]})", "calls": v[1],
            "own_s": round(v[2], 3), "cum_s": round(v[3], 3)} for fn, v in rows]
    t = Table(title=f"server profile (cProfile, wall-clock own time), top {n}")
    for col in ("function", "calls", "own s", "cum s"):
        t.add_column(col, justify="left" if col == "function" else "right")
    for r in out:
        t.add_row(r["function"][-90:], str(r["calls"]), str(r["own_s"]), str(r["cum_s"]))
    console.print(t)
    return out


def idle_capacity(data: Path, n: int, duration: float, processes: int) -> dict[str, Any]:
    """Idle shoppers into a fresh server process; its RSS and open-file limit."""
    server = _server.start(data)
    try:
        proc = psutil.Process(server.process.pid)
        nofile = proc.rlimit(psutil.RLIMIT_NOFILE)
        rss0 = proc.memory_info().rss
        s = loadtest(server.url, n, duration, stores=DEMO_STORES, idle=True, processes=processes)
        rss1 = proc.memory_info().rss  # after the shoppers left: what the server kept
    finally:
        server.stop()
    out: dict[str, Any] = {"shoppers": n, "server_nofile": list(nofile), "rss_idle_start_mib": round(rss0 / 2**20, 1),
                           "rss_after_leave_mib": round(rss1 / 2**20, 1)}
    if "error" in s:
        console.print(f"[red]idle capacity: {s['error']}[/red]")
        return out | {"error": s["error"]}
    rss = s["server"]["rss_mib"]
    out |= {"connected": s["connected"], "failures": s["failures"], "closed_by_server": s["dropped"],
            "server_rss_mib": rss, "server_cpu_percent": s["server"]["cpu_percent"],
            "kib_per_connection": round((rss - out["rss_idle_start_mib"]) * 1024 / max(1, s["connected"]), 1)
            if rss is not None else None,
            "generator_processes": s["generator"]["processes"], "load_average": s["load_average"]}
    t = Table(title=f"idle capacity: {n} idle shoppers over {len(DEMO_STORES)} stores, one server process "
              f"(open files {nofile[0]}); target ≥ 15,000 in < 3 GiB")
    for col in ("connected", "failures", "RSS MiB", "KiB/conn", "srv CPU %", "load 1m"):
        t.add_column(col, justify="right")
    t.add_row(str(out["connected"]), str(sum(out["failures"].values())), _v(rss), _v(out["kib_per_connection"]),
              _v(out["server_cpu_percent"]), _v(out["load_average"][0]))
    console.print(t)
    return out


if __name__ == "__main__":
    main()
