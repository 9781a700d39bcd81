"""A VM's journal and syslog: every journalctl output and syslog shape that fixtures/generate.py writes
of one story (a Python API whose new release dies at start-up with a KeyError, printed one line per
journal entry, and an nginx answering 502), read with each line's time, service, instance and severity."""

import json
import os
from datetime import UTC, datetime

import pytest
from conftest import FIXTURES, run_rca

import rca
from rca.ingest import sniff_format

FORMATS = FIXTURES / "formats"
HOST = "vm-orders-1"
# file -> (how much of the time it prints: digits after the second; whether it carries the priority)
SHAPES = {
    "journal-short.log": (0, False),
    "journal-short-precise.log": (6, False),
    "journal-short-iso.log": (0, False),
    "journal-short-iso-precise.log": (6, False),
    "journal.json": (6, True),
    "syslog-rfc3164.log": (0, True),
    "syslog.log": (0, False),
    "syslog-rfc5424.log": (3, True),
}
SEVERITY_OF_PRIORITY = {3: "ERROR", 4: "WARNING", 5: "NOTICE", 6: "INFO"}


def stamp_of(moment: datetime, digits: int) -> str:
    micros = moment.microsecond // 10 ** (6 - digits) * 10 ** (6 - digits)
    return moment.replace(microsecond=micros).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def expected(entry: dict, with_priority: bool) -> tuple:
    """What the record of one journal entry must say: its service (systemd's lines about the API are
    the API's; nginx's 502s are the API's failed requests), instance, and severity (the message's
    level word first: `INFO:`, nginx's `[error]`; else the priority, where the shape prints it). nginx's
    error lines about the API's port (`connect() failed … upstream: "http://127.0.0.1:8000/…"`) are the
    API's too: the proxy reports on the service behind it."""
    message = entry["message"]
    about_api = entry["ident"] == "systemd"
    tied = entry["ident"] == "nginx" and ('" 502 ' in message or 'upstream: "http://127.0.0.1:8000/' in message)
    service = "orders-api" if about_api or tied else entry["ident"]
    instance = HOST if about_api else f"{HOST}/{entry['pid']}"
    level = "INFO" if message.startswith("INFO:") else "ERROR" if "[error]" in message[:30] else None
    severity = level or (SEVERITY_OF_PRIORITY[entry["priority"]] if with_priority else None)
    return service, instance, severity


@pytest.fixture(scope="module")
def journal(generator):
    return generator.vm_journal()


def test_journal_shapes_are_told_from_plain_text_logs():
    for name in SHAPES:
        head = (FORMATS / name).read_bytes()[:1 << 16]
        assert sniff_format(head) == ("journal-json" if name.endswith(".json") else "journal"), name
    for name in ["python-logging.log", "gunicorn.log", "kubectl-timestamps.log", "uvicorn.log"]:
        assert sniff_format((FORMATS / name).read_bytes()) == "text", name


@pytest.mark.parametrize("name", SHAPES)
def test_every_line_gives_its_time_service_instance_and_severity(name, journal):
    digits, with_priority = SHAPES[name]
    records = list(rca.iter_records(FORMATS / name))
    if name.endswith(".json"):
        binary = records.pop(1)  # the kernel's entry whose MESSAGE is an array of bytes
        assert binary.text == "serial8250: too much work for irq4 \x1b[0m" and binary.service == "kernel"
    assert len(records) == len(journal)
    for record, entry in zip(records, journal, strict=True):
        assert record.text == entry["message"]
        assert record.timestamp == stamp_of(entry["time"], digits), record.text
        assert (record.service, record.instance, record.severity) == expected(entry, with_priority), record.text


def test_iso_offsets_are_read_exactly():
    first = (FORMATS / "journal-short-iso-precise.log").read_text().split("\n", 1)[0]
    assert first.startswith("2025-11-10T05:00:00.000000+0100 ")  # a host in Paris prints its own offset
    assert next(rca.iter_records(FORMATS / "journal-short-iso-precise.log")).timestamp == "2025-11-10T04:00:00.000000Z"


