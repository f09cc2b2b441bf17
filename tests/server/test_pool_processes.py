"""The server's process pools (scene builds, quick jobs) never outlive it: a SIGKILL used to leave the fork server,
both pool workers and the resource tracker running for good (server/pool_jobs.py, follow_server)."""

from __future__ import annotations

from pathlib import Path

import psutil
from factories import start_live_server


def test_a_killed_server_leaves_no_process_behind(tmp_path: Path) -> None:
    server = start_live_server(tmp_path)
    try:
        left = psutil.Process(server.process.pid).children(recursive=True)
        commands = [" ".join(p.cmdline()) for p in left]
        # the fork server and the two pools' workers it forked (the build pool and the quick pool)
        assert sum("multiprocessing.forkserver" in c for c in commands) >= 3, commands
    finally:
        server.process.kill()  # SIGKILL: the server runs no shutdown of its own
        server.process.wait()
        if server.log is not None:
            server.log.close()
    _, alive = psutil.wait_procs(left, timeout=20)
    assert not alive, [" ".join(p.cmdline())[:120] for p in alive]
