"""Browser tests: one demo server and one headless Chromium (SwiftShader WebGL) for the whole session."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from factories import LiveServer, free_port, stop_live_server

sys.path.insert(0, str(Path(__file__).parent))  # seeding.py lives next to this file (importlib import mode)
from seeding import Seeded, parse_tokens, seed_stores

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--use-angle=swiftshader", "--enable-unsafe-swiftshader", "--no-sandbox", "--disable-gpu-sandbox",
    "--ignore-gpu-blocklist", "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--no-first-run",
]
REPO = Path(__file__).resolve().parents[2]
IWER = REPO / "node_modules" / "iwer" / "build" / "iwer.js"


def start_demo_server(tmp_path: Path) -> LiveServer:
    """``vrstore demo`` on a free port that is also its allowed WebSocket origin (the page is same-origin)."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "VRSTORE_DATA_DIR": str(tmp_path / "live-data"), "VRSTORE_PORT": str(port),
           "VRSTORE_HOST": "127.0.0.1", "VRSTORE_LOG_LEVEL": "WARNING", "VRSTORE_ALLOWED_ORIGINS": json.dumps([url]),
           "VRSTORE_TEST_HOOKS": "true"}  # the store page exposes window.vrstore, which the tests drive
    log = open(tmp_path / "server.log", "wb")  # noqa: SIM115 - the process owns it until stop
    process = subprocess.Popen([sys.executable, "-m", "server", "demo"], env=env, stdout=log, stderr=subprocess.STDOUT)
    server = LiveServer(url, port, tmp_path / "live-data", env, process, log)
    deadline = time.monotonic() + 120
    while True:
        if process.poll() is not None:
            log.close()
            raise RuntimeError(f"server exited: {(tmp_path / 'server.log').read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=1) as response:
                if response.status == 200:
                    return server
        except OSError:
            if time.monotonic() > deadline:
                stop_live_server(server)
                raise
            time.sleep(0.05)  # polling a socket that is not up yet; the condition is what we wait for


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    server = start_demo_server(tmp_path_factory.mktemp("e2e"))
    try:
        yield server
    finally:
        stop_live_server(server)


@pytest.fixture(scope="session")
def demo(live_server: LiveServer) -> Seeded:
    """The demo festival with a catalog and a built scene in every store (seeded here if the demo did not)."""
    # ``vrstore demo`` printed its tokens before it began to serve (a second seeding would only re-issue them).
    organizer, merchants = parse_tokens((live_server.data_dir.parent / "server.log").read_text(encoding="utf-8"))
    return seed_stores(live_server.url, organizer, merchants)


@pytest.fixture(scope="module")
def shop_browser() -> Iterator[Any]:
    # Module scope: Playwright's sync API keeps an event loop marked running while it lives, which would break
    # any asyncio test that the same pytest-xdist worker runs after this module.
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        instance = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield instance
        finally:
            instance.close()


@pytest.fixture
def new_page(shop_browser: Any) -> Iterator[Callable[..., Any]]:
    """Pages in fresh browser contexts (separate cookies = separate shoppers); closed after the test."""
    contexts: list[Any] = []

    def make(name: str = "민지", *, xr: bool = False, viewport: tuple[int, int] | None = None) -> Any:
        # An emulated headset renders both eyes into the page's canvas: a smaller one keeps SwiftShader's frames
        # cheap (no VR test looks at pixels), while staying a desktop layout (over 900×500: phones fold the HUD).
        viewport = viewport or ((960, 540) if xr else (1280, 720))
        context = shop_browser.new_context(viewport={"width": viewport[0], "height": viewport[1]}, locale="ko-KR")
        context.add_init_script(f"localStorage.setItem('vrstore.name', {name!r})")
        if xr:
            # The Immersive Web Emulation Runtime replaces navigator.xr with an emulated Meta Quest 3.
            context.add_init_script(path=str(IWER))
            context.add_init_script(
                "window.__xrDevice = new IWER.XRDevice(IWER.metaQuest3);"
                "window.__xrDevice.installRuntime({forceInstall: true});"
            )
        contexts.append(context)
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.errors = errors
        return page

    yield make
    for context in contexts:
        context.close()
