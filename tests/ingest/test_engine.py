"""DuckDB passes over a JSON-lines export's healthy lines (rca.ingest.engine): what reaches the rest
of the pipeline — records, positions, ReadStats — must be exactly what the Python reader gives."""

import gzip
import json
import os
import subprocess
import sys

import pytest
from conftest import FIXTURES, REAL_EXPORTS, ROOT
from conftest import read_with_engine as read

from rca.ingest import engine
from rca.ingest.prefilter import compact_cannot_matter

INCIDENTS = sorted(str(p) for p in (FIXTURES / "incidents").glob("*/logs.jsonl*"))
EXPORTS = sorted(str(p) for p in REAL_EXPORTS.glob("*") if p.suffix in (".json", ".jsonl"))


@pytest.fixture
def decoded(monkeypatch):
    return count_decoded(monkeypatch)


def count_decoded(monkeypatch) -> list[int]:
    """How many lines Python's per-line code was handed (jsonlog.read_line, the engine's only way in)."""
    calls = [0]
    original = engine.read_line

    def counting(*args):
        calls[0] += 1
        return original(*args)

    monkeypatch.setattr(engine, "read_line", counting)
    return calls


def healthy_line(n, revision="api-00001-abc"):
    """An INFO application line (request logs are always decoded: rates are counted per request)."""
    return json.dumps({"insertId": f"h{n}", "logName": "projects/p/logs/run.googleapis.com%2Fstdout",
                       "resource": {"type": "cloud_run_revision", "labels": {"service_name": "api", "revision_name": revision}},
                       "timestamp": f"2025-09-12T14:{n // 60 % 60:02d}:{n % 60:02d}.000Z", "severity": "INFO",
                       "jsonPayload": {"message": f"served /items/{n} in {n % 7} ms"}}, separators=(",", ":"))


def traceback_lines(n):
    base = {"logName": "projects/p/logs/run.googleapis.com%2Fstderr", "timestamp": f"2025-09-12T14:30:{n % 60:02d}.5Z",
            "resource": {"type": "cloud_run_revision", "labels": {"service_name": "api", "revision_name": "api-00002-xyz"}}}
    texts = ["Traceback (most recent call last):", '  File "/app/main.py", line 3, in <module>', "    import redis",
             "ModuleNotFoundError: No module named 'redis'"]
    return [json.dumps({**base, "insertId": f"t{n}-{i}", "textPayload": text}, separators=(",", ":"))
            for i, text in enumerate(texts)]


BAD_LINES = [
    b'{"severity":"ERROR","textPayload": broken',  # malformed JSON
    b'{"severity":NaN,"textPayload":"x"}',
    b'{"severity":"INFO","textPayload":"caf\xc3\xa9 ok"}',  # non-ASCII: Python decides
    b'{"severity":"INFO","textPayload":"\xff\xfe invalid utf-8"}',  # a DuckDB reject
    b'{"severity":"ERROR","textPayload":"a lone surrogate \xed\xa0\x80"}',  # rejected by DuckDB too
    b"\x00\x01\x02\x03 binary junk \x00\x00",
    b"[1, 2, 3]",  # not an object
    b'{"severity":"INFO","httpRequest":"GET /","resource":[1],"labels":"x","timestamp":12}',  # wrong types
    b'{"severity":"INFO","httpRequest":{"status":1e30},"jsonPayload":{"message":"big status"}}',
    b"# a comment line",
    b"",
    b"   \t ",
    b'{"a":' * 2000 + b"1" + b"}" * 2000,  # nested too deeply for orjson
    b'{"severity":"INFO","textPayload":"' + b"y" * (3 * 1024 * 1024) + b'"}',  # over DuckDB's line limit, not Python's
    b'{"severity":"ERROR","textPayload":"' + b"z" * (10 * 1024 * 1024) + b'"}',  # over Python's: skipped
    b'{"severity":"INFO","resource":{"labels":{"revision_name":"api-00009-new","version_id":"v9"}},"textPayload":"two keys"}',
    b'{"severity":"INFO","timestamp":"2025-09-12T14:',  # the line ends inside the stamp
]


