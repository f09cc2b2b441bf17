"""The shopper client: its pages, its static files and the parts of three.js it imports.

Only these are ever served: ``web_client/`` (the client itself), ``build/`` and ``examples/jsm/`` of the
``three`` npm package (under ``/vendor/three/``) and uPlot's two files (``/vendor/uplot/``, the organizer
dashboard's charts), so the browser needs no CDN.
In an installed wheel they are the copies inside the package (``storefront_builder.resources``).
When the client's production build exists (``web_client/dist/``, see ``server.http.client_build``) and
``VRSTORE_CLIENT_BUILD`` is on, the pages load its hashed bundles: those are cached for a year (a new build
has new names) and sent as their precompressed ``.br``/``.gz`` copy when the browser accepts one
(aiohttp's FileResponse picks the sibling and sets ``Content-Encoding`` and ``Vary``). The pages themselves
are revalidated every time. In a checkout, a build older than any of its sources is ignored (with one
warning), so a developer who edits a module and reloads gets the module.
Paths are checked component by component: no dot files, no ``..``, and no symlinks at all (a link
inside a served folder could point anywhere), whatever aiohttp's static handler would allow.
A browser that asks for a page we do not have (a GET for HTML outside ``/api/``) gets a small 404 page in Korean
and English with a link to the lobby (``not_found_pages``); ``/store/<slug>`` of a store shoppers cannot visit
gets the store's version of it instead of an empty store page. API clients keep their problem+json.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import logging
import os
import re
import stat
from collections.abc import Awaitable, Callable
from pathlib import Path

from aiohttp import web

from server import keys
from server.domain.errors import NotFound
from server.http.client_build import (
    BUILD_PREFIX,
    MANIFEST,
    BadManifest,
    ClientBuild,
    inlinable,
    parse_manifest,
    use_build,
)
from server.http.security import page_policy
from server.keys import database_of
from server.services import access, stores
from storefront_builder.resources import bundled

SERVER_PACKAGE = Path(__file__).resolve().parents[2]
WEB_ROOT = bundled(SERVER_PACKAGE, "web_client", "web_client")
THREE_ROOT = bundled(SERVER_PACKAGE, "three", "node_modules/three")  # the wheel carries only what is imported
VENDOR_DIRS = {"build": THREE_ROOT / "build", "examples/jsm": THREE_ROOT / "examples" / "jsm"}
UPLOT_ROOT = bundled(SERVER_PACKAGE, "uplot", "node_modules/uplot/dist")  # the organizer dashboard's charts
UPLOT_FILES = ("uPlot.esm.js", "uPlot.min.css")

MEDIA_TYPES = {
    ".html": "text/html", ".js": "text/javascript", ".mjs": "text/javascript", ".css": "text/css",
    ".json": "application/json", ".png": "image/png", ".jpg": "image/jpeg", ".webp": "image/webp",
    ".svg": "image/svg+xml", ".woff2": "font/woff2", ".wasm": "application/wasm", ".glb": "model/gltf-binary",
    ".map": "application/json",  # the build's source maps, beside its bundles
}
_SEGMENT = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.@+-]*$")
PAGES = {"lobby": "index.html", "store": "store.html", "order": "order.html",
         "merchant": "merchant/index.html", "organizer": "organizer/index.html",
         "not_found": "not_found.html", "store_not_found": "store_not_found.html"}
PLAZA = "plaza"  # /store/plaza is the festival plaza, never a store (contracts/foundation.py reserves the slug)
# The client's own files change between releases without new names: revalidate every time (ETag → 304).
CLIENT_CACHE = "no-cache"
VENDOR_CACHE = "public, max-age=86400"
# The build's hashed files never change under their name.
BUILD_CACHE = "public, max-age=31536000, immutable"
BUILD_DIR = WEB_ROOT / "dist"
FROM_CHECKOUT = WEB_ROOT.parent.name != "_bundle"  # a wheel's build is made with its sources, never stale

log = logging.getLogger(__name__)


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


class _LastBuild:
    """The manifest read last, by its (mtime, size), so a page does not re-read it; a rebuild is picked up."""

    key: tuple[int, int] | None = None
    build: ClientBuild | None = None
    stale_warned = False


def _read_build() -> ClientBuild | None:
    """The production build the pages should load, or None (no build, a bad one, or older than its sources)."""
    try:
        st = (BUILD_DIR / MANIFEST).stat()
    except OSError:
        return None
    last = _LastBuild
    if last.key != (st.st_mtime_ns, st.st_size):
        try:
            last.build = _with_styles(parse_manifest((BUILD_DIR / MANIFEST).read_text("utf-8")))
        except (OSError, BadManifest) as exc:
            log.warning("web client: not using the build in %s: %s", BUILD_DIR, exc)
            last.build = None
        last.key, last.stale_warned = (st.st_mtime_ns, st.st_size), False
    if last.build is not None and FROM_CHECKOUT and _newest(last.build.sources) > st.st_mtime_ns:
        if not last.stale_warned:
            log.warning("web client: a source is newer than the build: serving the unbundled modules "
                        "(rebuild with `node tools/build_client.mjs`)")
            last.stale_warned = True
        return None
    return last.build


def _with_styles(build: ClientBuild) -> ClientBuild:
    """The build with the text of each stylesheet small enough to inline into the pages."""
    styles = {}
    for source, url in build.files.items():
        if url.endswith(".css") and (css := inlinable((BUILD_DIR / url.removeprefix(BUILD_PREFIX)).read_text("utf-8"))):
            styles[source] = css
    return dataclasses.replace(build, styles=styles)


def _newest(sources: tuple[str, ...]) -> int:
    newest = 0
    for source in sources:
        try:
            newest = max(newest, (WEB_ROOT / source).stat().st_mtime_ns)
        except OSError:
            return 1 << 62  # a source is gone: the build is of something else
    return newest


async def _page(request: web.Request, name: str, status: int = 200, preloads: tuple[str, ...] = ()) -> web.Response:
    path = safe_file(WEB_ROOT, PAGES[name])
    html = await asyncio.to_thread(path.read_bytes)
    if preloads:
        html = html.replace(b"</head>", b"".join(_preload(url) for url in preloads) + b"</head>", 1)
    if request.app[keys.SETTINGS].client_build and (build := await asyncio.to_thread(_read_build)):
        html = use_build(html, build)
    if request.app[keys.SETTINGS].test_hooks:  # browser tests only: the page then installs window.vrstore
        html = html.replace(b"<head>", b"<head>\n  " + TEST_HOOK_META, 1)
    # The policy admits the page's inline import map by its hash: computed on the bytes actually sent.
    policy = page_policy(html, request.host)
    # no-cache: revalidated on every visit, so a new build reaches everyone at once; the ETag makes that a 304.
    # Weak: the same page is sent gzipped or not, byte-different but equivalent.
    etag = 'W/"' + hashlib.sha256(html + policy.encode()).hexdigest()[:24] + '"'
    headers = {"Content-Security-Policy": policy, "Cache-Control": CLIENT_CACHE, "ETag": etag,
               "Vary": "Accept-Encoding"}
    if status == 200 and etag in {tag.strip() for tag in request.headers.get("If-None-Match", "").split(",")}:
        return web.Response(status=304, headers=headers)
    response = web.Response(status=status, body=html, content_type="text/html", charset="utf-8", headers=headers)
    if "gzip" in request.headers.get("Accept-Encoding", "").lower():
        response.enable_compression(web.ContentCoding.gzip)  # the store page is ~10 kB of markup: ~3 kB
    return response


async def lobby(request: web.Request) -> web.Response:
    return await _page(request, "lobby")


class UnknownStore(NotFound):
    """No store a shopper may visit has this slug: a browser gets the store's not-found page."""


