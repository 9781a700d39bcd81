"""Onsets decided by a test of counts, incidents only from symptoms that change, findings for the rest."""

import json
import math
from datetime import UTC, datetime, timedelta

import pytest
from conftest import INCIDENT

from rca.analyze.analysis import analyze
from rca.analyze.incidents import ONSET_LOG_P, onset_of_times, tail_log_p
from rca.ingest.times import parse_moment, parse_timestamp
from rca.report.markdown import to_dict

TRUTH = json.loads((INCIDENT / "truth.json").read_text())
START = 1_757_685_600.0  # 2025-09-12T14:00:00Z
HOUR = 3600.0


def exact_tail(n, k, share):
    return sum(math.comb(n, i) * share ** i * (1 - share) ** (n - i) for i in range(k, n + 1))


@pytest.mark.parametrize("n, k, share", [(10, 8, 0.3), (40, 30, 0.5), (100, 60, 0.2), (5, 5, 0.1)])
def test_the_tail_bound_never_understates_the_chance(n, k, share):
    assert tail_log_p(n, k, share) >= math.log(exact_tail(n, k, share)) - 1e-9


def test_a_handful_of_events_over_hours_is_never_an_onset():
    for first in (10 * 60, 45 * 60, 90 * 60):  # 4 to 6 events, the first well inside a 2-hour window
        for count in (4, 5, 6):
            times = [START + first + i * (2 * HOUR - first) / count for i in range(count)]
            assert onset_of_times(times, START, START + 2 * HOUR) is None


def test_a_new_failure_at_a_steady_rate_begins():
    times = [START + 20 * 60 + i * 10 for i in range(180)]  # 6/min from minute 20 of 50
    onset = onset_of_times(times, START, START + 50 * 60)
    assert onset is not None and onset.kind == "began" and onset.time == times[0] and onset.log_p < ONSET_LOG_P


def test_a_jump_over_a_steady_background_is_dated_at_the_jump():
    background = [START + i * 60 for i in range(50)]  # 1/min all along
    burst = [START + 30 * 60 + i * 2 for i in range(300)]  # then 30/min from minute 30
    onset = onset_of_times(background + burst, START, START + 50 * 60)
    assert onset is not None and onset.kind == "jumped" and abs(onset.time - (START + 30 * 60)) <= 60


def test_a_steady_rate_is_not_an_onset():
    times = [START + i * 7 for i in range(400)]
    assert onset_of_times(times, START, START + 400 * 7) is None


def _seed_with_a_steady_error_line(tmp_path):
    lines = (INCIDENT / "logs.jsonl").read_text().splitlines()
    moment, end = datetime(2025, 9, 12, 14, 5, tzinfo=UTC), datetime(2025, 9, 12, 14, 50, tzinfo=UTC)
    while moment < end:
        lines.append(json.dumps({
            "textPayload": "background job failed: retry later", "severity": "ERROR",
            "timestamp": moment.isoformat().replace("+00:00", "Z"),
            "logName": "projects/netra-staging/logs/run.googleapis.com%2Fstderr",
            "resource": {"type": "cloud_run_revision", "labels": {
                "service_name": "netra-backend-staging", "revision_name": "netra-backend-staging-00041-kx7"}}}))
        moment += timedelta(seconds=45)
    path = tmp_path / "noisy.jsonl"
    path.write_text("\n".join(lines) + "\n")
    return path


def _root(report):
    (incident,) = report["incidents"]
    return incident, incident["root_cause"]


def test_one_steady_unrelated_error_line_does_not_move_the_onset(tmp_path):
    incident, root = _root(to_dict(analyze(_seed_with_a_steady_error_line(tmp_path), model=None)))
    assert (root["class"], root["location"]["line"]) == ("missing_import", TRUTH["root_cause"]["line"])
    assert abs(parse_timestamp(incident["onset"]) - parse_timestamp(TRUTH["root_cause"]["first_seen"])) < 5
    assert sum(s["count"] for s in incident["symptoms"] if s["class"] == "service_unavailable") == 1030
    steady = next(r for r in incident["ruled_out"] if r["label"].startswith("background job failed"))
    assert "unchanged" in steady["reason"]


def test_a_window_that_starts_31_seconds_before_the_deploy_keeps_the_verdict():
    report = to_dict(analyze(INCIDENT / "logs.jsonl", since=parse_moment("2025-09-12T14:19:30Z"), model=None))
    incident, root = _root(report)
    assert root["class"] == "missing_import" and root["fields"]["name"] == "redis"
    assert incident["onset_kind"] == "began"
    assert abs(parse_timestamp(incident["onset"]) - parse_timestamp(TRUTH["root_cause"]["first_seen"])) < 5


def test_a_window_inside_the_incident_says_it_began_before_the_logs():
    report = to_dict(analyze(INCIDENT / "logs.jsonl", since=parse_moment("2025-09-12T14:30:00Z"), model=None))
    incident, root = _root(report)
    assert incident["onset_kind"] == "before-window"
    assert root is not None and root["class"] == "missing_import"
    assert any("Before these logs begin" in why["answer"] for why in incident["five_whys"])


def test_candidates_show_their_score_and_the_terms_behind_it():
    incident, root = _root(to_dict(analyze(INCIDENT / "logs.jsonl", model=None)))
    best = incident["candidates"][0]
    assert best["group"] == root["group"]
    assert math.isclose(best["score"], sum(best["terms"].values()), abs_tol=0.01)
    assert {"cascade", "precedes", "deploy"} <= set(best["terms"])
