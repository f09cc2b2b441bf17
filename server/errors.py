"""The service layer's one exception root and its tree; each maps to one RFC 9457 problem type.

ServiceError (500 only if raised bare)
├── BadRequest        400  bad-request
├── Unauthorized      401  unauthorized
├── Forbidden         403  forbidden
├── NotFound          404  not-found
├── Conflict          409  conflict (extra fields, e.g. current version)
├── PayloadTooLarge   413  payload-too-large
├── UnsupportedMedia  415  unsupported-media-type
└── Unprocessable     422  validation (errors: [{loc, msg}])
"""

from __future__ import annotations

from typing import Any, ClassVar


class ServiceError(Exception):
    """A rule said no; carries what the client needs to know (never internals)."""

    status: ClassVar[int] = 500
    slug: ClassVar[str] = "internal"
    title: ClassVar[str] = "Internal server error"

    def __init__(
        self,
        detail: str,
        *,
        errors: list[dict[str, Any]] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors
        self.extra = extra or {}


class BadRequest(ServiceError):
    status, slug, title = 400, "bad-request", "Bad request"


class Unauthorized(ServiceError):
    status, slug, title = 401, "unauthorized", "Authentication required"


class Forbidden(ServiceError):
    status, slug, title = 403, "forbidden", "Not allowed"


class NotFound(ServiceError):
    status, slug, title = 404, "not-found", "Not found"


class Conflict(ServiceError):
    status, slug, title = 409, "conflict", "Conflict"


class PayloadTooLarge(ServiceError):
    status, slug, title = 413, "payload-too-large", "Payload too large"


class UnsupportedMedia(ServiceError):
    status, slug, title = 415, "unsupported-media-type", "Unsupported media type"


class Unprocessable(ServiceError):
    status, slug, title = 422, "validation", "Validation failed"
