"""Typed events cross workers as JSON and come back equal; anything else is refused, not misread."""

from __future__ import annotations

import json

import pytest

from server.domain.events import (
    CartChanged,
    Event,
    OrderChanged,
    ProductChanged,
    ScenePublished,
    StoreSuspended,
    from_wire,
    to_wire,
)
from server.live.cluster.cluster import event_bytes, event_from_bytes

EVENTS: list[Event] = [
    ProductChanged(store="s", store_id=1, sku="A-1", price=1000, sale_price=None, unit_price=1000, stock=3,
                   currency="KRW"),
    ScenePublished(store="plaza", scene="ab" * 32, festival="ksf"),
    ScenePublished(store="s", scene="cd" * 32, store_id=2),
    StoreSuspended(store="s", store_id=1),
    CartChanged(cart=7, version=3, change={"type": "line_added", "sku": "A-1"}, session_ids=(1, 2), by_session=1,
                by_name="민지"),
    OrderChanged(order=9, group=4, store="s", store_id=1, status="paid", total=15000, currency="KRW"),
]


@pytest.mark.parametrize("event", EVENTS, ids=lambda e: type(e).__name__)
def test_round_trip_through_the_bus_encoding(event: Event) -> None:
    assert from_wire(json.loads(json.dumps(to_wire(event)))) == event
    assert event_from_bytes(event_bytes("w1", event)) == ("w1", event)


@pytest.mark.parametrize("wire", [{"type": "Nope"}, {"type": "StoreSuspended", "store": "s"},
                                  {"type": "StoreSuspended", "store": "s", "store_id": 1, "extra": 2}, {}])
def test_an_unknown_or_malformed_event_is_refused(wire: dict[str, object]) -> None:
    with pytest.raises((KeyError, TypeError)):
        from_wire(wire)


def test_scene_urls_follow_the_content_hash() -> None:
    event = ScenePublished(store="s", scene="ef" * 32)
    assert (event.glb, event.manifest) == (f"/scenes/{'ef' * 32}.glb", f"/scenes/{'ef' * 32}.json")
