"""``vrstore serve --workers N``: one port, several processes, a supervisor that replaces a killed worker,
and a clear refusal when the shared services are missing."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import time
from pathlib import Path

import aiohttp
import psutil
import pytest
from factories import database_url, start_live_server, stop_live_server
from redis_server import RedisServer

from server.process.single import WORKER_HEADER

WAIT_S = 60.0


def vrstore(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "server", *args], capture_output=True, text=True, timeout=120,
                          env={"PATH": "/usr/bin:/bin", "VRSTORE_DATA_DIR": str(tmp_path / "data"), **env})


def test_several_workers_need_redis_and_postgresql(tmp_path: Path) -> None:
    alone = vrstore(tmp_path, "serve", "--workers", "2")
    assert alone.returncode == 2 and "Traceback" not in alone.stderr
    assert "VRSTORE_REDIS_URL" in alone.stderr and "PostgreSQL" in alone.stderr
    sqlite = vrstore(tmp_path, "serve", "--workers", "2", VRSTORE_REDIS_URL="redis://127.0.0.1:1/0")
    assert sqlite.returncode == 2 and "PostgreSQL" in sqlite.stderr and "VRSTORE_REDIS_URL" not in sqlite.stderr
    nonsense = vrstore(tmp_path, "serve", "--workers", "0")
    assert nonsense.returncode == 2 and "Traceback" not in nonsense.stderr


async def workers_seen(url: str, want: int, *, but_not: frozenset[str] = frozenset()) -> set[str]:
    """Worker ids answering /healthz, asked on fresh connections (the kernel spreads connections, not
    requests) until ``want`` distinct ones outside ``but_not`` answered."""
    seen: set[str] = set()
    deadline = time.monotonic() + WAIT_S
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(force_close=True)) as http:
        while len(seen - but_not) < want:
            assert time.monotonic() < deadline, f"only {seen} answered"
            try:
                async with http.get(f"{url}/healthz") as r:
                    assert r.status == 200
                    seen.add(r.headers[WORKER_HEADER])
            except aiohttp.ClientConnectionError:
                await asyncio.sleep(0.05)  # a connection queued on the killed worker was reset; ask again
    return seen


@pytest.mark.postgres
@pytest.mark.slow
async def test_two_workers_share_one_port_and_a_killed_one_is_replaced(
    tmp_path: Path, redis_server: RedisServer
) -> None:
    async with database_url("postgres", tmp_path) as db:
        env = {"VRSTORE_DATABASE_URL": db, "VRSTORE_REDIS_URL": redis_server.url}
        live = await asyncio.to_thread(start_live_server, tmp_path, extra_env=env,
                                       command=("serve", "--workers", "2"))
        try:
            first = await workers_seen(live.url, 2)
            assert len(first) == 2  # two processes answer on one port
            supervisor = psutil.Process(live.process.pid)
            workers = supervisor.children()
            assert len(workers) == 2
            victim = workers[0]
            victim.send_signal(signal.SIGKILL)
            await asyncio.to_thread(victim.wait, WAIT_S)
            # the survivor keeps serving and the supervisor starts a replacement under a new worker id
            after = await workers_seen(live.url, 1, but_not=frozenset(first))
            assert len(after - first) == 1 and (after & first)
            assert len(supervisor.children()) == 2 and victim not in supervisor.children()
            workers = supervisor.children()
        finally:
            await asyncio.to_thread(stop_live_server, live)
        assert live.process.returncode == 0  # SIGTERM: a graceful stop of every worker …
        assert not any(p.is_running() for p in workers)  # … which the supervisor waited for
        log = (tmp_path / "server.log").read_text()
        assert "was killed by SIGKILL; restarting" in log and "Traceback" not in log


@pytest.mark.slow
def test_a_worker_that_cannot_start_stops_the_supervisor_with_a_message(tmp_path: Path) -> None:
    """The port is taken by a socket without SO_REUSEPORT: the workers cannot bind; no endless restarts."""
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        from server.process.supervisor import Supervisor
        from server.settings import Settings

        settings = Settings(host="127.0.0.1", port=port, data_dir=tmp_path / "data")
        said: list[str] = []
        assert Supervisor(settings, 2, say=said.append).run() == 1
    assert any("before it listened" in line for line in said), said
