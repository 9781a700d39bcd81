"""Go and Node error lines printed without a stack: each is read for the status it reports (errno
name, gRPC code) and classified by docs/CLASSES.md like Python's. The wordings the knowledge tables do
not read are rules/runtime_errors.yaml's; must-not-match lines (plain bugs) stay unknown."""

import pytest

from rca import classify_text
from rca.classify import signals

# (line, status the text reports, whether a gRPC code): the five kinds issue 28 names
STATUSES = [
    ('rpc error: code = Unavailable desc = connection error: desc = "transport: Error while dialing: dial tcp '
     '10.0.0.5:443: connect: connection refused"', "UNAVAILABLE", True),
    ("rpc error: code = DeadlineExceeded desc = context deadline exceeded", "DEADLINE_EXCEEDED", True),
    ("Error: connect ECONNREFUSED 127.0.0.1:5432", "ECONNREFUSED", False),
    ("Error: 14 UNAVAILABLE: No connection established", "UNAVAILABLE", True),
    ("FetchError: request to https://api.acme.dev/v1 failed, reason: getaddrinfo ENOTFOUND api.acme.dev", "ENOTFOUND", False),
]


@pytest.mark.parametrize("line,status,grpc", STATUSES, ids=[s[1] + str(i) for i, s in enumerate(STATUSES)])
def test_the_status_a_stackless_line_reports_is_read(line, status, grpc):
    read = signals.parse(line, prose=True)
    assert status in (read.grpc if grpc else read.errnos)


def test_a_named_node_error_is_read_as_its_type():
    assert signals.parse("FetchError: request to https://api.acme.dev/v1 failed, reason: socket hang up",
                         prose=True).exceptions == ("FetchError",)


CASES = [  # (line, class by docs/CLASSES.md); the wordings in NEW were missed before rules/runtime_errors.yaml
    ('rpc error: code = Unavailable desc = connection error: desc = "transport: Error while dialing: dial tcp '
     '10.0.0.5:443: connect: connection refused"', "dependency_connection_failure"),
    ("dial tcp 10.0.0.5:6379: i/o timeout", "timeout"),
    ("context deadline exceeded", "timeout"),
    ("Error: connect ECONNREFUSED 127.0.0.1:5432", "db_session_failure"),
    ("write tcp 10.0.0.2:41234->10.0.0.9:6379: write: broken pipe", "dependency_connection_failure"),
    ('Get "https://api.acme.dev/v1/rates": net/http: request canceled while waiting for connection (Client.Timeout exceeded while awaiting headers)', "timeout"),
    ('Post "https://api.acme.dev/v1/charge": net/http: TLS handshake timeout', "timeout"),
    ('Get "https://api.acme.dev/v1": x509: certificate signed by unknown authority', "dependency_connection_failure"),
    ('pq: password authentication failed for user "app"', "auth_rejection"),
    ("dial tcp 10.0.0.5:5432: connect: connection timed out", "timeout"),
    ("rpc error: code = Unauthenticated desc = transport: invalid token", "auth_rejection"),
    ("rpc error: code = ResourceExhausted desc = Quota exceeded for quota metric 'Read requests'", "rate_limited"),
    ("Error 1045 (28000): Access denied for user 'app'@'10.0.0.3' (using password: YES)", "auth_rejection"),
    ("Error 1040: Too many connections", "db_session_failure"),
    ("fatal error: runtime: out of memory", "resource_exhaustion"),
    ("dial tcp 10.0.0.5:5432: connect: connection refused", "db_session_failure"),
    ("dial tcp 10.0.0.5:8080: connect: connection refused", "dependency_connection_failure"),
    ("FetchError: request to https://api.acme.dev/v1/prices failed, reason: socket hang up", "dependency_connection_failure"),
    ("FetchError: request to https://api.acme.dev/v1/prices failed, reason: getaddrinfo ENOTFOUND api.acme.dev", "dependency_connection_failure"),
    ("FetchError: request to https://api.acme.dev/v1/prices failed, reason: connect ETIMEDOUT 34.1.2.3:443", "timeout"),
    ("Error: socket hang up", "dependency_connection_failure"),
    ("Error: getaddrinfo EAI_AGAIN redis", "dependency_connection_failure"),
    ("AxiosError: timeout of 5000ms exceeded", "timeout"),
    ("AxiosError: Request failed with status code 503", "dependency_connection_failure"),
    ("Error: Connection terminated unexpectedly", "db_session_failure"),
    ('error: password authentication failed for user "app"', "auth_rejection"),
    ("SequelizeConnectionRefusedError: connect ECONNREFUSED 10.0.0.5:5432", "db_session_failure"),
    ("MongoServerSelectionError: connect ECONNREFUSED 127.0.0.1:27017", "db_session_failure"),
    ("Error: 14 UNAVAILABLE: No connection established", "dependency_connection_failure"),
    ("Error: 4 DEADLINE_EXCEEDED: Deadline exceeded", "timeout"),
    ("Error: Redis connection to 10.0.0.5:6379 failed - connect ECONNREFUSED 10.0.0.5:6379", "dependency_connection_failure"),
    ("TimeoutError: The operation was aborted due to timeout", "timeout"),
    ("Error: unable to verify the first certificate", "dependency_connection_failure"),
    ("RangeError: Maximum call stack size exceeded", "unknown"),
    ("FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory", "resource_exhaustion"),
    ("Error: EMFILE: too many open files, open '/app/data/x.json'", "resource_exhaustion"),
    ("Error: ENOSPC: no space left on device, write", "resource_exhaustion"),
    ("Error: Cannot find module 'express'", "missing_import"),
    ("Error: Invalid email address", "unknown"),
    ('ValidationError: "timeout" must be a number', "unknown"),
    ('strconv.Atoi: parsing "abc": invalid syntax', "unknown"),
    ("sql: no rows in result set", "unknown"),
    ("json: cannot unmarshal string into Go value of type int", "unknown"),
    ("Error: Request failed: user not found", "unknown"),
    ("FetchError: invalid json response body at https://api.acme.dev/v1 reason: Unexpected token < in JSON at position 0", "unknown"),
    ("context canceled", "unknown"),
]
NEW = ("TLS handshake timeout", "socket hang up", "timeout of 5000ms", "Connection terminated unexpectedly",
       "unable to verify the first certificate")


@pytest.mark.parametrize("line,expected", CASES, ids=[f"{c[1]}-{i}" for i, c in enumerate(CASES)])
def test_go_and_node_error_lines_are_classified_by_classes_md(line, expected):
    assert classify_text(line, model=None).cls == expected


def test_the_wordings_added_are_decided_by_their_own_rules():
    for line, _ in CASES:
        if any(word in line for word in NEW):
            classification = classify_text(line, model=None)
            assert classification.rule is not None and classification.rule.pack == "runtime_errors", line
