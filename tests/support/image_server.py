"""A real local HTTP server for the image fetcher's tests: images, lies, bombs, slow answers and redirects.

It listens on 127.0.0.1, which the fetcher's SSRF guard refuses, so tests pass its (address, port) to the guard
as trusted (``TestNetwork``); any other loopback port stays refused. ``hits`` counts requests per path, and
``hosts`` records the Host header of each, so a test can show what reached the server and what never did.
``arrived[path]`` is set once a request for ``path`` came in. ``release`` ends every handler that hangs on purpose
(set it before stopping the server).
"""

from __future__ import annotations

import asyncio
import io
import socket
import struct
import zlib
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from aiohttp import web
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.test_utils import TestServer
from PIL import Image

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def png(size: tuple[int, int] = (8, 8), colour: tuple[int, int, int] = (10, 200, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, "PNG")
    return out.getvalue()


def jpeg(size: tuple[int, int] = (16, 16)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 10)).save(out, "JPEG")
    return out.getvalue()


def png_header(width: int, height: int) -> bytes:
    """The signature and IHDR chunk of a PNG declaring ``width``×``height``: all a pixel check needs to read."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    chunk = b"IHDR" + ihdr
    return b"\x89PNG\r\n\x1a\n" + struct.pack(">I", len(ihdr)) + chunk + struct.pack(">I", zlib.crc32(chunk))


@dataclass
class ImageServer:
    server: TestServer
    release: asyncio.Event
    hits: Counter[str] = field(default_factory=Counter)
    hosts: list[str] = field(default_factory=list)
    arrived: defaultdict[str, asyncio.Event] = field(default_factory=lambda: defaultdict(asyncio.Event))

    @property
    def port(self) -> int:
        port = self.server.port
        assert port is not None
        return port

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"


def _app(state: ImageServer, big_bytes: int) -> web.Application:
    @web.middleware
    async def count(request: web.Request, handler: Handler) -> web.StreamResponse:
        state.hits[request.path] += 1
        state.hosts.append(request.headers.get("Host", ""))
        state.arrived[request.path].set()
        return await handler(request)

    async def hang(response: web.StreamResponse) -> web.StreamResponse:
        await state.release.wait()
        return response

    async def ok_png(_: web.Request) -> web.Response:
        return web.Response(body=png(), content_type="image/png")

    async def ok_jpeg(_: web.Request) -> web.Response:
        return web.Response(body=jpeg(), content_type="image/jpeg")

    async def png_called_text(_: web.Request) -> web.Response:  # the bytes decide, not the header
        return web.Response(body=png((4, 4)), content_type="text/plain")

    async def html_called_png(_: web.Request) -> web.Response:
        return web.Response(body=b"<html><script>alert(1)</script></html>" * 10, content_type="image/png")

    async def broken_png(_: web.Request) -> web.Response:  # a valid header, then garbage: only decoding tells
        return web.Response(body=png_header(8, 8) + b"\x00" * 64, content_type="image/png")

    async def huge_png(request: web.Request) -> web.StreamResponse:
        # 10,000 × 5,000 = 50 megapixels declared, then the body never ends: refused from the header alone.
        response = web.StreamResponse(headers={"Content-Type": "image/png"})
        await response.prepare(request)
        await response.write(png_header(10_000, 5_000))
        return await hang(response)

    async def big(request: web.Request) -> web.StreamResponse:
        body = png_header(8, 8) + b"\x00" * big_bytes
        if request.query.get("length") == "1":
            return web.Response(body=body, content_type="image/png")
        response = web.StreamResponse(headers={"Content-Type": "image/png"})  # chunked: no length announced
        await response.prepare(request)
        for start in range(0, len(body), 64 * 1024):
            await response.write(body[start:start + 64 * 1024])
        await response.write_eof()
        return response

    async def silent(request: web.Request) -> web.StreamResponse:  # starts an image, then says nothing more
        response = web.StreamResponse(headers={"Content-Type": "image/png"})
        await response.prepare(request)
        await response.write(png()[:20])
        return await hang(response)

    async def drip(request: web.Request) -> web.StreamResponse:  # never silent for long, never done
        response = web.StreamResponse(headers={"Content-Type": "image/png"})
        await response.prepare(request)
        data = png()
        for i in range(10_000):
            await response.write(data[i % len(data):i % len(data) + 1])
            try:
                await asyncio.wait_for(state.release.wait(), 0.1)
                break
            except TimeoutError:
                continue
        return response

    async def hop(request: web.Request) -> web.Response:  # /hop/3 → /hop/2 → … → /ok.png (relative Locations)
        n = int(request.match_info["n"])
        raise web.HTTPFound("/ok.png" if n <= 1 else f"/hop/{n - 1}")

    async def to(request: web.Request) -> web.Response:  # a redirect to wherever ?url= says
        raise web.HTTPFound(request.query["url"])

    async def missing(_: web.Request) -> web.Response:
        raise web.HTTPNotFound()

    app = web.Application(middlewares=[count])
    app.router.add_get("/ok.png", ok_png)
    app.router.add_get("/ok.jpg", ok_jpeg)
    app.router.add_get("/png-as-text", png_called_text)
    app.router.add_get("/html.png", html_called_png)
    app.router.add_get("/broken.png", broken_png)
    app.router.add_get("/huge.png", huge_png)
    app.router.add_get("/big.png", big)
    app.router.add_get("/silent.png", silent)
    app.router.add_get("/drip.png", drip)
    app.router.add_get("/hop/{n}", hop)
    app.router.add_get("/to", to)
    app.router.add_get("/missing.png", missing)
    return app


@asynccontextmanager
async def image_server(*, big_bytes: int = 2 << 20) -> AsyncIterator[ImageServer]:
    """The server on 127.0.0.1 and a free port, stopped (after releasing every hanging handler) on exit."""
    release = asyncio.Event()
    state = ImageServer(server=None, release=release)  # type: ignore[arg-type]
    state.server = TestServer(_app(state, big_bytes), host="127.0.0.1")
    await state.server.start_server()
    try:
        yield state
    finally:
        release.set()
        await state.server.close()


class StaticResolver(AbstractResolver):
    """Answers made-up host names from a table (a stand-in for DNS, which tests cannot set); counts lookups.
    A value that is a list is answered in turn, one per lookup (the last one repeats): a rebinding DNS."""

    def __init__(self, table: dict[str, str | list[str]]) -> None:
        self.table = table
        self.lookups: Counter[str] = Counter()

    async def resolve(self, host: str, port: int = 0,
                      family: socket.AddressFamily = socket.AF_INET) -> list[ResolveResult]:
        self.lookups[host] += 1
        entry = self.table.get(host)
        if entry is None:
            raise OSError(f"{host}: no such test host")
        answers = entry if isinstance(entry, list) else [entry]
        addresses = answers[min(self.lookups[host], len(answers)) - 1].split(",")
        return [ResolveResult(hostname=host, host=a, port=port,
                              family=socket.AF_INET6 if ":" in a else socket.AF_INET, proto=0,
                              flags=socket.AI_NUMERICHOST) for a in addresses]

    async def close(self) -> None:
        return None
