"""Arrivals: which other workers' pose batches a tick at a given boundary still waits for."""

from __future__ import annotations

import pytest

from server.live.core.poses import PoseFrameError
from server.live.core.remote import Arrivals, batch_header, encode_batch

T = "instance:s:1:poses"
INTERVAL = 0.1


def test_a_batch_of_this_boundary_is_awaited_until_it_arrives() -> None:
    a = Arrivals(INTERVAL, me="wA")
    assert not a.missing(10.0)  # nobody else publishes here: nothing to wait for
    a.heard(T, "wB", 3, now=9.901)  # wB's batch of the boundary at 9.9
    assert a.missing(10.0)  # … so its batch of 10.0 is expected
    a.heard(T, "wB", 3, now=10.001)
    assert not a.missing(10.0)


def test_our_own_batches_are_never_awaited() -> None:
    a = Arrivals(INTERVAL, me="wA")
    a.heard(T, "wA", 5, now=9.9)
    assert not a.missing(10.0)


def test_an_empty_batch_means_the_worker_left_the_instance() -> None:
    a = Arrivals(INTERVAL, me="wA")
    a.heard(T, "wB", 1, now=9.9)
    a.heard(T, "wB", 0, now=9.95)
    assert not a.missing(10.0)


def test_a_silent_worker_stops_being_awaited_after_a_few_ticks() -> None:
    a = Arrivals(INTERVAL, me="wA")
    a.heard(T, "wB", 2, now=9.9)
    assert a.missing(10.0) and a.missing(10.2)
    assert not a.missing(10.0 + (Arrivals.EXPECT_TICKS + 1) * INTERVAL)


def test_forgetting_a_topic_forgets_its_workers() -> None:
    a = Arrivals(INTERVAL, me="wA")
    a.heard(T, "wB", 2, now=9.9)
    a.heard("instance:s:2:poses", "wC", 2, now=10.02)
    a.forget_topic(T)
    assert not a.missing(10.0)


def test_batch_header_reads_worker_and_seat_count_without_decoding_entries() -> None:
    assert batch_header(encode_batch("host:1:0.0", [])) == ("host:1:0.0", 0)
    with pytest.raises(PoseFrameError):
        batch_header(b"\x01\x09ab")
