"""Ctrl-C and SIGTERM at every moment of every command (issue 29, item 6): not only while `rca analyze`
reads (tests/analyze/test_clean_stops.py) but while the classifier is built, while a report is
written, while `diff` reads with workers, while `pull` waits on the Logging API, while `rules
validate` reads a pack and while `eval` reads its corpus. Each stop is one line, exit 130 (SIGINT) or
143 (SIGTERM), no traceback, and no process left behind.

Today Ctrl-C there prints click's "Aborted!" and exits 1, and SIGTERM kills rca without a word."""

from __future__ import annotations

import fcntl
import os
import select
import signal
import threading
import time

import psutil
import pytest
from conftest import INCIDENT
from logging_server import LoggingServer
from stopping import EXIT, busy, busy_workers, end_group, send, start_rca, still_running

STOPS = pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
SEED = str(INCIDENT / "logs.jsonl")


def assert_stopped(rca, stop: signal.Signals, err: bytes) -> list[str]:
    """Exit 130 / 143 and the stop's one line last on stderr, with no traceback nor "Aborted!" before
    it. Returns stderr's lines."""
    lines = err.decode().splitlines()
    assert rca.returncode == EXIT[stop], err.decode()
    assert lines[-1] == f"rca: stopped by {stop.name}", err.decode()
    assert not [line for line in lines if "Traceback" in line or "Aborted" in line or "Error" in line], err.decode()
    return lines


def stop_when_stderr_says(rca, words: str, stop: signal.Signals, seconds: float = 120) -> bytes:
    """Send `stop` once rca prints a line holding `words` on stderr; all of its stderr."""
    seen = b""
    deadline = time.monotonic() + seconds
    while words.encode() not in seen:
        assert time.monotonic() < deadline and rca.poll() is None, seen.decode()
        ready, _, _ = select.select([rca.stderr], [], [], 0.5)
        if ready:
            seen += os.read(rca.stderr.fileno(), 65536)
    send(rca, stop)
    _, rest = rca.communicate(timeout=60)
    return seen + rest


@STOPS
@pytest.mark.parametrize("command", [
    ["classify", SEED],
    ["diff", SEED, "--before", "2025-09-12T14:00Z..2025-09-12T14:20Z", "--after", "2025-09-12T14:20Z.."],
], ids=["classify", "diff"])
def test_a_stop_while_the_classifier_is_built(command, stop, tmp_path):
    """The default classifier is built on first use, when the first event reaches it: an empty cache
    here. (In `rca analyze` that is within the analysis, whose own stop tests/analyze/test_clean_stops.py covers.)"""
    rca = start_rca(*command, env={"RCA_CACHE_DIR": str(tmp_path)})
    try:
        err = stop_when_stderr_says(rca, "building the classifier", stop)
    finally:
        end_group(rca)
    lines = assert_stopped(rca, stop, err)
    assert len(lines) == 2 and lines[0].startswith("rca: building the classifier")
    assert not list(tmp_path.rglob("*.tmp"))  # nothing half-written left in the cache


@STOPS
def test_a_stop_while_the_report_is_written(stop):
    """The report (58 kB of JSON) into a pipe of 4 kB that nobody reads yet: rca waits in the write."""
    read_end, write_end = os.pipe()
    fcntl.fcntl(write_end, fcntl.F_SETPIPE_SZ, 4096)
    rca = start_rca("analyze", SEED, "--model", "none", "--format", "json", stdout=write_end)
    os.close(write_end)
    written: list[bytes] = []
    try:
        select.select([read_end], [], [], 120)  # the first bytes of the report: the pipe is full
        time.sleep(0.5)
        assert rca.poll() is None
        send(rca, stop)
        drain = threading.Thread(target=lambda: written.extend(iter(lambda: os.read(read_end, 65536), b"")))
        drain.start()  # the pipe read, so that nothing else holds rca
        _, err = rca.communicate(timeout=60)
        drain.join(60)
    finally:
        end_group(rca)
        os.close(read_end)
    assert_stopped(rca, stop, err)


@STOPS
def test_a_stop_while_diff_reads_with_workers(flood, stop):
    rca = start_rca("diff", str(flood), "--before", "..2025-09-12T14:20Z", "--after", "2025-09-12T14:20Z..",
                    "--model", "none", "--workers", "2", env={"RCA_ENGINE": "python"})  # byte ranges: two busy workers
    children: list[psutil.Process] = []
    try:
        children = busy_workers(psutil.Process(rca.pid), 2)
        send(rca, stop)
        out, err = rca.communicate(timeout=120)  # workers left holding the pipes would block this
        time.sleep(0.5)
        left = still_running(children)
    finally:
        end_group(rca)
    assert err.decode().splitlines() == [f"rca: stopped by {stop.name}"]
    assert rca.returncode == EXIT[stop] and out == b""
    assert left == []


@STOPS
def test_a_stop_while_pull_waits_on_the_logging_api(stop, tmp_path):
    out = tmp_path / "pulled.jsonl"
    with LoggingServer([]) as silent:
        silent.silent_after_pages = 0
        rca = start_rca("pull", "--project", "netra-staging", "--since", "2025-09-12T14:00Z", "--until",
                        "2025-09-12T15:00Z", "--endpoint", silent.endpoint, "--out", str(out))
        try:
            err = stop_when_stderr_says(rca, "query:", stop)  # the query printed: the request is next
        finally:
            end_group(rca)
    assert_stopped(rca, stop, err)
    assert not out.exists()


@STOPS
def test_a_stop_while_rules_validate_reads_a_large_pack(stop, tmp_path):
    pack = tmp_path / "large.yaml"
    pack.write_text("rules:\n" + "".join(f"  - id: r{n}\n    class: missing_import\n" for n in range(200_000)))
    rca = start_rca("rules", "validate", str(pack))
    try:
        busy(rca, 2.0)  # the start-up costs under one CPU second; reading the pack ten
        send(rca, stop)
        out, err = rca.communicate(timeout=60)
    finally:
        end_group(rca)
    assert_stopped(rca, stop, err)
    assert out == b""


@STOPS
def test_a_stop_while_eval_reads_its_corpus(stop, tmp_path):
    """The corpus a named pipe whose writer sends nothing: rca waits in the read."""
    corpus = tmp_path / "corpus.jsonl"
    os.mkfifo(corpus)
    rca = start_rca("eval", str(corpus), "--method", "rules")
    writer = None
    try:
        deadline = time.monotonic() + 120
        while writer is None:  # opening the writing end succeeds once rca has opened the reading end
            assert time.monotonic() < deadline and rca.poll() is None
            try:
                writer = os.open(corpus, os.O_WRONLY | os.O_NONBLOCK)
            except OSError:
                time.sleep(0.1)
        time.sleep(0.5)
        send(rca, stop)
        out, err = rca.communicate(timeout=60)
    finally:
        end_group(rca)
        if writer is not None:
            os.close(writer)
    assert_stopped(rca, stop, err)
    assert out == b""
