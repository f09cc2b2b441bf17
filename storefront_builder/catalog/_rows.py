"""Shared cell parsers and the row collector every importer feeds.

Parsers raise :class:`~storefront_builder.catalog.messages.CodedError` (a ``ValueError`` with a stable code and
parameters); :class:`Row` turns that into a :class:`RowError` for the cell's column, so one bad cell rejects its
row and nothing else. Every text comes from the one table in ``messages.py``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation
from html.parser import HTMLParser
from typing import Any, TypeVar

from pydantic import ValidationError

from storefront_builder.catalog.messages import FIELD_OF_CODE, CodedError
from storefront_builder.catalog.models import (
    MAX_PRICE_MINOR,
    MAX_STOCK,
    HiddenRow,
    ImportResult,
    Product,
    RowError,
    currency_exponent,
)

T = TypeVar("T")

MAX_ROWS = 100_000

# "12,000" must be twelve thousand (Korean/English grouping), so a comma is only a thousands separator
# when every group after it has exactly three digits; "12,99" is rejected instead of silently read as 1299.
# web_client/merchant/price.js applies the same rules to what a merchant types (a test compares the two).
_NUMBER = re.compile(r"^(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?$")
_CURRENCY_NOISE = re.compile(r"[\s₩￦$€£¥원]|KRW|USD|EUR|JPY", re.IGNORECASE)
_HANGUL = re.compile(r"[\uac00-\ud7a3\u3131-\u318e]")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def parse_decimal(text: str, what: str = "price") -> Decimal:
    """Parse ``12,000`` / ``15000.00`` / ``12,000원`` into a non-negative finite Decimal."""
    raw = text.strip()
    cleaned = _CURRENCY_NOISE.sub("", raw)
    if cleaned.startswith("-"):
        raise CodedError("price_negative", what=what, text=raw)
    if not _NUMBER.match(cleaned):
        raise CodedError("price_not_number", what=what, text=raw)
    try:
        return Decimal(cleaned.replace(",", ""))
    except InvalidOperation as exc:  # pragma: no cover - the regex already guarantees a decimal
        raise CodedError("price_not_number", what=what, text=raw) from exc


def major_to_minor(value: Decimal, currency: str, what: str = "price") -> int:
    """Convert a major-unit amount to integer minor units, refusing fractions the currency can't hold."""
    exponent = currency_exponent(currency)
    scaled = value.scaleb(exponent)
    if scaled != scaled.to_integral_value():
        raise CodedError("price_decimals", what=what, value=str(value), currency=currency, exponent=exponent)
    if scaled > MAX_PRICE_MINOR:
        raise CodedError("price_too_large", what=what, value=str(value))
    return int(scaled)


def parse_price(text: str, currency: str, what: str = "price") -> int:
    """Major-unit decimal text (``15,000.00``) → minor units for ``currency``."""
    return major_to_minor(parse_decimal(text, what), currency, what)


def parse_stock(text: str) -> int:
    """Stock count: ``1,200`` or ``12개``; negative and absurd counts are errors."""
    raw = text.strip()
    cleaned = raw.removesuffix("개").replace(",", "").strip()
    try:
        value = Decimal(cleaned)
    except InvalidOperation as exc:
        raise CodedError("stock_not_number", text=raw) from exc
    if not value.is_finite() or value != value.to_integral_value():
        raise CodedError("stock_not_whole", text=raw)
    if value < 0:
        raise CodedError("stock_negative", text=raw)
    if value > MAX_STOCK:
        raise CodedError("stock_absurd", text=raw, max=MAX_STOCK)
    return int(value)


def parse_int(text: str, what: str = "number") -> int:
    """A plain (possibly negative) integer such as a rank."""
    try:
        return int(text.strip())
    except ValueError as exc:
        raise CodedError("not_whole_number", what=what, text=text.strip()) from exc


def split_list(text: str, sep: str = "|") -> list[str]:
    """``a|b|c`` → ``["a", "b", "c"]``, dropping empty parts."""
    return [part.strip() for part in text.split(sep) if part.strip()]


