"""Seat ledger: instance capacity and the festival-wide cap, held across every server process.

A seat is one shopper's place in an instance of a store (present or away within the resume grace). The Hub
asks the ledger *where* a new seat goes and tells it when a seat is gone; the rule is the Hub's
(:mod:`server.realtime.hub`), here in :func:`choose_instance` so that one pure function is the reference
and the Redis script mirrors it line by line:

1. festival cap: if the seats of every store together reach ``festival_cap`` → ``Refused("festival_full")``;
2. ``prefer`` (the instance of the shopper's cart group) while it has fewer than ``capacity + prefer_slack``
   seats (and it is open, or opening it is allowed);
3. else the **fullest** instance that still has room (ties → lowest number);
4. else the lowest free instance number, unless ``max_instances`` are open → ``Refused("store_full")``.

An instance is *open* while it has at least one seat.

:class:`LocalSeatLedger` is the one-process ledger (a dict). :class:`RedisSeatLedger` keeps the seats in Redis
so N workers share them; each ``claim``/``release`` is **one Lua script** (atomic: two workers can never both
take the last seat). Seats are owned per worker so that a killed worker's seats disappear by themselves.

Redis key layout (``{p}`` is the prefix, default ``vrstore``; ``{w}`` a worker id, unique per process
incarnation; one plain Redis, not Cluster: the scripts reach keys they find in the worker set):

=============================  ======  =====================================================================
``{p}:seats:workers``          SET     ids of workers that may own seats
``{p}:seats:w:{w}:alive``      STRING  "1" with a TTL (``ttl_s``, default 10 s) refreshed by every script call
                                       and by ``heartbeat()`` (every ~2 s); gone = the worker is dead
``{p}:seats:w:{w}:s:{store}``  HASH    instance number → seats this worker holds there (no zero fields)
``{p}:seats:w:{w}:stores``     SET     stores in which this worker holds seats
``{p}:seats:w:{w}:total``      STRING  this worker's seats over every store (what the festival cap sums)
=============================  ======  =====================================================================

Every script skips workers whose ``alive`` key is gone; ``claim`` also deletes their keys. Each worker
keeps a mirror of its own seats and every ``heartbeat`` writes it over the worker's keys: when Redis restarted
empty, or the worker stalled past the TTL and was pruned, its seats come back within one heartbeat (claim and
release notice the missing ``alive`` key and write the mirror first), so live state recovers without anyone
re-joining; a seat whose claim reply was lost to a timeout is dropped the same way. Ledger operations of one
worker run one at a time (a lock), which keeps the mirror exactly what Redis should hold for it.

Failures: while Redis is unreachable every RedisSeatLedger method raises :class:`LedgerUnavailable` within
``op_timeout_s``; nothing is retried here (the caller decides whether to admit locally or refuse).
"""

from __future__ import annotations

import abc
import asyncio
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from redis.asyncio import Redis

from .protocol import RealtimeError
from .redis_conn import REDIS_ERRORS, redis_client

if TYPE_CHECKING:
    from server.settings import Settings

log = logging.getLogger("vrstore.seats")


class LedgerUnavailable(RealtimeError):
    """The shared ledger (Redis) cannot be reached right now."""


@dataclass(frozen=True, slots=True)
class Refused:
    """No seat: ``reason`` is the JoinRefused reason (close code STORE_FULL or FESTIVAL_FULL)."""

    reason: Literal["store_full", "festival_full"]


STORE_FULL = Refused("store_full")
FESTIVAL_FULL = Refused("festival_full")


def choose_instance(
    counts: Mapping[int, int], *, capacity: int, max_instances: int | None, prefer: int | None, prefer_slack: int
) -> int | Refused:
    """Where a new seat goes in a store whose open instances hold ``counts`` seats (rules 2-4 above)."""
    open_ = {n: c for n, c in counts.items() if c > 0}
    can_open = max_instances is None or len(open_) < max_instances
    if prefer is not None and prefer >= 1:
        seats = open_.get(prefer, 0)
        if seats < capacity + prefer_slack and (seats > 0 or can_open):
            return prefer
    roomy = [(c, -n) for n, c in open_.items() if c < capacity]
    if roomy:
        return -max(roomy)[1]
    if not can_open:
        return STORE_FULL
    n = 1
    while n in open_:
        n += 1
    return n


