"""Other runtimes' error output (Java, Go, Node) read into type, message, status and frames, innermost
cause first, as a Python traceback is; and such a text arriving whole in one entry is one error event."""

import orjson
from conftest import run_rca
from hypothesis import given, settings
from hypothesis import strategies as st

from rca.events.error_event import ErrorEvent, events_from_records, is_error_unit
from rca.events.runtimes import grpc_name, parse_runtime_trace, status_of
from rca.ingest.record import LogRecord

JAVA_GAX = """\
Exception in thread "main" com.google.api.gax.rpc.DeadlineExceededException: io.grpc.StatusRuntimeException: DEADLINE_EXCEEDED: deadline exceeded after 59.998811201s. [closed=[], open=[[remote_addr=pubsub.googleapis.com/142.250.1.95:443]]]
\tat com.google.api.gax.rpc.ApiExceptionFactory.createException(ApiExceptionFactory.java:94)
\tat com.google.api.gax.grpc.GrpcApiExceptionFactory.create(GrpcApiExceptionFactory.java:86)
\tat com.example.orders.Publisher.send(Publisher.java:57)
\tat com.example.orders.Main.main(Main.java:21)
Caused by: io.grpc.StatusRuntimeException: DEADLINE_EXCEEDED: deadline exceeded after 59.998811201s. [closed=[], open=[[remote_addr=pubsub.googleapis.com/142.250.1.95:443]]]
\tat io.grpc.Status.asRuntimeException(Status.java:533)
\t... 19 more
"""

JAVA_SPRING = """\
2025-09-12 14:03:11.482 ERROR 1 --- [           main] o.s.boot.SpringApplication               : Application run failed
org.springframework.jdbc.CannotGetJdbcConnectionException: Failed to obtain JDBC Connection
\tat org.springframework.jdbc.datasource.DataSourceUtils.getConnection(DataSourceUtils.java:84) ~[spring-jdbc-6.1.5.jar:6.1.5]
\tat com.example.billing.InvoiceRepository.load(InvoiceRepository.java:40) ~[classes/:na]
Caused by: org.postgresql.util.PSQLException: Connection to db.internal:5432 refused. Check that the hostname and port are correct and that the postmaster is accepting TCP/IP connections.
\tat org.postgresql.core.v3.ConnectionFactoryImpl.openConnectionImpl(ConnectionFactoryImpl.java:342) ~[postgresql-42.7.3.jar:42.7.3]
\tat java.base/java.lang.Thread.run(Thread.java:1583) ~[na:na]
\tSuppressed: java.lang.IllegalStateException: closing
\t\tat com.zaxxer.hikari.pool.HikariPool.shutdown(HikariPool.java:210)
Caused by: java.net.ConnectException: Connection refused
\tat java.base/sun.nio.ch.Net.connect0(Native Method)
\t... 12 common frames omitted
"""

GO_PANIC = """\
panic: rpc error: code = Unavailable desc = connection error: desc = "transport: Error while dialing: dial tcp 10.8.0.12:8443: connect: connection refused"

goroutine 1 [running]:
main.mustDial({0xc000124000, 0x16})
\t/src/cmd/gateway/main.go:48 +0x1c5
main.main()
\t/src/cmd/gateway/main.go:22 +0x65
exit status 2
"""

GO_NIL = """\
panic: runtime error: invalid memory address or nil pointer dereference
[signal SIGSEGV: segmentation violation code=0x1 addr=0x0 pc=0x6b4f2a]

goroutine 34 [running]:
github.com/acme/api/handlers.(*Orders).List(0x0, {0x9a1f60, 0xc0001a6000}, 0xc0001b2000)
\t/go/src/github.com/acme/api/handlers/orders.go:88 +0x4a
net/http.HandlerFunc.ServeHTTP(0xc0000a2040?, {0x9a1f60?, 0xc0001a6000?}, 0x0?)
\t/usr/local/go/src/net/http/server.go:2166 +0x29
created by net/http.(*Server).Serve in goroutine 1
\t/usr/local/go/src/net/http/server.go:3285 +0x4b4
"""

NODE_PG = """\
node:internal/process/promises:289
            triggerUncaughtException(err, true /* fromPromise */);
            ^

Error: connect ECONNREFUSED 127.0.0.1:5432
    at TCPConnectWrap.afterConnect [as oncomplete] (node:net:1555:16) {
  errno: -111,
  code: 'ECONNREFUSED',
  syscall: 'connect',
  address: '127.0.0.1',
  port: 5432
}

Node.js v20.11.1
"""

NODE_FETCH = """\
TypeError: fetch failed
    at node:internal/deps/undici/undici:12344:11
    at async syncPrices (/app/src/jobs/prices.js:31:20) {
  [cause]: ConnectTimeoutError: Connect Timeout Error
      at onConnectTimeout (/app/node_modules/undici/lib/core/connect.js:190:24)
      at Immediate._onImmediate (/app/node_modules/undici/lib/core/connect.js:160:11) {
    code: 'UND_ERR_CONNECT_TIMEOUT'
  }
}
"""


