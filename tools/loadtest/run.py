"""``vrstore loadtest``: synthetic shoppers against a running server's live protocol.

Each shopper gets a guest session (``POST /api/v1/sessions``, batched over a small connection pool), connects to
``/api/v1/live?store=S`` and walks the store's aisles from its manifest, sending a pose at ``--rate`` Hz and a
``focus`` when it looks at a product. Shoppers are spread over ``--processes`` worker processes (each with its
own asyncio loop, :mod:`loadtest.worker`); a sample of ``--observers`` decodes every tick to measure
latency and delivery, the others only count bytes. See :mod:`loadtest.report` for the definitions.

With several stores (``--store a,b``) shopper ``i`` goes to store ``i mod len(stores)`` and one guest session
serves one shopper in each store (the protocol allows one connection per session per store).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import multiprocessing
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Annotated, Any

import aiohttp
import psutil
import typer
from rich.console import Console

from loadtest.report import parse_metrics, render, summarize
from loadtest.walk import StorePlan, plan_from_manifest
from loadtest.worker import ShopperSpec, WorkerConfig, WorkerResult, worker_entry

SESSION_CONCURRENCY = 16
SETTLE_S = 3.0  # from "start walking" to measuring: first poses, first ticks, identities announced


class LoadtestError(Exception):
    """A reason the load test cannot run (server unreachable, unknown store …), printed without a traceback."""


@dataclass(frozen=True)
class LoadtestConfig:
    """The load test's parameters (the CLI options)."""

    url: str
    stores: tuple[str, ...]
    shoppers: int
    rate: float = 10.0
    duration: float = 30.0
    processes: int = 0  # 0: one per 1,000 shoppers, at most one per core
    observers: int = 10
    ramp: float | None = None  # seconds to connect everybody; None: N / 150, 2–120 s
    hands: bool = False
    idle: bool = False
    seed: int = 1
    connect_concurrency: int = 64  # handshakes in flight at once, over all workers
    lean: bool = True  # non-observers on the minimal client (loadtest.lean); False: LiveClient
    watch_pids: tuple[int, ...] = ()  # other local processes (database, Redis) measured over the same window

    @property
    def ramp_s(self) -> float:
        return self.ramp if self.ramp is not None else min(120.0, max(2.0, self.shoppers / 150))

    @property
    def process_count(self) -> int:
        if self.processes > 0:
            return self.processes
        return max(1, min(os.cpu_count() or 1, math.ceil(self.shoppers / 1000)))


async def _get_json(http: aiohttp.ClientSession, base: str, path: str, what: str) -> Any:
    url = base + path
    try:
        async with http.get(path) as r:
            if r.status == 404:
                raise LoadtestError(f"{what} does not exist (HTTP 404 from {url})")
            if r.status != 200:
                raise LoadtestError(f"{what}: HTTP {r.status} from {url}")
            return await r.json(content_type=None)
    except aiohttp.ClientConnectionError as exc:
        raise LoadtestError(f"cannot reach the server at {url}: {exc}") from None
    except TimeoutError:
        raise LoadtestError(f"the server at {url} did not answer in time") from None


async def read_stores(http: aiohttp.ClientSession, base: str, stores: tuple[str, ...],
                      console: Console) -> tuple[dict[str, StorePlan], dict[str, dict[str, Any]]]:
    """Every store's walking plan (from its manifest) and its JSON (``GET /api/v1/stores/{slug}``)."""
    plans: dict[str, StorePlan] = {}
    found: dict[str, dict[str, Any]] = {}
    for slug in stores:
        store = found[slug] = await _get_json(http, base, f"/api/v1/stores/{slug}", f"store {slug!r}")
        manifest_url = (store.get("scene") or {}).get("manifest")
        if not manifest_url:
            console.print(f"[yellow]store {slug!r} has no published scene: walking a 10 m square[/yellow]")
        manifest = await _get_json(http, base, manifest_url, f"manifest of {slug!r}") if manifest_url else None
        plans[slug] = plan_from_manifest(slug, manifest)
    return plans, found


async def metrics_text(http: aiohttp.ClientSession) -> str:
    """The server's ``/metrics`` (empty when it has none or does not answer)."""
    try:
        async with http.get("/metrics") as r:
            return await r.text() if r.status == 200 else ""
    except (aiohttp.ClientError, TimeoutError):
        return ""


