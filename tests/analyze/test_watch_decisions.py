"""rca watch's decision loop in-process (rca.analyze.watch, rca.analyze.rates): the sliding window of
summaries against a one-pass analysis, the state file, what is announced and when."""

from __future__ import annotations

import dataclasses
import json
import time

import numpy as np
import pytest
from conftest import INCIDENT
from logging_server import shifted

from rca.analyze.analysis import analyze
from rca.analyze.groups import MINUTE
from rca.analyze.rates import MIN_QUIET, rate_before, rate_during, recovery
from rca.analyze.watch import BUCKET, Announcer, SlidingWindow, StateError, Watcher, WatchState, decide
from rca.classify.hybrid import default_rules
from rca.ingest.follow import Clock
from rca.ingest.live import records_from_entries
from rca.ingest.times import parse_timestamp

ENTRIES = [json.loads(line) for line in (INCIDENT / "logs.jsonl").read_text().splitlines()]
START = parse_timestamp("2025-09-12T14:00:00Z")
ONSET = parse_timestamp("2025-09-12T14:20:00Z")


@pytest.fixture(scope="module")
def rules():
    return default_rules()


def window_of(entries, rules, length=7200.0, step=97):
    """The entries fed in pieces of `step`, as polls would bring them."""
    window = SlidingWindow(length, None, rules, None)
    for at in range(0, len(entries), step):
        window.add(records_from_entries(entries[at:at + step], "netra-staging"))
    window.add([], final=True)
    return window


def test_the_window_in_buckets_and_pieces_counts_what_one_pass_counts(rules):
    window = window_of(ENTRIES, rules)
    one_pass = analyze(None, records=records_from_entries(ENTRIES, "netra-staging"), rules=rules, model=None)
    assert len(window.buckets) == 10  # 50 minutes, 5-minute buckets
    decided = decide(window, parse_timestamp("2025-09-12T14:50:00Z"), "netra-staging")
    # the decided groups: 404s that no route lost are decided on, then left out by both (issue 25)
    assert {g.key: g.count for g in decided.groups} == {g.key: g.count for g in one_pass.groups}
    assert sum(g.count for g in window.groups()) > sum(g.count for g in decided.groups)
    incident, = decided.incidents
    assert incident.root_cause.label == "NameError: name 'redis' is not defined"
    assert [g.key for g in incident.symptoms] == [g.key for g in one_pass.incidents[0].symptoms]