def chain(text):
    return [(e.type, e.status, e.relation) for e in parse_runtime_trace(text).exceptions]


def test_java_chain_is_innermost_first_with_the_status_of_the_grpc_exception():
    parsed = parse_runtime_trace(JAVA_GAX)
    assert chain(JAVA_GAX) == [
        ("io.grpc.StatusRuntimeException", "DEADLINE_EXCEEDED", None),
        ("com.google.api.gax.rpc.DeadlineExceededException", None, "cause")]
    outer = parsed.last
    assert outer.message.startswith("io.grpc.StatusRuntimeException: DEADLINE_EXCEEDED: deadline exceeded after")
    # frames outermost first, as Python's: the innermost application frame is the last
    assert [(f.file, f.line, f.function) for f in outer.frames[:2]] == [
        ("Main.java", 21, "com.example.orders.Main.main"), ("Publisher.java", 57, "com.example.orders.Publisher.send")]
    assert parsed.root.frames[-1].function == "io.grpc.Status.asRuntimeException"


def test_java_after_a_log_line_with_jar_suffixes_modules_and_suppressed_blocks():
    parsed = parse_runtime_trace(JAVA_SPRING)
    assert [e.type for e in parsed.exceptions] == [
        "java.net.ConnectException", "org.postgresql.util.PSQLException",
        "org.springframework.jdbc.CannotGetJdbcConnectionException"]  # the Suppressed block is not the chain
    assert parsed.root.message == "Connection refused"
    assert len(parsed.root.frames) == 1 and parsed.root.frames[0].file == "Native Method"
    assert parsed.exceptions[1].frames[-1].function == "org.postgresql.core.v3.ConnectionFactoryImpl.openConnectionImpl"
    assert parsed.exceptions[1].frames[0].function == "java.lang.Thread.run"  # the module prefix is not the name


def test_go_panic_with_a_grpc_status_and_the_goroutine_frames():
    parsed = parse_runtime_trace(GO_PANIC)
    assert chain(GO_PANIC) == [("panic", "UNAVAILABLE", None)]
    assert parsed.root.message.startswith("rpc error: code = Unavailable desc = connection error")
    assert [(f.file, f.line, f.function) for f in parsed.root.frames] == [
        ("/src/cmd/gateway/main.go", 22, "main.main"), ("/src/cmd/gateway/main.go", 48, "main.mustDial")]


def test_go_runtime_error_keeps_method_names_whole():
    parsed = parse_runtime_trace(GO_NIL)
    assert chain(GO_NIL) == [("runtime.Error", None, None)]
    assert [f.function for f in parsed.root.frames] == [
        "net/http.(*Server).Serve", "net/http.HandlerFunc.ServeHTTP", "github.com/acme/api/handlers.(*Orders).List"]


def test_node_error_with_its_code_among_its_properties():
    parsed = parse_runtime_trace(NODE_PG)
    assert chain(NODE_PG) == [("Error", "ECONNREFUSED", None)]
    assert parsed.root.message == "connect ECONNREFUSED 127.0.0.1:5432"
    assert parsed.root.frames[0].file == "node:net" and parsed.root.frames[0].line == 1555


def test_node_cause_is_the_innermost():
    parsed = parse_runtime_trace(NODE_FETCH)
    assert [(e.type, e.relation) for e in parsed.exceptions] == [("ConnectTimeoutError", None), ("TypeError", "cause")]
    assert parsed.root.frames[-1].file == "/app/node_modules/undici/lib/core/connect.js"
    assert parsed.last.frames[-1].function is None  # `at file:line:col` names no function
    assert parsed.last.frames[0].function == "syncPrices"


def test_statuses_in_each_spelling():
    assert grpc_name("DeadlineExceeded") == grpc_name("4") == grpc_name("DEADLINE_EXCEEDED") == "DEADLINE_EXCEEDED"
    assert grpc_name("Canceled") == "CANCELLED" and grpc_name("Bogus") is None and grpc_name("17") is None
    assert status_of("rpc error: code = PermissionDenied desc = caller lacks storage.objects.get") == "PERMISSION_DENIED"
    assert status_of("Status{code=UNAVAILABLE, description=io exception, cause=null}") == "UNAVAILABLE"
    assert status_of("14 UNAVAILABLE: No connection established") == "UNAVAILABLE"
    assert status_of("getaddrinfo ENOTFOUND api.example.com") == "ENOTFOUND"
    assert status_of("ERROR: relation does not exist") is None  # an upper-case word is not a status