async def _prepare(cfg: LoadtestConfig, console: Console) -> tuple[dict[str, StorePlan], list[str], int, str]:
    """Check the server and stores, read the manifests, create the guest sessions; returns plans, tokens, the
    number of sessions that failed and the first ``/metrics`` text."""
    timeout = aiohttp.ClientTimeout(total=30)
    connector = aiohttp.TCPConnector(limit=SESSION_CONCURRENCY)
    async with aiohttp.ClientSession(cfg.url, timeout=timeout, connector=connector,
                                     cookie_jar=aiohttp.DummyCookieJar()) as http:
        plans, _ = await read_stores(http, cfg.url, cfg.stores, console)
        metrics = await metrics_text(http)
        n_sessions = math.ceil(cfg.shoppers / len(cfg.stores))
        console.print(f"creating {n_sessions} guest sessions …")

        async def one(i: int) -> str | None:
            try:
                async with http.post("/api/v1/sessions", json={"display_name": f"bot {i}"}) as r:
                    return str((await r.json())["token"]) if r.status == 201 else None
            except (aiohttp.ClientError, TimeoutError, KeyError, ValueError):
                return None

        tokens = await asyncio.gather(*(one(i) for i in range(n_sessions)))
    ok = [t for t in tokens if t is not None]
    if not ok:
        raise LoadtestError(f"the server at {cfg.url} created no guest session")
    return plans, ok, n_sessions - len(ok), metrics


def _scrape(url: str) -> dict[str, float]:
    import urllib.request

    try:
        with urllib.request.urlopen(url + "/metrics", timeout=10) as r:
            return parse_metrics(r.read().decode())
    except (OSError, ValueError):
        return {}


