"""Seat ledger: instance capacity and the festival-wide cap, held across every server process.

A seat is one shopper's place in an instance of a store (present or away within the resume grace). The Hub
asks the ledger *where* a new seat goes and tells it when a seat is gone; the rule is the Hub's
(:mod:`server.live.core.hub`), here in :func:`choose_instance` so that one pure function is the reference
and the Redis script mirrors it line by line:

1. festival cap: if the seats of every store of the *same festival* together reach ``festival_cap`` →
   ``Refused("festival_full")`` (festivals are counted apart: one full festival never refuses another's shoppers);
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
``{p}:seats:w:{w}:festivals``  SET     festivals in which this worker holds seats
``{p}:seats:w:{w}:total:{f}``  STRING  this worker's seats over every store of festival ``{f}`` (what its cap sums)
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

from server.live.core.protocol import RealtimeError
from server.redis_conn import REDIS_ERRORS, redis_client

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
        self, store: str, *, festival: str = "", capacity: int, max_instances: int | None = None,
        festival_cap: int | None = None, prefer: int | None = None, prefer_slack: int = 0,
    ) -> int | Refused:
        """Take a seat in ``store`` (of ``festival``) by the module's rules: the instance number, or why not."""

    @abc.abstractmethod
    async def release(self, store: str, instance: int) -> None:
        """Give back a seat this process took (a seat it does not hold is ignored)."""

    @abc.abstractmethod
    async def counts(self, store: str) -> dict[int, int]:
        """Seats per open instance of ``store``, over every live worker."""

    @abc.abstractmethod
    async def total(self, festival: str = "") -> int:
        """Seats over every store of ``festival`` and every live worker (what its cap counts)."""

    async def heartbeat(self) -> None:  # noqa: B027 - optional: only shared ledgers need it
        """Prove this process alive (shared ledgers only); call every ~2 s, e.g. with :func:`keep_alive`."""

    async def close(self) -> None:  # noqa: B027 - optional: only a Redis ledger has something to close
        """Release resources (not the seats: a stopping worker's seats expire with its heartbeat)."""


class LocalSeatLedger(SeatLedger):
    """The ledger of a single process."""

    def __init__(self) -> None:
        self._seats: dict[str, dict[int, int]] = {}
        self._festival: dict[str, str] = {}  # store → its festival

    async def claim(
        self, store: str, *, festival: str = "", capacity: int, max_instances: int | None = None,
        festival_cap: int | None = None, prefer: int | None = None, prefer_slack: int = 0,
    ) -> int | Refused:
        """See :meth:`SeatLedger.claim`."""
        if festival_cap is not None and await self.total(festival) >= festival_cap:
            return FESTIVAL_FULL
        self._festival[store] = festival
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

    async def total(self, festival: str = "") -> int:
        """See :meth:`SeatLedger.total`."""
        return sum(c for store, seats in self._seats.items() if self._festival.get(store, "") == festival
                   for c in seats.values())


# Shared by the scripts: key names, skipping/pruning dead workers. ARGV[1] = prefix, ARGV[2] = this worker.
_LUA_PRELUDE = """
local prefix, me = ARGV[1], ARGV[2]
local workers = prefix .. ':seats:workers'
local function key(w, part) return prefix .. ':seats:w:' .. w .. ':' .. part end
local function alive(w) return redis.call('EXISTS', key(w, 'alive')) == 1 end
local function prune(w)
  for _, s in ipairs(redis.call('SMEMBERS', key(w, 'stores'))) do redis.call('DEL', key(w, 's:' .. s)) end
  for _, f in ipairs(redis.call('SMEMBERS', key(w, 'festivals'))) do redis.call('DEL', key(w, 'total:' .. f)) end
  redis.call('DEL', key(w, 'stores'), key(w, 'festivals'))
  redis.call('SREM', workers, w)
end
"""

# ARGV: prefix, me, ttl_ms, store, capacity, max_instances (-1: none), festival_cap (-1: none), prefer (0: none),
# prefer_slack, festival. Returns the instance, -1 store_full, -2 festival_full, -3 "restore me first" (alive key gone).
# The choice below is choose_instance() in Lua; keep them in step (the tests compare them).
_CLAIM = _LUA_PRELUDE + """
local ttl, store = tonumber(ARGV[3]), ARGV[4]
local capacity, max_inst, fcap = tonumber(ARGV[5]), tonumber(ARGV[6]), tonumber(ARGV[7])
local prefer, slack, festival = tonumber(ARGV[8]), tonumber(ARGV[9]), ARGV[10]
if not alive(me) then return -3 end
local counts, total = {}, 0
for _, w in ipairs(redis.call('SMEMBERS', workers)) do
  if not alive(w) then
    prune(w)
  else
    total = total + tonumber(redis.call('GET', key(w, 'total:' .. festival)) or '0')
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
redis.call('INCR', key(me, 'total:' .. festival))
redis.call('SADD', key(me, 'festivals'), festival)
redis.call('SADD', key(me, 'stores'), store)
redis.call('SADD', workers, me)
redis.call('PEXPIRE', key(me, 'alive'), ttl)
return chosen
"""

