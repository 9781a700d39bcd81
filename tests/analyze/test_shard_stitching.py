"""Stitching across the shards of a log sink (issue 24): a traceback that Cloud Run split one line per
entry, whose lines a sink wrote to two shards of one hour (`…_S0.json` and `…_S1.json`), is one event,
read by one process, by worker processes or on a Dask cluster; files that are not a sink's shards
stay streams of their own."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import ROOT, run_rca
from gcs_sink import printed_report, report, verdict
from storage_emulator import write_sink

from rca.analyze import mapping as parallel

SEED = ROOT / "fixtures" / "incidents" / "missing-import" / "logs.jsonl"


def alternating(index: int, entry: dict) -> str:
    """Every other entry of the stderr log to the second shard: each traceback straddles the two."""
    return f"S{index % 2}" if entry["logName"].endswith("stderr") else "S0"


@pytest.fixture
def sink(tmp_path) -> Path:
    folder = tmp_path / "sink"
    objects = write_sink(folder, SEED.read_bytes().splitlines(keepends=True), alternating)
    assert sum("stderr" in str(path) for path in objects) == 2  # S0 and S1 of one hour
    return folder


def groups_of(made: dict) -> list[tuple]:
    return sorted((group["label"], group["count"]) for group in made["groups"])


def test_a_traceback_across_two_shards_is_one_event_as_in_one_file(sink):
    from_file, from_sink = report([SEED]), report([sink])
    assert groups_of(from_sink) == groups_of(from_file)
    assert not any("<truncated>" in group["label"] for group in from_sink["groups"])
    assert verdict(from_sink, keep_notes=True) == verdict(from_file, keep_notes=True)
    assert from_sink["incidents"][0]["root_cause"]["class"] == "missing_import"


def test_workers_and_one_process_read_the_shards_alike(sink, monkeypatch):
    monkeypatch.setattr(parallel, "SPLIT_MIN_BYTES", 2000)  # worth two processes, files this small
    parts = parallel.plan(sorted(str(path) for path in sink.rglob("*.json")), 2)
    assert [len(part.objects) for part in parts if "stderr" in part.source] == [2]  # the hour's shards: one part
    assert report([sink], workers=2) == report([sink], workers=1)


def test_a_dask_cluster_reads_the_shards_as_one_process(sink):
    one = run_rca("analyze", str(sink), "--model", "none", "--format", "json")
    on_cluster = run_rca("analyze", str(sink), "--model", "none", "--format", "json", "--dask", "local:2")
    assert one.returncode == on_cluster.returncode == 0, on_cluster.stderr
    made, cluster_made = printed_report(one), printed_report(on_cluster)
    assert cluster_made == made
    assert not any("<truncated>" in group["label"] for group in made["groups"])


def test_files_that_are_not_shards_stay_streams_of_their_own(tmp_path, monkeypatch):
    """Two exports of the same service and time, not a sink's layout: each is stitched on its own
    (their lines never interleave into one traceback), whichever way they are read."""
    lines = SEED.read_bytes().splitlines(keepends=True)
    first, second = tmp_path / "first.jsonl", tmp_path / "second.jsonl"
    first.write_bytes(b"".join(lines))
    second.write_bytes(b"".join(line.replace(b'"insertId":"', b'"insertId":"again-') for line in lines))
    alone = report([SEED])
    both = report([first, second])
    assert sorted((label, count * 2) for label, count in groups_of(alone)) == groups_of(both)
    monkeypatch.setattr(parallel, "SPLIT_MIN_BYTES", 2000)
    assert report([first, second], workers=2) == both
