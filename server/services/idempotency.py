"""Idempotency keys, as Stripe does them, for the checkout.

- A key is scoped to the caller's session; it lives 24 h (``TTL``). After that the same key is a new request.
- ``claim`` inserts the key as ``in_flight`` (the unique constraint decides who wins a race). The winner
  runs the checkout and stores the response: on success in the SAME transaction as the order (a crash can
  never leave one without the other); on a failure that the checkout produced (out of stock, declined,
  price changed...) after rolling back to a savepoint. The claim is part of that same unit of work
  (checkout.py), so other writers never see it in flight: a concurrent duplicate waits for the commit
  (PostgreSQL: on the unique index) and replays.
- Same key, same request, done: the stored response is replayed (same status, same body: a refusal is
  stored as its domain error record and rendered the same way again).
  Same key, different request: 422. Same key while the first is still running: 409.
- Not stored (Stripe neither): requests that fail validation or authentication, or lose the in-flight race.
  An unexpected error releases the key: nothing was committed, so a retry may run again.
- A crash between claim and completion leaves the key ``in_flight`` with nothing committed; a retry after
  ``TAKEOVER_S`` (60 s; ``VRSTORE_IDEMPOTENCY_TAKEOVER_S``) takes it over with a fresh lock token. The
  completion is conditional on that token, so a slow original can never also complete.
- Expired keys are purged opportunistically (at most every ``PURGE_EVERY_S`` per process, during a claim).
"""

from __future__ import annotations

import hashlib
import re
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, delete, update

from server.domain.errors import BadRequest, Conflict, Unprocessable
from server.persistence import statements as sql
from server.persistence.tables import IdempotencyKey, utcnow

TTL = timedelta(hours=24)
TAKEOVER_S = 60.0  # Settings.idempotency_takeover_s; create_app calls set_takeover
PURGE_EVERY_S = 300.0
MAX_KEY_LENGTH = 255
KEY_PATTERN = rf"^[!-~]{{1,{MAX_KEY_LENGTH}}}$"  # visible ASCII; the OpenAPI document states the same header rule
_KEY = re.compile(KEY_PATTERN)
_last_purge = 0.0


def set_takeover(seconds: float) -> None:
    """Use the app's ``idempotency_takeover_s`` (one value per process, like the writer it guards)."""
    global TAKEOVER_S
    TAKEOVER_S = seconds


@dataclass(frozen=True)
class Claim:
    """We hold the key: run the request, then complete with this token."""

    id: int
    lock_token: str


@dataclass(frozen=True)
class Stored:
    """The key was already used for this request: replay this response."""

    status: int
    body: bytes


def check_key(raw: str | None) -> str:
    """The header's value: required, 1..255 visible ASCII characters (400 otherwise)."""
    if raw is None or not raw.strip():
        raise BadRequest("the Idempotency-Key header is required (e.g. a UUID per checkout attempt)")
    key = raw.strip()
    if _KEY.fullmatch(key) is None:
        raise BadRequest(f"an Idempotency-Key is 1..{MAX_KEY_LENGTH} visible ASCII characters")
    return key


def request_hash(*parts: str) -> str:
    """Fingerprint of what the key was used for (the operation and its canonical body)."""
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()


def claim(conn: Connection, session_id: int, key: str, fingerprint: str) -> Claim | Stored:
    token = secrets.token_hex(16)
    now = utcnow()
    _maybe_purge(conn)
    inserted = sql.key_insert(conn.dialect.name).first(conn, {
        "p_session_id": session_id, "p_key": key, "p_request_hash": fingerprint, "p_status": "in_flight",
        "p_lock_token": token, "p_created_at": now, "p_locked_at": now})
    if inserted is not None:
        return Claim(inserted[0], token)
    found = sql.KEY_ROW.first(conn, {"p_session": session_id, "p_key": key})
    assert found is not None  # the conflict says it exists, and keys are only deleted by this writer
    key_id, request_hash_, status, lock_token, response_status, response_body, created, locked = found
    created_at, locked_at = _aware(created), _aware(locked)
    if created_at <= now - TTL:
        # Expired: the key starts a new life (Stripe forgets keys after 24 h).
        _retake(conn, key_id, lock_token, token, fingerprint=fingerprint, created_at=now)
        return Claim(key_id, token)
    if request_hash_ != fingerprint:
        raise Unprocessable("this Idempotency-Key was used for a different request; use a new key",
                            errors=[{"loc": ["header", "Idempotency-Key"], "msg": "reused with another body"}])
    if status == "done":
        return Stored(response_status, response_body.encode())
    if locked_at <= now - timedelta(seconds=TAKEOVER_S):
        # The first attempt died between claim and completion (nothing of it was committed).
        _retake(conn, key_id, lock_token, token)
        return Claim(key_id, token)
    raise Conflict("a request with this Idempotency-Key is still in progress; retry shortly",
                   extra={"retry_after_s": 1})


def _aware(value: datetime) -> datetime:
    # Core selects of a TypeDecorator column come back processed; this only guards a naive SQLite value.
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _retake(conn: Connection, key_id: int, old_token: str, token: str, **changes: Any) -> None:
    values = {"status": "in_flight", "lock_token": token, "locked_at": utcnow(), "response_status": None,
              "response_body": None, **({"request_hash": changes["fingerprint"], "created_at": changes["created_at"]}
                                         if changes else {})}
    took = conn.execute(update(IdempotencyKey).where(
        IdempotencyKey.id == key_id, IdempotencyKey.lock_token == old_token).values(**values)
        .returning(IdempotencyKey.id)).first()
    if took is None:  # someone else took it over first (PostgreSQL; SQLite writers are serialised)
        raise Conflict("a request with this Idempotency-Key is still in progress; retry shortly")


def complete(conn: Connection, held: Claim, status: int, body: bytes) -> None:
    """Store the response, in the caller's transaction; fails (rolling it back) if the key was taken over."""
    done = sql.KEY_COMPLETE.first(conn, {"p_id": held.id, "p_token": held.lock_token, "p_status": status,
                                         "p_body": body.decode()})
    if done is None:
        raise Conflict("this request's Idempotency-Key was taken over by a retry; its result wins")


def release(conn: Connection, held: Claim) -> None:
    """Give the key up (the two-phase checkout, when the provider could not be reached): a retry runs afresh."""
    conn.execute(delete(IdempotencyKey).where(IdempotencyKey.id == held.id,
                                              IdempotencyKey.lock_token == held.lock_token))


def _maybe_purge(conn: Connection) -> None:
    global _last_purge
    if time.monotonic() - _last_purge < PURGE_EVERY_S:
        return
    _last_purge = time.monotonic()
    conn.execute(delete(IdempotencyKey).where(IdempotencyKey.created_at <= utcnow() - TTL))