def test_python_and_prose_are_not_read_as_another_runtime():
    python = 'Traceback (most recent call last):\n  File "/app/x.py", line 3, in <module>\nValueError: bad value'
    assert parse_runtime_trace(python) is None
    assert parse_runtime_trace("ValueError: x\nserver started  at 10:00") is None
    assert parse_runtime_trace("Error: something went wrong") is None  # a bare line: no frame, no header
    assert parse_runtime_trace("") is None


def _record(text, severity=None):
    return LogRecord(time=1757685791.0, severity=severity, text=text, source="t", position=1)


def test_a_whole_stack_trace_in_one_entry_is_one_error_event_whatever_its_severity():
    # a textPayload or a jsonPayload.stack_trace with no severity (DEFAULT) or INFO: an uncaught error
    for text in (JAVA_GAX, GO_PANIC, NODE_PG):
        assert is_error_unit([_record(text, "INFO")])
        event = ErrorEvent([_record(text)])
        assert event.kind == "traceback" and event.traceback is not None
    assert ErrorEvent([_record(JAVA_GAX)]).message.startswith("com.google.api.gax.rpc.DeadlineExceededException: io.grpc")
    assert not is_error_unit([_record("GET /health answered  at 10:00", "INFO")])
    events = list(events_from_records([_record(NODE_PG, "INFO"), _record("listening on :8080", "INFO")]))
    assert len(events) == 1 and events[0].traceback.root.status == "ECONNREFUSED"


def test_python_traceback_json_has_no_status_key():
    python = 'Traceback (most recent call last):\n  File "/app/x.py", line 3, in <module>\nValueError: bad value'
    exceptions = ErrorEvent([_record(python)]).traceback.as_dict()["exceptions"]
    assert "status" not in exceptions[0]
    assert ErrorEvent([_record(NODE_PG)]).traceback.as_dict()["exceptions"][0]["status"] == "ECONNREFUSED"


def test_cli_events_reads_a_java_stack_trace_from_a_json_payload(tmp_path):
    entry = {"timestamp": "2025-09-12T14:03:11.482Z", "severity": "ERROR", "logName": "projects/p/logs/run.googleapis.com%2Fstderr",
             "resource": {"type": "cloud_run_revision", "labels": {"service_name": "billing", "revision_name": "billing-00007-abc"}},
             "jsonPayload": {"message": "Application run failed", "stack_trace": JAVA_SPRING.split("\n", 1)[1]}}
    path = tmp_path / "export.jsonl"
    path.write_bytes(orjson.dumps(entry) + b"\n")
    done = run_rca("events", str(path), "--format", "jsonl")
    assert done.returncode == 0, done.stderr
    event = orjson.loads(done.stdout.splitlines()[0])
    assert event["kind"] == "traceback"
    assert [e["type"] for e in event["traceback"]["exceptions"]][0] == "java.net.ConnectException"


def test_causes_named_inside_a_wrappers_message_are_the_innermost_with_its_frames():
    text = ("java.util.concurrent.ExecutionException: com.google.api.gax.rpc.PermissionDeniedException: "
            "io.grpc.StatusRuntimeException: PERMISSION_DENIED: Missing or insufficient permissions.\n"
            "\tat com.google.common.util.concurrent.AbstractFuture.getDoneValue(AbstractFuture.java:566)\n"
            "\tat com.acme.Links.show(Links.java:95)\n")
    assert chain(text) == [("io.grpc.StatusRuntimeException", "PERMISSION_DENIED", None),
                           ("com.google.api.gax.rpc.PermissionDeniedException", None, "cause"),
                           ("java.util.concurrent.ExecutionException", None, "cause")]
    root = parse_runtime_trace(text).root
    assert root.message == "PERMISSION_DENIED: Missing or insufficient permissions."
    assert root.frames[-1].function == "com.google.common.util.concurrent.AbstractFuture.getDoneValue"


RUNTIME_LINES = ["Exception in thread \"main\" a.b.C: x", "Caused by: a.b.D", "\tat a.b.C.m(C.java:1)", "\t... 3 more",
                 "Suppressed: x.Y", "panic: boom [recovered]", "fatal error: x", "goroutine 1 [running]:", "main.main()",
                 "\t/a/b.go:3 +0x1", "created by x.y in goroutine 9", "Error: connect ECONNREFUSED 1.2.3.4:5",
                 "    at f (/a.js:1:2) {", "  code: 'EPIPE'", "  cause: Error: x", "[UnhandledPromiseRejection: r]", "",
                 "rpc error: code = 99", "a.b.C: a.b.DException: a.b.EError:", "\tat x.y(Z.java:99999999999999999999)"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(RUNTIME_LINES), st.text(max_size=30)), max_size=14))
def test_the_parser_never_raises_and_keeps_its_shape(lines):
    parsed = parse_runtime_trace("\n".join(lines))
    if parsed is not None:
        assert parsed.exceptions and parsed.root.relation is None
        assert all(e.relation == "cause" for e in parsed.exceptions[1:])
