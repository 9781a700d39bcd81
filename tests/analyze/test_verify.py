"""`rca verify` on four continuations of the seed incident's logs (fixtures/generate.py builds them):
the fix deployed, a redeploy without it, the fix with a new error, and two quiet minutes."""

import json

import pytest
from conftest import INCIDENT, run_rca

import rca
from rca.analyze.verify import load_report
from rca.errors import RcaError


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    """The incident's report, as a user would have written it during the incident."""
    path = tmp_path_factory.mktemp("verify") / "report.json"
    made = run_rca("analyze", str(INCIDENT / "logs.jsonl"), "--format", "json", "--out", str(path), "--model", "none")
    assert made.returncode == 0, made.stderr
    return path


@pytest.fixture(scope="module")
def continuation(generator, tmp_path_factory):
    folder = tmp_path_factory.mktemp("continuations")

    def write(kind: str):
        path = folder / f"{kind}.jsonl"
        if not path.exists():
            path.write_text("".join(json.dumps(entry) + "\n" for entry in generator.missing_import_continuation(kind)))
        return path

    return write


def verify_json(report, logs, *more):
    result = run_rca("verify", str(report), str(logs), "--format", "json", "--model", "none", *more)
    assert result.stdout, result.stderr
    return result, json.loads(result.stdout)


def test_the_fix_deployed_is_fixed_with_figures(report, continuation, generator):
    result, data = verify_json(report, continuation("fixed"))
    assert (result.returncode, data["verdict"], data["exit_code"]) == (0, "fixed", 0), data["reason"]
    assert data["remedy"]["how"] == f"the deploy of {generator.FIX_REVISION}"
    assert [item["revision"] for item in data["serving"]] == [generator.FIX_REVISION]
    root = data["root_cause"]
    assert root["present"] is False and root["on_serving"] == 0 and root["enough"] is True
    assert root["during"]["count"] == 50 and root["expected"] > 40  # 50 NameErrors in 1,030 requests, ~1,050 since
    recovery = data["recovery"]
    assert recovery["recovered"] and recovery["enough"] and recovery["before"]["failed"] == 0
    assert recovery["after"]["requests"] > 900 and recovery["after"]["failed"] == 0
    assert data["regressions"] == []
    lines = len(continuation("fixed").read_text().splitlines())
    assert data["stats"]["records"] == lines and f"{lines:,} records read from 1 source(s)" in result.stderr.decode()


def test_a_redeploy_without_the_fix_is_not_fixed(report, continuation, generator):
    result, data = verify_json(report, continuation("not-fixed"))
    assert (result.returncode, data["verdict"]) == (1, "not fixed"), data["reason"]
    assert [item["revision"] for item in data["serving"]] == [generator.REDEPLOY_REVISION]
    assert data["root_cause"]["present"] and data["root_cause"]["on_serving"] >= 40
    assert "NameError" in data["reason"] and "still occurs" in data["reason"]
    assert not data["recovery"]["recovered"]  # every request of the redeploy fails: 503s, as during the incident


def test_the_fix_with_a_new_error_is_regressed(report, continuation):
    result, data = verify_json(report, continuation("regressed"))
    assert (result.returncode, data["verdict"]) == (1, "regressed"), data["reason"]
    assert data["root_cause"]["present"] is False
    labels = {item["label"]: item for item in data["regressions"]}
    assert set(labels) == {"KeyError: 'owner_id'", "GET /api/threads 500"}
    key_error = labels["KeyError: 'owner_id'"]
    assert key_error["change"] == "new" and key_error["before"]["count"] == 0 and key_error["after"]["count"] > 50
    assert key_error["p_adjusted"] < 1e-6 and key_error["after"]["unit"] == "request"


def test_two_quiet_minutes_are_too_early(report, continuation):
    result, data = verify_json(report, continuation("too-early"))
    assert (result.returncode, data["verdict"]) == (3, "too early"), data["reason"]
    assert data["root_cause"]["present"] is False and data["root_cause"]["enough"] is False
    assert data["root_cause"]["expected"] < 3
    assert data["recovery"]["after"]["requests"] < 30 and data["recovery"]["enough"] is False
    assert data["recovery"]["requests_needed"] > 300
    assert "too few" in data["reason"]


def test_markdown_and_html_say_the_verdict_with_figures(report, continuation, tmp_path):
    page = tmp_path / "verify.html"
    html = run_rca("verify", str(report), str(continuation("not-fixed")), "--format", "html", "--out", str(page), "--model", "none")
    assert html.returncode == 1 and page.read_text().startswith("<!DOCTYPE html>")
    assert "not fixed" in page.read_text() and "NameError: name &#39;redis&#39; is not defined" in page.read_text()
    markdown = run_rca("verify", str(report), str(continuation("fixed")), "--model", "none")
    text = markdown.stdout.decode()
    assert markdown.returncode == 0 and text.startswith("# rca verify: ✅ fixed (exit 0)")
    assert "0 of 685 requests failed before" in text and "1. ✅ **The root cause:**" in text


