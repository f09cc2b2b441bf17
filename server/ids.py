"""Database ids written as text (in paths, live groups): the one parser.

``str.isdigit`` is true for '³', '①' and other non-ASCII digits that ``int`` refuses; here only ASCII digits
count, and only values the id columns can hold, so a malformed id is simply "no such thing", never an error.
"""

from __future__ import annotations

import re

MAX_DB_ID = 2**31 - 1  # id columns are 32-bit integers on SQLite and PostgreSQL alike
_ASCII_DIGITS = re.compile(r"[0-9]{1,10}")


def parse_db_id(raw: str) -> int | None:
    """``"42"`` → 42; anything else (other digits, signs, spaces, 0, out of range) → None."""
    if _ASCII_DIGITS.fullmatch(raw) is None:
        return None
    value = int(raw)
    return value if 0 < value <= MAX_DB_ID else None
