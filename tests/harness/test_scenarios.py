"""The scenario shapes of issue 14 (fixtures/scenarios/) and their scoring.

The cheap tests check the generator and the scorer themselves. The analysis itself is measured by
`python benchmarks/bench_scenarios.py --seeds 5`; `pytest tests/harness/test_scenarios.py` (seed 0 of each)
also runs every shape at seed 0 through `rca.analyze` and asserts on the score (slow: about 90 s).
"""

from __future__ import annotations

import functools
import json
import sys
from pathlib import Path

import pytest

SCENARIOS = Path(__file__).resolve().parents[2] / "fixtures" / "scenarios"
sys.path.insert(0, str(SCENARIOS))

import generate as scenarios  # noqa: E402
from score import legacy_truth, parse_time, score  # noqa: E402

CLASSES = {"missing_import", "auth_rejection", "db_session_failure", "dependency_connection_failure", "timeout",
           "resource_exhaustion", "config_error", "rate_limited", "startup_failure", "service_unavailable"}
SYMPTOMS = {"startup_failure", "service_unavailable"}
# A failed request is a symptom whatever its status: a broad rise of 401/403 or 429 answers too, and the
# 404s of a route a deploy dropped, which no class fits (issue 25).
ANSWERS = {"auth_rejection", "rate_limited", "unknown"}
SHAPES = sorted(scenarios.SHAPES)


@functools.cache
def seed_zero(shape: str):
    """(export, truth) of `shape` at seed 0, generated once for the tests that only read them: a shape
    takes a second or more to generate. The determinism test calls the generator itself, twice."""
    return scenarios.generate(shape, 0)


def test_there_are_enough_shapes_and_two_healthy_ones():
    assert len(SHAPES) >= 14
    healthy = [name for name in SHAPES if not seed_zero(name)[1]["incidents"]]
    assert len(healthy) >= 2


@pytest.mark.parametrize("shape", SHAPES)
def test_a_shape_is_deterministic_and_a_seed_changes_it(shape):
    first, truth = scenarios.generate(shape, 3)
    again, truth_again = scenarios.generate(shape, 3)
    other, other_truth = scenarios.generate(shape, 4)
    assert first == again and truth == truth_again
    assert first != other
    # A seed changes the details, never the truth's structure.
    assert [(i["service"] is None, i["symptoms"], i["root_cause"] and i["root_cause"]["class"])
            for i in truth["incidents"]] == \
           [(i["service"] is None, i["symptoms"], i["root_cause"] and i["root_cause"]["class"])
            for i in other_truth["incidents"]]


@pytest.mark.parametrize("shape", SHAPES)
def test_the_truth_points_at_records_in_the_export(shape):
    export, truth = seed_zero(shape)
    for incident in truth["incidents"]:
        assert set(incident["symptoms"]) <= SYMPTOMS | ANSWERS
        root = incident["root_cause"]
        if root is None:  # nothing in the logs names the cause (a route a deploy dropped)
            assert truth.get("deploys"), "a cause the logs cannot name needs the deploy that shows it"
            continue
        assert root["class"] in CLASSES - SYMPTOMS
        if isinstance(export, str):
            assert f'File "{root["file"]}", line {root["line"]}, in {root["function"]}' in export
            continue
        assert export == sorted(export, key=lambda e: parse_time(e["timestamp"]))
        at_first_seen = [e for e in export if e["timestamp"] == root["first_seen"]]
        assert at_first_seen, root["first_seen"]
        text = json.dumps(export)
        assert f'File \\"{root["file"]}\\", line {root["line"]}, in {root["function"]}' in text
        for name in [root["exception"], *root["exception_aliases"]]:
            assert name in text


