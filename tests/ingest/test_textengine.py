"""Plain-text logs read by DuckDB (rca.ingest.textengine) give what the Python reader gives: every
record Python's per-line code is handed is the one the Python reader makes of that line, the lines
passed over in SQL could not take part in an event, and the counts, skips (reasons and positions),
events and reports are the same."""

import dataclasses
import json
import pathlib

import pytest
from conftest import run_rca

from rca.events.error_event import events_from_records
from rca.ingest import iter_records, textengine
from rca.ingest.record import ERROR_RANK, has_log_prefix
from rca.ingest.stats import ReadStats

ROOT = pathlib.Path(__file__).resolve().parents[2]
TEXT_FIXTURES = sorted(str(path.relative_to(ROOT)) for path in ROOT.glob("fixtures/**/*.log"))


@pytest.fixture
def fallbacks(monkeypatch):
    """The files the engine gave back to the Python reader whole."""
    given: list[str] = []
    original = textengine.read_text

    def noting(stream, source, stats):
        given.append(source)
        return original(stream, source, stats)

    monkeypatch.setattr(textengine, "read_text", noting)
    return given


def read(path, engine, monkeypatch):
    monkeypatch.setenv("RCA_ENGINE", engine)
    stats = ReadStats()
    records = list(iter_records([str(path)], stats, prefilter="events"))
    events = [[(r.position, r.time, r.severity, r.text) for r in event.records]
              for event in events_from_records(iter_records([str(path)], ReadStats(), prefilter="events"))]
    return records, stats, events


def assert_alike(path, monkeypatch) -> tuple[int, int]:
    """Both readers agree on `path`; (records Python made, records the engine handed to Python)."""
    python, python_stats, python_events = read(path, "python", monkeypatch)
    engine, engine_stats, engine_events = read(path, "duckdb", monkeypatch)
    assert engine_stats.as_dict() == python_stats.as_dict()
    by_position = {record.position: dataclasses.astuple(record) for record in python}
    assert [dataclasses.astuple(record) for record in engine] == [by_position[record.position] for record in engine]
    handed = {record.position for record in engine}
    for record in python:
        if record.position not in handed:  # passed over in SQL: a quiet line that opens a record of its own
            assert record.severity_rank < ERROR_RANK and record.http_status is None and record.time is not None
            assert has_log_prefix(record.text) and "\n" not in record.text
    assert engine_events == python_events
    return len(python), len(engine)


@pytest.mark.parametrize("fixture", TEXT_FIXTURES)
def test_every_text_fixture_reads_alike(fixture, monkeypatch):
    assert_alike(ROOT / fixture, monkeypatch)


STAMP = "2025-09-12 14:{:02d}:{:02d},{:03d}"


