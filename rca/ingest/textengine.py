"""The per-line work of a plain-text service log in DuckDB: Python parses only the lines that can matter.

DuckDB reads the file as raw lines (engine.py's READ_LINES), cuts each line's prefix with regular
expressions as textlog.py does (a `kubectl logs --timestamps` stamp, a leading ISO stamp, an access
line's `[12/Sep/2025:14:03:21 +0000]`, the level word after the stamp) and dates it to the
microsecond. A line is passed over in SQL, counted but never parsed by Python, only when it cannot
take part in an event or in a tally:

- it opens a log record of its own (`record.has_log_prefix`), so stitching never takes it into a
  traceback block nor into a lead-in: it only ends what comes before it;
- its level is below ERROR (or it names none), and it holds none of the words an error event, a
  traceback, a platform failure or a Java/Go/Node trace is told by (`events.error_event`);
- it is no request (every request counts in the rates) and no JSON payload;
- it is printable ASCII, so that SQL's character classes and Python's agree on it.

Python is handed every other line, and with each of them the lines just before and after it: the
one before gives a line without a stamp its time (textlog's inheritance) and ends the burst a
traceback's lead-in is looked for in; the one after ends the block. The first and last lines passed
over are handed too: they are the window's ends. Stitching then sees, around every line that
matters, what it would have seen in the whole file.

That holds only when the file's stamps never step back (`stitch._in_time_order` counts the steps,
and passing lines over would change the count): SQL checks it, and a file whose stamps step back,
or with a stamp SQL cannot date as Python would (a JSON line, an impossible date), is read by Python
whole, as is a file whose lines DuckDB does not count as Python does (a carriage return).
DuckDB's rejects (invalid UTF-8, lines past its limit) are read again by Python where they begin
(in engine.lay_out's pass), with their neighbours, so every skip keeps its reason and position.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator
from operator import itemgetter

from rca.ingest.engine import (
    NUMBERED,
    OVERLONG,
    READ_LINES,
    Judged,
    adds_up,
    candidates,
    connect,
    engine_reads,
    lay_out,
    read_arguments,
    wanted_lines,
)
from rca.ingest.lines import OVERLONG_REASON
from rca.ingest.record import ERROR_RANK, LEVEL_ALIASES, SEVERITY_RANK, LogRecord
from rca.ingest.stats import ReadStats
from rca.ingest.textlog import read_text, text_records

# textlog.py's patterns, as RE2 writes them (ASCII digits: a passed line is ASCII).
KUBECTL = r"^([0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]+)?(?:Z|[+-][0-9]{2}:[0-9]{2})) "
KUBECTL_PARTS = r"^([0-9-]{10})T([0-9:]{8})(?:\.([0-9]+))?(Z|[+-][0-9]{2}:[0-9]{2})$"
LEADING = r"^\[?([0-9]{4}-[0-9]{2}-[0-9]{2})[ T]([0-9]{2}:[0-9]{2}:[0-9]{2})(?:[.,]([0-9]+))?(?: ?(Z|[+-][0-9]{2}:?[0-9]{2}|UTC))?\]?"
CLF = r"\[([0-9]{2}/[A-Z][a-z]{2}/[0-9]{4}:[0-9]{2}:[0-9]{2}:[0-9]{2} [+-][0-9]{4})\]"
CLF_SPAN = 120  # textlog looks for it in a line's first 120 characters
_LEVELS = "|".join(sorted(LEVEL_ALIASES, key=len, reverse=True))
# record.LEVEL_WORD without its look-arounds: the character before the word is matched instead (the
# window is given the one before it, as Python's look-behind sees it).
LEVEL_WORD = rf"[^A-Za-z0-9_-]({_LEVELS})(?:[^A-Za-z0-9_-]|$)"
LEVEL_SPAN = 64  # record.LEVEL_SEARCH_SPAN
QUIET_LEVELS = tuple([""] + [word for word, name in LEVEL_ALIASES.items() if SEVERITY_RANK[name] < ERROR_RANK])
LOG_PREFIX = rf"^(?:\[?[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}[ T][0-9]{{2}}:[0-9]{{2}}|\[?(?:{_LEVELS})\]?(?::|\s|$))"
# What makes a line worth parsing whatever its level: a traceback (tracebacks.has_traceback, stitch's
# chain markers), an exception's name, a platform failure (error_event._PLATFORM_WORDS), a Java, Go
# or Node trace (runtimes.HINTS; a tab is not printable, so `\tat ` cannot be in a passed line).
MATTERS = ('Traceback|File "|rror|xception|exception|Worker|exit\\(|probe failed|WORKER TIMEOUT|Memory limit of'
           "|OOMKilled|Out of memory|oom-kill|Back-off restarting|\\.service: Main process exited|  at |Caused by: "
           "|panic: |goroutine |fatal error: |UnhandledPromiseRejection")
BARE_REQUEST = r"^[A-Z]{3,7} [^ ]+ [0-9]{3}$"  # textlog.BARE_REQUEST on a printable line

# A stamp's parts (date, clock, fraction, zone) as epoch microseconds, NULL where Python's
# `datetime.fromisoformat` would refuse it; years outside 1900-2999 are left to Python too.
MACROS = """
CREATE OR REPLACE TEMP MACRO rca_offset(z) AS CASE WHEN z IN ('', 'Z', 'UTC') THEN 0::BIGINT
    WHEN substr(z, 2, 2)::INTEGER < 24 AND right(z, 2)::INTEGER < 60
    THEN (CASE WHEN left(z, 1) = '-' THEN -1 ELSE 1 END) * (substr(z, 2, 2)::BIGINT * 3600 + right(z, 2)::BIGINT * 60)
         * 1000000 END;
