"""Copies of an entry in a file DuckDB reads (issue 24, issue 29 item 8): counted once, exactly as the
Python reader counts them (`unique.RecentKeys`), with the same records, positions, notes and report."""

from __future__ import annotations

import dataclasses
import gzip
import json

import pytest
from conftest import INCIDENT, run_rca

from rca.ingest import engine, iter_records
from rca.ingest.stats import ReadStats
from rca.ingest.unique import COPIES, RecentKeys

LINES = (INCIDENT / "logs.jsonl").read_bytes().splitlines(keepends=True)


def written_twice(lines: list[bytes]) -> bytes:
    """Every 5th line again right after itself, and every 40th again 30 lines later."""
    out, later = [], {}
    for index, line in enumerate(lines):
        out.append(line)
        if index % 5 == 0:
            out.append(line)
        if index % 40 == 0:
            later[index + 30] = line
        if index in later:
            out.append(later.pop(index))
    return b"".join(out)


def read(path, engine_name, monkeypatch, mode="deploys"):
    monkeypatch.setenv("RCA_ENGINE", engine_name)
    stats = ReadStats()
    records = [dataclasses.astuple(record) for record in iter_records([str(path)], stats, prefilter=mode)]
    return records, stats


def same_reading(path, monkeypatch, mode="deploys") -> ReadStats:
    """Read by both engines: the same records and positions, and the same ReadStats. Returns them."""
    expected, python_stats = read(path, "python", monkeypatch, mode)
    records, stats = read(path, "duckdb", monkeypatch, mode)
    assert records == expected
    assert stats == python_stats
    return stats


@pytest.mark.parametrize("mode", ["deploys", "events", "off"])
def test_lines_written_twice_count_once_in_the_engine(tmp_path, monkeypatch, mode):
    path = tmp_path / "twice.jsonl"
    path.write_bytes(written_twice(LINES))
    stats = same_reading(path, monkeypatch, mode) if mode != "events" else same_as_once(path, tmp_path, monkeypatch, mode)
    copies = len(path.read_bytes().splitlines()) - len(LINES)
    assert stats.notes[COPIES] == copies > 1000
    assert stats.records == len(LINES)


def same_as_once(path, tmp_path, monkeypatch, mode: str) -> ReadStats:
    """Under "events" (and "requests") DuckDB counts healthy request logs in SQL, which the Python reader
    decodes: the doubled file is compared with the file without copies, both read by DuckDB, and its
    records with the Python reader's (every one of them among those)."""
    once = tmp_path / "once.jsonl"
    once.write_bytes(b"".join(LINES))
    doubled, stats = read(path, "duckdb", monkeypatch, mode)
    alone, alone_stats = read(once, "duckdb", monkeypatch, mode)
    in_python, _ = read(path, "python", monkeypatch, mode)
    assert [record[:3] for record in doubled] == [record[:3] for record in alone]  # time, severity, text
    assert set(map(repr, doubled)) <= set(map(repr, in_python)) and len(doubled) < len(in_python)
    assert stats.records == alone_stats.records
    return stats


def test_copies_leave_the_request_tallies_made_in_sql(tmp_path, monkeypatch):
    """With the tallies made in SQL (prefilter "requests", which Python does not make), the doubled
    file gives what the file without copies gives: the same records handed over, the same tallies."""
    path, once = tmp_path / "twice.jsonl", tmp_path / "once.jsonl"
    path.write_bytes(written_twice(LINES))
    once.write_bytes(b"".join(LINES))
    doubled, doubled_stats = read(path, "duckdb", monkeypatch, "requests")
    alone, alone_stats = read(once, "duckdb", monkeypatch, "requests")
    assert sum(doubled_stats.requests.values()) > 1000
    assert doubled_stats.requests == alone_stats.requests
    assert doubled_stats.records == alone_stats.records == len(LINES)
    assert [record[2] for record in doubled] == [record[2] for record in alone]  # the texts handed over


