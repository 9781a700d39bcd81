"""rca pull and rca analyze --project against a local
server that speaks the Logging v2 REST API (tests/logging_server.py)."""

import gzip
import json

import pytest
from conftest import INCIDENT, run_rca
from logging_server import LoggingServer

from rca.ingest.live import PullError, build_filter, make_session, pull_entries, save_entries
from rca.ingest.times import parse_moment

ENTRIES = [json.loads(line) for line in (INCIDENT / "logs.jsonl").read_text().splitlines()]
SINCE, UNTIL = "2025-09-12T14:00Z", "2025-09-12T15:00Z"
QUERY = build_filter(parse_moment(SINCE), parse_moment(UNTIL))


@pytest.fixture
def server():
    with LoggingServer(ENTRIES) as running:
        yield running


def no_sleep(seconds):
    pass


def test_pull_sends_the_query_pages_through_and_saves(server, tmp_path):
    out = tmp_path / "incident.jsonl.gz"
    result = run_rca("pull", "--project", "netra-staging", "--since", SINCE, "--until", UNTIL,
                     "--service", "netra-backend-staging", "--page-size", "200", "--endpoint", server.endpoint,
                     "--out", str(out))
    assert result.returncode == 0, result.stderr
    sent = server.requests[0]
    assert sent["resourceNames"] == ["projects/netra-staging"] and sent["orderBy"] == "timestamp asc"
    assert sent["pageSize"] == 200
    assert sent["filter"] == build_filter(parse_moment(SINCE), parse_moment(UNTIL), service="netra-backend-staging")
    assert sent["filter"].startswith('timestamp>="2025-09-12T14:00:00.000000Z" AND timestamp<"2025-09-12T15:00:00.000000Z"')
    expected = server.select(sent["filter"])
    assert len(server.requests) == -(-len(expected) // 200) > 3  # every page, each asked once
    assert [r.get("pageToken") for r in server.requests[1:3]] == ["200", "400"]
    with gzip.open(out) as saved:
        lines = saved.read().splitlines()
    assert len(lines) == len(expected) and json.loads(lines[0])["insertId"] == expected[0]["insertId"]
    assert f"{len(expected):,} entries saved" in result.stderr.decode()


def test_analyze_project_matches_the_export_and_the_saved_pull(server, tmp_path):
    live = run_rca("analyze", "--project", "netra-staging", "--since", SINCE, "--until", UNTIL,
                   "--endpoint", server.endpoint, "--format", "json")
    assert live.returncode == 0, live.stderr
    exported = run_rca("analyze", str(INCIDENT / "logs.jsonl"), "--since", SINCE, "--until", UNTIL, "--format", "json")
    out = tmp_path / "pull.jsonl"
    run_rca("pull", "--project", "netra-staging", "--since", SINCE, "--until", UNTIL, "--endpoint", server.endpoint,
            "--out", str(out))
    saved = run_rca("analyze", str(out), "--since", SINCE, "--until", UNTIL, "--format", "json")

    def essence(completed):
        incident = json.loads(completed.stdout)["incidents"][0]
        whys = [(w["question"], w["answer"], [e.get("insert_ids") for e in w["evidence"]]) for w in incident["five_whys"]]
        return incident["root_cause"], whys, [r["reason"] for r in incident["ruled_out"]]

    assert essence(live) == essence(exported) == essence(saved)
    assert essence(live)[0]["label"] == "NameError: name 'redis' is not defined"


def test_a_429_then_a_503_are_retried_without_duplicates(server):
    server.failures = [(429, "Quota exceeded for quota metric 'Read requests'"), (503, "unavailable")]
    first = list(pull_entries("netra-staging", QUERY, endpoint=server.endpoint, page_size=300, sleep=no_sleep))
    server.failures = []
    again = list(pull_entries("netra-staging", QUERY, endpoint=server.endpoint, page_size=300, sleep=no_sleep))
    assert [e["insertId"] for e in first] == [e["insertId"] for e in again]


def test_failure_mid_pull_keeps_what_was_pulled(server, tmp_path):
    server.fail_after_pages = 2
    out = tmp_path / "partial.jsonl.gz"
    with pytest.raises(PullError) as caught:
        save_entries(pull_entries("netra-staging", QUERY, endpoint=server.endpoint, page_size=250, sleep=no_sleep), out)
    assert caught.value.pulled == 500
    assert str(caught.value).startswith("Cloud Logging failed (503)")
    assert not out.exists() and caught.value.partial == tmp_path / "partial.jsonl.gz.partial"
    with gzip.open(caught.value.partial) as saved:  # a complete gzip file with both pages in it
        assert len(saved.read().splitlines()) == 500


@pytest.mark.parametrize("code,message,expected", [
    (403, "The caller does not have permission", "permission denied on project netra-staging: the caller needs roles/logging.viewer"),
    (400, 'Unparseable filter: syntax error at line 1, column 12, token ")"', "Cloud Logging refused the query: "),
    (404, "Project not found", "project netra-staging not found"),
])
def test_errors_are_one_line_that_says_what_to_do(server, tmp_path, code, message, expected):
    server.failures = [(code, message)]
    result = run_rca("pull", "--project", "netra-staging", "--since", SINCE, "--endpoint", server.endpoint,
                     "--out", str(tmp_path / "x.jsonl"))
    assert result.returncode == 1
    err = result.stderr.decode()
    assert expected in err and "Traceback" not in err
    assert "0 entries pulled before the failure are saved" in err


def test_quota_exhausted_after_bounded_retries(server):
    server.failures = [(429, "Quota exceeded")] * 10
    with pytest.raises(PullError, match="quota exhausted after 5 tries"):
        list(pull_entries("netra-staging", QUERY, endpoint=server.endpoint, sleep=no_sleep))
    assert len(server.requests) == 5


def test_unreachable_endpoint_is_one_line(tmp_path):
    result = run_rca("pull", "--project", "p", "--since", SINCE, "--endpoint", "http://127.0.0.1:9",
                     "--out", str(tmp_path / "x.jsonl"))
    err = result.stderr.decode()
    assert result.returncode == 1 and "could not reach Cloud Logging" in err and "Traceback" not in err


def test_no_credentials_says_how_to_get_them(monkeypatch, tmp_path):
    monkeypatch.delenv("GOOGLE_APPLICATION_CREDENTIALS", raising=False)
    monkeypatch.delenv("RCA_LOGGING_ENDPOINT", raising=False)
    monkeypatch.setenv("CLOUDSDK_CONFIG", str(tmp_path))  # no gcloud login here
    monkeypatch.setenv("NO_GCE_CHECK", "True")  # and never ask a metadata server
    monkeypatch.setenv("GCE_METADATA_HOST", "127.0.0.1:9")
    monkeypatch.setenv("GCE_METADATA_IP", "127.0.0.1:9")
    with pytest.raises(PullError, match="no Google credentials: run `gcloud auth application-default login`"):
        make_session("netra-staging")


def test_query_always_has_a_window_and_the_scope():
    query = build_filter(parse_moment(SINCE), None, extra='jsonPayload.user="u-1"')
    assert query.startswith('timestamp>="2025-09-12T14:00:00.000000Z" AND (severity>=WARNING')
    assert query.endswith('AND (jsonPayload.user="u-1")')
    assert "severity>=WARNING" not in build_filter(parse_moment(SINCE), None, everything=True)
    assert build_filter(parse_moment(SINCE), None, severity="error").endswith("severity>=ERROR")


def test_the_official_client_and_rca_pull_read_the_same_entries(server):
    """The local server speaks the Logging API as the real google-cloud-logging client speaks it,
    and rca's pull (the same request, through google-auth's AuthorizedSession) gets what it gets."""
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import logging as gcl

    client = gcl.Client(project="netra-staging", credentials=AnonymousCredentials(), _use_grpc=False,
                        client_options={"api_endpoint": server.endpoint})
    official = [e.insert_id for e in client.list_entries(filter_=QUERY, order_by=gcl.ASCENDING, page_size=100)]
    ours = [e["insertId"] for e in pull_entries("netra-staging", QUERY, page_size=100, endpoint=server.endpoint)]
    assert len(ours) > 100 and ours == official


def test_a_limit_keeps_the_newest_entries_read_in_time_order(server):
    """A failure is usually at the window's end: --limit pulls newest first and analyses what it kept in time order."""
    live = run_rca("analyze", "--project", "netra-staging", "--since", SINCE, "--until", UNTIL, "--limit", "300",
                   "--endpoint", server.endpoint, "--format", "json")
    assert live.returncode == 0, live.stderr
    assert server.requests[0]["orderBy"] == "timestamp desc"
    selected = sorted(server.select(server.requests[0]["filter"]), key=lambda entry: entry["timestamp"])
    kept = selected[-300:]
    report = json.loads(live.stdout)
    assert report["stats"]["records"] == 300
    first_seen = min(group["first_seen"] for group in report["groups"])
    assert first_seen[:19] >= kept[0]["timestamp"][:19] > selected[0]["timestamp"][:19]
    assert f"the newest 300 entries were pulled, from {kept[0]['timestamp']}" in live.stderr.decode()


def test_newest_first_pages_run_on_without_repeats(server):
    pulled = list(pull_entries("netra-staging", QUERY, limit=300, page_size=120, endpoint=server.endpoint, newest=True))
    stamps = [entry["timestamp"] for entry in pulled]
    everything = sorted(entry["timestamp"] for entry in server.select(QUERY))
    assert len(server.requests) == 3 and len({entry["insertId"] for entry in pulled}) == 300
    assert stamps == sorted(stamps, reverse=True) and stamps == everything[::-1][:300]
