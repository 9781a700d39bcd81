"""A plain candidate's record built from DuckDB's columns (rca.ingest.engine_columns) is the record
Python's own reading makes of its line (`jsonlog.read_line`: orjson, then `entry_to_record`): field
by field, `extra` included, and with no note or skip, over every fixture, every real export and
randomised entries of every field's odd types. Whatever the columns cannot say goes to Python."""

import dataclasses
import gzip
import json
import random
from pathlib import Path

import orjson
import pytest
from conftest import FIXTURES, REAL_EXPORTS
from conftest import read_with_engine as read

from rca.ingest import engine
from rca.ingest.engine_columns import record_of
from rca.ingest.jsonlog import read_line
from rca.ingest.stats import ReadStats

pytest.importorskip("duckdb")


def _never(raw: bytes) -> bool:
    return False


def both_ways(path: Path) -> tuple[int, int]:
    """Every plain candidate of `path` read both ways and compared; (plain rows, candidates)."""
    connection = engine.connect()
    try:
        engine.judge(connection, str(path), engine._is_gzip(str(path)), True)
        texts = dict(connection.execute("SELECT row, raw FROM judged WHERE kind = 0").fetchall())
        rows = connection.execute(engine.CANDIDATES).fetchall()
    finally:
        connection.close()
    plain = 0
    for row, _, is_plain, *fields in rows:
        if not is_plain:
            continue
        plain += 1
        stats = ReadStats()
        by_python = read_line(texts[row].encode() + b"\n", str(path), row, stats, _never)
        assert by_python is not None and not stats.skipped and not stats.notes, texts[row]
        by_columns = record_of(fields, str(path), row)
        assert dataclasses.astuple(by_columns) == dataclasses.astuple(by_python), texts[row]
        assert type(by_columns.time) is type(by_python.time)
    return plain, len(rows)


