"""The 404 answers (issue 25) left out in one place, `rca.analyze.incidents.reported_groups`, and read
as decided by every reader of the groups: the report, the watch's decision, `rca diff` and the
remedy. A dropped route's 404s are the outage and stay; a scanner's and the steady ones are the
services' answers and go, decided once per decision, never filtered again downstream."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from rca.analyze.analysis import analyze
from rca.analyze.compare import Side, analyse_with_requests, compare
from rca.analyze.incidents import reported_groups
from rca.analyze.mapping import Scope, map_inputs
from rca.analyze.watch import SlidingWindow, decide
from rca.classify.hybrid import default_rules
from rca.ingest import iter_records
from rca.ingest.stats import ReadStats

SCENARIOS = Path(__file__).resolve().parents[2] / "fixtures" / "scenarios"
sys.path.insert(0, str(SCENARIOS))

import generate as scenarios  # noqa: E402

DROPPED = "GET /api/v1/products/{id}"


@pytest.fixture(scope="module")
def route_removed(tmp_path_factory):
    path, _ = scenarios.write("route-removed-404", 7, tmp_path_factory.mktemp("route"))
    return str(path)


def routes_of_404s(groups) -> list[str]:
    return sorted(g.route for g in groups if g.answer_status == 404)


def test_the_answers_are_left_out_once_and_the_dropped_route_counted(route_removed):
    mapped = map_inputs([route_removed], Scope(), ReadStats()).groups
    assert len(routes_of_404s(mapped)) > 1  # read: the dropped route's and others', all decided on
    result = analyze(route_removed, model=None)
    assert routes_of_404s(result.groups) == [DROPPED]
    assert result.stats.events == sum(g.count for g in result.groups)  # the dropped route's 404s counted, once
    # the groups reported hold no answer: leaving out again keeps every one, and counts nothing more
    stats = ReadStats()
    assert reported_groups(result.groups) == result.groups and stats.events == 0
    again = ReadStats()
    assert reported_groups(result.groups, again) == result.groups
    assert again.events == sum(g.count for g in result.groups if g.route == DROPPED and g.answer_status == 404)


def test_the_watch_leaves_the_answers_out_as_the_analysis_does(route_removed):
    """The watch pulls the analysis's scope, healthy requests left out, so it judges rates per minute,
    with no share of requests: there a dropped route's 404s are answers too, left out as the others."""
    one_pass = analyze(route_removed, model=None)
    window = SlidingWindow(one_pass.end - one_pass.start + 3600, None, default_rules(), None)
    window.add(iter_records([route_removed]), final=True)
    assert len(routes_of_404s(window.groups())) > 1  # every 404 group mapped, and decided on
    decided = decide(window, one_pass.end, None)
    assert routes_of_404s(decided.groups) == []
    assert {g.key: g.count for g in decided.groups} == {g.key: g.count for g in one_pass.groups if g.answer_status != 404}


def test_a_diff_compares_the_dropped_route_and_no_answer(route_removed):
    analysis, requests = analyse_with_requests(route_removed, model=None)
    deploy = analysis.incidents[0].deploy
    diff = compare(analysis, requests, Side(until=deploy.time), Side(since=deploy.time))
    compared = [change.group for change in diff.groups]
    assert routes_of_404s(compared) == [DROPPED]
    dropped = next(change for change in diff.groups if change.group.route == DROPPED and change.group.answer_status == 404)
    assert dropped.change in ("new", "raised") and dropped.worse
