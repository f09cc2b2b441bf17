"""The waiting rooms in Redis: one line per festival shared by every worker, and kept when a worker dies.

The rules are those of ``server.domain.waiting_room`` (the in-process store runs them directly); here each
state change is one Lua script, so two workers never both admit the same ticket or lose a place, and positions
are ranks in a sorted set (O(log n)). Keys (``{p}`` the prefix, ``{f}`` the festival):

==========================  ======  ===============================================================
``{p}:q:{f}:line``          ZSET    waiting sessions by place (``seq``)
``{p}:q:{f}:pre``           ZSET    the pre-queue (score: arrival, only for display; drawn at opening)
``{p}:q:{f}:admitted``      ZSET    admitted sessions by the deadline to enter (ms since the epoch)
``{p}:q:{f}:lapsed``        SET     admitted sessions that did not enter in time
``{p}:q:{f}:meta``          HASH    ``seq`` (next place), ``opened``, ``rate`` and ``rate_at`` (the measured
                                    admission rate), ``credit`` (fixed mode), the organizer's controls
``{p}:q:{f}:log``           ZSET    admissions of the last minute (for the organizer's view)
``{p}:q:festivals``         SET     festivals whose line is not empty
``{p}:q:rooms``             HASH    each worker's room for more shoppers (``room:ms``), from its last round
==========================  ======  ===============================================================

Nothing here expires by itself: a festival's line lives as long as its shoppers wait, across worker restarts.
Redis itself should persist (AOF) in production for the line to survive a Redis restart.
"""

from __future__ import annotations

import functools
import logging
import os
import random
import socket
import time
from collections.abc import Callable, Coroutine
from typing import Any, ParamSpec, TypeVar

from redis.asyncio import Redis

from server.domain import waiting_room as wr
from server.domain.errors import Unavailable
from server.redis_conn import REDIS_ERRORS
from server.services.waiting_rooms import ADMIT_WINDOW_S, Controls, TicketView, WaitingRooms

log = logging.getLogger("vrstore.waiting_rooms")
P = ParamSpec("P")
T = TypeVar("T")


def _redis_away_is_503(fn: Callable[P, Coroutine[Any, Any, T]]) -> Callable[P, Coroutine[Any, Any, T]]:
    """While Redis is unreachable the line cannot be read or changed: say so (503, retry), never a 500."""

    @functools.wraps(fn)
    async def call(*args: P.args, **kwargs: P.kwargs) -> T:
        try:
            result: T = await fn(*args, **kwargs)
        except REDIS_ERRORS as exc:
            raise Unavailable("the waiting room is briefly unreachable; your place is kept, try again shortly"
                              ) from exc
        return result

    return call

# KEYS: line, pre, admitted, lapsed, meta, festivals. ARGV: festival, session, now_ms, opened (0/1).
# Returns 1 if a new place was taken, 0 if the session already had one.
_JOIN = """
local line, pre, admitted, lapsed, meta, festivals = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6]
local festival, s, now, opened = ARGV[1], ARGV[2], tonumber(ARGV[3]), ARGV[4] == '1'
if redis.call('ZSCORE', line, s) or redis.call('ZSCORE', pre, s) or redis.call('ZSCORE', admitted, s) then
  return 0
end
redis.call('SREM', lapsed, s)
if not opened and redis.call('HGET', meta, 'opened') ~= '1' then
  redis.call('ZADD', pre, now, s)
else
  local seq = redis.call('HINCRBY', meta, 'seq', 1)
  redis.call('ZADD', line, seq, s)
end
redis.call('SADD', festivals, festival)
return 1
"""

# KEYS: line, pre, meta. ARGV: the pre-queue in its drawn order. Places them ahead of the line, once.
_OPEN = """
local line, pre, meta = KEYS[1], KEYS[2], KEYS[3]
if redis.call('HGET', meta, 'opened') == '1' then return 0 end
redis.call('HSET', meta, 'opened', '1')
local first = redis.call('ZRANGE', line, 0, 0, 'WITHSCORES')
local front = (first[2] and tonumber(first[2]) or (tonumber(redis.call('HGET', meta, 'seq') or '0') + 1)) - #ARGV
for i, s in ipairs(ARGV) do
  if redis.call('ZREM', pre, s) == 1 then redis.call('ZADD', line, front + i - 1, s) end
end
-- anyone who pre-queued after the draw was read goes behind them, in arrival order
for _, s in ipairs(redis.call('ZRANGE', pre, 0, -1)) do
  redis.call('ZADD', line, redis.call('HINCRBY', meta, 'seq', 1), s)
end
redis.call('DEL', pre)
return 1
"""

