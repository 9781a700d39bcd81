"""Ingest: takes paths, globs, directories, `-`, `gs://` prefixes or a live Cloud Logging query and
gives one stream of LogRecords with the ReadStats that count what was read and skipped.
May import: rca.errors only.

The format of each source is sniffed from its first bytes (after gzip is undone), never guessed
from its name. Unreadable sources are reported in `ReadStats.errors` and the run goes on.
"""

from __future__ import annotations

import glob
import io
import itertools
import os
import re
import sys
from collections.abc import Iterable, Iterator
from typing import Any

from rca.errors import RcaError
from rca.ingest.csvlog import looks_like_csv, read_csv
from rca.ingest.engine import engine_reads, read_json_lines_in_engine
from rca.ingest.gunzip import GZIP_MAGIC, Gunzip
from rca.ingest.journal import looks_like_journal, looks_like_journal_json, read_journal_json, read_journal_text
from rca.ingest.jsonlog import read_json_array, read_json_lines
from rca.ingest.record import LogRecord
from rca.ingest.shards import merged_in_time, shard_groups, sink_hour
from rca.ingest.splits import join_split_entries
from rca.ingest.stats import ReadStats
from rca.ingest.textengine import read_text_in_engine, text_engine_reads
from rca.ingest.textlog import control_share, read_text
from rca.ingest.transcode import Utf8Reader, utf16_without_bom, wide_encoding
from rca.ingest.unique import HourKeys, RecentKeys, UniqueEntries

SNIFF_BYTES = 1 << 16
UTF8_BOM = b"\xef\xbb\xbf"
STDIN = "-"


def is_gcs(name) -> bool:
    """A Cloud Storage URL, gs://BUCKET/PREFIX (read by `.gcs`, imported only for one: gcsfs is slow to import)."""
    return isinstance(name, str) and name.startswith("gs://")


class InputError(RcaError):
    """A named input that does not exist or matches nothing."""


def expand_inputs(inputs: Iterable[str | os.PathLike], stats: ReadStats | None = None) -> list[str]:
    """Files named, found under directories, or matched by globs (`**` recurses); `-` is stdin. Each
    file is listed once, however many names or links reach it. A name that matches nothing is recorded
    in `stats.errors` and the other inputs are still read; without `stats`, or when nothing at all is
    found, it raises InputError."""
    found: list[str] = []
    seen: set = set()
    missing: list[tuple[str, str]] = []
    for item in inputs:
        name = os.fspath(item)
        kept = []
        for path in sorted(_expand(name, missing), key=os.path.islink):  # a file's own name before a link's
            key = _identity(path)
            if key not in seen:
                seen.add(key)
                kept.append(path)
        found.extend(sorted(kept))
    if missing and (stats is None or not found):
        raise InputError("; ".join(f"{name}: {reason}" for name, reason in missing))
    for name, reason in missing:
        assert stats is not None  # raised above otherwise
        stats.error(name, reason)
    return found


def input_named_by(output: str | os.PathLike, inputs: Iterable[str | os.PathLike]) -> str | None:
    """The input file that `output` names, by another name, a link or a hard link too, or None: a
    report written there would replace the logs it was made from. Only a file that exists can be one."""
    try:
        target = os.stat(output)
    except OSError:
        return None
    local = [name for name in inputs if not is_gcs(name) and os.fspath(name) != STDIN]
    try:
        files = expand_inputs(local, ReadStats())  # a missing input is the run's own error, later
    except InputError:
        return None
    return next((path for path in files if _identity(path) == (target.st_dev, target.st_ino)), None)


def _expand(name: str, missing: list[tuple[str, str]]) -> list[str]:
    if name == STDIN:
        return [STDIN]
    if is_gcs(name):
        missing.append((name, "a bucket is read by `rca analyze` (and rca.analyze) only"))
        return []
    if os.path.isdir(name):
        return sorted(path for _, files in _tree(name, missing) for path in files)
    if os.path.exists(name):
        return [name]
    if glob.has_magic(name):
        matches = _glob(name, missing)
        if not matches:
            missing.append((name, "no file matches this pattern"))
        return matches
    missing.append((name, "no such file or directory"))
    return []


RECURSIVE = re.compile(r"(?:^|/)\*\*(?:/|$)")


