"""Workers tick on the wall clock's tick boundaries, whenever each of them started (to within a few µs: the
wall clock is ~1.7e9 s, so a double keeps about 0.2 µs of it)."""

from __future__ import annotations

import math

import pytest

from server.live.service import next_tick_boundary


@pytest.mark.parametrize("offset", [0.0, 1_700_000_000.123, -5.55])
def test_boundaries_fall_on_wall_clock_multiples_of_the_interval(offset: float) -> None:
    for after in (0.0, 0.04, 12.3456, 99.99):
        at = next_tick_boundary(after, 0.1, wall_offset=offset)
        assert after <= at < after + 0.1 + 1e-9
        wall = (at + offset) / 0.1
        assert math.isclose(wall, round(wall), abs_tol=1e-4)


def test_two_workers_started_apart_tick_together() -> None:
    offset = 1_700_000_000.0
    a = next_tick_boundary(3.217, 0.1, wall_offset=offset)
    b = next_tick_boundary(7.561, 0.1, wall_offset=offset)
    assert math.isclose((b - a) / 0.1, round((b - a) / 0.1), abs_tol=1e-4)  # a whole number of ticks apart


def test_a_time_on_a_boundary_is_its_own_boundary() -> None:
    assert next_tick_boundary(2.0, 0.5, wall_offset=0.0) == 2.0
