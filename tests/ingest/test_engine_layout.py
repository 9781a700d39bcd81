"""The engine's own pass over a file's bytes (engine.lay_out): it counts the lines and takes the text
of the wanted ones in the same pass, exactly as reading them again at their offsets would; a gzip is
inflated by Python once, not once to count and again to read."""

import gzip
import io
import json

import pytest
from conftest import read_with_engine as read

from rca.ingest import engine
from rca.ingest.engine_passes import Passes
from rca.ingest.lines import MAX_LINE_BYTES


def reread(stream, offsets: dict[int, int]) -> dict[int, object]:
    """The reference: the lines at `offsets` read again, one seek and bounded readline each, as
    `read_json_lines` reads a line (bytes, or OVERLONG past MAX_LINE_BYTES)."""
    texts: dict[int, object] = {}
    for line, offset in sorted(offsets.items()):
        stream.seek(offset)
        raw = stream.readline(MAX_LINE_BYTES)
        texts[line] = engine.OVERLONG if len(raw) >= MAX_LINE_BYTES and not raw.endswith(b"\n") else raw
    return texts


def _lines_of_every_shape() -> bytes:
    """Short lines, lines longer than a scan chunk, one just under, at and over the per-line limit."""
    lines = [b'{"n":%d}' % n for n in range(50)]
    lines[5] = b"x" * (3 * 1000)  # spans chunks of 1 KB
    lines[10] = b"y" * (MAX_LINE_BYTES - 1)  # with its newline: exactly the limit, read whole
    lines[11] = b"z" * MAX_LINE_BYTES  # over it: OVERLONG
    lines[12] = b"w" * (MAX_LINE_BYTES + 5000)
    return b"\n".join(lines)


@pytest.mark.parametrize("final_newline", [True, False])
@pytest.mark.parametrize("chunk", [1000, 4096, 1 << 22])
def test_lay_out_takes_the_texts_reread_would_read(monkeypatch, final_newline, chunk):
    body = _lines_of_every_shape() + (b"\n" if final_newline else b"")
    monkeypatch.setattr(engine, "_SCAN_CHUNK", chunk)
    wanted = [1, 2, 5, 6, 10, 11, 12, 13, 49, 50]
    layout = engine.lay_out(io.BytesIO(body), wanted)
    assert layout.lines == 50 and layout.ends_with_newline is final_newline
    assert sorted(layout.texts) == wanted
    assert layout.texts == reread(io.BytesIO(body), layout.offsets)
    assert layout.texts[12] is engine.OVERLONG and layout.texts[13] is engine.OVERLONG  # lines[11], lines[12]
    assert layout.texts[11] == b"y" * (MAX_LINE_BYTES - 1) + b"\n"
    assert layout.texts[6] == b"x" * 3000 + b"\n"
    assert layout.texts[50] == b'{"n":49}' + (b"\n" if final_newline else b"")


def test_a_wanted_line_that_begins_where_a_chunk_ends(monkeypatch):
    """A line that starts at a chunk's last byte boundary is taken from the next chunk."""
    body = b"a" * 9 + b"\n" + b"b" * 9 + b"\n" + b"c" * 30 + b"\n"
    monkeypatch.setattr(engine, "_SCAN_CHUNK", 10)
    layout = engine.lay_out(io.BytesIO(body), [2, 3])
    assert layout.texts == {2: b"b" * 9 + b"\n", 3: b"c" * 30 + b"\n"}


def _healthy(n: int) -> str:
    return json.dumps({"insertId": f"h{n}", "timestamp": f"2025-09-12T14:{n // 60 % 60:02d}:{n % 60:02d}.000Z",
                       "severity": "INFO", "resource": {"type": "cloud_run_revision",
                                                        "labels": {"service_name": "api", "revision_name": f"api-0000{n // 100}-abc"}},
                       "jsonPayload": {"message": f"served {n}"}}, separators=(",", ":"))


def test_a_gzip_is_inflated_by_python_once(tmp_path, monkeypatch):
    """DuckDB inflates the file for itself; Python's one pass counts the lines and takes the wanted
    ones (each revision's first line, the window's ends, a broken line) without inflating it again."""
    lines = [_healthy(n) for n in range(400)]
    lines[200] = '{"severity":"ERROR","textPayload": broken'
    path = tmp_path / "export.jsonl.gz"
    path.write_bytes(gzip.compress(("\n".join(lines) + "\n").encode()))
    opened = []
    original = Passes.fresh

    def counting(self):
        opened.append(self.source)
        return original(self)

    monkeypatch.setattr(Passes, "fresh", counting)
    by_engine = read(path, "duckdb", monkeypatch)
    assert len(opened) == 1
    assert by_engine == read(path, "python", monkeypatch)
    assert by_engine[1].skipped["broken JSON"] == 1


def _judged(path):
    """The judged table of `path` and what lay_out counts on it (its wanted lines: each revision's first)."""
    connection = engine.connect()
    stream = open(path, "rb")
    passes = Passes(stream, str(path), False)
    judged = engine.judge(connection, str(path), False, True, True, passes)
    return connection, stream, passes, judged


@pytest.mark.parametrize("final_newline", [True, False])
def test_sized_layout_is_what_lay_out_counts(tmp_path, final_newline):
    """Offsets summed from DuckDB's line lengths give the lines, offsets and texts Python's pass does,
    non-ASCII and empty lines included, without counting the file's lines in Python."""
    lines = [_healthy(n) for n in range(400)]
    lines[30] = _healthy(30).replace("served", "servi caf\u00e9 \u2603")
    lines[31] = ""
    path = tmp_path / "export.jsonl"
    path.write_bytes(("\n".join(lines) + ("\n" if final_newline else "")).encode())
    connection, stream, passes, judged = _judged(path)
    with stream:
        sized = engine.sized_layout(connection, judged, passes)
        assert sized is not None and len(judged.firsts) >= 4
        assert sized == engine.lay_out(passes.fresh(), engine.wanted_lines(judged))
    connection.close()


@pytest.mark.parametrize("odd", [b'{"severity":"INFO","textPayload":"a\rb"}', b'{"severity":"INFO","textPayload":"\xff bad"}'])
def test_sized_layout_leaves_carriage_returns_and_rejects_to_lay_out(tmp_path, odd):
    """A carriage return ends a line in DuckDB only, and a reject's length DuckDB does not tell: Python counts."""
    path = tmp_path / "export.jsonl"
    path.write_bytes(b"\n".join([_healthy(n).encode() for n in range(40)] + [odd]) + b"\n")
    connection, stream, passes, judged = _judged(path)
    with stream:
        assert engine.sized_layout(connection, judged, passes) is None
    connection.close()