def _local_servers(url: str) -> list[psutil.Process]:
    """The server's processes when they listen on this machine (exact CPU/RSS at the window's edges: a saturated
    server answers ``/metrics`` late); several with ``vrstore serve --workers N`` (SO_REUSEPORT)."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    if parts.hostname not in ("127.0.0.1", "localhost", "::1"):
        return []
    port = parts.port or 80
    try:
        pids = sorted({c.pid for c in psutil.net_connections(kind="tcp")
                       if c.status == psutil.CONN_LISTEN and c.laddr and c.laddr.port == port and c.pid})
        return [psutil.Process(pid) for pid in pids]
    except psutil.Error:
        return []


def _cpu_seconds(procs: list[psutil.Process]) -> list[float]:
    out = []
    for p in procs:
        try:
            t = p.cpu_times()
            out.append(t.user + t.system)
        except psutil.Error:
            out.append(math.nan)
    return out


def _specs(cfg: LoadtestConfig, tokens: list[str]) -> list[ShopperSpec]:
    n = min(cfg.shoppers, len(tokens) * len(cfg.stores))
    every = n / max(1, min(cfg.observers, n)) if cfg.observers > 0 and not cfg.idle else math.inf
    watch = {int(k * every) for k in range(cfg.observers)} if every != math.inf else set()
    return [ShopperSpec(i, cfg.stores[i % len(cfg.stores)], tokens[i // len(cfg.stores)], i in watch)
            for i in range(n)]


def run_loadtest(cfg: LoadtestConfig, console: Console | None = None) -> dict[str, Any]:
    """Run the whole load test and return its summary (raises :class:`LoadtestError` with a clear message)."""
    console = console or Console()
    if cfg.shoppers < 1 or cfg.rate <= 0 or cfg.duration <= 0 or not cfg.stores:
        raise LoadtestError("--shoppers, --rate and --duration must be positive and --store given")
    try:
        plans, tokens, sessions_failed, first_metrics = asyncio.run(_prepare(cfg, console))
    except ValueError as exc:  # aiohttp refuses a relative or malformed base URL
        raise LoadtestError(f"bad --url {cfg.url!r}: {exc}") from None
    if not first_metrics:
        console.print("[yellow]/metrics is not reachable: server CPU and memory will be missing[/yellow]")
    specs = _specs(cfg, tokens)
    n_proc = min(cfg.process_count, len(specs))
    ctx = multiprocessing.get_context("spawn")
    pipes, procs = [], []
    for k in range(n_proc):
        wcfg = WorkerConfig(url=cfg.url, shoppers=specs[k::n_proc], plans=plans, total=len(specs), rate=cfg.rate,
                            ramp_s=cfg.ramp_s, hands=cfg.hands, idle=cfg.idle, seed=cfg.seed,
                            connect_concurrency=max(4, cfg.connect_concurrency // n_proc), lean=cfg.lean)
        parent, child = ctx.Pipe()
        proc = ctx.Process(target=worker_entry, args=(wcfg, child), name=f"loadtest-{k}", daemon=True)
        proc.start()
        child.close()
        pipes.append(parent)
        procs.append(proc)
    try:
        return _measure(cfg, console, pipes, procs, specs, sessions_failed)
    finally:
        for proc in procs:
            proc.join(timeout=5)
            if proc.is_alive():
                proc.terminate()
                proc.join()


def _measure(cfg: LoadtestConfig, console: Console, pipes: list[Any], procs: list[Any], specs: list[ShopperSpec],
             sessions_failed: int) -> dict[str, Any]:
    for pipe, proc in zip(pipes, procs, strict=True):
        if not pipe.poll(120):
            raise LoadtestError(f"worker {proc.name} did not start")
        pipe.recv()
    start = time.time() + 0.2
    for pipe in pipes:
        pipe.send(start)
    observers = sum(s.observer for s in specs)
    console.print(f"connecting {len(specs)} shoppers over {cfg.ramp_s:.1f} s from {len(procs)} process(es), "
                  f"{observers} observer(s) …")
    deadline = start + cfg.ramp_s + max(60.0, len(specs) / 20)  # ≥ 20 joins/s, or something is wrong
    connected = 0
    for pipe, proc in zip(pipes, procs, strict=True):
        if not pipe.poll(max(1.0, deadline - time.time())):
            raise LoadtestError(f"worker {proc.name} did not finish connecting its shoppers")
        connected += pipe.recv()[1]
    connect_s = time.time() - start
    t0 = time.time() + SETTLE_S
    t1 = t0 + cfg.duration
    for pipe in pipes:
        pipe.send((t0, t1))
    console.print(f"{connected} connected after {connect_s:.1f} s; measuring {cfg.duration:g} s …")
    mine = [psutil.Process()] + [psutil.Process(p.pid) for p in procs]
    servers = _local_servers(cfg.url)
    mine.extend(servers)  # measured beside ours, then split off
    watched = [psutil.Process(pid) for pid in cfg.watch_pids if psutil.pid_exists(pid)]
    time.sleep(max(0.0, t0 - time.time()))
    cpu0, w0, infra0 = _cpu_seconds(mine), time.time(), _cpu_seconds(watched)
    before, s0 = _scrape(cfg.url), time.time()  # a starved server answers late: time its window separately
    time.sleep(max(0.0, t1 - time.time()))
    cpu1, w1, infra1 = _cpu_seconds(mine), time.time(), _cpu_seconds(watched)
    after, s1 = _scrape(cfg.url), time.time()
    results: list[WorkerResult] = []
    for pipe, proc in zip(pipes, procs, strict=True):
        if not pipe.poll(120):
            raise LoadtestError(f"worker {proc.name} did not report")
        results.append(pipe.recv()[1])
    busy = [100.0 * (b - a) / (w1 - w0) for a, b in zip(cpu0, cpu1, strict=True)]
    local: dict[str, Any] = {}
    if servers:
        server_busy, busy = busy[len(busy) - len(servers):], busy[: len(busy) - len(servers)]
        local = {"pids": [s.pid for s in servers], "processes": len(servers),
                 "cpu_percent": round(sum(server_busy), 1), "max_process_percent": round(max(server_busy), 1)}
        with contextlib.suppress(psutil.Error):
            local["rss_mib"] = round(sum(s.memory_info().rss for s in servers) / 2**20, 1)
    cores = min(len(procs), os.cpu_count() or 1)
    gen = {"cpu_percent": round(sum(busy), 1), "max_process_percent": round(max(busy[1:]), 1),
           "processes": len(procs), "cores": os.cpu_count(),
           "saturated": max(busy[1:]) >= 90.0 or sum(busy) >= 90.0 * cores}
    config = {**asdict(cfg), "stores": list(cfg.stores), "ramp": cfg.ramp_s, "processes": len(procs)}
    gen["connect_seconds"] = round(connect_s, 1)
    if watched:
        local["watched_cpu_percent"] = round(100.0 * (sum(infra1) - sum(infra0)) / (w1 - w0), 1)
    return summarize(results, config=config, duration=cfg.duration, t0=t0, t1=t1, server_before=before,
                     server_after=after, server_window=s1 - s0, generator_cpu=gen, sessions_failed=sessions_failed,
                     server_local=local | {"scrape_delay_s": round(max(s0 - w0, s1 - w1), 2)})


def loadtest_command(
    url: Annotated[str, typer.Option(help="Base URL of the server")] = "http://127.0.0.1:8080",
    store: Annotated[str, typer.Option(help="Store slug (comma-separated for several stores)")] = "hyundai-dept",
    shoppers: Annotated[int, typer.Option(help="Synthetic shoppers")] = 100,
    rate: Annotated[float, typer.Option(help="Poses per second per shopper")] = 10.0,
    duration: Annotated[float, typer.Option(help="Measured seconds (after the ramp; with --arrivals, after the last "
                                                 "arrival)")] = 30.0,
    processes: Annotated[int, typer.Option(help="Worker processes (0: one per 1,000 shoppers, ≤ cores)")] = 0,
    observers: Annotated[int, typer.Option(help="Shoppers that decode every tick (latency, delivery)")] = 10,
    ramp: Annotated[float | None, typer.Option(help="Seconds to connect everybody (default N/150, 2–120)")] = None,
    hands: Annotated[bool, typer.Option(help="Send hands too (38-byte poses, as headsets do)")] = False,
    idle: Annotated[bool, typer.Option(help="Connect, say hello and stay idle (capacity test)")] = False,
    lean: Annotated[bool, typer.Option(help="Non-observers on the minimal counting client (else LiveClient)")] = True,
    json_out: Annotated[Path | None, typer.Option("--json", help="Write the results as JSON here")] = None,
    arrivals: Annotated[int | None, typer.Option(
        help="Arrivals mode: this many shoppers arrive on a uniform curve over --over seconds; those told busy "
             "wait in the festival's line as the page does (--shoppers and --ramp are then unused)")] = None,
    over: Annotated[float, typer.Option(help="Arrivals: seconds from the first arrival to the last")] = 120.0,
    eta_after: Annotated[float, typer.Option(
        help="Arrivals: judge a ticket's estimated wait once it has waited this long (seconds)")] = 120.0,
    organizer: Annotated[str | None, typer.Option(
        help="Arrivals: the festival's organizer token (the line's length is followed through it)")] = None,
    admit_per_min: Annotated[int | None, typer.Option(
        help="Arrivals, with --organizer: hold the door until two admission rounds' worth queue, then let the "
             "line in at this fixed rate (the controls found are restored at the end)")] = None,
    behaviour: Annotated[bool, typer.Option(
        help="Shoppers shop (loadtest/behaviour.py): browse zones, look at products, add to the cart with a "
             "probability by price, check out; arriving over --ramp (default N/2 s). Prints what they did")] = False,
    seed: Annotated[int, typer.Option(help="With --behaviour: the seed of the shoppers' choices")] = 1,
) -> None:
    """Drive synthetic shoppers through the live protocol and report latency, delivery, bandwidth and CPU."""
    console = Console()
    if behaviour:
        from loadtest.shop import shop_command

        try:
            shop_command(console, url.rstrip("/"), tuple(s for s in store.split(",") if s), shoppers, seed,
                         ramp if ramp is not None else shoppers / 2, json_out)
        except LoadtestError as exc:
            Console(stderr=True).print(f"[red]error:[/red] {exc}")
            raise typer.Exit(1) from None
        return
    if arrivals is not None:
        from loadtest.arrivals import ArrivalsConfig, arrivals_command

        arrivals_command(console, ArrivalsConfig(
            url=url.rstrip("/"), stores=tuple(s for s in store.split(",") if s), arrivals=arrivals, over=over,
            duration=duration, rate=rate, processes=processes, observers=observers, hands=hands, idle=idle,
            lean=lean, eta_after=eta_after, organizer=organizer, admit_per_min=admit_per_min), json_out)
        return
    cfg = LoadtestConfig(url=url.rstrip("/"), stores=tuple(s for s in store.split(",") if s), shoppers=shoppers,
                         rate=rate, duration=duration, processes=processes, observers=observers, ramp=ramp,
                         hands=hands, idle=idle, lean=lean)
    try:
        summary = run_loadtest(cfg, console)
    except LoadtestError as exc:
        Console(stderr=True).print(f"[red]error:[/red] {exc}")
        raise typer.Exit(1) from None
    render(console, summary)
    if json_out is not None:
        json_out.parent.mkdir(parents=True, exist_ok=True)
        json_out.write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n")
