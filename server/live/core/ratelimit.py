"""Token buckets with the clock passed in (sans-I/O), one per connection and message kind."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(slots=True)
class TokenBucket:
    """``rate`` tokens per second up to ``burst``; a message costs one token."""

    rate: float
    burst: float
    tokens: float
    stamp: float

    @classmethod
    def full(cls, rate: float, burst: float, now: float) -> TokenBucket:
        """A bucket that starts full at time ``now``."""
        return cls(rate=rate, burst=burst, tokens=burst, stamp=now)

    def take(self, now: float, cost: float = 1.0) -> bool:
        """Take ``cost`` tokens if available at ``now``; ``False`` means the message is over the limit."""
        # A clock that steps backwards (tests, resumed peers) must not mint tokens or go negative. Plain
        # comparisons instead of min/max: this runs twice for every pose frame (20,000 times a second).
        elapsed = now - self.stamp
        if elapsed > 0.0:
            tokens = self.tokens + elapsed * self.rate
            self.tokens = tokens if tokens < self.burst else self.burst
            self.stamp = now
        if self.tokens >= cost:
            self.tokens -= cost
            return True
        return False
