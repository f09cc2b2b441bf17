"""Who is calling: the principal behind a request, and the tokens that name one.

Tokens are 32 random bytes (URL-safe base64) with a role prefix; only their SHA-256 is stored. A SHA-256
of a 256-bit random secret cannot be brute-forced, so a slow password hash would only cost latency.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from typing import Literal

Role = Literal["organizer", "merchant", "shopper"]
_PREFIX: dict[str, str] = {"organizer": "vro", "merchant": "vrm", "shopper": "vrs"}


@dataclass(frozen=True)
class Principal:
    """Who is calling, and the one tenant they belong to."""

    role: Role
    token_id: int
    festival_id: int | None = None
    merchant_id: int | None = None
    session_id: int | None = None


def new_token(role: Role) -> tuple[str, str]:
    """A fresh token and the hash to store; the token itself is shown once and never kept."""
    token = f"{_PREFIX[role]}_{secrets.token_urlsafe(32)}"
    return token, hash_token(token)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()
