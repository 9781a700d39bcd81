"""Other runtimes' stack traces group as Python's do: by the innermost cause's type and the
application's own frames; the runtime's and the libraries' frames, and the message's ids, do not count."""

from rca.analyze.fingerprint import fingerprint_of
from rca.events.error_event import ErrorEvent
from rca.events.frames import application_location
from rca.ingest.record import LogRecord

JAVA = """\
com.google.api.gax.rpc.DeadlineExceededException: io.grpc.StatusRuntimeException: DEADLINE_EXCEEDED: deadline exceeded after {secs}s. [remote_addr=pubsub.googleapis.com/142.250.1.95:443]
\tat com.google.api.gax.rpc.ApiExceptionFactory.createException(ApiExceptionFactory.java:{line})
\tat com.google.api.gax.grpc.GrpcApiExceptionFactory.create(GrpcApiExceptionFactory.java:86)
{extra}\tat com.example.orders.{caller}(Publisher.java:57)
\tat java.base/java.lang.Thread.run(Thread.java:1583)
"""

NODE = """\
Error: connect ECONNREFUSED 10.0.3.4:{port}
    at TCPConnectWrap.afterConnect [as oncomplete] (node:net:1555:16)
    at {caller} (/app/src/db.js:12:9)
    at /app/node_modules/pg-pool/index.js:45:11
"""


def event(text):
    return ErrorEvent([LogRecord(time=1757685791.0, severity="ERROR", text=text, source="t", position=1)])


def key(text):
    return fingerprint_of(event(text)).key


def test_java_traces_group_by_application_frames_not_library_lines_or_ids():
    first = key(JAVA.format(secs="59.9988", line=94, extra="", caller="Publisher.send"))
    # another library version (line numbers, an extra gax frame) and another deadline: the same bug
    again = key(JAVA.format(secs="60.0012", line=51, extra="\tat com.google.api.gax.rpc.Retrier.call(Retrier.java:3)\n",
                            caller="Publisher.send"))
    elsewhere = key(JAVA.format(secs="59.9988", line=94, extra="", caller="Publisher.flush"))
    assert first == again and first != elsewhere
    fingerprint = fingerprint_of(event(JAVA.format(secs="1", line=94, extra="", caller="Publisher.send")))
    assert fingerprint.kind == "traceback"
    contributing = [c.value for c in fingerprint.components if c.contributes]
    assert contributing == ["io.grpc.StatusRuntimeException", "Publisher.java:com.example.orders.Publisher.send:"]


def test_node_traces_leave_node_internals_and_node_modules_out():
    first, again = key(NODE.format(port=5432, caller="query")), key(NODE.format(port=6432, caller="query"))
    assert first == again != key(NODE.format(port=5432, caller="migrate"))
    tb = event(NODE.format(port=5432, caller="query")).traceback
    assert application_location(tb.exceptions) == "/app/src/db.js:12 in query"
