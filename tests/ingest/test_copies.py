"""Cloud Logging delivers at least once (issue 29, item 8): an entry written twice — a line repeated in
a file, a sink's shard delivered again — counts once, from every kind of source: a file, a directory,
standard input, gzip, byte ranges read by worker processes, and a Dask cluster."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import orjson
from conftest import ROOT, run_rca
from gcs_sink import printed_report, report, verdict
from storage_emulator import write_sink

from rca.analyze import mapping as parallel
from rca.ingest import iter_records
from rca.ingest.stats import ReadStats
from rca.ingest.unique import COPIES, HourKeys, RecentKeys

SEED = ROOT / "fixtures" / "incidents" / "missing-import" / "logs.jsonl"
LINES = SEED.read_bytes().splitlines(keepends=True)


def written_twice(lines: list[bytes]) -> tuple[bytes, int]:
    """Every 7th line written again right after itself (a retried write), and every 50th again 20
    lines later; with how many copies that makes."""
    out, later, copies = [], {}, 0
    for index, line in enumerate(lines):
        out.append(line)
        if index % 7 == 0:
            out.append(line)
            copies += 1
        if index % 50 == 0:
            later[index + 20] = line
        if index in later:
            out.append(later.pop(index))
            copies += 1
    return b"".join(out), copies


DOUBLED, COPIED = written_twice(LINES)
ALONE = report([SEED])


def test_a_file_with_lines_written_twice_gives_the_report_of_each_once(tmp_path):
    path = tmp_path / "twice.jsonl"
    path.write_bytes(DOUBLED)
    made = report([path])
    assert verdict(made) == verdict(ALONE)
    assert made["stats"]["records"] == ALONE["stats"]["records"] == 5789
    assert made["stats"]["notes"] == {COPIES: COPIED}


def test_line_numbers_after_a_copy_still_point_at_the_file(tmp_path):
    path = tmp_path / "twice.jsonl"
    path.write_bytes(DOUBLED)
    lines = DOUBLED.splitlines()
    for record in iter_records([str(path)], ReadStats()):
        assert orjson.loads(lines[record.position - 1])["insertId"] == record.insert_id


def test_gzip_and_a_directory_too(tmp_path):
    (tmp_path / "twice.jsonl.gz").write_bytes(gzip.compress(DOUBLED))
    made = report([tmp_path])
    assert verdict(made) == verdict(ALONE)
    assert made["stats"]["notes"] == {COPIES: COPIED}


def test_standard_input_too():
    piped = run_rca("analyze", "-", "--model", "none", "--format", "json", stdin=DOUBLED)
    alone = run_rca("analyze", str(SEED), "--model", "none", "--format", "json")
    assert piped.returncode == alone.returncode == 0, piped.stderr
    made, expected = json.loads(piped.stdout), json.loads(alone.stdout)
    assert [(g["label"], g["count"]) for g in made["groups"]] == [(g["label"], g["count"]) for g in expected["groups"]]
    assert made["stats"]["records"] == expected["stats"]["records"]


def test_byte_ranges_read_by_workers_count_each_copy_once(tmp_path, monkeypatch):
    """Cut in ranges a few kilobytes long: copies lie on either side of the cuts."""
    monkeypatch.setattr(parallel, "SPLIT_MIN_BYTES", 2000)
    monkeypatch.setattr(parallel, "OVERLAP_BYTES", 30_000)  # wider than the copies are apart
    path = tmp_path / "twice.jsonl"
    path.write_bytes(DOUBLED)
    assert len([part for part in parallel.plan([str(path)], 2) if part.end is not None]) >= 4
    one, ranges = report([path]), report([path], workers=2)
    assert ranges == one
    assert ranges["stats"]["notes"] == {COPIES: COPIED}


def sink_with_a_shard_delivered_again(folder: Path) -> None:
    """The seed as a sink writes it, one object per log and hour, and the stderr object written
    again as a second shard of the same hour."""
    write_sink(folder, LINES, lambda index, entry: "S0")
    stderr = next(folder.rglob("stderr/**/*_S0.json"))
    stderr.with_name(stderr.name.replace("_S0", "_S1")).write_bytes(stderr.read_bytes())


def test_a_local_copy_of_a_sink_with_a_shard_delivered_again(tmp_path):
    sink_with_a_shard_delivered_again(tmp_path)
    made = report([tmp_path])
    assert verdict(made) == verdict(ALONE)
    assert made["stats"]["notes"] == {COPIES: 1891}  # every stderr entry once more


def test_a_dask_cluster_counts_copies_as_one_process(tmp_path):
    sink = tmp_path / "sink"
    sink_with_a_shard_delivered_again(sink)
    (tmp_path / "twice.jsonl.gz").write_bytes(gzip.compress(DOUBLED))
    args = ("analyze", str(tmp_path), "--model", "none", "--format", "json")
    one, on_cluster = run_rca(*args), run_rca(*args, "--dask", "local:2")
    assert one.returncode == on_cluster.returncode == 0, on_cluster.stderr
    made, cluster_made = printed_report(one), printed_report(on_cluster)
    assert cluster_made == made
    assert made["stats"]["notes"] == {COPIES: 1891 + COPIED}
    assert made["stats"]["records"] == 2 * 5789


def test_the_recent_window_looks_back_its_width_and_no_further():
    line = b'{"insertId":"a1","textPayload":"x"}'  # 35 bytes and its newline
    lines = [line, line, b"{}" * 40, line]  # copies begin at 0, 36 and 153
    assert RecentKeys(window=100).empty_copies(list(lines), 0) == 1  # 153 - 36 > 100
    assert RecentKeys(window=120).empty_copies(list(lines), 0) == 2  # the copy at 36, emptied, still counts
    shards = HourKeys()
    assert shards.empty_copies([line], 0) == 0 and shards.empty_copies([line.replace(b'"x"', b'"y"')], 10**9) == 1
