"""What the live layer asks of the rest of the server, and nothing more: no SQL, no tables in server/realtime.

``server/services/live_data.py`` answers these from the database; tests may answer them from memory.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

PLAZA = "plaza"  # the store name of the festival plaza in live URLs and rooms


@dataclass(frozen=True)
class StoreScene:
    """An open store (or a festival's plaza): the scene to load and the festival's live-visitor cap."""

    scene: dict[str, str]  # {"glb": url, "manifest": url}, or {} while it has none
    visitor_cap: int | None


@dataclass(frozen=True)
class SaleWindow:
    festival: str
    open: bool


class LiveData(Protocol):
    async def join_context(self, session_id: int, store: str) -> tuple[str | None, StoreScene | None]:
        """In one read: the shopper session's display name (None: no such session) and the scene of the
        approved store (``plaza``: the festival plaza's; None: no such store is open)."""

    async def is_cart_member(self, cart_id: int, session_id: int) -> bool:
        """Whether the session belongs to the cart (only members are placed with its group)."""

    async def cart_versions(self, cart_ids: list[int]) -> dict[int, int]:
        """The current version of each existing cart."""

    async def sale_windows(self) -> list[SaleWindow]:
        """Every festival and whether its sale is on now."""