def _glob(pattern: str, missing: list[tuple[str, str]]) -> list[str]:
    """Files that match `pattern`. The standard `glob` follows links to directories into loops
    (a two-file tree with one loop was read 41 times), so `**` is walked here: every real directory
    once, hidden ones skipped as `glob` skips them."""
    recursive = RECURSIVE.search(pattern)
    if recursive is None:
        return sorted(path for path in glob.glob(pattern) if os.path.isfile(path))
    head = pattern[:recursive.start()]
    tail = re.sub(r"^(?:\*\*/)+", "", pattern[recursive.end():]) or "*"  # `**/**/x` is `**/x`
    roots = glob.glob(head) if glob.has_magic(head) else [head or os.curdir]
    found: set[str] = set()
    for root in roots:
        for folder, _ in _tree(root, missing):
            inner = os.path.join(glob.escape(folder), tail)
            matches = _glob(inner, missing) if RECURSIVE.search(tail) else glob.glob(inner)
            found.update(_relative(path) if not head else path for path in matches if os.path.isfile(path))
    return sorted(found)


def _tree(root: str, missing: list[tuple[str, str]]) -> Iterator[tuple[str, list[str]]]:
    """(folder, its files) for `root` and every folder under it. Links to directories are followed,
    but each real directory is entered once, so a link loop ends where it starts; hidden names are skipped.
    A folder that cannot be listed is added to `missing` with the reason: its files are lost, and say so."""
    entered: set = set()
    waiting = [root]
    while waiting:
        folder = waiting.pop()
        try:
            key = _identity(folder)
            with os.scandir(folder) as scan:
                entries = sorted((entry for entry in scan if not entry.name.startswith(".")), key=lambda e: e.name)
        except OSError as error:
            missing.append((folder, f"cannot read this directory: {error.strerror or error}"))
            continue
        if key in entered:
            continue
        entered.add(key)
        files = [entry.path for entry in entries if _is_file(entry)]
        waiting.extend(entry.path for entry in reversed(entries) if _is_dir(entry))
        yield folder, files


def _is_file(entry: os.DirEntry) -> bool:
    try:
        return entry.is_file()
    except OSError:
        return False


def _is_dir(entry: os.DirEntry) -> bool:
    try:
        return entry.is_dir()
    except OSError:
        return False


def _identity(path: str):
    """What tells two names of one file apart from two files: its device and inode."""
    if path == STDIN:
        return STDIN
    try:
        status = os.stat(path)
    except OSError:
        return os.path.abspath(path)
    return status.st_dev, status.st_ino


def _relative(path: str) -> str:
    return path[len(os.curdir) + 1:] if path.startswith(os.curdir + os.sep) else path


def iter_records(inputs: Iterable[str | os.PathLike] | str | os.PathLike, stats: ReadStats | None = None,
                 prefilter: bool | str = False) -> Iterator[LogRecord]:
    """Every record of every input, in file order. With `prefilter` (True or "events"), healthy
    entries of JSON exports are counted but not decoded (see `prefilter.py`); "deploys" also keeps
    the first entry of each revision. An input that matches nothing is an error in `stats.errors`
    (InputError when no `stats` is given, so that it cannot pass unseen, or when nothing matches)."""
    mode = ("events" if prefilter else "off") if isinstance(prefilter, bool) else prefilter
    given = stats
    stats = stats if stats is not None else ReadStats()
    if isinstance(inputs, (str, os.PathLike)):
        inputs = [inputs]
    for group in shard_groups(expand_inputs(inputs, given)):
        yield from read_together(group, stats, mode)


def iter_sink_records(objects: Iterable[str], stats: ReadStats, prefilter: str = "deploys",
                      timeout: float | None = None) -> Iterator[LogRecord]:
    """The records of a log sink's objects of one log and hour (gs:// URLs, see `gcs.hour_groups`),
    as `read_together` reads them. `timeout`: seconds to wait for the storage server."""
    return read_together(tuple(objects), stats, prefilter, timeout)


def read_together(sources: tuple[str, ...], stats: ReadStats, prefilter: str,
                  timeout: float | None = None) -> Iterator[LogRecord]:
    """The records of one group of `shards.shard_groups` (a file, or a log sink's shards of one log
    and hour, local or gs://), merged in time order so that a traceback whose lines two shards share
    is stitched whole; an entry written to several shards counts once. The keys that tell so are
    this hour's alone, dropped when it is read."""
    hour = HourKeys() if len(sources) > 1 or sink_hour(sources[0]) is not None else None
    stats.sources.extend(sources)
    streams = [_read_source(source, stats, prefilter, hour, timeout) for source in sources]
    yield from join_split_entries(merged_in_time(streams), stats)


