"""The client's production build as served: pages rewritten to the hashed bundles, precompressed copies with
the right Content-Encoding and Vary, a year of immutable caching for hashed files, and the unbundled modules
when the setting or a stale build says so.

The build is made for real (``tools/build_client.mjs --out``) into a temporary folder the server is pointed at,
so engineers editing ``web_client/`` meanwhile cannot make it stale under the test.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import os
import re
import shutil
import subprocess
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from factories import make_settings, running_client

from server.http import client_build
from server.http.client_build import BadManifest, ClientBuild, inlinable, parse_manifest, use_build
from server.http.handlers import web

ROOT = Path(__file__).resolve().parents[2]
IMMUTABLE = "public, max-age=31536000, immutable"
PAGES = {"/": "/web/js/lobby.js", "/store/plaza": "/web/js/main.js", "/merchant": "/web/merchant/app.js",
         "/organizer": "/web/organizer/app.js"}


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    node = shutil.which("node")
    assert node, "node is required: scripts/setup.sh installs it"
    out = tmp_path_factory.mktemp("client") / "dist"
    subprocess.run([node, str(ROOT / "tools" / "build_client.mjs"), "--quiet", "--out", str(out)], cwd=ROOT,
                   check=True, timeout=300)
    return out


@pytest.fixture
def build_dir(built: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setattr(web, "BUILD_DIR", built)
    monkeypatch.setattr(web, "FROM_CHECKOUT", False)  # as in a wheel, until a test says otherwise
    monkeypatch.setattr(web._LastBuild, "key", None)
    yield built


@pytest.fixture
async def client(build_dir: Path, tmp_path: Path) -> AsyncIterator[TestClient[Any, Any]]:
    async with running_client(make_settings(tmp_path, f"sqlite+aiosqlite:///{tmp_path / 'db'}")) as c:
        yield c


def _b64(css: str) -> str:
    return base64.b64encode(hashlib.sha256(css.encode()).digest()).decode()


def _references(html: str) -> list[str]:
    return re.findall(r'(?:src|href)="(/web/[^"]+)"', html)


@pytest.mark.parametrize("page", PAGES)
async def test_pages_load_the_hashed_bundle_and_its_chunks_without_an_import_map(
    client: TestClient[Any, Any], build_dir: Path, page: str
) -> None:
    r = await client.get(page)
    html = await r.text()
    assert r.status == 200 and r.headers["Cache-Control"] == "no-cache"
    assert 'type="importmap"' not in html and "<script>" not in html
    manifest = json.loads((build_dir / "manifest.json").read_text())
    entry = manifest["files"][PAGES[page]]
    assert f'<script type="module" src="{entry}"></script>' in html
    for chunk in manifest["preload"][PAGES[page]]:
        assert f'<link rel="modulepreload" href="{chunk}">' in html
    # Nothing of the page's own still points at an unbundled module or stylesheet.
    assert all(url.startswith("/web/dist/") for url in _references(html)), _references(html)
    # No inline script is left, so the policy admits none; the inlined stylesheets it admits by hash.
    policy = {d.split()[0]: d.split()[1:] for d in r.headers["Content-Security-Policy"].split(";") if d.strip()}
    assert not any("sha256-" in v for v in policy["script-src"])
    styles = re.findall(r"<style>(.*?)</style>", html, re.S)
    assert styles and 'rel="stylesheet" href="/web/' not in html
    hashes = ["'unsafe-inline'"] if ' style="' in html else [f"'sha256-{_b64(css)}'" for css in styles]
    assert policy["style-src"] == ["'self'", *hashes]
    assert all("sourceMappingURL=/web/dist/" in css for css in styles)
    for url in _references(html):
        got = await client.get(url)
        assert got.status == 200, url
    raw = await client.get(page, headers={"Accept-Encoding": "gzip"}, auto_decompress=False)
    assert raw.headers["Content-Encoding"] == "gzip" and gzip.decompress(await raw.read()).decode() == html
    # The page is revalidated on every visit (a new build reaches everyone at once): a 304 while unchanged.
    again = await client.get(page, headers={"If-None-Match": r.headers["ETag"]})
    assert again.status == 304 and again.headers["Content-Security-Policy"] == r.headers["Content-Security-Policy"]


async def test_bundles_come_precompressed_with_encoding_vary_and_a_year_of_caching(
    client: TestClient[Any, Any], build_dir: Path
) -> None:
    main = json.loads((build_dir / "manifest.json").read_text())["files"]["/web/js/main.js"]
    plain = (build_dir / Path(main).name).read_bytes()
    for accept, encoding, suffix in (("gzip, deflate, br", "br", ".br"), ("gzip", "gzip", ".gz"), ("", None, "")):
        r = await client.get(main, headers={"Accept-Encoding": accept}, auto_decompress=False)
        body = await r.read()
        assert r.status == 200, accept
        assert r.headers.get("Content-Encoding") == encoding, accept
        assert r.headers["Vary"] == "Accept-Encoding" and r.headers["Cache-Control"] == IMMUTABLE
        assert r.headers["Content-Type"].startswith("text/javascript")
        assert body == (build_dir / (Path(main).name + suffix)).read_bytes()
        assert int(r.headers["Content-Length"]) == len(body)
        if encoding == "gzip":
            assert gzip.decompress(body) == plain
    assert len((build_dir / (Path(main).name + ".br")).read_bytes()) < len(plain) / 3  # minified JS packs well
    # A revalidation of a hashed file is a 304 (browsers rarely ask: immutable); each encoding has its own ETag.
    r = await client.get(main, headers={"If-None-Match": r.headers["ETag"], "Accept-Encoding": ""})
    assert r.status == 304
    # The compressed copies and the manifest are not files of their own to the outside world.
    assert (await client.get(main + ".br")).status == 404
    manifest = await client.get("/web/dist/manifest.json")
    assert manifest.headers["Cache-Control"] == "no-cache"


async def test_source_maps_are_served_beside_the_bundles(client: TestClient[Any, Any], build_dir: Path) -> None:
    main = json.loads((build_dir / "manifest.json").read_text())["files"]["/web/js/main.js"]
    text = await (await client.get(main)).text()
    (map_name,) = re.findall(r"//# sourceMappingURL=(\S+)\s*$", text)
    r = await client.get("/web/dist/" + map_name)
    assert r.status == 200 and r.headers["Content-Type"].startswith("application/json")
    assert "js/main.js" in " ".join(json.loads(await r.read())["sources"])


async def test_the_setting_off_serves_the_unbundled_modules(build_dir: Path, tmp_path: Path) -> None:
    settings = make_settings(tmp_path, f"sqlite+aiosqlite:///{tmp_path / 'db'}", client_build=False)
    async with running_client(settings) as c:
        html = await (await c.get("/store/plaza")).text()
        assert 'type="importmap"' in html and 'src="/web/js/main.js"' in html and "/web/dist/" not in html
        r = await c.get("/web/js/main.js", headers={"Accept-Encoding": "gzip, br"})
        assert r.status == 200 and "Content-Encoding" not in r.headers and r.headers["Cache-Control"] == "no-cache"


async def test_a_checkout_ignores_a_build_older_than_its_sources(
    client: TestClient[Any, Any], build_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(web, "FROM_CHECKOUT", True)
    manifest = build_dir / "manifest.json"
    fresh = manifest.stat()
    try:
        os.utime(manifest, ns=(fresh.st_atime_ns, max(s.stat().st_mtime_ns for s in _sources(build_dir)) + 10**9))
        assert "/web/dist/" in await (await client.get("/store/plaza")).text()
        os.utime(manifest, ns=(fresh.st_atime_ns, 10**9))  # 1970: every source is newer
        html = await (await client.get("/store/plaza")).text()
        assert 'src="/web/js/main.js"' in html and "/web/dist/" not in html
    finally:
        os.utime(manifest, ns=(fresh.st_atime_ns, fresh.st_mtime_ns))


def _sources(build_dir: Path) -> list[Path]:
    return [web.WEB_ROOT / s for s in json.loads((build_dir / "manifest.json").read_text())["sources"]]


async def test_no_build_serves_the_modules(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(web, "BUILD_DIR", tmp_path / "nothing")
    monkeypatch.setattr(web._LastBuild, "key", None)
    async with running_client(make_settings(tmp_path, f"sqlite+aiosqlite:///{tmp_path / 'db'}")) as c:
        html = await (await c.get("/store/plaza")).text()
        assert 'type="importmap"' in html and 'src="/web/js/main.js"' in html
        assert (await c.get("/web/dist/main.js")).status == 404


# ---------------------------------------------------------------- the pure parts

GOOD = {"version": 1,
        "files": {"/web/js/main.js": "/web/dist/main-AB12.js", "/web/css/app.css": "/web/dist/app-C3.css"},
        "preload": {"/web/js/main.js": ["/web/dist/chunk-X1.js", "/web/dist/chunk-Y2.js"]}, "sources": ["js/main.js"]}
PAGE = b"""<head>
  <link rel="stylesheet" href="/web/css/app.css">
  <script type="importmap">{"imports": {"three": "/vendor/three/build/three.module.js"}}</script>
  <script type="module" src="/web/js/loading.js"></script>
  <script type="module" src="/web/js/main.js"></script>
  <link rel="stylesheet" href="/vendor/uplot/uPlot.min.css">
