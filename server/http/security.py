"""Browser hardening headers, set on every response by one middleware, and the Content-Security-Policy of a page.

Every response says: do not guess my type (an upload must never turn into a script), do not frame me, and send
other sites no more of the address than the origin. A page carries a policy that admits only the server's own
scripts and the inline ones it ships (by hash); anything else gets a policy that allows nothing at all.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Awaitable, Callable

from aiohttp import web
from multidict import CIMultiDict

EVERY_RESPONSE = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",  # for browsers without CSP frame-ancestors
    "Referrer-Policy": "strict-origin-when-cross-origin",
}
# JSON, problems, images, scripts fetched as files: none of them is a document that should load anything.
NOTHING = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
_INLINE_SCRIPT = re.compile(rb"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", re.S)
_INLINE_STYLE = re.compile(rb"<style[^>]*>(.*?)</style>", re.S)
_STYLE_ATTRIBUTE = re.compile(rb"""\sstyle\s*=\s*["']""")
# A Host header goes into the policy only in this shape: a header value could otherwise add directives.
_HOST = re.compile(r"^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?$")


def page_policy(html: bytes, host: str | None) -> str:
    """The policy of one of our HTML pages: its own files, its inline scripts and styles by hash, its live socket."""
    styles = [_hash(body) for body in _INLINE_STYLE.findall(html)]
    if _STYLE_ATTRIBUTE.search(html):
        # Attributes cannot be allowed by hash (short of 'unsafe-hashes'); a page that has some needs this.
        styles = ["'unsafe-inline'"]
    # 'self' covers ws(s) of the same host only in CSP3 browsers; naming them keeps the live socket working in others.
    sockets = [f"ws://{host}", f"wss://{host}"] if host and _HOST.match(host) else []
    return _policy(
        ("default-src", "'self'"),
        # 'wasm-unsafe-eval' lets three.js's meshopt decoder compile its WebAssembly (scenes are meshopt-compressed);
        # it allows no JavaScript eval.
        ("script-src", "'self'", "'wasm-unsafe-eval'", *(_hash(body) for body in _INLINE_SCRIPT.findall(html))),
        ("style-src", "'self'", *styles),
        ("img-src", "'self'", "data:", "blob:"),
        # blob: and data: are how three.js's GLTFLoader reads the images embedded in a scene.
        ("connect-src", "'self'", *sockets, "blob:", "data:"),
        ("worker-src", "'self'"),
        ("object-src", "'none'"),
        ("base-uri", "'none'"),
        ("form-action", "'self'"),
        ("frame-ancestors", "'none'"),
    )


def document_policy(html: bytes) -> str:
    """The policy of a self-contained page (the API docs): its inline script and style by hash, fetches to us."""
    return _policy(
        ("default-src", "'none'"),
        ("script-src", *(_hash(body) for body in _INLINE_SCRIPT.findall(html))),
        ("style-src", *(_hash(body) for body in _INLINE_STYLE.findall(html))),
        ("connect-src", "'self'"),
        ("base-uri", "'none'"),
        ("form-action", "'none'"),
        ("frame-ancestors", "'none'"),
    )


def _policy(*directives: tuple[str, ...]) -> str:
    return "; ".join(" ".join(directive) for directive in directives)


def _hash(body: bytes) -> str:
    return f"'sha256-{base64.b64encode(hashlib.sha256(body).digest()).decode()}'"


def _harden(headers: CIMultiDict[str]) -> None:
    headers.update(EVERY_RESPONSE)
    headers.setdefault("Content-Security-Policy", NOTHING)  # pages set their own


@web.middleware
async def security_headers(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    try:
        response = await handler(request)
    except web.HTTPException as exc:  # redirects and 304s travel as exceptions past the problem middleware
        _harden(exc.headers)
        raise
    # A response prepared by its handler (the live WebSocket's 101) has sent its headers already.
    if not response.prepared:
        _harden(response.headers)
    return response
