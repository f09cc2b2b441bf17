"""Where the live path's time goes under load (issue 22): py-spy samples a real ``vrstore serve`` process while
``vrstore loadtest`` walks N shoppers in one demo store at 10 Hz, once everybody is connected.

Writes, under ``bench/results/flames/`` (kept in git: the flame graphs are the evidence the issue asks for):

- ``live-<N>.svg``: the flame graph (py-spy's own, open it in a browser);
- ``live-<N>.txt``: the same samples as collapsed stacks (one line per stack, its sample count);
- ``live-<N>.json``: the share of samples per part of the live path (the table printed), with the load-test row
  (latency, delivered share, server and generator CPU) measured over the same run.

Parts are told apart by the files on a sample's stack, the most specific first (``PARTS``); a sample counts once,
for the first part it matches. "Waiting (epoll)" is the event loop with nothing to do. Two samplers run side by
side (the SVG and the raw stacks), both ``--nonblocking`` so the server is never paused; they and the generator
share this machine's two cores with the server: read the generator's CPU beside every figure.

    .venv/bin/python bench/live_profile.py [--shoppers 3000] [--duration 15] [--rate 100]
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
import threading
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

import _server  # noqa: E402
import realtime  # noqa: E402  (puts the repository and tools/ on the path too)
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

OUT = ROOT / "bench" / "results" / "flames"
SETTLE_S = 3.0  # after the ramp: let the joins' last frames and the first interest passes go by
# (part, substrings of a frame: the first part whose substring is on the stack takes the sample)
PARTS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("bus and cluster", ("live/cluster/",)),
    ("analytics and recommendation sample", ("sample_analytics", "recommend_watch", "domain/analytics")),
    ("interest (who sees whom)", ("live/core/interest.py", "live/core/nearby.py")),
    ("pose encoding", ("live/core/poses.py", "live/wire.py")),
    ("received poses (hub, room, rate limit)", ("handle_pose",)),
    ("tick (rest: rooms, members, send queues)", ("live/core/tick.py", "hub.py", "live/core/room.py",
                                                  "live/core/sendq.py", "live/core/members.py")),
    ("socket writes (deliver, transport)", ("deliver (", "flush_backlog", "_write", "send_frame", "writer.py")),
    ("socket reads and message handling", ("live/ws.py", "live/frame_sink.py", "web_ws.py", "http_websocket",
                                           "reader_c", "reader_py", "data_received", "live/service.py",
                                           "live/core/ratelimit.py")),
    ("HTTP requests (REST, metrics)", ("web_protocol.py", "web_app.py", "server/http/")),
    ("event loop and timers (other)", ("base_events.py", "events.py")),
)


IDLE = "waiting (the loop has nothing to do)"
THREAD = "Thread._bootstrap"  # the SQLite reader/writer and executor threads (mostly waiting, without the GIL)


def classify(stack: str) -> str:
    """The part of the live path a main-thread sample is in (py-spy without --native shows the loop's wait in
    epoll as the loop's own frame, aiohttp's run_app, at the leaf)."""
    if stack.rsplit(";", 1)[-1].startswith(("run_app (aiohttp/web.py", "select (selectors.py")):
        return IDLE
    for part, needles in PARTS:
        if any(n in stack for n in needles):
            return part
    return "other"


def summarise(raw: Path) -> dict[str, Any]:
    """The event loop thread's samples per part, and its hottest leaf functions (own time), from py-spy's
    collapsed stacks; the other threads' samples are counted apart."""
    parts: Counter[str] = Counter()
    leaves: Counter[str] = Counter()
    total = threads = 0
    for line in raw.read_text(encoding="utf-8", errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        n = int(count)
        if THREAD in stack:
            threads += n
            continue
        total += n
        parts[classify(stack)] += n
        leaves[stack.rsplit(";", 1)[-1].replace(str(ROOT) + "/", "").rsplit("site-packages/", 1)[-1]] += n
    share = {part: round(100 * n / total, 1) for part, n in parts.most_common()} if total else {}
    hottest = [{"function": f, "percent": round(100 * n / total, 1)} for f, n in leaves.most_common(12)]
    busy = total - parts[IDLE]
    return {"samples": total, "other_thread_samples": threads, "percent_by_part": share,
            "loop_busy_percent": round(100 * busy / total, 1) if total else None, "hottest_own": hottest}


def strip_paths(path: Path) -> None:
    """Leave this machine's folders out of a written profile (py-spy names the command line and some files with
    absolute paths): the results are read from the repository, on other machines."""
    text = path.read_text(encoding="utf-8", errors="replace")
    path.write_text(re.sub(r"/[\w./-]*?/(?:site-packages|lib/python3\.\d+)/", "", text.replace(str(ROOT) + "/", "")),
                    encoding="utf-8")


def sample(pid: int, duration: float, rate: int, svg: Path, raw: Path) -> list[subprocess.Popen[bytes]]:
    spy = shutil.which("py-spy", path=str(Path(sys.executable).parent)) or "py-spy"
    common = [spy, "record", "--pid", str(pid), "--subprocesses", "--nonblocking", "--rate", str(rate),
              "--duration", str(int(duration))]
    return [subprocess.Popen([*common, "--format", fmt, "--output", str(path)], stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL) for fmt, path in (("flamegraph", svg), ("raw", raw))]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shoppers", type=int, default=3000)
    ap.add_argument("--duration", type=float, default=15.0, help="measured seconds (the samplers take all but the "
                    "first few)")
    ap.add_argument("--rate", type=int, default=100, help="samples per second")
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args()
    console = Console(width=160)
    args.out.mkdir(parents=True, exist_ok=True)
    name = f"live-{args.shoppers}"
    svg, raw = args.out / f"{name}.svg", args.out / f"{name}.txt"
    result: dict[str, Any] = {"benchmark": "live_profile", "shoppers": args.shoppers, "store": realtime.STORE,
                              "machine": _server.machine()}
    with tempfile.TemporaryDirectory(prefix="vrstore-bench-prof-") as tmp:
        data = Path(tmp) / "data"
        realtime.progress.print("seeding the demo festival …")
        realtime.seed(data)
        server = _server.start(data)
        samplers: list[subprocess.Popen[bytes]] = []
        ramp = min(120.0, max(2.0, args.shoppers / 150))  # LoadtestConfig.ramp_s: the generator's own ramp
        window = max(2.0, args.duration - SETTLE_S)

        def start_sampling() -> None:
            samplers.extend(sample(server.process.pid, window, args.rate, svg, raw))

        timer = threading.Timer(ramp + SETTLE_S, start_sampling)  # the steady state only, not the joins
        timer.start()
        try:
            result["loadtest"] = realtime.row(realtime.loadtest(server.url, args.shoppers, args.duration))
        finally:
            timer.cancel()
            for p in samplers:
                p.wait(timeout=window + 30)
            server.stop()
    if not raw.exists():
        raise SystemExit("py-spy wrote no samples (the run ended before the steady state?)")
    for written in (raw, svg):
        strip_paths(written)
    result.update(summarise(raw), sampled_s=window, sample_rate=args.rate)
    table = Table(title=f"{args.shoppers:,} shoppers, 10 Hz, {realtime.STORE}: where the event loop's samples fall "
                        f"({result['samples']:,} samples over {window:g} s)")
    table.add_column("part of the live path")
    table.add_column("% of samples", justify="right")
    for part, pct in result["percent_by_part"].items():
        table.add_row(part, f"{pct:.1f}")
    console.print(table)
    hot = Table(title="the loop's hottest functions (own time, % of its samples)")
    hot.add_column("function")
    hot.add_column("%", justify="right")
    for h in result["hottest_own"]:
        hot.add_row(h["function"][-110:], f"{h['percent']:.1f}")
    console.print(hot)
    row = result["loadtest"]
    console.print(f"p99 {row.get('p99_ms')} ms · delivered {row.get('delivered_percent')} % · server CPU "
                  f"{row.get('server_cpu_percent')} % · generator CPU {row.get('generator_cpu_percent')} % · "
                  f"ticks/s {row.get('ticks_per_s')} · tick mean {row.get('tick_mean_ms')} ms")
    _server.write_results(result, args.out / f"{name}.json", console.print)


if __name__ == "__main__":
    main()
