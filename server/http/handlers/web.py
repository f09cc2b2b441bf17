"""The shopper client: its pages, its static files and the parts of three.js it imports.

Only three folders are ever served: ``web_client/`` (the client itself), and ``build/`` and
``examples/jsm/`` of the ``three`` npm package (under ``/vendor/three/``), so the browser needs no CDN.
In an installed wheel they are the copies inside the package (``storefront_builder.resources``).
Paths are checked component by component: no dot files, no ``..``, and no symlinks at all (a link
inside a served folder could point anywhere), whatever aiohttp's static handler would allow.
"""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

from aiohttp import web

from server import keys
from server.domain.errors import NotFound
from server.http.security import page_policy
from storefront_builder.resources import bundled

SERVER_PACKAGE = Path(__file__).resolve().parents[2]
WEB_ROOT = bundled(SERVER_PACKAGE, "web_client", "web_client")
THREE_ROOT = bundled(SERVER_PACKAGE, "three", "node_modules/three")  # the wheel carries only what is imported
VENDOR_DIRS = {"build": THREE_ROOT / "build", "examples/jsm": THREE_ROOT / "examples" / "jsm"}

MEDIA_TYPES = {
    ".html": "text/html", ".js": "text/javascript", ".mjs": "text/javascript", ".css": "text/css",
    ".json": "application/json", ".png": "image/png", ".jpg": "image/jpeg", ".webp": "image/webp",
    ".svg": "image/svg+xml", ".woff2": "font/woff2", ".wasm": "application/wasm", ".glb": "model/gltf-binary",
}
_SEGMENT = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.@+-]*$")
PAGES = {"lobby": "index.html", "store": "store.html",
         "merchant": "merchant/index.html", "organizer": "organizer/index.html"}
# The client's own files change between releases without new names: revalidate every time (ETag → 304).
CLIENT_CACHE = "no-cache"
VENDOR_CACHE = "public, max-age=86400"


def safe_file(root: Path, relative: str) -> Path:
    """``root/relative`` if it is a regular, non-hidden file reached without any symlink; else NotFound."""
    parts = relative.split("/")
    if not relative or len(parts) > 12 or not all(_SEGMENT.match(p) and p not in (".", "..") for p in parts):
        raise NotFound("no such file")
    path = root
    for part in parts:
        path = path / part
        try:
            mode = os.lstat(path).st_mode
        except OSError:
            raise NotFound("no such file") from None
        if stat.S_ISLNK(mode):
            raise NotFound("no such file")
    if not stat.S_ISREG(mode) or path.suffix not in MEDIA_TYPES:
        raise NotFound("no such file")
    return path


def _file(path: Path, cache: str) -> web.FileResponse:
    # nosniff and the other hardening headers come from server.http.security, on every response.
    return web.FileResponse(path, headers={"Cache-Control": cache, "Content-Type": MEDIA_TYPES[path.suffix]})


TEST_HOOK_META = b'<meta name="vrstore-test-hook" content="on">'


async def _page(request: web.Request, name: str) -> web.Response:
    path = safe_file(WEB_ROOT, PAGES[name])
    import asyncio

    html = await asyncio.to_thread(path.read_bytes)
    if request.app[keys.SETTINGS].test_hooks:  # browser tests only: the page then installs window.vrstore
        html = html.replace(b"<head>", b"<head>\n  " + TEST_HOOK_META, 1)
    # The policy admits the page's inline import map by its hash: computed on the bytes actually sent.
    headers = {"Content-Security-Policy": page_policy(html, request.host), "Cache-Control": CLIENT_CACHE}
    return web.Response(body=html, content_type="text/html", charset="utf-8", headers=headers)


async def lobby(request: web.Request) -> web.Response:
    return await _page(request, "lobby")


async def store_page(request: web.Request) -> web.Response:
    # The page validates nothing about the store: the API answers 404 for an unknown one and the page says so.
    if not _SEGMENT.match(request.match_info["store"]):
        raise NotFound("no such store")
    return await _page(request, "store")


async def merchant_page(request: web.Request) -> web.Response:
    return await _page(request, "merchant")


async def organizer_page(request: web.Request) -> web.Response:
    return await _page(request, "organizer")


async def client_file(request: web.Request) -> web.FileResponse:
    return _file(safe_file(WEB_ROOT, request.match_info["path"]), CLIENT_CACHE)


async def vendor_file(request: web.Request) -> web.FileResponse:
    folder = request.match_info["folder"]
    if folder not in VENDOR_DIRS:
        raise NotFound("no such file")
    return _file(safe_file(VENDOR_DIRS[folder], request.match_info["path"]), VENDOR_CACHE)


def install(app: web.Application) -> None:
    app.router.add_get("/", lobby)
    app.router.add_get("/store/{store}", store_page)
    app.router.add_get("/merchant", merchant_page)
    app.router.add_get("/organizer", organizer_page)
    app.router.add_get("/web/{path:.+}", client_file)
    app.router.add_get("/vendor/three/{folder:build|examples/jsm}/{path:.+}", vendor_file)