def _perfect_report(truth: dict) -> dict:
    incidents = []
    for incident in truth["incidents"]:
        root = dict(incident["root_cause"]) if incident["root_cause"] else None
        if root is not None:
            root["location"] = {"file": root.pop("file"), "line": root.pop("line"), "function": root.pop("function")}
        incidents.append({"service": incident["service"], "root_cause": root, "change": incident.get("change"),
                          "symptoms": [{"class": c, "service": incident["service"]} for c in incident["symptoms"]]})
    return {"incidents": incidents, "deploys": truth.get("deploys") or [],
            "changes": [{"kind": kind} for kind in truth.get("changes") or []]}


@pytest.mark.parametrize("shape", SHAPES)
def test_a_report_that_says_the_truth_scores_ok(shape):
    _, truth = scenarios.generate(shape, 1)
    result = score(truth, _perfect_report(truth))
    assert result["ok"], result["problems"]


def test_the_scorer_counts_what_is_wrong():
    _, truth = scenarios.generate("two-services", 0)
    report = _perfect_report(truth)
    report["incidents"][0]["root_cause"]["revision"] = "search-api-00001-zzz"
    report["incidents"][1]["root_cause"]["first_seen"] = "2000-01-01T00:00:00Z"
    report["incidents"][1]["symptoms"].append({"class": "startup_failure", "service": "payments-api"})
    report["incidents"].append({"service": "marketing-site", "root_cause": None,
                                "symptoms": [{"class": "service_unavailable", "service": "marketing-site"}]})
    result = score(truth, report)
    assert (result["expected"], result["found"], result["matched"], result["spurious"]) == (2, 3, 2, 1)
    assert (result["root_cause_right"], result["symptoms_right"], result["ok"]) == (0, 1, False)
    assert result["incidents"][0]["root_cause"]["revision"] is False
    assert result["incidents"][1]["root_cause"]["first_seen"] is False
    # A healthy export: every incident is spurious; none is the one right answer.
    assert score({"incidents": []}, {"incidents": []})["ok"]
    assert score({"incidents": []}, report)["spurious"] == 3


def test_the_scorer_holds_a_report_to_its_deploys_and_changes():
    """Issue 25: an autoscaler's scale-up reported as a deploy, or a root cause not tied to its change, is wrong."""
    _, truth = scenarios.generate("gke-rollout-scaleup", 0)
    report = _perfect_report(truth)
    assert score(truth, report)["ok"]
    report["deploys"] = report["deploys"] + [{"service": "recs-worker", "revision": "7d9f8b6c5"}]
    assert not score(truth, report)["ok"]
    _, truth = scenarios.generate("secret-disabled", 0)
    report = _perfect_report(truth)
    assert score(truth, report)["ok"]
    report["incidents"][0]["change"] = None
    result = score(truth, report)
    assert not result["ok"] and any("change None, expected secret" in p for p in result["problems"])


def test_existing_truth_files_convert():
    old = json.loads((SCENARIOS.parent / "incidents" / "db-failure" / "truth.json").read_text())
    truth = legacy_truth(old)
    assert truth["incidents"][0]["root_cause"]["file"] == "/app/orders/api.py"
    assert score(truth, _perfect_report(truth))["ok"]


@pytest.mark.parametrize("shape", SHAPES)
def test_rca_finds_the_truth(shape, tmp_path):
    """Seed 0 of every shape, healthy ones included (no incident): `bench_scenarios.py --seeds 5` for all."""
    from rca import analyze

    path, truth = scenarios.write(shape, 0, tmp_path)
    result = score(truth, analyze(str(path)).to_dict())
    assert result["ok"], result["problems"]


def test_the_scorer_holds_a_report_to_the_findings_its_truth_lists():
    _, truth = scenarios.generate("caller-timeout", 0)
    report = _perfect_report(truth)
    assert score(truth, report)["ok"]
    report["findings"] = [{"class": "timeout", "service": "web-bff", "label": "requests.exceptions.ReadTimeout"}]
    result = score(truth, report)
    assert not result["ok"] and not result["findings_right"]
    assert any("findings" in problem for problem in result["problems"])
