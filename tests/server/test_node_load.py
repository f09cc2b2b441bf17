"""The Node workload generator (bench/node_load/) speaks the live protocol and measures as the Python one does."""

from __future__ import annotations

import json
import math
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from factories import start_live_server, stop_live_server
from loadtest.report import analyse
from loadtest.worker import ObserverLog
from realtime_factories import join, pose_frame

from server.live.core.actions import Send
from server.live.core.poses import decode_tick, quantize_quats
from server.live.core.room import Room

ROOT = Path(__file__).resolve().parents[2]
NODE_LOAD = ROOT / "bench" / "node_load"
NODE = shutil.which("node") or "node"  # the project's ESLint and client build need Node: it is always there


def node(script: str, payload: Any) -> Any:
    """Run an ES module snippet that has ``input`` (the JSON payload) and prints one JSON answer."""
    prelude = ("import { readFileSync } from 'node:fs';\n"
               f"import * as walk from {json.dumps((NODE_LOAD / 'walk.mjs').as_uri())};\n"
               f"import * as report from {json.dumps((NODE_LOAD / 'report.mjs').as_uri())};\n"
               "const input = JSON.parse(readFileSync(0, 'utf8'));\n")
    run = subprocess.run([NODE, "--input-type=module", "-e", prelude + script], input=json.dumps(payload),
                         capture_output=True, text=True, timeout=60, check=False)
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout)


def test_tick_frames_decode_as_the_server_encodes_them() -> None:
    room = Room("s", 1)
    peers = [join(room, i, group="cart-1" if i < 2 else None).peer_id for i in range(4)]
    for i, p in enumerate(peers):
        room.handle_pose(p, pose_frame(float(i), t=4_000_000_000 + i, hands=i % 2 == 0), now=0.0)
    room.tick(0.1)
    room.leave(peers[3], now=0.15, graceful=True)  # a `left` entry in the next frames
    late = join(room, 9, name="늦은 손님").peer_id  # a `joined` entry with a multi-byte name
    room.handle_pose(late, pose_frame(0.5), now=0.15)
    frames = [a.frame for a in room.tick(0.2) if isinstance(a, Send) and isinstance(a.frame, bytes)]
    got = node("""
        console.log(JSON.stringify(input.map((hex) => {
          const poses = [];
          const t = report.decodeTick(Buffer.from(hex, 'hex'), (peer, ms) => poses.push([peer, ms]));
          return { seq: t.seq, joined: t.joined, left: t.left, poses };
        })));""", [f.hex() for f in frames])
    assert len(got) == len(frames) == 4
    for frame, mine in zip(frames, got, strict=True):
        want = decode_tick(frame)
        assert mine == {"seq": want.seq, "joined": len(want.joined), "left": want.left,
                        "poses": [[p.id, p.time_ms] for p in want.poses]}
    assert any(g["left"] == [peers[3]] for g in got) and any(g["joined"] for g in got)


def test_walk_and_rotations_match_the_python_generator() -> None:
    manifest = {"walkable": [[0, 0, 4, 1], [3, 1, 4, 5], [0, 5, 4, 6]],
                "products": {"A": {"position": [0.5, 1.0, 0.5]}, "B": {"position": [0.5, 1.0, 5.5]}}}
    yaws = [2 * math.pi * i / 256 for i in range(256)]
    got = node("""
        const plan = walk.planFromManifest('s', input.manifest);
        const w = new walk.Walker(plan, walk.rng(7));
        const spots = [];
        for (let i = 0; i < 600; i++) {
          w.step(0.1);
          const f = w.frame(1234);
          spots.push([f.readInt16LE(8), f.readInt16LE(10), f.readInt16LE(12)]);
        }
        console.log(JSON.stringify({
          rot: input.yaws.map((a) => walk.packQuat([0, Math.sin(a / 2), 0, Math.cos(a / 2)])), spots,
          doors: plan.doors.map((m) => [...m.keys()]),
        }));""", {"manifest": manifest, "yaws": yaws})
    want = quantize_quats([(0.0, math.sin(a / 2), 0.0, math.cos(a / 2)) for a in yaws]).tolist()
    assert got["rot"] == want
    assert got["doors"] == [[1], [0, 2], [1]]
    rects = manifest["walkable"]
    for x, y, z in got["spots"]:  # on the floor (within a centimetre's rounding), heads at shopper height
        assert any(r[0] * 100 - 1 <= x <= r[2] * 100 + 1 and r[1] * 100 - 1 <= z <= r[3] * 100 + 1 for r in rects)
        assert 150 <= y <= 175
    assert len({(x, z) for x, _, z in got["spots"]}) > 100  # it walks


