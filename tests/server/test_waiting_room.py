"""Waiting-room rules (sans-I/O, explicit clock) and its signed tickets."""

from __future__ import annotations

import random

import pytest

from server.domain import tickets
from server.domain import waiting_room as wr

KEY = b"k" * 32


def line(n: int, *, start: int = 0) -> wr.QueueState:
    state = wr.QueueState()
    for s in range(start, start + n):
        wr.join(state, s, float(s), opened=True)
    return state


def test_fifo_by_arrival_and_positions_count_from_one() -> None:
    state = line(5)
    assert [wr.standing(state, s, configured_rate=None, paused=False).position for s in range(5)] == [1, 2, 3, 4, 5]
    assert wr.admit(state, 2, 10.0, window_s=60) == [0, 1]
    assert wr.standing(state, 4, configured_rate=None, paused=False).position == 3


def test_a_refresh_or_a_second_tab_keeps_the_place() -> None:
    state = line(3)
    again = wr.join(state, 1, 99.0, opened=True)
    assert again.arrived == 1.0 and wr.standing(state, 1, configured_rate=None, paused=False).position == 2
    assert len(state.line) == 3


def test_the_prequeue_is_shuffled_at_opening_and_goes_ahead_of_later_arrivals() -> None:
    state = wr.QueueState()
    for s in range(100):
        wr.join(state, s, float(s), opened=False)
    assert wr.standing(state, 0, configured_rate=1.0, paused=False).phase is wr.Phase.PREQUEUE
    # Joining early again gives nothing: still the pre-queue, no position.
    assert wr.join(state, 0, 50.0, opened=False).phase is wr.Phase.PREQUEUE
    order = wr.open_sale(state, random.Random(7))
    assert sorted(order) == list(range(100)) and order != list(range(100))  # a draw, not arrival order
    wr.join(state, 1000, 200.0, opened=True)  # after the opening: behind everyone pre-queued
    assert wr.admit(state, 101, 300.0, window_s=60) == [*order, 1000]


def test_a_fair_draw_gives_early_refreshers_no_edge() -> None:
    """Over many openings, the first to pre-queue is first after the draw about 1 in N times, not always."""
    firsts = 0
    for seed in range(400):
        state = wr.QueueState()
        for s in range(10):
            wr.join(state, s, float(s), opened=False)
        firsts += wr.open_sale(state, random.Random(seed))[0] == 0
    assert 15 <= firsts <= 70  # expected 40 (1 in 10)


def test_an_admitted_ticket_lapses_after_its_window_and_the_next_is_admitted() -> None:
    state = line(3)
    assert wr.admit(state, 1, 0.0, window_s=60) == [0]
    assert wr.may_enter(state, 0, 59.9) and not wr.may_enter(state, 0, 60.0)
    assert wr.expire(state, 60.0) == [0]
    assert wr.standing(state, 0, configured_rate=None, paused=False).phase is wr.Phase.LAPSED
    assert wr.admit(state, 1, 60.0, window_s=60) == [1]
    wr.join(state, 0, 61.0, opened=True)  # a lapsed shopper may line up again, at the back
    assert wr.standing(state, 0, configured_rate=None, paused=False).position == 2


def test_eta_uses_the_measured_rate_and_is_unknown_while_paused() -> None:
    state = line(1000)
    assert wr.standing(state, 50, configured_rate=2.0, paused=False).eta_s == pytest.approx(51 / 2.0)
    assert wr.standing(state, 50, configured_rate=None, paused=False).eta_s is None  # nothing to go by yet
    now = 0.0
    for _ in range(60):  # 5 a second, measured
        now += 1.0
        wr.admit(state, 5, now, window_s=60)
    standing = wr.standing(state, 500, configured_rate=2.0, paused=False)  # the measured rate wins
    assert standing.position == 201 and standing.eta_s == pytest.approx(201 / 5)
    assert wr.standing(state, 500, configured_rate=None, paused=True).eta_s is None


def test_idle_and_paused_spells_do_not_count_as_a_slow_line() -> None:
    """Found by ``vrstore loadtest --arrivals``: after an hour of empty line the first estimates were ~9x too long."""
    empty = wr.QueueState()
    assert wr.admit(empty, 5, 0.0, window_s=60) == [] and empty.rate_per_s is None  # nobody waited: no rate
    state = line(1000)
    state.last_admit_at = 0.0  # the last round was an hour ago
    wr.admit(state, 5, 3600.0, window_s=60, paused=True)  # paused: nothing measured, the clock restarts
    for now in (3601.0, 3602.0):
        wr.admit(state, 5, now, window_s=60)  # then 5 a second
    assert state.rate_per_s == pytest.approx(5.0)
    assert wr.standing(state, 500, configured_rate=None, paused=False).eta_s == pytest.approx(491 / 5)


def test_leaving_closes_the_gap() -> None:
    state = line(4)
    wr.leave(state, 1)
    assert [wr.standing(state, s, configured_rate=None, paused=False).position for s in (0, 2, 3)] == [1, 2, 3]
    assert wr.standing(state, 1, configured_rate=None, paused=False) is None


def test_tickets_cannot_be_forged_or_passed_on() -> None:
    good = tickets.sign(KEY, "fest", 7)
    assert tickets.verify(KEY, good, festival="fest", session=7) == tickets.Ticket("fest", 7)
    body, mac = good.split(".")
    for bad, kwargs in [
        (tickets.sign(b"x" * 32, "fest", 7), {"festival": "fest", "session": 7}),  # another key: forged
        (body + "." + ("A" if mac[0] != "A" else "B") + mac[1:], {"festival": "fest", "session": 7}),
        (good, {"festival": "fest", "session": 8}),  # handed to someone else
        (good, {"festival": "other", "session": 7}),
        ("garbage", {"festival": "fest", "session": 7}),
        ("%%%.@@@", {"festival": "fest", "session": 7}),
    ]:
        with pytest.raises(tickets.BadTicket):
            tickets.verify(KEY, bad, **kwargs)  # type: ignore[arg-type]


def test_the_front_polls_sooner() -> None:
    state = line(1000)
    wr.admit(state, 0, 0.0, window_s=60)
    for now in (1.0, 2.0):
        wr.admit(state, 50, now, window_s=60)  # 50 a second
    polls = [wr.poll_after_s(wr.standing(state, s, configured_rate=None, paused=False)) for s in (105, 400, 950)]
    assert polls == [1.0, 1.0, 5.0]  # 5th place; ~6 s away though 300 deep; ~17 s away


def test_the_back_of_a_long_line_polls_seldom_but_hears_its_turn_in_time() -> None:
    state = line(20_000)
    wr.admit(state, 0, 0.0, window_s=60)
    for now in (1.0, 2.0):
        wr.admit(state, 50, now, window_s=60)  # 50 a second
    polls = {s: wr.poll_after_s(wr.standing(state, s, configured_rate=None, paused=False)) for s in (2_000, 8_000,
                                                                                                   19_000)}
    assert polls[2_000] == pytest.approx(9.5, abs=0.5)  # ~38 s away: a quarter of that
    assert polls[8_000] == polls[19_000] == wr.POLL_FAR_S  # minutes away: twice a minute, not 12 times
    assert wr.POLL_FAR_S < 60  # the admitted turn (60 s) is heard before it lapses
    unknown = wr.standing(line(500), 400, configured_rate=None, paused=False)  # nothing admitted yet: no estimate
    assert unknown.eta_s is None and wr.poll_after_s(unknown) == wr.POLL_S
