"""Every error leaves as ``application/problem+json`` (RFC 9457) with a stable ``type``."""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from server.domain.errors import DomainError, ErrorCode, RateLimited

log = logging.getLogger("vrstore.errors")
PROBLEM_BASE = "https://vrstore.dev/problems/"
PROBLEM_MEDIA_TYPE = "application/problem+json"

# aiohttp's own HTTP exceptions, by status, as (slug, title).
_HTTP_PROBLEMS: dict[int, tuple[str, str]] = {
    400: ("bad-request", "Bad request"),
    401: ("unauthorized", "Authentication required"),
    403: ("forbidden", "Not allowed"),
    404: ("not-found", "Not found"),
    405: ("method-not-allowed", "Method not allowed"),
    406: ("not-acceptable", "Not acceptable"),
    409: ("conflict", "Conflict"),
    411: ("length-required", "Length required"),
    413: ("payload-too-large", "Payload too large"),
    414: ("uri-too-long", "URI too long"),
    415: ("unsupported-media-type", "Unsupported media type"),
    422: ("validation", "Validation failed"),
    429: ("rate-limited", "Too many requests"),
    431: ("header-too-large", "Request header fields too large"),
}


def problem_json(
    status: int, slug: str, title: str, detail: str, *, instance: str | None = None,
    errors: list[dict[str, Any]] | None = None, extra: dict[str, Any] | None = None,
) -> bytes:
    """The RFC 9457 document as bytes."""
    body: dict[str, Any] = {"type": PROBLEM_BASE + slug, "title": title, "status": status, "detail": detail}
    if instance:
        body["instance"] = instance
    if errors is not None:
        body["errors"] = errors
    if extra:
        body.update({k: v for k, v in extra.items() if k not in body})
    return json.dumps(body, ensure_ascii=False).encode()


def domain_problem(exc: DomainError, instance: str) -> web.Response:
    """The problem for a refusal of the domain: the code decides type, title and status."""
    code = exc.code
    return problem_response(code.http_status, code.slug, code.title, exc.detail, instance=instance,
                            errors=exc.errors, extra=exc.extra)


def problem_response(
    status: int,
    slug: str,
    title: str,
    detail: str,
    *,
    instance: str | None = None,
    errors: list[dict[str, Any]] | None = None,
    extra: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> web.Response:
    return web.Response(
        body=problem_json(status, slug, title, detail, instance=instance, errors=errors, extra=extra),
        status=status,
        content_type=PROBLEM_MEDIA_TYPE,
        headers=headers,
    )


@web.middleware
async def problem_middleware(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    try:
        return await handler(request)
    except DomainError as exc:
        if exc.code is ErrorCode.INTERNAL:
            return _internal(request, exc)
        response = domain_problem(exc, request.path)
        if exc.code is ErrorCode.UNAVAILABLE:
            response.headers["Retry-After"] = "2"
        elif isinstance(exc, RateLimited):
            response.headers["Retry-After"] = str(exc.retry_after_s)
        return response
    except web.HTTPException as exc:
        if exc.status < 400:
            raise  # redirects and 304s are not errors
        slug, title = _HTTP_PROBLEMS.get(exc.status, ("http-error", exc.reason))
        detail = exc.text if exc.text and not exc.text.startswith(f"{exc.status}:") else exc.reason
        headers = {k: v for k, v in exc.headers.items() if k.lower() in ("allow", "retry-after")}
        return problem_response(exc.status, slug, title, detail, instance=request.path, headers=headers)
    except Exception as exc:  # the last line of defence: log it, never show it
        return _internal(request, exc)


def _internal(request: web.Request, exc: BaseException) -> web.Response:
    error_id = uuid.uuid4().hex
    log.error("unhandled error %s on %s %s", error_id, request.method, request.path, exc_info=exc)
    return problem_response(
        500,
        "internal",
        "Internal server error",
        f"Something went wrong on our side. Quote error id {error_id} when reporting it.",
        instance=request.path,
        extra={"error_id": error_id},
    )
