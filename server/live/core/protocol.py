"""JSON messages of the live protocol, the declarative message table, close codes and errors.

Client → server text frames are validated here (``parse_client_message``) against the table
:data:`MESSAGES`: message type → pydantic model → handler name on :class:`~server.live.core.room.Room` →
rate limit. Server → client messages are pydantic models too, encoded once with :func:`encode` and the same
``str`` handed to every recipient. Pose and tick frames are binary: see :mod:`server.live.core.poses`.

Exception tree (the package's one root):

RealtimeError
├── ProtocolError   – an inbound frame is malformed or invalid; ``code`` is the ``error`` message's code
└── JoinRefused     – a join cannot be admitted; ``close_code`` is what the socket is closed with
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from enum import IntEnum
from typing import Annotated, Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue, StringConstraints, ValidationError

PROTOCOL_VERSION: Final = 1
MAX_MESSAGE_BYTES: Final = 64 * 1024  # the WebSocket layer enforces it (close 1009); repeated here for docs
MAX_CHAT_CHARS: Final = 500

EMOTES: Final = ("wave", "clap", "heart", "laugh", "thumbs_up", "point", "bow", "cheer")
NOTICE_KINDS: Final = (
    "scene_published",
    "festival_opening",
    "festival_closing",
    "store_suspended",
    "going_down",
    "degraded",
    "recovered",
    "live_degraded",
    "live_restored",
)


class CloseCode(IntEnum):
    """Application close codes (4000–4999); ``web_client/shared/protocol.js`` is generated from this table."""

    PROTOCOL_ERROR = 4000  # bad or missing hello, binary frame before hello, unsupported version
    UNAUTHORIZED = 4001  # no or invalid shopper session
    INVALID_MESSAGES = 4002  # too many invalid messages (10 within ~10 s)
    FLOODING = 4003  # sustained message rate above the per-connection ceiling
    STORE_FULL = 4004  # every instance of the store is full and no more may open
    SLOW_CONSUMER = 4005  # the send queue stayed full; the client must reconnect and resync
    STORE_CLOSED = 4006  # the store was suspended or the festival closed
    FESTIVAL_FULL = 4007  # the organizer's festival-wide cap of live shoppers is reached
    REPLACED = 4008  # the same session opened a newer connection to this store
    HELLO_TIMEOUT = 4009  # no hello within the allowed time after the upgrade
    HEARTBEAT_TIMEOUT = 4010  # silent after a WebSocket ping: the peer is presumed dead
    BUSY = 4011  # this worker admits no new shoppers now (measured load): retry after a while


# After these a client must not reconnect on its own: the server would refuse it again right away, so the
# client tells the shopper instead (docs/PROTOCOL.md, "Close codes").
NO_AUTOMATIC_RETRY: Final = frozenset({
    CloseCode.PROTOCOL_ERROR, CloseCode.INVALID_MESSAGES, CloseCode.STORE_FULL, CloseCode.STORE_CLOSED,
    CloseCode.FESTIVAL_FULL, CloseCode.REPLACED,
})


class RealtimeError(Exception):
    """Root of every error the realtime package raises on purpose."""


class ProtocolError(RealtimeError):
    """An inbound frame is malformed or invalid; ``code`` goes into the ``error`` reply."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class JoinRefused(RealtimeError):
    """A join was refused; close the socket with ``close_code`` and ``reason``."""

    def __init__(self, close_code: CloseCode, reason: str) -> None:
        super().__init__(reason)
        self.close_code = close_code
        self.reason = reason


# ---------------------------------------------------------------- client → server