def bad_export(path, final_newline=True):
    lines = [healthy_line(n).encode() for n in range(40)]
    for at, bad in enumerate(BAD_LINES):
        lines.insert(2 + at * 3, bad)
    lines[60:60] = [line.encode() for line in traceback_lines(1)]
    body = b"\n".join(lines) + (b"\n" if final_newline else b"")
    path.write_bytes(body)
    return len(lines)


@pytest.mark.parametrize("final_newline", [True, False])
@pytest.mark.parametrize("mode", ["deploys", "events"])
def test_bad_lines_are_found_and_counted_as_python_counts_them(tmp_path, monkeypatch, decoded, final_newline, mode):
    path = tmp_path / "bad.jsonl"
    lines = bad_export(path, final_newline)
    by_python = read(path, "python", monkeypatch, mode)
    by_engine = read(path, "duckdb", monkeypatch, mode)
    assert by_engine == by_python
    assert by_engine[1].skipped["line longer than 4 MiB"] == 1 and by_engine[1].skipped["broken JSON"] >= 2
    assert 0 < decoded[0] < lines - 30  # the healthy lines never reached Python


def test_a_gzip_export_is_read_by_the_engine_alike(tmp_path, monkeypatch, decoded):
    """DuckDB inflates a whole gzip itself: the same records and counts, its healthy lines never in Python."""
    plain = tmp_path / "bad.jsonl"
    bad_export(plain)
    packed = tmp_path / "export.bin"  # told by its magic bytes, not its name
    packed.write_bytes(gzip.compress(plain.read_bytes()))
    by_engine = read(packed, "duckdb", monkeypatch)
    assert by_engine == read(packed, "python", monkeypatch)
    assert 0 < decoded[0] < plain.read_bytes().count(b"\n") - 30


@pytest.mark.parametrize("tail", [bytes(512), b"not gzip"])
def test_a_gzip_duckdb_refuses_is_read_by_python_whole(tmp_path, monkeypatch, tail):
    """Zero padding after the last member (which `gzip -dc` ignores) and stray bytes make DuckDB fail:
    the Python reader reads the file instead, the padding ignored and the stray bytes counted."""
    plain = tmp_path / "bad.jsonl"
    bad_export(plain)
    packed = tmp_path / "export.jsonl.gz"
    packed.write_bytes(gzip.compress(plain.read_bytes()) + tail)
    assert read(packed, "duckdb", monkeypatch) == read(packed, "python", monkeypatch)


