"""The polling follower (rca.ingest.follow) against the local Logging API server, replaying on a clock
the test moves by hand."""

from __future__ import annotations

import json

import pytest
from conftest import INCIDENT
from logging_server import LoggingServer

from rca.errors import RcaError
from rca.ingest.follow import Clock, Follower, ReplayClock, clock_from
from rca.ingest.live import PullError, build_filter
from rca.ingest.times import parse_timestamp

ENTRIES = [json.loads(line) for line in (INCIDENT / "logs.jsonl").read_text().splitlines()]


class HandClock(Clock):
    """A clock that moves only when told; sleeping is noted, not waited."""

    def __init__(self, moment: str):
        self.moment = parse_timestamp(moment)
        self.slept: list[float] = []

    def now(self) -> float:
        return self.moment

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)


def follower(server, clock, **more) -> Follower:
    return Follower("netra-staging", lambda since: build_filter(since, None), endpoint=server.endpoint, clock=clock,
                    page_size=300, **more)


def in_scope_between(low: str, high: str) -> list[str]:
    """What the analysis scope selects of the whole scenario in [low, high)."""
    plain = LoggingServer(ENTRIES)
    try:
        return [e["insertId"] for e in plain.select(build_filter(parse_timestamp(low), parse_timestamp(high)))]
    finally:
        plain.httpd.server_close()


def test_each_entry_comes_once_as_replayed_time_reaches_it():
    clock = HandClock("2025-09-12T14:10:00Z")
    with LoggingServer(ENTRIES, clock=clock) as server:
        following = follower(server, clock)
        first = [e["insertId"] for e in following.read(parse_timestamp("2025-09-12T14:00:00Z"))]
        clock.moment = parse_timestamp("2025-09-12T14:25:00Z")
        second = [e["insertId"] for e in following.poll()]
        third = following.poll()  # nothing new: the entries of the last minute, asked again, are dropped
        # the bound moved to the newest entry less the lag, so the last query did not ask from 14:00 again
        newest = max(parse_timestamp(e["timestamp"]) for e in ENTRIES
                     if e["insertId"] in second)
        last_query = server.requests[-1]["filter"]
    assert first == in_scope_between("2025-09-12T14:00:00Z", "2025-09-12T14:10:00.000001Z")
    assert second == in_scope_between("2025-09-12T14:10:00.000001Z", "2025-09-12T14:25:00.000001Z")
    assert len(second) > 300 and third == []
    assert last_query.startswith(build_filter(newest - 60, None)[:38])


def test_a_lost_connection_is_retried_with_back_off_then_read():
    clock = HandClock("2025-09-12T14:10:00Z")
    retries: list[float] = []
    with LoggingServer(ENTRIES, clock=clock) as server:
        following = follower(server, clock, on_retry=lambda message, seconds: retries.append(seconds))
        list(following.read(parse_timestamp("2025-09-12T14:00:00Z")))
        clock.moment = parse_timestamp("2025-09-12T14:12:00Z")
        server.failures = [(503, "The service is currently unavailable.")] * 6  # the pull's own 5 tries, and one more
        got = following.poll()
    assert retries == [5.0]  # once the pull gave up, the follower waited and asked again
    assert clock.slept == [1.0, 2.0, 4.0, 8.0, 5.0, 1.0]
    assert [e["insertId"] for e in got] == in_scope_between("2025-09-12T14:10:00.000001Z", "2025-09-12T14:12:00.000001Z")


def test_an_unreachable_endpoint_backs_off_longer_each_time():
    clock = HandClock("2025-09-12T14:10:00Z")
    retries: list[float] = []

    def give_up_after_four(message, seconds):
        retries.append(seconds)
        if len(retries) == 4:
            raise KeyboardInterrupt

    following = Follower("p", lambda since: build_filter(since, None), endpoint="http://127.0.0.1:9", clock=clock,
                         on_retry=give_up_after_four)
    following.bound = 0.0
    with pytest.raises(KeyboardInterrupt):
        following.poll()
    assert retries == [5.0, 10.0, 20.0, 40.0]


def test_a_refused_permission_is_not_retried():
    clock = HandClock("2025-09-12T14:10:00Z")
    with LoggingServer(ENTRIES, clock=clock) as server:
        following = follower(server, clock, on_retry=lambda *args: pytest.fail("retried a refusal"))
        list(following.read(parse_timestamp("2025-09-12T14:00:00Z")))
        server.failures = [(403, "The caller does not have permission")]
        with pytest.raises(PullError, match="permission denied on project netra-staging") as caught:
            following.poll()
    assert not caught.value.transient


def test_the_replay_clock_travels_between_processes_as_one_setting():
    clock = ReplayClock(parse_timestamp("2025-09-12T14:00:00Z"), 1_000.0, 60.0)
    copy = clock_from(clock.setting())
    assert isinstance(copy, ReplayClock) and (copy.start, copy.anchor, copy.speed) == (clock.start, 1_000.0, 60.0)
    assert clock_from("2025-09-12T14:00Z,1000,60").start == clock.start
    assert type(clock_from(None)) is Clock
    with pytest.raises(RcaError, match="expected START,ANCHOR,SPEED"):
        clock_from("fast")
    with pytest.raises(RcaError):
        clock_from("2025-09-12T14:00Z,1000,0")
