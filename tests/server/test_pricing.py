"""The pricing rule: sale price, festival discounts inside the window, floor rounding."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from server.services.pricing import FestivalPricing, Rule, quote

NOW = datetime(2026, 11, 28, 12, tzinfo=UTC)
OPEN = dict(starts_at=NOW - timedelta(days=1), ends_at=NOW + timedelta(days=1))


def q(price: int, sale: int | None = None, rules: tuple[Rule, ...] = (), *, store: int = 1,
      category: str = "식품 > 과일", window: dict[str, datetime] | None = None) -> int:
    festival = FestivalPricing(rules=rules, **(OPEN if window is None else window))
    return quote(price=price, sale_price=sale, currency="KRW", store_id=store, category=category,
                 festival=festival, now=NOW).unit_price


def test_regular_and_sale_price() -> None:
    assert q(15000) == 15000
    assert q(15000, 12000) == 12000
    assert q(15000, 16000) == 15000  # a "sale" above the price is ignored


def test_festival_discount_stacks_on_the_sale_price_and_floors() -> None:
    assert q(15000, 12000, (Rule(1, 10),)) == 10800
    assert q(999, None, (Rule(1, 15),)) == 849  # 849.15 floored: the remainder goes to the shopper


def test_only_the_best_matching_rule_applies() -> None:
    rules = (Rule(1, 10), Rule(2, 30, store_id=2), Rule(3, 20, category="식품"), Rule(4, 50, category="의류"))
    assert q(10000, rules=rules) == 8000
    assert q(10000, rules=rules, store=2) == 7000
    assert q(10000, rules=rules, category="의류 > 셔츠") == 5000
    assert q(10000, rules=(Rule(5, 20, category="식품 > 과"),)) == 10000  # prefix by whole segments


def test_rules_apply_only_inside_the_sale_window() -> None:
    before = {"starts_at": NOW + timedelta(hours=1), "ends_at": NOW + timedelta(days=2)}
    after = {"starts_at": NOW - timedelta(days=2), "ends_at": NOW}
    assert q(10000, rules=(Rule(1, 10),), window=before) == 10000
    assert q(10000, rules=(Rule(1, 10),), window=after) == 10000


@given(price=st.integers(0, 10**9), sale=st.one_of(st.none(), st.integers(0, 10**9)),
       percent=st.integers(0, 90))
def test_price_is_an_integer_never_above_regular_never_negative(price: int, sale: int | None, percent: int) -> None:
    unit = q(price, sale, (Rule(1, percent),))
    assert isinstance(unit, int) and 0 <= unit <= price
