"""Reading delimited text (CSV/TSV) into numbered records, with the whole-file limits."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from storefront_builder.catalog._rows import MAX_ROWS
from storefront_builder.catalog.messages import catalog_error

# Descriptions can be long, but a single cell over 1 MiB is not a catalog; csv's default limit is 128 KiB.
_FIELD_LIMIT = 1 << 20


def first_line(text: str) -> str:
    """The first non-blank line, used to sniff formats and delimiters."""
    for line in text.splitlines():
        if line.strip():
            return line
    return ""


def sniff_delimiter(header_line: str) -> str:
    """Tab for TSV feeds, semicolon for European Excel, comma otherwise."""
    counts = {d: header_line.count(d) for d in ("\t", ",", ";")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


@dataclass
class Table:
    """A header plus an iterator of ``(row_number, {header: cell})``; row 1 is the header."""

    header: list[str]
    header_row: int
    records: Iterator[tuple[int, dict[str, str]]]


def _check_row_count(text: str, delimiter: str) -> None:
    # Records never outnumber lines, so only a file with many lines pays for an exact count, and it pays
    # before any row is validated rather than after 100,000 of them.
    if text.count("\n") <= MAX_ROWS + 1:
        return
    try:
        rows = sum(1 for cells in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter) if cells)
    except csv.Error:
        return  # reported with its row number by the real pass
    if rows > MAX_ROWS + 1:
        raise catalog_error("too_many_rows", max=MAX_ROWS)


def read_table(text: str, delimiter: str | None = None, key: Callable[[str], str] | None = None) -> Table:
    """Split ``text`` into records keyed by header (``key`` normalises header names once).

    Raises CatalogError when there is no header or more than ``MAX_ROWS`` data rows.
    """
    delim = delimiter or sniff_delimiter(first_line(text))
    csv.field_size_limit(_FIELD_LIMIT)
    _check_row_count(text, delim)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delim)
    header: list[str] | None = None
    header_row = 0
    try:
        for number, cells in enumerate(reader, start=1):
            if any(cell.strip() for cell in cells):
                header, header_row = [c.strip() for c in cells], number
                if key is not None:
                    header = [key(h) for h in header]
                break
    except csv.Error as exc:
        raise catalog_error("header_unreadable", detail=str(exc)) from exc
    if not header:
        raise catalog_error("header_missing")
    return Table(header=header, header_row=header_row, records=_records(reader, header, header_row))


Record = tuple[int, dict[str, str]]


def _records(reader: Iterator[list[str]], header: list[str], header_row: int) -> Iterator[Record]:
    width = len(header)
    number = header_row
    data_rows = 0
    try:
        for cells in reader:
            number += 1
            if not any(cell.strip() for cell in cells):
                continue  # blank spreadsheet rows keep their number but are not products
            data_rows += 1
            if data_rows > MAX_ROWS:
                raise catalog_error("too_many_rows", max=MAX_ROWS)
            if len(cells) < width:
                cells = cells + [""] * (width - len(cells))
            yield number, dict(zip(header, cells, strict=False))
    except csv.Error as exc:
        raise catalog_error("csv_unparseable", row=number + 1, detail=str(exc)) from exc