def test_a_gzip_cut_short_reads_as_far_as_python_reads_it(tmp_path, monkeypatch):
    packed = gzip.compress((FIXTURES / "incidents" / "missing-import" / "logs.jsonl").read_bytes())
    path = tmp_path / "cut.jsonl.gz"
    path.write_bytes(packed[: len(packed) // 2])
    by_engine = read(path, "duckdb", monkeypatch)
    assert by_engine == read(path, "python", monkeypatch)
    assert len(by_engine[0]) > 100 and any(reason.startswith("truncated or corrupt gzip") for reason in by_engine[1].skipped)


def test_carriage_returns_send_the_file_to_python(tmp_path, monkeypatch, decoded):
    """DuckDB ends a line at `\\r` as well: its lines would not be Python's, so Python reads the file."""
    path = tmp_path / "crlf.jsonl"
    path.write_bytes(b"\r\n".join(healthy_line(n).encode() for n in range(30)) + b"\r\n"
                     + b'{"severity":"INFO","textPayload":"a\rb"}\n' + "\n".join(traceback_lines(2)).encode())
    assert read(path, "duckdb", monkeypatch) == read(path, "python", monkeypatch)
    assert decoded[0] == 0


def test_each_revision_keeps_its_first_healthy_line(tmp_path, monkeypatch):
    """Deploys are dated by a revision's first line, healthy or not: SQL must hand it over."""
    path = tmp_path / "deploy.jsonl"
    lines = [healthy_line(n, "api-00001-abc") for n in range(20)] + [healthy_line(n, "api-00002-def") for n in range(20, 40)]
    path.write_text("\n".join(lines) + "\n")
    records, stats = read(path, "duckdb", monkeypatch)
    assert [(r[4], r[6]) for r in records] == [(1, "api-00001-abc"), (21, "api-00002-def")]
    assert (records, stats) == read(path, "python", monkeypatch)
    assert stats.records == 40 and stats.passed_first == b"2025-09-12T14:00:01"


@pytest.mark.parametrize("line", [
    b'{"severity":"INFO","httpRequest":{"status":200},"trace":"t"}',
    b'{"severity":"INFO","httpRequest":{"status":503}}',
    b'{"severity":"INFO","httpRequest":{"status":403}}',
    b'{"severity":"INFO","httpRequest":{"status":"200"}}',
    b'{"severity":"INFO","protoPayload":{"status":{"code":7}}}',
    b'{"severity":"INFO","jsonPayload":{"message":"ok"}}',
    b'{"severity":"INFO","jsonPayload":{"message":"a \\"quoted\\" word"}}',
    b'{"severity":"INFO","jsonPayload":{"message":"boom","stack_trace":"Traceback (most recent call last):\\n  File \\"x\\""}}',
    b'{"severity":"INFO","textPayload":"    client = redis.Redis()"}',
    b'{"severity":"INFO","textPayload":"\\tat Main.java"}',
    b'{"severity":"INFO","textPayload":"ValueError: bad"}',
    b'{"severity":"DEBUG","textPayload":"Function execution took 5 ms, finished with status: \'crash\'"}',
    b'{"severity":"NOTICE","textPayload":"started"}',
    b'{"textPayload":"started"}',
    b'{"severity":"ERROR","textPayload":"started"}',
    b'{"severity":"INFO","httpRequest":{"status":200},"textPayload":"a\\\\b"}',
    b'{"severity":"INFO","httpRequest":{"status":',
])
def test_sql_passes_over_exactly_the_lines_python_passes_over(tmp_path, line):
    path = tmp_path / "one.jsonl"
    path.write_bytes(line + b"\n")
    connection = engine.connect()
    try:
        judged = engine.judge(connection, str(path), compressed=False, deploys=False)
    finally:
        connection.close()
    assert (judged.rows, judged.passed) == (1, int(compact_cannot_matter(line + b"\n")))


def _report(path, engine_name):
    env = {**os.environ, "RCA_ENGINE": engine_name}
    done = subprocess.run([sys.executable, "-m", "rca", "analyze", path, "--format", "json", "--model", "none"],
                          capture_output=True, cwd=ROOT, env=env, timeout=300)
    assert done.returncode in (0, 1), done.stderr.decode()[-2000:]
    report = json.loads(done.stdout)
    report["stats"].pop("seconds")  # the run's duration: the only field that may differ
    return report


@pytest.mark.parametrize("path", INCIDENTS, ids=lambda p: "/".join(p.rsplit("/", 2)[-2:]))
def test_incident_reports_are_the_same_with_either_engine(path):
    assert _report(path, "duckdb") == _report(path, "python")


@pytest.mark.parametrize("path", EXPORTS, ids=lambda p: p.rsplit("/", 1)[-1])
def test_real_exports_read_alike_with_either_engine(path, monkeypatch, decoded):
    by_engine = read(path, "duckdb", monkeypatch)
    assert by_engine == read(path, "python", monkeypatch)
    if path.endswith(".jsonl"):  # JSON lines go through DuckDB (arrays stay with the Python reader)
        assert 0 < decoded[0] <= by_engine[1].records


@pytest.mark.parametrize("engine_name,imported", [("python", b"False"), ("", b"False"), ("duckdb", b"True")])
def test_duckdb_is_imported_only_when_it_reads(tmp_path, engine_name, imported):
    """`import rca` and the default (Python) reader do not pay DuckDB's import; RCA_ENGINE=duckdb does."""
    path = tmp_path / "small.jsonl"
    bad_export(path)
    code = ("import sys; from rca.ingest import iter_records; list(iter_records([sys.argv[1]], prefilter='deploys'));"
            "print('duckdb' in sys.modules)")
    env = {**os.environ, "RCA_ENGINE": engine_name}
    done = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, env=env, timeout=60, check=True)
    assert done.stdout.strip() == imported


def test_the_engine_never_draws_a_progress_bar_into_stdout():
    # DuckDB draws one on stdout for any query over 2 s, which lands inside `--format json` output.
    connection = engine.connect()
    try:
        assert connection.execute("SELECT current_setting('enable_progress_bar')").fetchone() == (False,)
    finally:
        connection.close()
