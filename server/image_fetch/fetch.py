"""Fetch one image URL into a temp file under the data directory, or say with a stable code why not.

Each hop (the URL, then every redirect's target, followed here and never by aiohttp) is checked by the policy
before it is requested, and connected to through the guarded session (``guard.py``). The body is streamed with a
byte limit; its first bytes decide the type (PNG, JPEG or WebP, whatever ``Content-Type`` says) and, from the
header alone, the pixel count, so a 50-megapixel image is dropped after a few dozen bytes without being decoded or
even downloaded. What arrives whole is then checked exactly like an upload (``services/assets.check_upload``, in
the quick pool, by the caller).
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import aiohttp
from yarl import URL

from server import __version__
from server.domain.fetch_policy import MAX_URL_BYTES, REDIRECT_STATUSES, FetchPolicy, Refusal
from server.image_fetch.guard import RefusedAddress
from server.storage import Upload
from storefront_builder.assets.image import declared_size, sniff_image
from storefront_builder.assets.report import MAX_IMAGE_SIDE, Reject

CHUNK = 64 * 1024
HEAD_BYTES = 256 * 1024  # how far into the body the header's size is looked for (a JPEG's EXIF comes first)
SNIFF_BYTES = 12  # enough for every signature sniff_image knows
HEADERS = {"User-Agent": f"vrstore-image-fetcher/{__version__}", "Accept": "image/png,image/jpeg,image/webp",
           "Accept-Encoding": "identity"}


@dataclass(frozen=True)
class FetchLimits:
    max_bytes: int
    timeout_s: float  # connecting, and the longest silence while reading
    total_s: float  # the whole URL, redirects included
    max_redirects: int
    max_side: int = MAX_IMAGE_SIDE  # the upload check's limit, read from the header before the body

    @property
    def max_pixels(self) -> int:
        return self.max_side * self.max_side


@dataclass(frozen=True)
class Fetched:
    """A fetch's end: the downloaded body (``upload``, a temp file the caller owns) or a refusal."""

    upload: Upload | None = None
    refusal: Refusal | None = None
    http_status: int | None = None


def _refused(code: str, detail: str, http_status: int | None = None) -> Fetched:
    return Fetched(refusal=Refusal(code, detail), http_status=http_status)  # type: ignore[arg-type]


def parse(policy: FetchPolicy, text: str) -> tuple[URL | None, Refusal | None]:
    """The URL as the client will request it, or why it is not requested (the policy's rules, plus URL form)."""
    if len(text.encode()) > MAX_URL_BYTES:
        return None, Refusal("bad_url", f"the URL is longer than {MAX_URL_BYTES} bytes")
    try:
        url = URL(text)
        host, port = url.raw_host, url.port
    except (ValueError, UnicodeError) as exc:
        return None, Refusal("bad_url", f"the URL does not parse: {exc}")
    if url.user is not None or url.password is not None:
        return None, Refusal("bad_url", "the URL carries a user name or password")
    refusal = policy.url_refusal(url.scheme, host, port)
    return (None, refusal) if refusal is not None else (url, None)


async def fetch(session: aiohttp.ClientSession, policy: FetchPolicy, text: str, limits: FetchLimits,
                tmp_dir: Path) -> Fetched:
    """Fetch ``text`` (see the module docstring); never raises for anything the remote side does."""
    try:
        async with asyncio.timeout(limits.total_s):
            return await _follow(session, policy, text, limits, tmp_dir)
    except TimeoutError:
        return _refused("timeout", f"no complete answer within {limits.total_s:g} s")