Sku = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[^\x00-\x1f\x7f]+$")]
Token = Annotated[str, StringConstraints(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9_\-]+$")]


class ClientMessage(BaseModel):
    """Base of inbound JSON messages: unknown fields are rejected so typos surface early."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Hello(ClientMessage):
    """First message on a connection; ``resume`` restores an identity within the grace period."""

    type: Literal["hello"]
    v: Literal[1] = 1
    resume: Token | None = None
    group: Token | None = None  # cart id; the I/O layer must check the session belongs to it
    locale: Literal["ko", "en"] | None = None


class Focus(ClientMessage):
    """The sku the shopper is looking at (``None``: nothing)."""

    type: Literal["focus"]
    sku: Sku | None


class Look(ClientMessage):
    """The shopper opened a product's panel (``panel``) or chose another of its options (``option``). Counted by
    analytics only (server/domain/analytics.py); nothing goes back to the room."""

    type: Literal["look"]
    what: Literal["panel", "option"]
    sku: Sku


class Chat(ClientMessage):
    """A chat line to the shopper's instance (not stored)."""

    type: Literal["chat"]
    text: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_CHAT_CHARS)]


class Emote(ClientMessage):
    """A gesture from the fixed set :data:`EMOTES`."""

    type: Literal["emote"]
    name: Literal["wave", "clap", "heart", "laugh", "thumbs_up", "point", "bow", "cheer"]


class Ping(ClientMessage):
    """Round-trip probe; ``t`` is echoed in ``pong``."""

    type: Literal["ping"]
    t: Annotated[float, Field(allow_inf_nan=False)]


@dataclass(frozen=True, slots=True)
class MessageSpec:
    """One row of the message table: model, the Room method that handles it, its token bucket."""

    model: type[ClientMessage]
    handler: str
    rate: float  # tokens per second
    burst: float  # bucket size


# The declarative message table. ``hello`` is listed so a second hello gets a proper error reply.
MESSAGES: Final[Mapping[str, MessageSpec]] = {
    "hello": MessageSpec(Hello, "on_hello", rate=0.2, burst=2),
    "focus": MessageSpec(Focus, "on_focus", rate=10.0, burst=10),
    "look": MessageSpec(Look, "on_look", rate=2.0, burst=6),
    "chat": MessageSpec(Chat, "on_chat", rate=0.5, burst=5),  # 5 per 10 s
    "emote": MessageSpec(Emote, "on_emote", rate=1.0, burst=3),
    "ping": MessageSpec(Ping, "on_ping", rate=1.0, burst=5),
}


