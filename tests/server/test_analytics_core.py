"""The analytics counters and rules without I/O: what a minute counts, the k-anonymity rule, buckets."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from server.domain.analytics import (
    K_MIN,
    Accumulator,
    Row,
    bucket_starts,
    cell_of,
    declines_spike,
    merge,
    minute_of,
    record_event,
    shown,
    suppressed,
)
from server.domain.events import CartChanged, CheckoutEnded, OrderChanged

T0 = 1_800_000_000.0 - 1_800_000_000.0 % 60  # a minute boundary


def by_kind(rows: list[Row]) -> dict[tuple[str, str, str], Row]:
    return {(r.store, r.kind, r.key): r for r in rows}


def test_a_minute_counts_visits_looks_cells_and_dwell() -> None:
    acc = Accumulator()
    for s in ("1", "2", "3"):
        acc.enter(T0 + 1, "fest", "shop", s)
    # Three seconds of samples: shopper 1 looks at A for all three (one view), 2 looks at A, away, then A again
    # (two views), 3 has no pose yet in the first second.
    acc.sample(T0 + 2, "fest", "shop", [("1", "A", 120, 30), ("2", "A", 10, 10), ("3", None, None, None)])
    acc.sample(T0 + 3, "fest", "shop", [("1", "A", 120, 30), ("2", None, 10, 10), ("3", "B", -1, 0)])
    acc.sample(T0 + 4, "fest", "shop", [("1", "A", 130, 40), ("2", "A", 10, 10), ("3", "B", -1, 0)])
    acc.leave(T0 + 5, "fest", "shop", "1", 4.0)
    acc.leave(T0 + 5, "fest", "shop", "2", 4.5)
    assert acc.take(T0 + 59) == [], "the current minute is not taken"
    rows = by_kind(acc.take(T0 + 60))
    assert rows[("shop", "enter", "")].n == 3 and rows[("shop", "enter", "")].shoppers == 3
    assert rows[("shop", "visit", "")].n == 9 and rows[("shop", "visit", "")].shoppers == 3
    assert rows[("shop", "view", "A")].n == 3 and rows[("shop", "view", "A")].shoppers == 2
    assert rows[("shop", "view", "B")].n == 1
    assert rows[("shop", "cell", "2,0")].n == 3 and rows[("shop", "cell", "0,0")].n == 3
    assert rows[("shop", "cell", "-1,0")].n == 2, "cells below zero floor towards minus infinity"
    assert rows[("shop", "dwell", "")].value == 8.5 and rows[("shop", "dwell", "")].n == 2
    assert acc.take(T0 + 600) == [], "taken minutes are forgotten"


def test_a_look_survives_a_minute_boundary_as_one_view() -> None:
    acc = Accumulator()
    acc.sample(T0 + 59, "f", "s", [("1", "A", 0, 0)])
    acc.sample(T0 + 60, "f", "s", [("1", "A", 0, 0)])
    views = [r for r in acc.take_all() if r.kind == "view"]
    assert sum(r.n for r in views) == 1


def test_panel_openings_and_option_changes_count_per_sku_and_shopper() -> None:
    acc = Accumulator()
    acc.looks(T0, "fest", "shop", [("s1", "panel", "A"), ("s2", "panel", "A"), ("s1", "option", "A-L")])
    acc.looks(T0 + 1, "fest", "shop", [("s1", "panel", "A")])
    rows = {(r.kind, r.key): (r.n, r.shoppers) for r in acc.take_all()}
    assert rows == {("panel", "A"): (3, 2), ("option", "A-L"): (1, 1)}


def test_service_events_count_cart_lines_orders_and_checkouts() -> None:
    acc = Accumulator()
    add = CartChanged(cart=1, version=2, change={"type": "line_added", "store": "shop", "sku": "A"},
                      session_ids=(7,), by_session=7)
    record_event(acc, add, T0)
    record_event(acc, CartChanged(cart=1, version=3, change={"type": "line_removed", "store": "shop", "sku": "A"},
                                  session_ids=(7,), by_session=7), T0)
    record_event(acc, CartChanged(cart=1, version=4, change={"type": "share_code_rotated"}, session_ids=(7,)), T0)
    record_event(acc, OrderChanged(order=1, group=9, store="shop", store_id=1, status="paid", total=5000,
                                   currency="KRW"), T0)
    record_event(acc, OrderChanged(order=1, group=9, store="shop", store_id=1, status="shipped", total=5000,
                                   currency="KRW"), T0)
    record_event(acc, CheckoutEnded(cart=1, outcome="declined", session=7), T0)
    rows = by_kind(acc.take_all())
    assert set(rows) == {("shop", "add", "A"), ("shop", "remove", "A"), ("shop", "order", "KRW"),
                         ("", "checkout", "declined")}
    assert rows[("shop", "order", "KRW")].value == 5000 and rows[("shop", "order", "KRW")].n == 1
    assert rows[("", "checkout", "declined")].cart == 1, "the writer looks the festival up by cart"


def test_merge_fills_festivals_drops_the_unknown_and_adds_same_keys() -> None:
    rows = [Row(60, "", "shop", "add", "A", 1, 1), Row(60, "", "shop", "add", "A", 2, 2),
            Row(60, "", "", "checkout", "paid", 1, 1, cart=5), Row(60, "", "", "checkout", "paid", 1, 1, cart=6),
            Row(60, "", "gone", "add", "A", 1, 1), Row(60, "fest", "shop", "enter", "", 4, 4)]
    out = {(r.festival, r.store, r.kind): r for r in merge(rows, {"shop": "fest"}, {5: "fest", 6: "fest"})}
    assert set(out) == {("fest", "shop", "add"), ("fest", "", "checkout"), ("fest", "shop", "enter")}
    assert out[("fest", "shop", "add")].n == 3 and out[("fest", "", "checkout")].n == 2


def test_the_one_suppression_rule() -> None:
    assert K_MIN == 5
    assert suppressed(4) and not suppressed(5)
    assert shown(123, 4) is None and shown(123, 5) == 123
    assert shown(0, 0) is None


def test_cells_are_half_metres() -> None:
    assert cell_of(0, 0) == "0,0" and cell_of(49, 99) == "0,1" and cell_of(-1, 50) == "-1,1"


def test_buckets_follow_the_festival_time_zone() -> None:
    seoul = ZoneInfo("Asia/Seoul")
    since = int(datetime(2026, 11, 27, 14, 30, tzinfo=UTC).timestamp())  # 23:30 in Seoul
    until = since + 3 * 3600
    days = bucket_starts(since, until, "day", seoul)
    assert [datetime.fromtimestamp(d, seoul).isoformat() for d in days] == [
        "2026-11-27T00:00:00+09:00", "2026-11-28T00:00:00+09:00"]
    hours = bucket_starts(since, until, "hour", seoul)
    assert len(hours) == 4 and datetime.fromtimestamp(hours[0], seoul).hour == 23
    assert bucket_starts(since, since + 300, "minute", seoul) == [since + 60 * i for i in range(5)]
    assert minute_of(since + 59.9) == since


def test_a_declines_spike_needs_both_a_count_and_a_share() -> None:
    assert not declines_spike(4, 4), "too few to call it a spike"
    assert declines_spike(5, 16) and not declines_spike(5, 17)
    assert not declines_spike(0, 0)


def test_the_behaviour_model_is_seeded_and_buys_cheap_things_more_often() -> None:
    import random

    from loadtest.behaviour import MIN_GAP_S, MIN_LOOK_S, Behaviour, Shelf, add_probability, plan_visit

    b = Behaviour()
    assert add_probability(5_000, b) > add_probability(20_000, b) > add_probability(90_000, b)
    assert add_probability(20_000, b) == pytest.approx(0.45)
    assert add_probability(1, b) == 0.95
    shelves = [Shelf(f"S{i}", 1_000 * (i + 1), float(i), 0.0, "front" if i < 5 else "back") for i in range(10)]
    plans = [plan_visit(random.Random(seed), shelves) for seed in range(200)]
    assert plans[:3] == [plan_visit(random.Random(seed), shelves) for seed in range(3)], "same seed, same visit"
    looks = [s for p in plans for s in p if s.kind == "look"]
    assert all(s.seconds >= MIN_LOOK_S and s.gap >= MIN_GAP_S for s in looks), "every look outlasts two samples"
    added = {s.sku for p in plans for s in p if s.kind == "add"}
    assert all(p[-1].kind != "checkout" or any(s.kind == "add" for s in p) for p in plans if p)
    assert "S0" in added and any(p and p[-1].kind == "checkout" for p in plans)
