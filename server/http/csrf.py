"""Cross-site request forgery: a state-changing request that rides on the shopper's session cookie must come from
one of the festival's own pages.

The cookie is SameSite=Lax, which keeps it off cross-*site* POSTs but not off those of a sibling origin of the same
site (another port or subdomain), and a POST without a body needs no CORS preflight: such a page could create or
rotate a shopper's cart. So a cookie request that changes something must name an allowed origin: its ``Origin``
(every browser sends one on these methods), or when that is missing ``Sec-Fetch-Site: same-origin`` or ``none``.
A bearer token is never attached by the browser on its own, so requests that carry one are not at risk; nor are
requests without the cookie, which act for nobody.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

from server import keys
from server.auth import SESSION_COOKIE
from server.domain.errors import Forbidden

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
TRUSTED_FETCH_SITES = frozenset({"same-origin", "none"})  # none: typed or bookmarked by the user


@web.middleware
async def csrf_middleware(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    if request.method not in SAFE_METHODS and _rides_on_the_cookie(request):
        refusal = _refusal(request)
        if refusal is not None:
            raise Forbidden(refusal)
    return await handler(request)


def _rides_on_the_cookie(request: web.Request) -> bool:
    # server.auth.token_from_request reads the cookie only when no Authorization header is given.
    return not request.headers.get("Authorization") and SESSION_COOKIE in request.cookies


def _refusal(request: web.Request) -> str | None:
    """Why the request is not from one of our pages, or None when it is."""
    origin = request.headers.get("Origin")
    if origin is not None:
        # The configured origins only, as on the live socket (server/live/ws.py): the Host header names whatever
        # the request was sent to (a domain pointed at this server), not whose page sent it.
        if origin in request.app[keys.SETTINGS].allowed_origins:
            return None
        return (f"cross-origin request refused: a page at {origin[:100]!r} may not use the shopper session; "
                "send the request from the festival's own pages or with a bearer token")
    if request.headers.get("Sec-Fetch-Site") in TRUSTED_FETCH_SITES:
        return None
    return ("cross-origin request refused: a request that uses the shopper session cookie must carry the Origin "
            "of the festival's own pages (browsers send it); other clients use a bearer token")
