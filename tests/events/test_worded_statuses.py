"""Go and Node messages that say their status only in words carry it as the status of the parsed
exception, so the knowledge tables read it as they read a printed code; a printed code comes first."""

import pytest

from rca.events.runtimes import parse_runtime_trace, status_of

GO_FRAMES = "\n\ngoroutine 1 [running]:\nmain.main()\n\t/app/cmd/worker/main.go:24 +0x6b"


@pytest.mark.parametrize("text,status", [
    ("panic: dial tcp 10.40.2.9:5432: connect: connection refused" + GO_FRAMES, "ECONNREFUSED"),
    ("panic: read tcp 10.40.2.3:51220->10.40.2.9:6379: read: connection reset by peer" + GO_FRAMES, "ECONNRESET"),
    ("panic: context deadline exceeded" + GO_FRAMES, "DEADLINE_EXCEEDED"),
    ("Error: socket hang up\n    at connResetException (node:internal/errors:720:14)\n"
     "    at TLSSocket.socketOnEnd (node:_http_client:525:23)", "ECONNRESET"),
    ("Error: write EPIPE\n    at afterWriteDispatched (node:internal/stream_base_commons:160:15)", "EPIPE"),
])
def test_a_worded_status_is_the_exceptions_status(text, status):
    assert parse_runtime_trace(text).root.status == status


def test_a_printed_code_comes_before_the_words():
    assert status_of("rpc error: code = Unavailable desc = dial tcp 10.40.2.9:443: connect: connection refused") == (
        "UNAVAILABLE")
    assert status_of("connect ETIMEDOUT 10.40.2.9:443 after connection refused earlier") == "ETIMEDOUT"


def test_words_in_another_spelling_or_none_give_no_status():
    # the JVM's `Connection refused` is read from its exception type, as before
    assert status_of("Connection refused") is None
    assert parse_runtime_trace("java.net.ConnectException: Connection refused\n"
                               "\tat java.base/sun.nio.ch.Net.connect0(Native Method)").root.status is None
    assert status_of("invalid memory address or nil pointer dereference") is None
