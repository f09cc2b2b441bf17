"""One worker process of ``vrstore loadtest --arrivals``: its share of the arrivals, each behaving like a shopper's
page (``web_client/js/queue.js``).

At its moment on the arrival curve an arrival creates a guest session and joins the live room of its store. If the
server closes the join with 4011 ``busy`` it takes a ticket in the festival's waiting room and polls it as the page
does (after ``poll_after_s``, at least every 5 s, again after 5 s on a network error, a new ticket at the back when
its turn lapsed); the moment its ticket says ``admitted`` it joins again with the same session. Once inside it
walks and sends poses like any load-test shopper (:class:`loadtest.worker.Run`: the lean client and the shared
pacer, observers on ``LiveClient``) until the measuring window ends; whoever still waits then leaves the line.

Waiting costs no socket of its own: the waiting pages' status calls share one ``aiohttp`` connection pool per
worker, and arrivals (guest sessions, tickets) another, so a slow line does not hold up newcomers at the door. The
time a call waits for a free connection is left out of its latency (a page has its own connection); a call still
waiting when it times out fails as ``generator pool timeout``: the server answered too slowly for the pool.
"""

from __future__ import annotations

import array
import asyncio
import time
from collections import Counter
from dataclasses import dataclass, field, replace
from typing import Any

import aiohttp

from loadtest.arrivals_report import TicketLog
from loadtest.lean import LeanClient
from loadtest.worker import (
    CONNECT_ERRORS,
    ObserverClient,
    Run,
    ShopperSpec,
    WorkerConfig,
    WorkerResult,
    close_code_of,
    failure_reason,
)
from server.live.client import LiveClient
from server.live.core.protocol import CloseCode

POLL_MAX_S = 5.0  # the page asks at least this often, and again this long after a failed request
REQUEUES = 3  # told busy again after an admission (the turn lapsed on the way): a new ticket, this many times
LEAVE_TIMEOUT_S = 10.0


@dataclass(frozen=True)
class ArrivalConfig(WorkerConfig):
    """A worker's arrivals: ``ramp_s`` is the arrival curve's length (``--over``), ``total`` the arrivals in all
    workers; the measuring window is ``[start + ramp_s, + duration)``."""

    festivals: dict[str, str] = field(default_factory=dict)  # store → its festival (whose line it joins)
    observers: int = 0  # this worker's observers: shoppers that enter, one per ramp_s / observers at most
    duration: float = 30.0
    eta_after: float = 120.0
    http_concurrency: int = 64  # connections of the pool the waiting pages' status calls share (as many again
    # for arrivals: sessions and tickets, so a slow line does not hold up newcomers at the door)


@dataclass(slots=True)
class ArrivalLog:
    """What became of one arrival. ``outcome``: ``direct`` (walked in), ``line`` (entered from the line),
    ``waiting`` (still in line at the end), ``admitted`` (admitted, not inside by the end) or ``failed``."""

    index: int
    store: str
    observer: bool
    arrived: bool = False  # its guest session was created
    busy: bool = False  # its first join was answered 4011
    outcome: str = "scheduled"
    reason: str | None = None
    ticket: TicketLog | None = None
    peer: tuple[str, int, int] | None = None  # (store, instance, peer id) once inside
    late_s: float = 0.0  # how long after its moment on the curve the generator got to it

    def fail(self, reason: str) -> None:
        self.outcome, self.reason = "failed", reason


@dataclass
class ArrivalResult(WorkerResult):
    arrivals: list[ArrivalLog] = field(default_factory=list)
    status_ms: array.array[float] = field(default_factory=lambda: array.array("d"))  # GET …/queue/{ticket}
    take_ms: array.array[float] = field(default_factory=lambda: array.array("d"))  # POST …/queue
    status_errors: Counter[str] = field(default_factory=Counter)
    pool_waits: int = 0  # timed calls that waited for a connection of the shared pool (left out of their latency)
    pool_wait_s: float = 0.0


@dataclass
class Answer:
    status: int  # 0: no answer (a network error or a timeout, named in ``error``)
    body: dict[str, Any] | None
    sent: float
    received: float
    error: str = ""


