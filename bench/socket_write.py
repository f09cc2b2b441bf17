"""What one tick frame costs to write (issue #22): the kernel's ``send`` against the live layer's own Python.

The tick writes one frame per shopper per tick (10 Hz). ``bench/live_profile.py`` shows ``Live.deliver`` as the
largest part of the tick; this says how much of that is the system call and how much the Python around it:

- **send, through the transport**: N loopback TCP connections on uvloop (as ``vrstore serve`` runs), one
  frame-sized ``transport.write`` each, timed per write. The peers are in this process and do not read during
  the timed loop, so this is the sender's cost with nobody competing for the other core.
- **send, raw**: the same with ``os.write`` on the socket's descriptor: the transport's own share.
- **Live.deliver's Python**: the same number of tick ``Send`` actions through ``Live.deliver`` with transports
  that take the bytes and make no system call: every check, lookup and framing step, no kernel.
- **baseline**: an empty Python loop over the same connections, to read the others against (the box is shared).
- **a tick, on the loop's thread / with the sender thread**: what ``Live.tick`` does per instance of 100: build
  (``--build-us`` of Python per frame, the build's share measured at 2,200 shoppers: 437 µs per 100-seat
  instance), then send each frame; once with ``transport.write`` on the loop's thread, once handing each
  instance's frames to ``_send_thread.Sender`` while the next is built (``tick_writes.py``). Wall time per frame
  on the loop's thread, which is what the tick's length (and so the door) sees.

Prints a rich table (µs per frame, median of ``--reps``) and writes ``bench/results/socket_write.json``.

    .venv/bin/python bench/socket_write.py [--connections 2000] [--frame 308] [--reps 7] [--build-us 4.4]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import sys
import time
import types
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import uvloop  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from server.live._send_thread import Sender  # type: ignore[import-not-found,unused-ignore]  # noqa: E402
from server.live.core.actions import Send  # noqa: E402
from server.live.service import Connection, Live  # noqa: E402
from server.live.wire import FrameEncoder  # noqa: E402

console = Console(width=140)


class NullTransport:
    """Takes the bytes and makes no system call."""

    def is_closing(self) -> bool:
        return False

    def get_write_buffer_size(self) -> int:
        return 0

    def write(self, data: bytes) -> None:
        pass


async def connections(n: int) -> tuple[list[asyncio.Transport], list[asyncio.Transport], asyncio.AbstractServer]:
    """``n`` loopback TCP connections: (server-side transports, client-side transports, the server)."""
    loop = asyncio.get_running_loop()
    accepted: list[asyncio.Transport] = []
    arrived = asyncio.Event()

    class Accept(asyncio.Protocol):
        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            accepted.append(transport)
            if len(accepted) == n:
                arrived.set()

    class Drain(asyncio.Protocol):
        def data_received(self, data: bytes) -> None:
            pass

    server = await loop.create_server(Accept, "127.0.0.1", 0, backlog=4096)
    port = server.sockets[0].getsockname()[1]
    clients: list[asyncio.Transport] = []
    for start in range(0, n, 100):
        made = await asyncio.gather(*(loop.create_connection(Drain, "127.0.0.1", port)
                                      for _ in range(min(100, n - start))))
        clients.extend(t for t, _ in made)
    await arrived.wait()
    for t in accepted:  # as aiohttp sets it on every connection it serves
        t.get_extra_info("socket").setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return accepted, clients, server


INSTANCE = 100  # shoppers per instance: the default capacity


def busy(seconds: float) -> None:
    """Python work for ``seconds`` (stands for building an instance's frames)."""
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        pass


def per_frame_us(run: Any, n: int, reps: int) -> float:
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        run()
        times.append((time.perf_counter() - t0) / n * 1e6)
    return round(statistics.median(times), 2)


async def measure(n: int, frame_bytes: int, reps: int, build_us: float) -> dict[str, float]:
    accepted, clients, server = await connections(n)
    payload = bytes(frame_bytes)
    fds = [t.get_extra_info("socket").fileno() for t in accepted]

    async def settle() -> None:
        await asyncio.sleep(0.05)  # the peers read what was sent, so no socket fills up over the repetitions

    results: dict[str, list[float]] = {"baseline": [], "transport": [], "raw": [], "deliver": [],
                                       "tick_loop": [], "tick_thread": []}
    sender = Sender()
    build_s = build_us * 1e-6 * INSTANCE

    def tick_on_loop() -> None:
        for start in range(0, n, INSTANCE):
            busy(build_s)
            for t in accepted[start:start + INSTANCE]:
                t.write(payload)

    def tick_with_thread() -> None:
        for start in range(0, n, INSTANCE):
            busy(build_s)
            sender.submit(fds[start:start + INSTANCE], [payload] * len(fds[start:start + INSTANCE]))
        assert all(took == len(payload) for took in sender.finish())

    live = types.SimpleNamespace(conns={i: Connection(i, None, NullTransport()) for i in range(n)},
                                 now=time.monotonic, _encode=FrameEncoder(), _backlog=set(), close=None)
    actions = [Send(i, bytes(frame_bytes), droppable=True) for i in range(n)]
    for _ in range(reps):
        results["baseline"].append(per_frame_us(lambda: [None for _ in accepted], n, 1))
        results["transport"].append(per_frame_us(lambda: [t.write(payload) for t in accepted], n, 1))
        await settle()
        results["raw"].append(per_frame_us(lambda: [os.write(fd, payload) for fd in fds], n, 1))
        await settle()
        results["deliver"].append(per_frame_us(lambda: Live.deliver(live, actions), n, 1))
        results["tick_loop"].append(per_frame_us(tick_on_loop, n, 1))
        await settle()
        results["tick_thread"].append(per_frame_us(tick_with_thread, n, 1))
        await settle()
    sender.close()
    for t in (*accepted, *clients):
        t.close()
    server.close()
    await server.wait_closed()
    return {k: round(statistics.median(v), 2) for k, v in results.items()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--connections", type=int, default=2000)
    ap.add_argument("--frame", type=int, default=20 + 16 * 18, help="frame payload bytes (header + 16 poses)")
    ap.add_argument("--reps", type=int, default=7)
    ap.add_argument("--build-us", type=float, default=4.4, help="µs of Python per frame for the tick rows' build")
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "socket_write.json")
    args = ap.parse_args()
    load = os.getloadavg()
    r = uvloop.run(measure(args.connections, args.frame, args.reps, args.build_us))
    table = Table(title=f"one tick frame ({args.frame} B) to each of {args.connections:,} loopback connections, "
                        f"µs per frame, median of {args.reps}; load 1m {load[0]:.2f}")
    for col in ("what", "µs per frame"):
        table.add_column(col, justify="right" if col != "what" else "left")
    for key, label in (("baseline", "empty Python loop (baseline)"), ("transport", "send, through uvloop's transport"),
                       ("raw", "send, os.write on the descriptor"),
                       ("deliver", "Live.deliver's Python (no system call)"),
                       ("tick_loop", f"a tick ({args.build_us} µs build + send per frame), loop's thread sends"),
                       ("tick_thread", f"a tick ({args.build_us} µs build + send per frame), sender thread sends")):
        table.add_row(label, f"{r[key]:.2f}")
    console.print(table)
    out = {"benchmark": "socket_write", "connections": args.connections, "frame_bytes": args.frame,
           "reps": args.reps, "build_us": args.build_us, "load_average": [round(x, 2) for x in load], "us_per_frame": r}
    args.out.write_text(json.dumps(out, indent=2) + "\n")
    console.print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
