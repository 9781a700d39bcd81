"""GCP exports in JSON: log-sink JSON lines, and arrays from `gcloud logging read` or Logs Explorer."""

from __future__ import annotations

from collections.abc import Iterator

import orjson

from ..record import LogRecord
from ..stats import ReadStats
from .lines import MAX_LINE_BYTES, is_overlong, iter_lines, skip_overlong
from .logentry import entry_to_record
from .prefilter import compact_cannot_matter, indented_cannot_matter, keeping_first_of_each_revision


def choose_prefilter(mode: str, indented: bool):
    """`mode` is "off" (decode everything), "events" (skip healthy entries) or "deploys" (the same,
    but keep the first entry of each revision)."""
    if mode == "off":
        return _never
    base = indented_cannot_matter if indented else compact_cannot_matter
    return keeping_first_of_each_revision(base, b": " if indented else b":") if mode == "deploys" else base


def read_json_lines(stream, source: str, stats: ReadStats, prefilter: str) -> Iterator[LogRecord]:
    """The hot path of a large export: one bounded `readline` and one cheap test per healthy line."""
    cannot_matter = choose_prefilter(prefilter, indented=False)
    readline = stream.readline
    position = skipped = 0
    while raw := readline(MAX_LINE_BYTES):
        position += 1
        if len(raw) >= MAX_LINE_BYTES and is_overlong(raw):  # first: its tail must not be read as a line
            stats.records += 1
            skip_overlong(stream, source, position, stats)
            continue
        if cannot_matter(raw):
            skipped += 1
            continue
        stats.records += 1
        entry = _decode_entry(raw, source, position, stats)
        if entry is not None:
            yield entry_to_record(entry, source, position)
    stats.records += skipped


def _never(raw: bytes) -> bool:
    return False


def read_json_array(stream, source: str, stats: ReadStats, prefilter: bool) -> Iterator[LogRecord]:
    """Stream the array entry by entry; never load it whole."""
    head = stream.peek(16)[:16]
    if head.startswith((b"[\n  {", b"[\r\n  {")):
        stream.readline()
        yield from _read_indented_array(stream, source, stats, prefilter)
    else:
        yield from _read_any_array(stream, source, stats)


def _read_indented_array(stream, source, stats, prefilter) -> Iterator[LogRecord]:
    """gcloud and Logs Explorer indent by two spaces: an entry ends at a line that is exactly `  }`."""
    cannot_matter = choose_prefilter(prefilter, indented=True)
    block: list[bytes] = []
    position = 0
    for _, line in iter_lines(stream, source, stats):
        if not block and not line.startswith(b"  {"):
            if line.strip() not in (b"]", b""):
                stats.skip("stray text between array entries", source, f"entry {position}")
            continue
        block.append(line)
        if line.rstrip() in (b"  }", b"  },"):
            position += 1
            raw = b"".join(block).rstrip().rstrip(b",")
            block.clear()
            stats.records += 1
            if cannot_matter(raw):
                continue
            entry = _decode_entry(raw, source, f"entry {position}", stats)
            if entry is not None:
                yield entry_to_record(entry, source, position)
    if block:
        stats.skip("JSON array cut short inside an entry", source, f"entry {position + 1}")


def _read_any_array(stream, source, stats) -> Iterator[LogRecord]:
    """Any other layout (one line, other indents): an incremental parser."""
    import ijson

    position = 0
    try:
        for entry in ijson.items(stream, "item", use_float=True):
            position += 1
            stats.records += 1
            if isinstance(entry, dict):
                yield entry_to_record(entry, source, position)
            else:
                stats.skip("array item is not a LogEntry object", source, f"entry {position}")
    except ijson.JSONError as error:
        stats.skip(f"JSON array broken or cut short ({_short(error)})", source, f"after entry {position}")


def _decode_entry(raw: bytes, source: str, position, stats: ReadStats) -> dict | None:
    """The entry, or None after counting why not. The caller has counted the line as a record."""
    try:
        entry = orjson.loads(raw)
    except orjson.JSONDecodeError as error:
        reason = "invalid UTF-8" if "utf-8" in str(error).lower() else "broken JSON"
        if not raw.strip():
            stats.records -= 1  # a blank line is not a record
            return None
        stats.skip(reason, source, position)
        return None
    if not isinstance(entry, dict):
        stats.skip("JSON value is not a LogEntry object", source, position)
        return None
    return entry


def _short(error: Exception) -> str:
    text = str(error)
    return text if len(text) < 80 else text[:77] + "..."
