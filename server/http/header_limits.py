"""Oversized request URLs and header fields, answered as problems (414, 431) like every other refusal.

aiohttp's parser refuses what passes its limits before any middleware runs and writes its own text/plain 400
(aio-libs/aiohttp#3287; aiohttp 4 routes those through the middlewares). So the parser is given a higher ceiling
(``PARSER_LIMITS``, the app's ``handler_args``) and the limits that apply, aiohttp's former defaults, are checked
here. What passes even the ceiling still gets aiohttp's plain 400: the ceiling bounds the memory one request's
headers may take (128 fields at most, aiohttp's default), so it cannot simply be lifted.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

MAX_URL = 8190  # bytes of path and query
MAX_FIELD = 8190  # bytes of one header's name, and of its value
PARSER_CEILING = 32 * 1024
PARSER_LIMITS = {"max_line_size": PARSER_CEILING, "max_field_size": PARSER_CEILING}


@web.middleware
async def header_limits(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    if len(request.raw_path) > MAX_URL:
        raise web.HTTPRequestURITooLong(text=f"the URL is {len(request.raw_path):,} bytes; the limit is {MAX_URL:,}")
    for name, value in request.raw_headers:
        if len(name) > MAX_FIELD or len(value) > MAX_FIELD:
            shown = name[:60].decode("latin-1")
            raise web.HTTPRequestHeaderFieldsTooLarge(
                text=f"the {shown} header is {len(name) + len(value):,} bytes; the limit is {MAX_FIELD:,} per "
                     "header name or value")
    return await handler(request)