def logging_shape(lines: int = 3000) -> list[str]:
    """Python logging with announced tracebacks, chained ones, bare continuations, blank lines,
    requests, warnings, and lines with no stamp at the top (they take the first stamp after them)."""
    out = ["starting up", "  config loaded from /etc/app.toml"]
    for n in range(lines):
        ms = n * 37
        stamp = STAMP.format(ms // 60000 % 60, ms // 1000 % 60, ms % 1000)
        if n % 97 == 5:
            out += [f"{stamp} ERROR app.api: Exception on /orders/{n} [GET]", "Traceback (most recent call last):",
                    '  File "/app/api.py", line 10, in get', "    return rows[0]", "IndexError: list index out of range"]
        elif n % 131 == 7:
            out += ["Traceback (most recent call last):", '  File "/app/db.py", line 3, in q', "    raise KeyError(k)",
                    "KeyError: 'total'", "", "During handling of the above exception, another exception occurred:", "",
                    "Traceback (most recent call last):", '  File "/app/api.py", line 9, in h', "    q()",
                    "RuntimeError: lookup failed"]
        elif n % 53 == 3:
            out.append(f'{stamp} INFO uvicorn.access: 10.0.0.{n % 250}:5000 - "GET /items/{n} HTTP/1.1" {500 if n % 2 else 404}')
        elif n % 41 == 2:
            out += [f"{stamp} WARNING app.cache: slow lookup", "    continued on a second line"]
        elif n % 29 == 1:
            out.append("")
        else:
            out.append(f"{stamp} {'DEBUG' if n % 3 else 'INFO'} app.api: handled order {n} in {n % 90} ms")
    return out


def kubectl_shape(lines: int = 2000) -> list[str]:
    """`kubectl logs --timestamps` before logging lines and bare lines, a platform failure at INFO."""
    out = []
    for n in range(lines):
        stamp = f"2025-09-12T14:{n // 600 % 60:02d}:{n // 10 % 60:02d}.{n % 10}00000000Z"
        if n % 89 == 4:
            out += [f"{stamp} ERROR:root:payment failed", f"{stamp} Traceback (most recent call last):",
                    f'{stamp}   File "/app/pay.py", line 4, in charge', f"{stamp} TimeoutError: timed out"]
        elif n % 211 == 9:
            out.append(f"{stamp} INFO Worker failed to boot.")
        else:
            out.append(f"{stamp} INFO:app:request {n} served")
    return out


def test_generated_shapes_read_alike_and_pass_lines_over(tmp_path, monkeypatch, fallbacks):
    for name, lines in (("logging.log", logging_shape()), ("kubectl.log", kubectl_shape())):
        path = tmp_path / name
        path.write_text("\n".join(lines) + "\n")
        made, handed = assert_alike(path, monkeypatch)
        assert handed < made / 2, name  # most healthy lines never reached Python
    assert fallbacks == []


def test_bad_bytes_keep_their_reasons_and_positions(tmp_path, monkeypatch, fallbacks):
    """Invalid UTF-8 (DuckDB's reject), binary junk, a line DuckDB refuses as too long but Python reads,
    one past Python's limit too, and a file without a last newline: read by the engine, counted alike."""
    lines = [line.encode() for line in logging_shape(600)]
    lines[100] = STAMP.format(0, 4, 0).encode() + b" INFO app: caf\xe9"
    lines[200] = b"\x00\x01\x02\x03 junk \x04\x05\x06\x07\x08"
    lines[300] = STAMP.format(0, 11, 0).encode() + b" INFO app: " + b"x" * (3 * 1024 * 1024)
    lines[400] = STAMP.format(0, 15, 0).encode() + b" INFO app: " + b"y" * (5 * 1024 * 1024)
    path = tmp_path / "bad.log"
    path.write_bytes(b"\n".join(lines))
    made, handed = assert_alike(path, monkeypatch)
    assert handed < made / 2
    _, stats, _ = read(path, "duckdb", monkeypatch)
    assert stats.notes == {"invalid UTF-8 replaced": 1}
    assert stats.examples == {"binary data in a text log": [f"{path}:201"], "line longer than 4 MiB": [f"{path}:401"]}
    assert fallbacks == []


def test_stamps_that_step_back_send_the_file_to_python(tmp_path, monkeypatch, fallbacks):
    """gunicorn stamps its own lines to the second after a logging line's milliseconds: a step back,
    which stitching would sort differently without the lines passed over. Python reads it whole."""
    lines = []
    for n in range(200):
        lines.append(f"2025-09-12 14:00:{n // 4:02d},{n % 4 * 250:03d} INFO app: tick {n}")
        if n % 4 == 3:
            lines.append(f"[2025-09-12 14:00:{n // 4:02d} +0000] [7] [INFO] gunicorn heartbeat")
    path = tmp_path / "steps.log"
    path.write_text("\n".join(lines) + "\n")
    assert_alike(path, monkeypatch)
    assert set(fallbacks) == {str(path)}


def test_analyze_reports_the_same_with_either_engine(tmp_path, monkeypatch):
    path = tmp_path / "incident.log"
    path.write_text("\n".join(logging_shape(4000)) + "\n")
    reports = []
    for engine in ("python", "duckdb"):
        monkeypatch.setenv("RCA_ENGINE", engine)
        result = run_rca("analyze", str(path), "--format", "json")
        assert result.returncode in (0, 1), result.stderr.decode()
        report = json.loads(result.stdout)
        report["stats"].pop("seconds", None)
        reports.append(report)
    assert reports[0] == reports[1]
    assert reports[0]["stats"]["events"] > 0


def test_text_lines_are_judged_on_every_thread_and_numbered_in_file_order(tmp_path):
    """No streaming window keeps the judging query on one thread; the view numbers rows in file order."""
    from rca.ingest import engine

    path = tmp_path / "app.log"
    path.write_text("".join(f"2025-09-12 14:{n // 60 % 60:02d}:{n % 60:02d},000 INFO app: served {n}\n" for n in range(300)))
    connection = engine.connect()
    try:
        connection.execute(textengine.MACROS)
        select = textengine.judged_sql().split(" AS\n", 1)[1]
        plan = "".join(text for _, text in connection.execute("EXPLAIN " + select, engine.read_arguments(str(path), False)).fetchall())
        assert "READ_CSV" in plan and "WINDOW" not in plan.upper()
        assert textengine.judge_text(connection, str(path)) is not None
        rows = connection.execute("SELECT row, t FROM judged ORDER BY row").fetchall()
        assert [row for row, _ in rows] == list(range(1, 301))
        assert [t for _, t in rows] == sorted(t for _, t in rows) and rows[0][1] < rows[-1][1]
    finally:
        connection.close()
