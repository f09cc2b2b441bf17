"""Workers tick on the wall clock's tick boundaries, whenever each of them started (to within a few µs: the
wall clock is ~1.7e9 s, so a double keeps about 0.2 µs of it)."""

from __future__ import annotations

import math

import pytest

from server.live.service import next_tick_boundary, next_tick_due


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


def test_a_tick_a_little_late_runs_at_once_on_its_boundary() -> None:
    # Due at 1.0; the tick took until 1.13: the boundary 1.1 passed 30 ms ago (under half an interval) — run it now.
    assert next_tick_due(1.0, 1.13, 0.1, wall_offset=0.0) == pytest.approx(1.1)
    # Done early: the next boundary as usual.
    assert next_tick_due(1.0, 1.02, 0.1, wall_offset=0.0) == pytest.approx(1.1)


def test_ticks_that_each_run_a_little_over_keep_the_rate() -> None:
    """A loop starved by socket reads: each timer fires 30 ms late and each tick takes 90 ms, so every tick ends
    20 ms past the next boundary. All ten still run each second (skipping whenever behind had given five)."""
    due, end, ran = 0.0, 0.0, 0
    while due < 10.0 - 1e-6:  # the boundaries 0.0 … 9.9 (floating sums drift by ~1e-15)
        start = max(due + 0.03, end)
        end = start + 0.09
        ran += 1
        due = next_tick_due(due, end, 0.1, wall_offset=0.0)
    assert ran == 100


def test_far_behind_skips_to_the_next_boundary_instead_of_bursting() -> None:
    # Due at 1.0, done at 1.37 (a GC pause): 1.1, 1.2 and 1.3 are gone; the next tick is at 1.4, not at once.
    assert next_tick_due(1.0, 1.37, 0.1, wall_offset=0.0) == pytest.approx(1.4)
