"""``vrstore serve --workers N``: N server processes on one port, supervised by the process you started.

The parent migrates the database once, then starts N workers (``vrstore worker``, hidden), each the normal
app bound to the same host:port with SO_REUSEPORT: the kernel spreads new connections over them, so no
process in the middle copies bytes. Workers share state only through PostgreSQL (data) and Redis (live bus,
seats, resume tokens), which is why N > 1 requires both.

The parent supervises:

* SIGINT/SIGTERM → SIGTERM to every worker (graceful: ``going_down``, close 1001, drain), SIGKILL after
  ``stop_timeout_s``, exit 0. Workers run in their own process group so a terminal's Ctrl-C reaches them once,
  through the parent, not twice.
* A worker that exits on its own is restarted (capped backoff) under a new worker id; the dead one's seats
  expire with its heartbeat. A worker that fails before it ever listened at start-up (port taken, bad
  configuration), or that exits ``restart_limit`` times within ``restart_window_s``, stops everything: exit 1
  with a message that names it.
* A worker whose parent vanished (SIGKILL) stops itself within about a second.

Worker ids are ``{host}:{parent pid}:{slot}.{generation}``: unique per process incarnation across machines,
which the seat ledger needs (a restarted worker must not inherit a dead one's seats).
"""

from __future__ import annotations

import asyncio
import os
import select
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from types import FrameType

from server.settings import Settings

WORKER_ID_ENV = "VRSTORE_WORKER_ID"
READY_FD_ENV = "VRSTORE_WORKER_READY_FD"


def refusal(settings: Settings, workers: int) -> str | None:
    """Why ``workers`` processes cannot run with these settings, or None."""
    if workers <= 1:
        return None
    needs = []
    if not settings.redis_url:
        needs.append("VRSTORE_REDIS_URL (the live bus and seat ledger the workers share)")
    if settings.is_sqlite:
        needs.append("a PostgreSQL VRSTORE_DATABASE_URL (SQLite serves one process)")
    if settings.port == 0:
        needs.append("a fixed --port (with port 0 each worker would listen on a different one)")
    if not needs:
        return None
    return f"--workers {workers} needs " + " and ".join(needs) + "; use --workers 1 for a single process."


def worker_id() -> str | None:
    """This worker's id as the supervisor set it (None outside a supervisor: create_app names the process)."""
    return os.environ.get(WORKER_ID_ENV)


def migrate_once(settings: Settings) -> None:
    """Upgrade the schema in the parent, so N workers do not race each other through the migrations."""
    from server.persistence import migrate
    from server.persistence.engine import make_engine

    async def go() -> None:
        engine = make_engine(settings.effective_database_url)
        try:
            await migrate.upgrade(engine)
        finally:
            await engine.dispose()

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    asyncio.run(go())


# ---------------------------------------------------------------- the worker side


def worker_main(settings: Settings) -> None:
    """Run one worker: the normal app on a shared port; tells the supervisor when it listens."""
    from server.process.single import run

    ready_fd = int(os.environ[READY_FD_ENV]) if os.environ.get(READY_FD_ENV) else None

    def ready() -> None:
        if ready_fd is not None:
            os.write(ready_fd, b"1")
            os.close(ready_fd)

    _stop_when_orphaned(os.getppid())
    try:
        run(settings, reuse_port=True, worker_id=worker_id(), on_ready=ready)
    except OSError as exc:  # typically the port is taken by a process without SO_REUSEPORT
        print(f"vrstore worker: cannot serve on {settings.host}:{settings.port}: {exc}", file=sys.stderr, flush=True)
        raise SystemExit(1) from None


def _stop_when_orphaned(parent: int) -> None:
    # A SIGKILLed supervisor cannot forward anything; without this its workers would serve on forever.
    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, name="orphan-watch", daemon=True).start()


# ---------------------------------------------------------------- the supervisor


@dataclass
class _Slot:
    index: int
    generation: int = 0
    process: subprocess.Popen[bytes] | None = None
    ready_fd: int | None = None  # read end of the pipe the worker writes to once it listens
    ready: bool = False
    restart_at: float | None = None
    exits: deque[float] = field(default_factory=deque)


