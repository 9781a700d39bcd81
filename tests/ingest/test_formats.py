"""Every input format rca reads, from the bundled fixtures and the real exports in shared/."""

import json

import pandas as pd
import pytest
from conftest import FIXTURES, INCIDENT

import rca

INCIDENT_SHAPES = [
    "logs.jsonl",                                # log-sink JSON lines
    "logs.jsonl.gz",                             # the same, gzip-compressed
    "gcloud-read.json",                          # gcloud logging read --format=json: newest first
    "downloaded-logs-20250912-142300.json",      # Logs Explorer download: starts mid-traceback
    "downloaded-logs-20250912-142300.csv",       # Logs Explorer CSV
]


def name_errors(path):
    return [e for e in rca.read_events(path) if e.message == "NameError: name 'redis' is not defined"]


@pytest.mark.parametrize("shape", INCIDENT_SHAPES)
def test_every_export_shape_yields_the_stitched_name_error(shape):
    events = name_errors(INCIDENT / shape)
    assert events, f"no NameError event in {shape}"
    complete = [e for e in events if not e.traceback.truncated]
    assert complete, "every NameError traceback came out truncated"
    event = complete[0]
    assert len(event.traceback.exceptions) == 1
    frame = event.traceback.root.frames[-1]
    assert frame.file.endswith("tool_permissions/rate_limiter.py")
    assert (frame.line, frame.function) == (22, "__init__")
    assert event.first.service == "netra-backend-staging"
    assert event.first.revision == "netra-backend-staging-00042-q9m"
    assert len({r.instance for r in event.records}) == 1, "two instances' lines were interleaved"
    assert len(event.records) > 20, "the traceback's entries were not stitched into one event"


def test_gcloud_array_is_newest_first_yet_stitched_in_order():
    first_lines = [e.records[0].text for e in name_errors(INCIDENT / "gcloud-read.json")]
    assert all(text.startswith("Traceback (most recent call last):") for text in first_lines)


def test_download_that_starts_mid_traceback_keeps_the_fragment_flagged():
    events = name_errors(INCIDENT / "downloaded-logs-20250912-142300.json")
    fragments = [e for e in events if e.traceback.truncated]
    assert len(fragments) == 1
    assert fragments[0].traceback.root.frames[-1].line == 22


def test_shapes_of_one_window_agree():
    counts = {shape: len(rca.read_events(INCIDENT / shape)) for shape in ("gcloud-read.json", "downloaded-logs-20250912-142300.csv")}
    assert counts["gcloud-read.json"] == counts["downloaded-logs-20250912-142300.csv"] > 0


def test_seed_incident_record_and_event_counts():
    stats = rca.ReadStats()
    events = rca.read_events(INCIDENT / "logs.jsonl", stats)
    lines = sum(1 for _ in open(INCIDENT / "logs.jsonl"))
    assert stats.records == lines and not stats.skipped
    kinds = pd.Series([e.kind for e in events]).value_counts()
    assert kinds["traceback"] == 50 + 17  # NameError crashes + SQLAlchemy noise
    assert kinds["platform"] == 100  # one exit and one failed probe per crashed instance
    statuses = {e.request.http_status for e in events if e.kind == "request"}
    assert statuses == {403, 503}


def test_json_payload_traceback_is_read_from_stack_trace():
    events = [e for e in rca.read_events(INCIDENT / "logs.jsonl") if e.first.service == "netra-worker"]
    chain = events[0].traceback.exceptions
    assert [e.type for e in chain] == ["psycopg2.OperationalError", "sqlalchemy.exc.OperationalError"]
    assert chain[1].relation == "cause"
    assert "sync_threads batch failed" in events[0].text


def test_split_entries_are_joined_back(tmp_path):
    records = list(rca.iter_records(FIXTURES / "formats" / "split-entries.jsonl"))
    assert len(records) == 2
    joined = records[1]
    assert joined.parts == 3
    assert joined.text.startswith("Traceback") and joined.text.endswith("NameError: name 'redis' is not defined")


def test_compact_single_line_array_is_streamed(tmp_path):
    entries = [json.loads(line) for line in open(INCIDENT / "logs.jsonl")][:300]
    path = tmp_path / "compact.json"
    path.write_text(json.dumps(entries))
    assert len(rca.read_logs(path)) == 300


def test_read_logs_frame_has_documented_columns_and_dtypes():
    frame = rca.read_logs(INCIDENT / "logs.jsonl.gz")
    assert list(frame.columns) == [
        "timestamp", "severity", "service", "revision", "instance", "resource_type", "log_name", "text",
        "http_method", "http_url", "http_status", "http_latency_ms", "trace", "insert_id", "source", "position",
    ]
    assert str(frame["timestamp"].dtype) == "datetime64[ns, UTC]"
    assert frame["severity"].dtype.ordered and (frame["severity"] >= "ERROR").sum() > 0
    assert str(frame["http_status"].dtype) == "Int64"
    assert frame["http_status"].eq(503).sum() > 100
    assert frame["timestamp"].is_monotonic_increasing
    per_minute = frame.set_index("timestamp").resample("1min").size()
    assert len(per_minute) == 50