class ArrivalRun(Run):
    """The arrivals of one worker; the window is known from the start (it follows the arrival curve)."""

    cfg: ArrivalConfig
    result: ArrivalResult

    def __init__(self, cfg: ArrivalConfig, start: float, conn: Any) -> None:
        super().__init__(cfg, start, conn)
        self.t0 = start + cfg.ramp_s
        self.t1 = self.t0 + cfg.duration
        self.window.set()  # shoppers walk from the moment they are inside
        self.result = ArrivalResult(pid=0)
        self.http: aiohttp.ClientSession | None = None  # waiting pages: status calls, leaving the line
        self.door: aiohttp.ClientSession | None = None  # arrivals: guest sessions, tickets
        self.observing = 0
        self.observer_due = start  # observers are spread over the arrivals: the next may be chosen from then

    async def main(self) -> WorkerResult:
        cfg = self.cfg
        async with _pool(cfg) as self.http, _pool(cfg) as self.door:
            tasks = [asyncio.create_task(self.arrival(s)) for s in cfg.shoppers]
            if cfg.lean and not cfg.idle:
                tasks.append(asyncio.create_task(self._pace()))
            return await self._measure(tasks)

    async def arrival(self, spec: ShopperSpec) -> None:
        """One shopper's page, from its arrival to the end of the window."""
        log = ArrivalLog(spec.index, spec.store, spec.observer)
        self.result.arrivals.append(log)
        try:
            await self._arrive(spec, log)
        except Exception as exc:  # an answer the page would not expect: this arrival fails, the run goes on
            log.fail(f"unexpected: {type(exc).__name__}: {exc}"[:200])

    async def _arrive(self, spec: ShopperSpec, log: ArrivalLog) -> None:
        cfg = self.cfg
        at = self.start + cfg.ramp_s * spec.index / max(1, cfg.total)
        await self._sleep_until(at)
        log.late_s = time.time() - at
        token = await self._guest(spec.index, log)
        if token is None:
            return
        spec = replace(spec, token=token)
        log.arrived = True
        try:
            client: LiveClient | LeanClient | None = await self._join(spec)
            log.outcome = "direct"
        except CONNECT_ERRORS as exc:
            if close_code_of(exc) != CloseCode.BUSY:
                return log.fail(failure_reason(exc))
            log.busy = True
            client = await self._wait_in_line(spec, log)
        if client is not None:
            log.peer = (spec.store, int(client.welcome["instance"]), client.peer_id)
            log.observer = isinstance(client, ObserverClient)
            await self._stay(replace(spec, observer=log.observer), client)

    async def _join(self, spec: ShopperSpec) -> LiveClient | LeanClient:
        """A live join; observers are chosen among the shoppers who get in (so they are inside to measure), at
        most one per ``ramp_s / observers`` so they spread over the arrivals (early ones stay inside longest)."""
        now = time.time()
        observe = (not self.cfg.idle and self.observing < self.cfg.observers and now >= self.observer_due)
        if observe:
            self.observing += 1
            self.observer_due = now + self.cfg.ramp_s / max(1, self.cfg.observers)
        try:
            return await self._open(replace(spec, observer=observe))
        except BaseException:
            if observe:  # not inside: the next shopper to get in observes instead
                self.observing -= 1
                self.observer_due = now
            raise

    async def _guest(self, index: int, log: ArrivalLog) -> str | None:
        answer = await self._ask("POST", "/api/v1/sessions", json={"display_name": f"arrival {index}"}, door=True)
        if answer.status == 201 and answer.body is not None and "token" in answer.body:
            return str(answer.body["token"])
        log.fail(f"session: {answer.error or f'http {answer.status}'}")
        return None

    async def _wait_in_line(self, spec: ShopperSpec, log: ArrivalLog) -> LiveClient | LeanClient | None:
        """Take a ticket, wait for the turn, join again; None when the window ended first (or it failed)."""
        for _ in range(REQUEUES + 1):
            if not await self._line(spec, log):
                return None
            try:
                client = await self._join(spec)
            except CONNECT_ERRORS as exc:
                if close_code_of(exc) != CloseCode.BUSY or time.time() >= self.t1:
                    log.fail(f"after admission: {failure_reason(exc)}")
                    return None
                continue  # busy although admitted: the page takes (or gets back) its ticket again
            log.outcome = "line"
            return client
        log.fail("busy after admission")
        return None

    async def _line(self, spec: ShopperSpec, log: ArrivalLog) -> bool:
        """Hold a ticket until it is admitted (True) or the window ends (False: the ticket is given up)."""
        cfg, res = self.cfg, self.result
        headers = {"Authorization": f"Bearer {spec.token}"}
        path = f"/api/v1/festivals/{cfg.festivals[spec.store]}/queue"
        answer = await self._take(path, headers, log, lapsed=0)
        while log.ticket is not None and answer.body is not None:
            ticket, body, delay = log.ticket, answer.body, POLL_MAX_S
            if body.get("phase") == "admitted":
                ticket.admitted_seen, ticket.admitted_for_s = answer.received, body.get("admitted_for_s")
                log.outcome = "admitted"
                return True
            if body.get("phase") == "lapsed":  # the turn passed unused: a new ticket at the back, as the page does
                answer = await self._take(path, headers, log, lapsed=ticket.lapsed + 1)
                continue
            ticket.last_waiting = answer.sent
            eta = body.get("eta_s")
            if ticket.eta_at is None and eta is not None and answer.sent - ticket.taken_sent >= cfg.eta_after:
                ticket.eta_at, ticket.eta_s, ticket.eta_position = answer.sent, eta, body.get("position")
            delay = min(POLL_MAX_S, max(1.0, float(body.get("poll_after_s") or POLL_MAX_S)))
            while True:
                if time.time() + delay >= self.t1:
                    await self._sleep_until(self.t1)
                    log.outcome = "waiting"
                    await self._ask("DELETE", f"{path}/{body['ticket']}", headers=headers, timeout=LEAVE_TIMEOUT_S)
                    return False
                await asyncio.sleep(delay)
                answer = await self._ask("GET", f"{path}/{body['ticket']}", headers=headers, into=res.status_ms)
                ticket.polls += 1
                if answer.status == 200 and answer.body is not None:
                    break
                res.status_errors[answer.error or f"http {answer.status}"] += 1
                if answer.status == 404:  # no longer in the line: line up again, as the page would
                    answer = await self._take(path, headers, log, lapsed=ticket.lapsed)
                    break
                delay = POLL_MAX_S  # a blip: the place is kept server-side; ask again
        return False

    async def _take(self, path: str, headers: dict[str, str], log: ArrivalLog, *, lapsed: int) -> Answer:
        """Take (or get back) the session's ticket; on failure the arrival has failed (``log.ticket`` None)."""
        answer = await self._ask("POST", path, headers=headers, into=self.result.take_ms, door=True)
        body = answer.body
        if answer.status != 201 or body is None:
            log.ticket = None
            log.fail(f"ticket: {answer.error or f'http {answer.status}'}")
            return answer
        log.ticket = TicketLog(answer.sent, answer.received, str(body.get("phase")), body.get("position"),
                               last_waiting=answer.sent, lapsed=lapsed)
        return answer

    async def _ask(self, method: str, path: str, *, headers: dict[str, str] | None = None,
                   json: dict[str, Any] | None = None, into: array.array[float] | None = None,
                   timeout: float | None = None, door: bool = False) -> Answer:  # noqa: ASYNC109
        """One HTTP call on a shared pool; its latency (ms) goes to ``into`` when it is answered, less the wait for
        a free connection (a page has its own). A call still waiting for one when it times out failed on the
        generator's side: its error says so."""
        http = self.door if door else self.http
        assert http is not None
        sent = time.time()
        pool: dict[str, float] = {}
        try:
            kwargs: dict[str, Any] = {"headers": headers, "json": json, "trace_request_ctx": pool}
            if timeout is not None:
                kwargs["timeout"] = aiohttp.ClientTimeout(total=timeout)
            async with http.request(method, path, **kwargs) as r:
                status = r.status
                body = await r.json(content_type=None) if status in (200, 201) else None
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            error = type(exc).__name__
            if isinstance(exc, TimeoutError):
                error = "generator pool timeout" if "queued" in pool else "timeout"
            return Answer(0, None, sent, time.time(), error)
        received = time.time()
        waited = pool.get("waited", 0.0)
        if into is not None:  # the server's answer as a page with its own connection sees it
            into.append((received - sent - waited) * 1000.0)
            if "waited" in pool:
                self.result.pool_waits += 1
                self.result.pool_wait_s += waited
        return Answer(status, body if isinstance(body, dict) else None, sent, received)


