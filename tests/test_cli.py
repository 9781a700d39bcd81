"""`rca events`, run as a user runs it."""

import json
import shutil

import pytest
from conftest import INCIDENT, ROOT, run_rca

SEED = "fixtures/incidents/missing-import/logs.jsonl"


def test_table_shows_the_name_error_with_its_location():
    result = run_rca("events", SEED)
    assert result.returncode == 0, result.stderr
    out = result.stdout.decode()
    assert "NameError: name 'redis' is not defined" in out
    assert "rate_limiter.py:22" in out
    assert "1,684 error events" in result.stderr.decode()


def test_jsonl_names_frames_service_revision_and_source_entries():
    result = run_rca("events", SEED, "--format", "jsonl")
    events = [json.loads(line) for line in result.stdout.splitlines()]
    crash = next(e for e in events if e["message"] == "NameError: name 'redis' is not defined")
    assert crash["service"] == "netra-backend-staging" and crash["revision"] == "netra-backend-staging-00042-q9m"
    frame = crash["traceback"]["exceptions"][-1]["frames"][-1]
    assert frame["file"].endswith("rate_limiter.py") and frame["line"] == 22 and frame["function"] == "__init__"
    assert len(crash["records"]) > 20 and all(r["insert_id"] for r in crash["records"])
    positions = [r["position"] for r in crash["records"]]
    assert positions == sorted(positions)
    table = run_rca("events", SEED).stdout.decode()  # the table is in time order; jsonl streams as found
    shown = [line.split("│")[1].strip() for line in table.splitlines() if line.startswith("│ 2025-")]
    assert len(shown) == len(events) and shown == sorted(shown)


def test_stdin_directory_and_glob_inputs(tmp_path):
    folder = tmp_path / "exports" / "2025" / "09"
    folder.mkdir(parents=True)
    shutil.copy(INCIDENT / "logs.jsonl.gz", folder / "a.json.gz")
    text_log = (ROOT / "fixtures" / "formats" / "uvicorn.log").read_bytes()
    result = run_rca("events", f"{tmp_path}/exports/**/*.json.gz", "-", "--format", "jsonl", stdin=text_log)
    assert result.returncode == 0, result.stderr
    sources = {json.loads(line)["records"][0]["source"] for line in result.stdout.splitlines()}
    assert sources == {str(folder / "a.json.gz"), "-"}
    by_directory = run_rca("events", str(tmp_path / "exports"), "--format", "jsonl")
    assert len(by_directory.stdout.splitlines()) == 1684


def test_summary_reports_skips_by_reason(tmp_path):
    path = tmp_path / "mixed.jsonl"
    path.write_bytes((INCIDENT / "logs.jsonl").read_bytes()[:20000].rsplit(b"\n", 1)[0] + b"\nnot json at all\n")
    result = run_rca("events", str(path), "--format", "jsonl")
    assert result.returncode == 0
    assert "1 skipped — broken JSON: 1" in result.stderr.decode()


def test_help_explains_inputs_and_formats():
    out = run_rca("events", "--help").stdout.decode()
    assert "glob" in out and "jsonl" in out and "standard input" in out


def test_tz_shows_times_in_the_zone_asked_and_refuses_an_unknown_one():
    paris = run_rca("analyze", str(INCIDENT / "logs.jsonl"), "--model", "none", "--tz", "Europe/Paris")
    assert paris.returncode == 0 and "16:20:02" in paris.stdout.decode()
    wrong = run_rca("analyze", str(INCIDENT / "logs.jsonl"), "--tz", "Nowhere/City")
    assert wrong.returncode == 2 and b"not a time zone name" in wrong.stderr


def test_service_that_matches_nothing_says_so(tmp_path):
    result = run_rca("analyze", str(INCIDENT / "logs.jsonl"), "--model", "none", "--service", "no-such-service")
    assert result.returncode == 0 and b"no error event of service no-such-service" in result.stderr


def test_since_after_until_is_a_usage_error():
    result = run_rca("analyze", str(INCIDENT / "logs.jsonl"), "--since", "2025-09-12T15:00Z", "--until", "2025-09-12T14:00Z")
    assert result.returncode == 2 and b"--since must come before --until" in result.stderr


def test_snippets_from_a_gzip_file_are_one_error_and_unknown_has_no_confidence(tmp_path):
    import gzip

    packed = tmp_path / "snippets.jsonl.gz"
    packed.write_bytes(gzip.compress(b'{"id": 1, "text": "boom"}\n' * 3000))
    result = run_rca("classify", "--snippets", str(packed), "--model", "none")
    assert result.returncode == 2 and result.stderr.count(b"\n") <= 2 and b"gzip or binary" in result.stderr
    plain = tmp_path / "snippets.jsonl"
    plain.write_text(json.dumps({"id": 1, "text": "the weather is fine"}) + "\n")
    (row,) = [json.loads(line) for line in run_rca("classify", "--snippets", str(plain)).stdout.splitlines()]
    assert row["class"] == "unknown" and row["confidence"] == 0


def test_jsonl_streams_each_event_before_the_input_ends():
    """A flood is written as it is read, not held until the end: the first event comes out while
    standard input is still open."""
    import subprocess
    import sys
    from concurrent.futures import ThreadPoolExecutor

    proc = subprocess.Popen([sys.executable, "-m", "rca", "events", "-", "--format", "jsonl"], cwd=ROOT,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    lines = ["2025-09-12 14:00:00,000 ERROR app: payment failed for order 1\n"] + \
            [f"2025-09-12 14:00:{10 + i // 1000:02d},{i % 1000:03d} INFO app: still running {i}\n" for i in range(3000)]
    try:
        proc.stdin.write("".join(lines).encode())
        proc.stdin.flush()
        with ThreadPoolExecutor(1) as pool:
            first = pool.submit(proc.stdout.readline).result(timeout=60)  # stdin is still open
        assert json.loads(first)["message"] == "2025-09-12 14:00:00,000 ERROR app: payment failed for order 1"
    finally:
        proc.stdin.close()
        proc.wait(timeout=60)
        proc.stdout.close()
    assert proc.returncode == 0


def test_limit_writes_the_earliest_in_time_order():
    everything = [json.loads(line) for line in run_rca("events", SEED, "--format", "jsonl").stdout.splitlines()]
    limited = [json.loads(line) for line in run_rca("events", SEED, "--format", "jsonl", "--limit", "5").stdout.splitlines()]
    assert [e["time"] for e in limited] == sorted(e["time"] for e in everything)[:5]


def test_json_streamed_is_one_document_with_every_event_and_the_stats():
    document = json.loads(run_rca("events", SEED, "--format", "json").stdout)
    assert len(document["events"]) == document["stats"]["events"] == 1684


def test_the_json_report_reaches_a_stdout_that_takes_only_text(monkeypatch):
    """Run in-process with stdout a text-only stream (a notebook's, a StringIO), the report is written
    as text; on a real stdout its bytes go to the binary buffer."""
    import contextlib
    import io
    import sys

    from rca.cli import main

    monkeypatch.setattr(sys, "argv", ["rca", "analyze", str(INCIDENT / "logs.jsonl"), "--format", "json", "--model", "none"])
    text = io.StringIO()
    with contextlib.redirect_stdout(text), pytest.raises(SystemExit) as exited:
        main()
    assert exited.value.code in (0, None)
    assert json.loads(text.getvalue())["incidents"][0]["root_cause"]["class"] == "missing_import"