# ARGV: prefix, me, ttl_ms, store, instance, festival. Returns 1 released, 0 not held, -3 "restore me first".
_RELEASE = _LUA_PRELUDE + """
local ttl, store, n, festival = tonumber(ARGV[3]), ARGV[4], ARGV[5], ARGV[6]
if not alive(me) then return -3 end
redis.call('PEXPIRE', key(me, 'alive'), ttl)
local h = key(me, 's:' .. store)
if tonumber(redis.call('HGET', h, n) or '0') <= 0 then return 0 end
if redis.call('HINCRBY', h, n, -1) <= 0 then redis.call('HDEL', h, n) end
if redis.call('HLEN', h) == 0 then redis.call('SREM', key(me, 'stores'), store) end
local t = key(me, 'total:' .. festival)
if redis.call('DECR', t) <= 0 then redis.call('DEL', t); redis.call('SREM', key(me, 'festivals'), festival) end
return 1
"""

# ARGV: prefix, me, ttl_ms, then (store, instance, seats, festival) quadruples: this worker's mirror, which
# replaces whatever Redis holds for the worker (so a seat whose claim reply was lost to a timeout does not
# linger) and refreshes its alive key. Returns 1 if the worker was alive, 0 if its seats had to be written back.
_HEARTBEAT = _LUA_PRELUDE + """
local ttl = tonumber(ARGV[3])
local was_alive = redis.call('EXISTS', key(me, 'alive'))
prune(me)
redis.call('SADD', workers, me)
local totals = {}
for i = 4, #ARGV, 4 do
  redis.call('HSET', key(me, 's:' .. ARGV[i]), ARGV[i + 1], ARGV[i + 2])
  redis.call('SADD', key(me, 'stores'), ARGV[i])
  totals[ARGV[i + 3]] = (totals[ARGV[i + 3]] or 0) + tonumber(ARGV[i + 2])
end
for f, total in pairs(totals) do
  redis.call('SET', key(me, 'total:' .. f), total)
  redis.call('SADD', key(me, 'festivals'), f)
end
redis.call('SET', key(me, 'alive'), '1', 'PX', ttl)
return was_alive
"""

# ARGV: prefix, me, store ('' for a festival's total), festival. Read-only: dead workers are skipped, not pruned.
_READ = _LUA_PRELUDE + """
local store, festival = ARGV[3], ARGV[4]
local out, total = {}, 0
for _, w in ipairs(redis.call('SMEMBERS', workers)) do
  if alive(w) then
    if store == '' then
      total = total + tonumber(redis.call('GET', key(w, 'total:' .. festival)) or '0')
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
        self._festival: dict[str, str] = {}  # store → its festival, for releases and restores
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
        mirror = [v for (store, n), seats in self._mine.items()
                  for v in (store, n, seats, self._festival.get(store, ""))]
        return int(await self._run(self._heartbeat, self._ttl_ms, *mirror))

    async def claim(
        self, store: str, *, festival: str = "", capacity: int, max_instances: int | None = None,
        festival_cap: int | None = None, prefer: int | None = None, prefer_slack: int = 0,
    ) -> int | Refused:
        """See :meth:`SeatLedger.claim`; one atomic script over every worker's seats."""
        args = (self._ttl_ms, store, capacity, -1 if max_instances is None else max_instances,
                -1 if festival_cap is None else festival_cap, prefer or 0, prefer_slack, festival)
        async with self._lock:
            self._festival[store] = festival
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
            festival = self._festival.get(store, "")
            result = int(await self._run(self._release, self._ttl_ms, store, instance, festival))
            if result == _RESTORE_ME:
                await self._restore()
                result = int(await self._run(self._release, self._ttl_ms, store, instance, festival))
            seats = self._mine.get((store, instance), 0)
            if seats > 1:
                self._mine[(store, instance)] = seats - 1
            else:
                self._mine.pop((store, instance), None)

    async def counts(self, store: str) -> dict[int, int]:
        """See :meth:`SeatLedger.counts`."""
        flat = await self._run(self._read, store, "")
        return {int(flat[i]): int(flat[i + 1]) for i in range(0, len(flat), 2) if int(flat[i + 1]) > 0}

    async def total(self, festival: str = "") -> int:
        """See :meth:`SeatLedger.total`."""
        return int(await self._run(self._read, "", festival))

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