# KEYS: line, admitted, lapsed, meta, log, festivals, pre, rooms.
# ARGV: festival, now_ms, window_ms, room_for (this worker's), dt_s, worker, cap_room (-1: no cap).
# Records this worker's room and adds up every worker's reported in the last 3 s (a ticket enters whichever
# worker it lands on), expires lapsed turns, applies the organizer's mode, admits FIFO, measures the rate.
# Returns admitted sessions.
_ADMIT = """
local line, admitted, lapsed, meta, log, festivals = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6]
local rooms = KEYS[8]
local festival, now, window, room_for, dt = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]),
  tonumber(ARGV[5])
local worker, cap_room = ARGV[6], tonumber(ARGV[7])
redis.call('HSET', rooms, worker, ARGV[4] .. ':' .. ARGV[2])
local total = 0
local reported = redis.call('HGETALL', rooms)
for i = 1, #reported, 2 do
  local room, at = string.match(reported[i + 1], '^(%d+):(%d+)$')
  if room and now - tonumber(at) <= 3000 then
    total = total + tonumber(room)
  else
    redis.call('HDEL', rooms, reported[i])  -- a worker gone quiet has no room to give
  end
end
if cap_room >= 0 and cap_room < total then total = cap_room end
for _, s in ipairs(redis.call('ZRANGEBYSCORE', admitted, '-inf', now)) do
  redis.call('ZREM', admitted, s)
  redis.call('SADD', lapsed, s)
end
local can = total - redis.call('ZCARD', admitted)
if can < 0 then can = 0 end
local mode = redis.call('HGET', meta, 'mode') or 'auto'
local per_min = tonumber(redis.call('HGET', meta, 'admit_per_min') or '0')
local credit = 0
if mode == 'paused' then
  can = 0
elseif mode == 'fixed' and per_min > 0 then
  credit = math.min(tonumber(redis.call('HGET', meta, 'credit') or '0') + per_min * dt / 60.0, per_min)
  if math.floor(credit) < can then can = math.floor(credit) end
end
local taken = {}
local measuring = mode ~= 'paused' and redis.call('ZCARD', line) > 0  -- see waiting_room.admit
if can > 0 then
  local popped = redis.call('ZPOPMIN', line, can)
  for i = 1, #popped, 2 do
    taken[#taken + 1] = popped[i]
    redis.call('ZADD', admitted, now + window, popped[i])
    redis.call('ZADD', log, now, popped[i] .. ':' .. now)
  end
end
if mode == 'fixed' then redis.call('HSET', meta, 'credit', tostring(credit - #taken)) end
redis.call('ZREMRANGEBYSCORE', log, '-inf', now - 60000)
-- the measured rate: an average with a 30 s half-life, as in the in-process rules
local at = tonumber(redis.call('HGET', meta, 'rate_at') or '-1')
if at < 0 or not measuring then
  redis.call('HSET', meta, 'rate_at', now)
elseif now > at then
  local seconds = (now - at) / 1000.0
  local observed = #taken / seconds
  local rate = redis.call('HGET', meta, 'rate')
  local weight = 1.0 - 0.5 ^ (seconds / 30.0)
  if rate then observed = tonumber(rate) + weight * (observed - tonumber(rate)) end
  redis.call('HSET', meta, 'rate', tostring(observed), 'rate_at', now)
end
if redis.call('ZCARD', line) == 0 and redis.call('ZCARD', admitted) == 0 and redis.call('ZCARD', KEYS[7]) == 0 then
  redis.call('SREM', festivals, festival)
end
return taken
"""

# KEYS: admitted. ARGV: session, now_ms. 1 if the session held an admitted turn (now used up).
_ENTER = """
local deadline = redis.call('ZSCORE', KEYS[1], ARGV[1])
if deadline and tonumber(deadline) > tonumber(ARGV[2]) then
  redis.call('ZREM', KEYS[1], ARGV[1])
  return 1
end
return 0
"""