# The note that marks a report made without all of a bucket's object: it reaches the summary, the
# report's footer and its JSON `stats.notes`, beside the object's error (`rca analyze` exits 2).
CUT_SHORT = "objects not read to their end (this report is partial)"


def _read_source(source: str, stats: ReadStats, prefilter: str, hour: HourKeys | None = None,
                 timeout: float | None = None) -> Iterator[LogRecord]:
    try:
        stream, gunzip = _open(source, stats, timeout)
    except OSError as error:
        stats.error(source, f"cannot open: {error.strerror or error}")
        if is_gcs(source):
            stats.note(CUT_SHORT, source, "")
        return
    before = stats.records
    try:
        with stream:
            reader = _choose_reader(stream, source, stats, hour)
            if reader is not None:
                yield from reader(prefilter)
    except OSError as error:
        if not is_gcs(source):
            raise  # a local file failing mid-read is the run's error (rca: error: …), as before
        stats.error(source, f"{error}; {stats.records - before:,} records read from it before that")
        stats.note(CUT_SHORT, source, "")
        return
    if gunzip is not None and gunzip.damage is not None:
        _count_the_cut(gunzip, source, stats)


def _count_the_cut(gunzip: Gunzip, source: str, stats: ReadStats) -> None:
    """Every line that inflated before the damage was read; the damage is one skip, and the line it
    cut (held back by Gunzip) one record, as a broken line of a whole file is."""
    stats.records += gunzip.cut_line
    stats.skip(f"truncated or corrupt gzip ({gunzip.damage})", source, "end of readable data")


def _open(source: str, stats: ReadStats, timeout: float | None = None):
    """A buffered binary stream of the source's bytes, gzip undone, and the Gunzip that undoes it
    (None for a plain source)."""
    remote = is_gcs(source)
    if remote:
        from rca.ingest.gcs import open_object
    raw: Any = sys.stdin.buffer if source == STDIN else open_object(source, timeout) if remote else open(source, "rb")
    stream = io.BufferedReader(raw, SNIFF_BYTES) if source == STDIN or remote else raw
    gunzip = None
    if stream.peek(2)[:2] == GZIP_MAGIC:
        gunzip = Gunzip(stream)
        stream = io.BufferedReader(gunzip, SNIFF_BYTES)
    wide = wide_encoding(stream.peek(4)[:4])
    if wide is not None:  # UTF-16 or UTF-32 by its BOM: the readers see it as UTF-8
        stream.read(wide[1])
        stream = io.BufferedReader(Utf8Reader(stream, wide[0]), SNIFF_BYTES)
    return stream, gunzip


def _choose_reader(stream, source: str, stats: ReadStats, hour: HourKeys | None = None):
    """The reader of the source's format; for JSON lines, one that passes over the copies of an entry
    already read (`unique.py`): those `hour` holds, for a sink's shards, else those of the recent past."""
    head = stream.peek(SNIFF_BYTES)[:SNIFF_BYTES]
    body = _sniffed_body(head)
    if not body:
        stats.note("empty source", source, 0)
        return None
    lines = body[:8192].split(b"\n")[:50]
    if _is_binary(lines) and not any(_looks_like_entry(line) for line in lines):
        wide = utf16_without_bom(head)
        stats.error(source, f"text in {wide} with no byte-order mark: convert it to UTF-8 (iconv -f {wide} -t UTF-8)"
                    if wide else "binary data, not a log file (not JSON, CSV or text)")
        return None
    if head.startswith(UTF8_BOM):
        stream.read(3)
    kind = _format_of(body, lines)
    if kind == "json-array":
        return lambda prefilter: read_json_array(stream, source, stats, prefilter)
    if kind == "jsonl":
        # DuckDB opens a plain file by its name, past UniqueEntries: a sink's hour is read in Python so
        # that its copies count once across its shards; the engine finds a file's own copies itself
        # (engine_copies.py), by the rule UniqueEntries applies.
        unique = io.BufferedReader(UniqueEntries(stream, hour or RecentKeys(), stats), SNIFF_BYTES)
        if hour is None and prefilter_in_engine(source, head, stream):
            return lambda prefilter: (read_json_lines(unique, source, stats, prefilter) if prefilter == "off"
                                       else read_json_lines_in_engine(stream, source, stats, prefilter))
        return lambda prefilter: read_json_lines(unique, source, stats, prefilter)
    if kind == "csv":
        return lambda prefilter: read_csv(stream, source, stats)
    if kind == "journal-json":
        return lambda prefilter: read_journal_json(stream, source, stats)
    if kind == "journal":
        return lambda prefilter: read_journal_text(stream, source, stats)
    if hour is None and on_disk(stream, head) and text_engine_reads(source):
        # "off" asks for every record (rca.read_logs, `rca diff`): the engine's healthy lines are not records
        return lambda prefilter: (read_text if prefilter == "off" else read_text_in_engine)(stream, source, stats)
    return lambda prefilter: read_text(stream, source, stats)


