"""A standalone launcher for benchmarks: ``python -m server serve`` on a free port with its own data dir."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    url: str
    env: dict[str, str]
    process: subprocess.Popen[bytes]

    def cli(self, *args: str) -> str:
        out = subprocess.run([sys.executable, "-m", "server", *args], env=self.env, capture_output=True, text=True,
                             check=True, cwd=ROOT, timeout=120)
        return out.stdout

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start(data_dir: Path, database_url: str | None = None) -> Server:
    """Start the server and wait until /healthz answers (polling the socket)."""
    port = free_port()
    env = {**os.environ, "VRSTORE_DATA_DIR": str(data_dir), "VRSTORE_PORT": str(port), "VRSTORE_HOST": "127.0.0.1",
           "VRSTORE_LOG_LEVEL": "WARNING", "PYTHONPATH": str(ROOT),
           "VRSTORE_RATE_LIMITS": "off"}  # thousands of synthetic shoppers come from this one address
    if database_url:
        env["VRSTORE_DATABASE_URL"] = database_url
    data_dir.mkdir(parents=True, exist_ok=True)
    log = open(data_dir / "server.log", "wb")  # noqa: SIM115 - lives as long as the process
    process = subprocess.Popen([sys.executable, "-m", "server", "serve"], env=env, stdout=log,
                               stderr=subprocess.STDOUT, cwd=ROOT)
    return wait_healthy(f"http://127.0.0.1:{port}", env, process, data_dir / "server.log")


def wait_healthy(url: str, env: dict[str, str], process: subprocess.Popen[bytes], log: Path,
                 timeout_s: float = 60.0) -> Server:
    """Poll ``/healthz`` until it answers 200; the server's log tail if it exits first."""
    deadline = time.monotonic() + timeout_s
    while True:
        if process.poll() is not None:
            raise RuntimeError(log.read_text()[-2000:])
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=1) as response:
                if response.status == 200:
                    return Server(url, env, process)
        except OSError:
            if time.monotonic() > deadline:
                process.kill()
                raise
            time.sleep(0.05)  # polling a socket that is not up yet
