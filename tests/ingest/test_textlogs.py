"""Plain-text logs: each format's timestamps, levels, requests, and the tracebacks inside them."""

from conftest import FIXTURES

import rca

FORMATS = FIXTURES / "formats"


def events_of(name):
    return rca.read_events(FORMATS / name)


def test_python_logging_header_line_joins_its_traceback():
    events = events_of("python-logging.log")
    crash = next(e for e in events if e.kind == "traceback")
    assert crash.records[0].text.endswith("ERROR - Application startup failed")
    assert crash.message == "NameError: name 'redis' is not defined"
    assert crash.first.timestamp == "2025-09-12T14:20:01.350000Z"
    # the traceback lines have no stamp of their own and inherit the header's
    assert {r.timestamp for r in crash.records} == {"2025-09-12T14:20:01.350000Z"}
    plain = [e for e in events if e.kind == "log"]
    assert [e.message for e in plain] == ["ERROR:root:payment webhook rejected: signature mismatch"]


def test_uvicorn_exception_and_access_lines():
    events = events_of("uvicorn.log")
    crash = next(e for e in events if e.kind == "traceback")
    assert crash.records[0].text.startswith("ERROR:    Exception in ASGI application")
    assert crash.traceback.last.type == "KeyError"
    assert crash.traceback.last.frames[-1].file == "/app/api/handlers.py"
    assert sorted(e.request.http_status for e in events if e.kind == "request") == [403, 500]


def test_gunicorn_boot_failure_timeout_and_access_line():
    events = events_of("gunicorn.log")
    messages = [e.message for e in events]
    assert any(m == "ModuleNotFoundError: No module named 'flask_sqlalchemy'" for m in messages)
    assert any("Worker failed to boot." in m for m in messages)
    assert any("WORKER TIMEOUT" in m for m in messages)
    bad_gateway = next(e for e in events if e.kind == "request")
    assert bad_gateway.request.http_status == 502
    assert bad_gateway.first.timestamp == "2025-09-12T14:25:11.000000Z"
    assert next(e for e in events if e.kind == "traceback").first.timestamp == "2025-09-12T14:20:01.000000Z"


def test_kubectl_logs_with_and_without_timestamps_agree():
    plain = [e for e in events_of("kubectl.log") if e.kind == "traceback"]
    stamped = [e for e in events_of("kubectl-timestamps.log") if e.kind == "traceback"]
    assert len(plain) == len(stamped) == 1
    assert plain[0].message == stamped[0].message == (
        "redis.exceptions.ConnectionError: Error 111 connecting to redis-master:6379. Connection refused.")
    assert stamped[0].first.timestamp == "2025-09-12T14:20:05.200000Z"
    assert plain[0].first.time is None  # nothing in that file says when


def test_pasted_traceback_is_one_event():
    events = events_of("pasted-traceback.txt")
    assert len(events) == 1 and len(events[0].records) == events[0].text.count("\n") + 1
    assert events[0].traceback.root.frames[-1].line == 22


def test_leading_lines_without_timestamp_take_the_next_one(tmp_path):
    path = tmp_path / "app.log"
    path.write_text("  continuing from before\n2025-09-12 14:00:00,000 INFO ready\n")
    records = list(rca.iter_records(path))
    assert [r.timestamp for r in records] == ["2025-09-12T14:00:00.000000Z"] * 2


def test_json_lines_in_a_text_log_are_read_like_a_json_payload(tmp_path):
    path = tmp_path / "app.log"
    path.write_text('2025-09-12T14:20:05.000000001Z {"severity": "ERROR", "message": "charge failed", '
                    '"stack_trace": "Traceback (most recent call last):\\n  File \\"/app/pay.py\\", line 9, in charge\\n'
                    '    r.raise_for_status()\\nrequests.exceptions.HTTPError: 401 Client Error: Unauthorized for url: https://x"}\n'
                    '{"level": "info", "msg": "ok", "time": "2025-09-12T14:20:06Z"}\n{not json\n')
    records = list(rca.iter_records(path))
    assert [r.severity for r in records] == ["ERROR", "INFO", None]
    assert records[0].text.startswith("charge failed\nTraceback (most recent call last):")
    assert records[1].text == "ok" and records[1].timestamp == "2025-09-12T14:20:06.000000Z"
    (event,) = rca.read_events(path)
    assert event.traceback.last.type == "requests.exceptions.HTTPError"
