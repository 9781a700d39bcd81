"""The per-line work of a JSON-lines export in DuckDB: Python decodes only the lines that can matter.

DuckDB reads the file as raw lines (in parallel; a gzip inflated once beforehand, engine_inflate.py),
parses each once for the fields the prefilter needs (severity, timestamp, httpRequest.status and URL,
textPayload, resource type and labels) and decides on those fields which lines Python must see: errors,
anything a traceback could be part of, anything unclear. Python is handed those lines in file order and
runs today's per-line code on them (`jsonlog.read_line`, the byte prefilter included); the rest never
reach Python:

- healthy entries are counted, and their first and last stamps noted, as the byte prefilter would;
- healthy request logs (status below 500, not 401/403/429), when the reader is asked for them
  (prefilter "requests", rca.analyze.mapping), are counted per second and service in SQL into
  `ReadStats.requests`: the rates' denominators, without a record each. Under the prefilter "events"
  (`rca events`, which has no rates) they are counted as records only, never handed to Python.

Deploys and the window still see what they saw: the first healthy line of each revision, the
earliest request of each (service, revision), the earliest and latest request, and every passed line
of the first and last seconds (dated exactly where the Python reader decodes them) are handed over.

Why raw lines and not `read_ndjson` rows: a line keeps its number, and the lines DuckDB cannot read
(invalid UTF-8, longer than LINE_LIMIT) are in its reject table with their byte offsets, where
Python reads each again, so every skip keeps its reason and position. DuckDB's JSON parser is more
lenient than orjson (NaN, trailing commas, any depth): lines that may hold such text go to Python.
If the lines DuckDB saw do not add up to the file's newlines (a carriage return splits lines in
DuckDB but not in Python), the file is read by Python.
"""

from __future__ import annotations

import importlib.util
import io
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field

from rca.ingest.engine_copies import COPY_KEY, copies_among, mark_copies, suspect_rows
from rca.ingest.engine_inflate import Inflated, inflate
from rca.ingest.engine_passes import Passes
from rca.ingest.gunzip import GZIP_MAGIC
from rca.ingest.jsonlog import choose_prefilter, read_json_lines, read_line
from rca.ingest.lines import MAX_LINE_BYTES, OVERLONG_REASON
from rca.ingest.record import LogRecord
from rca.ingest.stats import ReadStats, TallyColumns
from rca.ingest.unique import COPIES, RecentKeys, UniqueEntries

ENGINE_VARIABLE = "RCA_ENGINE"  # "duckdb" or "python"; unset: see engine_reads
MEMORY_VARIABLE = "RCA_ENGINE_MEMORY"  # DuckDB's memory limit, e.g. "512MB"
DEFAULT_MEMORY = "128MB"
THREADS_VARIABLE = "RCA_ENGINE_THREADS"  # DuckDB's threads; unset: every usable core (see share_cores)
# Unless RCA_ENGINE says which, DuckDB reads a file this large or larger, Python a smaller one: below
# it, importing DuckDB (~0.3 CPU-s) costs more than Python's reading (benchmarks/results/engine2-issue24.md).
ENGINE_MIN_BYTES = 16 * 1024 * 1024
# A gzipped export's lines are this many times its bytes, at least: JSON log lines compress 10-17×.
GZIP_RATIO = 8
LINE_LIMIT = 2 * 1024 * 1024  # longer lines are DuckDB's rejects, read again by Python (never over-long there)
_SCAN_CHUNK = 1 << 22


def engine_name() -> str:
    """The engine RCA_ENGINE asks for: "duckdb", "python", or "" when it asks for none."""
    chosen = os.environ.get(ENGINE_VARIABLE, "").strip().lower()
    return chosen if chosen in ("duckdb", "python") else ""


def engine_reads(source: str) -> bool:
    """Whether DuckDB passes over this JSON-lines source's healthy lines: a local file it can open by
    its name (not one with glob characters, which it would expand), when RCA_ENGINE=duckdb, or by
    default when the file holds ENGINE_MIN_BYTES or more (a gzip file's bytes counted GZIP_RATIO
    times). RCA_ENGINE=python is the way back."""
    chosen = engine_name()
    if chosen == "python" or not os.path.isfile(source) or any(char in source for char in "*?[{"):
        return False
    if not chosen and os.path.getsize(source) * (GZIP_RATIO if _is_gzip(source) else 1) < ENGINE_MIN_BYTES:
        return False
    return importlib.util.find_spec("duckdb") is not None  # a platform without its wheel reads in Python


def usable_cores() -> int:
    """The cores this process may run on (its affinity, as `taskset` sets it), else the machine's."""
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1))


