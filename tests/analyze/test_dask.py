"""Past one machine (issue 15): the map of every part on a Dask cluster — here a LocalCluster of two
worker processes — merged on the client, gives the report of a one-process run, from a log sink's
bucket (in the local Cloud Storage emulator, which the workers read themselves) and from local files."""

from __future__ import annotations

import shutil
from pathlib import Path

import orjson
import pytest
from conftest import run_rca
from gcs_sink import report

import rca
from rca.analyze import mapping as parallel
from rca.ingest.gcs import hour_groups, list_objects

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT / "fixtures" / "incidents" / "missing-import" / "logs.jsonl"


@pytest.fixture(scope="module")
def client(sink):  # noqa: F811 - after the emulator: the workers inherit STORAGE_EMULATOR_HOST
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0") as cluster, \
            Client(cluster) as made:
        yield made


def test_a_local_cluster_reads_the_bucket_like_one_process(sink, client):  # noqa: F811
    from distributed import get_task_stream

    sources = ["gs://sink-a", "gs://sink-b"]
    with get_task_stream(client) as stream:
        on_cluster = report(sources, client=client)
    assert on_cluster == report(sources, workers=1)
    parts = hour_groups([item for prefix in sources for item in list_objects(prefix)])
    maps = [task for task in stream.data if task["key"].startswith("map_part")]
    assert len(maps) == len(parts) == 7  # one task per log and hour (4 logs; 3 hours of one), run by the workers
    assert {task["worker"] for task in maps} == set(client.nthreads())  # both of them
    assert on_cluster["incidents"][0]["root_cause"]["class"] == "missing_import"


def test_a_local_cluster_reads_a_multi_file_export_and_its_byte_ranges(client, tmp_path, monkeypatch):
    """Files of two incidents, one gzipped, and a large one cut in byte ranges (at a few kilobytes
    here, with margins that tracebacks cross), as in test_parallel."""
    monkeypatch.setattr(parallel, "SPLIT_MIN_BYTES", 2000)
    monkeypatch.setattr(parallel, "OVERLAP_BYTES", 30_000)
    lines = SEED.read_bytes().splitlines(keepends=True)
    for index in range(3):
        (tmp_path / f"part-{index}.json").write_bytes(b"".join(lines[index * len(lines) // 3:(index + 1) * len(lines) // 3]))
    shutil.copy(ROOT / "fixtures" / "incidents" / "db-failure" / "logs.jsonl", tmp_path / "other.jsonl")
    shutil.copy(ROOT / "fixtures" / "incidents" / "missing-import" / "logs.jsonl.gz", tmp_path / "seed-again.jsonl.gz")
    assert any(part.end is not None for part in parallel.plan(sorted(map(str, tmp_path.iterdir())), 2))
    one = report([str(tmp_path)], workers=1)
    assert report([str(tmp_path)], client=client) == one
    assert len(one["stats"]["sources"]) == 5


def test_the_python_api_takes_a_client(client):
    result = rca.analyze(str(SEED), model=None, client=client)
    assert result.incidents[0].root_cause["class"] == "missing_import"


def test_the_cli_starts_a_local_cluster_and_reports_as_one_process():
    on_cluster = run_rca("analyze", str(SEED), "--dask", "local:2", "--model", "none", "--format", "json")
    alone = run_rca("analyze", str(SEED), "--workers", "1", "--model", "none", "--format", "json")
    assert on_cluster.returncode == alone.returncode == 0, on_cluster.stderr.decode()
    made, expected = orjson.loads(on_cluster.stdout), orjson.loads(alone.stdout)
    for each in (made, expected):
        each.pop("seconds", None)
        each["stats"].pop("seconds", None)
    assert made == expected


def test_a_malformed_local_cluster_is_one_line():
    done = run_rca("analyze", str(SEED), "--dask", "local:none", "--model", "none")
    assert done.returncode == 2
    assert done.stderr.decode().strip() == "rca: error: --dask local:none: expected local:N with N workers, e.g. local:4"
