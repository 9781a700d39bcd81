"""Issue 25, items 7 and 8 and the 404 outage, decided on scenario shapes (fixtures/scenarios/generate.py)
at seeds the harness does not run: what is a deploy, changes scored and cited, a dropped route's
404s an outage and a scanner's not."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from conftest import run_rca

from rca.analyze.analysis import analyze
from rca.analyze.incidents import find_incidents
from rca.analyze.mapping import Scope, map_inputs
from rca.classify.hybrid import default_rules
from rca.ingest.stats import ReadStats

SCENARIOS = Path(__file__).resolve().parents[2] / "fixtures" / "scenarios"
sys.path.insert(0, str(SCENARIOS))

import generate as scenarios  # noqa: E402


def analysed(shape: str, seed: int, tmp_path):
    path, truth = scenarios.write(shape, seed, tmp_path)
    return analyze(str(path), model=None), truth, path


def test_a_rollout_is_a_deploy_and_an_autoscalers_scale_up_is_not(tmp_path):
    result, truth, _ = analysed("gke-rollout-scaleup", 7, tmp_path)
    assert [(d.service, d.revision) for d in result.deploys] == [("cart-api", truth["deploys"][0]["revision"])]
    (incident,) = result.incidents
    assert incident.deploy is not None and incident.deploy.service == "cart-api"
    assert incident.root_cause is not None and incident.root_cause.revisions == [truth["deploys"][0]["revision"]]
    # recs-worker's ReplicaSet ran from the first record: it is a revision, not a deploy
    assert any(d.service == "recs-worker" for d in result.revisions)


def test_a_replica_set_first_seen_at_its_first_error_is_no_deploy(tmp_path):
    """A ReplicaSet whose only line before its first error is a healthy INFO one, at the first record:
    the prefilter must keep that line, or the ReplicaSet passes for a deploy dated at its error."""
    def line(second: int, pod: str, template: str, severity: str, message: str) -> dict:
        return {"timestamp": f"2025-09-12T14:{second // 60:02d}:{second % 60:02d}Z", "severity": severity,
                "logName": "projects/p/logs/stdout", "insertId": f"i{second}",
                "resource": {"type": "k8s_container", "labels": {"pod_name": pod, "container_name": "web"}},
                "labels": {"k8s-pod/pod-template-hash": template}, "jsonPayload": {"message": message}}
    entries = [line(0, "web-7f9c6b8d4f-x2x9q", "7f9c6b8d4f", "INFO", "ready")]
    entries += [{**line(s, "api-5d8b7c9f6b-q8w2z", "5d8b7c9f6b", "INFO", "GET /v1/items 200"),
                 "httpRequest": {"requestMethod": "GET", "requestUrl": "/v1/items", "status": 200}}
                for s in range(1, 900, 30)]  # requests: always decoded
    entries.append(line(900, "web-7f9c6b8d4f-x2x9q", "7f9c6b8d4f", "ERROR", "payment batch failed"))
    path = tmp_path / "logs.jsonl"
    path.write_text("".join(json.dumps(e, separators=(",", ":")) + "\n" for e in entries))  # as a sink writes
    result = analyze(str(path), model=None)
    assert result.deploys == []
    assert {(d.service, d.time) for d in result.revisions} >= {("web", result.start)}


def test_a_job_image_update_is_the_jobs_deploy_and_scores_its_failure(tmp_path):
    result, truth, _ = analysed("job-image-update", 7, tmp_path)
    (deploy,) = result.deploys
    assert (deploy.service, deploy.revision, deploy.kind) == ("invoice-export", truth["deploys"][0]["revision"], "job")
    (incident,) = result.incidents
    best = incident.candidates[0]
    assert best.group is incident.root_cause and best.terms["deploy"] == 2.0
    assert incident.root_cause.cls == "missing_import"


def test_a_disabled_secret_is_scored_and_answers_the_why(tmp_path):
    result, _, _ = analysed("secret-disabled", 7, tmp_path)
    (incident,) = result.incidents
    assert incident.change is not None and incident.change.kind == "secret"
    assert incident.change.principal.startswith("secret-rotator@")
    best = incident.candidates[0]
    assert best.group is incident.root_cause and best.terms["change"] == 2.0
    assert any("ledger-api-key disabled" in reason for reason in best.reasons)
    answered = [w for w in result.whys[0] if w.answer.startswith("Yes: version ")]
    assert len(answered) == 1 and not answered[0].prompt
    assert "of secret ledger-api-key disabled at " in answered[0].answer and " by secret-rotator@" in answered[0].answer
    assert answered[0].evidence[0]["change"]["kind"] == "secret"
    assert [c.kind for c in incident.changes] == ["secret"]


def test_an_iam_role_removed_and_an_env_change_are_the_changes_behind_their_incidents(tmp_path):
    result, _, _ = analysed("iam-role-removed", 7, tmp_path / "iam")
    (incident,) = result.incidents
    assert incident.change is not None and incident.change.kind == "iam"
    assert "removed roles/storage.objectViewer from serviceAccount:reports-api@" in incident.change.summary
    result, _, _ = analysed("config-env-change", 7, tmp_path / "env")
    (incident,) = result.incidents
    assert incident.change is not None and incident.change.kind == "config" and incident.change.service == "billing-api"
    assert "INVOICE_SIGNING_KEY" not in incident.change.summary and "env DATABASE_URL" in incident.change.summary


def test_changes_that_break_nothing_make_no_incident_and_are_listed(tmp_path):
    result, truth, path = analysed("healthy-audit-changes", 7, tmp_path)
    assert result.incidents == [] and result.findings == []
    assert sorted(c.kind for c in result.changes if c.kind != "deploy") == sorted(truth["changes"])
    done = run_rca("analyze", str(path), "--format", "json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["schema_version"] == 4 and report["incidents"] == []
    restart = next(c for c in report["changes"] if c["kind"] == "database")
    assert restart["summary"] == "Cloud SQL instance accounts-db restarted" and restart["record"]["insert_id"]


def test_a_route_a_deploy_dropped_is_a_404_outage(tmp_path):
    result, _, _ = analysed("route-removed-404", 7, tmp_path)
    (incident,) = result.incidents
    assert incident.service == "catalog-api" and incident.root_cause is None
    assert [g.route for g in incident.symptoms] == ["GET /api/v1/products/{id}"]
    assert incident.deploy is not None and 0 <= incident.onset - incident.deploy.time <= 60
    asked = result.whys[0][-1]
    assert asked.prompt and f"every call to GET /api/v1/products/{{id}} answers 404 since revision " \
        f"{incident.deploy.revision}" in asked.answer
    # the scanner's 404s and the steady ones are answers, not errors: decided on, then left out
    assert [g.route for g in result.groups if g.answer_status == 404] == ["GET /api/v1/products/{id}"]
    assert not any(c.group.answer_status == 404 for c in incident.candidates)
    assert result.stats.events == sum(g.count for g in result.groups)  # the answers are no error events


def test_the_same_404s_with_no_deploy_and_a_scanners_sweep_are_no_outage(tmp_path):
    """Without the deploy that dropped the route, one route's 404s are not users' failures; and the
    scanner's sweep of random paths in forbidden-outage never is."""
    result, _, path = analysed("route-removed-404", 7, tmp_path / "route")
    requests = map_inputs([str(path)], Scope(), ReadStats()).requests
    incidents, _, findings = find_incidents(result.groups, [], default_rules().cascades, result.start, result.end,
                                            requests=requests)
    assert incidents == [] and findings == [] and not any(g.failed_answer for g in result.groups)
    _, _, path = analysed("forbidden-outage", 7, tmp_path / "scan")
    partial = map_inputs([str(path)], Scope(), ReadStats())
    scanned = [g for g in partial.groups if g.answer_status == 404]
    assert len(scanned) >= 5 and all(g.count <= 2 for g in scanned)
    result = analyze(str(path), model=None)
    assert not any(g.answer_status == 404 for g in result.groups)  # answers, none a symptom
    assert [i.service for i in result.incidents] == ["orders-api"] and result.findings == []


REAL_CSV = Path("/work/shared/real-gcp-exports/boksaemstudio__boksaem-yoga-app__downloaded-logs-20260331-031943.csv")


@pytest.mark.skipif(not REAL_CSV.exists(), reason="the shared real exports are not on this machine")
def test_a_real_csv_export_lists_each_revision_once_and_its_function_update():
    """A Logs Explorer CSV download (read in place, never copied): its revisions' audit entries name no
    service, and a Cloud Functions UpdateFunction is a change of the function."""
    result = analyze(str(REAL_CSV), model=None)
    deploys = [c for c in result.changes if c.kind == "deploy"]
    assert deploys and all(c.service == "checkinmemberv2call" for c in deploys)
    assert len({c.name for c in deploys}) == len(deploys)
    updates = [c for c in result.changes if c.kind == "config"]
    assert updates and all(c.summary.startswith("function ") and c.principal for c in updates)