def _describe(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors()[:3]:
        loc = ".".join(str(x) for x in err["loc"]) or "message"
        parts.append(f"{loc}: {err['msg']}")
    return "; ".join(parts)


def parse_client_message(raw: str | bytes) -> ClientMessage:
    """Decode and validate one client text frame against :data:`MESSAGES`.

    Raises :class:`ProtocolError` with code ``bad_json``, ``bad_message``, ``unknown_type`` or ``invalid``.
    """
    if len(raw) > MAX_MESSAGE_BYTES:
        raise ProtocolError("too_large", f"message larger than {MAX_MESSAGE_BYTES} bytes")
    try:
        obj = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ProtocolError("bad_json", f"not JSON: {exc}") from None
    if not isinstance(obj, dict) or not isinstance(obj.get("type"), str):
        raise ProtocolError("bad_message", "a message is a JSON object with a string 'type'")
    spec = MESSAGES.get(obj["type"])
    if spec is None:
        raise ProtocolError("unknown_type", f"unknown message type {obj['type'][:32]!r}")
    try:
        return spec.model.model_validate(obj)
    except ValidationError as exc:
        raise ProtocolError("invalid", _describe(exc)) from None


def parse_hello(raw: str | bytes) -> Hello:
    """Validate the first frame of a connection; anything but a valid ``hello`` raises ProtocolError."""
    msg = parse_client_message(raw)
    if not isinstance(msg, Hello):
        raise ProtocolError("bad_hello", "the first message must be hello")
    return msg


# ---------------------------------------------------------------- server → client


class ServerMessage(BaseModel):
    """Base of outbound JSON messages."""

    model_config = ConfigDict(extra="forbid")


class PeerIdentity(BaseModel):
    """Who a peer is; ``color`` is ``#rrggbb``; ``group`` is their cart id if they shop in a group."""

    id: int
    name: str
    color: str
    group: str | None = None


class PoseJson(BaseModel):
    """A decoded head pose: position in metres (store frame, y up), quaternion ``[x, y, z, w]``."""

    p: tuple[float, float, float]
    q: tuple[float, float, float, float]
    t: int  # the sender's client time in ms (uint32, wraps)


class PeerSnapshot(PeerIdentity):
    """A peer in ``welcome``: identity plus the last head pose if one was received."""

    pose: PoseJson | None = None


class Welcome(ServerMessage):
    """Reply to ``hello``: who you are, where, and the full initial state (Colyseus-style)."""

    type: Literal["welcome"] = "welcome"
    v: int = PROTOCOL_VERSION
    you: PeerIdentity
    store: str
    instance: int
    resume: str
    resumed: bool
    scene: dict[str, str]
    tick_hz: float
    peers: list[PeerSnapshot]
    focus: dict[str, int]


class Product(ServerMessage):
    """A live price/stock change; ``None`` fields did not change. Money is minor units + ISO 4217."""

    type: Literal["product"] = "product"
    store: str
    sku: str
    price: int | None = None
    sale_price: int | None = None
    currency: str | None = None
    stock: int | None = None


class CartBy(BaseModel):
    """Who changed a cart: their live peer id in your instance if known, and display name."""

    id: int | None = None
    name: str


class CartEvent(ServerMessage):
    """"Cart ``cart`` is now ``version``": a client that sees a version gap re-reads the cart over REST."""

    type: Literal["cart"] = "cart"
    cart: str
    version: int
    change: dict[str, JsonValue]
    by: CartBy


class FocusCounts(ServerMessage):
    """How many shoppers of the instance look at each sku; only changed counts, 0 means none."""

    type: Literal["focus_counts"] = "focus_counts"
    counts: dict[str, int]


class ChatOut(ServerMessage):
    """A chat line relayed to the instance (the sender gets it too, for ordering)."""

    type: Literal["chat"] = "chat"
    id: int
    name: str
    text: str


class EmoteOut(ServerMessage):
    """Peer ``id`` did emote ``name``; sent to those who currently see that peer."""

    type: Literal["emote"] = "emote"
    id: int
    name: str


class Notice(ServerMessage):
    """A store- or festival-level event; extra fields depend on ``kind`` (see PROTOCOL.md)."""

    model_config = ConfigDict(extra="allow")
    type: Literal["notice"] = "notice"
    kind: Literal[
        "scene_published",
        "festival_opening",
        "festival_closing",
        "store_suspended",
        "going_down",
        "degraded",
        "recovered",
        "live_degraded",
        "live_restored",
    ]


class ErrorOut(ServerMessage):
    """A rejected inbound message; ``code`` is stable, ``message`` is for humans."""

    type: Literal["error"] = "error"
    code: str
    message: str


class Pong(ServerMessage):
    """Reply to ``ping``: the client's ``t`` echoed plus server time in ms."""

    type: Literal["pong"] = "pong"
    t: float
    server_ms: int


def encode(msg: ServerMessage) -> str:
    """Serialise an outbound message to the text frame sent on the wire (``None`` fields omitted)."""
    return msg.model_dump_json(exclude_none=True)


def error_frame(code: str, message: str) -> str:
    """The ``error`` text frame for a rejected message."""
    return encode(ErrorOut(code=code, message=message))


def server_ms(now: float) -> int:
    """Server time as the uint32 millisecond counter used in ``pong`` and tick headers."""
    return math.floor(now * 1000.0) & 0xFFFFFFFF


def notice(kind: str, **fields: Any) -> str:
    """Encode a ``notice`` of ``kind`` with extra fields (validated: ``kind`` must be a known kind)."""
    return encode(Notice.model_validate({"kind": kind, **fields}))
