"""Counting what was read and what was skipped, so that the totals add up."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

MAX_EXAMPLES_PER_REASON = 5


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
    # The earliest and latest timestamps (to the second, as bytes) of entries passed over undecoded by
    # the prefilter: the logs' window begins with the first record, healthy or not.
    passed_first: bytes | None = None
    passed_last: bytes | None = None
    # Healthy request logs counted but not decoded (prefilter "requests", engine.py): (UTC second, service,
    # revision) -> how many. The map folds them into its request tallies (rca.analyze.mapping).
    requests: dict = field(default_factory=dict)

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
