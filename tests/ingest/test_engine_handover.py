"""How the engine hands its candidates to Python (rca.ingest.engine): each line's bytes as the Python
reader reads them, in line order with the few lines Python read itself, and the byte prefilter run
only on the lines that name a benign severity. Whatever the hand-over, the records and counts are
the Python reader's."""

import heapq
import json
import random
from operator import itemgetter

import pytest
from conftest import read_with_engine as read

from rca.ingest import engine
from rca.ingest.engine_passes import Passes

BENIGN = (b'"severity":"INFO"', b'"severity":"DEBUG"', b'"severity":"NOTICE"')


def entry(severity, text=None, payload=None, **more):
    line = {"insertId": more.pop("insert_id", "x"), "logName": "projects/p/logs/run.googleapis.com%2Fstderr",
            "timestamp": "2025-09-12T14:30:00.5Z",
            "resource": {"type": "cloud_run_revision", "labels": {"service_name": "api", "revision_name": "api-00002-xyz"}},
            **more}
    if severity is not None:
        line["severity"] = severity
    if text is not None:
        line["textPayload"] = text
    if payload is not None:
        line["jsonPayload"] = payload
    return json.dumps(line, separators=(",", ":"), ensure_ascii=False).encode()


# Candidates of every kind: an error, one whose payload names a benign severity of its own, a line with
# no severity (a traceback's line), an INFO line that looks like a traceback's, INFO requests, non-ASCII.
LINES = [
    entry("ERROR", "boom", insert_id="a"),
    entry("ERROR", payload={"message": "failed", "severity": "INFO", "stack_trace": 'Traceback:\n  File "x"'}, insert_id="b"),
    entry(None, "Traceback (most recent call last):", insert_id="c"),
    entry("INFO", '  File "/app/main.py", line 3, in <module>', insert_id="d"),
    entry("INFO", "ValueError: caf\u00e9 \u2603", insert_id="e"),
    entry("NOTICE", "plain", httpRequest={"requestMethod": "GET", "status": 200}, insert_id="f"),
    entry("DEBUG", "retrying after RuntimeError", insert_id="g"),
    entry("WARNING", payload={"msg": "slow", "level": "DEBUG"}, insert_id="h"),
    entry("INFO", "healthy and quiet", insert_id="i"),
    # names no benign severity, though a longer name starts with one: the flag must not be a prefix test
    entry("ERROR", payload={"message": "failed", "severity": "INFORMATIONAL"}, insert_id="k"),
    b"",
    b'{"severity":"INFO","textPayload":"broken',  # passed over by the prefilter unless it is off
    b'{"severity":"ERROR","textPayload":"broken',
    entry("ERROR", "last \u00e9", insert_id="j"),
]


@pytest.mark.parametrize("final_newline", [True, False])
def test_candidates_are_the_lines_bytes_and_say_which_name_a_benign_severity(tmp_path, final_newline):
    path = tmp_path / "x.jsonl"
    path.write_bytes(b"\n".join(LINES) + (b"\n" if final_newline else b""))
    connection = engine.connect()
    with open(path, "rb") as stream:
        passes = Passes(stream, str(path), False)
        judged = engine.judge(connection, str(path), False, True, True, passes)
        layout = engine.lay_out(passes.fresh(), engine.wanted_lines(judged))
    handed = list(engine.candidate_lines(connection, judged, layout))
    assert [line for line, _, _ in handed] == sorted(line for line, _, _ in handed)
    assert len(handed) >= 8  # every candidate above but the quiet INFO line (and the revision's first, read apart)
    for line, raw, benign in handed:
        original = LINES[line - 1]
        if not original:
            assert raw is None
            continue
        newline = b"\n" if final_newline or line < len(LINES) else b""
        assert raw == original + newline
        assert benign == any(name in raw for name in BENIGN)


@pytest.mark.parametrize("mode", ["deploys", "requests", "events", "off"])
def test_lines_naming_a_benign_severity_anywhere_read_as_python_reads_them(tmp_path, monkeypatch, mode):
    path = tmp_path / "x.jsonl"
    copies = [line.replace(b'"insertId":"', b'"insertId":"%d' % n) for n in range(3) for line in LINES]  # not copies
    path.write_bytes(b"\n".join(copies) + b"\n")
    by_engine = read(path, "duckdb", monkeypatch, mode)
    by_python = read(path, "python", monkeypatch, mode)
    assert by_engine == by_python
    assert len(by_engine[0]) >= 20 and by_engine[1].skipped["broken JSON"] == (6 if mode == "off" else 3)


@pytest.mark.parametrize("seed", range(30))
def test_lines_read_apart_fall_in_line_order_as_a_merge_puts_them(seed):
    chance = random.Random(seed)
    lines = chance.sample(range(1, 400), chance.randint(0, 120))
    few = sorted((line, f"apart {line}") for line in chance.sample(lines, chance.randint(0, min(10, len(lines)))))
    rows = [(line, f"row {line}") for line in sorted(set(lines) - {line for line, _ in few})]
    rows += [(line, f"row tie {line}") for line, _ in few[:2]]  # never so in the engine, but ordered alike
    rows.sort(key=itemgetter(0))
    merged = list(engine.in_line_order(iter(rows), few))
    assert merged == list(heapq.merge(rows, few, key=itemgetter(0)))
    assert len(merged) == len(rows) + len(few)
