"""What the benchmarks share: ``python -m server serve`` on a free port with its own data dir, and the results
document (the machine's description and load average around the run, written to ``bench/results/<name>.json``)."""

from __future__ import annotations

import json
import os
import platform
import resource
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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


def raise_nofile() -> None:
    """preexec_fn of the server: soft open-file limit up to the hard limit (20,000 on the bench box)."""
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def start(data_dir: Path, database_url: str | None = None, extra_env: dict[str, str] | None = None,
          profile: Path | None = None) -> Server:
    """Start the server with a raised open-file limit (under cProfile, writing ``profile`` at shutdown, if given)
    and wait until /healthz answers (polling the socket). Its output is appended to ``data_dir/server.log``: a
    benchmark may start several servers in turn on the same data."""
    port = free_port()
    env = {**os.environ, "VRSTORE_DATA_DIR": str(data_dir), "VRSTORE_PORT": str(port), "VRSTORE_HOST": "127.0.0.1",
           "VRSTORE_LOG_LEVEL": "WARNING", "PYTHONPATH": str(ROOT),
           "VRSTORE_RATE_LIMITS": "off",  # thousands of synthetic shoppers come from this one address
           **({"VRSTORE_DATABASE_URL": database_url} if database_url else {}), **(extra_env or {})}
    data_dir.mkdir(parents=True, exist_ok=True)
    log = open(data_dir / "server.log", "ab")  # noqa: SIM115 - lives as long as the process
    prof = ["-m", "cProfile", "-o", str(profile)] if profile else []
    process = subprocess.Popen([sys.executable, *prof, "-m", "server", "serve"], env=env, stdout=log,
                               stderr=subprocess.STDOUT, cwd=ROOT, preexec_fn=raise_nofile)
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


def machine() -> dict[str, Any]:
    """The ``machine`` of a results document, with the load average at the start (:func:`write_results` adds the
    one at the end: the box is shared)."""
    return {"python": platform.python_version(), "cpus": os.cpu_count(), "load_average_start": list(os.getloadavg())}


def write_results(result: dict[str, Any], out: Path, say: Callable[[str], object] = print) -> None:
    """Note the load average at the end in ``result["machine"]`` (from :func:`machine`), write ``result`` to ``out``
    as JSON and ``say`` where."""
    result["machine"]["load_average_end"] = list(os.getloadavg())
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    say(f"wrote {out}")
