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


def test_the_waiting_line_is_a_prequeue_only_before_the_start() -> None:
    from datetime import UTC, datetime, timedelta

    from server.domain.sale_window import festival_started

    now = datetime(2026, 12, 4, 12, tzinfo=UTC)
    assert not festival_started(now + timedelta(seconds=1), now)
    assert festival_started(now, now)
    assert festival_started(now - timedelta(days=3), now)  # ended or not, the sale began: FIFO from here on
    assert festival_started(None, now)
