"""The per-line work of a JSON-lines export in DuckDB: Python decodes only the lines that can matter.

DuckDB reads the file as raw lines (in parallel, gzip undone in C) and applies the prefilter of
`prefilter.py` in SQL. Python is handed, in file order, only the lines that prefilter keeps, plus
the first healthy line of each revision (deploys are dated by it), and runs today's per-line code
on them (`jsonlog.read_line`): the records, positions and counts are those of `read_json_lines`.
The healthy lines DuckDB passes over are counted, and their first and last stamps noted, in SQL.

Why raw lines and not `read_ndjson`: the prefilter decides on an entry's bytes (a backslash
anywhere, `"severity":"INFO"` wherever it stands), which parsed columns cannot reproduce exactly.

What SQL is unsure of it keeps, and Python decides on it: a line with non-ASCII text (byte and
character offsets then differ), one that names two revisions, one near the split-entry size.
Lines DuckDB cannot read (invalid UTF-8, longer than LINE_LIMIT) are in its reject table with their
byte offsets: Python reads each again there. If the lines DuckDB saw do not add up to the file's
newlines (a carriage return splits lines in DuckDB but not in Python), the file is read by Python.
"""

from __future__ import annotations

import heapq
import importlib.util
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from operator import itemgetter

from rca.ingest.jsonlog import choose_prefilter, read_json_lines, read_line
from rca.ingest.lines import MAX_LINE_BYTES, OVERLONG_REASON
from rca.ingest.record import LogRecord
from rca.ingest.stats import ReadStats

ENGINE_VARIABLE = "RCA_ENGINE"  # "python" (the default) or "duckdb"; see engine_name
MEMORY_VARIABLE = "RCA_ENGINE_MEMORY"  # DuckDB's memory limit, e.g. "512MB"
DEFAULT_MEMORY = "128MB"
LINE_LIMIT = 2 * 1024 * 1024  # longer lines are DuckDB's rejects, read again by Python (never over-long there)
SPLIT_SIZE = 64 * 1024 - 1  # prefilter.SPLIT_ENTRY_MIN_BYTES, less the newline SQL does not see
_SCAN_CHUNK = 1 << 22


def engine_name() -> str:
    """The engine `RCA_ENGINE` asks for: "duckdb", or "python" (the default). Python stays the default:
    the records are the same either way, but on 1M-entry exports the SQL scan costs more CPU than
    Python's byte prefilter (benchmarks/results/engine-issue24.md)."""
    return "duckdb" if os.environ.get(ENGINE_VARIABLE, "").strip().lower() == "duckdb" else "python"


def engine_reads(source: str) -> bool:
    """Whether DuckDB passes over this JSON-lines source's healthy lines: when RCA_ENGINE=duckdb, for a
    local file it can open by its name (not one with glob characters, which it would expand)."""
    if engine_name() != "duckdb" or not os.path.isfile(source) or any(char in source for char in "*?[{"):
        return False
    return importlib.util.find_spec("duckdb") is not None  # a platform without its wheel reads in Python


def _connect():
    import duckdb

    spill = os.path.join(tempfile.gettempdir(), "rca-duckdb-spill")
    threads = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return duckdb.connect(config={
        "memory_limit": os.environ.get(MEMORY_VARIABLE) or DEFAULT_MEMORY,
        "temp_directory": spill,
        "threads": max(1, threads),
        "preserve_insertion_order": True,
    })


# One line of text: no delimiter, quote or escape, so that each line is one value whatever it holds.
READ_LINES = """read_csv(?, columns={'raw': 'VARCHAR'}, delim='\\0', quote='', escape='', comment='', header=false,
    auto_detect=false, strict_mode=false, new_line='\\n', compression=?, max_line_size=?, store_rejects=true,
    rejects_table='rejects', rejects_scan='reject_scans')"""

# prefilter.make_prefilter(b":") in SQL, on ASCII lines only (NULL: Python decides). `st` and `pl`
# are 1-based where Python's offsets are 0-based, hence the shifted constants.
HEALTHY = """CASE
    WHEN raw IS NULL OR strlen(raw) <> length(raw) THEN NULL
    WHEN NOT (contains(raw, '"severity":"INFO"') OR contains(raw, '"severity":"DEBUG"')
              OR contains(raw, '"severity":"NOTICE"')) THEN false
    WHEN strlen(raw) >= {split_size} AND contains(raw, '"split"') THEN NULL
    WHEN contains(raw, '"httpRequest":') THEN false
    WHEN st > 0 AND (NOT substr(raw, st + 9, 1) BETWEEN '0' AND '9'
                     OR substr(raw, st + 9, 1) = '5' OR substr(raw, st + 9, 3) IN ('401', '403', '429')) THEN false
    WHEN st > 0 AND NOT contains(raw, '\\') THEN true
    WHEN pl = 0 THEN true
    WHEN contains(raw, '\\') AND (contains(raw, 'File \\"') OR contains(raw, 'Traceback')) THEN false
    WHEN pl < 6 THEN NULL
    WHEN substr(raw, pl - 5, 5) <> '"text' THEN true
    WHEN substr(raw, pl + 10, 1) IN (' ', '\\') THEN false
    ELSE NOT (contains(raw, 'Traceback') OR contains(raw, 'rror') OR contains(raw, 'xception')
              OR contains(raw, 'finished with status code: 5') OR contains(raw, 'finished with status: ''crash''')
              OR contains(raw, 'finished with status: ''timeout''') OR contains(raw, 'finished with status: ''error''')
              OR contains(raw, 'finished with status: ''connection error'''))
  END"""

