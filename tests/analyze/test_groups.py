"""Group summaries: bounded in size, and merged exactly in any order (map, merge, decide)."""

import itertools

import pytest
from conftest import INCIDENT

from rca.analyze.groups import SAMPLE_EVENTS, group_events, merge_groups
from rca.analyze.incidents import find_incidents
from rca.api import read_events
from rca.classify.hybrid import classify_events
from rca.classify.rules import RuleSet


@pytest.fixture(scope="module")
def classified():
    return list(classify_events(read_events([INCIDENT / "logs.jsonl"])))


def state(groups):
    """Everything a decision or a report reads from the summaries."""
    return [(g.key, g.label, g.count, g.first_seen, g.last_seen, dict(g.per_second.items()), dict(g.statuses),
             g.traces.tolist(), [(e.first.source, e.first.position) for e in g.events], g.cls)
            for g in groups]


def test_merging_parts_in_any_order_gives_the_one_pass_summaries(classified):
    whole = group_events(classified)
    thirds = [classified[0::3], classified[1::3], classified[2::3]]  # interleaved: every group spans every part
    parts = [group_events(part) for part in thirds]
    for order in itertools.permutations(parts):
        assert state(merge_groups(*order)) == state(whole)
    nested = merge_groups(merge_groups(parts[0], parts[1]), parts[2])
    assert state(nested) == state(merge_groups(parts[0], merge_groups(parts[1], parts[2])))


def test_the_decision_on_merged_summaries_is_the_one_pass_decision(classified):
    whole = group_events(classified)
    merged = merge_groups(*(group_events(classified[i::2]) for i in range(2)))
    start, end = min(g.first_seen for g in whole), max(g.last_seen for g in whole)
    cascades = RuleSet.load().cascades
    (one,), _, _ = find_incidents(whole, [], cascades, start, end)
    (two,), _, _ = find_incidents(merged, [], cascades, start, end)
    assert one.root_cause.key == two.root_cause.key and one.onset == two.onset
    assert [g.key for g in one.symptoms] == [g.key for g in two.symptoms]


def test_a_group_keeps_a_bounded_sample_but_counts_every_event(classified):
    biggest = max(group_events(classified), key=lambda g: g.count)
    assert biggest.count > SAMPLE_EVENTS == len(biggest.events)
    assert sum(biggest.per_second.values()) == biggest.count
    assert biggest.representative.time == biggest.first_seen == min(e.time for e in biggest.events)
