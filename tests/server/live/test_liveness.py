"""The liveness rules: a silent client is pinged and closed 4010; a client that talks but does not read what it
is sent (its pings stay unanswered) is closed 4005; a network stall is not mistaken for the latter."""

from __future__ import annotations

import pytest

from server.live.core.liveness import LivenessConfig, Verdict, liveness

CFG = LivenessConfig(heartbeat_s=20.0, pong_timeout_s=10.0, read_check_s=5.0, slow_read_s=10.0)


def verdict(now: float, *, last_rx: float, pinged_at: float | None = None, ponged_at: float | None = None) -> Verdict:
    return liveness(now, opened_at=0.0, last_rx=last_rx, pinged_at=pinged_at, ponged_at=ponged_at, config=CFG)


def test_a_talking_client_is_pinged_every_few_seconds_once_it_answered() -> None:
    assert verdict(4.9, last_rx=4.8) is Verdict.WAIT
    assert verdict(5.0, last_rx=4.8) is Verdict.PING
    assert verdict(8.0, last_rx=7.9, pinged_at=5.0) is Verdict.WAIT  # waiting for the answer
    assert verdict(9.0, last_rx=8.9, pinged_at=5.0, ponged_at=5.1) is Verdict.WAIT
    assert verdict(10.0, last_rx=9.9, pinged_at=5.0, ponged_at=5.1) is Verdict.PING


def test_a_client_that_keeps_talking_but_leaves_a_ping_unanswered_does_not_read() -> None:
    assert verdict(14.9, last_rx=14.8, pinged_at=5.0) is Verdict.WAIT
    assert verdict(15.0, last_rx=14.8, pinged_at=5.0) is Verdict.NOT_READING
    # An answer to an older ping is no answer to this one.
    assert verdict(15.0, last_rx=14.8, pinged_at=5.0, ponged_at=4.0) is Verdict.NOT_READING


@pytest.mark.parametrize("stalled_at", [5.0, 7.0, 9.9])
def test_a_network_stall_is_silence_not_a_slow_reader(stalled_at: float) -> None:
    """Nothing arrives during a stall, neither the pong nor the client's own frames: it is given the heartbeat's
    time, as before."""
    silent_from = stalled_at + CFG.heartbeat_s
    for now in (15.0, 20.0, silent_from - 0.1):
        assert verdict(now, last_rx=stalled_at, pinged_at=5.0) is Verdict.WAIT
    assert verdict(silent_from, last_rx=stalled_at, pinged_at=5.0) is Verdict.PING  # the silence's own ping
    assert verdict(silent_from + 9.9, last_rx=stalled_at, pinged_at=silent_from) is Verdict.WAIT
    assert verdict(silent_from + 10.0, last_rx=stalled_at, pinged_at=silent_from) is Verdict.SILENT


def test_a_silent_client_is_pinged_then_closed_as_before() -> None:
    assert verdict(20.0, last_rx=0.0) is Verdict.PING
    assert verdict(29.9, last_rx=0.0, pinged_at=20.0) is Verdict.WAIT
    assert verdict(30.0, last_rx=0.0, pinged_at=20.0) is Verdict.SILENT
    # Its pong (a frame like any other) makes it a talking client again, pinged every few seconds.
    assert verdict(24.9, last_rx=22.0, pinged_at=20.0, ponged_at=22.0) is Verdict.WAIT
    assert verdict(25.0, last_rx=22.0, pinged_at=20.0, ponged_at=22.0) is Verdict.PING