@pytest.mark.parametrize("name", SHAPES)
def test_a_traceback_across_journal_lines_is_one_event(name):
    lines = (FORMATS / name).read_text()
    crashes = [e for e in rca.read_events(FORMATS / name) if e.kind == "traceback"]
    assert len(crashes) == lines.count("Traceback (most recent call last)") == 30
    for crash in crashes:
        assert len(crash.records) == 22  # every line of it, and nothing else
        assert len({r.instance for r in crash.records}) == 1 and crash.first.service == "orders-api"
        assert crash.message == "KeyError: 'DATABASE_URL'"
        app_frame = crash.traceback.last.frames[-2]
        assert (app_frame.file, app_frame.line) == ("/opt/orders/app/db.py", 9)
    # nginx wrote between the lines of every traceback: its lines are not in the event, yet they are read
    first = crashes[0].records
    assert first[-1].position - first[0].position + 1 > len(first)


def test_year_less_stamps_take_the_year_of_a_dated_message(tmp_path):
    path = tmp_path / "syslog"
    path.write_text('Dec 31 23:59:58 web nginx[9]: 10.0.0.1 - - [31/Dec/2024:23:59:58 +0000] "GET / HTTP/1.1" 200 5\n'
                    "Jan  1 00:00:02 web app[7]: ERROR:app:cache cold\n")
    os.utime(path, (datetime(2026, 6, 1, tzinfo=UTC).timestamp(),) * 2)  # the copy's date says nothing
    assert [r.timestamp for r in rca.iter_records(path)] == ["2024-12-31T23:59:58.000000Z",
                                                             "2025-01-01T00:00:02.000000Z"]


def test_year_less_stamps_without_a_dated_message_end_by_the_files_last_write(tmp_path):
    path = tmp_path / "journal.log"
    path.write_text("Dec 31 23:59:58 web app[7]: INFO:app:still up\nJan 01 00:00:02 web app[7]: ERROR:app:cache cold\n")
    os.utime(path, (datetime(2026, 1, 1, 0, 5, tzinfo=UTC).timestamp(),) * 2)
    records = list(rca.iter_records(path))
    assert [r.timestamp for r in records] == ["2025-12-31T23:59:58.000000Z", "2026-01-01T00:00:02.000000Z"]
    assert [r.severity for r in records] == ["INFO", "ERROR"]


def test_a_wrapped_multi_line_message_is_one_record(tmp_path):
    path = tmp_path / "journal.log"
    prefix = "2025-11-10T04:20:38+0000 web worker[12]: "
    path.write_text(f"{prefix}ERROR:worker:batch failed\n{' ' * len(prefix)}  details: 3 rows\n"
                    "-- Boot 8d2e0c7f4b6a4e3f9a1b2c3d4e5f6a7b --\n"
                    "2025-11-10T04:20:40+0000 web worker[13]: INFO:worker:started\n")
    records = list(rca.iter_records(path))
    assert [r.text for r in records] == ["ERROR:worker:batch failed\n  details: 3 rows",
                                         "-- Boot 8d2e0c7f4b6a4e3f9a1b2c3d4e5f6a7b --", "INFO:worker:started"]
    assert records[1].timestamp == "2025-11-10T04:20:38.000000Z"  # a header line takes the time before it


def test_rfc5424_structured_data_and_nil_fields(tmp_path):
    path = tmp_path / "5424.log"
    path.write_text('<11>1 2025-11-10T04:20:38.123+01:00 web billing 4242 CHARGE [meta a="x]y" b="q\\"r"] '
                    "\ufeffpayment provider down\n"
                    "<14>1 - - billing - - - retrying\n")
    first, second = rca.iter_records(path)
    assert (first.timestamp, first.service, first.instance, first.severity, first.text) == (
        "2025-11-10T03:20:38.123000Z", "billing", "web/4242", "ERROR", "payment provider down")
    assert (second.timestamp, second.instance, second.severity, second.text) == (
        first.timestamp, None, "INFO", "retrying")


