"""Issue 24: under the prefilter "events" (`rca events`, `rca.iter_events`) the engine counts healthy
request logs in SQL, as it does for the analysis, without keeping their per-second tally: Python is
handed no more lines than `rca analyze` hands it, and the events are the ones the Python reader finds."""

from __future__ import annotations

import importlib.util
import json

import pytest
from conftest import ROOT, run_rca
from test_engine import count_decoded

from rca.ingest import iter_records
from rca.ingest.stats import ReadStats


@pytest.fixture(scope="module")
def flood_file(tmp_path_factory):
    """A small error flood (benchmarks/flood.py): healthy request logs between thousands of error kinds."""
    spec = importlib.util.spec_from_file_location("rca_bench_flood_events", ROOT / "benchmarks" / "flood.py")
    flood = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(flood)
    path = tmp_path_factory.mktemp("flood-events") / "flood.jsonl"
    flood.write_flood(path, entries=8_000)
    return path


def handed_and_stats(path, mode: str, monkeypatch) -> tuple[int, ReadStats]:
    """How many lines DuckDB handed Python's per-line code, and the ReadStats, under the prefilter `mode`."""
    monkeypatch.setenv("RCA_ENGINE", "duckdb")
    decoded = count_decoded(monkeypatch)
    stats = ReadStats()
    for _ in iter_records([str(path)], stats, prefilter=mode):
        pass
    return decoded[0], stats


def test_events_mode_hands_python_what_the_analysis_does_and_keeps_no_tally(flood_file, monkeypatch):
    events_handed, events_stats = handed_and_stats(flood_file, "events", monkeypatch)
    requests_handed, requests_stats = handed_and_stats(flood_file, "requests", monkeypatch)
    assert events_handed == requests_handed  # before: every request log too (~2x on the 200k flood)
    assert len(requests_stats.requests) > 0 and len(events_stats.requests) == 0
    assert events_stats.records == requests_stats.records == 8_000


def events_of(path, engine_name: str, monkeypatch, output_format: str = "jsonl") -> list[bytes]:
    monkeypatch.setenv("RCA_ENGINE", engine_name)
    result = run_rca("events", str(path), "--format", output_format)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_rca_events_prints_the_python_readers_events_and_the_analysis_count(flood_file, monkeypatch):
    in_engine = events_of(flood_file, "duckdb", monkeypatch).splitlines()
    in_python = events_of(flood_file, "python", monkeypatch).splitlines()
    assert len(in_engine) > 1_000
    assert sorted(in_engine) == sorted(in_python)  # the same events; only the order they close may differ
    table = json.loads(events_of(flood_file, "duckdb", monkeypatch, "json"))
    assert table["stats"]["records"] == 8_000 and table["stats"]["events"] == len(in_engine)
    monkeypatch.setenv("RCA_ENGINE", "duckdb")
    analysis = run_rca("analyze", str(flood_file), "--format", "json", "--model", "none")
    assert analysis.returncode == 0, analysis.stderr
    assert json.loads(analysis.stdout)["stats"]["events"] == len(in_engine)
