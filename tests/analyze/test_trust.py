"""Issue 25, the decision: an outage of 4xx answers is an outage, rates are per request (traffic alone
is never change), one incident per root cause, and nothing is both an incident's and a finding.

Each case is a scenario shape (fixtures/scenarios/generate.py) at a seed the harness does not run."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from rca.analyze.analysis import analyze
from rca.analyze.exposure import Exposure
from rca.analyze.incidents import Incident, onset_of_times

SCENARIOS = Path(__file__).resolve().parents[2] / "fixtures" / "scenarios"
sys.path.insert(0, str(SCENARIOS))

import generate as scenarios  # noqa: E402

START = 1_757_685_600.0


def analysed(shape: str, seed: int, tmp_path):
    path, truth = scenarios.write(shape, seed, tmp_path)
    return analyze(str(path), model=None), truth


def test_403s_to_every_user_are_an_outage_with_its_cause(tmp_path):
    result, truth = analysed("forbidden-outage", 3, tmp_path)
    (incident,) = result.incidents
    assert incident.service == "orders-api" and incident.root_cause is not None
    assert incident.root_cause.representative.traceback.last.type == "google.auth.exceptions.RefreshError"
    refused = [g for g in result.groups if g.answer_status == 403]
    assert len(refused) >= 4 and all(g.failed_answer and g.role == "symptom" for g in refused)
    assert {g.key for g in refused} <= {g.key for g in incident.symptoms}
    # the token-less clients' steady 401s stay out, and nothing is left over as a finding
    assert not any(g.answer_status == 401 for g in incident.symptoms)
    assert result.findings == []


def test_one_noisy_client_on_one_route_is_no_outage(tmp_path):
    """401s that rise on one route only (one client with a bad token) are not users' failures."""
    from rca.analyze.incidents import find_incidents
    from rca.analyze.mapping import Scope, map_inputs
    from rca.classify.hybrid import default_rules
    from rca.ingest.stats import ReadStats

    path, _ = scenarios.write("forbidden-outage", 3, tmp_path)
    result = analyze(str(path), model=None)
    requests = map_inputs([str(path)], Scope(), ReadStats()).requests
    groups = result.groups
    for group in groups:  # keep one route's 403s: the rest of the rise is gone
        group.muted = group.answer_status == 403 and group.route != "GET /api/orders"
    incidents, _, findings = find_incidents(groups, result.deploys, default_rules().cascades, result.start,
                                            result.end, requests=requests)
    assert incidents == [] and not any(g.failed_answer for g in groups)
    assert any(f.group.route == "GET /api/orders" and f.group.answer_status == 403 for f in findings)


def test_traffic_growth_with_errors_in_proportion_is_no_change(tmp_path):
    result, truth = analysed("traffic-spike", 3, tmp_path)
    assert truth["incidents"] == [] and result.incidents == [] and result.findings == []


def test_an_onset_is_measured_per_request():
    """Errors at 1% of requests while the traffic grows fivefold: a change per minute, none per request."""
    end = START + 3600
    seconds, rate = [], []
    for second in range(3600):
        seconds.append(START + second)
        rate.append(1 if second < 2400 else 5)
    import numpy

    cumulative = numpy.cumsum(rate).astype(float)
    exposure = Exposure(START, end, numpy.array([int(s) for s in seconds]), cumulative)
    errors, owed = [], 0.0
    for moment, requests in zip(seconds, rate):
        owed += requests * 0.01
        while owed >= 1:
            errors.append(moment)
            owed -= 1
    assert onset_of_times(errors, START, end) is not None  # per minute: the count jumped
    assert onset_of_times(errors, START, end, exposure) is None  # per request: unchanged


def test_a_rare_routes_late_failures_join_the_ongoing_incident(tmp_path):
    result, _ = analysed("rare-route-late", 3, tmp_path)
    (incident,) = result.incidents
    invoice = next(g for g in result.groups if g.route == "GET /api/invoices/{id}/pdf" and g.answer_status == 500)
    assert invoice in incident.symptoms
    assert invoice.first_seen - incident.onset > 15 * 60  # it began long after the incident did


def test_a_callers_timeout_in_the_incident_is_not_also_a_finding(tmp_path):
    result, _ = analysed("caller-timeout", 3, tmp_path)
    (incident,) = result.incidents
    assert incident.service == "catalog-api" and incident.services == ["catalog-api", "web-bff"]
    assert any(g.service == "web-bff" and g.answer_status == 504 for g in incident.symptoms)
    assert result.findings == []


def test_services_name_every_service_whose_symptoms_the_incident_holds(tmp_path):
    result, _ = analysed("caller-timeout", 3, tmp_path)
    symptoms = result.groups
    caller = next(g for g in symptoms if g.service == "web-bff" and g.answer_status == 504)
    callee = next(g for g in symptoms if g.service == "catalog-api" and g.answer_status == 500)
    incident = Incident("catalog-api", START, None, [callee, caller], [], None)
    assert incident.services == ["catalog-api", "web-bff"]


@pytest.mark.parametrize("shape", ["forbidden-outage", "traffic-spike", "rare-route-late", "caller-timeout"])
def test_the_new_shapes_score_right_at_another_seed(shape, tmp_path):
    from score import score

    from rca.report.markdown import to_dict

    path, truth = scenarios.write(shape, 4, tmp_path)
    result = score(truth, to_dict(analyze(str(path), model=None)))
    assert result["ok"], result["problems"]