class RedisWaitingRooms(WaitingRooms):
    def __init__(self, key: bytes, redis: Redis, *, prefix: str = "vrstore",
                 clock: Callable[[], float] = time.time, rng: random.Random | None = None,
                 admit_window_s: float = ADMIT_WINDOW_S, worker: str = "") -> None:
        super().__init__(key, admit_window_s=admit_window_s)
        self._redis = redis
        self._worker = worker or f"{socket.gethostname()}:{os.getpid()}"  # whose room a round reports
        self._prefix = prefix
        self._clock = clock
        self._rng = rng or random.SystemRandom()
        self._join = redis.register_script(_JOIN)
        self._open = redis.register_script(_OPEN)
        self._admit = redis.register_script(_ADMIT)
        self._enter = redis.register_script(_ENTER)

    def _k(self, festival: str, part: str) -> str:
        return f"{self._prefix}:q:{festival}:{part}"

    def _festivals(self) -> str:
        return f"{self._prefix}:q:festivals"

    async def _open_sale(self, festival: str) -> None:
        meta = self._k(festival, "meta")
        if await self._redis.hget(meta, "opened") == b"1":
            return
        members: list[Any] = await self._redis.zrange(self._k(festival, "pre"), 0, -1)
        order = [_text(m) for m in members]
        self._rng.shuffle(order)
        await self._open(keys=[self._k(festival, "line"), self._k(festival, "pre"), meta], args=order)

    # ------------------------------------------------------------ shoppers

    @_redis_away_is_503
    async def take(self, festival: str, session: int, *, opened: bool) -> TicketView:
        if opened:
            await self._open_sale(festival)
        await self._join(keys=[self._k(festival, p) for p in ("line", "pre", "admitted", "lapsed", "meta")]
                         + [self._festivals()], args=[festival, session, self._ms(), int(opened)])
        return await self._view(festival, session)

    @_redis_away_is_503
    async def _has(self, festival: str, session: int) -> bool:
        pipe = self._redis.pipeline(transaction=False)
        for part in ("line", "pre", "admitted"):
            pipe.zscore(self._k(festival, part), session)
        pipe.sismember(self._k(festival, "lapsed"), str(session))
        *scores, lapsed = await pipe.execute()
        return any(score is not None for score in scores) or bool(lapsed)  # a place may score 0 or below

    @_redis_away_is_503
    async def _cancel(self, festival: str, session: int) -> None:
        pipe = self._redis.pipeline(transaction=True)
        for part in ("line", "pre", "admitted"):
            pipe.zrem(self._k(festival, part), session)
        pipe.srem(self._k(festival, "lapsed"), session)
        await pipe.execute()

    @_redis_away_is_503
    async def _standing(self, festival: str, session: int) -> wr.Standing:
        pipe = self._redis.pipeline(transaction=False)
        pipe.zscore(self._k(festival, "admitted"), session)
        pipe.sismember(self._k(festival, "lapsed"), str(session))
        pipe.zscore(self._k(festival, "pre"), session)
        pipe.zcard(self._k(festival, "pre"))
        pipe.zrank(self._k(festival, "line"), session)
        pipe.hget(self._k(festival, "meta"), "rate")
        pipe.hmget(self._k(festival, "meta"), "mode", "admit_per_min")
        until, lapsed, pre, pre_n, rank, rate, (mode, per_min) = await pipe.execute()
        if until is not None:
            return wr.Standing(wr.Phase.ADMITTED, None, 0, 0.0, float(until) / 1000.0)
        if lapsed:
            return wr.Standing(wr.Phase.LAPSED, None, 0, None)
        if pre is not None:
            return wr.Standing(wr.Phase.PREQUEUE, None, int(pre_n) - 1, None)
        if rank is None:
            return wr.Standing(wr.Phase.LAPSED, None, 0, None)
        position = int(rank) + 1
        return wr.Standing(wr.Phase.WAITING, position, position - 1, _eta(position, rate, per_min, mode))

    # ------------------------------------------------------------ the live layer's port

    async def must_queue(self, festival: str, session: int, *, admitting: bool, full: bool) -> bool:
        try:
            if await self._enter(keys=[self._k(festival, "admitted")], args=[session, self._ms()]):
                return False
            pipe = self._redis.pipeline(transaction=False)
            pipe.hget(self._k(festival, "meta"), "mode")
            pipe.zcard(self._k(festival, "line"))
            pipe.zcard(self._k(festival, "pre"))
            mode, waiting, pre = await pipe.execute()
        except REDIS_ERRORS as exc:  # Redis away: admit by this worker's own measure, as the seat ledger does
            log.warning("waiting room unreachable, admitting by the local rule: %r", exc)
            return not admitting or full
        return mode == b"paused" or bool(waiting) or bool(pre) or not admitting or full

    # ------------------------------------------------------------ the admitter

    @_redis_away_is_503
    async def admit_round(self, festival: str, *, room_for: int, opened: bool, dt: float,
                          cap_room: int | None = None) -> list[int]:
        if opened:
            await self._open_sale(festival)
        keys = [self._k(festival, p) for p in ("line", "admitted", "lapsed", "meta", "log")] + [
            self._festivals(), self._k(festival, "pre"), f"{self._prefix}:q:rooms"]
        taken = await self._admit(keys=keys, args=[festival, self._ms(), int(self._window * 1000), max(0, room_for),
                                                    dt, self._worker, -1 if cap_room is None else max(0, cap_room)])
        return [int(s) for s in taken]

    @_redis_away_is_503
    async def festivals_waiting(self) -> list[str]:
        return sorted(_text(m) for m in await self._redis.smembers(self._festivals()))

    # ------------------------------------------------------------ organizer

    @_redis_away_is_503
    async def controls(self, festival: str) -> Controls:
        mode, per_min, ko, en = await self._redis.hmget(self._k(festival, "meta"), "mode", "admit_per_min",
                                                        "message_ko", "message_en")
        return Controls(mode=_text(mode or b"auto"),  # type: ignore[arg-type]
                        admit_per_min=int(per_min) if per_min else None,
                        message_ko=_text(ko) if ko else None, message_en=_text(en) if en else None)

    @_redis_away_is_503
    async def set_controls(self, festival: str, controls: Controls) -> None:
        meta = self._k(festival, "meta")
        pipe = self._redis.pipeline(transaction=True)
        pipe.hset(meta, "mode", controls.mode)
        fields = {"admit_per_min": controls.admit_per_min, "message_ko": controls.message_ko,
                  "message_en": controls.message_en}
        for name, value in fields.items():
            if value is None:
                pipe.hdel(meta, name)
            else:
                pipe.hset(meta, name, str(value))
        pipe.hset(meta, "credit", "0")
        await pipe.execute()

    @_redis_away_is_503
    async def overview(self, festival: str) -> dict[str, Any]:
        pipe = self._redis.pipeline(transaction=False)
        pipe.zcard(self._k(festival, "line"))
        pipe.zcard(self._k(festival, "pre"))
        pipe.zcard(self._k(festival, "admitted"))
        pipe.zcount(self._k(festival, "log"), self._ms() - 60_000, "+inf")
        pipe.hmget(self._k(festival, "meta"), "rate", "mode", "admit_per_min")
        waiting, pre, admitted, last_minute, (rate, mode, per_min) = await pipe.execute()
        eta = _eta(int(waiting), rate, per_min, mode) if waiting else 0.0
        return {"waiting": int(waiting), "prequeue": int(pre), "admitted_not_entered": int(admitted),
                "admitted_last_minute": int(last_minute), "eta_back_s": eta}

    async def close(self) -> None:
        await self._redis.aclose()

    def _ms(self) -> int:
        return int(self._clock() * 1000)

    def now(self) -> float:
        return self._clock()


def _eta(position: int, rate: Any, per_min: Any, mode: Any) -> float | None:
    """The domain's estimate from the meta hash's raw fields (measured rate, the organizer's rate and mode)."""
    state = wr.QueueState(rate_per_s=float(rate) if rate else None)
    configured = int(per_min) / 60.0 if per_min else None
    return wr.eta(state, position, configured_rate=configured, paused=mode == b"paused")


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