def json_lines_of(path: Path, into: Path) -> Path:
    """A JSON-lines copy of an export: an array's entries one a line (the engine reads lines only)."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as stream:
        data = stream.read()
    if path.name.endswith((".jsonl", ".jsonl.gz")):
        return path
    entries = orjson.loads(data)
    target = into / (path.name + ".jsonl")
    target.write_bytes(b"".join(orjson.dumps(entry) + b"\n" for entry in entries if isinstance(entry, dict)))
    return target


def _is_entry_array(path: Path) -> bool:
    try:
        data = orjson.loads(path.read_bytes())
    except orjson.JSONDecodeError:
        return False
    return isinstance(data, list) and any(isinstance(entry, dict) and "resource" in entry for entry in data)


SOURCES = sorted(
    [p for p in FIXTURES.rglob("*") if p.name.endswith((".jsonl", ".jsonl.gz"))]
    + [p for p in FIXTURES.rglob("*.json") if _is_entry_array(p)]
    + ([p for p in REAL_EXPORTS.glob("*") if p.suffix in (".json", ".jsonl")] if REAL_EXPORTS.is_dir() else []))


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: "/".join(p.parts[-2:]))
def test_plain_rows_read_alike_from_columns_and_from_their_text(path, tmp_path):
    plain, candidates = both_ways(json_lines_of(path, tmp_path))
    assert plain <= candidates


def test_most_candidates_of_the_bundled_exports_are_plain(tmp_path):
    """The column path is the common one: on every fixture and real export together, most candidates take it."""
    plain = candidates = 0
    for path in SOURCES:
        counts = both_ways(json_lines_of(path, tmp_path))
        plain, candidates = plain + counts[0], candidates + counts[1]
    assert candidates > 1000 and plain > candidates // 2


# Odd values for each field the columns carry: every JSON type, empty and blank strings, escapes,
# numbers at and past their bounds, nesting, and stamps of every shape Python reads or refuses.
TEXTS = ["", " ", "x", "ERROR: boom", "  File \"a.py\", line 1", "Traceback (most recent call last):\n  x\nValueError: v",
         "tab\there", "quote \" and \\ and / é ✓ 😀", "\u2028", "DEBUG something", "50"]
ODD = [None, 0, -1, 1.5, 1e20, True, False, [], ["a", "b"], {}, {"k": "v"}, 10**19, -0.0]
STAMPS = ["2025-09-12T14:20:00Z", "2025-09-12T14:20:00.1Z", "2025-09-12T14:20:00.123456789Z", "2025-09-12T14:20:00.9999995Z",
          "2025-09-12T14:20:00+02:00", "2025-09-12T14:20:00", "2025-02-30T00:00:00Z", "2025-09-12T24:00:00Z",
          "2025-09-12T23:59:60Z", "0001-01-01T00:00:00Z", "9999-12-31T23:59:59.999999Z", "1970-01-01T00:00:00.000001Z",
          "1757686800", "", "yesterday", 1757686800, {"seconds": 1, "nanos": 5}]
SEVERITIES = ["ERROR", "INFO", "DEFAULT", "warning", " Error ", "FATAL", "", "nonsense", 500, 0, 850, None, "CRITICAL"]


def _value(rng: random.Random, usual, odd_share: float = 0.03):
    return rng.choice(ODD + TEXTS) if rng.random() < odd_share else rng.choice(usual)


def _stamp(rng: random.Random):
    return rng.choice(STAMPS) if rng.random() < 0.3 else f"2025-09-12T14:{rng.randint(0, 59):02d}:00.{rng.randint(0, 999999):06d}Z"


def _payload(rng: random.Random) -> dict:
    keys = ["message", "msg", "logger", "level", "severity", "error", "err", "stack_trace", "stack", "trace",
            "exception", "errorType", "errorMessage", "error.message", "data", "extra", "levelname", "event"]
    payload: dict = {}
    for key in rng.sample(keys, rng.randint(0, 5)):
        payload[key] = _value(rng, TEXTS + ["50", "30", "ERROR", "info"], 0.1)
    if rng.random() < 0.2:
        payload["error"] = {"type": "TypeError", "message": rng.choice(TEXTS)}
    return payload


def _entry(rng: random.Random, n: int) -> dict:
    labels = {"service_name": _value(rng, ["api", "web", ""]), "revision_name": _value(rng, ["api-00001-abc", ""]),
              "location": _value(rng, ["us-central1", ""]), "region": _value(rng, ["europe-west1"]),
              "namespace_name": _value(rng, ["default", ""]), "module_id": _value(rng, ["default"]),
              "version_id": _value(rng, ["v2"]), "instance_id": _value(rng, ["42"]), "pod_name": _value(rng, ["p-1"])}
    entry: dict = {"insertId": _value(rng, [f"id{n}"]), "logName": _value(rng, ["projects/p/logs/run.googleapis.com%2Fstderr"]),
                   "timestamp": _stamp(rng), "receiveTimestamp": _stamp(rng), "severity": rng.choice(SEVERITIES),
                   "resource": {"type": _value(rng, ["cloud_run_revision", "gae_app", "gce_instance", "cloud_run_job",
                                                     "k8s_container", "cloud_function", "http_load_balancer"], 0.1),
                                "labels": {k: v for k, v in labels.items() if rng.random() < 0.6}},
                   "labels": {"instanceId": _value(rng, ["00abc", ""]), "k8s-pod/app": _value(rng, ["app", ""])},
                   "trace": _value(rng, ["projects/p/traces/abc"])}
    if rng.random() < 0.1:
        entry["labels"]["commit-sha"] = _value(rng, ["0123abcd", "1.4.2"])
    shape = rng.random()
    if shape < 0.4:
        entry["textPayload"] = _value(rng, TEXTS, 0.15)
    elif shape < 0.8:
        entry["jsonPayload"] = _payload(rng) if rng.random() < 0.9 else rng.choice(ODD)
    if rng.random() < 0.3:
        entry["httpRequest"] = {"requestMethod": _value(rng, ["GET", "POST"]), "requestUrl": _value(rng, ["https://x/a"]),
                                "status": _value(rng, [200, 404, 500, 503, 999, 0, 1000, "503"]),
                                "latency": _value(rng, ["0.020s", "1s", "abc", "s", "1e400s"]), "responseSize": "12"}
    for key in rng.sample(list(entry), rng.choice((0, 0, 0, 1, 2))):  # some fields absent, or of any type
        if rng.random() < 0.7:
            del entry[key]
        else:
            entry[key] = rng.choice(ODD + TEXTS)
    if rng.random() < 0.05:
        entry["protoPayload"] = {"methodName": "x"}
    return entry


def _line(rng: random.Random, entry: dict) -> str:
    """The entry as one line, sometimes with a key twice, a key escaped, or blanks between tokens."""
    line = json.dumps(entry, separators=(",", ":"), ensure_ascii=rng.random() < 0.3)
    roll = rng.random()
    if roll < 0.05 and '"severity":' in line:
        line = line.replace('"severity":', '"severity":"INFO","severity":', 1)  # orjson keeps the last
    elif roll < 0.1 and '"service_name":' in line:
        line = line.replace('"service_name":', '"service_name":"dup","service_name":', 1)
    elif roll < 0.13:
        line = line.replace('"textPayload"', '"text\\u0050ayload"', 1)
    elif roll < 0.16:
        line = line.replace(",", ", ").replace(":", " : ")
    return line


# The candidates as they were handed over before columns: every row's text, none plain.
TEXT_ONLY = "SELECT row, raw, false" + ", NULL" * 19 + " FROM judged WHERE kind = 0 ORDER BY row"


def with_and_without_columns(path: Path, monkeypatch, mode: str = "deploys"):
    """The engine's reading of `path` with its plain rows built from columns, and with every row read from its text."""
    with_columns = read(path, "duckdb", monkeypatch, mode)
    with monkeypatch.context() as patch:
        patch.setattr(engine, "CANDIDATES", TEXT_ONLY)
        return with_columns, read(path, "duckdb", patch, mode)


def test_randomised_entries_of_every_odd_type_read_alike(tmp_path, monkeypatch):
    rng = random.Random(24)
    path = tmp_path / "odd.jsonl"
    path.write_text("".join(_line(rng, _entry(rng, n)) + "\n" for n in range(3000)))
    plain, candidates = both_ways(path)
    assert plain > 400 and candidates - plain > 400, (plain, candidates)  # both ways taken, on many rows
    for mode in ("off", "deploys", "requests"):
        with_columns, from_texts = with_and_without_columns(path, monkeypatch, mode)
        assert with_columns == from_texts
        assert with_columns[1].notes and with_columns[1].skipped  # the odd rows noted and skipped as before


@pytest.mark.parametrize("mode", ["off", "events", "deploys", "requests"])
def test_the_engine_reads_every_bundled_export_alike_with_columns(tmp_path, monkeypatch, mode):
    """The reader as a whole, its plain rows built from columns: records, notes, skips and counts alike."""
    for path in SOURCES:
        lines = json_lines_of(path, tmp_path)
        with_columns, from_texts = with_and_without_columns(lines, monkeypatch, mode)
        assert with_columns == from_texts, path