def test_audit_log_status_is_in_the_text(real_exports):
    records = list(rca.iter_records(real_exports / "nakamasato__cloud-run-slack-bot__docs-auditing-md__auditlog.jsonl"))
    failed = [r for r in records if r.severity == "ERROR"]
    assert len(records) == 2 and len(failed) == 1
    assert "ABORTED (10)" in failed[0].text and failed[0].extra["status_code"] == 10


REAL_FILES = {
    "Rai-Tsumugi__Ebi-Yobi__downloaded-logs-20250802-002207.json": 99,
    "boksaemstudio__boksaem-yoga-app__downloaded-logs-20260331-031943.csv": 445,
    "leonyu5566__ordering-helper-backend__downloaded-logs-20250805-144854.json": 100,
    "leonyu5566__ordering-helper-backend__downloaded-logs-20250820-085418.json": 50,
    "nakamasato__cloud-run-slack-bot__docs-auditing-md__auditlog.jsonl": 2,
}


@pytest.mark.parametrize("name,entries", sorted(REAL_FILES.items()))
def test_every_real_export_is_read_whole(real_exports, name, entries):
    stats = rca.ReadStats()
    frame = rca.read_logs(real_exports / name, stats)
    assert len(frame) == entries == stats.records
    assert not stats.skipped and not stats.errors
    assert frame["timestamp"].notna().all()


def test_real_csv_strips_guard_quotes_and_reads_nested_columns(real_exports):
    frame = rca.read_logs(real_exports / "boksaemstudio__boksaem-yoga-app__downloaded-logs-20260331-031943.csv")
    assert not frame["log_name"].astype(str).str.startswith("'").any()
    assert frame["log_name"].astype(str).str.endswith("run.googleapis.com%2Frequests").sum() == 230
    assert frame["http_status"].notna().sum() == 230
    assert frame["revision"].astype(str).str.startswith("checkinmemberv2call-").any()
    assert frame["http_latency_ms"].max() > 0


def test_real_chained_traceback_split_per_line_is_one_event(real_exports):
    events = rca.read_events(real_exports / "leonyu5566__ordering-helper-backend__downloaded-logs-20250805-144854.json")
    tracebacks = [e for e in events if e.kind == "traceback"]
    assert len(tracebacks) == 1
    chain = tracebacks[0].traceback
    assert chain.truncated  # the download starts in the middle of the first traceback
    assert [e.type for e in chain.exceptions] == ["pymysql.err.OperationalError", "sqlalchemy.exc.OperationalError"]
    assert chain.exceptions[1].relation == "cause"
    assert any(f.file == "/app/app/api/routes.py" and f.line == 355 for f in chain.exceptions[1].frames)


def test_severity_less_stderr_line_takes_the_level_its_text_names(tmp_path):
    lines = [
        {"textPayload": "ERROR:    Exception in ASGI application", "timestamp": "2025-09-12T14:00:00.000001Z"},
        {"textPayload": "Traceback (most recent call last):", "timestamp": "2025-09-12T14:00:00.000002Z"},
        {"textPayload": '  File "/app/api.py", line 3, in get', "timestamp": "2025-09-12T14:00:00.000003Z"},
        {"textPayload": "KeyError: 'x'", "timestamp": "2025-09-12T14:00:00.000004Z"},
        {"textPayload": "INFO:     Application startup complete.", "timestamp": "2025-09-12T14:00:01Z"},
    ]
    path = tmp_path / "stderr.jsonl"
    path.write_text("\n".join(json.dumps(line) for line in lines) + "\n")
    records = list(rca.iter_records(path))
    assert [r.severity for r in records] == ["ERROR", None, None, None, "INFO"]
    (event,) = rca.read_events(path)
    assert len(event.records) == 4 and event.records[0].text.startswith("ERROR:")


def test_times_are_read_and_written_in_one_place():
    """rca.ingest.times is the one home of time: offsets and nine fractional digits read exactly,
    a zone name checked with one message."""
    from rca.ingest.times import format_timestamp, parse_timestamp, zone_of

    assert parse_timestamp("2025-09-12T16:20:03.123456789+02:00") == parse_timestamp("2025-09-12T14:20:03.123456Z")
    assert format_timestamp(parse_timestamp("2025-09-12T09:20:03-05:00")) == "2025-09-12T14:20:03.000000Z"
    assert str(zone_of("Europe/Paris")) == "Europe/Paris"
    with pytest.raises(ValueError, match="'Nowhere/City' is not a time zone name"):
        zone_of("Nowhere/City")
