"""Issue 29, item 5: a gzip cut mid-member (a download stopped, a disk filled) gives every line that
inflates before the cut, as `gzip -dc` recovers them, and the cut is one skip with its reason: the
records read are the lines `gzip -dc` writes, the one it cut included, and nothing else is skipped."""

import gzip
import shutil
import subprocess

import pytest
from conftest import INCIDENT, run_rca

import rca

LINES = (INCIDENT / "logs.jsonl").read_bytes()
CUT_REASON = "truncated or corrupt gzip (cut short: the file ends inside a gzip member)"


def gzip_dc(path) -> bytes:
    """What the gzip tool recovers from a damaged file (it says so on stderr and exits 1)."""
    if shutil.which("gzip") is None:
        pytest.skip("no gzip tool")
    return subprocess.run(["gzip", "-dc", str(path)], capture_output=True).stdout


def read(path):
    stats = rca.ReadStats()
    records = list(rca.iter_records(path, stats))
    return records, stats


@pytest.mark.parametrize("share", [0.1, 0.37, 0.5, 0.83, 0.999])
def test_every_line_before_the_cut_is_read_and_the_cut_is_one_skip(tmp_path, share):
    whole = gzip.compress(LINES)
    path = tmp_path / "cut.jsonl.gz"
    path.write_bytes(whole[: int(len(whole) * share)])
    recovered = gzip_dc(path)
    whole_lines = recovered.count(b"\n")
    records, stats = read(path)
    plain = tmp_path / "recovered.jsonl"
    plain.write_bytes(recovered[: recovered.rfind(b"\n") + 1])  # the whole lines gzip -dc recovers
    expected, _ = read(plain)
    assert [(r.position, r.insert_id) for r in records] == [(r.position, r.insert_id) for r in expected]
    assert dict(stats.skipped) == {CUT_REASON: 1}
    assert stats.records == whole_lines + (not recovered.endswith(b"\n"))  # the cut line is the one skipped


def test_the_cli_summary_counts_what_gzip_recovers(tmp_path):
    whole = gzip.compress(LINES)
    path = tmp_path / "cut.jsonl.gz"
    path.write_bytes(whole[: len(whole) // 2])
    lines = len(gzip_dc(path).splitlines())  # the whole lines and the cut one
    result = run_rca("events", str(path), "--format", "jsonl")
    summary = result.stderr.decode().splitlines()[0]
    assert summary.startswith(f"{lines:,} records read from 1 source(s)")
    assert f"1 skipped — {CUT_REASON}: 1" in summary


def test_a_cut_text_log_keeps_its_lines_too(tmp_path):
    text = "".join(f"2025-09-12 14:00:{i % 60:02d},000 INFO app: request {i} served\n" for i in range(40_000)).encode()
    whole = gzip.compress(text)
    path = tmp_path / "app.log.gz"
    path.write_bytes(whole[: len(whole) * 2 // 3])
    recovered = gzip_dc(path)
    _, stats = read(path)
    assert stats.records == recovered.count(b"\n") + 1 and dict(stats.skipped) == {CUT_REASON: 1}


def test_members_and_zero_padding_are_read_whole_and_stray_bytes_are_counted(tmp_path):
    half = LINES.index(b"\n", len(LINES) // 2) + 1
    members = gzip.compress(LINES[:half]) + gzip.compress(LINES[half:])
    path = tmp_path / "members.jsonl.gz"
    path.write_bytes(members + bytes(512))  # padding, as a tape or a pre-allocated file leaves
    _, stats = read(path)
    assert stats.records == LINES.count(b"\n") and not stats.skipped
    path.write_bytes(members + b"not gzip")
    _, stats = read(path)
    assert stats.records == LINES.count(b"\n") and dict(stats.skipped) == {
        "truncated or corrupt gzip (stray bytes after the gzip data)": 1}


@pytest.mark.parametrize("share", [0.3, 0.95])
def test_a_damaged_member_gives_every_line_that_inflates(tmp_path, share):
    """One bit flipped: the inflater still makes lines (some broken) and then fails the CRC. Every
    line it made is read, as `gzip -dc` writes them; the failed check is one skip."""
    whole = bytearray(gzip.compress(LINES))
    whole[int(len(whole) * share)] ^= 0x01
    path = tmp_path / "flipped.jsonl.gz"
    path.write_bytes(bytes(whole))
    _, stats = read(path)
    assert stats.records == len(gzip_dc(path).splitlines())
    assert [count for reason, count in stats.skipped.items() if reason.startswith("truncated or corrupt gzip")] == [1]