def test_buckets_that_leave_the_window_are_let_go(rules):
    window = window_of(ENTRIES, rules, length=20 * MINUTE)
    window.drop_before(parse_timestamp("2025-09-12T14:50:00Z") - window.length)
    assert sorted(window.buckets) == [int(parse_timestamp(f"2025-09-12T14:{m}:00Z") // BUCKET) for m in (30, 35, 40, 45)]
    assert min(g.first_seen for g in window.groups()) >= parse_timestamp("2025-09-12T14:30:00Z")
    window.drop_before(parse_timestamp("2025-09-12T16:00:00Z"))
    assert window.buckets == {} and window.groups() == []


def test_resolved_only_after_a_quiet_span_long_enough_to_tell():
    busy = np.arange(ONSET, ONSET + 10 * MINUTE, 2.0)  # 30/min for ten minutes, then nothing
    before = rate_before([busy], START, ONSET)
    during = rate_during([busy], ONSET, ONSET + 30 * MINUTE)
    assert before == pytest.approx(1 / (20 * MINUTE)) and during * MINUTE == pytest.approx(30, rel=0.01)
    stopped = ONSET + 10 * MINUTE
    assert not recovery([busy], ONSET, stopped + MIN_QUIET - 30, before, during).resolved
    assert recovery([busy], ONSET, stopped + MIN_QUIET, before, during).resolved
    # a sparse symptom (one every 4 minutes) needs a longer quiet span than 5 minutes to be told apart
    sparse = np.arange(ONSET, ONSET + 40 * MINUTE, 4 * MINUTE)
    during = rate_during([sparse], ONSET, ONSET + 60 * MINUTE)
    assert not recovery([sparse], ONSET, float(sparse[-1]) + 6 * MINUTE, 0.0, during).resolved
    assert recovery([sparse], ONSET, float(sparse[-1]) + 13 * MINUTE, 0.0, during).resolved
    # still failing at a lower rate than during the incident, but well above the rate before: not resolved
    lower = np.concatenate([busy, np.arange(stopped, stopped + 20 * MINUTE, 30.0)])
    found = recovery([lower], ONSET, stopped + 20 * MINUTE, before, rate_during([busy], ONSET, stopped))
    assert not found.resolved and "still above the rate before" in found.reason


def test_a_root_cause_change_is_announced_once_it_lasts_and_a_resolved_incident_stays_quiet(rules, tmp_path):
    window = window_of(ENTRIES, rules)
    now = parse_timestamp("2025-09-12T14:50:00Z")
    decided = decide(window, now, "netra-staging")
    unnamed = dataclasses.replace(decided, incidents=[dataclasses.replace(decided.incidents[0], root_cause=None,
                                                                          verdict="no candidate is convincing")])
    announcer = Announcer(WatchState(tmp_path / "state.json"), "netra-staging")
    said = [[e["event"] for e in announcer.judge(d, now)] for d in (decided, unnamed, decided, unnamed, unnamed, unnamed)]
    assert said == [["incident.opened"], [], [], [], ["incident.updated"], []]
    tracked, = announcer.state.open
    assert tracked.root is None and tracked.verdict == "no candidate is convincing"
    assert tracked.id == "netra-backend-staging/traceback:1ef3e8636de6bfad"  # the identity it was opened with
    announcer.state.save()
    again = Announcer(WatchState.load(tmp_path / "state.json"), "netra-staging")
    assert again.state.incidents.keys() == announcer.state.incidents.keys()
    kept = again.state.incidents[tracked.id]
    kept.status, kept.resolved = "resolved", now
    assert again.judge(decided, now + MINUTE) == []  # the same incident (same onset), already resolved


def test_a_state_file_that_is_not_one_is_a_clear_error(tmp_path):
    path = tmp_path / "state.json"
    path.write_text('{"something": "else"}')
    with pytest.raises(StateError, match=r"--state .*state.json: not a state file of rca watch"):
        WatchState.load(path)


class ListSource:
    """Entries served as a replayed clock reaches them: what the follower gives, without a server."""

    def __init__(self, entries, clock):
        self.entries, self.clock, self.given = entries, clock, 0

    def read(self, since):
        return self.poll()

    def poll(self):
        now = self.clock.now()
        end = self.given
        while end < len(self.entries) and parse_timestamp(self.entries[end]["timestamp"]) <= now:
            end += 1
        out, self.given = self.entries[self.given:end], end
        return out


class StepClock(Clock):
    def __init__(self, moment):
        self.moment = moment

    def now(self):
        return self.moment

    def sleep(self, seconds):
        self.moment += seconds


def test_the_loop_opens_the_seed_incident_within_a_minute_of_its_onset(rules):
    clock = StepClock(parse_timestamp("2025-09-12T14:10:00Z"))
    events = []
    watcher = Watcher(ListSource(ENTRIES, clock), SlidingWindow(7200.0, None, rules, None),
                      Announcer(WatchState(), "netra-staging"), project="netra-staging", clock=clock, emit=events.append)
    watcher.start()
    while clock.moment < parse_timestamp("2025-09-12T14:30:00Z"):
        clock.sleep(30)
        watcher.step()
    opened = [e for e in events if e["event"] == "incident.opened"]
    assert len(opened) == 1 and opened[0]["root_cause"]["class"] == "missing_import"
    assert parse_timestamp(opened[0]["time"]) - parse_timestamp(opened[0]["onset"]) <= 60
    assert all(e["event"] == "incident.updated" for e in events[1:])


def test_an_incident_that_comes_back_after_it_was_resolved_is_a_new_occurrence(rules):
    """The seed twice, 50 minutes apart: while the first crash loop is still in the window, the
    decision keeps dating the symptoms' onset to it; the second is found by its symptoms' return."""
    twice = ENTRIES + [dict(entry, insertId="2" + entry["insertId"]) for entry in shifted(ENTRIES, 50 * MINUTE)]
    clock = StepClock(parse_timestamp("2025-09-12T14:01:00Z"))
    events = []
    watcher = Watcher(ListSource(twice, clock), SlidingWindow(7200.0, None, rules, None),
                      Announcer(WatchState(), "netra-staging"), project="netra-staging", clock=clock, emit=events.append)
    watcher.start()
    while clock.moment < parse_timestamp("2025-09-12T15:50:00Z"):
        clock.sleep(60)
        watcher.step()
    said = [(e["event"], e["id"].rpartition("/")[2], round((parse_timestamp(e["onset"]) - START) / MINUTE))
            for e in events if e["event"] != "incident.updated"]
    assert said == [("incident.opened", "traceback:1ef3e8636de6bfad", 20), ("incident.resolved", "traceback:1ef3e8636de6bfad", 20),
                    ("incident.opened", "traceback:1ef3e8636de6bfad#2", 70), ("incident.resolved", "traceback:1ef3e8636de6bfad#2", 70)]
    opened_again = [e for e in events if e["event"] == "incident.opened"][1]
    assert parse_timestamp(opened_again["time"]) - parse_timestamp(opened_again["onset"]) <= 60


def test_the_python_api_runs_one_pass_and_hands_over_redacted_events(tmp_path):
    from logging_server import LoggingServer

    from rca.api import watcher
    from rca.ingest.follow import ReplayClock

    secret = "Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJlLXZhbHVl"
    leaky = [dict(e, textPayload=e["textPayload"] + f" (auth {secret})")
             if e.get("textPayload", "").startswith("NameError") else e for e in ENTRIES]
    clock = ReplayClock(parse_timestamp("2025-09-12T14:50:00Z"), time.time(), 1.0)
    events = []
    with LoggingServer(leaky, clock=clock) as server:
        watch = watcher("netra-staging", on_event=events.append, endpoint=server.endpoint, state=tmp_path / "s.json",
                        once=True, model=None, clock=clock)
        watch.run(interval=30, once=True)
    assert [e["event"] for e in events] == ["incident.opened"]
    assert "eyJzdWIiOiIxIn0" not in json.dumps(events) and "NameError" in events[0]["root_cause"]["label"]
    assert [t.id for t in watch.announcer.state.open] == [events[0]["id"]]
    assert json.loads((tmp_path / "s.json").read_text())["incidents"][0]["id"] == events[0]["id"]