class SeatLedger(abc.ABC):
    """Seats per store instance, shared by every process that uses the same ledger."""

    @abc.abstractmethod
    async def claim(
        self, store: str, *, capacity: int, max_instances: int | None = None, festival_cap: int | None = None,
        prefer: int | None = None, prefer_slack: int = 0,
    ) -> int | Refused:
        """Take a seat by the module's rules: the instance number, or why not."""

    @abc.abstractmethod
    async def release(self, store: str, instance: int) -> None:
        """Give back a seat this process took (a seat it does not hold is ignored)."""

    @abc.abstractmethod
    async def counts(self, store: str) -> dict[int, int]:
        """Seats per open instance of ``store``, over every live worker."""

    @abc.abstractmethod
    async def total(self) -> int:
        """Seats over every store and live worker (what the festival cap counts)."""

    async def heartbeat(self) -> None:  # noqa: B027 - optional: only shared ledgers need it
        """Prove this process alive (shared ledgers only); call every ~2 s, e.g. with :func:`keep_alive`."""

    async def close(self) -> None:  # noqa: B027 - optional: only a Redis ledger has something to close
        """Release resources (not the seats: a stopping worker's seats expire with its heartbeat)."""


class LocalSeatLedger(SeatLedger):
    """The ledger of a single process."""

    def __init__(self) -> None:
        self._seats: dict[str, dict[int, int]] = {}

    async def claim(
        self, store: str, *, capacity: int, max_instances: int | None = None, festival_cap: int | None = None,
        prefer: int | None = None, prefer_slack: int = 0,
    ) -> int | Refused:
        """See :meth:`SeatLedger.claim`."""
        if festival_cap is not None and await self.total() >= festival_cap:
            return FESTIVAL_FULL
        seats = self._seats.setdefault(store, {})
        chosen = choose_instance(seats, capacity=capacity, max_instances=max_instances, prefer=prefer,
                                 prefer_slack=prefer_slack)
        if isinstance(chosen, int):
            seats[chosen] = seats.get(chosen, 0) + 1
        elif not seats:
            del self._seats[store]
        return chosen

    async def release(self, store: str, instance: int) -> None:
        """See :meth:`SeatLedger.release`."""
        seats = self._seats.get(store, {})
        if seats.get(instance, 0) <= 0:
            return
        seats[instance] -= 1
        if not seats[instance]:
            del seats[instance]
        if not seats:
            del self._seats[store]

    async def counts(self, store: str) -> dict[int, int]:
        """See :meth:`SeatLedger.counts`."""
        return dict(self._seats.get(store, {}))

    async def total(self) -> int:
        """See :meth:`SeatLedger.total`."""
        return sum(c for seats in self._seats.values() for c in seats.values())


# Shared by the scripts: key names, skipping/pruning dead workers. ARGV[1] = prefix, ARGV[2] = this worker.
_LUA_PRELUDE = """
local prefix, me = ARGV[1], ARGV[2]
local workers = prefix .. ':seats:workers'
local function key(w, part) return prefix .. ':seats:w:' .. w .. ':' .. part end
local function alive(w) return redis.call('EXISTS', key(w, 'alive')) == 1 end
local function prune(w)
  for _, s in ipairs(redis.call('SMEMBERS', key(w, 'stores'))) do redis.call('DEL', key(w, 's:' .. s)) end
  redis.call('DEL', key(w, 'stores'), key(w, 'total'))
  redis.call('SREM', workers, w)
end
"""