def test_a_copy_past_the_window_is_read_again_by_both(tmp_path, monkeypatch):
    """The window is the Python reader's: a line repeated more than a MiB later is read twice by both."""
    filler = [line.replace(b'"insertId":"', b'"insertId":"f') for line in LINES]  # 4.8 MB: past the window
    first, far = LINES[0], LINES[1]
    path = tmp_path / "far.jsonl"
    path.write_bytes(b"".join([first, far, first, *filler, far]))
    stats = same_reading(path, monkeypatch)
    assert stats.notes[COPIES] == 1
    assert stats.records == len(LINES) + 3


def test_copies_without_an_insert_id_are_kept(tmp_path, monkeypatch):
    healthy = json.dumps({"insertId": "r1", "logName": "projects/p/logs/run.googleapis.com%2Frequests",
                          "resource": {"type": "cloud_run_revision", "labels": {"service_name": "api", "revision_name": "api-1"}},
                          "timestamp": "2025-09-12T14:00:01.000Z", "severity": "INFO",
                          "httpRequest": {"status": 200, "requestUrl": "/ok"}}, separators=(",", ":")).encode()
    no_id = b'{"severity":"INFO","timestamp":"2025-09-12T14:00:02Z","textPayload":"same again"}'
    rest = b"".join(LINES[:200])
    path = tmp_path / "mixed.jsonl"
    path.write_bytes(rest + (healthy + b"\n") * 3 + (no_id + b"\n") * 3 + rest)
    stats = same_reading(path, monkeypatch)
    assert stats.notes[COPIES] == 2 + 200
    assert stats.records == 200 + 1 + 3


def test_copies_among_lines_duckdb_rejects_count_once(tmp_path, monkeypatch):
    bad = b'{"insertId":"u1","severity":"ERROR","textPayload":"\xff\xfe invalid utf-8"}\n'
    path = tmp_path / "rejects.jsonl"
    path.write_bytes(b"".join(LINES[:50]) + bad + bad + b"".join(LINES[50:100]) + bad)
    stats = same_reading(path, monkeypatch)
    assert stats.notes[COPIES] == 2


def test_the_engine_finds_no_copy_where_there_is_none(tmp_path, monkeypatch):
    path = tmp_path / "once.jsonl"
    path.write_bytes(b"".join(LINES))
    stats = same_reading(path, monkeypatch)
    assert COPIES not in stats.notes


def test_the_cli_report_of_a_doubled_file_is_the_report_of_each_once(tmp_path, monkeypatch):
    path = tmp_path / "twice.jsonl"
    path.write_bytes(written_twice(LINES))
    once = tmp_path / "once.jsonl"
    once.write_bytes(b"".join(LINES))
    monkeypatch.setenv("RCA_ENGINE", "duckdb")
    doubled = run_rca("analyze", str(path), "--model", "none", "--format", "json")
    alone = run_rca("analyze", str(once), "--model", "none", "--format", "json")
    assert doubled.returncode == alone.returncode == 0, doubled.stderr
    made, expected = json.loads(doubled.stdout), json.loads(alone.stdout)
    assert [(g["label"], g["count"]) for g in made["groups"]] == [(g["label"], g["count"]) for g in expected["groups"]]
    assert made["stats"]["records"] == expected["stats"]["records"]
    assert made["stats"]["notes"][COPIES] == len(path.read_bytes().splitlines()) - len(LINES)


def test_two_lines_that_share_a_hash_are_not_copies(monkeypatch):
    """A hash hit compares the lines themselves: with every line hashed alike, only equal lines are copies."""
    class Colliding(bytes):
        def __hash__(self):
            return 7

    one, other = Colliding(b'{"insertId":"a","textPayload":"x"}'), Colliding(b'{"insertId":"b","textPayload":"y"}')
    lines = [one, other, Colliding(bytes(one))]
    assert RecentKeys().empty_copies(lines, 0) == 1
    assert lines == [one, other, b""]


def test_engine_module_keeps_copies_out_of_gzip_too(tmp_path, monkeypatch):
    """A gzip export read with the engine forced counts its copies once as well."""
    path = tmp_path / "twice.jsonl.gz"
    path.write_bytes(gzip.compress(written_twice(LINES)))
    stats = same_reading(path, monkeypatch)
    assert stats.notes[COPIES] > 1000
    assert engine.engine_name() == "duckdb"
