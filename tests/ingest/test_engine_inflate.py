"""A gzipped export is inflated once into a plain file that DuckDB reads on every core
(rca.ingest.engine_inflate): the same records and counts as the Python reader, the plain file
removed when the read ends, and the gzip read as it is when the disk has no room for it."""

import gzip
import os
import tempfile

import pytest
from conftest import read_with_engine as read
from test_engine import bad_export

from rca.ingest import engine, engine_inflate
from rca.ingest.stats import ReadStats


@pytest.fixture(autouse=True)
def _own_temp_folder(tmp_path, monkeypatch):
    """The copies are looked for in a folder of the test's own: another read on the machine (a test
    run beside this one) makes and removes its own in the shared temporary folder meanwhile."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))


def _packed(tmp_path):
    plain = tmp_path / "bad.jsonl"
    bad_export(plain)
    packed = tmp_path / "export.jsonl.gz"
    packed.write_bytes(gzip.compress(plain.read_bytes()))
    return packed


def _judged_paths(monkeypatch) -> list[str]:
    """The paths DuckDB is asked to read."""
    paths = []
    original = engine.judge

    def noting(connection, source, *args, **kwargs):
        paths.append(source)
        return original(connection, source, *args, **kwargs)

    monkeypatch.setattr(engine, "judge", noting)
    return paths


def _inflated_files() -> set[str]:
    return {name for name in os.listdir(tempfile.gettempdir()) if name.startswith("rca-inflated-")}


def test_a_gzip_is_read_by_duckdb_as_a_plain_file_then_removed(tmp_path, monkeypatch):
    packed = _packed(tmp_path)
    before = _inflated_files()
    paths = _judged_paths(monkeypatch)
    by_engine = read(packed, "duckdb", monkeypatch)
    assert by_engine == read(packed, "python", monkeypatch)
    assert len(paths) == 1 and paths[0] != str(packed) and os.path.basename(paths[0]).startswith("rca-inflated-")
    assert by_engine[1].skipped["broken JSON"] >= 2
    assert _inflated_files() == before  # removed once the read ended


def test_without_room_on_the_disk_duckdb_inflates_the_gzip_itself(tmp_path, monkeypatch):
    packed = _packed(tmp_path)
    monkeypatch.setattr(engine_inflate, "ROOM_RATIO", 10**15)
    paths = _judged_paths(monkeypatch)
    by_engine = read(packed, "duckdb", monkeypatch)
    assert by_engine == read(packed, "python", monkeypatch)
    assert paths == [str(packed)]


def test_a_damaged_gzip_leaves_no_plain_file_and_python_reads_it(tmp_path, monkeypatch):
    packed = _packed(tmp_path)
    whole = packed.read_bytes()
    packed.write_bytes(whole[: len(whole) * 2 // 3])
    before = _inflated_files()
    paths = _judged_paths(monkeypatch)
    by_engine = read(packed, "duckdb", monkeypatch)
    assert by_engine == read(packed, "python", monkeypatch)
    assert paths == [] and _inflated_files() == before
    assert any(reason.startswith("truncated or corrupt gzip") for reason in by_engine[1].skipped)


def test_the_plain_file_is_removed_when_the_read_fails_before_duckdb_starts(tmp_path, monkeypatch):
    """Every exit removes the inflated copy: here the engine's passes cannot be set up (a file
    descriptor short, say) right after the gzip was inflated."""
    packed = _packed(tmp_path)

    def failing(*args):
        raise OSError("Too many open files")

    monkeypatch.setattr(engine, "Passes", failing)
    monkeypatch.setenv("RCA_ENGINE", "duckdb")
    with pytest.raises(OSError):
        list(engine.read_json_lines_in_engine(open(packed, "rb"), str(packed), ReadStats(), "deploys"))
    assert _inflated_files() == set()


def _inflate_and_wait(packed: str, made) -> None:
    """A worker in the middle of reading a gzip: its plain copy made, its read not over."""
    import time

    engine_inflate.inflate(packed)
    made.set()
    time.sleep(60)


def test_a_worker_ended_by_its_parent_leaves_no_plain_file(tmp_path):
    """The parent ends its workers with SIGTERM, which ends a worker at once (rca.analyze.mapping): no
    `finally` of the worker's runs, so the parent removes the copies its ended workers made."""
    import multiprocessing

    from rca.cli import _end_worker_processes

    packed = _packed(tmp_path)
    context = multiprocessing.get_context("fork")  # the worker sees this test's temporary folder
    made = context.Event()
    worker = context.Process(target=_inflate_and_wait, args=(str(packed), made))
    worker.start()
    try:
        assert made.wait(60)
        assert len(_inflated_files()) == 1
        _end_worker_processes()
        assert not worker.is_alive() and worker.exitcode == -15
        assert _inflated_files() == set()
    finally:
        worker.kill()
        worker.join(5)
