"""Internal event hooks: services announce what happened; realtime (and tests) listen.

Services must not import the realtime layer, so they publish plain events here; the realtime layer
subscribes when the app starts. Listeners are called in order and must not block.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from server.domain.events import Event

log = logging.getLogger("vrstore.events")


Listener = Callable[[Event], Awaitable[None]]


@dataclass
class EventHooks:
    listeners: list[Listener] = field(default_factory=list)

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        self.listeners.append(listener)
        return lambda: self.listeners.remove(listener)

    async def publish_all(self, events: list[Event]) -> None:
        """Deliver events once their transaction has committed (never before: a rollback must not be seen)."""
        for event in events:
            await self.publish(event)

    async def publish(self, event: Event) -> None:
        for listener in list(self.listeners):
            try:
                await listener(event)
            except Exception:  # one broken listener must not fail the merchant's request
                log.exception("event listener failed for %s", type(event).__name__)


@dataclass
class VisitorBoard:
    """Live visitor counts by store slug; the realtime hub installs the provider when it starts."""

    provider: Callable[[], dict[str, int]] | None = None

    def counts(self) -> dict[str, int]:
        return self.provider() if self.provider is not None else {}