def test_remedy_at_moves_the_after_side(report, continuation):
    """Given a moment after the whole continuation, nothing is served after it: too early, said so."""
    result, data = verify_json(report, continuation("fixed"), "--remedy-at", "2025-09-12T16:00Z")
    assert (result.returncode, data["verdict"]) == (3, "too early")
    assert data["remedy"]["how"] == "as given by --remedy-at" and "answered no request" in data["reason"]


def test_the_api_returns_the_verdict_object(report, continuation):
    check = rca.verify(report, continuation("regressed"), model=None)
    assert check.verdict == "regressed" and check.exit_code == 1
    assert {change.group.label for change in check.regressions} == {"KeyError: 'owner_id'", "GET /api/threads 500"}


def test_bad_reports_and_logs_are_one_line_and_exit_2(report, tmp_path):
    not_json = tmp_path / "notes.json"
    not_json.write_text("an incident, in words")
    cases = {
        (str(not_json), str(INCIDENT / "logs.jsonl")): "not a JSON report",
        (str(tmp_path / "missing.json"), str(INCIDENT / "logs.jsonl")): "cannot read the report",
        (str(report), str(INCIDENT / "logs.jsonl"), "--incident", "3"): "holds 1 incident(s)",
        (str(report), str(tmp_path / "nothing.jsonl")): "nothing.jsonl",
    }
    for args, said in cases.items():
        result = run_rca("verify", *args, "--model", "none")
        err = result.stderr.decode()
        assert result.returncode == 2 and said in err and "Traceback" not in err, (args, err)


def test_logs_from_after_the_incident_alone_are_refused(report, continuation, tmp_path, generator):
    """Recovery is judged against the service's rate before the incident: without those logs, say so."""
    later = [line for line in continuation("fixed").read_text().splitlines()
             if json.loads(line)["timestamp"] >= generator.stamp(generator.FIX)]
    path = tmp_path / "after-only.jsonl"
    path.write_text("\n".join(later) + "\n")
    result = run_rca("verify", str(report), str(path), "--model", "none")
    assert result.returncode == 2 and b"no request of netra-backend-staging before the incident" in result.stderr


def test_a_report_of_another_fingerprint_strategy_is_refused(report, tmp_path):
    data = json.loads(report.read_text())
    data["fingerprint_strategy"] = "rca-fingerprint-1"
    old = tmp_path / "old.json"
    old.write_text(json.dumps(data))
    with pytest.raises(RcaError, match="keyed by 'rca-fingerprint-1'"):
        load_report(old)


def test_a_rollback_is_found_in_the_requests_and_fixes(report, continuation, generator):
    """No new revision: the requests answered by the revision before the incident again mark the remedy."""
    result, data = verify_json(report, continuation("rolled-back"))
    assert (result.returncode, data["verdict"]) == (0, "fixed"), data["reason"]
    assert data["remedy"]["how"] == f"requests answered by {generator.OLD_REVISION} again (a rollback)"
    assert data["remedy"]["time"].startswith("2025-09-12T14:50:10")
    assert [item["revision"] for item in data["serving"]] == [generator.OLD_REVISION]


def test_verify_reads_live_logs_and_a_sink_bucket_as_it_reads_the_file(report, continuation):
    """--project pulls every request (the rates' denominators) besides the analysis's scope; a sink's
    bucket is read whole. Both give the file's verdict and figures."""
    from logging_server import LoggingServer
    from storage_emulator import filesystem, running_emulator, sink_layout, upload

    path = continuation("fixed")
    _, from_file = verify_json(report, path)
    entries = [json.loads(line) for line in path.read_text().splitlines()]
    with LoggingServer(entries) as server:
        live = run_rca("verify", str(report), "--project", "netra-staging", "--endpoint", server.endpoint,
                       "--format", "json", "--model", "none")
    with running_emulator("verify-sink"):
        upload(filesystem(), "verify-sink", sink_layout(path.read_bytes().splitlines(keepends=True)))
        bucket = run_rca("verify", str(report), "gs://verify-sink", "--format", "json", "--model", "none")
    for result in (live, bucket):
        data = json.loads(result.stdout)
        assert result.returncode == 0 and data["verdict"] == "fixed", result.stderr.decode()
        assert data["recovery"] == from_file["recovery"] and data["root_cause"] == from_file["root_cause"]
