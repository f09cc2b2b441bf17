"""Catalog import entry point: decode bytes, sniff the format, dispatch to one importer per format."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable

from storefront_builder.catalog._headers import EXPECTED, closest, has_name, has_price, map_headers
from storefront_builder.catalog._table import first_line, sniff_delimiter
from storefront_builder.catalog.csv_format import import_native_csv
from storefront_builder.catalog.google import DEFAULT_FEED_STOCK, import_google
from storefront_builder.catalog.json_format import import_json
from storefront_builder.catalog.korean import import_korean, looks_korean
from storefront_builder.catalog.messages import catalog_error
from storefront_builder.catalog.models import ImportResult
from storefront_builder.catalog.shopify import import_shopify

FORMATS = ("json", "csv", "shopify", "google", "korean")

_Importer = Callable[..., ImportResult]
_IMPORTERS: dict[str, _Importer] = {
    "json": import_json,
    "csv": import_native_csv,
    "shopify": import_shopify,
    "korean": import_korean,
}


def decode(data: bytes) -> tuple[str, str]:
    """Bytes → ``(text, encoding)``: strict UTF-8 (BOM recorded as ``utf-8-sig``), else CP949.

    UTF-8 goes first because CP949 would "decode" most UTF-8 Korean into mojibake, while valid CP949
    Korean text is almost never valid UTF-8.
    """
    if data.startswith(b"\xef\xbb\xbf"):
        try:
            return data[3:].decode("utf-8"), "utf-8-sig"
        except UnicodeDecodeError as exc:
            raise catalog_error("decode_bom_utf8", reason=exc.reason) from exc
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        encoding = "utf-16"
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError as exc:
            raise catalog_error("decode_bom_utf16") from exc
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp949"), "cp949"
    except UnicodeDecodeError as exc:
        raise catalog_error("decode_failed") from exc


def _header_cells(text: str) -> list[str]:
    line = first_line(text)
    try:
        cells = next(csv.reader(io.StringIO(line), delimiter=sniff_delimiter(line)), [])
    except csv.Error:
        return []
    return [c.strip() for c in cells]


def sniff_format(text: str) -> str:
    """Guess the format from content: JSON by its first character, tables by their header names.

    An unrecognised header is a whole-file error that names the columns expected and the header cells that
    look like one of them (``'prise' → price``), so a typo is one glance away from fixed.
    """
    stripped = text.lstrip()
    if stripped[:1] in ("{", "["):
        return "json"
    header = _header_cells(stripped)
    lower = {h.lower().removeprefix("g:") for h in header}
    if "handle" in lower and ("variant price" in lower or "variant sku" in lower):
        return "shopify"
    if looks_korean(header):
        return "korean"
    mapping = map_headers(header)
    if "sku" in mapping and (has_name(mapping) or has_price(mapping)):
        return "csv"
    if "id" in lower and "title" in lower and ("price" in lower or "availability" in lower):
        return "google"
    preview = ", ".join(header[:8]) or "(empty)"
    raise catalog_error("header_unrecognised", header=preview, expected=EXPECTED,
                        closest=", ".join(closest(header)) or "—")


def import_catalog(data: bytes, *, format: str | None = None, default_currency: str = "KRW",
                   default_stock: int = DEFAULT_FEED_STOCK) -> ImportResult:
    """Import a catalog file's bytes into products plus row errors.

    ``format`` is one of :data:`FORMATS` or None to sniff it. ``default_currency`` applies where the file
    names none; ``default_stock`` is the stock of orderable items in a Merchant Center feed (feeds carry
    no quantities). Raises :class:`CatalogError` only when the file as a whole cannot be read.
    """
    if format is not None and format not in FORMATS:
        raise catalog_error("format_unknown", format=format, expected=", ".join(FORMATS))
    text, encoding = decode(data)
    if not text.strip():
        raise catalog_error("file_empty")
    fmt = format or sniff_format(text)
    if fmt == "google":
        return import_google(text, encoding=encoding, default_currency=default_currency,
                             default_stock=default_stock)
    return _IMPORTERS[fmt](text, encoding=encoding, default_currency=default_currency)
