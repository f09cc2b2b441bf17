"""The abuse limits, in one place: which actions are rate-limited, per whom, and how much by default.

A limit is a ``limits`` expression ("30/minute", "5 per 10 seconds"): a sliding window per client. The client is
the session (or account) behind the request when there is one, else the address it comes from — so a hundred
shoppers behind one mobile carrier's NAT only share the anonymous limits (session creation), which are sized for
that. ``VRSTORE_RATE_LIMITS`` overrides any of them ("sessions=300/minute,checkout=off") or switches all of them
off ("off", for load tests from one machine).
"""

from __future__ import annotations

from dataclasses import dataclass

from limits import RateLimitItem, parse


@dataclass(frozen=True)
class Rule:
    default: str
    why: str
    by_address: bool = False  # counted per client address even when the caller is signed in


RULES: dict[str, Rule] = {
    "sessions": Rule("120/minute", "guest sessions created from one address (a carrier NAT hides many shoppers)",
                     by_address=True),
    "queue_tickets": Rule("10/minute", "waiting-room tickets taken by one session (one is kept; retakes are free)"),
    "share_codes": Rule("20/minute", "share-code joins tried by one session"),
    "share_code_misses": Rule("10/hour", "wrong share codes one session may try before it is locked out"),
    "share_code_misses_by_address": Rule("60/hour", "wrong share codes from one address (new sessions do not "
                                         "reset the lockout)", by_address=True),
    "uploads": Rule("60/minute", "catalog, image and model uploads by one merchant account"),
    "builds": Rule("10/minute", "scene builds started by one merchant account"),
    "image_fetches": Rule("20/hour", "image URL fetches started by one merchant account (each fetches a catalog)"),
    "checkout": Rule("30/minute", "checkout attempts by one session"),
    "advisor": Rule("20/minute", "shopping advisor questions by one session (or address, without one): each is "
                    "several searches, or a call to the LLM"),
}

OFF = "off"


class BadLimits(ValueError):
    """``VRSTORE_RATE_LIMITS`` names an unknown limit or a value ``limits`` cannot read."""


def resolve(overrides: str) -> dict[str, RateLimitItem | None]:
    """Every rule's limit after ``overrides`` ("" keeps the defaults; None means off)."""
    text = overrides.strip()
    chosen: dict[str, str] = {name: rule.default for name, rule in RULES.items()}
    if text.lower() == OFF:
        return dict.fromkeys(RULES)
    for part in filter(None, (p.strip() for p in text.split(","))):
        name, sep, value = part.partition("=")
        name, value = name.strip(), value.strip()
        if not sep or name not in RULES:
            raise BadLimits(f"{part!r}: expected name=limit with name one of {', '.join(RULES)}")
        chosen[name] = value
    out: dict[str, RateLimitItem | None] = {}
    for name, value in chosen.items():
        if value.lower() == OFF:
            out[name] = None
            continue
        try:
            out[name] = parse(value)
        except ValueError:
            raise BadLimits(f"{name}={value!r}: expected a limit such as 30/minute or off") from None
    return out