CREATE OR REPLACE TEMP MACRO rca_micros(p) AS CASE WHEN p.d <> '' AND left(p.d, 4) BETWEEN '1900' AND '2999' THEN
    epoch_us(try_strptime(p.d || ' ' || p.c, '%Y-%m-%d %H:%M:%S'))
    + CASE WHEN p.f = '' THEN 0 ELSE rpad(left(p.f, 6), 6, '0')::BIGINT END - rca_offset(p.z) END;
"""

# Each line: its stamps as Python finds them (a kubectl stamp wins over a leading one, an access
# line's stamp counts only when neither is there), its time, whether SQL is unsure of it, and its kind:
# 1 passed over (see the module's docstring), 0 handed to Python. Only the handed lines keep their text.
JUDGED = """CREATE TEMP TABLE judged_rows AS
SELECT kind, t, unsure, opener, CASE WHEN kind = 0 THEN raw END AS raw FROM (
  SELECT raw, t, unsure, opener,
         CASE WHEN opener AND NOT regexp_matches(raw, '[^\\x20-\\x7e]')
                   AND regexp_extract(CASE WHEN lead_length > 0 THEN substr(rest, lead_length, 1) ELSE ' ' END
                                      || substr(rest, lead_length + 1, {level_span}), '{level_word}', 1) IN {quiet}
                   AND NOT regexp_matches(rest, '{matters}') AND NOT contains(rest, 'HTTP/')
                   AND NOT regexp_matches(rest, '{bare_request}') THEN 1 ELSE 0 END AS kind
  FROM (SELECT *, NOT unsure AND t IS NOT NULL AND raw IS NOT NULL AND regexp_matches(rest, '{log_prefix}') AS opener FROM (
    SELECT raw, rest, length(lead) AS lead_length,
           coalesce(kube_t, CASE WHEN lead <> '' THEN lead_t ELSE clf_t END) AS t,
           (kube <> '' AND kube_t IS NULL) OR (lead <> '' AND lead_t IS NULL) OR (clf <> '' AND clf_t IS NULL)
               OR starts_with(rest, '{{') OR coalesce(kube_t, CASE WHEN lead <> '' THEN lead_t ELSE clf_t END) = 0
               AS unsure
    FROM (
      SELECT *, rca_micros(regexp_extract(kube, '{kube_parts}', ['d', 'c', 'f', 'z'])) AS kube_t,
             rca_micros(regexp_extract(lead, '{leading}', ['d', 'c', 'f', 'z'])) AS lead_t,
             CASE WHEN clf <> '' AND substr(clf, 8, 4) BETWEEN '1900' AND '2999'
                  THEN epoch_us(try_strptime(clf, '%d/%b/%Y:%H:%M:%S %z')) END AS clf_t
      FROM (
        SELECT *, CASE WHEN lead = '' THEN regexp_extract(left(rest, {clf_span}), '{clf}', 1) ELSE '' END AS clf
        FROM (
          SELECT *, regexp_extract(rest, '{leading}', 0) AS lead
          FROM (
            SELECT raw, kube, CASE WHEN kube <> '' THEN substr(raw, length(kube) + 2) ELSE coalesce(raw, '') END AS rest
            FROM (SELECT raw, regexp_extract(raw, '{kubectl}', 1) AS kube FROM {lines}))))))))"""

# How many lines step back in time (stitch would sort or reverse such a run, differently without the
# lines passed over), and how many SQL cannot date as Python does: either sends the file to Python.
DOUBTS = """SELECT (SELECT count(*) FILTER (WHERE unsure) FROM judged),
       (SELECT count(*) FILTER (WHERE t < before) FROM (SELECT t, lag(t) OVER (ORDER BY row) AS before
                                                       FROM judged WHERE t IS NOT NULL))"""
# The passed-over lines Python reads all the same: the neighbours of every line it reads that is
# not an opener with a time of its own (a request line is one: it ends a block and stops a lead-in's
# walk itself, and needs no time from before it); the neighbours of DuckDB's rejects (the row before
# a reject at line L is L - 1 - k, after it L - k, with k rejects before it); the first and last
# passed over, the window's ends.
HANDED = """CREATE TEMP TABLE handed AS SELECT DISTINCT row FROM (
    SELECT row FROM (SELECT row, kind, lag(needs) OVER (ORDER BY row) AS before, lead(needs) OVER (ORDER BY row) AS after
                     FROM (SELECT row, kind, kind = 0 AND NOT opener AS needs FROM judged))
    WHERE kind = 1 AND (before OR after)
    UNION ALL SELECT min(row) FROM judged WHERE kind = 1
    UNION ALL SELECT max(row) FROM judged WHERE kind = 1
    UNION ALL SELECT unnest([line - 1 - k, line - k]) FROM (
        SELECT line, row_number() OVER (ORDER BY line) - 1 AS k FROM (SELECT DISTINCT line FROM rejects))
) WHERE row IN (SELECT row FROM judged WHERE kind = 1)"""
SUMMARY = """SELECT (SELECT count(*) FROM judged), (SELECT list(row ORDER BY row) FROM handed),
       (SELECT count(*) FROM judged WHERE kind = 1) - (SELECT count(*) FROM handed)"""


def _sql_text(pattern: str) -> str:
    return pattern.replace("'", "''")


def judged_sql() -> str:
    patterns = {"log_prefix": LOG_PREFIX, "level_word": LEVEL_WORD, "matters": MATTERS, "bare_request": BARE_REQUEST,
                "kube_parts": KUBECTL_PARTS, "leading": LEADING, "clf": CLF, "kubectl": KUBECTL}
    return JUDGED.format(level_span=LEVEL_SPAN, clf_span=CLF_SPAN, quiet=str(QUIET_LEVELS), lines=READ_LINES,
                         **{name: _sql_text(pattern) for name, pattern in patterns.items()})


def text_engine_reads(source: str) -> bool:
    """Whether DuckDB passes over this text log's healthy lines: as for JSON lines (`engine.engine_reads`)."""
    return engine_reads(source)


