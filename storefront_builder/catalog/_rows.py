"""Shared cell parsers and the row collector every importer feeds.

Parsers raise ``ValueError`` with a merchant-readable message; :class:`Row` turns that into a
:class:`RowError` for the cell's column, so one bad cell rejects its row and nothing else.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation
from html.parser import HTMLParser
from typing import Any, TypeVar

from pydantic import ValidationError

from storefront_builder.catalog.models import (
    MAX_PRICE_MINOR,
    MAX_STOCK,
    ImportResult,
    Product,
    RowError,
    currency_exponent,
)

T = TypeVar("T")

MAX_ROWS = 100_000

# "12,000" must be twelve thousand (Korean/English grouping), so a comma is only a thousands separator
# when every group after it has exactly three digits; "12,99" is rejected instead of silently read as 1299.
_NUMBER = re.compile(r"^(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?$")
_CURRENCY_NOISE = re.compile(r"[\s₩￦$€£¥원]|KRW|USD|EUR|JPY", re.IGNORECASE)
_HANGUL = re.compile(r"[\uac00-\ud7a3\u3131-\u318e]")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def parse_decimal(text: str, what: str = "number") -> Decimal:
    """Parse ``12,000`` / ``15000.00`` / ``12,000원`` into a non-negative finite Decimal."""
    raw = text.strip()
    cleaned = _CURRENCY_NOISE.sub("", raw)
    if cleaned.startswith("-"):
        raise ValueError(f"negative {what}: {raw!r}")
    if not _NUMBER.match(cleaned):
        raise ValueError(f"{what} is not a number: {raw!r}")
    try:
        return Decimal(cleaned.replace(",", ""))
    except InvalidOperation as exc:  # pragma: no cover - the regex already guarantees a decimal
        raise ValueError(f"{what} is not a number: {raw!r}") from exc


def major_to_minor(value: Decimal, currency: str, what: str = "price") -> int:
    """Convert a major-unit amount to integer minor units, refusing fractions the currency can't hold."""
    exponent = currency_exponent(currency)
    scaled = value.scaleb(exponent)
    if scaled != scaled.to_integral_value():
        raise ValueError(f"{what} {value} has more decimals than {currency} allows ({exponent})")
    if scaled > MAX_PRICE_MINOR:
        raise ValueError(f"{what} {value} is absurdly large")
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
        raise ValueError(f"stock is not a number: {raw!r}") from exc
    if not value.is_finite() or value != value.to_integral_value():
        raise ValueError(f"stock is not a whole number: {raw!r}")
    if value < 0:
        raise ValueError(f"negative stock: {raw}")
    if value > MAX_STOCK:
        raise ValueError(f"absurd stock {raw} (more than {MAX_STOCK:,})")
    return int(value)


def parse_int(text: str, what: str = "number") -> int:
    """A plain (possibly negative) integer such as a rank."""
    try:
        return int(text.strip())
    except ValueError as exc:
        raise ValueError(f"{what} is not a whole number: {text.strip()!r}") from exc


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
            raise ValueError(f"option {part!r} is not name=value")
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

    def error(self, column: str | None, message: str) -> None:
        """Record a problem with ``column`` of this row."""
        self.errors.append(RowError(row=self.number, column=column, message=message))

    def cell(self, column: str, raw: str | None, parse: Callable[[str], T]) -> T | None:
        """Parse a non-empty cell; empty → None, a parse failure → a RowError and None."""
        if raw is None or not raw.strip():
            return None
        try:
            return parse(raw)
        except ValueError as exc:
            self.error(column, str(exc))
            return None


class Collector:
    """Builds the ImportResult: validates products, rejects duplicate SKUs, maps errors to source columns."""

    def __init__(self, fmt: str, encoding: str) -> None:
        self.result = ImportResult(format=fmt, encoding=encoding)
        self._first_row: dict[str, int] = {}

    def reject(self, row: Row) -> None:
        """Count a row that cannot become a product at all and keep its errors."""
        self.result.rows_read += 1
        self.result.errors.extend(row.errors)

    def add(self, row: Row, fields: dict[str, Any], columns: Mapping[str, str]) -> None:
        """Validate ``fields`` into a Product; ``columns`` maps Product field names to source column names."""
        self.result.rows_read += 1
        sku = str(fields.get("sku") or "").strip()
        if not sku:
            row.error(columns.get("sku", "sku"), "empty SKU")
        if row.errors:
            self.result.errors.extend(row.errors)
            return
        fields["sku"] = sku
        try:
            product = Product.model_validate(fields)
        except ValidationError as exc:
            for err in exc.errors(include_url=False):
                self.result.errors.append(RowError(
                    row=row.number, column=_column_for(err, columns), message=_message_for(err)))
            return
        first = self._first_row.get(sku)
        if first is not None:
            row.error(columns.get("sku", "sku"), f"duplicate SKU {sku!r} (first used in row {first})")
            self.result.errors.extend(row.errors)
            return
        self._first_row[sku] = row.number
        self.result.products.append(product)


def _column_for(err: Mapping[str, Any], columns: Mapping[str, str]) -> str | None:
    loc = err.get("loc") or ()
    if loc:
        field = str(loc[0])
        return columns.get(field, field)
    # model-level checks carry no location: name the column the message is about
    message = str(err.get("msg", ""))
    if "name" in message:
        return columns.get("name_ko") or columns.get("name_en") or "name"
    if "sale window" in message:
        return columns.get("sale_starts_at", "sale_starts_at")
    if "sale price" in message:
        return columns.get("sale_price", "sale_price")
    return None


def _message_for(err: Mapping[str, Any]) -> str:
    message = str(err.get("msg", "invalid value")).removeprefix("Value error, ")
    loc = err.get("loc") or ()
    if len(loc) > 1:
        message = f"{'.'.join(str(p) for p in loc[1:])}: {message}"
    if "Korean or an English name" in message:
        message = f"missing name: {message}"
    if loc and str(loc[0]) == "sku" and "pattern" in message:
        message = "SKU must not contain spaces, slashes or control characters"
    return message


def lower_keys(record: Mapping[str, str]) -> dict[str, str]:
    """Header names compared case-insensitively with surrounding spaces ignored."""
    return {k.strip().lower(): v for k, v in record.items()}