def test_journal_json_entries_that_cannot_be_read_are_counted(tmp_path):
    path = tmp_path / "journal.json"
    good = {"__REALTIME_TIMESTAMP": "1762748438123456", "_HOSTNAME": "web", "SYSLOG_IDENTIFIER": "app",
            "_PID": "7", "PRIORITY": "3", "MESSAGE": ["first value", "second value"],
            "_SYSTEMD_UNIT": "app.service"}
    path.write_text("\n".join([json.dumps(good), json.dumps({"MESSAGE": "no time"}), "{broken",
                               json.dumps({**good, "MESSAGE": [300, 1]})]) + "\n")
    stats = rca.ReadStats()
    (record,) = rca.iter_records(path, stats)
    assert (record.timestamp, record.service, record.instance, record.severity, record.text) == (
        "2025-11-10T04:20:38.123456Z", "app", "web/7", "ERROR", "first value")
    assert record.extra["unit"] == "app.service"
    assert stats.records == 4 and stats.skipped_total == 3


def test_nginx_502s_are_the_failed_requests_of_the_service_behind_it(tmp_path):
    requests = [r for r in rca.iter_records(FORMATS / "journal-short-iso.log") if r.http_status is not None]
    failed = [r for r in requests if r.http_status == 502]
    assert len(failed) > 100 and {r.service for r in failed} == {"orders-api"}
    assert {r.extra["proxy"] for r in failed} == {"nginx"}
    assert {r.service for r in requests if r.http_status == 200 and r.text[:1].isdigit()} == {"nginx"}
    # a port that no service of the journal announced: the answer stays nginx's own
    path = tmp_path / "journal.log"
    path.write_text('2025-11-10T04:20:38+0000 web nginx[5]: 2025/11/10 04:20:38 [error] 5#5: *1 upstream prematurely '
                    'closed connection while reading response header from upstream, client: 10.0.0.9, server: _, '
                    'request: "GET /x HTTP/1.1", upstream: "http://127.0.0.1:9000/x", host: "web"\n'
                    '2025-11-10T04:20:38+0000 web nginx[5]: 10.0.0.9 - - [10/Nov/2025:04:20:38 +0000] '
                    '"GET /x HTTP/1.1" 502 157 "-" "curl/8.5.0"\n')
    assert [r.service for r in rca.iter_records(path)] == ["nginx", "nginx"]


def test_nginx_errors_about_the_service_behind_it_are_that_services_symptom_not_an_incident_of_nginx():
    """nginx's `connect() failed … while connecting to upstream` is service_unavailable (docs/CLASSES.md:
    the service's own proxy reports on the service); left on nginx, it made nginx an incident of its
    own, with no root cause, beside the API's."""
    result = run_rca("analyze", str(FORMATS / "journal-short-iso.log"), "--format", "json")
    (incident,) = json.loads(result.stdout)["incidents"]
    refused = [s for s in incident["symptoms"] if "connect() failed" in s["label"]]
    assert len(refused) == 1 and refused[0]["service"] == "orders-api" and refused[0]["class"] == "service_unavailable"


def test_analyze_names_the_journal_crash_as_the_root_cause():
    result = run_rca("analyze", str(FORMATS / "journal-short-iso.log"), "--format", "json")
    assert result.returncode == 0, result.stderr
    (incident,) = json.loads(result.stdout)["incidents"]
    root = incident["root_cause"]
    assert (root["class"], root["exception"], root["service"]) == ("config_error", "KeyError", "orders-api")
    assert (root["location"]["file"], root["location"]["line"]) == ("/opt/orders/app/db.py", 9)
    assert root["first_seen"] == "2025-11-10T04:12:31.000000Z"
    assert incident["service"] == "orders-api"
    assert incident["symptoms"] and {s["service"] for s in incident["symptoms"]} == {"orders-api"}
    by_class = {s["class"]: s["count"] for s in incident["symptoms"]}
    # systemd's account of each failed start is a symptom too, one per crash
    assert set(by_class) == {"service_unavailable", "startup_failure"} and by_class["startup_failure"] == 30

