"""A structured logger's error is part of the record's text, wherever the logger put it: the message
first, then the error, then a stack trace, each once. Shapes as each logger writes them."""

import orjson
import pytest
from conftest import run_rca

from rca import classify_text
from rca.ingest.logentry import entry_to_record, json_payload_text

REFUSED = "dial tcp 10.0.0.5:5432: connect: connection refused"
NODE_STACK = ("Error: connect ECONNREFUSED 10.0.0.5:6379\n"
              "    at TCPConnectWrap.afterConnect [as oncomplete] (node:net:1555:16)")

SHAPES = [
    # (logger, payload, the text it must read as)
    ("logrus WithError", {"level": "error", "msg": "request failed", "error": REFUSED, "time": "2026-11-30T09:41:07Z"},
     f"request failed\n{REFUSED}"),
    ("Go slog", {"time": "2026-11-30T09:41:07.311Z", "level": "ERROR", "msg": "request failed", "err": REFUSED},
     f"request failed\n{REFUSED}"),
    ("zap with its stacktrace", {"level": "error", "ts": 1764495667.311, "caller": "store/pool.go:88",
                                 "msg": "request failed", "error": REFUSED,
                                 "stacktrace": "acme/store.(*Pool).Get\n\t/app/store/pool.go:88\nmain.main\n\t/app/main.go:31"},
     f"request failed\n{REFUSED}\nacme/store.(*Pool).Get\n\t/app/store/pool.go:88\nmain.main\n\t/app/main.go:31"),
    ("pino err serializer: msg and err.message are the stack's first line",
     {"level": 50, "time": 1764495667311, "pid": 1, "hostname": "api-7f9c",
      "err": {"type": "Error", "message": "connect ECONNREFUSED 10.0.0.5:6379", "stack": NODE_STACK,
              "errno": -111, "code": "ECONNREFUSED", "syscall": "connect", "address": "10.0.0.5", "port": 6379},
      "msg": "connect ECONNREFUSED 10.0.0.5:6379"}, NODE_STACK),
    ("bunyan err", {"name": "api", "hostname": "api-7f9c", "pid": 1, "level": 50, "msg": "cache unavailable",
                    "err": {"message": "connect ECONNREFUSED 10.0.0.5:6379", "name": "Error", "stack": NODE_STACK,
                            "code": "ECONNREFUSED"}, "time": "2026-11-30T09:41:07.311Z", "v": 0},
     f"cache unavailable\n{NODE_STACK}"),
    ("winston errors({stack: true})", {"level": "error", "message": "connect ECONNREFUSED 10.0.0.5:6379",
                                       "stack": NODE_STACK}, NODE_STACK),
    ("structlog format_exc_info", {"event": "charge failed", "level": "error",
                                   "exception": "Traceback (most recent call last):\n  File \"/app/pay.py\", line 9, "
                                                "in charge\nTimeoutError: timed out"},
     "charge failed\nTraceback (most recent call last):\n  File \"/app/pay.py\", line 9, in charge\nTimeoutError: timed out"),
    ("ECS error object", {"log.level": "error", "message": "request failed",
                          "error": {"type": "java.net.ConnectException", "message": "Connection refused"}},
     "request failed\njava.net.ConnectException: Connection refused"),
    ("ECS flattened dotted keys", {"message": "request failed", "error.message": "Connection refused"},
     "request failed\nConnection refused"),
    ("AWS Lambda (Node) error, its trace a list of lines",
     {"errorType": "Error", "errorMessage": "connect ECONNREFUSED 10.0.0.5:6379", "trace": NODE_STACK.split("\n")},
     NODE_STACK),
    ("AWS Lambda without a trace", {"errorType": "FetchError", "errorMessage": "request to https://api.acme.dev/v1 "
                                    "failed, reason: socket hang up"},
     "FetchError: request to https://api.acme.dev/v1 failed, reason: socket hang up"),
    ("fields wrapped in data", {"message": "sync failed", "data": {"error": "context deadline exceeded"}},
     "sync failed\ncontext deadline exceeded"),
]


@pytest.mark.parametrize("logger,payload,text", SHAPES, ids=[s[0] for s in SHAPES])
def test_each_loggers_error_is_read_into_the_text(logger, payload, text):
    assert json_payload_text(payload) == text