def judge_text(connection, source: str) -> Judged | None:
    """What SQL tells of the file, or None when Python must read it whole (see the module's docstring)."""
    connection.execute(MACROS)
    connection.execute(judged_sql(), read_arguments(source, False))
    # numbered as the JSON engine numbers its rows (engine.NUMBERED: by rowid, not a one-thread window)
    connection.execute(NUMBERED)
    unsure, steps_back = connection.execute(DOUBTS).fetchall()[0]
    if unsure or steps_back:
        return None
    connection.execute(HANDED)
    rows, handed, passed = connection.execute(SUMMARY).fetchall()[0]
    rejects = [line for (line,) in connection.execute("SELECT DISTINCT line FROM rejects ORDER BY line").fetchall()]
    return Judged(rows, rejects, handed or [], passed, None, None, False)


def read_text_in_engine(stream, source: str, stats: ReadStats) -> Iterator[LogRecord]:
    """`textlog.read_text`, its healthy lines passed over in DuckDB: the same records, positions and
    counts. Python reads the file itself when DuckDB fails, doubts, or its lines do not add up."""
    import duckdb

    connection = judged = None
    try:
        connection = connect()
        judged = judge_text(connection, source)
    except duckdb.Error:  # a file DuckDB cannot read at all: Python reads what it can and counts the rest
        judged = None
    try:
        layout = None if judged is None else lay_out(stream, wanted_lines(judged))
        if judged is None or layout is None or not adds_up(judged, layout):
            stream.seek(0)
            yield from read_text(stream, source, stats)
            return
        texts = layout.texts  # taken in lay_out's pass
        rows = heapq.merge(candidates(connection, judged), sorted(texts.items(), key=itemgetter(0)), key=itemgetter(0))
        yield from text_records(_as_bytes(rows, source, stats, layout.lines, layout.ends_with_newline), source, stats)
        stats.records += judged.passed
    finally:
        if connection is not None:
            connection.close()


def _as_bytes(rows, source: str, stats: ReadStats, last: int, ends_with_newline: bool) -> Iterator[tuple[int, bytes]]:
    """(line number, the line's bytes as `lines.iter_lines` gives them) of the lines handed over; an
    over-long one is counted as skipped, as iter_lines counts it."""
    for line, raw in rows:
        if raw is OVERLONG:
            stats.skip(OVERLONG_REASON, source, line)
        elif raw is None:  # DuckDB's empty line
            yield line, b"\n"
        elif isinstance(raw, str):  # DuckDB's text, the newline it cut off put back
            yield line, raw.encode() + (b"\n" if line < last or ends_with_newline else b"")
        else:
            yield line, raw

