"""What the live layer asks of the rest of the server, and nothing more: no SQL, no tables in server/live.

``server/services/live_data.py`` answers these from the database; tests may answer them from memory.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Protocol

PLAZA = "plaza"  # the store name of a festival's plaza in live URLs (``?store=plaza&festival=…``)


def plaza_room(festival: str) -> str:
    """The live room key of a festival's plaza: every festival has its own."""
    return f"{PLAZA}:{festival}"


@dataclass(frozen=True)
class StoreScene:
    """A store (or a festival's plaza): its live room, its festival, the scene to load, the festival's
    live-visitor cap, and whether the organizer suspended it (a join is then refused with 409)."""

    room: str  # the store's slug, or plaza_room(festival)
    festival: str
    scene: dict[str, str]  # {"glb": url, "manifest": url}, or {} while it has none
    visitor_cap: int | None
    scene_hash: str | None = None  # names the scene's files (its manifest holds the walkable area)
    suspended: bool = False


@dataclass(frozen=True)
class SaleWindow:
    festival: str
    open: bool
    visitor_cap: int | None = None
    started: bool = True  # the sale has begun (or has no start): the waiting line's pre-queue is drawn


class LiveData(Protocol):
    async def join_context(self, session_id: int, store: str, festival: str | None
                           ) -> tuple[str | None, StoreScene | None]:
        """In one read: the shopper session's display name (None: no such session) and the scene of the
        approved or suspended store (``plaza``: the plaza of ``festival``, which may be omitted only while there
        is one festival; None: no such store, or one never approved)."""

    async def is_cart_member(self, cart_id: int, session_id: int) -> bool:
        """Whether the session belongs to the cart (only members are placed with its group)."""

    async def cart_versions(self, cart_ids: list[int]) -> dict[int, int]:
        """The current version of each existing cart."""

    async def sale_windows(self) -> list[SaleWindow]:
        """Every festival, whether its sale is on now, and its live-visitor cap."""

    async def invalid_tokens(self, token_ids: Collection[int]) -> set[int]:
        """Those of the given API token ids that no longer authenticate anyone (revoked, or deleted)."""


class Admissions(Protocol):
    """The festival's waiting room, as a live join sees it (``services/waiting_rooms.py``)."""

    async def must_queue(self, festival: str, session: int, *, admitting: bool, full: bool) -> bool:
        """Whether this join must wait in line (an admitted ticket is used up by the entry it allows)."""
