"""The image fetcher against a real local HTTP server (tests/support/image_server.py): what it fetches, what it
refuses and with which outcome, and that a refused address is never connected to, redirects included."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from image_server import ImageServer, StaticResolver, image_server, png

from server.domain.fetch_policy import FetchPolicy
from server.image_fetch.fetch import Fetched, FetchLimits, fetch
from server.image_fetch.guard import guarded_session
from server.services.assets import check_upload

LIMITS = FetchLimits(max_bytes=1 << 20, timeout_s=5.0, total_s=20.0, max_redirects=3)


@pytest.fixture
async def served() -> AsyncIterator[tuple[ImageServer, ImageServer]]:
    """The trusted image server, and a second local server on another port that nobody trusts."""
    async with image_server() as trusted, image_server() as other:
        yield trusted, other


async def _fetch(server: ImageServer, url: str, tmp_path: Path, *, limits: FetchLimits = LIMITS,
                 mode: str = "any", hosts: tuple[str, ...] = (), resolver: Any = None) -> Fetched:
    policy = FetchPolicy(mode=mode, hosts=hosts, trusted=frozenset({("127.0.0.1", server.port)}))  # type: ignore[arg-type]
    async with guarded_session(policy, connections=2, resolver=resolver) as session:
        got = await fetch(session, policy, url, limits, tmp_path)
    if got.upload is not None:
        assert got.upload.path.parent == tmp_path
    return got


def _files(folder: Path) -> list[Path]:
    return list(folder.iterdir())


def _code(got: Fetched) -> str:
    return "downloaded" if got.upload is not None else got.refusal.code  # type: ignore[union-attr]


async def test_an_image_is_downloaded_whatever_its_content_type(served: Any, tmp_path: Path) -> None:
    server, _ = served
    for path in ("/ok.png", "/ok.jpg", "/png-as-text"):
        got = await _fetch(server, server.url(path), tmp_path)
        assert got.upload is not None and got.http_status == 200, (path, got)
        assert check_upload(str(got.upload.path), "image").ok  # what the job runs next, in the quick pool
    assert server.hits["/ok.png"] == 1


async def test_the_bytes_decide_the_type(served: Any, tmp_path: Path) -> None:
    server, _ = served
    got = await _fetch(server, server.url("/html.png"), tmp_path)  # says image/png, is HTML
    assert _code(got) == "not_an_image"
    assert _files(tmp_path) == []  # the temp file is gone
    # A PNG header over garbage passes the early look; the upload check (the job's next step) refuses it.
    got = await _fetch(server, server.url("/broken.png"), tmp_path)
    assert got.upload is not None
    report = check_upload(str(got.upload.path), "image")
    assert not report.ok and report.codes() == ["bad_image"]


async def test_a_50_megapixel_image_is_refused_from_its_header(served: Any, tmp_path: Path) -> None:
    server, _ = served
    started = time.monotonic()
    got = await _fetch(server, server.url("/huge.png"), tmp_path)  # its body never ends
    assert _code(got) == "too_many_pixels"
    assert "10000×5000" in got.refusal.detail  # type: ignore[union-attr]
    assert time.monotonic() - started < LIMITS.timeout_s  # decided on the header, not by waiting for the rest


@pytest.mark.parametrize("announced", [True, False])
async def test_a_body_over_the_limit_is_refused(served: Any, tmp_path: Path, announced: bool) -> None:
    server, _ = served
    got = await _fetch(server, server.url("/big.png" + ("?length=1" if announced else "")), tmp_path)
    assert _code(got) == "too_large"
    assert ("announced" in got.refusal.detail) is announced  # type: ignore[union-attr]
    assert _files(tmp_path) == []


async def test_a_silent_server_times_out(served: Any, tmp_path: Path) -> None:
    server, _ = served
    limits = FetchLimits(max_bytes=1 << 20, timeout_s=0.5, total_s=20.0, max_redirects=3)
    got = await _fetch(server, server.url("/silent.png"), tmp_path, limits=limits)
    assert _code(got) == "timeout"


async def test_a_server_that_drips_forever_meets_the_total_deadline(served: Any, tmp_path: Path) -> None:
    server, _ = served
    limits = FetchLimits(max_bytes=1 << 20, timeout_s=5.0, total_s=1.0, max_redirects=3)
    got = await _fetch(server, server.url("/drip.png"), tmp_path, limits=limits)
    assert _code(got) == "timeout" and "1 s" in got.refusal.detail  # type: ignore[union-attr]


async def test_redirects_are_followed_up_to_the_limit(served: Any, tmp_path: Path) -> None:
    server, _ = served
    assert _code(await _fetch(server, server.url("/hop/3"), tmp_path)) == "downloaded"  # 3 redirects
    assert _code(await _fetch(server, server.url("/hop/4"), tmp_path)) == "redirect_limit"
    assert server.hits["/hop/1"] == 2 and server.hits["/ok.png"] == 1  # /hop/1's redirect was the fourth


async def test_an_http_error_is_reported_with_its_status(served: Any, tmp_path: Path) -> None:
    server, _ = served
    got = await _fetch(server, server.url("/missing.png"), tmp_path)
    assert _code(got) == "http_status" and got.http_status == 404


@pytest.mark.parametrize("target", [
    "http://127.0.0.1:{other}/ok.png",  # loopback, another port than the trusted one
    "http://169.254.169.254/latest/meta-data/",  # the cloud metadata service
    "http://10.0.0.1/x.png",
    "http://[::ffff:127.0.0.1]:{port}/ok.png",  # the trusted address and port, spelt as IPv4-mapped IPv6
    "http://[::1]:{port}/ok.png",
    "http://192.168.0.1/x.png",
    "http://100.64.0.1/x.png",
])
async def test_a_redirect_into_a_refused_address_is_not_followed(served: Any, tmp_path: Path, target: str) -> None:
    server, other = served
    url = target.format(other=other.port, port=server.port)
    started = time.monotonic()
    got = await _fetch(server, server.url("/to?url=" + url), tmp_path)
    assert _code(got) == "refused_private_address"
    assert server.hits["/to"] == 1 and sum(other.hits.values()) == 0
    assert time.monotonic() - started < LIMITS.timeout_s  # refused outright, not after a connect attempt


@pytest.mark.parametrize(("target", "outcome"), [
    ("ftp://127.0.0.1/ok.png", "disallowed_scheme"),
    ("file:///etc/passwd", "disallowed_scheme"),
    ("http://2130706433:{port}/ok.png", "bad_url"),  # 127.0.0.1 as one number
    ("http://user:pw@127.0.0.1:{port}/ok.png", "bad_url"),
])
async def test_a_redirect_to_another_scheme_or_a_trick_url_is_refused(served: Any, tmp_path: Path, target: str,
                                                                      outcome: str) -> None:
    server, _ = served
    got = await _fetch(server, server.url("/to?url=" + target.format(port=server.port)), tmp_path)
    assert _code(got) == outcome
    assert server.hits["/ok.png"] == 0


async def test_the_address_checked_is_the_address_connected_to(served: Any, tmp_path: Path) -> None:
    """A name is resolved once, by the guard, and connected to at the address it checked, with the name kept in
    the Host header; a name resolving to a refused address (even among good ones) is never connected to."""
    server, other = served
    resolver = StaticResolver({
        "images.test": "127.0.0.1",
        "metadata.test": "169.254.169.254",
        "mixed.test": "127.0.0.1,10.0.0.1",
        "other-port.test": "127.0.0.1",
        # a rebinding DNS: the trusted address on the first lookup, a private one on any later lookup
        "rebind.test": ["127.0.0.1", "10.0.0.1"],
    })
    got = await _fetch(server, f"http://images.test:{server.port}/ok.png", tmp_path, resolver=resolver)
    assert got.upload is not None and server.hosts == [f"images.test:{server.port}"]
    for name in ("metadata.test", "mixed.test"):
        got = await _fetch(server, f"http://{name}:{server.port}/ok.png", tmp_path, resolver=resolver)
        assert _code(got) == "refused_private_address", name
    got = await _fetch(server, f"http://other-port.test:{other.port}/ok.png", tmp_path, resolver=resolver)
    assert _code(got) == "refused_private_address" and sum(other.hits.values()) == 0
    got = await _fetch(server, f"http://rebind.test:{server.port}/ok.png", tmp_path, resolver=resolver)
    assert got.upload is not None and resolver.lookups["rebind.test"] == 1  # no second lookup to rebind
    assert server.hits["/ok.png"] == 2


async def test_the_allowlist_is_checked_at_every_hop(served: Any, tmp_path: Path) -> None:
    server, _ = served
    resolver = StaticResolver({"images.test": "127.0.0.1", "elsewhere.test": "127.0.0.1"})
    kw: dict[str, Any] = {"mode": "allowlist", "hosts": ("images.test",), "resolver": resolver}
    assert _code(await _fetch(server, f"http://images.test:{server.port}/ok.png", tmp_path, **kw)) == "downloaded"
    assert _code(await _fetch(server, server.url("/ok.png"), tmp_path, **kw)) == "disallowed_host"
    hop = f"http://images.test:{server.port}/to?url=http://elsewhere.test:{server.port}/ok.png"
    assert _code(await _fetch(server, hop, tmp_path, **kw)) == "disallowed_host"
    assert server.hits["/ok.png"] == 1 and resolver.lookups["elsewhere.test"] == 0


async def test_off_requests_nothing(served: Any, tmp_path: Path) -> None:
    server, _ = served
    got = await _fetch(server, server.url("/ok.png"), tmp_path, mode="off")
    assert _code(got) == "fetch_off" and sum(server.hits.values()) == 0


def test_the_png_helper_is_a_png() -> None:
    assert png().startswith(b"\x89PNG")
