"""Backtest of the load forecast on a synthetic 10-day festival (daily peaks, an opening spike, a weekend).

From every origin (every hour of the last three days, with everything before it as history) the forecast is
scored at 15, 30 and 60 minutes ahead as a mean absolute percentage error, beside the seasonal-naive baseline
("the same minute yesterday") computed in the same run. Prints a table and writes bench/results/forecast.json.

Run: ``.venv/bin/python bench/forecast.py [--every 60]``
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tools")]

from synthetic_festival import festival_minutes  # noqa: E402

from server.services.forecast import backtest  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--every", type=int, default=60, help="minutes between forecast origins")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "forecast.json")
    args = parser.parse_args()
    data = festival_minutes()
    origins = list(range(7 * 1440, 10 * 1440 - 60, args.every))
    result = backtest(data, origins)
    table = Table(title=f"Load forecast backtest: synthetic 10-day festival, {result.origins} origins over days 8–10")
    for column in ("minutes ahead", "Holt-Winters MAPE %", "same minute yesterday MAPE %"):
        table.add_column(column, justify="right")
    for h in result.horizons:
        table.add_row(str(h), f"{result.mape[h]:.1f}", f"{result.baseline_mape[h]:.1f}")
    Console().print(table)
    print(f"mean fit time per forecast: {result.fit_seconds:.2f} s (one process; run in the pool by the server)")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"origins": result.origins, "mape": result.mape,
                                    "baseline_mape": result.baseline_mape, "fit_seconds": result.fit_seconds},
                                   indent=1) + "\n")


if __name__ == "__main__":
    main()