# ARGV: prefix, me, ttl_ms, store, capacity, max_instances (-1: none), festival_cap (-1: none), prefer (0: none),
# prefer_slack. Returns the instance, -1 store_full, -2 festival_full, -3 "restore me first" (alive key gone).
# The choice below is choose_instance() in Lua; keep them in step (the tests compare them).
_CLAIM = _LUA_PRELUDE + """
local ttl, store = tonumber(ARGV[3]), ARGV[4]
local capacity, max_inst, fcap = tonumber(ARGV[5]), tonumber(ARGV[6]), tonumber(ARGV[7])
local prefer, slack = tonumber(ARGV[8]), tonumber(ARGV[9])
if not alive(me) then return -3 end
local counts, total = {}, 0
for _, w in ipairs(redis.call('SMEMBERS', workers)) do
  if not alive(w) then
    prune(w)
  else
    total = total + tonumber(redis.call('GET', key(w, 'total')) or '0')
    local h = redis.call('HGETALL', key(w, 's:' .. store))
    for i = 1, #h, 2 do
      local n = tonumber(h[i])
      counts[n] = (counts[n] or 0) + tonumber(h[i + 1])
    end
  end
end
if fcap >= 0 and total >= fcap then return -2 end
local n_open = 0
for _, c in pairs(counts) do if c > 0 then n_open = n_open + 1 end end
local can_open = max_inst < 0 or n_open < max_inst
local chosen = nil
if prefer >= 1 then
  local c = counts[prefer] or 0
  if c < capacity + slack and (c > 0 or can_open) then chosen = prefer end
end
if chosen == nil then
  for n, c in pairs(counts) do
    if c > 0 and c < capacity and (chosen == nil or c > counts[chosen] or (c == counts[chosen] and n < chosen)) then
      chosen = n
    end
  end
end
if chosen == nil then
  if not can_open then return -1 end
  chosen = 1
  while (counts[chosen] or 0) > 0 do chosen = chosen + 1 end
end
redis.call('HINCRBY', key(me, 's:' .. store), chosen, 1)
redis.call('INCR', key(me, 'total'))
redis.call('SADD', key(me, 'stores'), store)
redis.call('SADD', workers, me)
redis.call('PEXPIRE', key(me, 'alive'), ttl)
return chosen
"""

# ARGV: prefix, me, ttl_ms, store, instance. Returns 1 released, 0 not held, -3 "restore me first".
_RELEASE = _LUA_PRELUDE + """
local ttl, store, n = tonumber(ARGV[3]), ARGV[4], ARGV[5]
if not alive(me) then return -3 end
redis.call('PEXPIRE', key(me, 'alive'), ttl)
local h = key(me, 's:' .. store)
if tonumber(redis.call('HGET', h, n) or '0') <= 0 then return 0 end
if redis.call('HINCRBY', h, n, -1) <= 0 then redis.call('HDEL', h, n) end
if redis.call('HLEN', h) == 0 then redis.call('SREM', key(me, 'stores'), store) end
if redis.call('DECR', key(me, 'total')) <= 0 then redis.call('DEL', key(me, 'total')) end
return 1
"""

# ARGV: prefix, me, ttl_ms, then (store, instance, seats) triples: this worker's mirror, which replaces whatever
# Redis holds for the worker (so a seat whose claim reply was lost to a timeout does not linger) and refreshes
# its alive key. Returns 1 if the worker was alive, 0 if its seats had to be written back.
_HEARTBEAT = _LUA_PRELUDE + """
local ttl = tonumber(ARGV[3])
local was_alive = redis.call('EXISTS', key(me, 'alive'))
prune(me)
redis.call('SADD', workers, me)
local total = 0
for i = 4, #ARGV, 3 do
  redis.call('HSET', key(me, 's:' .. ARGV[i]), ARGV[i + 1], ARGV[i + 2])
  redis.call('SADD', key(me, 'stores'), ARGV[i])
  total = total + tonumber(ARGV[i + 2])
end
if total > 0 then redis.call('SET', key(me, 'total'), total) end
redis.call('SET', key(me, 'alive'), '1', 'PX', ttl)
return was_alive
"""

# ARGV: prefix, me, store ('' for the festival total). Read-only: dead workers are skipped, not pruned.
_READ = _LUA_PRELUDE + """
local store = ARGV[3]
local out, total = {}, 0
for _, w in ipairs(redis.call('SMEMBERS', workers)) do
  if alive(w) then
    if store == '' then
      total = total + tonumber(redis.call('GET', key(w, 'total')) or '0')
    else
      local h = redis.call('HGETALL', key(w, 's:' .. store))
      for i = 1, #h, 2 do out[tonumber(h[i])] = (out[tonumber(h[i])] or 0) + tonumber(h[i + 1]) end
    end
  end
end
if store == '' then return total end
local flat = {}
for n, c in pairs(out) do flat[#flat + 1] = n; flat[#flat + 1] = c end
return flat
"""

_RESTORE_ME = -3


