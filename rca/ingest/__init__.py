"""Ingestion: turn paths, globs, directories and `-` into one stream of LogRecords.

The format of each source is sniffed from its first bytes (after gzip is undone), never guessed
from its name. Unreadable sources are reported in `ReadStats.errors` and the run goes on.
"""

from __future__ import annotations

import glob
import gzip
import io
import os
import sys
import zlib
from collections.abc import Iterable, Iterator
from pathlib import Path

from ..errors import RcaError
from ..record import LogRecord
from ..stats import ReadStats
from .csvlog import looks_like_csv, read_csv
from .jsonlog import read_json_array, read_json_lines
from .splits import join_split_entries
from .textlog import control_share, read_text

GZIP_MAGIC = b"\x1f\x8b"
SNIFF_BYTES = 1 << 16
STDIN = "-"


class InputError(RcaError):
    """A named input that does not exist or matches nothing."""


def expand_inputs(inputs: Iterable[str | os.PathLike]) -> list[str]:
    """Files named, found under directories, or matched by globs (`**` recurses); `-` is stdin."""
    found: list[str] = []
    for item in inputs:
        name = os.fspath(item)
        if name == STDIN:
            found.append(STDIN)
        elif os.path.isdir(name):
            found.extend(_files_under(Path(name)))
        elif os.path.exists(name):
            found.append(name)
        elif glob.has_magic(name):
            matches = sorted(m for m in glob.glob(name, recursive=True) if os.path.isfile(m))
            if not matches:
                raise InputError(f"{name}: no file matches this pattern")
            found.extend(matches)
        else:
            raise InputError(f"{name}: no such file or directory")
    return found


def _files_under(folder: Path) -> list[str]:
    return sorted(
        str(path) for path in folder.rglob("*")
        if path.is_file() and not any(part.startswith(".") for part in path.relative_to(folder).parts)
    )


def iter_records(inputs: Iterable[str | os.PathLike] | str | os.PathLike, stats: ReadStats | None = None,
                 prefilter: bool | str = False) -> Iterator[LogRecord]:
    """Every record of every input, in file order. With `prefilter` (True or "events"), healthy
    entries of JSON exports are counted but not decoded (see `prefilter.py`); "deploys" also keeps
    the first entry of each revision."""
    prefilter = {True: "events", False: "off"}.get(prefilter, prefilter)
    stats = stats if stats is not None else ReadStats()
    if isinstance(inputs, (str, os.PathLike)):
        inputs = [inputs]
    for source in expand_inputs(inputs):
        stats.sources.append(source)
        yield from join_split_entries(_read_source(source, stats, prefilter), stats)


def _read_source(source: str, stats: ReadStats, prefilter: bool) -> Iterator[LogRecord]:
    try:
        stream = _open(source)
    except OSError as error:
        stats.error(source, f"cannot open: {error.strerror or error}")
        return
    with stream:
        try:
            reader = _choose_reader(stream, source, stats)
            if reader is not None:
                yield from reader(prefilter)
        except (EOFError, zlib.error, gzip.BadGzipFile) as error:
            stats.skip(f"truncated or corrupt gzip ({error})", source, "end of readable data")


def _open(source: str):
    raw = sys.stdin.buffer if source == STDIN else open(source, "rb")
    stream = io.BufferedReader(raw, SNIFF_BYTES) if source == STDIN else raw
    if stream.peek(2)[:2] == GZIP_MAGIC:
        stream = io.BufferedReader(gzip.GzipFile(fileobj=stream), SNIFF_BYTES)
    return stream


def _choose_reader(stream, source: str, stats: ReadStats):
    head = stream.peek(SNIFF_BYTES)[:SNIFF_BYTES]
    body = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if not body:
        stats.note("empty source", source, 0)
        return None
    if _is_binary(body):
        stats.error(source, "binary data, not a log file (not JSON, CSV or text)")
        return None
    if head.startswith(b"\xef\xbb\xbf"):
        stream.read(3)
    if body.startswith(b"[") and body[1:].lstrip()[:1] in (b"{", b"]"):
        return lambda prefilter: read_json_array(stream, source, stats, prefilter)
    if body.startswith(b"{") and body[1:].lstrip()[:1] in (b'"', b"}"):
        return lambda prefilter: read_json_lines(stream, source, stats, prefilter)
    if looks_like_csv(body):
        return lambda prefilter: read_csv(stream, source, stats)
    return lambda prefilter: read_text(stream, source, stats)


def _is_binary(head: bytes) -> bool:
    """Most lines of the head are control bytes: not a log (a few junk lines inside a log are skipped later)."""
    lines = head[:8192].split(b"\n")[:50]
    junk = sum(1 for line in lines if b"\x00" in line or control_share(line) > 0.1)
    return junk * 2 > len(lines)
