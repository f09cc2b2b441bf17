"""``vrstore loadtest`` against a real server process: it runs, reports, and fails cleanly."""

from __future__ import annotations

import json
import random
import re
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
from factories import free_port, start_live_server, stop_live_server
from loadtest.arrivals_report import (
    TicketLog,
    admission_window,
    admitted_at,
    eta_errors,
    fifo_violations,
    overdue,
)
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


def _organizer_token(server_log: Path) -> str:
    found = re.search(r"organizer:.*token (\S+)", server_log.read_text())
    assert found, server_log.read_text()[-2000:]
    return found.group(1)


@pytest.mark.slow
def test_arrivals_queue_when_told_busy_and_enter_when_admitted(tmp_path: Path) -> None:
    # The door is held until 14 arrivals queue (two admission rounds' worth), then the line is let in at 7 a second:
    # 40 arrivals in 4 s (10 a second) keep a line, and it drains a few seconds after the last.
    server = start_live_server(tmp_path, command=("demo",), extra_env={"VRSTORE_RATE_LIMITS": "off"})
    try:
        out = tmp_path / "arrivals.json"
        run = _vrstore("loadtest", "--url", server.url, "--store", "cu-plaza", "--arrivals", "40", "--over", "4",
                       "--duration", "8", "--eta-after", "1", "--observers", "6", "--processes", "1",
                       "--organizer", _organizer_token(tmp_path / "server.log"), "--admit-per-min", "420",
                       "--json", str(out))
        request = urllib.request.Request(f"{server.url}/api/v1/festivals/korea-sale-festa/queue", headers={
            "Authorization": f"Bearer {_organizer_token(tmp_path / 'server.log')}"})
        with urllib.request.urlopen(request, timeout=10) as r:
            overview = json.loads(r.read())  # the organizer's controls are back as they were
    finally:
        stop_live_server(server)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "Traceback" not in run.stderr + run.stdout
    assert re.search(r"fifo violations 0 ", run.stdout), run.stdout
    s = json.loads(out.read_text())
    a, line, poses = s["arrivals"], s["line"], s["poses"]
    assert a["scheduled"] == a["arrived"] == 40 and a["failures_total"] == 0, a
    assert a["queued"] > 0 and a["admitted_from_line"] == a["entered_from_line"] == a["queued"], a
    assert a["entered_directly"] + a["entered_from_line"] == 40 and a["still_waiting"] == 0, a
    assert line["fifo_violations"] == 0
    assert line["status_ms"]["requests"] > 0 and line["status_ms"]["p99"] is not None, line
    assert poses["observers_from_line"] > 0, poses
    assert poses["from_line"]["delivered_share"] > 0.9, poses
    assert poses["from_line"]["latency_ms"]["p99"] is not None
    assert s["server"]["rss_mib"] > 0 and s["generator"]["cpu_percent"] >= 0
    assert overview["mode"] == "auto" and overview["waiting"] == 0, overview


def test_arrivals_must_be_positive() -> None:
    run = _vrstore("loadtest", "--url", f"http://127.0.0.1:{free_port()}", "--arrivals", "0")
    assert run.returncode == 1
    lines = run.stderr.strip().splitlines()
    assert lines == ["error: --arrivals must be at least 1 (got 0)"], run.stderr
    assert "Traceback" not in run.stdout


def _ticket(taken: float, admitted: float | None, *, phase: str = "waiting", latency: float = 0.01,
            window: float = 60.0) -> TicketLog:
    t = TicketLog(taken, taken + latency, phase, 1, last_waiting=taken)
    if admitted is not None:  # first seen admitted 0.4 s after the admission, the window then 0.4 s shorter
        t.admitted_seen, t.admitted_for_s, t.last_waiting = admitted + 0.4, window - 0.4, admitted - 0.5
    return t


def test_fifo_violations_count_certain_order_only_beyond_a_second() -> None:
    tickets = [_ticket(0.0, 10.0), _ticket(1.0, 10.9), _ticket(2.0, 12.0), _ticket(3.0, 11.5)]
    assert fifo_violations(tickets) == 0  # within a second of each other: the same admission round or the next
    late = [_ticket(0.0, 20.0), _ticket(1.0, 10.0), _ticket(2.0, 11.0), _ticket(3.0, 12.0)]
    assert fifo_violations(late) == 3  # the first ticket was admitted after three taken later
    # Taken at the same moment (answers overlapping): which came first is unknown, so no violation.
    overlapping = [_ticket(0.0, 20.0, latency=1.5), _ticket(1.0, 10.0)]
    assert fifo_violations(overlapping) == 0
    # Pre-queue tickets are shuffled at the opening on purpose; tickets never admitted have no say.
    assert fifo_violations([_ticket(0.0, 20.0, phase="prequeue"), _ticket(1.0, 10.0), _ticket(2.0, None)]) == 0


def test_eta_error_uses_the_servers_admission_moment() -> None:
    t = _ticket(0.0, 100.0)
    t.eta_at, t.eta_s = 20.0, 90.0  # predicted 90 s at t=20, admitted at t=100: waited 80 s
    window = admission_window([t, _ticket(5.0, 50.0, window=60.0)])
    assert window == pytest.approx(59.6)
    # Seen admitted at 100.4 with 59.6 s left of a 60 s window: admitted at 100.0.
    assert admitted_at(t, 60.0) == pytest.approx(100.0)
    assert eta_errors([t], 60.0) == [pytest.approx(10 / 80)]
    assert eta_errors([_ticket(0.0, None)], 60.0) == [] and eta_errors([t], None) == []
    waiting = _ticket(0.0, None)
    waiting.eta_at, waiting.eta_s = 10.0, 5.0  # still waiting at the end: no error, but overdue once 15 s passed
    assert (overdue([waiting, t], end=14.0), overdue([waiting, t], end=20.0)) == (0, 1)