def _pool(cfg: ArrivalConfig) -> aiohttp.ClientSession:
    """A pool of ``http_concurrency`` connections. A call may wait 60 s in all, of which 30 s for the server's
    answer: a page gives up on a silent server, not on other pages' calls."""
    return aiohttp.ClientSession(cfg.url, connector=aiohttp.TCPConnector(limit=cfg.http_concurrency),
                                 timeout=aiohttp.ClientTimeout(total=60, sock_connect=10, sock_read=30),
                                 trace_configs=[_pool_trace()], cookie_jar=aiohttp.DummyCookieJar())


def _pool_trace() -> aiohttp.TraceConfig:
    """Times the wait for a free connection of the shared pool (a page has its own): into the request's
    ``trace_request_ctx`` dict as ``waited`` (seconds)."""

    async def queued(_: aiohttp.ClientSession, ctx: Any, __: Any) -> None:
        ctx.trace_request_ctx["queued"] = time.perf_counter()

    async def dequeued(_: aiohttp.ClientSession, ctx: Any, __: Any) -> None:
        note = ctx.trace_request_ctx
        note["waited"] = time.perf_counter() - note.pop("queued", time.perf_counter())

    trace = aiohttp.TraceConfig()
    trace.on_connection_queued_start.append(queued)
    trace.on_connection_queued_end.append(dequeued)
    return trace

