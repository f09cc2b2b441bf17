"""A first visit to a store over throttled mobile networks, against the client's production build (issue #19).

Targets: ≤ 900 kB on the wire for a first visit; interactive ≤ 6 s on fast 3G and ≤ 2.5 s on 4G; a second
visit takes the hashed bundles and the scene from the browser's cache. The networks and how a visit is measured
are in throttle.py. The timing assertion is on what the network decides (``network_ms``: the last byte the page
needed) plus, for "interactive", this machine's CPU share measured in the same test (the same visit without
throttling): SwiftShader renders on the CPU for seconds a phone's GPU does not spend, so a fixed bound on the
raw interactive time would measure the CI box, not the page. Both numbers are printed.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from seeding import Seeded
from throttle import FAST_3G, FIRST_VISIT_BUDGET, FOUR_G, UNTHROTTLED, Network, Visit, visit

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
STORE = "hyundai-dept"
FPS = 30  # frames must keep coming for "the first frame after ready"; the cap leaves CPU to the rest of the suite


@pytest.fixture
def fresh_build() -> None:
    """The server loads the build only when it is newer than every source: make it so (setup.sh does in CI;
    per test, for a checkout where someone edits the client meanwhile)."""
    manifest = ROOT / "web_client" / "dist" / "manifest.json"
    if not manifest.is_file() or any((ROOT / "web_client" / s).stat().st_mtime_ns > manifest.stat().st_mtime_ns
                                     for s in json.loads(manifest.read_text())["sources"]):
        subprocess.run([shutil.which("node") or "node", str(ROOT / "tools" / "build_client.mjs"), "--quiet"],
                       cwd=ROOT, check=True, timeout=300)


def _first_visit(shop_browser: Any, demo: Seeded, network: Network) -> tuple[Visit, Any]:
    context = shop_browser.new_context(viewport={"width": 1280, "height": 720}, locale="ko-KR")
    context.add_init_script("localStorage.setItem('vrstore.name', '민지')")
    return visit(context, f"{demo.url}/store/{STORE}?maxfps={FPS}", network), context


def _is_built(v: Visit) -> None:
    paths = [r.url.split("/", 3)[-1] for r in v.responses]
    assert any(p.startswith("web/dist/main-") for p in paths), paths
    assert not any(p.startswith(("vendor/three/", "web/js/")) for p in paths), paths


def test_first_visit_fits_the_budget_and_the_second_comes_from_the_cache(
    shop_browser: Any, demo: Seeded, fresh_build: None
) -> None:
    first, context = _first_visit(shop_browser, demo, FOUR_G)
    try:
        _is_built(first)
        print(f"\nfirst visit: {first.bytes:,} B in {first.requests} responses")
        for r in sorted(first.responses, key=lambda r: -r.bytes)[:8]:
            print(f"  {r.bytes:>9,} {r.encoding or '-':>4} {r.url}")
        assert first.bytes <= FIRST_VISIT_BUDGET, sorted(first.responses, key=lambda r: -r.bytes)[:6]
        # Every bundle and stylesheet came compressed (brotli: the browser asks for it).
        for r in first.responses:
            if "/web/dist/" in r.url and r.bytes > 2000:
                assert r.encoding == "br", r
        second = visit(context, f"{demo.url}/store/{STORE}?maxfps={FPS}", FOUR_G)
    finally:
        context.close()
    # The page preloads its store's scene, and its script's fetch of the scene takes that answer: one download each.
    scene = [r.url for r in first.responses if "/scenes/" in r.url]
    assert len(scene) == 2 and {u.rsplit(".", 1)[1] for u in scene} == {"glb", "json"}, scene
    for r in second.responses:
        if "/web/dist/" in r.url or "/scenes/" in r.url:
            assert r.cached and r.status == 200, r  # from the cache, not even revalidated
    page = [r for r in second.responses if r.url.split("?")[0].endswith(f"/store/{STORE}")]
    assert len(page) == 1 and page[0].status in (200, 304), page
    assert not any(r.url.startswith(f"{demo.url}/vendor/") and not r.cached for r in second.responses)


@pytest.mark.parametrize("network", [FAST_3G, FOUR_G], ids=lambda n: n.name)
def test_interactive_within_the_target(shop_browser: Any, demo: Seeded, fresh_build: None, network: Network) -> None:
    cpu, context = _first_visit(shop_browser, demo, UNTHROTTLED)
    context.close()
    throttled, context = _first_visit(shop_browser, demo, network)
    context.close()
    _is_built(throttled)
    print(f"\n{network.name}: last byte {throttled.network_ms:,.0f} ms, interactive {throttled.interactive_ms:,.0f} ms"
          f" (unthrottled on this machine: {cpu.interactive_ms:,.0f} ms; target {network.target_ms:,} ms)")
    assert throttled.network_ms <= network.target_ms, throttled.summary()
    assert throttled.interactive_ms <= network.target_ms + cpu.interactive_ms, (throttled.summary(), cpu.summary())


LABEL = "document.querySelector('#progress .label')"


@pytest.mark.parametrize(("language", "loading"), [("ko", "매장을 불러오는 중…"), ("en", "Loading the store…")])
def test_the_loading_line_shows_before_the_app_arrives_then_counts_the_scene(
    shop_browser: Any, demo: Seeded, fresh_build: None, language: str, loading: str
) -> None:
    context = shop_browser.new_context(viewport={"width": 1280, "height": 720}, locale="ko-KR")
    context.add_init_script(f"localStorage.setItem('vrstore.name', '민지'); localStorage.setItem('vrstore.lang', "
                            f"{language!r})")
    try:
        # A browser's first paint ever starts its GPU process (SwiftShader here: about a second of CPU), which is
        # the machine's, not the page's: paint something first.
        warm = context.new_page()
        warm.set_content("<p>warm</p>")
        warm.evaluate("() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))")
        warm.close()
        page = context.new_page()
        cdp = context.new_cdp_session(page)
        cdp.send("Network.enable")
        cdp.send("Network.emulateNetworkConditions", FAST_3G.conditions())
        page.goto(f"{demo.url}/store/{STORE}?maxfps={FPS}", wait_until="commit")
        page.wait_for_function(f"(text) => {LABEL}?.textContent.startsWith(text) && {LABEL}.checkVisibility()",
                               arg=loading, timeout=30_000)
        # The scene's download then counts up in the same line, in the same language.
        counting = f"(text) => {LABEL}.textContent.startsWith(text) && /\\d+ ?%$/.test({LABEL}.textContent)"
        page.wait_for_function(counting, arg=loading, timeout=60_000)
        page.wait_for_function("() => window.vrstore && window.vrstore.state.loads > 0", timeout=60_000)
        paint = page.evaluate("""() => {
          const fcp = performance.getEntriesByName('first-contentful-paint')[0];
          const main = performance.getEntriesByType('resource').find((e) => /\\/web\\/dist\\/main-/.test(e.name));
          return { fcp: fcp?.startTime, html: performance.getEntriesByType('navigation')[0].responseEnd,
                   main: main?.responseEnd };
        }""")
    finally:
        context.close()
    print(f"\n{language}: HTML in at {paint['html']:.0f} ms, first paint {paint['fcp']:.0f} ms, "
          f"app bundle in at {paint['main']:.0f} ms")
    # The first paint (the loading line is the page's text then) did not wait for the app's script. How soon
    # after the HTML it comes is the CPU's business (≈ 70 ms on an idle machine; up to ~0.6 s measured on the
    # shared 2-core box under load): printed, not bounded.
    assert paint["fcp"] < paint["main"], paint


def test_the_loading_line_needs_no_script(shop_browser: Any, demo: Seeded, fresh_build: None) -> None:
    # HTML and the inlined CSS alone draw it: what a shopper sees before any JavaScript has arrived.
    context = shop_browser.new_context(viewport={"width": 390, "height": 844}, java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(f"{demo.url}/store/{STORE}")
        label = page.locator("#progress .label")
        assert label.is_visible() and label.inner_text() == "매장을 불러오는 중…"
        assert page.locator("#progress .bar").bounding_box()["width"] > 0  # the sweeping bar
        assert page.locator("#progress").get_attribute("aria-labelledby") == "progress-label"
        assert page.locator('link[rel="stylesheet"]').count() == 0  # the styles came with the page
    finally:
        context.close()
