"""A shopper's first (and second) visit to a store over a throttled network, measured in Chromium.

The one place that defines the networks (issue #19's targets are stated for them) and how a visit is measured;
tests/e2e/test_first_load.py asserts on it and bench/first_load.py prints it.

Throttling is Chromium's own (CDP ``Network.emulateNetworkConditions``): every request waits ``latency_ms``
and all of them share the down/up throughput, as DevTools' presets do (fast 3G: the Lighthouse preset).

What is measured, all in ms since the navigation started (the page's clock):

- ``bytes``/``requests``: every response of the visit, ``encodedDataLength`` (bytes on the wire, headers
  included) summed until the page is interactive; WebSocket frames are not responses and not counted;
- ``network_ms``: when the last byte of the last response the page needed arrived (Resource Timing's latest
  ``responseEnd`` up to the ready signal: page, bundles, stylesheets, API answers, scene JSON and GLB). The
  network and the server decide most of it, but not all: the store's API requests start only once the bundle
  has been evaluated (~0.3 s of CPU on an idle machine, twice that on the CI box under the suite's load);
- ``interactive_ms``: the page's own ready signal (``window.vrstore.ready``: scene loaded into the world,
  session and cart restored) and then the first frame drawn after it. It adds the CPU's share: parsing and
  running the bundle, decoding the meshopt GLB, compiling shaders, rendering. Under SwiftShader (the CI's
  CPU-rendered WebGL) that share is seconds that a phone's GPU does not spend; ``cpu_ms`` measures it as the
  same visit's interactive time without throttling, on the same machine, in the same run.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class Network:
    name: str
    down_kbps: int
    up_kbps: int
    latency_ms: int
    target_ms: int  # issue #19: interactive within this on this network

    def conditions(self) -> dict[str, Any]:
        return {"offline": False, "latency": self.latency_ms, "downloadThroughput": self.down_kbps * 1000 / 8,
                "uploadThroughput": self.up_kbps * 1000 / 8}


FAST_3G = Network("fast 3G", down_kbps=1600, up_kbps=750, latency_ms=150, target_ms=6000)
FOUR_G = Network("4G", down_kbps=9000, up_kbps=1500, latency_ms=60, target_ms=2500)
UNTHROTTLED = Network("none", down_kbps=0, up_kbps=0, latency_ms=0, target_ms=0)
NETWORKS = (FAST_3G, FOUR_G)
FIRST_VISIT_BUDGET = 900_000  # bytes on the wire for a first visit to a store (issue #19)

# Resolves with the moment the first frame after the ready signal was drawn (the frame loop counts frames).
_INTERACTIVE = """async (timeoutMs) => {
  const late = (what) => new Promise((_, fail) => setTimeout(() => fail(new Error(`${what} after ${timeoutMs} ms`)),
                                                             timeoutMs));
  await Promise.race([window.vrstore.ready, late('no ready signal')]);
  const state = window.vrstore.state;
  const drawn = state.frames;
  const frame = (async () => {
    while (state.frames <= drawn) await new Promise((resolve) => setTimeout(resolve, 5));
  })();
  await Promise.race([frame, late('no frame drawn')]);
  const at = performance.now();
  const ends = performance.getEntriesByType('resource').filter((e) => e.responseEnd <= at).map((e) => e.responseEnd);
  const nav = performance.getEntriesByType('navigation')[0];
  return { interactive: at, network: Math.max(nav.responseEnd, ...ends), ready: state.interactiveAt,
           error: state.error };
}"""


@dataclass
class Response:
    url: str
    status: int
    bytes: int
    cached: bool  # answered from the browser's cache: nothing on the wire
    encoding: str


@dataclass
class Visit:
    network: str
    bytes: int
    requests: int
    network_ms: float
    interactive_ms: float
    responses: list[Response] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if k != "responses"}


def visit(context: Any, url: str, network: Network, timeout_ms: float = 120_000) -> Visit:
    """Open ``url`` in a new page of ``context`` (a fresh context: a first visit; the same one again: a second
    visit) over ``network``, wait until it is interactive, and return what it cost."""
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    if network.latency_ms or network.down_kbps:
        cdp.send("Network.emulateNetworkConditions", network.conditions())
    seen: dict[str, dict[str, Any]] = {}
    done: list[Response] = []
    # Every request the page made and how it ended: a page that never becomes interactive says which of its
    # requests was still open (or failed) when the test gave up.
    asked: dict[str, str] = {}
    ended: dict[str, str] = {}

    def received(event: dict[str, Any]) -> None:
        r = event["response"]
        seen[event["requestId"]] = {
            "url": r["url"], "status": r["status"],
            "cached": bool(r.get("fromDiskCache") or r.get("fromMemoryCache") or r.get("fromPrefetchCache")),
            "encoding": {k.lower(): v for k, v in r.get("headers", {}).items()}.get("content-encoding", ""),
        }

    def finished(event: dict[str, Any]) -> None:
        ended.setdefault(event["requestId"], "done")
        meta = seen.get(event["requestId"])
        if meta is not None:
            done.append(Response(meta["url"], meta["status"], int(event["encodedDataLength"]), meta["cached"],
                                 meta["encoding"]))

    def from_cache(event: dict[str, Any]) -> None:
        meta = seen.setdefault(event["requestId"], {"url": "?", "status": 200, "encoding": ""})
        meta["cached"] = True

    problems: list[str] = []
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    page.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)
    cdp.on("Network.requestWillBeSent", lambda e: asked.setdefault(e["requestId"], e["request"]["url"]))
    cdp.on("Network.responseReceived", received)
    cdp.on("Network.loadingFinished", finished)
    cdp.on("Network.loadingFailed", lambda e: ended.setdefault(e["requestId"], f"failed: {e.get('errorText')}"))
    cdp.on("Network.requestServedFromCache", from_cache)
    try:
        page.goto(url, wait_until="commit", timeout=timeout_ms)
        try:
            page.wait_for_function("() => window.vrstore !== undefined", timeout=timeout_ms)
            result = page.evaluate(_INTERACTIVE, timeout_ms)
        except Exception as exc:
            requests = [f"{u.split('/', 3)[-1]}: {ended.get(rid) or ('unfinished' if rid in seen else 'no answer')}"
                        for rid, u in asked.items()]
            raise AssertionError(f"{url} over {network.name}: {exc}; page errors: {problems[:5]}; "
                                 f"requests: {requests}") from None
        if result["error"]:
            raise AssertionError(f"{url}: the page failed: {result['error']}")
        responses = list(done)
    finally:
        page.close()
    return Visit(network.name, sum(r.bytes for r in responses), len(responses), round(result["network"]),
                 round(result["interactive"]), responses)