# The revision a line names (prefilter.keeping_first_of_each_revision: the value after the key, up
# to the quote that ends it within 256 bytes, whichever key), by one search for either key: NULL when
# it names none, '' when no quote ends it (then Python decides). Python looks for `revision_name`
# first: a line naming both kinds could differ, which no platform writes.
REVISION = """CASE WHEN found = '' THEN NULL WHEN suffix(found, ':"') THEN '' ELSE split_part(found, '":"', 2) END"""
REVISION_FOUND = """regexp_extract(raw, '"(?:revision_name|version_id)":"(?:[^"]{0,255}")?', 0)"""

# Each line judged where it is read, in parallel; rows are numbered after, in file order. A healthy
# line whose stamp SQL cannot cut as Python would (the line ends inside it), or whose revision is
# unclear, is left to Python. The text is kept only for the rows Python will see.
JUDGED = """CREATE TEMP TABLE judged AS
SELECT row_number() OVER () AS row, CASE WHEN passed THEN NULL ELSE raw END AS raw, passed,
       CASE WHEN passed THEN revision END AS revision,
       CASE WHEN passed AND strlen(stamp) = 19 AND substr(stamp, 11, 1) = 'T' THEN stamp END AS stamp
FROM (
  SELECT raw, stamp, revision, coalesce(healthy, false) AND strlen(stamp) NOT BETWEEN 1 AND 18
                               AND (revision IS NULL OR revision <> '') AS passed
  FROM (
    SELECT raw, {healthy} AS healthy, {revision} AS revision, regexp_extract(raw, '"timestamp":"(.{{0,19}})', 1) AS stamp
    FROM (SELECT raw, strpos(raw, '"status":') AS st, strpos(raw, 'Payload":') AS pl, {found} AS found FROM {lines})))"""

# The first healthy row of each revision is decoded by Python (a deploy is dated by it); the other
# healthy rows are passed over: how many, and their first and last stamps.
SUMMARY = """SELECT count(*), list(row ORDER BY row) FILTER (WHERE first_of_revision),
       count(*) FILTER (WHERE passed AND NOT first_of_revision),
       min(stamp) FILTER (WHERE passed AND NOT first_of_revision), max(stamp) FILTER (WHERE passed AND NOT first_of_revision)
FROM (SELECT row, passed, stamp, passed AND revision IS NOT NULL
             AND row_number() OVER (PARTITION BY passed, revision ORDER BY row) = 1 AS first_of_revision
      FROM judged)"""
# The text of the rows Python decides on, in file order.
CANDIDATES = "SELECT row, raw FROM judged WHERE NOT passed"


def judged_sql(deploys: bool) -> str:
    return JUDGED.format(healthy=HEALTHY.format(split_size=SPLIT_SIZE), revision=REVISION if deploys else "NULL",
                         found=REVISION_FOUND if deploys else "''", lines=READ_LINES)


@dataclass
class Judged:
    """What SQL tells of one file, before Python reads any of it."""

    rows: int  # lines DuckDB read (empty ones included, its rejects not)
    rejects: list[int]  # line numbers of the lines DuckDB could not read, in order
    firsts: list[int]  # row numbers of the first healthy line of each revision, in order
    passed: int  # healthy lines passed over in SQL
    first: str | None  # their earliest and latest stamps, as `prefilter.stamp_in` cuts them
    last: str | None
    deploys: bool


def judge(connection, source: str, compressed: bool, deploys: bool) -> Judged:
    connection.execute(judged_sql(deploys), _read_arguments(source, compressed))
    rows, firsts, passed, first, last = connection.execute(SUMMARY).fetchall()[0]
    rejects = [line for (line,) in connection.execute("SELECT DISTINCT line FROM rejects ORDER BY line").fetchall()]
    return Judged(rows, rejects, firsts or [], passed, first, last, deploys)


def _read_arguments(source: str, compressed: bool) -> list:
    return [source, "gzip" if compressed else "none", LINE_LIMIT]


class LineNumbers:
    """Row numbers (DuckDB's, without its rejects) to line numbers, for rows asked in rising order."""

    def __init__(self, rejects: list[int]):
        self.rejects, self.before = rejects, 0

    def __call__(self, row: int) -> int:
        while self.before < len(self.rejects) and self.rejects[self.before] <= row + self.before:
            self.before += 1
        return row + self.before


@dataclass
class Layout:
    """What one pass over the file's bytes (gzip undone) finds: its lines, and where some begin."""

    lines: int = 0
    ends_with_newline: bool = True
    carriage_return: bool = False  # DuckDB ends a line at `\r` too, Python at `\n` only
    offsets: dict[int, int] = field(default_factory=dict)  # line number -> byte offset of its start


