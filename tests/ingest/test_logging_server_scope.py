"""The local Logging server (tests/logging_server.py) applies the `log_id(...)` clauses of the query it is sent,
so that the live-scope tests (tests/analyze/test_live_analysis_scope.py) fail when a scope drops a log the
analysis needs: with a list of its own, it served App Engine's `stderr` whatever the scope said."""

from __future__ import annotations

from logging_server import LoggingServer

from rca.ingest.live import ANALYSIS_SCOPE, FAILURE_SCOPE, build_filter

LOGS = ("stderr", "run.googleapis.com%2Fstderr", "run.googleapis.com%2Fvarlog%2Fsystem",
        "cloudfunctions.googleapis.com%2Fcloud-functions", "cloudaudit.googleapis.com%2Factivity", "stdout")


def served_logs(scope: str) -> list[str]:
    # INFO lines with no request: only the scope's log_id clauses can select them
    entries = [{"logName": f"projects/p/logs/{log}", "timestamp": f"2026-01-05T10:00:0{n}Z", "severity": "INFO",
                "insertId": str(n), "textPayload": "a line"} for n, log in enumerate(LOGS)]
    server = LoggingServer(entries)
    return [entry["logName"].rsplit("/", 1)[-1] for entry in server.select(build_filter(0, None, scope=scope))]


def test_each_log_the_scope_names_is_served_and_no_other():
    assert served_logs(FAILURE_SCOPE) == list(LOGS[:-1])
    assert served_logs(ANALYSIS_SCOPE) == list(LOGS[:-1])


def test_a_log_the_scope_drops_is_not_served():
    without_stderr = FAILURE_SCOPE.replace(' OR log_id("stderr")', "")
    assert without_stderr != FAILURE_SCOPE
    assert "stderr" not in served_logs(without_stderr)
    assert "run.googleapis.com%2Fstderr" in served_logs(without_stderr)


def test_a_service_is_found_by_any_label_the_query_names_it_by():
    """rca's query names a service by any of its labels (an App Engine module, a function, a GKE container): the
    server answered for Cloud Run's `service_name` alone, so a live `rca verify` of an App Engine incident read nothing."""
    entries = [{"logName": "projects/p/logs/stderr", "timestamp": "2026-01-05T10:00:00Z", "severity": "ERROR",
                "insertId": "1", "resource": {"type": "gae_app", "labels": {"module_id": "billing"}}},
               {"logName": "projects/p/logs/stderr", "timestamp": "2026-01-05T10:00:01Z", "severity": "ERROR",
                "insertId": "2", "resource": {"type": "gae_app", "labels": {"module_id": "other"}}}]
    selected = LoggingServer(entries).select(build_filter(0, None, service="billing"))
    assert [entry["insertId"] for entry in selected] == ["1"]
