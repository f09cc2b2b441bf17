"""Catalog data model: what a merchant sells, independent of the file it came from."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from storefront_builder.catalog.messages import CodedError, render

# ISO 4217 minor-unit exponents for the currencies a festival is likely to see; others default to 2.
CURRENCY_EXPONENTS: dict[str, int] = {
    "KRW": 0, "JPY": 0, "VND": 0, "CLP": 0, "ISK": 0,
    "USD": 2, "EUR": 2, "GBP": 2, "CNY": 2, "HKD": 2, "TWD": 2, "SGD": 2, "AUD": 2, "CAD": 2,
    "BHD": 3, "KWD": 3, "JOD": 3,
}

MAX_PRICE_MINOR = 10**12  # a trillion minor units: anything above is a data error, not a product
MAX_STOCK = 1_000_000  # "absurd stock" threshold reported by importers

# An identifier that goes into URLs and order lines: no whitespace, no slash, no control character.
Sku = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[^\s/\\\x00-\x1f\x7f-\x9f]+$")]

# C0 controls other than tab, line feed and carriage return, DEL and the C1 controls. Spreadsheet and ERP exports
# carry them as invisible junk (NUL padding, a stray SUB or ESC); they mean nothing on a price tag, PostgreSQL
# text columns refuse NUL, and the API refuses them in its own text (server/contracts/foundation.py).
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


Status = Literal["active", "draft", "archived", "unpublished"]
Availability = Literal["in_stock", "out_of_stock", "preorder", "backorder"]
STATUSES: tuple[str, ...] = ("active", "draft", "archived", "unpublished")
AVAILABILITIES: tuple[str, ...] = ("in_stock", "out_of_stock", "preorder", "backorder")

# What merchants write in a status column (Korean shop admins, Shopify, yes/no sheets) → the status it means.
# Compared lower-case without spaces, hyphens or underscores.
STATUS_WORDS: dict[str, str] = {
    **{w: "active" for w in ("active", "활성", "판매중", "판매", "노출", "공개", "진열", "published", "visible",
                             "onsale", "on", "yes", "y", "true", "1")},
    **{w: "draft" for w in ("draft", "임시저장", "준비중", "작성중", "대기")},
    **{w: "archived" for w in ("archived", "보관", "보관됨", "판매종료", "단종")},
    **{w: "unpublished" for w in ("unpublished", "hidden", "숨김", "비공개", "미노출", "미진열", "판매중지",
                                  "off", "no", "n", "false", "0")},
}
AVAILABILITY_WORDS: dict[str, str] = {
    **{w: "in_stock" for w in ("instock", "available", "재고있음", "판매가능")},
    **{w: "out_of_stock" for w in ("outofstock", "soldout", "품절", "일시품절")},
    **{w: "preorder" for w in ("preorder", "예약판매", "사전주문")},
    **{w: "backorder" for w in ("backorder", "입고예정", "주문후입고")},
}


def _word(text: str) -> str:
    return "".join(text.split()).replace("_", "").replace("-", "").lower()


def parse_status(text: str) -> str:
    """``판매중`` / ``Draft`` / ``FALSE`` → one of :data:`STATUSES`; anything else is a ``status_unknown`` error."""
    found = STATUS_WORDS.get(_word(text))
    if found is None:
        raise CodedError("status_unknown", text=text.strip())
    return found


def parse_availability(text: str) -> str:
    """``in stock`` / ``out_of_stock`` / ``품절`` → one of :data:`AVAILABILITIES` (``availability_unknown`` else)."""
    found = AVAILABILITY_WORDS.get(_word(text))
    if found is None:
        raise CodedError("availability_unknown", text=text.strip())
    return found


def strip_controls(text: str) -> str:
    """``text`` without its control characters (see CONTROL_CHARACTERS); tab and line breaks stay."""
    return CONTROL_CHARACTERS.sub("", text) if CONTROL_CHARACTERS.search(text) else text


def currency_exponent(currency: str) -> int:
    """Number of decimals in the currency's minor unit (KRW 0, USD 2)."""
    return CURRENCY_EXPONENTS.get(currency.upper(), 2)


class Money(BaseModel):
    """An amount in integer minor units plus an ISO 4217 code (KRW has 0 decimals)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    amount: int = Field(ge=0, le=MAX_PRICE_MINOR, description="Integer amount in minor units")
    currency: str = Field(pattern=r"^[A-Z]{3}$", description="ISO 4217 code")


class Dimensions(BaseModel):
    """Outer size of a product in metres (width along X, height along Y, depth along Z)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    width: float = Field(gt=0, le=10)
    height: float = Field(gt=0, le=10)
    depth: float = Field(gt=0, le=10)


