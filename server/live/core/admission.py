"""Admission control from measured load, sans-I/O: fed one sample per tick, it says how degraded the worker is.

A worker that keeps admitting past its capacity ends with ticks that fall behind for *everyone* (measured: one
overloaded worker delivered 0 % of poses). This policy watches what the worker itself measures and steps through
the order of degradation **before** anyone admitted loses the latency bound:

=====  ====================  ===========================================================================
level  name                  what changes
=====  ====================  ===========================================================================
0      ``normal``            everything as configured
1      ``fewer_peers``       each shopper gets the nearest ``k / 2`` peers per tick (plus its cart group)
2      ``slower_far_peers``  and peers beyond ``far_radius_m / 2`` update every other tick
3      ``closed``            and new live shoppers are not admitted (they wait; admitted ones stay)
=====  ====================  ===========================================================================

Pressure is the largest of three ratios, each 1.0 at its limit: the tick's duration over its share of the tick
budget, the event loop's lag over ``lag_limit_s``, and the share of connections with frames waiting over
``backlog_limit``. (Process CPU is not one of them: a connection storm spikes it for seconds while the shoppers
inside are fine; a saturated core shows as loop lag anyway.) Each ratio is smoothed (EWMA over about ``window``
ticks), and each sample is first clipped at twice its limit, so one stall (a GC pause, a fresh worker's warm-up,
a big JSON body) moves the average by a few per cent and does not shut the door. Levels 1 and 2 follow the
pressure at once (they are cheap and undone as easily); closing (level 3) needs the pressure above its threshold
for ``hold_s`` (1 s) in a row. A level falls one step only after pressure, as the level below would see it
(scaled by what the step up saved, measured when it was taken), stayed below its threshold minus ``hysteresis``
for ``calm_s`` seconds (3 s), so the door does not flap open and shut at the boundary.

**Who gets in** is decided by ``room_for``, not by the level alone: how many more shoppers fit before the
target pressure, from the *latest* tick's cost per shopper (not the average, which lags two seconds behind a
crowd arriving at 150 a second), less the joins already let in since that tick (``admit_one``). So the door
closes at the measured capacity, and reopening after a calm spell lets in only what fits. The first level starts
just under that target pressure, so a full worker first sends fewer peers, which makes room, and turns newcomers
away only when the degraded tick is full too. The waiting room's admitter and the scaling signal read the same
number.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import IntEnum

from server.live.core.members import RoomConfig


class Level(IntEnum):
    NORMAL = 0
    FEWER_PEERS = 1
    SLOWER_FAR_PEERS = 2
    CLOSED = 3


@dataclass(frozen=True, slots=True)
class LoadSample:
    """What one tick measured."""

    now: float
    tick_s: float  # how long the tick took
    lag_s: float  # how late it started after its boundary (event-loop lag)
    connections: int
    backlog: int  # connections with frames waiting in their send queue


@dataclass(frozen=True, slots=True)
class AdmissionConfig:
    tick_budget_s: float = 0.1  # the tick interval
    budget_share: float = 0.5  # of the interval a tick may use at full pressure (the rest: I/O, sockets, HTTP)
    lag_limit_s: float = 0.05
    backlog_limit: float = 0.05  # share of connections with frames waiting
    # Pressure at which each level starts (level 3 is "closed"). The first is under ``target``, the pressure the
    # room fills to: a full worker sends fewer peers before it turns anyone away, and the tick that saves makes
    # room. At 0.6 a crowd arriving at 150 a second was turned away at ~1,000 shoppers who were each still sent 32
    # peers; at exactly 0.5 the door, which reads the latest tick, shut for ~10 s while the smoothed pressure
    # hovered at 0.43-0.49 (bench/joins.py).
    thresholds: tuple[float, float, float] = (0.45, 0.75, 0.9)
    hysteresis: float = 0.1
    calm_s: float = 3.0
    hold_s: float = 1.0  # pressure above the last threshold this long before the door closes
    clip: float = 2.0  # each sample counts at most this many times its limit
    window: int = 20  # ticks the EWMA averages over (about two seconds at 10 Hz)
    # room_for fills up to this pressure: 0.5 of a 50 ms tick share is a 25 ms tick, which bench/surge.py found
    # to keep pose p99 under 150 ms on the reference box (33 ms ticks gave 168 ms, 26 ms gave 131 ms).
    target: float = 0.5
    # What one *active* shopper costs the tick (walking, 10 Hz, K = 32, degraded to K/2 under load), measured by
    # bench/realtime.py on the 2-core reference box (2026-12-05): 2,248 shoppers admitted of 2,500 with this floor
    # lowered to 8 µs, 23.7 ms ticks (10.5 µs each), p99 121 ms; with 10.5 µs, bench/surge.py held p99 127 and 136
    # ms at 2,200 and 4,400 offered (2,380 admitted). It was 16.7 µs (2,000 at 33.4 ms ticks, an older tick),
    # which shut the door at 1,497 whatever the shoppers cost. A shopper who just connected costs almost nothing
    # until it starts moving, so a crowd arriving at once must be judged by this, not by the cheap ticks it causes
    # while it stands still. The most a shopper was seen to cost here raises it.
    shopper_cost_s: float = 10.5e-6
    peak_cost_half_life_s: float = 600.0
    always_admit_below: int = 100  # shoppers; see room_for

    def __post_init__(self) -> None:
        if self.thresholds[0] > self.target:
            raise ValueError("the room would fill to its target and turn newcomers away before sending fewer peers")


@dataclass(slots=True)
class AdmissionPolicy:
    config: AdmissionConfig = field(default_factory=AdmissionConfig)
    level: Level = Level.NORMAL
    pressure: float = 0.0
    _tick: float | None = None
    _lag: float | None = None
    _backlog: float | None = None
    _per_conn_s: float | None = None
    _last_tick: float = 0.0  # the latest tick's duration (clipped): what the crowd costs right now
    # The most one shopper was seen to cost at each level (cost, when; decaying): a degraded level's shopper costs
    # less by design, so what full K cost must not keep the door of the K / 2 level shut.
    _peaks: dict[Level, tuple[float, float]] = field(default_factory=dict)
    _pending: int = 0  # joins let in since the latest tick
    _now: float = 0.0  # the latest sample's time
    _level_since: float = float("-inf")
    # What a shopper cost just before the level last rose, and, per level, how much dearer the same crowd was one
    # level below (that cost over this level's, once settled): the measured saving of the step.
    _rose_from: float | None = None
    _dearer_below: dict[Level, float] = field(default_factory=dict)
    _connections: int = 0
    _calm_since: float | None = None
    _hot_since: float | None = None
    forced_closed: bool = False  # the organizer paused admission here

    @property
    def admitting(self) -> bool:
        return self.level < Level.CLOSED and not self.forced_closed

    def observe(self, sample: LoadSample) -> Level:
        """Feed one tick's measurements; returns the (possibly new) level."""
        cfg = self.config
        tick_limit = cfg.tick_budget_s * cfg.budget_share
        self._last_tick = min(sample.tick_s, cfg.clip * tick_limit)
        self._pending = 0  # the latest tick served everyone let in so far: its cost includes them
        self._tick = _ewma(self._tick, self._last_tick, cfg.window)
        self._lag = _ewma(self._lag, min(sample.lag_s, cfg.clip * cfg.lag_limit_s), cfg.window)
        share = sample.backlog / sample.connections if sample.connections else 0.0
        self._backlog = _ewma(self._backlog, share, cfg.window)
        self._connections = sample.connections
        self._now = sample.now
        # A handful of shoppers is no measure of the per-shopper cost: the tick's fixed part divided by one shopper
        # seeded the estimate at hundreds of µs, and a crowd arriving at 150 a second reached 50 before it had
        # decayed, so the peak kept that for minutes and shut the door at ~150 shoppers (issue #22).
        if sample.connections >= 50:
            cost = sample.tick_s / sample.connections  # an estimate, not a pressure: it starts at what was seen
            self._per_conn_s = cost if self._per_conn_s is None else _ewma(self._per_conn_s, cost, cfg.window)
            # The peak of the level this tick ran at, once the average holds mostly ticks of that level: a level
            # change's first ticks are noisy, and a peak seeded from one of them kept the door shut for minutes.
            settled = sample.now >= self._level_since + cfg.window * cfg.tick_budget_s
            if settled and self._per_conn_s >= self._peak(self.level, sample.now):
                self._peaks[self.level] = (self._per_conn_s, sample.now)
            if settled and self._rose_from is not None:
                self._dearer_below[self.level] = max(1.0, self._rose_from / self._per_conn_s)
                self._rose_from = None
        self.pressure = max(self._tick / tick_limit, self._lag / cfg.lag_limit_s, self._backlog / cfg.backlog_limit)
        self._step(sample.now)
        return self.level

    def _step(self, now: float) -> None:
        cfg = self.config
        wanted = Level(sum(1 for t in cfg.thresholds if self.pressure >= t))
        if wanted == Level.CLOSED:
            self._hot_since = now if self._hot_since is None else self._hot_since
            if now - self._hot_since < cfg.hold_s:
                wanted = Level.SLOWER_FAR_PEERS  # not yet: a burst must last before anyone is turned away
        else:
            self._hot_since = None
        if wanted > self.level:
            self._set_level(wanted)
            self._calm_since = None
            return
        if self.level == Level.NORMAL:
            return
        below = cfg.thresholds[self.level - 1] - cfg.hysteresis
        # Judged by the pressure the level below would see: the same crowd costs more there (K / 2 saved a third of
        # the tick), and falling on today's pressure alone would flap between the two levels every ``calm_s``.
        if self.pressure * self._dearer_below.get(self.level, 1.0) >= below:
            self._calm_since = None
        elif self._calm_since is None:
            self._calm_since = now
        elif now - self._calm_since >= cfg.calm_s:
            self._set_level(Level(self.level - 1))
            self._calm_since = now

    def _set_level(self, level: Level) -> None:
        self._rose_from = self._per_conn_s if level > self.level else None
        self.level = level
        self._level_since = self._now

    def _peak(self, level: Level, now: float) -> float:
        cost, at = self._peaks.get(level, (0.0, now))
        return float(cost * 0.5 ** ((now - at) / self.config.peak_cost_half_life_s))

    def room_for(self) -> int:
        """How many more shoppers fit before pressure reaches ``target``, by what an active shopper costs.

        Below ``always_admit_below`` shoppers there is always room (unless the organizer closed the door): a
        few shoppers cost the tick next to nothing, so a slow tick then is the machine's doing (another
        process, a GC pause, a worker's warm-up), and turning people away would not make it faster."""
        if self.forced_closed:
            return 0
        floor = max(0, self.config.always_admit_below - self._connections - self._pending)
        return max(floor, self._room_by_load())

    def _room_by_load(self) -> int:
        if not self.admitting:
            return 0
        cfg = self.config
        tick_target = cfg.target * cfg.tick_budget_s * cfg.budget_share
        tick_now = max(self._tick or 0.0, self._last_tick)
        measured = tick_now / self._connections if self._connections else 0.0
        cost = max(measured, self._peak(self.level, self._now), cfg.shopper_cost_s)
        # Room by what the crowd would cost once everyone is active, and by what the ticks cost right now.
        room = min(int(tick_target / cost) - self._connections, int((tick_target - tick_now) / cost))
        if self.pressure > 0 and self._connections:
            # Lag and backlog scale with the crowd too: never promise more than they allow.
            room = min(room, int(self._connections * (cfg.target / self.pressure - 1.0)))
        return max(0, room - self._pending)

    def admit_one(self) -> bool:
        """Let one newcomer in if there is room (counting the ones already let in since the latest tick)."""
        if self.room_for() <= 0:
            return False
        self._pending += 1
        return True

    def capacity(self) -> int:
        """Shoppers this worker carries at the target pressure (current crowd + room for more)."""
        return self._connections + self._pending + self.room_for()


def _ewma(previous: float | None, value: float, window: int) -> float:
    # Starts from zero, not from the first value: the first ticks of a fresh worker (imports, warm-up, the
    # first connection storm) are no measure of its capacity and must not shut the door for seconds.
    previous = previous or 0.0
    alpha = 2.0 / (window + 1)
    return previous + alpha * (value - previous)


def degraded_room_config(base: RoomConfig, level: Level) -> RoomConfig:
    """The room tunables at ``level`` (see the module docstring's table)."""
    cfg = base
    if level >= Level.FEWER_PEERS:
        cfg = replace(cfg, k=max(4, base.k // 2))
    if level >= Level.SLOWER_FAR_PEERS:
        cfg = replace(cfg, far_radius_m=(base.far_radius_m or 10.0) / 2)
    return cfg