def split_category(text: str, seps: str = ">") -> list[str]:
    """``Home > Kitchen > Cups`` (or any of ``seps``) → path list, most general first."""
    pattern = "|".join(re.escape(s) for s in seps)
    return [part.strip() for part in re.split(pattern, text) if part.strip()]


def parse_options(text: str) -> dict[str, str]:
    """``size=M|colour=red`` → ``{"size": "M", "colour": "red"}``."""
    options: dict[str, str] = {}
    for part in split_list(text):
        key, eq, value = part.partition("=")
        if not eq or not key.strip():
            raise CodedError("option_malformed", part=part)
        options[key.strip()] = value.strip()
    return options


def has_hangul(text: str) -> bool:
    """True when the text contains Hangul, used to decide whether a title is the Korean or English name."""
    return bool(_HANGUL.search(text))


def name_fields(title: str) -> dict[str, str]:
    """A single title column goes to ``name_ko`` when it is Korean, else ``name_en``."""
    title = title.strip()
    if not title:
        return {}
    return {"name_ko": title} if has_hangul(title) else {"name_en": title}


def _guarded(text: str) -> bool:
    # Quotes already in front of a formula are guarded too, so that neutralise/unneutralise are exact
    # inverses: "'=x" exports as "''=x" and imports back as "'=x".
    return text.lstrip("'").startswith(_FORMULA_START)


def neutralise(text: str) -> str:
    """OWASP CSV-injection guard: a text cell that a spreadsheet would run as a formula gets a ``'``."""
    return "'" + text if _guarded(text) else text


def unneutralise(text: str) -> str:
    """Undo :func:`neutralise` (``'=SUM`` → ``=SUM``) so export → import round-trips."""
    if not text.startswith("'"):  # fast path: almost every cell
        return text
    return text[1:] if _guarded(text[1:]) else text