def prefilter_in_engine(source: str, head: bytes, stream) -> bool:
    """Whether DuckDB passes over the healthy lines of this JSON-lines source (`engine.py`): a local
    file, read as it is on disk or gzipped (DuckDB inflates it; a cut or damaged one goes back to
    the Python reader, which reads every line before the cut), not UTF-16/32 (transcoded), without a
    byte-order mark, as RCA_ENGINE says (`engine.engine_reads`)."""
    raw = getattr(stream, "raw", None)
    gzipped = isinstance(raw, Gunzip) and raw.reads_a_file() and not head.startswith(UTF8_BOM)
    return (on_disk(stream, head) or gzipped) and engine_reads(source)


def on_disk(stream, head: bytes) -> bool:
    """The stream is a local file's bytes as they are on disk, as DuckDB reads it by its name."""
    return isinstance(getattr(stream, "raw", None), io.FileIO) and not head.startswith(UTF8_BOM)


def _format_of(body: bytes, lines: list[bytes]) -> str:
    # A `#` comment header or a junk line decides nothing: the first line that is neither does (the
    # readers then count those lines as skipped, with their reason).
    body = body[sum(len(line) + 1 for line in itertools.takewhile(_says_nothing, lines)):] or body
    if body.startswith(b"[") and body[1:].lstrip()[:1] in (b"{", b"]"):
        return "json-array"
    if looks_like_journal_json(body.split(b"\n", 1)[0]):  # before the generic JSON lines: its own fields
        return "journal-json"
    if body.startswith(b"{") and body[1:].lstrip()[:1] in (b'"', b"}"):
        return "jsonl"
    if looks_like_journal(lines):  # before CSV: an RFC 3164 line may hold commas enough to pass for a row
        return "journal"
    if looks_like_csv(body):
        return "csv"
    return "text"


def sniff_format(head: bytes) -> str | None:
    """The format of a source from its first bytes (gzip already undone): "json-array", "jsonl",
    "journal-json", "journal" (journalctl's text outputs and syslog), "csv" or "text"; None for an empty or binary one. What a reader is chosen by, for a caller that
    cuts a file in byte ranges and reads each with the same reader."""
    body = _sniffed_body(head)
    if not body:
        return None
    lines = body[:8192].split(b"\n")[:50]
    if _is_binary(lines) and not any(_looks_like_entry(line) for line in lines):
        return None
    return _format_of(body, lines)


def _sniffed_body(head: bytes) -> bytes:
    """The head a format is told by: its BOM (stripped as one sequence: a lone 0xEF byte is invalid
    UTF-8, a line to count, not padding) and leading blank space left out."""
    return head[:SNIFF_BYTES].removeprefix(UTF8_BOM).lstrip(b" \t\r\n")


def _is_binary(lines: list[bytes]) -> bool:
    """Most lines of the head are control bytes: not a log (a few junk lines inside a log are skipped later)."""
    return sum(map(_is_junk, lines)) * 2 > len(lines)


def _is_junk(line: bytes) -> bool:
    return b"\x00" in line or control_share(line) > 0.1


def _says_nothing(line: bytes) -> bool:
    """A blank line, a `#` comment, or junk: nothing to tell the format by."""
    stripped = line.strip()
    return not stripped or stripped.startswith(b"#") or _is_junk(line)


def _looks_like_entry(line: bytes) -> bool:
    line = line.strip()
    return line.startswith(b'{"') and line.endswith(b"}")
