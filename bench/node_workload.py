"""The Node workload generator beside the Python one (issue #22): the same walking shoppers against the same server.

One ``vrstore serve`` (SQLite, the demo festival seeded into a temporary data dir, as ``bench/realtime.py`` does);
for each size, first the Python generator (``vrstore loadtest``: the baseline), then ``bench/node_load/load.mjs``
(Node 20, the ``ws`` package): N shoppers walking one store at 10 Hz, 10 of them observers that decode every tick,
the same ramp, 3 s to settle and ``--duration`` seconds measured, latency and delivered share by the same
definitions (``tools/loadtest/report.py``). Server CPU is measured over each generator's window on the server's own
process. Every row records the load average: the box is shared. Prints one table and writes
``bench/results/node_workload.json``.

    .venv/bin/python bench/node_workload.py [--sizes 400,800] [--duration 15] [--no-python]
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

import _server  # noqa: E402
import realtime  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

NODE_LOAD = ROOT / "bench" / "node_load" / "load.mjs"
console = Console(width=200)
progress = Console(stderr=True)


def node_run(url: str, shoppers: int, duration: float, server_pid: int, out: Path) -> dict[str, Any]:
    """One run of the Node generator; a failed run becomes a row with its error."""
    node = shutil.which("node")
    if node is None:
        return {"shoppers": shoppers, "error": "node is not installed"}
    cmd = [node, str(NODE_LOAD), "--url", url, "--store", realtime.STORE, "--shoppers", str(shoppers),
           "--duration", str(duration), "--server-pid", str(server_pid), "--json", str(out)]
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=600 + 2 * duration)
    progress.print(done.stdout.rstrip())
    if done.returncode != 0:
        return {"shoppers": shoppers, "error": (done.stderr.strip().splitlines() or ["node failed"])[-1]}
    s: dict[str, Any] = json.loads(out.read_text())
    return s


def node_row(s: dict[str, Any]) -> dict[str, Any]:
    """The Node summary in the columns of :func:`realtime.row`."""
    if "error" in s:
        return s
    lat, gen, share = s["latency_ms"], s["generator_cpu"], s["delivered"]["share"]
    return {
        "shoppers": s["config"]["shoppers"], "connected": s["connected"], "failures": s["failures_total"],
        "closed_by_server": sum(s["dropped"].values()), "p50_ms": lat["p50"], "p95_ms": lat["p95"],
        "p99_ms": lat["p99"], "delivered_percent": None if share is None else round(100 * share, 2),
        "server_cpu_percent": s["server"]["cpu_percent"], "generator_cpu_percent": gen["cpu_percent"],
        "generator_processes": 1, "generator_saturated": gen["saturated"], "generator_lagging": gen["lagging"],
        "send_lag_p99_ms": gen["send_lag_p99_ms"], "tick_over_fastest_p99_ms": s["tick_over_fastest_ms"]["p99"],
        "bytes_per_shopper_s": s["downstream"]["bytes_per_shopper_s"], "connect_seconds": s["connect_seconds"],
        "load_average": s["load_average"],
    }


def _v(x: Any) -> str:
    return "–" if x is None else str(x)


def table(rows: list[tuple[str, dict[str, Any]]], duration: float) -> Table:
    t = Table(title=f"{realtime.STORE}: walking shoppers at 10 Hz, 10 observers, {duration:g} s measured; "
              "Python generator (baseline) and Node generator on the same server")
    for col in ("N", "generator", "conn", "fail", "p50 ms", "p95 ms", "p99 ms", "deliv %", "srv CPU %",
                "gen CPU %", "B/shopper/s", "load 1m"):
        t.add_column(col, justify="right")
    for gen, r in rows:
        if "error" in r:
            t.add_row(str(r["shoppers"]), gen, f"[red]{r['error']}[/red]", *[""] * 9)
            continue
        cpu = f"{r['generator_cpu_percent']} ({r['generator_processes']}p)"
        if r["generator_saturated"]:
            cpu = f"[red]{cpu} SAT[/red]"
        elif r["generator_lagging"]:
            cpu = f"[yellow]{cpu} LAG[/yellow]"
        t.add_row(str(r["shoppers"]), gen, str(r["connected"]), str(r["failures"] + r["closed_by_server"]),
                  _v(r["p50_ms"]), _v(r["p95_ms"]), _v(r["p99_ms"]), _v(r["delivered_percent"]),
                  _v(r["server_cpu_percent"]), cpu, f"{r['bytes_per_shopper_s']:.0f}", _v(r["load_average"][0]))
    return t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="400,800")
    ap.add_argument("--duration", type=float, default=15.0, help="measured seconds per run")
    ap.add_argument("--no-python", action="store_true", help="skip the Python baseline")
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "node_workload.json")
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",") if s]
    result: dict[str, Any] = {"benchmark": "node_workload", "duration_s": args.duration, "store": realtime.STORE,
                              "machine": _server.machine(), "series": []}
    rows: list[tuple[str, dict[str, Any]]] = []
    with tempfile.TemporaryDirectory(prefix="vrstore-bench-node-") as tmp:
        data = Path(tmp) / "data"
        progress.print("seeding the demo festival …")
        realtime.seed(data)
        server = _server.start(data)
        try:
            for n in sizes:
                py = None if args.no_python else realtime.row(realtime.loadtest(server.url, n, args.duration))
                node = node_row(node_run(server.url, n, args.duration, server.process.pid, Path(tmp) / f"{n}.json"))
                result["series"].append({"shoppers": n, "python": py, "node": node})
                rows.extend([("python", py)] if py else [])
                rows.append(("node", node))
        finally:
            server.stop()
    console.print(table(rows, args.duration))
    _server.write_results(result, args.out, console.print)


if __name__ == "__main__":
    main()
