"""What happened, as typed values. Services publish them once their transaction has committed; the live edge
turns them into frames for the shoppers concerned, and passes the live ones to the other workers as JSON."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ProductChanged:
    """A product's price, sale price or stock changed (no rebuild needed)."""

    store: str
    store_id: int
    sku: str
    price: int
    sale_price: int | None
    unit_price: int
    stock: int
    currency: str


@dataclass(frozen=True)
class ScenePublished:
    """A store's (or the festival plaza's) new scene is ready; ``scene`` is its content hash."""

    store: str  # a store slug, or "plaza"
    scene: str
    store_id: int | None = None
    festival: str | None = None  # set for a plaza (its live room is keyed by the festival)

    @property
    def glb(self) -> str:
        return f"/scenes/{self.scene}.glb"

    @property
    def manifest(self) -> str:
        return f"/scenes/{self.scene}.json"


@dataclass(frozen=True)
class StoreSuspended:
    """The organizer suspended a store: its shoppers are sent back to the lobby."""

    store: str
    store_id: int


@dataclass(frozen=True)
class CartChanged:
    """A group cart moved to ``version``; its members (``session_ids``) re-read it."""

    cart: int
    version: int
    change: dict[str, Any]
    session_ids: tuple[int, ...]
    by_session: int | None = None
    by_name: str = ""


@dataclass(frozen=True)
class OrderChanged:
    """An order was placed or moved along its states (for listeners off the live path, e.g. analytics)."""

    order: int
    group: int
    store: str
    store_id: int
    status: str
    total: int
    currency: str


@dataclass(frozen=True)
class CheckoutEnded:
    """A checkout attempt ended (paid or refused: ``outcome`` as the checkout metric counts it), for analytics."""

    cart: int
    outcome: str
    session: int | None = None


@dataclass(frozen=True)
class TokenRevoked:
    """An API token was revoked (a shopper signed out): the live sockets it opened close on every worker."""

    token_id: int


Event = (ProductChanged | ScenePublished | StoreSuspended | CartChanged | OrderChanged | TokenRevoked
         | CheckoutEnded)
# What shoppers see live, so what the other workers must hear too.
LIVE_EVENTS: tuple[type[Event], ...] = (ProductChanged, ScenePublished, StoreSuspended, CartChanged, TokenRevoked)
_BY_NAME: dict[str, type[Event]] = {kind.__name__: kind for kind in (*LIVE_EVENTS, OrderChanged)}


def to_wire(event: Event) -> dict[str, Any]:
    """A JSON-ready dict naming the event's type."""
    return {"type": type(event).__name__, **dataclasses.asdict(event)}


def from_wire(data: dict[str, Any]) -> Event:
    """The event ``to_wire`` described; KeyError or TypeError when it describes none."""
    fields = dict(data)
    kind = _BY_NAME[fields.pop("type")]
    if kind is CartChanged:
        fields["session_ids"] = tuple(fields["session_ids"])
    return kind(**fields)
