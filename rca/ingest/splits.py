"""Join LogEntries that GCP split in parts (`split: {uid, index, totalSplits}`) back into one record."""

from __future__ import annotations

from collections.abc import Iterator

from ..record import LogRecord
from ..stats import ReadStats


def join_split_entries(records: Iterator[LogRecord], stats: ReadStats) -> Iterator[LogRecord]:
    waiting: dict[str, list[LogRecord]] = {}
    for record in records:
        split = record.extra.get("split")
        if not split or not split.get("uid"):
            yield record
            continue
        parts = waiting.setdefault(split["uid"], [])
        parts.append(record)
        if len(parts) >= int(split.get("totalSplits") or 0):
            yield _join(waiting.pop(split["uid"]))
    for parts in waiting.values():  # parts whose siblings never came: keep what arrived
        stats.note("split entry with parts missing", parts[0].source, parts[0].position)
        yield _join(parts)


def _join(parts: list[LogRecord]) -> LogRecord:
    parts.sort(key=lambda part: int(part.extra["split"].get("index") or 0))
    whole = parts[0]
    whole.text = "".join(part.text for part in parts)
    whole.parts = len(parts)
    whole.severity = max(parts, key=lambda part: part.severity_rank).severity
    return whole