def lay_out(stream, wanted: list[int]) -> Layout:
    """Count the lines and find where the `wanted` ones (in rising order) begin, a chunk at a time:
    only chunks that hold a wanted line are searched line by line."""
    layout = Layout()
    targets = iter(wanted)
    target = next(targets, None)
    base, newlines, last = 0, 0, b"\n"
    while chunk := stream.read(_SCAN_CHUNK):
        layout.carriage_return = layout.carriage_return or b"\r" in chunk
        count = chunk.count(b"\n")
        at, seen = 0, newlines
        while target is not None and target - 1 <= newlines + count:
            while seen < target - 1:
                at = chunk.index(b"\n", at) + 1
                seen += 1
            layout.offsets[target] = base + at
            target = next(targets, None)
        newlines += count
        base += len(chunk)
        last = chunk[-1:]
    layout.ends_with_newline = last == b"\n"
    layout.lines = newlines + (0 if layout.ends_with_newline else 1)
    return layout


OVERLONG = object()  # a line past MAX_LINE_BYTES: skipped as `read_json_lines` skips it


def reread(stream, offsets: dict[int, int]) -> dict[int, object]:
    """The lines at `offsets` read again (bytes, or OVERLONG), as `read_json_lines` would read them."""
    texts: dict[int, object] = {}
    for line, offset in sorted(offsets.items()):
        stream.seek(offset)
        raw = stream.readline(MAX_LINE_BYTES)
        texts[line] = OVERLONG if len(raw) >= MAX_LINE_BYTES and not raw.endswith(b"\n") else raw
    return texts


def candidates(connection, judged: Judged, batch: int = 4096) -> Iterator[tuple[int, object]]:
    """(line number, text or None for an empty line) of every row SQL did not pass over, in file order."""
    result = connection.execute(CANDIDATES)
    numbers = LineNumbers(judged.rejects)
    previous = 0
    while rows := result.fetchmany(batch):
        for row, raw in rows:
            if row <= previous:
                raise EngineError("DuckDB gave the lines out of order")
            previous = row
            yield numbers(row), raw


class EngineError(RuntimeError):
    """DuckDB did not keep a promise this module relies on (a bug to report, not bad input)."""


def read_json_lines_in_engine(stream, source: str, stats: ReadStats, prefilter: str) -> Iterator[LogRecord]:
    """`jsonlog.read_json_lines`, its healthy lines passed over in DuckDB: the same records, positions
    and counts. Python reads the file itself when DuckDB fails or its lines do not add up."""
    import duckdb

    connection = judged = None
    try:
        connection = _connect()
        judged = judge(connection, source, _is_gzip(source), prefilter == "deploys")
    except duckdb.Error:  # e.g. a gzip cut short: Python reads what it can and counts the rest
        judged = None
    try:
        layout = None if judged is None else lay_out(stream, _wanted(judged))
        if judged is None or layout is None or not _adds_up(judged, layout):
            stream.seek(0)
            yield from read_json_lines(stream, source, stats, prefilter)
            return
        yield from _read_judged(candidates(connection, judged), stream, source, stats, prefilter, judged, layout)
    finally:
        if connection is not None:
            connection.close()


def _adds_up(judged: Judged, layout: Layout) -> bool:
    """DuckDB's rows and rejects are the file's lines as Python splits them (`\r` splits in DuckDB only)."""
    return not layout.carriage_return and layout.lines == judged.rows + len(judged.rejects)


def _wanted(judged: Judged) -> list[int]:
    """The lines Python reads from the file itself: DuckDB's rejects and each revision's first line."""
    numbers = LineNumbers(judged.rejects)
    return sorted({numbers(row) for row in judged.firsts} | set(judged.rejects))


def _read_judged(rows: Iterator[tuple[int, object]], stream, source: str, stats: ReadStats, prefilter: str, judged: Judged,
                 layout: Layout) -> Iterator[LogRecord]:
    texts = reread(stream, layout.offsets)
    cannot_matter = choose_prefilter(prefilter, indented=False)
    last = layout.lines
    for line, raw in heapq.merge(rows, sorted(texts.items(), key=itemgetter(0)), key=itemgetter(0)):
        if raw is None:  # an empty line: neither a record nor a skip
            continue
        if raw is OVERLONG:
            stats.records += 1
            stats.skip(OVERLONG_REASON, source, line)
            continue
        if isinstance(raw, str):  # DuckDB's text, the newline it cut off put back: the line's bytes
            raw = raw.encode() + (b"\n" if line < last or layout.ends_with_newline else b"")
        assert isinstance(raw, bytes)
        record = read_line(raw, source, line, stats, cannot_matter)
        if record is not None:
            yield record
    stats.records += judged.passed
    for stamp in (judged.first, judged.last):
        stats.passed_over(stamp.encode() if stamp else None)


def _is_gzip(source: str) -> bool:
    with open(source, "rb") as stream:
        return stream.read(2) == b"\x1f\x8b"