class _TextExtractor(HTMLParser):
    _BLOCKS = frozenset({"p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "tr",
                         "table"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._skip += 1
        elif tag in self._BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._skip = max(0, self._skip - 1)
        elif tag in self._BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    """Strip tags, unescape entities, keep paragraph breaks as single newlines."""
    if "<" not in html and "&" not in html:
        return html.strip()
    parser = _TextExtractor()
    parser.feed(html)
    parser.close()
    lines = [" ".join(line.split()) for line in "".join(parser.parts).splitlines()]
    return "\n".join(line for line in lines if line)


class Row:
    """One source row being turned into product fields; collects every cell error it meets."""

    def __init__(self, number: int) -> None:
        self.number = number
        self.errors: list[RowError] = []

    def error(self, column: str | None, code: str, **params: str | int) -> None:
        """Record the problem ``code`` with ``column`` of this row."""
        self.errors.append(RowError.coded(self.number, column, code, params))

    def cell(self, column: str, raw: str | None, parse: Callable[[str], T]) -> T | None:
        """Parse a non-empty cell; empty → None, a parse failure → a RowError and None."""
        if raw is None or not raw.strip():
            return None
        try:
            return parse(raw)
        except CodedError as exc:
            self.error(column, exc.code, **exc.params)
        except ValueError as exc:  # a parser outside this package: its English text is the detail
            self.error(column, "value_invalid", detail=str(exc))
        return None


class Collector:
    """Builds the ImportResult: validates products, rejects duplicate SKUs, maps errors to source columns, and
    notes the products that are imported hidden (status other than active) with their reason."""

    def __init__(self, fmt: str, encoding: str) -> None:
        self.result = ImportResult(format=fmt, encoding=encoding)
        self._first_row: dict[str, int] = {}

    def reject(self, row: Row) -> None:
        """Count a row that cannot become a product at all and keep its errors."""
        self.result.rows_read += 1
        self.result.errors.extend(row.errors)

    def add(self, row: Row, fields: dict[str, Any], columns: Mapping[str, str], *,
            hidden_code: str | None = None, hidden_column: str | None = None) -> Product | None:
        """Validate ``fields`` into a Product; ``columns`` maps Product field names to source column names.

        A product whose status is not active is kept, hidden, with the reason ``hidden_<status>`` (or
        ``hidden_code`` when the importer knows better, e.g. a gift card) at ``hidden_column``.
        """
        self.result.rows_read += 1
        sku = str(fields.get("sku") or "").strip()
        if not sku:
            row.error(columns.get("sku", "sku"), "sku_empty")
        if row.errors:
            self.result.errors.extend(row.errors)
            return None
        fields["sku"] = sku
        try:
            product = Product.model_validate(fields)
        except ValidationError as exc:
            for err in exc.errors(include_url=False):
                column, code, params = _coded(err, columns)
                self.result.errors.append(RowError.coded(row.number, column, code, params))
            return None
        first = self._first_row.get(sku)
        if first is not None:
            row.error(columns.get("sku", "sku"), "duplicate_sku", sku=sku, first=first)
            self.result.errors.extend(row.errors)
            return None
        self._first_row[sku] = row.number
        self.result.products.append(product)
        self.result.rows.append(row.number)
        if product.status != "active" or hidden_code:
            self.result.hidden.append(HiddenRow(
                sku=sku, group=product.group, row=row.number, code=hidden_code or f"hidden_{product.status}",
                column=hidden_column or columns.get("status")))
        return product


# pydantic's error types → (code, what the template needs)
_LIMITS = {"greater_than_equal": ("number_too_small", "ge"), "greater_than": ("number_too_small", "gt"),
           "less_than_equal": ("number_too_large", "le"), "less_than": ("number_too_large", "lt")}
_NOT_NUMBER = {"int_type", "int_parsing", "int_from_float", "float_type", "float_parsing", "finite_number"}


def _coded(err: Mapping[str, Any], columns: Mapping[str, str]) -> tuple[str | None, str, dict[str, str | int]]:
    """A pydantic error → (source column, code, params)."""
    loc = err.get("loc") or ()
    kind = str(err.get("type", ""))
    ctx = err.get("ctx") or {}
    field = str(loc[0]) if loc else None
    path = ".".join(str(p) for p in loc)
    cause = ctx.get("error")
    if isinstance(cause, CodedError):
        field = field or FIELD_OF_CODE.get(cause.code)
        return _column(field, columns), cause.code, cause.params
    column = _column(field, columns)
    if field == "sku":
        return column, "sku_invalid", {}
    if field == "gtin":
        return column, "gtin_invalid", {"text": str(err.get("input", ""))}
    if field == "status" and kind == "literal_error":
        return column, "status_unknown", {"text": str(err.get("input", ""))}
    if field == "availability" and kind == "literal_error":
        return column, "availability_unknown", {"text": str(err.get("input", ""))}
    if kind == "extra_forbidden":
        return column, "field_unknown", {"field": path}
    if kind == "missing":
        return column, "price_missing" if field == "price" else "field_missing", {"field": path}
    if kind in _LIMITS:
        code, key = _LIMITS[kind]
        return column, code, {"field": path, "limit": str(ctx.get(key, ""))}
    if kind in _NOT_NUMBER:
        return column, "not_a_number", {"field": path}
    if kind == "string_too_long":
        return column, "text_too_long", {"field": path, "max": int(ctx.get("max_length", 0))}
    if kind.endswith("_type"):
        return column, "wrong_type", {"field": path}
    message = str(err.get("msg", "invalid value")).removeprefix("Value error, ")
    if len(loc) > 1:
        message = f"{'.'.join(str(p) for p in loc[1:])}: {message}"
    return column, "value_invalid", {"detail": message}


def _column(field: str | None, columns: Mapping[str, str]) -> str | None:
    if field is None:
        return None
    if field in ("name_ko", "name_en"):
        return columns.get(field) or columns.get("name_ko") or columns.get("name_en") or field
    return columns.get(field, field)


def lower_keys(record: Mapping[str, str]) -> dict[str, str]:
    """Header names compared case-insensitively with surrounding spaces ignored."""
    return {k.strip().lower(): v for k, v in record.items()}
