"""Catalog data model: what a merchant sells, independent of the file it came from."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

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
    """One sellable item (a variant, when the product has variants)."""

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
            raise ValueError("sale window times need a UTC offset")
        try:
            return value.astimezone(UTC)
        except OverflowError:  # 0001-01-01T00:00+09:00 is before year 1 in UTC: a row error, not a crash
            raise ValueError("sale window time is outside the years 1 to 9999 in UTC") from None

    @field_validator("name_ko", "name_en", "description", "brand", "model", "variant_group", "category", "tags",
                     "images", "options", mode="before")
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
            raise ValueError("a product needs a Korean or an English name")
        if self.sale_price is not None:
            if self.sale_price.currency != self.price.currency:
                raise ValueError("sale price currency differs from price currency")
            if self.sale_price.amount > self.price.amount:
                raise ValueError("sale price is higher than the price")
        if self.sale_starts_at and self.sale_ends_at and self.sale_ends_at <= self.sale_starts_at:
            raise ValueError("sale window ends before it starts")
        return self

    @property
    def display_name(self) -> str:
        """Korean name first (festival data defaults to ko), else English."""
        return self.name_ko or self.name_en or self.sku

    @property
    def top_category(self) -> str:
        return self.category[0] if self.category else "general"


class RowError(BaseModel):
    """A row-level import problem: the row is 1-based as a spreadsheet shows it (header = row 1)."""

    model_config = ConfigDict(frozen=True)

    row: int
    column: str | None = None
    message: str


class ImportResult(BaseModel):
    """Products that imported plus every row that did not, never one dropping the other."""

    format: str
    encoding: str = "utf-8"
    products: list[Product] = Field(default_factory=list)
    errors: list[RowError] = Field(default_factory=list)
    rows_read: int = 0

    @property
    def ok(self) -> bool:
        return bool(self.products)
