"""Opening-day surge: offer 1×, 2× and 3× of one process's capacity and check that nobody inside suffers.

One ``vrstore serve`` process on the demo festival (SQLite, in-process bus) and the load generator on the same
machine. Each row offers ``k × capacity`` shoppers to one store (ramped at the generator's default rate); the
worker's admission policy lets in what it can carry and turns the rest away with 4011 ``busy`` (in the browser
they wait in the festival's line). Reported per row: shoppers admitted and turned away, and for the admitted
ones pose latency p50/p99 and the delivered share: the target is p99 ≤ 150 ms and ≥ 99 % delivered in every row,
and never 0 % for everyone. ``--capacity`` is 1× (default: 2,200, what one process holds within the bound on
the 2-core reference box with the generator beside it, 2026-12-05); the generator's CPU is printed beside every
row.

Run: ``.venv/bin/python bench/surge.py [--capacity 2000] [--factors 1,2,3] [--duration 15]``
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "bench"), str(ROOT), str(ROOT / "tools")]

import _server  # noqa: E402
from realtime import console, loadtest, progress, row, seed  # noqa: E402
from rich.table import Table  # noqa: E402

BOUND_P99_MS = 150
BOUND_DELIVERED = 99.0


def surge_table(rows: list[dict[str, Any]], capacity: int) -> Table:
    table = Table(title=f"Surge on one process (1× = {capacity:,} shoppers; target p99 ≤ {BOUND_P99_MS} ms and "
                        f"≥ {BOUND_DELIVERED:g} % delivered for the admitted)")
    for col in ("offered", "admitted", "turned away", "p50 ms", "p99 ms", "delivered %", "in bound", "srv CPU %",
                "tick ms", "rec/tick", "gen CPU %"):
        table.add_column(col, justify="right")
    for r in rows:
        if "error" in r:
            table.add_row(f"{r['factor']}× {r['shoppers']:,}", f"[red]{r['error']}[/red]", *[""] * 9)
            continue
        ok = (r["p99_ms"] is not None and r["p99_ms"] <= BOUND_P99_MS and r["delivered_percent"] is not None
              and r["delivered_percent"] >= BOUND_DELIVERED)
        table.add_row(f"{r['factor']}× {r['shoppers']:,}", f"{r['connected']:,}", f"{r['failures']:,}",
                      str(r["p50_ms"]), str(r["p99_ms"]), str(r["delivered_percent"]),
                      "yes" if ok else "[red]no[/red]", str(r["server_cpu_percent"]), str(r["tick_mean_ms"]),
                      str(r["records_per_tick"]), f"{r['generator_cpu_percent']} ({r['generator_processes']}p)")
    return table


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--capacity", type=int, default=2200, help="1×: shoppers one process holds in the bound")
    ap.add_argument("--factors", default="1,2,3")
    ap.add_argument("--duration", type=float, default=15.0, help="measured seconds per row")
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "surge.json")
    args = ap.parse_args()
    factors = [float(f) for f in args.factors.split(",") if f]
    rows = []
    with tempfile.TemporaryDirectory(prefix="vrstore-bench-surge-") as tmp:
        data = Path(tmp) / "data"
        progress.print("seeding the demo festival …")
        seed(data)
        for factor in factors:
            server = _server.start(data)  # a fresh process per row: each surge meets a server that just started
            try:
                offered = int(args.capacity * factor)
                progress.print(f"offering {offered:,} shoppers ({factor:g}×) …")
                rows.append(row(loadtest(server.url, offered, args.duration)) | {"factor": factor})
            finally:
                server.stop()
    console.print(surge_table(rows, args.capacity))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"benchmark": "surge", "capacity": args.capacity, "cpus": os.cpu_count(),
                                    "rows": rows}, indent=2, ensure_ascii=False) + "\n")
    console.print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