async def store_page(request: web.Request) -> web.Response:
    slug = request.match_info["store"]
    if not _SEGMENT.match(slug):
        raise UnknownStore("no such store")
    preloads: tuple[str, ...] = ()
    if slug != PLAZA:
        # The rule of who may see a store is the API's (approved ones, publicly); the page's scripts could only
        # say so after loading a whole store page for nothing.
        async with database_of(request).read() as db:
            try:
                store = await access.visible_store(db, None, slug)
            except NotFound:
                raise UnknownStore("no such store") from None
        if scene := stores.scene_ref(store.scene_hash):
            # The page fetches its store's scene first thing, but only once its script has arrived and run and the
            # store's answer named the scene: the browser can start both downloads with the page instead (on 4G
            # the page's last byte came ~0.25 s sooner, measured in the page's Resource Timing).
            preloads = (scene.glb, scene.manifest)
    return await _page(request, "store", preloads=preloads)


def _preload(url: str) -> bytes:
    # As a fetch with crossorigin="anonymous": what the page's own fetch(url) asks for (mode cors, same-origin
    # credentials), so the browser hands it the preloaded answer instead of downloading the scene twice. Low
    # priority: the bundles, which must arrive and run first, go ahead of it on HTTP/1.1's six connections.
    return f'  <link rel="preload" href="{url}" as="fetch" crossorigin="anonymous" fetchpriority="low">\n'.encode()


