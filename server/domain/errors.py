"""What the domain can refuse, once: error codes (with an HTTP status *hint*) and the exceptions that carry them.

Services raise these; only the HTTP edge (``server.api.problems``) turns them into RFC 9457 problems, and the
CLI into one line. The code's ``slug`` is the problem ``type`` clients switch on, so it never changes.

DomainError (500 only if raised bare)
├── BadRequest        bad-request             400
├── Unauthorized      unauthorized            401
├── PaymentDeclined   payment-declined        402
├── Forbidden         forbidden               403
├── NotFound          not-found               404
├── Conflict          conflict                409 (extra fields, e.g. current version)
│   ├── OutOfStock    out-of-stock            409
│   ├── PriceChanged  price-changed           409
│   ├── StoreUnavailable    store-unavailable    409 (the store is suspended or back to pending)
│   ├── ProductUnavailable  product-unavailable  409 (the product was removed from the catalog)
│   └── ImageFetchOff       image-fetch-off      409 (this server does not fetch image URLs)
├── PayloadTooLarge   payload-too-large       413
├── UnsupportedMedia  unsupported-media-type  415
├── Unprocessable     validation              422 (errors: [{loc, msg}])
├── RateLimited       rate-limited            429 (retry_after_s: when to try again)
└── Unavailable       unavailable             503 (a shared service, e.g. Redis, is away; retry)
"""

from __future__ import annotations

import json
from enum import Enum
from typing import Any, ClassVar


class ErrorCode(Enum):
    """A refusal's stable name, its English title and the HTTP status an edge should answer with."""

    INTERNAL = ("internal", "Internal server error", 500)
    BAD_REQUEST = ("bad-request", "Bad request", 400)
    UNAUTHORIZED = ("unauthorized", "Authentication required", 401)
    PAYMENT_DECLINED = ("payment-declined", "Payment declined", 402)
    FORBIDDEN = ("forbidden", "Not allowed", 403)
    NOT_FOUND = ("not-found", "Not found", 404)
    CONFLICT = ("conflict", "Conflict", 409)
    OUT_OF_STOCK = ("out-of-stock", "Out of stock", 409)
    PRICE_CHANGED = ("price-changed", "Price changed", 409)
    STORE_UNAVAILABLE = ("store-unavailable", "Store closed", 409)
    PRODUCT_UNAVAILABLE = ("product-unavailable", "Product no longer sold", 409)
    IMAGE_FETCH_OFF = ("image-fetch-off", "Image fetching is off", 409)
    PAYLOAD_TOO_LARGE = ("payload-too-large", "Payload too large", 413)
    UNSUPPORTED_MEDIA = ("unsupported-media-type", "Unsupported media type", 415)
    VALIDATION = ("validation", "Validation failed", 422)
    RATE_LIMITED = ("rate-limited", "Too many requests", 429)
    UNAVAILABLE = ("unavailable", "Temporarily unavailable", 503)

    def __init__(self, slug: str, title: str, http_status: int) -> None:
        self.slug = slug
        self.title = title
        self.http_status = http_status

    @classmethod
    def from_slug(cls, slug: str) -> ErrorCode:
        for code in cls:
            if code.slug == slug:
                return code
        raise ValueError(f"unknown error code {slug!r}")


class DomainError(Exception):
    """A rule said no; carries what the caller needs to know (never internals)."""

    code: ClassVar[ErrorCode] = ErrorCode.INTERNAL

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

    @property
    def is_refusal(self) -> bool:
        """A decision about the request (4xx), as opposed to a failure of ours."""
        return self.code.http_status < 500

    def to_record(self) -> str:
        """The refusal as JSON, to be stored (an idempotent request replays it) and rendered later."""
        return json.dumps({"code": self.code.slug, "detail": self.detail, "errors": self.errors,
                           "extra": self.extra}, ensure_ascii=False)

    @staticmethod
    def from_record(record: str) -> DomainError:
        data = json.loads(record)
        error = _BY_CODE.get(ErrorCode.from_slug(data["code"]), DomainError)(
            data["detail"], errors=data.get("errors"), extra=data.get("extra"))
        return error


class BadRequest(DomainError):
    code = ErrorCode.BAD_REQUEST


class Unauthorized(DomainError):
    code = ErrorCode.UNAUTHORIZED


class PaymentDeclined(DomainError):
    """The provider said no; nothing was charged and no stock was taken."""

    code = ErrorCode.PAYMENT_DECLINED


class Forbidden(DomainError):
    code = ErrorCode.FORBIDDEN


class NotFound(DomainError):
    code = ErrorCode.NOT_FOUND


class Conflict(DomainError):
    code = ErrorCode.CONFLICT


class OutOfStock(Conflict):
    code = ErrorCode.OUT_OF_STOCK


class PriceChanged(Conflict):
    code = ErrorCode.PRICE_CHANGED


class StoreUnavailable(Conflict):
    """A line's store is not open (suspended, or pending again): not a matter of stock, and not for long, maybe."""

    code = ErrorCode.STORE_UNAVAILABLE


class ProductUnavailable(Conflict):
    """A line's product left the catalog (inactive): it will not come back by waiting."""

    code = ErrorCode.PRODUCT_UNAVAILABLE


class ImageFetchOff(Conflict):
    """The server's image fetcher is switched off (VRSTORE_IMAGE_FETCH=off): asking again will not help."""

    code = ErrorCode.IMAGE_FETCH_OFF


class PayloadTooLarge(DomainError):
    code = ErrorCode.PAYLOAD_TOO_LARGE


class UnsupportedMedia(DomainError):
    code = ErrorCode.UNSUPPORTED_MEDIA


class Unprocessable(DomainError):
    code = ErrorCode.VALIDATION


class RateLimited(DomainError):
    """Too many of one action from one client; ``retry_after_s`` says when the next one is accepted."""

    code = ErrorCode.RATE_LIMITED

    def __init__(self, detail: str, *, retry_after_s: int) -> None:
        super().__init__(detail, extra={"retry_after_s": retry_after_s})
        self.retry_after_s = retry_after_s


class Unavailable(DomainError):
    code = ErrorCode.UNAVAILABLE


_BY_CODE: dict[ErrorCode, type[DomainError]] = {cls.code: cls for cls in (
    BadRequest, Unauthorized, PaymentDeclined, Forbidden, NotFound, Conflict, OutOfStock, PriceChanged,
    StoreUnavailable, ProductUnavailable, ImageFetchOff, PayloadTooLarge, UnsupportedMedia, Unprocessable, Unavailable)}
