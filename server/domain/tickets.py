"""Waiting-room tickets: opaque, signed, bound to one festival and one shopper session.

A ticket is ``base64url("festival:session") + "." + base64url(HMAC-SHA256(key, that))[:22]`` (132 bits of
MAC). The server keeps the queue itself; the ticket only proves which place a caller may ask about, so a
forged ticket fails the MAC, and a ticket handed to someone else fails the session check.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass


class BadTicket(ValueError):
    """Not a ticket this server issued for this festival and session."""


@dataclass(frozen=True, slots=True)
class Ticket:
    festival: str
    session: int


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _mac(key: bytes, payload: bytes) -> str:
    return _b64(hmac.new(key, payload, hashlib.sha256).digest())[:22]


def sign(key: bytes, festival: str, session: int) -> str:
    payload = f"{festival}:{session}".encode()
    return f"{_b64(payload)}.{_mac(key, payload)}"


def verify(key: bytes, ticket: str, *, festival: str, session: int) -> Ticket:
    """The ticket, if it is this server's for exactly this festival and session; else BadTicket."""
    body, _, mac = ticket.partition(".")
    if not body or len(ticket) > 300 or not mac.isascii():
        raise BadTicket("not a ticket")
    try:
        payload = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    except (ValueError, TypeError):
        raise BadTicket("not a ticket") from None
    if not hmac.compare_digest(_mac(key, payload), mac):
        raise BadTicket("not a ticket this server issued")
    name, _, who = payload.decode(errors="replace").rpartition(":")
    if name != festival or who != str(session):
        raise BadTicket("this ticket belongs to another festival or shopper")
    return Ticket(festival, session)
