"""Java, Go and Node error output is classified by the same rules and tables as Python's: the status
an exception carries, the innermost cause of its chain, the database its driver or port names."""

import orjson
import pytest
from conftest import run_rca

from rca import classify_text
from rca.classify import signals

CASES = [
    # (text, class): a Java gax wrapper over a gRPC deadline is a timeout
    ("Exception in thread \"main\" com.google.api.gax.rpc.DeadlineExceededException: io.grpc.StatusRuntimeException: "
     "DEADLINE_EXCEEDED: deadline exceeded after 59.998811201s.\n"
     "\tat com.google.api.gax.rpc.ApiExceptionFactory.createException(ApiExceptionFactory.java:94)\n"
     "\tat com.example.orders.Publisher.send(Publisher.java:57)", "timeout"),
    ("java.net.SocketTimeoutException: Read timed out\n\tat java.base/sun.nio.ch.NioSocketImpl.timedRead(NioSocketImpl.java:283)",
     "timeout"),
    # the refused connection under a Spring JDBC wrapper is the database's
    ("org.springframework.jdbc.CannotGetJdbcConnectionException: Failed to obtain JDBC Connection\n"
     "\tat org.springframework.jdbc.datasource.DataSourceUtils.getConnection(DataSourceUtils.java:84)\n"
     "Caused by: java.net.ConnectException: Connection refused\n\tat java.base/sun.nio.ch.Net.connect0(Native Method)",
     "db_session_failure"),
    # Go spells the gRPC code in CamelCase
    ("2025/09/12 14:03:11 sync failed: rpc error: code = DeadlineExceeded desc = context deadline exceeded", "timeout"),
    ("panic: rpc error: code = Unavailable desc = connection error: desc = \"transport: Error while dialing: dial tcp "
     "10.8.0.12:8443: connect: connection refused\"\n\ngoroutine 1 [running]:\nmain.main()\n\t/src/main.go:22 +0x65",
     "dependency_connection_failure"),
    ("rpc error: code = PermissionDenied desc = The caller does not have permission", "auth_rejection"),
    # Node: the port says which dependency refused; the cause decides over `TypeError: fetch failed`
    ("Error: connect ECONNREFUSED 127.0.0.1:5432\n    at TCPConnectWrap.afterConnect [as oncomplete] (node:net:1555:16) {\n"
     "  errno: -111,\n  code: 'ECONNREFUSED',\n  syscall: 'connect',\n  address: '127.0.0.1',\n  port: 5432\n}",
     "db_session_failure"),
    ("Error: connect ECONNREFUSED 10.0.3.4:6379\n    at TCPConnectWrap.afterConnect [as oncomplete] (node:net:1555:16)",
     "dependency_connection_failure"),
    ("TypeError: fetch failed\n    at node:internal/deps/undici/undici:12344:11\n"
     "    at async syncPrices (/app/src/jobs/prices.js:31:20) {\n  [cause]: Error: connect ECONNREFUSED 10.0.7.2:8080\n"
     "      at TCPConnectWrap.afterConnect [as oncomplete] (node:net:1555:16) {\n    code: 'ECONNREFUSED'\n  }\n}",
     "dependency_connection_failure"),
    ("Error: 8 RESOURCE_EXHAUSTED: Quota exceeded.\n"
     "    at callErrorFromStatus (/app/node_modules/@grpc/grpc-js/build/src/call.js:31:19) {\n  code: 8,\n"
     "  details: 'Quota exceeded.'\n}", "rate_limited"),
    # plain bugs stay plain bugs
    ("panic: runtime error: invalid memory address or nil pointer dereference\n[signal SIGSEGV: segmentation violation]\n\n"
     "goroutine 34 [running]:\nmain.main()\n\t/src/main.go:9 +0x4a", "unknown"),
    ("TypeError: Cannot read properties of undefined (reading 'id')\n    at getUser (/app/src/users.js:14:22)", "unknown"),
]


