"""Per-member state of a room and the room's tunables (kept apart from the room's logic)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final

from server.live.core.actions import ConnId
from server.live.core.protocol import MESSAGES
from server.live.core.ratelimit import TokenBucket

PALETTE: Final = (
    "#e6194b", "#3cb44b", "#4363d8", "#f58231", "#911eb4", "#46f0f0",
    "#f032e6", "#bcf60c", "#fabebe", "#008080", "#e6beff", "#9a6324",
)
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


@dataclass(frozen=True, slots=True)
class RoomConfig:
    """Tunables of one room; defaults are the production values described in PROTOCOL.md."""

    k: int = 32  # nearest peers per recipient per tick (plus group members)
    tick_hz: float = 10.0
    far_radius_m: float | None = 10.0  # peers farther than this update every other tick; None: never slower
    view_radius_m: float | None = None  # peers farther than this are never sent (except group members)
    grace_s: float = 30.0  # an away peer keeps its identity this long
    focus_interval_s: float = 0.5  # focus_counts at most at 2 Hz
    pose_rate: float = 20.0  # accepted poses per second; extra ones are dropped and counted
    pose_burst: float = 4.0
    flood_rate: float = 60.0  # all inbound frames per second; sustained excess closes with FLOODING
    flood_burst: float = 120.0
    strike_rate: float = 1.0  # invalid messages: a bucket of 10 refilling 1/s ≈ "10 within 10 s" closes
    strike_burst: float = 10.0
    max_members: int = 4096  # hard ceiling per room (present + away); the hub's capacity is far lower


@dataclass(slots=True)
class Member:
    """One shopper's identity and rules state in a room; ``conn`` is ``None`` while away."""

    peer_id: int
    slot: int
    session: str
    conn: ConnId | None
    name: str
    color: str
    group: str | None
    token: str
    blob: bytes  # identity as encoded in a tick's joined section, computed once
    flood: TokenBucket
    strikes: TokenBucket
    pose_bucket: TokenBucket
    buckets: dict[str, TokenBucket] = field(default_factory=dict)
    away_since: float | None = None
    focus: str | None = None

    @classmethod
    def create(
        cls, cfg: RoomConfig, *, peer_id: int, slot: int, session: str, conn: ConnId, name: str,
        group: str | None, token: str, blob: bytes, now: float,
    ) -> Member:
        """A fresh member with full token buckets."""
        return cls(
            peer_id=peer_id, slot=slot, session=session, conn=conn, name=name, color=color_for(peer_id),
            group=group, token=token, blob=blob,
            flood=TokenBucket.full(cfg.flood_rate, cfg.flood_burst, now),
            strikes=TokenBucket.full(cfg.strike_rate, cfg.strike_burst, now),
            pose_bucket=TokenBucket.full(cfg.pose_rate, cfg.pose_burst, now),
            buckets={t: TokenBucket.full(s.rate, s.burst, now) for t, s in MESSAGES.items()},
        )


def color_for(peer_id: int) -> str:
    """Avatar colour of a peer id (consecutive ids get distinct colours)."""
    return PALETTE[peer_id % len(PALETTE)]


def clean_name(name: str) -> str:
    """A display name safe to show: no control characters, at most 32 characters, never empty."""
    cleaned = " ".join(_CONTROL.sub("", name).split())[:32]
    return cleaned or "Guest"


def scene_dict(scene: Mapping[str, str]) -> dict[str, str]:
    """Copy of the caller's scene URLs for ``welcome``."""
    return {str(k): str(v) for k, v in scene.items()}
