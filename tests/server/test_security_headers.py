"""Browser hardening headers on every kind of response: pages, API answers, static files and problems."""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

CLIENT = Path(__file__).resolve().parents[2] / "web_client"
PAGES = ("/", "/store/plaza", "/merchant", "/organizer")
EVERYWHERE = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "X-Frame-Options": "DENY",
}


def _csp(header: str) -> dict[str, list[str]]:
    directives = (part.split() for part in header.split(";") if part.strip())
    return {d[0]: d[1:] for d in directives}


def _hash(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


@pytest.mark.parametrize("path", [
    "/",                                            # a page
    "/api/v1/festivals",                            # an API answer
    "/web/js/lobby.js",                             # a static file of the client
    "/vendor/three/build/three.module.js",          # a vendored one
    "/api/v1/nowhere",                              # a problem (404)
    "/healthz",
    "/api/docs",
])
async def test_every_response_carries_the_hardening_headers(sqlite_client: TestClient[Any, Any], path: str) -> None:
    r = await sqlite_client.get(path)
    for name, value in EVERYWHERE.items():
        assert r.headers.get(name) == value, (path, name, r.status)
    policy = _csp(r.headers["Content-Security-Policy"])
    assert policy["frame-ancestors"] == ["'none'"]


async def test_problems_of_every_origin_carry_them(sqlite_client: TestClient[Any, Any]) -> None:
    # a refused method (the router's 405), a domain refusal (401), malformed JSON (400)
    for r in (await sqlite_client.delete("/api/v1/festivals/x"),
              await sqlite_client.get("/api/v1/sessions/current"),
              await sqlite_client.post("/api/v1/sessions", data=b"{", headers={"Content-Type": "application/json"})):
        assert r.content_type == "application/problem+json"
        for name, value in EVERYWHERE.items():
            assert r.headers.get(name) == value, (r.status, name)
        assert _csp(r.headers["Content-Security-Policy"])["default-src"] == ["'none'"]


@pytest.mark.parametrize("path", PAGES)
async def test_pages_allow_only_their_own_scripts_and_connections(
    sqlite_client: TestClient[Any, Any], path: str
) -> None:
    r = await sqlite_client.get(path)
    html = await r.text()
    policy = _csp(r.headers["Content-Security-Policy"])
    inline = re.findall(r"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", html, re.S)
    assert policy["script-src"] == ["'self'", "'wasm-unsafe-eval'", *(_hash(body) for body in inline)]
    host = sqlite_client.make_url("").host
    port = sqlite_client.make_url("").port
    assert policy["connect-src"] == ["'self'", f"ws://{host}:{port}", f"wss://{host}:{port}", "blob:", "data:"]
    assert policy["img-src"] == ["'self'", "data:", "blob:"]
    # Inline style attributes (two in the merchant console) need 'unsafe-inline'; pages without them do not get it.
    # A page served with the client's build carries its stylesheets inline, admitted by hash.
    styles = [_hash(body) for body in re.findall(r"<style>(.*?)</style>", html, re.S)]
    assert policy["style-src"] == ["'self'", *(["'unsafe-inline'"] if ' style="' in html else styles)]
    assert policy["object-src"] == ["'none'"] and policy["base-uri"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert "'unsafe-eval'" not in policy["script-src"]


async def test_a_forged_host_cannot_write_into_the_policy(sqlite_client: TestClient[Any, Any]) -> None:
    r = await sqlite_client.get("/", headers={"Host": "x; script-src *"})
    policy = _csp(r.headers["Content-Security-Policy"])
    assert policy["connect-src"] == ["'self'", "blob:", "data:"]
    assert "*" not in policy["script-src"]


async def test_the_api_docs_page_allows_its_inline_script_by_hash(sqlite_client: TestClient[Any, Any]) -> None:
    r = await sqlite_client.get("/api/docs")
    html = await r.text()
    policy = _csp(r.headers["Content-Security-Policy"])
    (script,) = re.findall(r"<script>(.*?)</script>", html, re.S)
    (style,) = re.findall(r"<style>(.*?)</style>", html, re.S)
    assert policy["script-src"] == [_hash(script)] and policy["style-src"] == [_hash(style)]
    assert policy["connect-src"] == ["'self'"]


def test_the_pages_have_no_inline_handlers_or_scripts_beyond_the_import_map() -> None:
    # The CSP would silently block them: an onclick= or a stray inline script is a broken page, not a feature.
    for page in CLIENT.rglob("*.html"):
        html = page.read_text(encoding="utf-8")
        assert not re.search(r"\son[a-z]+\s*=", html), page
        for attributes in re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>", html):
            assert 'type="importmap"' in attributes, page
