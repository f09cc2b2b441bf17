"""``vrstore loadtest`` against a real server process: it runs, reports, and fails cleanly."""

from __future__ import annotations

import json
import random
import re
import subprocess
import sys
from pathlib import Path

import pytest
from factories import free_port, start_live_server, stop_live_server
from loadtest.walk import Walker, plan_from_manifest


def _vrstore(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "server", *args], capture_output=True, text=True, timeout=timeout,
                          check=False)


@pytest.mark.slow
def test_loadtest_reports_latency_and_delivery(tmp_path: Path) -> None:
    server = start_live_server(tmp_path, command=("demo",))  # seeds the demo festival (built stores), then serves
    try:
        out = tmp_path / "loadtest.json"
        run = _vrstore("loadtest", "--url", server.url, "--store", "cu-plaza", "--shoppers", "20", "--duration", "3",
                       "--processes", "1", "--observers", "4", "--ramp", "1", "--json", str(out))
    finally:
        stop_live_server(server)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "Traceback" not in run.stderr
    assert re.search(r"p99 \d+(\.\d+)? ms", run.stdout), run.stdout
    summary = json.loads(out.read_text())
    assert summary["connected"] == 20
    assert summary["failures_total"] == 0 and not summary["dropped"]
    assert summary["delivered"]["share"] > 0.9
    assert 15 <= summary["records_per_frame"] <= 19  # the 19 others, peers beyond 10 m every other tick
    assert summary["downstream"]["bytes_per_shopper_s"] > 0


def test_unreachable_server_is_a_clean_error() -> None:
    run = _vrstore("loadtest", "--url", f"http://127.0.0.1:{free_port()}", "--shoppers", "2", "--duration", "1")
    assert run.returncode == 1
    assert "cannot reach the server" in run.stderr
    assert "Traceback" not in run.stderr + run.stdout


def test_walker_stays_on_the_walkable_floor() -> None:
    manifest = {
        "walkable": [[0, 0, 4, 1], [3, 1, 4, 5], [0, 5, 4, 6]],  # a U-shaped aisle around a fixture
        "products": {"A": {"position": [0.5, 1.0, 0.2]}, "B": {"position": [0.5, 1.0, 5.8]}},
    }
    plan = plan_from_manifest("s", manifest)
    walker = Walker(plan, random.Random(3))
    looked = set()
    for _ in range(2000):
        focus = walker.step(0.1)
        if isinstance(focus, str):
            looked.add(focus)
        assert any(r[0] - 1e-6 <= walker.x <= r[2] + 1e-6 and r[1] - 1e-6 <= walker.z <= r[3] + 1e-6
                   for r in plan.rects), (walker.x, walker.z)
        assert len(walker.frame(123)) == 18
    assert looked == {"A", "B"}