class Product(BaseModel):
    """One sellable item (a variant, when the product has variants).

    Variants of one product share ``variant_group`` (Shopify's Handle, Google's item_group_id, the native
    ``group`` column); a product without variants has none and is its own group. Only ``status`` "active"
    products reach shoppers; the others are imported hidden.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    sku: Sku
    name_ko: str | None = Field(default=None, max_length=300)
    name_en: str | None = Field(default=None, max_length=300)
    description: str = Field(default="", max_length=10_000)
    category: list[str] = Field(default_factory=list, description="Category path, most general first")
    brand: str | None = Field(default=None, max_length=200)
    price: Money
    sale_price: Money | None = None
    stock: int = Field(default=0, ge=0, le=MAX_STOCK)
    dimensions: Dimensions | None = None
    images: list[str] = Field(default_factory=list, description="Image references (URLs or upload keys)")
    model: str | None = Field(default=None, description="3D model reference (upload key or URL)")
    variant_group: str | None = None
    options: dict[str, str] = Field(
        default_factory=dict, description="Variant option values, e.g. size, colour"
    )
    gtin: str | None = Field(default=None, pattern=r"^\d{8,14}$")
    barcode: str | None = Field(default=None, max_length=64,
                                description="The barcode as the file wrote it (also internal codes; gtin is a GTIN)")
    status: Status = Field(default="active", description="Only active products are shown to shoppers")
    availability: Availability | None = Field(
        default=None, description="As the feed said; preorder and backorder stay orderable (None: by stock)")
    rank: int = Field(default=0, description="Lower ranks are shown first / placed at eye level")
    tags: list[str] = Field(default_factory=list)
    sale_starts_at: datetime | None = Field(default=None, description="Start of the sale price window (UTC)")
    sale_ends_at: datetime | None = Field(default=None, description="End of the sale price window (UTC)")

    @field_validator("sale_starts_at", "sale_ends_at")
    @classmethod
    def _utc(cls, value: datetime | None) -> datetime | None:
        # The API speaks UTC; a naive time would be ambiguous between the server's and the festival's zone.
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise CodedError("time_needs_offset")
        try:
            return value.astimezone(UTC)
        except OverflowError:  # 0001-01-01T00:00+09:00 is before year 1 in UTC: a row error, not a crash
            raise CodedError("time_out_of_range") from None

    @field_validator("status", mode="before")
    @classmethod
    def _status_words(cls, value: object) -> object:
        return parse_status(value) if isinstance(value, str) and value not in STATUSES else value

    @field_validator("availability", mode="before")
    @classmethod
    def _availability_words(cls, value: object) -> object:
        return parse_availability(value) if isinstance(value, str) and value not in AVAILABILITIES else value

    @field_validator("name_ko", "name_en", "description", "brand", "model", "variant_group", "category", "tags",
                     "images", "options", "barcode", mode="before")
    @classmethod
    def _no_controls(cls, value: object) -> object:
        # Dropped rather than refused: the merchant cannot see them in the file to fix them, and nothing is lost.
        # This also runs when a stored product is read back, so one stored before the rule reads back clean.
        if isinstance(value, str):
            return strip_controls(value)
        if isinstance(value, list):
            return [strip_controls(v) if isinstance(v, str) else v for v in value]
        if isinstance(value, dict):
            return {strip_controls(k) if isinstance(k, str) else k: strip_controls(v) if isinstance(v, str) else v
                    for k, v in value.items()}
        return value

    @field_validator("category", "tags")
    @classmethod
    def _strip_empty(cls, value: list[str]) -> list[str]:
        return [part.strip() for part in value if part and part.strip()]

    @model_validator(mode="after")
    def _check(self) -> Product:
        if not (self.name_ko or self.name_en):
            raise CodedError("missing_name")
        if self.sale_price is not None:
            if self.sale_price.currency != self.price.currency:
                raise CodedError("sale_currency")
            if self.sale_price.amount > self.price.amount:
                raise CodedError("sale_above_price")
        if self.sale_starts_at and self.sale_ends_at and self.sale_ends_at <= self.sale_starts_at:
            raise CodedError("sale_window_order")
        return self

    @property
    def group(self) -> str:
        """The product this variant belongs to: its variant group, or its own SKU when it has none."""
        return self.variant_group or self.sku

    @property
    def display_name(self) -> str:
        """Korean name first (festival data defaults to ko), else English."""
        return self.name_ko or self.name_en or self.sku

    @property
    def top_category(self) -> str:
        return self.category[0] if self.category else "general"


class RowError(BaseModel):
    """A row-level import problem (or notice): the row is 1-based as a spreadsheet shows it (header = row 1).

    ``code`` is stable (``catalog/messages.py``); ``message`` is its English text, ``message_ko`` its Korean one.
    A RowError made from a bare message (older callers) gets the code ``value_invalid``.
    """

    model_config = ConfigDict(frozen=True)

    row: int
    column: str | None = None
    message: str
    code: str = "value_invalid"
    message_ko: str = ""
    params: dict[str, str | int] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _texts(cls, data: Any) -> Any:
        if isinstance(data, dict) and "message" in data and not data.get("code"):
            data = {**data, "code": "value_invalid", "params": {"detail": data["message"]}}
        if isinstance(data, dict) and not data.get("message_ko") and data.get("code") and "message" in data:
            data = {**data, "message_ko": render(data["code"], data.get("params") or {}, "ko")}
        return data

    @classmethod
    def coded(cls, row: int, column: str | None, code: str, params: dict[str, str | int] | None = None) -> RowError:
        """The problem ``code`` at ``row``/``column``, with its English and Korean text."""
        values = params or {}
        return cls(row=row, column=column, code=code, params=values, message=render(code, values),
                   message_ko=render(code, values, "ko"))


class HiddenRow(BaseModel):
    """An imported product kept off the shelves, and why (``hidden_draft``, ``hidden_gift_card``, …)."""

    model_config = ConfigDict(frozen=True)

    sku: str
    group: str
    row: int
    column: str | None = None
    code: str


class ImportResult(BaseModel):
    """Products that imported plus every row that did not, never one dropping the other."""

    format: str
    encoding: str = "utf-8"
    products: list[Product] = Field(default_factory=list)
    rows: list[int] = Field(default_factory=list, description="Source row of each product (same order), if known")
    hidden: list[HiddenRow] = Field(default_factory=list, description="Products imported hidden, with the reason")
    errors: list[RowError] = Field(default_factory=list)
    rows_read: int = 0

    @property
    def ok(self) -> bool:
        return bool(self.products)
