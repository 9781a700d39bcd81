"""Join LogEntries that GCP split in parts (`split: {uid, index, totalSplits}`) back into one record."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from rca.ingest.record import LogRecord
from rca.ingest.stats import ReadStats


def join_split_entries(records: Iterator[LogRecord], stats: ReadStats) -> Iterator[LogRecord]:
    waiting: dict[str, list[LogRecord]] = {}
    for record in records:
        split: dict = record.extra.get("split") or {}
        uid = split.get("uid")
        if not uid or not isinstance(uid, str):  # a uid of another type cannot name the parts' entry
            yield record
            continue
        parts = waiting.setdefault(uid, [])
        parts.append(record)
        if len(parts) >= _number(split.get("totalSplits")):
            yield _join(waiting.pop(uid))
    for parts in waiting.values():  # parts whose siblings never came: keep what arrived
        stats.note("split entry with parts missing", parts[0].source, parts[0].position)
        yield _join(parts)


def _join(parts: list[LogRecord]) -> LogRecord:
    parts.sort(key=lambda part: _number(part.extra["split"].get("index")))
    whole = parts[0]
    whole.text = "".join(part.text for part in parts)
    whole.parts = len(parts)
    whole.severity = max(parts, key=lambda part: part.severity_rank).severity
    return whole


def _number(value: Any) -> int:
    """A split's index or count; 0 when it is not a number."""
    try:
        return int(value or 0)
    except (TypeError, ValueError, OverflowError):
        return 0