async def _follow(session: aiohttp.ClientSession, policy: FetchPolicy, text: str, limits: FetchLimits,
                  tmp_dir: Path) -> Fetched:
    timeout = aiohttp.ClientTimeout(total=None, connect=limits.timeout_s, sock_read=limits.timeout_s)
    for _hop in range(limits.max_redirects + 1):
        url, refusal = parse(policy, text)
        if url is None:
            return Fetched(refusal=refusal)
        try:
            async with session.get(url, allow_redirects=False, headers=HEADERS, timeout=timeout) as response:
                if response.status in REDIRECT_STATUSES:
                    location = response.headers.get("Location")
                    if not location:
                        return _refused("http_status", f"HTTP {response.status} without a Location", response.status)
                    try:
                        text = str(response.url.join(URL(location)))
                    except (ValueError, UnicodeError) as exc:
                        return _refused("bad_url", f"the redirect's Location does not parse: {exc}")
                    continue
                if response.status != 200:
                    return _refused("http_status", f"HTTP {response.status} {response.reason or ''}".rstrip(),
                                    response.status)
                return await _receive(response, limits, tmp_dir)
        except aiohttp.ClientConnectorError as exc:
            if isinstance(exc.os_error, RefusedAddress):
                return _refused("refused_private_address", exc.os_error.detail)
            return _refused("unreachable", f"cannot connect to {url.host}: {exc.os_error}")
        except aiohttp.InvalidURL as exc:
            return _refused("bad_url", f"the URL cannot be requested: {exc}")
        except (aiohttp.ServerTimeoutError, aiohttp.ConnectionTimeoutError) as exc:
            return _refused("timeout", f"{url.host} did not answer within {limits.timeout_s:g} s ({exc})")
        except aiohttp.ClientError as exc:
            return _refused("unreachable", f"{type(exc).__name__}: {exc}")
    return _refused("redirect_limit", f"more than {limits.max_redirects} redirects")


class _Head:
    """What the first bytes of the body say, judged as they arrive: the type, then the declared pixel count."""

    def __init__(self, limits: FetchLimits) -> None:
        self.limits = limits
        self.data = bytearray()
        self.format: str | None = None
        self.sized = False

    def feed(self, chunk: bytes, *, complete: bool = False) -> Refusal | None:
        if len(self.data) < HEAD_BYTES:
            self.data += chunk[:HEAD_BYTES - len(self.data)]
        if self.format is None and (len(self.data) >= SNIFF_BYTES or complete):
            self.format = sniff_image(bytes(self.data))
            if self.format is None:
                return Refusal("not_an_image", "the bytes are not PNG, JPEG or WebP")
        if self.format is not None and not self.sized:
            try:
                width, height = declared_size(bytes(self.data), self.format)
            except Reject:
                return None  # not all of the header is here yet (or it is broken: the full check will say)
            self.sized = True
            if width * height > self.limits.max_pixels or max(width, height) > self.limits.max_side:
                return Refusal("too_many_pixels", f"{width}×{height} pixels ({width * height / 1e6:.1f} MP); the "
                                                  f"limit is {self.limits.max_side}×{self.limits.max_side}")
        return None


async def _receive(response: aiohttp.ClientResponse, limits: FetchLimits, tmp_dir: Path) -> Fetched:
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > limits.max_bytes:
        return _refused("too_large", f"{int(declared):,} bytes announced; the limit is {limits.max_bytes:,}")
    fd, name = tempfile.mkstemp(dir=tmp_dir, prefix="fetch-")
    path = Path(name)
    digest, size, head = hashlib.sha256(), 0, _Head(limits)
    keep = False
    try:
        with os.fdopen(fd, "wb") as out:
            while chunk := await response.content.read(CHUNK):
                size += len(chunk)
                if size > limits.max_bytes:
                    return _refused("too_large", f"over the limit of {limits.max_bytes:,} bytes")
                digest.update(chunk)
                out.write(chunk)  # page-cache writes of one chunk, as Storage.receive does
                refusal = head.feed(chunk)
                if refusal is not None:
                    return Fetched(refusal=refusal)
            refusal = head.feed(b"", complete=True)
            if refusal is not None:
                return Fetched(refusal=refusal)
        keep = True
        return Fetched(upload=Upload(path, digest.hexdigest(), size), http_status=response.status)
    finally:
        if not keep:
            path.unlink(missing_ok=True)  # noqa: ASYNC240 - one unlink of a temp file
