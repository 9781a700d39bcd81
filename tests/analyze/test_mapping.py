"""Map, merge, decide (issue 15): a report made by several processes, over files and byte ranges of
one file, is the report one process makes (timings apart)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from rca.analyze import analysis as analysis_module
from rca.analyze import mapping as parallel
from rca.analyze.analysis import analyze
from rca.report.markdown import to_dict

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT / "fixtures" / "incidents" / "missing-import" / "logs.jsonl"


def report(inputs, workers: int, **options) -> dict:
    made = to_dict(analyze(inputs, workers=workers, model=None, **options), redacted=False)
    made.pop("seconds", None)
    made.get("stats", {}).pop("seconds", None)
    return made


@pytest.fixture
def small_ranges(monkeypatch):
    """Cut files of a few kilobytes, with margins small enough that tracebacks cross the cuts."""
    monkeypatch.setattr(parallel, "SPLIT_MIN_BYTES", 2000)
    monkeypatch.setattr(parallel, "OVERLAP_BYTES", 30_000)


def test_byte_ranges_of_the_seed_give_the_one_process_report(small_ranges):
    parts = parallel.plan([str(SEED)], 2)
    assert len(parts) >= 4 and all(p.reader == "jsonl" for p in parts)
    one = report([str(SEED)], 1)
    assert report([str(SEED)], 2) == one
    assert one["incidents"][0]["root_cause"]["class"] == "missing_import"


def test_a_traceback_across_a_cut_is_stitched_once(monkeypatch, small_ranges, tmp_path):
    """Cut right inside the first stitched traceback: the owner of its first line reads it whole."""
    lines = SEED.read_bytes().splitlines(keepends=True)
    at = next(i for i, line in enumerate(lines) if b"Traceback (most recent call last)" in line)
    cut = sum(len(line) for line in lines[:at + 2])
    path = tmp_path / "logs.jsonl"
    path.write_bytes(b"".join(lines))
    planned = []

    def two_parts(files, workers):
        planned.append(files)
        return [parallel.Part(str(path), 0, cut, "jsonl", 50_000),
                parallel.Part(str(path), cut, path.stat().st_size, "jsonl", 50_000)]

    monkeypatch.setattr(analysis_module, "plan", two_parts)
    assert report([str(path)], 2) == report([str(path)], 1)
    assert planned == [[str(path)]]


def test_a_multi_file_export_gives_the_one_process_report(small_ranges, tmp_path):
    """Hourly-like files of two incidents, one of them gzipped, read by two processes."""
    lines = SEED.read_bytes().splitlines(keepends=True)
    for index in range(3):
        (tmp_path / f"part-{index}.json").write_bytes(b"".join(lines[index * len(lines) // 3:(index + 1) * len(lines) // 3]))
    shutil.copy(ROOT / "fixtures" / "incidents" / "db-failure" / "logs.jsonl", tmp_path / "other.jsonl")
    shutil.copy(ROOT / "fixtures" / "incidents" / "missing-import" / "logs.jsonl.gz", tmp_path / "seed-again.jsonl.gz")
    one = report([str(tmp_path)], 1)
    assert report([str(tmp_path)], 2) == one
    assert len(one["stats"]["sources"]) == 5


def test_a_text_log_cut_in_ranges_gives_the_one_process_report(small_ranges, tmp_path):
    text = b"".join((ROOT / "fixtures" / "formats" / name).read_bytes() for name in ("python-logging.log", "gunicorn.log"))
    path = tmp_path / "service.log"
    path.write_bytes(text * 4)
    assert any(p.reader == "text" for p in parallel.plan([str(path)], 2))
    assert report([str(path)], 2) == report([str(path)], 1)


def test_the_map_is_a_picklable_module_function():
    import pickle

    part, scope = parallel.Part(str(SEED)), parallel.Scope()
    assert pickle.loads(pickle.dumps(parallel.map_part)) is parallel.map_part
    partial = pickle.loads(pickle.dumps(parallel.map_part(part, scope)))
    assert partial.groups and partial.stats.records > 0


def test_the_map_counts_every_request_per_service_and_second_and_ranges_add_up(small_ranges):
    """Rates are per request (issue 25): the map tallies every request record, healthy 200s that the
    prefilter used to pass over included, and byte ranges count each request once."""
    from rca.ingest.stats import ReadStats

    whole = parallel.map_inputs([str(SEED)], parallel.Scope(), ReadStats())
    lines = [line for line in SEED.read_text().splitlines() if '"httpRequest"' in line]
    healthy = [line for line in lines if '"status":200' in line.replace(" ", "")]
    assert healthy and sum(whole.requests.by_lane().values()) == len(lines)
    parts = [parallel.map_part(part, parallel.Scope()) for part in parallel.plan([str(SEED)], 2)]
    merged = parallel.merge_partials(parts, ReadStats())
    assert len(parts) >= 4 and sorted(merged.requests.items()) == sorted(whole.requests.items())
