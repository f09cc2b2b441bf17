"""The pages: no test hook (window.vrstore) in production; the browser tests ask for it by setting."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from aiohttp.test_utils import TestClient
from factories import make_settings, running_client

from server.http.handlers.web import TEST_HOOK_META

CLIENT = Path(__file__).resolve().parents[2] / "web_client"


async def test_pages_carry_no_test_hook_unless_the_setting_asks(sqlite_client: TestClient[Any, Any],
                                                                tmp_path: Path) -> None:
    for path in ("/", "/store/plaza", "/merchant", "/organizer"):
        r = await sqlite_client.get(path)
        assert r.status == 200 and TEST_HOOK_META not in await r.read(), path
    settings = make_settings(tmp_path / "hooked", f"sqlite+aiosqlite:///{tmp_path / 'hooked.db'}", test_hooks=True)
    async with running_client(settings) as hooked:
        r = await hooked.get("/store/plaza")
        html = await r.read()
        assert TEST_HOOK_META in html
        # the CSP still allows exactly the page's import map (the built page has none: its bundle needs none)
        script_src = next(d for d in r.headers["Content-Security-Policy"].split(";") if "script-src" in d)
        assert ("sha256-" in script_src) == (b'type="importmap"' in html)


def test_the_hook_module_is_loaded_only_on_request() -> None:
    # A static import would install window.vrstore on every page; only the dynamic import behind the meta may.
    for path in CLIENT.rglob("*.js"):
        if "dist" in path.relative_to(CLIENT).parts[:1]:
            continue  # the build: its bundles import chunks by hash, checked by test_web_static.py
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"^import .*hook\.js", text, re.M), path
    assert "meta[name=\"vrstore-test-hook\"]" in (CLIENT / "js" / "main.js").read_text(encoding="utf-8")