def engine_threads() -> int:
    """The threads DuckDB runs on: RCA_ENGINE_THREADS when it names a number (each worker of a pool
    or a Dask cluster is given its share of the cores there, `share_cores`), else every usable core."""
    chosen = os.environ.get(THREADS_VARIABLE, "").strip()
    return int(chosen) if chosen.isdigit() and int(chosen) > 0 else usable_cores()


def share_cores(sharing: int) -> None:
    """In a worker process, one of `sharing` that run at once on this machine: its DuckDB runs on
    its share of the cores (at least one), not on all of them, so that N workers do not start N × cores
    threads that fight for the cores. A share the user set in RCA_ENGINE_THREADS is left as it is."""
    os.environ.setdefault(THREADS_VARIABLE, str(max(1, usable_cores() // max(1, sharing))))


def connect():
    import duckdb

    spill = os.path.join(tempfile.gettempdir(), "rca-duckdb-spill")
    connection = duckdb.connect(config={
        "memory_limit": os.environ.get(MEMORY_VARIABLE) or DEFAULT_MEMORY,
        "temp_directory": spill,
        "threads": engine_threads(),
        "preserve_insertion_order": True,
    })
    # DuckDB draws a progress bar on stdout for a query slower than 2 s (a loaded machine, a Dask
    # worker): into the report a user pipes (`--format json`). A session setting, not a config one.
    connection.execute("SET enable_progress_bar = false")
    return connection


# One line of text: no delimiter, quote or escape, so that each line is one value whatever it holds.
# Lines stay lines (not `read_ndjson` rows) so that each keeps its number and DuckDB's rejects their place.
READ_LINES = """read_csv(?, columns={'raw': 'VARCHAR'}, delim='\\0', quote='', escape='', comment='', header=false,
    auto_detect=false, strict_mode=false, new_line='\\n', compression=?, max_line_size=?, store_rejects=true,
    rejects_table='rejects', rejects_scan='reject_scans')"""

# The fields the prefilter decides on, each line parsed once (yyjson, in C) for all of them. `try`
# makes a line that is not JSON a NULL list: Python decides on it, and counts it as it does today.
# Each path costs a walk, so the rare ones (other platforms' service and revision labels) are
# looked up in a second call, only on the lines whose first choice is missing.
FIELDS = ["$.severity", "$.timestamp", "$.httpRequest.status", "$.httpRequest.requestUrl", "$.textPayload",
          "$.resource.type", "$.resource.labels.service_name", "$.resource.labels.revision_name", "$.labels"]
SEVERITY, STAMP, STATUS, URL, TEXT, RESOURCE_TYPE, SERVICE_NAME, REVISION_NAME, LABELS = range(1, 10)
OTHER_SERVICE_LABELS = ["$.resource.labels.module_id", "$.resource.labels.function_name", "$.resource.labels.job_name",
                        "$.resource.labels.container_name"]
OTHER_REVISION_LABEL = "$.resource.labels.version_id"

# DuckDB's parser takes what orjson refuses (NaN and infinities in any case, `-nan`, `INF`,
# trailing commas, any depth): a line that may hold one goes to Python, which counts it as a reject
# with its reason as it does today. Such a token is looked for where a value can begin (after `:`,
# `,` or `[`, blanks allowed) and up to where a value ends (blanks, then `,`, `}` or `]`): one
# regular expression per leading character, each of which RE2 finds with memchr, so a line costs
# three quick searches, not a case-blind scan of every byte (~0.4 CPU-s per 200k lines), nor six
# substrings that missed `nan`, `-INF` or `,\t}`. Nesting past orjson's limit needs over 2,048 bytes,
# so every longer line goes to Python too. (A number too large for a double, `1e999`, would need a
# regular expression over every number: such a line in a healthy entry is counted as healthy, not
# as broken JSON.)
LENIENT_TOKEN = r"-?(?:[nN][aA][nN]|[iI][nN][fF](?:[iI][nN][iI][tT][yY])?)[ \t]*[,}\]]"
NOT_STRICT = (r":[ \t]*" + LENIENT_TOKEN, r",[ \t]*(?:[\]}]|" + LENIENT_TOKEN + ")", r"\[[ \t]*" + LENIENT_TOKEN)
STRICT_BELOW = 2048
# Keys whose presence sends a line to Python whatever its fields say: a request log whose status
# is not a plain number (or an httpRequest of the wrong type, which Python notes), an audit log,
# a part of a split entry.
PYTHON_KEYS = ('"httpRequest"', '"protoPayload"', '"split"')
PYTHON_KEYS_SQL = "regexp_matches(raw, '\"(?:" + "|".join(key.strip('"') for key in PYTHON_KEYS) + ")\"')"  # one pass, not three
# What makes a healthy-looking text line worth decoding (prefilter.py: a traceback's lines, a failed
# Cloud Functions execution), and the platform failures a request's text could name (events.error_event).
TEXT_MATTERS = r"""Traceback|rror|xception|File "|finished with status"""
URL_MATTERS = (r"Traceback|Container called exit\(|probe failed|Worker failed to boot|WORKER TIMEOUT|Memory limit of"
               r"|OOMKilled|Out of memory|oom-kill|Back-off restarting|was sent SIGKILL|Main process exited")
STAMP_SHAPE = r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,9})?Z"
# Resource types whose service, revision or severity the payload or pod name decides (workloads.py),
# or whose request text says more (a Cloud Functions execution): their request logs go to Python.
PYTHON_TYPES = ("k8s_container", "k8s_pod", "k8s_cluster", "cloud_function")

# What each line is: 0 Python decides on it (an error, a candidate, anything unclear); 1 a healthy
# entry passed over as the byte prefilter passes it over (counted, its stamp noted); 2 a healthy
# request log (status < 500, not 401/403/429) counted in SQL per second, service and revision, when
# the reader was asked for those tallies (`requests`). A stamp with an offset (not `Z`) is Python's:
# it dates it in UTC (prefilter.stamp_in). Decided on the fields, not the bytes: a
# `"severity":"INFO"` nested in a payload, or `rror` in a label, no longer decides anything.
KIND = """CASE
    WHEN f IS NULL OR coalesce(f[{severity}], '') NOT IN ('INFO', 'DEBUG', 'NOTICE') THEN 0
    WHEN NOT ends_with(coalesce(f[{stamp}], 'Z'), 'Z') THEN 0
    WHEN f[{status}] IS NOT NULL THEN CASE
        WHEN {requests} AND regexp_full_match(f[{status}], '[0-9]{{1,3}}')
             AND f[{status}]::INTEGER < 500 AND f[{status}]::INTEGER NOT IN (401, 403, 429)
             AND f[{text}] IS NULL AND NOT contains(raw, 'Payload"')
             AND coalesce(f[{resource_type}], '') NOT IN {python_types} AND service IS NOT NULL
             AND (f[{labels}] IS NULL OR starts_with(f[{labels}], '{{'))
             AND regexp_full_match(coalesce(f[{stamp}], ''), '{stamp_shape}') AND f[{stamp}] >= '1970'
             AND NOT regexp_matches(coalesce(f[{url}], ''), '{url_matters}') THEN 2
        ELSE 0 END
    WHEN {python_keys} THEN 0
    WHEN f[{text}] IS NOT NULL THEN CASE
        WHEN regexp_matches(f[{text}], '^[\\s"\\\\/]') OR regexp_matches(f[{text}], '{text_matters}') THEN 0 ELSE 1 END
    WHEN contains(raw, '\\') AND (contains(raw, 'File \\"') OR contains(raw, 'Traceback')) THEN 0
    ELSE 1
  END"""


def _sql_text(pattern: str) -> str:
    return pattern.replace("'", "''")


def kind_sql(requests: bool) -> str:
    return KIND.format(
        severity=SEVERITY, requests="true" if requests else "false", status=STATUS, text=TEXT,
        resource_type=RESOURCE_TYPE, python_types=str(PYTHON_TYPES), labels=LABELS, stamp=STAMP, stamp_shape=STAMP_SHAPE,
        url=URL, url_matters=_sql_text(URL_MATTERS), text_matters=_sql_text(TEXT_MATTERS),
        python_keys=PYTHON_KEYS_SQL)


def _either(first: str, others: list[str]) -> str:
    """The first non-empty of a field and the fields looked up only when it is missing."""
    paths = "[" + ", ".join(f"'{path}'" for path in others) + "]"
    return (f"coalesce(nullif({first}, ''), CASE WHEN f IS NOT NULL AND nullif({first}, '') IS NULL THEN "
            f"list_filter(json_extract_string(raw, {paths}), lambda x: x <> '')[1] END)")


def _not_strict() -> str:
    return " OR ".join(f"regexp_matches(raw, '{pattern}')" for pattern in NOT_STRICT)


# Each line judged where it is read, in parallel. Rows are numbered by where the table holds them
# (`rowid`, through the view `judged`): the table is written in file order (preserve_insertion_order),
# and on every thread. `row_number() OVER ()` numbered them as well, but DuckDB runs a streaming
# window on one thread, and with it the whole reading below it (3.7 of 4.2 CPU-s on one thread, 1M
# lines). The text is kept only for the rows Python decides on; a passed row keeps its revision, its
# stamp to the second (as prefilter.stamp_in cuts it), the nanosecond of its stamp (`moment`) and its
# GKE ReplicaSet; a counted request its second, service and moment, which order a revision's requests
# and the first and last. Every row keeps its length in bytes (`size`), where sized_layout finds lines.
JUDGED = """CREATE TEMP TABLE judged_rows AS
SELECT kind, CASE WHEN kind = 0 THEN raw END AS raw,
       CASE WHEN kind > 0 THEN {revision} END AS revision,
       CASE WHEN kind = 1 AND strlen(f[{stamp}]) >= 19 AND substr(f[{stamp}], 11, 1) = 'T' THEN left(f[{stamp}], 19) END
           AS stamp,
       CASE WHEN kind = 2 THEN service END AS service,
       CASE WHEN kind = 1 AND contains(raw, '"k8s-pod/pod-template-hash"')
            THEN regexp_extract(raw, '"k8s-pod/pod-template-hash": ?"([^"]{{0,64}})"', 1) END AS replica_set,
       CASE WHEN kind = 2 THEN epoch(strptime(left(f[{stamp}], 19), '%Y-%m-%dT%H:%M:%S'))::BIGINT END AS second,
       CASE WHEN kind > 0 THEN rpad(CASE WHEN strlen(f[{stamp}]) > 20 THEN substr(f[{stamp}], 21, strlen(f[{stamp}]) - 21)
                                    ELSE '' END, 9, '0') END AS moment,
       coalesce(strlen(raw), 0)::BIGINT AS size, {copy_key}
FROM (SELECT raw, f, service, CASE WHEN field_kind = 0 OR strlen(raw) >= {strict_below} OR {not_strict} THEN 0
                                   ELSE field_kind END AS kind
      FROM (SELECT raw, f, service, {kind} AS field_kind
            FROM (SELECT raw, f, CASE WHEN f[{status}] IS NOT NULL THEN {service} END AS service
                  FROM (SELECT raw, try(json_extract_string(raw, {fields})) AS f FROM {lines}))))"""
# The judged rows numbered from 1 in file order: what every later query reads.
NUMBERED = "CREATE TEMP VIEW judged AS SELECT rowid + 1 AS row, * FROM judged_rows"

# The rows Python reads although SQL could pass over them: the earliest passed row of each revision
# (in any file order: a newest-first export too), the first row of each GKE ReplicaSet (as
# jsonlog.keeping_changes keeps it: one already running is seen where the logs begin, not first at
# an error), and of the counted requests the earliest of each
# (service, revision) and the earliest and latest overall, so that the deploy tracker sees every
# time it would have seen (DeployTracker keeps the earliest record of a revision, and the window's ends).
# And every passed row of the earliest and of the latest second: the window's ends are exact where
# the Python reader decodes such a line (its byte prefilter keeps more than the fields do) and the
# second where it passes one over too (`prefilter.stamp_in`); read_line decides as it does, line by line.
HANDED = """CREATE TEMP TABLE handed AS SELECT DISTINCT row FROM (
    SELECT min({'s': stamp, 'm': moment, 'r': row}).r AS row FROM judged WHERE kind = 1 AND revision IS NOT NULL
           GROUP BY revision
    UNION ALL SELECT min(row) FROM judged WHERE replica_set IS NOT NULL GROUP BY replica_set
    UNION ALL SELECT min({'s': second, 'm': moment, 'r': row}).r FROM judged WHERE kind = 2 AND revision IS NOT NULL
              GROUP BY service, revision
    UNION ALL SELECT min({'s': second, 'm': moment, 'r': row}).r FROM judged WHERE kind = 2
    UNION ALL SELECT max({'s': second, 'm': moment, 'r': row}).r FROM judged WHERE kind = 2
    UNION ALL SELECT row FROM judged WHERE kind = 1
              AND stamp IN (SELECT unnest([min(stamp), max(stamp)]) FROM judged WHERE kind = 1)) WHERE row IS NOT NULL"""
SUMMARY = """SELECT count(*), (SELECT list(row ORDER BY row) FROM handed),
       count(*) FILTER (WHERE kind = 1 AND NOT handed), min(stamp) FILTER (WHERE kind = 1 AND NOT handed),
       max(stamp) FILTER (WHERE kind = 1 AND NOT handed)
FROM (SELECT kind, stamp, row IN (SELECT row FROM handed) AS handed FROM judged)"""
# The healthy requests counted in SQL, per second and (service, revision) lane, the lanes numbered:
# fetched as three columns (`TallyColumns`), never a Python object per row.
TALLY = """CREATE OR REPLACE TEMP TABLE tally AS
SELECT service, revision, second, count(*)::BIGINT AS requests FROM judged
WHERE kind = 2 AND row NOT IN (SELECT row FROM handed) GROUP BY service, revision, second"""
TALLY_LANES = """CREATE OR REPLACE TEMP TABLE tally_lanes AS
SELECT (row_number() OVER (ORDER BY service, revision) - 1)::BIGINT AS lane, service, revision
FROM (SELECT DISTINCT service, revision FROM tally)"""
TALLY_COLUMNS = """SELECT second, lane, requests FROM tally JOIN tally_lanes
ON tally.service = tally_lanes.service AND tally.revision IS NOT DISTINCT FROM tally_lanes.revision"""
# The text of the rows Python decides on, in file order.
CANDIDATES = "SELECT row, raw FROM judged WHERE kind = 0"
# The same as bytes (`encode`: UTF-8 as it is, not a cast, which would read `\x..` escapes): Python is
# handed each line's bytes as DuckDB holds them, with no str made and encoded again. And whether the
# line names a benign severity anywhere, the byte prefilter's first test (prefilter.make_prefilter):
# a line that names none is decoded whatever the prefilter, so Python need not search it three times.
# One regular expression, not three `contains`: RE2 finds the common `"severity":"` with memchr and reads on
# only there, one pass over each line instead of three (0.15 -> 0.085 CPU-s for the 66k candidates of a flood).
CANDIDATE_BYTES = """SELECT row, encode(raw), regexp_matches(raw, '"severity":"(?:INFO|DEBUG|NOTICE)"')
FROM judged WHERE kind = 0"""


def judged_sql(deploys: bool, requests: bool = False) -> str:
    revision = _either(f"f[{REVISION_NAME}]", [OTHER_REVISION_LABEL]) if deploys or requests else "NULL"
    return JUDGED.format(kind=kind_sql(requests), strict_below=STRICT_BELOW, not_strict=_not_strict(), revision=revision,
                         stamp=STAMP, status=STATUS, service=_either(f"f[{SERVICE_NAME}]", OTHER_SERVICE_LABELS),
                         fields="[" + ", ".join(f"'{path}'" for path in FIELDS) + "]", lines=READ_LINES,
                         copy_key=COPY_KEY)


@dataclass
class Judged:
    """What SQL tells of one file, before Python reads any of it."""

    rows: int  # lines DuckDB read (empty ones included, its rejects not)
    rejects: list[int]  # line numbers of the lines DuckDB could not read, in order
    firsts: list[int]  # row numbers of the healthy lines handed to Python all the same (see HANDED), in order
    passed: int  # healthy lines passed over in SQL
    first: str | None  # their earliest and latest stamps, as `prefilter.stamp_in` cuts them (see HANDED)
    last: str | None
    deploys: bool
    requests: TallyColumns | None = None  # the healthy requests counted in SQL
    copies: int = 0  # lines passed over as copies of an entry already read (unique.COPIES)
    copied_rejects: set[int] = field(default_factory=set)  # line numbers of DuckDB's rejects that are copies


def judge(connection, source: str, compressed: bool, deploys: bool, requests: bool = False,
          passes: Passes | None = None) -> Judged:
    """What SQL tells of the file; with `passes` (the file's lines, for Python to read again), the
    copies of an entry already read are found (engine_copies.py) and left out of every count."""
    connection.execute(judged_sql(deploys, requests), read_arguments(source, compressed))
    connection.execute(NUMBERED)
    rejects = [line for (line,) in connection.execute("SELECT DISTINCT line FROM rejects ORDER BY line").fetchall()]
    copied_rows, copied_rejects = _find_copies(connection, passes, rejects) if passes is not None else ([], set())
    mark_copies(connection, copied_rows)
    connection.execute(HANDED)
    rows, firsts, passed, first, last = connection.execute(SUMMARY).fetchall()[0]
    tallied = _tally(connection) if requests else None
    return Judged(rows, rejects, firsts or [], passed, first, last, deploys, tallied,
                  len(copied_rows) + len(copied_rejects), copied_rejects)


def _tally(connection) -> TallyColumns:
    """The healthy requests counted in SQL, as columns (numpy's int64 arrays: DuckDB fills them in C)."""
    connection.execute(TALLY)
    connection.execute(TALLY_LANES)
    lanes = [(service, revision) for service, revision in
             connection.execute("SELECT service, revision FROM tally_lanes ORDER BY lane").fetchall()]
    columns = connection.execute(TALLY_COLUMNS).fetchnumpy()
    return TallyColumns(lanes, columns["second"], columns["lane"], columns["requests"])


def _find_copies(connection, passes: Passes, rejects: list[int]) -> tuple[list[int], set[int]]:
    """The rows, and the rejects' line numbers, that are copies, decided by the Python reader's rule
    on the lines that may be (`engine_copies`), read again by two passes over the file."""
    suspects = suspect_rows(connection)
    if not suspects and len(rejects) < 2:
        return [], set()
    numbers = LineNumbers(rejects)
    row_of = {numbers(row): row for row in suspects}
    layout = lay_out(passes.fresh(), sorted(set(row_of) | set(rejects)))
    copies = copies_among(layout.texts, layout.offsets)
    return sorted(row_of[line] for line in copies if line in row_of), {line for line in copies if line not in row_of}


def read_arguments(source: str, compressed: bool) -> list:
    return [source, "gzip" if compressed else "none", LINE_LIMIT]


class LineNumbers:
    """Row numbers (DuckDB's, without its rejects) to line numbers, for rows asked in rising order."""

    def __init__(self, rejects: list[int]):
        self.rejects, self.before = rejects, 0

    def __call__(self, row: int) -> int:
        while self.before < len(self.rejects) and self.rejects[self.before] <= row + self.before:
            self.before += 1
        return row + self.before


OVERLONG = object()  # a line past MAX_LINE_BYTES: skipped as `read_json_lines` skips it


@dataclass
class Layout:
    """What one pass over the file's bytes (gzip undone) finds: its lines, where some begin, and their text."""

    lines: int = 0
    ends_with_newline: bool = True
    carriage_return: bool = False  # DuckDB ends a line at `\r` too, Python at `\n` only
    offsets: dict[int, int] = field(default_factory=dict)  # line number -> byte offset of its start
    # line number -> its bytes (newline included) or OVERLONG, as `read_json_lines` would read them: taken in the
    # same pass, so that a gzip is inflated once by Python, not once to count and again to read
    texts: dict[int, object] = field(default_factory=dict)


def sized_layout(connection, judged: Judged, passes: Passes) -> Layout | None:
    """What `lay_out` finds, without counting the lines of a plain file in Python: where each line
    begins is the sum of the byte lengths DuckDB read before it (`size`, one newline each), and the
    wanted lines are read at their offsets. Only where DuckDB's lines are Python's: no rejects (whose
    lengths it does not tell), no carriage return (where DuckDB ends a line too: a scan for one is a
    tenth of counting the lines), and every byte of the file accounted for. None otherwise, for
    `lay_out` to count them."""
    if passes.compressed or judged.rejects:
        return None
    stream = passes.fresh()
    if _holds_carriage_return(stream):
        return None
    size = stream.seek(0, os.SEEK_END)
    if size == 0:
        return None
    stream.seek(size - 1)
    ends_with_newline = stream.read(1) == b"\n"
    # in rowid order: a table scan keeps the order the table was written in (preserve_insertion_order)
    sizes = connection.execute("SELECT size FROM judged_rows").fetchnumpy()["size"]
    if len(sizes) != judged.rows or int(sizes.sum()) + judged.rows - (0 if ends_with_newline else 1) != size:
        return None
    layout = Layout(lines=judged.rows, ends_with_newline=ends_with_newline)
    if judged.firsts:
        ends = (sizes + 1).cumsum()
        for line in wanted_lines(judged):
            start = int(ends[line - 2]) if line > 1 else 0
            stream.seek(start)
            text = stream.readline(MAX_LINE_BYTES)
            if len(text) - text.endswith(b"\n") != sizes[line - 1]:  # not the line DuckDB numbered so
                return None
            layout.offsets[line] = start
            layout.texts[line] = OVERLONG if len(text) >= MAX_LINE_BYTES and not text.endswith(b"\n") else text
    return layout


def _holds_carriage_return(stream) -> bool:
    stream.seek(0)
    buffer = bytearray(_SCAN_CHUNK)
    while size := stream.readinto(buffer):
        if buffer.find(b"\r", 0, size) >= 0:
            return True
    return False


def lay_out(stream, wanted: list[int]) -> Layout:
    """Count the lines and find where the `wanted` ones (in rising order) begin and what they hold, a
    chunk at a time: only chunks that hold a wanted line are searched line by line."""
    layout = Layout()
    targets = iter(wanted)
    target = next(targets, None)
    taking = _Taking(layout.texts)
    base, newlines, last = 0, 0, b"\n"
    while chunk := stream.read(_SCAN_CHUNK):
        layout.carriage_return = layout.carriage_return or b"\r" in chunk
        taking.go_on(chunk)
        count = chunk.count(b"\n")
        at, seen = 0, newlines
        while target is not None and target - 1 <= newlines + count:
            while seen < target - 1:
                at = chunk.index(b"\n", at) + 1
                seen += 1
            layout.offsets[target] = base + at
            taking.begin(target, chunk, at)
            target = next(targets, None)
        newlines += count
        base += len(chunk)
        last = chunk[-1:]
    taking.end()
    layout.ends_with_newline = last == b"\n"
    layout.lines = newlines + (0 if layout.ends_with_newline else 1)
    return layout


class _Taking:
    """The text of wanted lines taken from the chunks that hold them, as `readline(MAX_LINE_BYTES)`
    at their start reads it: through the newline, or MAX_LINE_BYTES bytes of a longer line (OVERLONG).
    A line may run past its chunk: it is carried into the next one (at most one at a time)."""

    def __init__(self, texts: dict[int, object]):
        self.texts = texts
        self.line: int | None = None
        self.taken = bytearray()

    def begin(self, line: int, chunk: bytes, at: int) -> None:
        self.line, self.taken = line, bytearray()
        self._take(chunk, at)

    def go_on(self, chunk: bytes) -> None:
        if self.line is not None:
            self._take(chunk, 0)

    def _take(self, chunk: bytes, at: int) -> None:
        room = MAX_LINE_BYTES - len(self.taken)
        end = chunk.find(b"\n", at, at + room)
        self.taken += chunk[at: end + 1] if end >= 0 else chunk[at: at + room]
        if end >= 0 or len(self.taken) >= MAX_LINE_BYTES:
            self.end()

    def end(self) -> None:
        """The line taken so far is whole: its newline met, its limit reached, or the file ended."""
        if self.line is None:
            return
        taken = bytes(self.taken)
        self.texts[self.line] = OVERLONG if len(taken) >= MAX_LINE_BYTES and not taken.endswith(b"\n") else taken
        self.line, self.taken = None, bytearray()


def candidates(connection, judged: Judged, batch: int = 4096) -> Iterator[tuple[int, object]]:
    """(line number, text or None for an empty line) of every row SQL did not pass over, in file order."""
    numbers = LineNumbers(judged.rejects)
    for row, raw in _in_row_order(connection.execute(CANDIDATES), batch):
        yield numbers(row), raw


def candidate_lines(connection, judged: Judged, layout: Layout, batch: int = 4096) -> Iterator[tuple[int, object, bool]]:
    """(line number, the line's bytes as Python's reader reads them, its newline put back, or None for
    an empty line, whether the byte prefilter may pass it over) of every row SQL did not pass over, in
    file order."""
    numbers = LineNumbers(judged.rejects)
    last, ends_with_newline = layout.lines, layout.ends_with_newline
    for row, raw, benign in _in_row_order(connection.execute(CANDIDATE_BYTES), batch):
        line = numbers(row)
        yield line, (raw if raw is None else raw + b"\n" if line < last or ends_with_newline else raw), benign


def _in_row_order(result, batch: int) -> Iterator[tuple]:
    """The rows of a query whose first column is the row number, fetched `batch` at a time: the line
    numbers and the merge with the lines Python reads itself rely on their rising order, so it is checked."""
    previous = 0
    while rows := result.fetchmany(batch):
        for fetched in rows:
            if fetched[0] <= previous:
                raise EngineError("DuckDB gave the lines out of order")
            previous = fetched[0]
            yield fetched


class EngineError(RuntimeError):
    """DuckDB did not keep a promise this module relies on (a bug to report, not bad input)."""


def read_json_lines_in_engine(stream, source: str, stats: ReadStats, prefilter: str) -> Iterator[LogRecord]:
    """`jsonlog.read_json_lines`, its healthy lines passed over in DuckDB: the same records, positions
    and counts. `stream` is the file's lines (gzip undone), read by Python when DuckDB fails (a gzip
    cut short or damaged: the Python reader reads every line that inflates, and counts the cut) or
    when its lines do not add up."""
    import duckdb

    compressed = _is_gzip(source)
    inflated = inflate(source) if compressed else Inflated()
    if inflated.damaged:  # DuckDB refuses a cut or damaged gzip: the Python reader reads what inflates
        yield from _read_in_python(stream, source, stats, prefilter, compressed)
        return
    plain = passes = connection = judged = None
    try:  # from here every exit removes the inflated copy, an error opening it included
        # A gzip inflated into a plain file is read as a plain file, on every core (engine_inflate.py)
        path, plain = (inflated.path, open(inflated.path, "rb")) if inflated.path is not None else (source, None)
        passes = Passes(stream if plain is None else plain, path, compressed and plain is None)
        try:
            connection = connect()
            # "events" counts healthy request logs in SQL too (kind 2): no event is made of one
            judged = judge(connection, path, passes.compressed, prefilter in ("deploys", "requests"),
                           prefilter in ("requests", "events"), passes)
        except duckdb.Error:
            judged = None
        layout = None if judged is None else (sized_layout(connection, judged, passes)
                                              or lay_out(passes.fresh(), wanted_lines(judged)))
        if judged is None or layout is None or passes.damaged() or not adds_up(judged, layout):
            yield from _read_in_python(stream, source, stats, prefilter, compressed)
            return
        yield from _read_judged(candidate_lines(connection, judged, layout), source, stats, prefilter, judged, layout)
    finally:
        if passes is not None:
            passes.close()
        if connection is not None:
            connection.close()
        if plain is not None:
            plain.close()
        inflated.close()


def _read_in_python(stream, source: str, stats: ReadStats, prefilter: str, compressed: bool) -> Iterator[LogRecord]:
    """The file read as if the engine had never seen it: a plain file rewound (a gzip's stream was
    never read: the engine's passes inflate their own), its copies passed over as UniqueEntries does."""
    if not compressed:
        stream.seek(0)
    unique = io.BufferedReader(UniqueEntries(stream, RecentKeys(), stats), _SCAN_CHUNK)
    yield from read_json_lines(unique, source, stats, prefilter)


def adds_up(judged: Judged, layout: Layout) -> bool:
    """DuckDB's rows and rejects are the file's lines as Python splits them (`\r` splits in DuckDB only)."""
    return not layout.carriage_return and layout.lines == judged.rows + len(judged.rejects)


def wanted_lines(judged: Judged) -> list[int]:
    """The lines Python reads from the file itself: DuckDB's rejects and each revision's first line."""
    numbers = LineNumbers(judged.rejects)
    return sorted({numbers(row) for row in judged.firsts} | set(judged.rejects))


def in_line_order(rows: Iterator[tuple], few: list[tuple]) -> Iterator[tuple]:
    """`rows` and `few` (both in rising line order, `few` short: the lines Python read itself) as one
    sequence in line order, a row first on a tie, as `heapq.merge(rows, few)` gives them: without a
    heap step and a key call for every one of the tens of thousands of rows."""
    others = iter(few)
    other = next(others, None)
    for row in rows:
        while other is not None and other[0] < row[0]:
            yield other
            other = next(others, None)
        yield row
    if other is not None:
        yield other
        yield from others


def _read_judged(rows: Iterator[tuple[int, object, bool]], source: str, stats: ReadStats, prefilter: str,
                 judged: Judged, layout: Layout) -> Iterator[LogRecord]:
    texts = dict(layout.texts)  # taken by lay_out's pass: the file is not read (a gzip not inflated) again
    for line in judged.copied_rejects:
        texts[line] = None  # passed over as an empty line, as UniqueEntries empties a copy
    if judged.copies:  # noted before any line is read, as UniqueEntries notes a chunk's copies before its lines
        stats.notes[COPIES] += judged.copies
    cannot_matter = choose_prefilter(prefilter, indented=False)
    # The prefilter passes over only a line that names a benign severity (its first test; what it notes of
    # revisions and ReplicaSets is looked at after it): any other line it decodes, so such a line is read as
    # with the prefilter "off", without its three searches.
    decode_all = choose_prefilter("off", indented=False)
    read_again = [(line, texts[line], True) for line in sorted(texts)]  # the prefilter runs on each, as before
    for line, raw, benign in in_line_order(rows, read_again):
        if raw is None:  # an empty line: neither a record nor a skip
            continue
        if raw is OVERLONG:
            stats.records += 1
            stats.skip(OVERLONG_REASON, source, line)
            continue
        assert isinstance(raw, bytes)
        record = read_line(raw, source, line, stats, cannot_matter if benign else decode_all)
        if record is not None:
            yield record
    stats.records += judged.passed
    if judged.requests is not None:
        stats.records += int(judged.requests.counts.sum())
        if prefilter == "requests":  # the rates' denominators; "events" only counts the lines
            stats.requests.add(judged.requests)
    for stamp in (judged.first, judged.last):
        stats.passed_over(stamp.encode() if stamp else None)


def _is_gzip(source: str) -> bool:
    with open(source, "rb") as stream:
        return stream.read(2) == GZIP_MAGIC