async def order_page(request: web.Request) -> web.Response:
    # A stable address for an order group: the page reads it through the API (404 there for anyone but its members).
    if not request.match_info["group"].isascii() or not request.match_info["group"].isdigit():
        raise NotFound("no such order")
    return await _page(request, "order")


async def merchant_page(request: web.Request) -> web.Response:
    return await _page(request, "merchant")


async def organizer_page(request: web.Request) -> web.Response:
    return await _page(request, "organizer")


async def client_file(request: web.Request) -> web.FileResponse:
    relative = request.match_info["path"]
    build_file = ("/web/" + relative).removeprefix(BUILD_PREFIX)
    if build_file == "/web/" + relative:
        return _file(safe_file(WEB_ROOT, relative), CLIENT_CACHE)
    path = safe_file(BUILD_DIR, build_file)
    if path.name != MANIFEST:
        # Vary on every answer, not only the compressed ones aiohttp marks: a cache must not hand the
        # uncompressed copy it stored for one client to all.
        return web.FileResponse(path, headers={"Cache-Control": BUILD_CACHE, "Vary": "Accept-Encoding",
                                               "Content-Type": MEDIA_TYPES[path.suffix]})
    return _file(path, CLIENT_CACHE)


async def vendor_file(request: web.Request) -> web.FileResponse:
    folder = request.match_info["folder"]
    if folder not in VENDOR_DIRS:
        raise NotFound("no such file")
    return _file(safe_file(VENDOR_DIRS[folder], request.match_info["path"]), VENDOR_CACHE)


async def uplot_file(request: web.Request) -> web.FileResponse:
    return _file(safe_file(UPLOT_ROOT, request.match_info["name"]), VENDOR_CACHE)


def wants_page(request: web.Request) -> bool:
    """A browser finding its way (a GET or HEAD that accepts HTML) outside the API, which keeps problem+json."""
    if request.method not in ("GET", "HEAD") or request.path == "/api" or request.path.startswith("/api/"):
        return False
    accepted = (part.split(";")[0].strip().lower() for part in request.headers.get("Accept", "").split(","))
    return "text/html" in accepted


@web.middleware
async def not_found_pages(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """A browser's 404 as a page it can read (Korean and English, a link to the lobby), not as problem+json.

    It sits inside the problem middleware, so every other answer, and every answer to an API client, is as before.
    """
    try:
        return await handler(request)
    except (NotFound, web.HTTPNotFound) as exc:
        if not wants_page(request):
            raise
        return await _page(request, "store_not_found" if isinstance(exc, UnknownStore) else "not_found", status=404)


def install(app: web.Application) -> None:
    app.router.add_get("/", lobby)
    app.router.add_get("/store/{store}", store_page)
    app.router.add_get("/orders/{group}", order_page)
    app.router.add_get("/merchant", merchant_page)
    app.router.add_get("/organizer", organizer_page)
    app.router.add_get("/web/{path:.+}", client_file)
    app.router.add_get("/vendor/three/{folder:build|examples/jsm}/{path:.+}", vendor_file)
    app.router.add_get("/vendor/uplot/{name:uPlot\\.esm\\.js|uPlot\\.min\\.css}", uplot_file)
