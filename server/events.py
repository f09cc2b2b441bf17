"""Internal event hooks: services announce what happened; realtime (and tests) listen.

Services must not import the realtime layer, so they publish plain events here; the realtime layer
subscribes when the app starts. Listeners are called in order and must not block.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger("vrstore.events")


@dataclass(frozen=True)
class Event:
    """``kind`` is one of: product, cart, notice, build; ``store_id``/``cart_id`` scope it."""

    kind: str
    payload: dict[str, Any]
    store_id: int | None = None
    cart_id: int | None = None
    session_ids: tuple[int, ...] = ()


Listener = Callable[[Event], Awaitable[None]]


@dataclass
class EventHooks:
    listeners: list[Listener] = field(default_factory=list)

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        self.listeners.append(listener)
        return lambda: self.listeners.remove(listener)

    async def publish(self, event: Event) -> None:
        for listener in list(self.listeners):
            try:
                await listener(event)
            except Exception:  # one broken listener must not fail the merchant's request
                log.exception("event listener failed for %s", event.kind)


@dataclass
class VisitorBoard:
    """Live visitor counts by store slug; the realtime hub installs the provider when it starts."""

    provider: Callable[[], dict[str, int]] | None = None

    def counts(self) -> dict[str, int]:
        return self.provider() if self.provider is not None else {}
