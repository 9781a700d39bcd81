"""A Logging API that stops answering mid-pull (issue 29, item 6): `rca analyze --project` and
`rca pull` give up after --timeout seconds with one line that says so, the entries pulled before
it counted (and, for pull, kept), no traceback. Today the wait is a fixed 120 s that no option
changes, and the line says only `ReadTimeout`."""

from __future__ import annotations

import queue
import signal
import subprocess
import sys
import threading
import time

import pytest
from conftest import ROOT, run_rca
from logging_server import LoggingServer
from test_live import ENTRIES, SINCE, UNTIL

SILENT = "Cloud Logging did not answer within 3 s: try again later, or give more time with --timeout"


@pytest.fixture
def silent_after_two_pages():
    with LoggingServer(ENTRIES) as running:
        running.silent_after_pages = 2
        yield running


@pytest.mark.parametrize("command", ["analyze", "pull"])
def test_a_silent_logging_api_is_given_up_on(silent_after_two_pages, tmp_path, command):
    out = tmp_path / "pulled.jsonl"
    extra = ["--out", str(out), "--page-size", "250"] if command == "pull" else ["--format", "json"]
    started = time.monotonic()
    done = run_rca(command, "--project", "netra-staging", "--since", SINCE, "--until", UNTIL,
                   "--endpoint", silent_after_two_pages.endpoint, "--timeout", "3", *extra)
    assert time.monotonic() - started < 150  # the pull and a 3 s wait, on a busy machine
    stderr = done.stderr.decode()
    assert done.returncode == 1 and "Traceback" not in stderr, stderr
    errors = [line for line in stderr.splitlines() if line.startswith("rca: error:")]
    assert len(errors) == 1 and errors[0].startswith(f"rca: error: {SILENT} (")
    assert done.stdout == b""  # no report from a pull that stopped
    if command == "pull":
        assert errors[0].endswith("(500 entries pulled before it)") and not out.exists()
        assert len((tmp_path / "pulled.jsonl.partial").read_bytes().splitlines()) == 500


def test_the_timeout_is_in_the_help_of_pull():
    assert "--timeout" in run_rca("pull", "--help").stdout.decode()


def test_a_watch_whose_first_read_finds_the_api_silent_ends_with_one_line():
    """The first read is never retried (rca.ingest.follow.Follower): a silent API is one line, exit 1."""
    with LoggingServer(ENTRIES) as silent:
        silent.silent_after_pages = 0
        started = time.monotonic()
        done = run_rca("watch", "--project", "netra-staging", "--endpoint", silent.endpoint, "--once",
                       "--model", "none", "--timeout", "3")
    assert time.monotonic() - started < 120  # a 3 s wait, on a busy machine; today the flag is refused
    stderr = done.stderr.decode()
    assert done.returncode == 1 and "Traceback" not in stderr, stderr
    assert [line for line in stderr.splitlines() if line.startswith("rca: error:")] == [f"rca: error: {SILENT}"]
    assert done.stdout == b""


def test_a_watch_asks_a_silent_api_again_after_the_timeout():
    """A poll that finds the API silent is a lost connection: warned of and asked again with back-off,
    each wait bounded by --timeout, until the watch is stopped."""
    with LoggingServer(ENTRIES) as server:
        server.silent_after_pages = 1  # the first read's one page, then silence
        watching = subprocess.Popen(
            [sys.executable, "-m", "rca", "watch", "--project", "netra-staging", "--endpoint", server.endpoint,
             "--interval", "1s", "--model", "none", "--timeout", "3"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT)
        try:
            warning = _first_line_of(watching.stderr, "rca: warning:", seconds=120)
            watching.send_signal(signal.SIGTERM)
            _, rest = watching.communicate(timeout=60)
        finally:
            if watching.poll() is None:
                watching.kill()
                watching.communicate()
    assert warning == f"rca: warning: {SILENT}; asking again in 5 s"
    assert watching.returncode == 143, rest.decode()
    assert rest.decode().splitlines()[-1] == "rca: watch stopped by SIGTERM"


def _first_line_of(stream, prefix: str, seconds: float) -> str:
    """The first line of `stream` that starts with `prefix`, read within `seconds`."""
    found: queue.Queue = queue.Queue()

    def read():
        for raw in stream:
            line = raw.decode().rstrip("\n")
            if line.startswith(prefix):
                found.put(line)
                return

    threading.Thread(target=read, daemon=True).start()
    try:
        return found.get(timeout=seconds)
    except queue.Empty:
        raise AssertionError(f"no line starting {prefix!r} within {seconds} s") from None
