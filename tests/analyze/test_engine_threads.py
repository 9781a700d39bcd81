"""DuckDB's threads per worker (issue 24): with `--workers N` or a Dask cluster, each worker's DuckDB
runs on its share of the cores (about cores / N), not on every core, so that N workers do not start
N × cores threads that fight for the same cores."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from rca.analyze import dask_cluster
from rca.analyze import mapping as parallel
from rca.ingest import engine

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT / "fixtures" / "incidents" / "missing-import" / "logs.jsonl"


def threads_of(connection) -> int:
    return int(connection.execute("SELECT current_setting('threads')").fetchone()[0])


def test_duckdb_runs_on_the_threads_the_variable_names(monkeypatch):
    monkeypatch.setenv(engine.THREADS_VARIABLE, "1")
    assert threads_of(engine.connect()) == 1
    monkeypatch.delenv(engine.THREADS_VARIABLE)
    assert threads_of(engine.connect()) == engine.usable_cores()
    monkeypatch.setenv(engine.THREADS_VARIABLE, "many")  # not a number: every core, as unset
    assert threads_of(engine.connect()) == engine.usable_cores()


@pytest.fixture
def recorded(tmp_path, monkeypatch):
    """The threads setting of every DuckDB connection the engine opens, in any process forked from
    this one (a pool's workers), appended to a file."""
    record = tmp_path / "threads.txt"
    original = engine.connect

    def connect():
        connection = original()
        with open(record, "a") as out:
            out.write(f"{threads_of(connection)}\n")
        return connection

    monkeypatch.setattr(engine, "connect", connect)
    monkeypatch.setenv("RCA_ENGINE", "duckdb")
    monkeypatch.delenv(engine.THREADS_VARIABLE, raising=False)
    return record


def test_each_pool_worker_gives_duckdb_its_share_of_the_cores(tmp_path, recorded):
    files = []
    for name in ("a.jsonl", "b.jsonl", "c.jsonl"):
        shutil.copy(SEED, tmp_path / name)
        files.append(str(tmp_path / name))
    parts = parallel.plan(files, 2)
    assert len(parts) == 3
    partials = list(parallel.run_parts(parts, parallel.Scope(), workers=2))
    assert sum(partial.stats.records for partial in partials) == 3 * 5789
    shares = [int(line) for line in recorded.read_text().split()]
    assert shares == [max(1, engine.usable_cores() // 2)] * 3


def test_one_process_gives_duckdb_every_core(tmp_path, recorded):
    partials = list(parallel.run_parts(parallel.plan([str(SEED)], 1), parallel.Scope(), workers=1))
    assert partials[0].stats.records == 5789
    assert [int(line) for line in recorded.read_text().split()] == [engine.usable_cores()]


def test_a_share_the_user_set_is_kept(monkeypatch):
    monkeypatch.setenv(engine.THREADS_VARIABLE, "3")
    engine.share_cores(8)
    assert engine.engine_threads() == 3


def test_a_dask_worker_shares_its_hosts_cores_among_the_tasks_there(monkeypatch):
    distributed = pytest.importorskip("distributed")
    monkeypatch.delenv(engine.THREADS_VARIABLE, raising=False)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0") as cluster, \
            distributed.Client(cluster) as client:
        sharing = dask_cluster.tasks_per_host(client)
        assert sum(sharing.values()) == 2 and len(sharing) == 1
        worker = next(iter(client.scheduler_info()["workers"]))
        assert client.submit(dask_cluster._tasks_here, sharing, workers=[worker], pure=False).result() == 2
        cores = client.submit(engine.usable_cores, workers=[worker], pure=False).result()
        client.submit(engine.share_cores, 2, workers=[worker], pure=False).result()
        assert client.submit(engine.engine_threads, workers=[worker], pure=False).result() == max(1, cores // 2)