class RedisSeatLedger(SeatLedger):
    """Seats in Redis, shared by every worker; see the module docstring for the keys and the failure rules."""

    def __init__(
        self, redis: str | Redis, *, worker: str, prefix: str = "vrstore", ttl_s: float = 10.0,
        op_timeout_s: float = 1.0,
    ) -> None:
        self.worker = worker
        self._owns_client = isinstance(redis, str)
        self._redis = redis_client(redis, timeout_s=op_timeout_s) if isinstance(redis, str) else redis
        self._prefix = prefix
        self._ttl_ms = int(ttl_s * 1000)
        self._timeout = op_timeout_s
        self._mine: dict[tuple[str, int], int] = {}  # this worker's seats: what a restore writes back
        self._lock = asyncio.Lock()
        self._claim = self._redis.register_script(_CLAIM)
        self._release = self._redis.register_script(_RELEASE)
        self._heartbeat = self._redis.register_script(_HEARTBEAT)
        self._read = self._redis.register_script(_READ)

    async def _run(self, script: Any, *args: object) -> Any:
        try:
            async with asyncio.timeout(self._timeout):
                return await script(args=[self._prefix, self.worker, *args])
        except REDIS_ERRORS as exc:
            raise LedgerUnavailable(f"seat ledger unreachable: {exc!r}") from exc

    async def _restore(self) -> int:
        mirror = [v for (store, n), seats in self._mine.items() for v in (store, n, seats)]
        return int(await self._run(self._heartbeat, self._ttl_ms, *mirror))

    async def claim(
        self, store: str, *, capacity: int, max_instances: int | None = None, festival_cap: int | None = None,
        prefer: int | None = None, prefer_slack: int = 0,
    ) -> int | Refused:
        """See :meth:`SeatLedger.claim`; one atomic script over every worker's seats."""
        args = (self._ttl_ms, store, capacity, -1 if max_instances is None else max_instances,
                -1 if festival_cap is None else festival_cap, prefer or 0, prefer_slack)
        async with self._lock:
            result = int(await self._run(self._claim, *args))
            if result == _RESTORE_ME:
                await self._restore()
                result = int(await self._run(self._claim, *args))
            if result > 0:
                self._mine[(store, result)] = self._mine.get((store, result), 0) + 1
                return result
        return {-1: STORE_FULL, -2: FESTIVAL_FULL}[result]

    async def release(self, store: str, instance: int) -> None:
        """See :meth:`SeatLedger.release`."""
        async with self._lock:
            result = int(await self._run(self._release, self._ttl_ms, store, instance))
            if result == _RESTORE_ME:
                await self._restore()
                result = int(await self._run(self._release, self._ttl_ms, store, instance))
            seats = self._mine.get((store, instance), 0)
            if seats > 1:
                self._mine[(store, instance)] = seats - 1
            else:
                self._mine.pop((store, instance), None)

    async def counts(self, store: str) -> dict[int, int]:
        """See :meth:`SeatLedger.counts`."""
        flat = await self._run(self._read, store)
        return {int(flat[i]): int(flat[i + 1]) for i in range(0, len(flat), 2) if int(flat[i + 1]) > 0}

    async def total(self) -> int:
        """See :meth:`SeatLedger.total`."""
        return int(await self._run(self._read, ""))

    async def heartbeat(self) -> None:
        """Refresh this worker's TTL; writes its seats back if Redis lost them (restart) or pruned it."""
        async with self._lock:
            if await self._restore() == 0 and self._mine:
                log.warning("seat ledger: restored %d seats of worker %s", sum(self._mine.values()), self.worker)

    async def close(self) -> None:
        """Close the client if this ledger made it."""
        if self._owns_client:
            await self._redis.aclose()


async def keep_alive(ledger: SeatLedger, interval_s: float = 2.0) -> None:
    """Heartbeat forever (run it as a task owned by the app; cancel it on shutdown)."""
    while True:
        try:
            await ledger.heartbeat()
        except LedgerUnavailable as exc:  # Redis away: the restore when it is back puts our seats again
            log.warning("seat ledger heartbeat failed: %s", exc)
        await asyncio.sleep(interval_s)


def make_seat_ledger(settings: Settings, *, worker: str) -> SeatLedger:
    """Redis when ``redis_url`` is set, else in-process."""
    if settings.redis_url:
        return RedisSeatLedger(settings.redis_url, worker=worker)
    return LocalSeatLedger()