@pytest.mark.parametrize("text,expected", CASES, ids=[f"{c[1]}-{i}" for i, c in enumerate(CASES)])
def test_other_runtimes_classified_by_the_rules(text, expected):
    assert classify_text(text, model=None).cls == expected


def test_signals_read_the_runtime_chain_and_statuses():
    node = CASES[8][0]
    read = signals.parse(node, prose=True)
    assert read.exceptions == ("Error", "TypeError")  # innermost first, though Node prints it last
    assert read.reported == ("ECONNREFUSED",) and not read.database
    assert signals.parse(CASES[3][0], prose=True).grpc == ("DEADLINE_EXCEEDED",)
    assert signals.parse(CASES[6][0], prose=True).database
    assert "database" in signals.parse(CASES[6][0], prose=True).tokens()


@pytest.mark.parametrize("text,expected", [
    ("2024-06-25T19:22:58.186Z 3f1c9e0a Task timed out after 30.27 seconds", "timeout"),
    ("Uncaught (in promise) FirebaseError: Missing or insufficient permissions.", "auth_rejection"),
    ("GET https://api.github.com/orgs/acme/repos?per_page=10: 401 Bad credentials []", "auth_rejection"),
    ("You exceeded your current quota, please check your plan and billing details.", "rate_limited"),
    ("SlackApiError: The request to the Slack API failed. The server responded with: {'ok': False, 'error': 'ratelimited'}",
     "rate_limited"),
    ("Get \"https://api.example.com/v1/items\": dial tcp 10.0.0.5:443: i/o timeout", "timeout"),
])
def test_provider_wordings_of_the_weak_classes(text, expected):
    assert classify_text(text, model=None).cls == expected


def test_cli_classifies_a_java_trace_in_a_json_payload(tmp_path):
    entry = {"timestamp": "2025-09-12T14:03:11.482Z", "severity": "ERROR",
             "resource": {"type": "cloud_run_revision", "labels": {"service_name": "orders"}},
             "jsonPayload": {"message": "publish failed", "stack_trace": CASES[0][0]}}
    path = tmp_path / "export.jsonl"
    path.write_bytes(orjson.dumps(entry) + b"\n")
    done = run_rca("classify", str(path), "--model", "none", "--format", "jsonl")
    assert done.returncode == 0, done.stderr
    row = orjson.loads(done.stdout.splitlines()[0])
    assert row["kind"] == "traceback" and row["classification"]["class"] == "timeout", row


@pytest.mark.parametrize("text,expected", [
    # a 403 that says it is a rate limit is rate_limited, whichever rule sees the 403 first (docs/CLASSES.md)
    ('github.GithubException.GithubException: 403 {"message": "You have exceeded a secondary rate limit. Please wait a few '
     'minutes before you try again."}', "rate_limited"),
    ("403 Forbidden: You have triggered an abuse detection mechanism. Please wait a few minutes before you try again.",
     "rate_limited"),
    ("requests.exceptions.HTTPError: 403 Client Error: rate limit exceeded for url: https://api.example.com/v1/items",
     "rate_limited"),
    ("requests.exceptions.HTTPError: 403 Client Error: Forbidden for url: https://api.example.com/v1/items", "auth_rejection"),
    # a database refusing an identity is auth, like a refused password
    ('psycopg2.OperationalError: FATAL:  no pg_hba.conf entry for host "10.0.0.7", user "app", database "prod", SSL off',
     "auth_rejection"),
    ("psycopg2.errors.InsufficientPrivilege: permission denied for table orders", "auth_rejection"),
    # but a pool with no free connection stays with the database, in Java too
    ("sqlalchemy.exc.TimeoutError: QueuePool limit of size 5 overflow 10 reached, connection timed out, timeout 30.00",
     "db_session_failure"),
    ("java.sql.SQLTransientConnectionException: HikariPool-1 - Connection is not available, request timed out after 30000ms.",
     "db_session_failure"),
])
def test_borderlines_between_the_weak_classes(text, expected):
    assert classify_text(text, model=None).cls == expected