class Supervisor:
    """Starts, watches, restarts and stops the workers; :meth:`run` returns the exit code."""

    def __init__(
        self, settings: Settings, workers: int, *, command: list[str] | None = None, restart_limit: int = 5,
        restart_window_s: float = 60.0, stop_timeout_s: float = 20.0, say: Callable[[str], None] | None = None,
    ) -> None:
        self.settings = settings
        self.command = command or [sys.executable, "-m", "server", "worker"]
        self.restart_limit = restart_limit
        self.restart_window_s = restart_window_s
        self.stop_timeout_s = stop_timeout_s
        self.say = say or (lambda msg: print(f"vrstore: {msg}", file=sys.stderr, flush=True))
        self.slots = [_Slot(i) for i in range(1, workers + 1)]
        self._stop: int | None = None  # the signal that asked us to stop

    def _env(self, slot: _Slot, ready_w: int) -> dict[str, str]:
        s = self.settings
        return {
            **os.environ,
            "VRSTORE_HOST": s.host, "VRSTORE_PORT": str(s.port), "VRSTORE_DATA_DIR": str(s.data_dir),
            "VRSTORE_AUTO_MIGRATE": "false",  # the parent did it once
            WORKER_ID_ENV: f"{socket.gethostname()}:{os.getpid()}:{slot.index}.{slot.generation}",
            READY_FD_ENV: str(ready_w),
        }

    def _spawn(self, slot: _Slot) -> None:
        slot.generation += 1
        ready_r, ready_w = os.pipe()
        try:
            slot.process = subprocess.Popen(self.command, env=self._env(slot, ready_w), pass_fds=(ready_w,),
                                            process_group=0)
        finally:
            os.close(ready_w)
        slot.ready_fd, slot.ready, slot.restart_at = ready_r, False, None

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        self._stop = signum

    def run(self) -> int:
        """Supervise until asked to stop (exit 0) or until a worker cannot be kept running (exit 1)."""
        previous = {sig: signal.signal(sig, self._on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            for slot in self.slots:
                self._spawn(slot)
            code = self._watch()
        finally:
            self._stop_all()
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        return code

    def _watch(self) -> int:
        announced = False
        while self._stop is None:
            fds = [s.ready_fd for s in self.slots if s.ready_fd is not None]
            readable: list[int] = []
            if fds:  # waiting on the ready pipes doubles as the loop's pace
                readable = select.select(fds, [], [], 0.2)[0]
            else:
                time.sleep(0.2)  # a supervisor's pace between looks at its children, not a test wait
            for slot in self.slots:
                if slot.ready_fd is not None and slot.ready_fd in readable:
                    slot.ready = os.read(slot.ready_fd, 1) == b"1"  # b"" is EOF: it died first
                    os.close(slot.ready_fd)
                    slot.ready_fd = None
            if not announced and all(s.ready for s in self.slots):
                announced = True
                self.say(f"{len(self.slots)} workers listening on http://{self.settings.host}:{self.settings.port}")
            now = time.monotonic()
            for slot in self.slots:
                if slot.restart_at is not None:
                    if now >= slot.restart_at:
                        self._spawn(slot)
                    continue
                assert slot.process is not None
                returncode = slot.process.poll()
                if returncode is None or self._stop is not None:
                    continue
                if (failure := self._exited(slot, returncode, now)) is not None:
                    self.say(f"error: {failure}")
                    return 1
        return 0

    def _exited(self, slot: _Slot, returncode: int, now: float) -> str | None:
        """Decide about a worker that exited on its own: restart later (None) or give up (the reason)."""
        assert slot.process is not None
        how = f"was killed by {signal.Signals(-returncode).name}" if returncode < 0 else f"exited with {returncode}"
        if slot.ready_fd is not None:
            os.close(slot.ready_fd)
            slot.ready_fd = None
        if slot.generation == 1 and not slot.ready:
            return f"worker {slot.index} {how} before it listened; see its output above"
        slot.exits.append(now)
        while slot.exits and now - slot.exits[0] > self.restart_window_s:
            slot.exits.popleft()
        if len(slot.exits) >= self.restart_limit:
            return (f"worker {slot.index} keeps crashing ({len(slot.exits)} exits in {self.restart_window_s:.0f} s, "
                    f"last: {how}); giving up")
        delay = min(5.0, 0.25 * 2 ** (len(slot.exits) - 1))
        self.say(f"worker {slot.index} (pid {slot.process.pid}) {how}; restarting in {delay:.2g} s")
        slot.restart_at = now + delay
        return None

    def _stop_all(self) -> None:
        running = [s.process for s in self.slots if s.process is not None and s.process.poll() is None]
        for process in running:
            process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + self.stop_timeout_s
        for process in running:
            try:
                process.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                self.say(f"worker pid {process.pid} did not stop in {self.stop_timeout_s:.0f} s; killing it")
                process.kill()
                process.wait()
        for slot in self.slots:
            if slot.ready_fd is not None:
                os.close(slot.ready_fd)
                slot.ready_fd = None
