"""Counting what was read and what was skipped, so that the totals add up."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

MAX_EXAMPLES_PER_REASON = 5


@dataclass
class TallyColumns:
    """One file's healthy requests counted in SQL (engine.py), as columns: `counts[i]` requests in the
    UTC second `seconds[i]` of the (service, revision) `lanes[lane[i]]`. Three int64 arrays (24 bytes a
    row) rather than a dict entry and a tuple per row (~200 bytes): an export that spans many seconds
    has a row for each second and lane (800k at 10M entries)."""

    lanes: list[tuple[str, str | None]]
    seconds: Any
    lane: Any
    counts: Any


class RequestTally:
    """The healthy requests counted without decoding them, file by file: the map adds each file's
    columns to its request tallies (rca.analyze.mapping). Read as a mapping (second, service, revision)
    -> count only where a test or a check wants one; the map never makes it."""

    __slots__ = ("parts",)

    def __init__(self) -> None:
        self.parts: list[TallyColumns] = []

    def add(self, part: TallyColumns) -> None:
        if len(part.counts):
            self.parts.append(part)

    def extend(self, other: RequestTally) -> None:
        self.parts.extend(other.parts)

    def total(self) -> int:
        return sum(int(part.counts.sum()) for part in self.parts)

    def items(self) -> Iterator[tuple[tuple, int]]:
        """((second, service, revision), count), the files added up."""
        summed: dict = {}
        for part in self.parts:
            for second, lane, count in zip(part.seconds.tolist(), part.lane.tolist(), part.counts.tolist()):
                key = (second, *part.lanes[lane])
                summed[key] = summed.get(key, 0) + count
        return iter(summed.items())

    def values(self) -> Iterator[int]:
        return (count for _, count in self.items())

    def __len__(self) -> int:
        return sum(1 for _ in self.items())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, RequestTally | dict):
            return dict(self.items()) == dict(other.items())
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"RequestTally({dict(self.items())!r})"


@dataclass
class ReadStats:
    """Records read, and every skip with its reason and (for the first few) its position."""

    records: int = 0
    events: int = 0
    skipped: Counter = field(default_factory=Counter)
    examples: dict = field(default_factory=dict)  # reason -> ["file:position", ...]
    notes: Counter = field(default_factory=Counter)  # data kept but repaired (e.g. invalid UTF-8 replaced)
    errors: list = field(default_factory=list)  # sources that could not be read at all, one line each
    sources: list = field(default_factory=list)
    # The earliest and latest timestamps (UTC, as bytes, `2025-09-12T14:20:03` or with its fraction,
    # `…03.123456789`) of entries passed over undecoded: the logs' window begins with the first record,
    # healthy or not. The byte prefilter notes the second; the engine (engine.py) the exact stamp.
    passed_first: bytes | None = None
    passed_last: bytes | None = None
    # Healthy request logs counted but not decoded (prefilter "requests", engine.py), per UTC second,
    # service and revision, as columns. The map folds them into its request tallies (rca.analyze.mapping).
    requests: RequestTally = field(default_factory=RequestTally)

    def passed_over(self, stamp: bytes | None) -> None:
        if stamp:
            if self.passed_first is None or stamp < self.passed_first:
                self.passed_first = stamp
            if self.passed_last is None or stamp > self.passed_last:
                self.passed_last = stamp

    def skip(self, reason: str, source: str, position: int | str, count: int = 1) -> None:
        self.skipped[reason] += count
        where = self.examples.setdefault(reason, [])
        if len(where) < MAX_EXAMPLES_PER_REASON:
            where.append(f"{source}:{position}")

    def note(self, what: str, source: str, position: int | str) -> None:
        self.notes[what] += 1

    def error(self, source: str, message: str) -> None:
        self.errors.append(f"{source}: {message}")

    @property
    def skipped_total(self) -> int:
        return sum(self.skipped.values())

    def summary(self) -> str:
        line = f"{self.records:,} records read from {len(self.sources)} source(s), {self.events:,} error events"
        if self.notes:
            line += " (" + "; ".join(f"{what}: {count:,}" for what, count in self.notes.most_common()) + ")"
        if not self.skipped:
            return line + ", nothing skipped"
        reasons = "; ".join(
            f"{reason}: {count:,} (e.g. {', '.join(self.examples.get(reason, []))})"
            for reason, count in self.skipped.most_common()
        )
        return f"{line}, {self.skipped_total:,} skipped — {reasons}"

    def as_dict(self) -> dict:
        return {
            "records": self.records,
            "events": self.events,
            "skipped": dict(self.skipped),
            "skipped_examples": self.examples,
            "notes": dict(self.notes),
            "errors": self.errors,
            "sources": self.sources,
        }
