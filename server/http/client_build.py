"""The client's production build (``web_client/dist/``, made by ``tools/build_client.mjs``) and the page rewrite.

The pages in ``web_client/`` name their unbundled modules (``/web/js/main.js`` through an import map) and
stylesheets. When the build exists, the page handler sends each page rewritten by :func:`use_build`: every
script ``src`` the manifest knows points to its hashed file, the entry's chunks get a
``<link rel="modulepreload">`` each (fetched at once instead of one import level per round trip), and the
import map goes (the bundle resolves ``three`` itself), so the page carries no inline script at all. The
page's stylesheets (minified, a few kB) are inlined as ``<style>`` (the page's policy admits them by hash): a
linked stylesheet blocks the first paint for a round trip, and on a phone's network that is the loading line
showing 0.2–0.5 s later. The page is revalidated with an ETag, so a second visit does not fetch them again.

Pure: the manifest's text in, a :class:`ClientBuild` out; a page's bytes in, the rewritten bytes out.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

MANIFEST = "manifest.json"
BUILD_PREFIX = "/web/dist/"
_IMPORT_MAP = re.compile(rb"""\s*<script type="importmap">.*?</script>""", re.S)
_REFERENCE = re.compile(rb"""(?P<attr>src|href)="(?P<url>/web/[A-Za-z0-9_./-]+)\"""")
_MODULE_SCRIPT = re.compile(rb"""<script type="module"[ >]""")
_HASHED = re.compile(r"^/web/dist/[A-Za-z0-9_-]+\.(js|css)$")
_STYLESHEET = re.compile(rb"""<link rel="stylesheet" href="(?P<url>/web/[A-Za-z0-9_./-]+)">""")
_SOURCE_MAP = re.compile(r"/\*# sourceMappingURL=([A-Za-z0-9_.-]+) \*/\s*$")
INLINE_STYLE_LIMIT = 32 * 1024  # larger stylesheets stay linked (and cached on their own)


class BadManifest(ValueError):
    """The build's manifest is not what tools/build_client.mjs writes."""


@dataclass(frozen=True)
class ClientBuild:
    files: dict[str, str]  # /web/js/main.js → /web/dist/main-XXXXXXXX.js
    preload: dict[str, tuple[str, ...]]  # entry → the chunks it imports before it runs
    sources: tuple[str, ...]  # web_client-relative inputs (a checkout serves modules when one is newer)
    styles: dict[str, str] = field(default_factory=dict)  # /web/css/app.css → its minified text, to inline


def inlinable(css: str) -> str | None:
    """The built stylesheet's text for a <style> element, its source map named absolutely; None if it must stay
    a file (too large, relative url()s, or a way to close the element early)."""
    if len(css) > INLINE_STYLE_LIMIT or "url(" in css or "</" in css:
        return None
    return _SOURCE_MAP.sub(lambda m: f"/*# sourceMappingURL=/web/dist/{m[1]} */", css)


def parse_manifest(text: str) -> ClientBuild:
    """The manifest's content, checked: only hashed build URLs, so a page can never be pointed elsewhere."""
    try:
        raw = json.loads(text)
        files = {str(k): str(v) for k, v in raw["files"].items()}
        preload = {str(k): tuple(str(u) for u in v) for k, v in raw["preload"].items()}
        sources = tuple(str(s) for s in raw["sources"])
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise BadManifest(f"unreadable client build manifest: {exc}") from None
    urls = [*files.values(), *(u for chunk in preload.values() for u in chunk)]
    if raw.get("version") != 1 or not all(_HASHED.match(u) for u in urls):
        raise BadManifest("client build manifest: unknown version or a file outside /web/dist/")
    return ClientBuild(files, preload, sources)


def use_build(html: bytes, build: ClientBuild) -> bytes:
    """The page loading the hashed build instead of the module graph (see the module docstring)."""
    html = _IMPORT_MAP.sub(b"", html, count=1)
    preloads: list[str] = []

    def swap(match: re.Match[bytes]) -> bytes:
        url = match["url"].decode()
        hashed = build.files.get(url)
        if hashed is None:
            return match[0]
        preloads.extend(u for u in build.preload.get(url, ()) if u not in preloads)
        return match["attr"] + b'="' + hashed.encode() + b'"'

    def inline(match: re.Match[bytes]) -> bytes:
        css = build.styles.get(match["url"].decode())
        return match[0] if css is None else b"<style>" + css.encode() + b"</style>"

    html = _STYLESHEET.sub(inline, html)
    html = _REFERENCE.sub(swap, html)
    if preloads:
        links = b"".join(b'<link rel="modulepreload" href="' + u.encode() + b'">\n  ' for u in preloads)
        first_module = _MODULE_SCRIPT.search(html)
        if first_module:
            html = html[:first_module.start()] + links + html[first_module.start():]
    return html
