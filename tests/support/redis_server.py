"""A real ``redis-server`` for the scale-out tests: started on a free port, killed and restarted at will."""

from __future__ import annotations

import shutil
import signal
import subprocess
import time
from pathlib import Path

import redis

REDIS_SERVER = "/usr/bin/redis-server"


def redis_binary() -> str | None:
    return REDIS_SERVER if Path(REDIS_SERVER).exists() else shutil.which("redis-server")


class RedisServer:
    """``redis-server --save "" --appendonly no`` on 127.0.0.1:``port``; ``kill`` is SIGKILL, ``start`` comes
    back on the same port (with no data: nothing is persisted, like a crashed cache)."""

    def __init__(self, folder: Path, port: int) -> None:
        self.folder = folder
        self.port = port
        self.url = f"redis://127.0.0.1:{port}/0"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout_s: float = 20.0) -> None:
        assert self.process is None, "already running"
        self.process = subprocess.Popen(
            [redis_binary() or REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.folder), "--logfile", str(self.folder / "redis.log")],
            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        client = redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=1, socket_connect_timeout=1)
        deadline = time.monotonic() + timeout_s
        try:
            while True:
                if self.process.poll() is not None:
                    raise RuntimeError(f"redis-server exited: {(self.folder / 'redis.log').read_text()[-2000:]}")
                try:
                    if client.ping():
                        return
                except redis.ConnectionError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.02)  # polling a port that is not open yet; the answer is what we wait for
        finally:
            client.close()

    def kill(self) -> None:
        """SIGKILL: no goodbye to the clients, as when the machine or the process dies."""
        if self.process is not None:
            self.process.send_signal(signal.SIGKILL)  # also ends a paused (SIGSTOPped) server
            self.process.wait()
            self.process = None

    def pause(self) -> None:
        """SIGSTOP: connections stay open and nothing answers, as with a hung host or a network partition."""
        assert self.process is not None
        self.process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGCONT)

    def client(self) -> redis.Redis:
        return redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=5)
