"""Issue 29, item 10: a log in UTF-16 or UTF-32 with a byte-order mark (PowerShell's `>`, Notepad's
"Unicode") is read as the same text in UTF-8 would be, gzipped or not, from a file or stdin; UTF-16
with no mark is refused with its name and the command that converts it, not called binary data."""

import gzip
import json

import pytest
from conftest import INCIDENT, run_rca

import rca

TEXT = (INCIDENT / "logs.jsonl").read_text(encoding="utf-8")


def analysed(folder, data: bytes, *stdin_or_name: str) -> dict:
    """The JSON report of `data` saved as logs.jsonl in `folder`, analysed from there (so that every
    path in the report is the same whatever the encoding), less the run's timing."""
    folder.mkdir()
    (folder / "logs.jsonl").write_bytes(data)
    name = stdin_or_name[0] if stdin_or_name else "logs.jsonl"
    result = run_rca("analyze", name, "--format", "json", cwd=folder,
                     stdin=data if name == "-" else None)
    assert result.returncode == 0, result.stderr.decode()
    report = json.loads(result.stdout)
    report["stats"].pop("seconds")
    return report


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be", "utf-32", "utf-32-be"])
def test_a_wide_encoding_with_a_bom_gives_the_utf8_report(tmp_path, encoding):
    data = ("\ufeff" + TEXT).encode(encoding) if encoding.endswith("-be") else TEXT.encode(encoding)
    assert data[:4] in (b"\xff\xfe{\x00", b"\xfe\xff\x00{", b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")
    expected = analysed(tmp_path / "utf-8", TEXT.encode())
    report = analysed(tmp_path / encoding, data)
    assert report == expected
    assert report["incidents"][0]["root_cause"]["exception"] == "NameError"


def test_gzipped_utf16_from_stdin_is_read(tmp_path):
    expected = analysed(tmp_path / "utf-8", TEXT.encode(), "-")
    assert analysed(tmp_path / "utf-16.gz", gzip.compress(TEXT.encode("utf-16")), "-") == expected


def test_a_powershell_text_log_is_read(tmp_path):
    lines = ["2025-09-12 14:00:01,000 INFO app: started",
             "2025-09-12 14:00:02,000 ERROR app: payment failed for café ☕",
             "Traceback (most recent call last):",
             '  File "/app/pay.py", line 9, in charge',
             "    raise ValueError('card declined')",
             "ValueError: card declined"]
    path = tmp_path / "app.log"
    path.write_bytes("\r\n".join(lines).encode("utf-16") + "\r\n".encode("utf-16-le"))
    records = list(rca.iter_records(path, rca.ReadStats()))
    assert [r.text for r in records][:2] == ["2025-09-12 14:00:01,000 INFO app: started",
                                             "2025-09-12 14:00:02,000 ERROR app: payment failed for café ☕"]
    stats = rca.ReadStats()
    events = list(rca.iter_events(path, stats))
    assert not stats.errors and any(e.traceback and e.traceback.last.type == "ValueError" for e in events)


def test_utf16_with_no_bom_is_named_not_called_binary(tmp_path):
    path = tmp_path / "nobom.jsonl"
    path.write_bytes(TEXT[:20_000].encode("utf-16-le"))
    result = run_rca("events", str(path))
    assert result.returncode == 2
    assert (f"rca: error: {path}: text in UTF-16LE with no byte-order mark: convert it to UTF-8 "
            "(iconv -f UTF-16LE -t UTF-8)") in result.stderr.decode()
