"""Bad input gets a clear error or a counted skip: never a crash, never silent loss."""

import gzip
import json

import pytest
from conftest import INCIDENT, run_rca

import rca

GOOD_LINES = (INCIDENT / "logs.jsonl").read_bytes().splitlines(keepends=True)[:200]


def read(path):
    stats = rca.ReadStats()
    records = list(rca.iter_records(path, stats))
    return records, stats


def test_truncated_gzip_keeps_what_was_read_and_counts_the_cut(tmp_path):
    whole = gzip.compress(b"".join(GOOD_LINES))
    path = tmp_path / "cut.jsonl.gz"
    path.write_bytes(whole[: len(whole) // 2])
    records, stats = read(path)
    assert 0 < len(records) < 200
    assert any("truncated or corrupt gzip" in reason for reason in stats.skipped)


def test_corrupt_gzip_is_counted_not_a_crash(tmp_path):
    """Zeros written over the middle of the stream (ISA-L inflates it: the damage shows as broken
    lines and a failed CRC, both counted)."""
    whole = bytearray(gzip.compress(b"".join(GOOD_LINES)))
    whole[len(whole) // 2: len(whole) // 2 + 200] = bytes(200)
    path = tmp_path / "corrupt.jsonl.gz"
    path.write_bytes(bytes(whole))
    records, stats = read(path)
    assert 0 < len(records) < 200
    assert any("truncated or corrupt gzip" in reason for reason in stats.skipped)


def test_broken_json_line_is_skipped_with_its_position(tmp_path):
    path = tmp_path / "broken.jsonl"
    path.write_bytes(b"".join(GOOD_LINES[:10]) + b'{"insertId": "x", "textPayload": \n' + b"".join(GOOD_LINES[10:20]))
    records, stats = read(path)
    assert len(records) == 20
    assert stats.skipped == {"broken JSON": 1}
    assert stats.examples["broken JSON"] == [f"{path}:11"]
    assert stats.records == 21  # the totals add up: read = kept + skipped


def test_binary_junk_lines_inside_a_text_log_are_counted(tmp_path):
    path = tmp_path / "app.log"
    path.write_bytes(b"2025-09-12 14:00:00,000 ERROR boom\n\x00\x01\x02\x03junk\xff\xfe\n2025-09-12 14:00:01,000 INFO ok\n")
    records, stats = read(path)
    assert [r.severity for r in records] == ["ERROR", "INFO"]
    assert stats.skipped == {"binary data in a text log": 1}


def test_a_binary_file_is_refused_with_one_line_and_exit_2(tmp_path):
    path = tmp_path / "core.dump"
    path.write_bytes(bytes(range(256)) * 64)
    result = run_rca("events", str(path))
    assert result.returncode == 2
    assert f"rca: error: {path}: binary data" in result.stderr.decode()
    assert b"Traceback" not in result.stderr


def test_ten_megabyte_line_is_skipped_and_the_rest_read(tmp_path):
    path = tmp_path / "huge.jsonl"
    huge = json.dumps({"textPayload": "x" * (10 * 1024 * 1024), "severity": "ERROR"}).encode() + b"\n"
    path.write_bytes(b"".join(GOOD_LINES[:5]) + huge + b"".join(GOOD_LINES[5:10]))
    records, stats = read(path)
    assert len(records) == 10
    assert stats.skipped == {"line longer than 4 MiB": 1}


def test_invalid_utf8_in_json_lines_is_a_counted_skip(tmp_path):
    path = tmp_path / "bad-utf8.jsonl"
    path.write_bytes(GOOD_LINES[0] + b'{"textPayload": "caf\xe9 \xff", "severity": "ERROR"}\n' + GOOD_LINES[1])
    records, stats = read(path)
    assert len(records) == 2 and stats.skipped == {"invalid UTF-8": 1}


def test_invalid_utf8_in_a_text_log_is_repaired_and_noted(tmp_path):
    path = tmp_path / "latin1.log"
    path.write_bytes("2025-09-12 14:00:00,000 ERROR caf\u00e9 failed\n".encode("latin-1"))
    records, stats = read(path)
    assert records[0].text.endswith("caf\ufffd failed")
    assert stats.notes == {"invalid UTF-8 replaced": 1}


def test_empty_file_reads_nothing_and_says_so(tmp_path):
    path = tmp_path / "empty.json"
    path.write_bytes(b"")
    records, stats = read(path)
    assert records == [] and stats.notes == {"empty source": 1} and not stats.errors


def test_json_array_cut_in_the_middle_keeps_whole_entries(tmp_path):
    text = (INCIDENT / "gcloud-read.json").read_text()
    path = tmp_path / "cut.json"
    path.write_text(text[: len(text) // 2])
    records, stats = read(path)
    assert len(records) > 10
    assert stats.skipped == {"JSON array cut short inside an entry": 1}


def test_compact_json_array_cut_in_the_middle(tmp_path):
    entries = [json.loads(line) for line in GOOD_LINES[:50]]
    text = json.dumps(entries)
    path = tmp_path / "cut-compact.json"
    path.write_text(text[: len(text) // 2])
    records, stats = read(path)
    assert 10 < len(records) < 50
    assert len(stats.skipped) == 1 and next(iter(stats.skipped)).startswith("JSON array broken or cut short")


def test_missing_file_is_one_line_and_exit_2(tmp_path):
    result = run_rca("events", str(tmp_path / "nope.jsonl"))
    assert result.returncode == 2
    assert result.stderr.decode().strip() == f"rca: error: {tmp_path / 'nope.jsonl'}: no such file or directory"


def test_glob_matching_nothing_is_an_error(tmp_path):
    with pytest.raises(rca.InputError, match="no file matches"):
        list(rca.iter_records(str(tmp_path / "*.json.gz")))