def test_latency_and_delivery_follow_the_python_definitions() -> None:
    rng = np.random.default_rng(4)
    t0, t1 = 1_000_000.0, 1_010_000.0
    sent = {p: np.arange(t0 - 500, t1 + 500, 100.0) + p for p in (1, 2, 3)}  # three senders at 10 Hz
    observers = []
    for o in range(2):
        log = ObserverLog("s", 1, 9 + o, 10.0)
        for seq in range(int((t1 - t0 + 1000) / 100)):
            at = t0 - 500 + 100 * seq + 30 + (300 if 20 < seq < 30 else 0)  # a stall: late for a while
            if rng.random() < 0.05:
                continue  # a tick frame lost
            log.frames.extend((seq, int(at)))
            for p, times in sent.items():
                if p == 3 and 40 < seq < 60:
                    continue  # sender 3 out of view for a while
                newest = times[times <= at - rng.integers(0, 90)]
                if len(newest):
                    log.records.extend((seq, p, int(newest[-1]), int(at)))
        observers.append(log)
    senders = {("s", 1, p): v.astype(np.int64) for p, v in sent.items()}
    want = analyse(observers, senders, t0, t1)
    got = node("console.log(JSON.stringify(report.analyse(input.observers, input.t0, input.t1)));".replace(
        "input.observers", "input.observers.map((o) => ({ ...o, sent: new Map(o.sent) }))"), {
        "t0": t0, "t1": t1, "observers": [
            {"tickHz": 10, "seqs": list(log.frames[::2]), "records": np.asarray(log.records).reshape(-1, 4).tolist(),
             "sent": [[p, v.tolist()] for p, v in sent.items()]} for log in observers]})
    assert (got["delivered"]["delivered"], got["delivered"]["expected"]) == (
        want["delivered"]["delivered"], want["delivered"]["expected"])
    assert 0.5 < want["delivered"]["share"] < 1.0  # the losses above are counted, not everything
    assert got["latency_ms"]["samples"] == want["latency_ms"]["samples"]
    for q in ("p50", "p95", "p99"):
        assert got["latency_ms"][q] == pytest.approx(want["latency_ms"][q], abs=0.11)


@pytest.mark.slow
def test_node_generator_reports_latency_and_delivery(tmp_path: Path) -> None:
    server = start_live_server(tmp_path, command=("demo",))  # seeds the demo festival (built stores), then serves
    try:
        out = tmp_path / "node.json"
        run = subprocess.run([NODE, str(NODE_LOAD / "load.mjs"), "--url", server.url, "--store", "cu-plaza",
                              "--shoppers", "20", "--observers", "4", "--duration", "3", "--ramp", "1",
                              "--server-pid", str(server.process.pid), "--json", str(out)],
                             capture_output=True, text=True, timeout=120, check=False)
    finally:
        stop_live_server(server)
    assert run.returncode == 0, run.stdout + run.stderr
    assert re.search(r"latency p50 \d+(\.\d+)? ms", run.stdout), run.stdout
    s = json.loads(out.read_text())
    assert s["connected"] == 20 and s["failures_total"] == 0 and not s["dropped"] and s["bad_frames"] == 0
    assert s["observers"] == 4 and s["delivered"]["share"] > 0.9 and s["latency_ms"]["p99"] is not None
    assert s["server"]["cpu_percent"] is not None and s["generator_cpu"]["cpu_percent"] >= 0


def test_node_generator_refuses_bad_options_in_one_line() -> None:
    run = subprocess.run([NODE, str(NODE_LOAD / "load.mjs"), "--shoppers", "many"], capture_output=True, text=True,
                         timeout=60, check=False)
    assert run.returncode == 1 and run.stderr.strip() == "error: --shoppers must be a number ≥ 1, not many"
