"""The map's request tallies (rca.analyze.mapping) when the engine counts healthy requests in SQL: the
same SecondCounts, deploys and window as when Python decodes every request."""

import pytest
from conftest import FIXTURES

from rca.analyze import mapping
from rca.analyze.mapping import Scope, map_inputs

INCIDENTS = sorted(str(p) for p in (FIXTURES / "incidents").glob("*/logs.jsonl"))


def mapped(path, engine_name, monkeypatch, scope=Scope()):
    monkeypatch.setenv("RCA_ENGINE", engine_name)
    partial = map_inputs([path], scope)
    requests = sorted(partial.requests.items(), key=repr) if partial.requests is not None else []
    first = {key: (record.time, record.position) for key, record in partial.first.items()}
    return requests, first, partial.start, partial.end, partial.stats.records, partial.stats.requests


@pytest.mark.parametrize("path", INCIDENTS, ids=lambda p: p.rsplit("/", 2)[-2])
def test_the_map_counts_the_same_requests_with_either_engine(path, monkeypatch):
    folded = []
    original = mapping._counting_tallied

    def noting(stats, scope, tally):
        folded.append(sum(stats.requests.values()))
        return original(stats, scope, tally)

    monkeypatch.setattr(mapping, "_counting_tallied", noting)
    by_engine = mapped(path, "duckdb", monkeypatch)
    assert by_engine == mapped(path, "python", monkeypatch)
    assert by_engine[-1] == {}  # the engine's tallies were folded into the SecondCounts and let go
    assert folded[0] > 500 and folded[1] == 0  # most requests were counted in SQL; Python counts its own


def test_a_window_that_cuts_a_second_is_counted_request_by_request(monkeypatch):
    """A second half inside the window cannot be counted by the second: then every request is decoded."""
    path = str(FIXTURES / "incidents" / "missing-import" / "logs.jsonl")
    requests = mapped(path, "python", monkeypatch)[0]
    seconds = sorted({key[0] for key, _ in requests if key[0] is not None})
    middle = seconds[len(seconds) // 2] + 0.5
    assert mapping._tally_mode(Scope(since=middle)) == "deploys"
    assert mapping._tally_mode(Scope(since=float(seconds[0]), until=None)) == "requests"
    for scope in (Scope(since=middle), Scope(until=middle), Scope(since=float(seconds[3]), until=float(seconds[-3]))):
        by_engine = mapped(path, "duckdb", monkeypatch, scope)
        assert by_engine == mapped(path, "python", monkeypatch, scope)
        assert 0 < sum(count for _, count in by_engine[0]) < sum(count for _, count in requests)


def test_a_service_scope_keeps_only_its_requests(monkeypatch):
    path = str(FIXTURES / "incidents" / "canary-crash" / "logs.jsonl")
    services = {key[1] for key, _ in mapped(path, "python", monkeypatch)[0]}
    service = sorted(services)[0]
    by_engine = mapped(path, "duckdb", monkeypatch, Scope(service=service))
    assert by_engine == mapped(path, "python", monkeypatch, Scope(service=service))
    assert {key[1] for key, _ in by_engine[0]} == {service}


@pytest.mark.parametrize("engine_name,parts", [("duckdb", 1), ("python", 4)])
def test_a_file_duckdb_reads_is_not_cut_in_byte_ranges(tmp_path, monkeypatch, engine_name, parts):
    """DuckDB spreads one file over the cores itself; the Python reader needs it cut for its processes."""
    path = tmp_path / "export.jsonl"
    path.write_bytes((FIXTURES / "incidents" / "missing-import" / "logs.jsonl").read_bytes())
    monkeypatch.setenv("RCA_ENGINE", engine_name)
    size = path.stat().st_size
    planned = mapping.plan([str(path)], workers=2, split_min=size // 8, overlap=1000)
    assert len(planned) == parts and planned[0].source == str(path)
