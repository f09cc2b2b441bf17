"""The sale window rule, once: start inclusive, end exclusive, a missing bound open-ended."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from server.domain.sale_window import within_sale_window

START = datetime(2026, 11, 1, tzinfo=UTC)
END = datetime(2026, 11, 15, tzinfo=UTC)
SECOND = timedelta(seconds=1)


@pytest.mark.parametrize(("starts", "ends", "now", "open_"), [
    (START, END, START - SECOND, False),
    (START, END, START, True),
    (START, END, END - SECOND, True),
    (START, END, END, False),
    (None, END, START - timedelta(days=999), True),
    (START, None, END + timedelta(days=999), True),
    (None, None, START, True),
])
def test_within_sale_window(starts: datetime | None, ends: datetime | None, now: datetime, open_: bool) -> None:
    assert within_sale_window(starts, ends, now) is open_