def test_payloads_that_already_read_well_read_the_same():
    # a message alone, an Error Reporting stack_trace, a python-json-logger exc_info
    assert json_payload_text({"message": "GET /health 200", "logger": "uvicorn"}) == "GET /health 200"
    trace = "Traceback (most recent call last):\n  File \"/app/x.py\", line 3, in <module>\nKeyError: 'DB_URL'"
    assert json_payload_text({"message": "boot failed", "stack_trace": trace}) == f"boot failed\n{trace}"
    assert json_payload_text({"message": "boot failed", "exc_info": trace}) == f"boot failed\n{trace}"
    assert json_payload_text({"message": trace.split("\n")[-1], "stack_trace": trace}) == trace
    assert json_payload_text({"a": 1, "b": "x"}) == '{"a":1,"b":"x"}'


def test_words_that_name_other_things_are_not_read_as_errors():
    # a deployment `stack`, a `trace` id, a Kubernetes event's `reason`, an Error that JSON.stringify emptied
    assert json_payload_text({"message": "deployed", "stack": "production", "trace": "projects/p/traces/4bf92f"}) == "deployed"
    assert json_payload_text({"message": "Back-off restarting failed container", "reason": "BackOff"}) == (
        "Back-off restarting failed container")
    assert json_payload_text({"msg": "Failed to start the server", "error": {}}) == "Failed to start the server"


@pytest.mark.parametrize("payload,expected", [
    ({"level": "error", "msg": "request failed", "error": REFUSED}, "db_session_failure"),
    ({"time": "t", "level": "ERROR", "msg": "cache read failed", "err": "dial tcp 10.0.0.7:6379: i/o timeout"}, "timeout"),
    (SHAPES[4][1], "dependency_connection_failure"),
])
def test_the_error_decides_the_class_not_the_bare_message(payload, expected):
    text = entry_to_record({"severity": "ERROR", "jsonPayload": payload}, "s", 1).text
    assert classify_text(text, model=None).cls == expected
    assert classify_text(payload.get("msg", ""), model=None).cls == "unknown"  # the message alone says nothing


def test_cli_analyze_classifies_a_zap_error_payload(tmp_path):
    entry = {"timestamp": "2026-11-30T09:41:07.311Z", "severity": "ERROR",
             "logName": "projects/p/logs/run.googleapis.com%2Fstderr",
             "resource": {"type": "cloud_run_revision", "labels": {"service_name": "ledger", "revision_name": "ledger-00012-wuz"}},
             "jsonPayload": SHAPES[2][1]}
    path = tmp_path / "export.jsonl"
    path.write_bytes(orjson.dumps(entry) + b"\n")
    done = run_rca("analyze", str(path), "--format", "json")
    assert done.returncode == 0, done.stderr
    (group,) = orjson.loads(done.stdout)["groups"]
    assert group["class"] == "db_session_failure"


@pytest.mark.parametrize("level,severity", [(50, "ERROR"), (60, "CRITICAL"), (40, "WARNING"), (30, "INFO")])
def test_pino_and_bunyan_numeric_levels_give_the_severity(level, severity):
    # on Cloud Run a Node service's stdout JSON has no `severity`: the payload's own level is all there is
    entry = {"jsonPayload": {"level": level, "time": 1764495667311, "msg": "request failed", "err": REFUSED}}
    assert entry_to_record(entry, "s", 1).severity == severity
    assert entry_to_record({"severity": "ERROR", "jsonPayload": {"level": 50, "msg": "x"}}, "s", 1).severity == "ERROR"


def test_an_error_object_with_a_code_and_no_message_is_read_as_before():
    # Node's Error through JSON.stringify keeps its own `errno`, `code`, `syscall` and loses `message`:
    # before the error keys, `error` was a trace key and such an object read as its text, code and all
    error = {"errno": -111, "code": "ECONNREFUSED", "syscall": "connect", "address": "10.0.0.5", "port": 5432}
    payload = {"level": "error", "msg": "query failed", "error": error}
    assert json_payload_text(payload) == f"query failed\n{error}"
    text = entry_to_record({"severity": "ERROR", "jsonPayload": payload}, "s", 1).text
    assert classify_text(text, model=None).cls == "dependency_connection_failure"
