"""Issue 25, item 8 on the reading side: Admin Activity audit entries are read as changes (what,
which resource, who), failed calls are not changes, and the prefilter keeps the entries a healthy
export would otherwise pass over undecoded (audit NOTICEs, a ReplicaSet's first line)."""

from __future__ import annotations

import json
from pathlib import Path

import orjson
import pytest

from rca.ingest import iter_records
from rca.ingest.audit import audit_change
from rca.ingest.jsonlog import choose_prefilter
from rca.ingest.logentry import entry_to_record
from rca.ingest.stats import ReadStats

REAL = Path("/work/shared/real-gcp-exports/nakamasato__cloud-run-slack-bot__docs-auditing-md__auditlog.jsonl")


def audit_entry(method: str, resource_name: str, resource: dict | None = None, **proto) -> dict:
    return {"insertId": "a1", "timestamp": "2025-09-12T14:02:11.120Z", "severity": "NOTICE",
            "logName": "projects/p/logs/cloudaudit.googleapis.com%2Factivity",
            "resource": resource or {"type": "audited_resource", "labels": {"project_id": "p"}},
            "protoPayload": {"@type": "type.googleapis.com/google.cloud.audit.AuditLog", "methodName": method,
                             "resourceName": resource_name,
                             "authenticationInfo": {"principalEmail": "deploy-bot@p.iam.gserviceaccount.com"}, **proto}}


def test_a_disabled_secret_version_is_a_change_naming_version_secret_and_principal():
    entry = audit_entry("google.cloud.secretmanager.v1.SecretManagerService.DisableSecretVersion",
                        "projects/123/secrets/stripe-key/versions/3")
    change = entry_to_record(entry, "x.jsonl", 1).extra["change"]
    assert change["kind"] == "secret" and change["name"] == "stripe-key" and change["service"] is None
    assert change["summary"] == "version 3 of secret stripe-key disabled"
    assert change["principal"] == "deploy-bot@p.iam.gserviceaccount.com"


def test_an_iam_policy_change_says_which_role_left_which_member():
    entry = audit_entry("SetIamPolicy", "projects/p", {"type": "project", "labels": {"project_id": "p"}},
                        serviceData={"policyDelta": {"bindingDeltas": [
                            {"action": "REMOVE", "role": "roles/storage.objectViewer",
                             "member": "serviceAccount:api@p.iam.gserviceaccount.com"}]}})
    change = entry_to_record(entry, "x.jsonl", 1).extra["change"]
    assert change["kind"] == "iam"
    assert change["summary"] == ("IAM policy of p set: removed roles/storage.objectViewer from "
                                 "serviceAccount:api@p.iam.gserviceaccount.com")


def test_job_updates_and_sql_restarts_are_tied_to_their_job_and_instance():
    job = audit_entry("google.cloud.run.v2.Jobs.UpdateJob", "projects/p/locations/us-central1/jobs/export",
                      request={"job": {"template": {"template": {"containers": [
                          {"image": "us-docker.pkg.dev/p/jobs/export:v7", "env": [{"name": "BUCKET"}]}]}}}})
    change = audit_change(job["protoPayload"], {})
    assert change["kind"] == "job" and change["service"] == "export"
    assert change["summary"] == "job export updated (image us-docker.pkg.dev/p/jobs/export:v7; env BUCKET)"
    sql = audit_entry("cloudsql.instances.restart", "projects/p/instances/orders-db")
    change = audit_change(sql["protoPayload"], {"database_id": "p:orders-db"})
    assert change["kind"] == "database" and change["summary"] == "Cloud SQL instance orders-db restarted"


def test_a_failed_call_or_a_read_changes_nothing():
    failed = audit_entry("google.cloud.run.v1.Services.ReplaceService", "namespaces/p/services/api",
                         status={"code": 10, "message": "Conflict"})
    assert "change" not in entry_to_record(failed, "x.jsonl", 1).extra
    read = audit_entry("google.cloud.secretmanager.v1.SecretManagerService.GetSecret", "projects/1/secrets/k")
    assert "change" not in entry_to_record(read, "x.jsonl", 1).extra
    ending = audit_entry("cloudsql.instances.restart", "projects/p/instances/db", operation={"id": "o", "last": True})
    assert "change" not in entry_to_record(ending, "x.jsonl", 1).extra


@pytest.mark.skipif(not REAL.exists(), reason="the shared real exports are not on this machine")
def test_a_real_replace_service_entry_is_a_configuration_change_and_its_conflict_is_not():
    records = list(iter_records([str(REAL)], ReadStats(), prefilter="deploys"))
    changes = [r.extra["change"] for r in records if "change" in r.extra]
    assert len(records) == 2 and len(changes) == 1  # the second entry failed (status code 10)
    assert changes[0]["kind"] == "config" and changes[0]["service"] == "cloud-run-slack-bot"
    assert changes[0]["method"] == "google.cloud.run.v1.Services.ReplaceService"


def test_the_prefilter_keeps_audit_entries_and_each_replica_sets_first_line(tmp_path):
    audit = audit_entry("google.cloud.secretmanager.v1.SecretManagerService.AddSecretVersion", "projects/1/secrets/k")
    line = {"timestamp": "2025-09-12T14:00:00Z", "severity": "INFO", "logName": "projects/p/logs/stdout",
            "resource": {"type": "k8s_container", "labels": {"pod_name": "web-7f9c6b8d4f-x2x9q", "container_name": "web"}},
            "labels": {"k8s-pod/pod-template-hash": "7f9c6b8d4f"}, "jsonPayload": {"message": "ready"}}
    raw = [orjson.dumps(e) + b"\n" for e in (audit, line, line)]
    events_only, with_changes = choose_prefilter("events", False), choose_prefilter("deploys", False)
    assert [events_only(r) for r in raw] == [True, True, True]  # healthy: passed over undecoded
    assert [with_changes(r) for r in raw] == [False, False, True]  # kept: the audit entry, the first line
    path = tmp_path / "logs.jsonl"
    path.write_bytes(b"".join(raw))
    stats = ReadStats()
    records = list(iter_records([str(path)], stats, prefilter="deploys"))
    assert len(records) == 2 and stats.records == 3 and json.dumps(records[0].extra["change"])
