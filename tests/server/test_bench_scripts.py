"""Every benchmark in bench/ still starts: its imports resolve and it parses its arguments (``--help``).

A benchmark runs for minutes and is not part of the suite, so a refactor of a helper it imports broke three of
them unnoticed (surge, waiting_line and big_store imported a launcher that had moved to bench/_server.py)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"
SCRIPTS = sorted(p.name for p in BENCH.glob("*.py") if not p.name.startswith("_"))


def test_every_benchmark_is_checked() -> None:
    assert {"search.py", "realtime.py", "surge.py", "big_store.py", "waiting_line.py"} <= set(SCRIPTS)


@pytest.mark.parametrize("script", SCRIPTS)
def test_a_benchmark_starts_and_explains_its_arguments(script: str) -> None:
    done = subprocess.run([sys.executable, str(BENCH / script), "--help"], capture_output=True, text=True,
                          timeout=120, cwd=BENCH.parent)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "usage:" in done.stdout
