"""`rca watch` writes its events as JSON lines on stdout, a terminal's usually: the control characters
JSON leaves raw (DEL, C1, bidi overrides) in a log's text are written as `\\uXXXX` escapes there, as
`rca analyze --format json` does, the same document once parsed (review: the watch wrote them raw)."""

from __future__ import annotations

import json
import subprocess
import sys

from conftest import ROOT
from test_watch_live import NAME_ERROR, SEED, Replay

from rca.ingest.times import parse_timestamp

RAW = ("\u202e", "\u009b", "\x7f")  # a right-to-left override, an 8-bit CSI, DEL
SHOWN = NAME_ERROR.replace("is not defined", "is not defined" + "".join(RAW))


def with_controls(entries: list[dict]) -> list[dict]:
    """The seed incident, its NameError's message ending in the RAW characters."""
    escaped = json.dumps(SHOWN)[1:-1]
    return [json.loads(json.dumps(entry).replace(json.dumps(NAME_ERROR)[1:-1], escaped)) for entry in entries]


def test_a_watch_event_shows_a_logs_control_characters_as_escapes(tmp_path):
    replay = Replay(with_controls(SEED), at=parse_timestamp("2025-09-12T14:50:00Z"), speed=1.0)
    args = ["watch", "--project", "netra-staging", "--once", "--model", "none", "--endpoint", replay.server.endpoint]
    with replay.server:
        done = subprocess.run([sys.executable, "-m", "rca", *args], capture_output=True, cwd=ROOT, env=replay.env(), timeout=120)
    assert done.returncode == 1, done.stderr
    for raw in RAW:
        assert raw.encode() not in done.stdout
    (event,) = [json.loads(line) for line in done.stdout.splitlines()]
    assert event["event"] == "incident.opened" and event["root_cause"]["label"] == SHOWN
    assert b"\\u202e" in done.stdout and b"\\u009b" in done.stdout
