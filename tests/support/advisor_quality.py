"""The advisor's quality on its labelled queries (tests/server/advisor_queries.yaml): precision@5 and constraint
satisfaction, shared by tests/server/test_advisor_quality.py and bench/advisor_quality.py."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from server.contracts import search as cs
from server.domain.search_text import category_matches, compact, option_name
from server.persistence.database import Database
from server.services import advisor, search

QUERIES = Path(__file__).resolve().parents[1] / "server" / "advisor_queries.yaml"
FESTIVAL = "korea-sale-festa"


def load_queries() -> list[dict[str, Any]]:
    return list(yaml.safe_load(QUERIES.read_text(encoding="utf-8")))


@dataclass
class Report:
    queries: int = 0
    precision_sum: float = 0.0
    cards: int = 0
    cards_ok: int = 0
    latencies_ms: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    @property
    def precision_at_5(self) -> float:
        return self.precision_sum / self.queries if self.queries else 0.0

    @property
    def constraint_satisfaction(self) -> float:
        return self.cards_ok / self.cards if self.cards else 1.0

    def p(self, q: float) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0


def _relevant(hit: cs.SearchHit, labels: dict[str, list[str]]) -> bool:
    names = compact(hit.name.ko) + "|" + compact(hit.name.en)
    return (any(compact(n) in names for n in labels.get("name_any", []))
            or any(category_matches(hit.category, c) for c in labels.get("category_any", [])))


def _keeps(hit: cs.SearchHit, expect: dict[str, Any], this_price: int | None) -> str | None:
    """None when the card keeps every labelled constraint, else which one it breaks."""
    checks = {
        "price_max": lambda v: hit.price_max <= v, "price_min": lambda v: hit.price_min >= v,
        "category": lambda v: category_matches(hit.category, v), "on_sale": lambda v: hit.on_sale == v,
        "in_stock": lambda v: hit.in_stock == v,
        "colour": lambda v: [compact(x) for x in _option(hit, "색상")] == [compact(v)],
        "size": lambda v: [compact(x) for x in _option(hit, "사이즈")] == [compact(v)],
        "cheaper_than_this": lambda v: this_price is not None and hit.price_max < this_price,
    }
    return next((name for name, value in expect.items() if not checks[name](value)), None)


def _option(hit: cs.SearchHit, name: str) -> list[str]:
    return next((values for key, values in hit.options.items() if option_name(key) == option_name(name)), [])


async def _cart(database: Database, entry: dict[str, Any], now: datetime) -> tuple[list[cs.CartItem], int | None]:
    if "cart" not in entry:
        return [], None
    store, name = entry["cart"]["store"], entry["cart"]["name"]
    result = await database.read_sync(search.search_sync, FESTIVAL, cs.SearchQuery(q=name, store=store, limit=1), now)
    hit = result.items[0]
    return [cs.CartItem(store=store, sku=hit.sku)], hit.price_min


async def evaluate(database: Database) -> Report:
    report = Report()
    now = datetime.now(UTC)
    for entry in load_queries():
        cart, this_price = await _cart(database, entry, now)
        body = cs.AdvisorBody(message=entry["message"], lang=entry["lang"], festival=FESTIVAL, cart=cart)
        t0 = time.perf_counter()
        answer, _ = await database.read_sync(advisor.advise_sync, body, now)
        report.latencies_ms.append((time.perf_counter() - t0) * 1000)
        top = [card.product for card in answer.cards[:5]]
        report.queries += 1
        if entry.get("none"):
            report.precision_sum += 0.0 if top else 1.0
            if top:
                report.failures.append(f"{entry['message']!r}: expected nothing, got {top[0].name.ko}")
        elif top:
            relevant = sum(_relevant(hit, entry.get("relevant", {})) for hit in top)
            report.precision_sum += relevant / len(top)
            if relevant < len(top):
                report.failures.append(f"{entry['message']!r}: {relevant}/{len(top)} relevant "
                                       f"({', '.join(h.name.ko + ' ' + h.category for h in top)})")
        else:
            report.failures.append(f"{entry['message']!r}: no card ({answer.answer})")
        for hit in answer.cards:
            report.cards += 1
            broken = _keeps(hit.product, entry.get("expect", {}), this_price)
            if broken is None:
                report.cards_ok += 1
            else:
                report.failures.append(f"{entry['message']!r}: {hit.product.name.ko} breaks {broken}")
    return report