</head>"""


def test_use_build_rewrites_what_the_manifest_knows_and_leaves_the_rest() -> None:
    html = use_build(PAGE, parse_manifest(json.dumps(GOOD)))
    assert b"importmap" not in html
    assert b'href="/web/dist/app-C3.css"' in html and b'src="/web/dist/main-AB12.js"' in html
    styled = replace(parse_manifest(json.dumps(GOOD)), styles={"/web/css/app.css": "body{color:red}"})
    assert b"<style>body{color:red}</style>" in use_build(PAGE, styled) and b"app-C3.css" not in use_build(PAGE, styled)
    assert b'src="/web/js/loading.js"' in html  # not in this manifest: left alone
    assert b'href="/vendor/uplot/uPlot.min.css"' in html
    assert html.count(b"modulepreload") == 2
    assert html.index(b"chunk-Y2.js") < html.index(b'src="/web/js/loading.js"')  # preloads before the scripts


@pytest.mark.parametrize(("css", "inlined"), [
    ("a{b:c}\n/*# sourceMappingURL=app-C3.css.map */\n", "a{b:c}\n/*# sourceMappingURL=/web/dist/app-C3.css.map */"),
    ("a{background:url(x-1.png)}", None),  # a relative url() would resolve against the page
    ("a{content:'</style><script>'}", None),
    ("a{b:c}" * 10_000, None),
])
def test_only_small_self_contained_stylesheets_are_inlined(css: str, inlined: str | None) -> None:
    assert inlinable(css) == inlined


@pytest.mark.parametrize("bad", [
    "{", "[]", json.dumps({**GOOD, "version": 2}),
    json.dumps({**GOOD, "files": {"/web/js/main.js": "https://elsewhere.example/main.js"}}),
    json.dumps({**GOOD, "preload": {"/web/js/main.js": ["/web/dist/../../secret.js"]}}),
    json.dumps({k: v for k, v in GOOD.items() if k != "sources"}),
])
def test_a_manifest_that_points_anywhere_else_is_refused(bad: str) -> None:
    with pytest.raises(BadManifest):
        parse_manifest(bad)


def test_a_bad_manifest_leaves_the_pages_unbundled(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / client_build.MANIFEST).write_text("{not json")
    monkeypatch.setattr(web, "BUILD_DIR", tmp_path)
    monkeypatch.setattr(web, "FROM_CHECKOUT", False)
    monkeypatch.setattr(web._LastBuild, "key", None)
    assert web._read_build() is None
    (tmp_path / client_build.MANIFEST).write_text(json.dumps(GOOD) + "\n")  # another size: read again
    assert web._read_build() is None  # its stylesheet is missing: not a build to serve
    (tmp_path / "app-C3.css").write_text("body{margin:0}")
    (tmp_path / client_build.MANIFEST).write_text(json.dumps(GOOD) + "\n\n")
    build = web._read_build()
    assert isinstance(build, ClientBuild) and build.styles == {"/web/css/app.css": "body{margin:0}"}
