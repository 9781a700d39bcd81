"""Issue 24: grouping parses each distinct traceback text once and makes a whole fingerprint only for
a group's first event, and gives exactly the groups that fingerprinting every event gives."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

import rca
from rca.analyze import fingerprint as fingerprint_module
from rca.analyze.fingerprint import fingerprint_key, fingerprint_of
from rca.analyze.groups import Group, group_events
from rca.events import error_event
from rca.events.error_event import ErrorEvent

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def flood_events(tmp_path_factory) -> list[ErrorEvent]:
    """The error events of a small flood: tracebacks whole and split per line, requests, messages."""
    spec = importlib.util.spec_from_file_location("rca_bench_flood", ROOT / "benchmarks" / "flood.py")
    flood = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(flood)
    path = tmp_path_factory.mktemp("flood") / "flood.jsonl"
    flood.write_flood(path, entries=12_000)
    return rca.read_events([path])


def fresh(events: list[ErrorEvent]) -> list[ErrorEvent]:
    """The same events with nothing worked out yet (their cached text and traceback dropped)."""
    return [ErrorEvent(list(event.records)) for event in events]


def grouped_one_by_one(events: list[ErrorEvent]) -> dict[str, Group]:
    """Grouping as it was done before: every event's whole fingerprint made from its own traceback."""
    groups: dict[str, Group] = {}
    for event in events:
        made = fingerprint_of(event)
        group = groups.get(made.key) or groups.setdefault(made.key, Group(made.key, made.label, made))
        if group.sample and (event.time is None, event.time or 0.0, event.first.source, event.first.position) < (
                group.representative.time is None, group.representative.time or 0.0,
                group.representative.first.source, group.representative.first.position):
            group.label, group.fingerprint = made.label, made
        group.add(event, None)
    return groups


def test_the_flood_has_every_kind_and_repeated_tracebacks(flood_events):
    kinds = {fingerprint_of(event).kind for event in flood_events}
    texts = [event.text for event in flood_events if event.traceback is not None]
    assert kinds == {"traceback", "request", "message"}
    assert len(set(texts)) < len(texts)  # the cache has something to find


def test_an_events_key_is_its_whole_fingerprints_key(flood_events):
    for event in fresh(flood_events):
        assert fingerprint_key(event) == fingerprint_of(event).key


def test_a_fingerprint_from_the_text_cache_is_the_one_its_own_traceback_gives(flood_events):
    fingerprint_module._facts_of_text.cache_clear()
    warm = [fingerprint_of(event).as_dict() for event in fresh(flood_events)]
    for event, shown in zip(fresh(flood_events), warm, strict=True):
        tb = event.traceback  # parsed for this event alone
        made = fingerprint_of(event)
        assert made.as_dict() == shown
        if made.kind != "request":  # a request's label is its route
            assert made.label == event.message[:fingerprint_module.MESSAGE_LIMIT]
        if tb is not None:
            assert made.kind == "traceback" and made.components[0].value == tb.root.type
            assert made.components[-1].value == tb.root.message[:2 * fingerprint_module.MESSAGE_LIMIT]


def test_grouping_gives_the_groups_that_fingerprinting_every_event_gives(flood_events):
    expected = grouped_one_by_one(fresh(flood_events))
    got = {group.key: group for group in group_events((event, None) for event in fresh(flood_events))}
    assert got.keys() == expected.keys()
    for key, group in got.items():
        other = expected[key]
        assert (group.count, group.label, group.fingerprint.as_dict()) == \
            (other.count, other.label, other.fingerprint.as_dict())
        assert [e.first.position for e in group.events] == [e.first.position for e in other.events]


def test_an_identical_traceback_text_is_parsed_once(monkeypatch):
    text = ('Traceback (most recent call last):\n  File "/app/svc/jobs.py", line 12, in run\n'
            '    total = rows[0]\nIndexError: list index out of range')
    records = [rca.LogRecord(1_757_685_600.0 + i, "ERROR", text, "app.log", i + 1, service="jobs")
               for i in range(50)]
    parsed: list[str] = []
    parse = error_event.parse_traceback
    monkeypatch.setattr(error_event, "parse_traceback", lambda t: parsed.append(t) or parse(t))
    fingerprint_module._facts_of_text.cache_clear()
    (group,) = group_events((ErrorEvent([record]), None) for record in records)
    assert group.count == 50 and group.fingerprint.components[0].value == "IndexError"
    assert parsed == [text]


def test_the_parsed_texts_kept_are_bounded_and_the_last_used_stay():
    facts = fingerprint_module._facts_of_text
    facts.cache_clear()
    kept = fingerprint_module.TEXTS_KEPT
    texts = [f'Traceback (most recent call last):\n  File "/app/svc/jobs.py", line {n}, in run\n    step_{n}()\n'
             f"KeyError: 'k{n}'" for n in range(kept + 20)]
    first = ErrorEvent([rca.LogRecord(1_757_685_600.0, "ERROR", texts[0], "app.log", 1)])
    for n, text in enumerate(texts):  # whole fingerprints: a key alone reads a traceback's head (test_head_keys)
        fingerprint_of(ErrorEvent([rca.LogRecord(1_757_685_600.0 + n, "ERROR", text, "app.log", n + 1)]))
        fingerprint_of(first)  # the first text, used again and again, stays
    assert facts.cache_info().currsize == kept
    hits = facts.cache_info().hits
    fingerprint_of(first)
    assert facts.cache_info().hits == hits + 1
    fingerprint_of(ErrorEvent([rca.LogRecord(1_757_685_600.0, "ERROR", texts[1], "app.log", 2)]))
    assert facts.cache_info().hits == hits + 1  # the second text, not used since, was let go


def test_a_text_larger_than_the_limit_is_not_kept():
    facts = fingerprint_module._facts_of_text
    facts.cache_clear()
    text = ('Traceback (most recent call last):\n  File "/app/svc/jobs.py", line 1, in run\n    step()\n'
            "KeyError: '" + "k" * fingerprint_module.FACT_TEXT_BYTES + "'")
    made = fingerprint_of(ErrorEvent([rca.LogRecord(1_757_685_600.0, "ERROR", text, "app.log", 1)]))
    assert made.components[0].value == "KeyError"
    assert facts.cache_info().currsize == 0
