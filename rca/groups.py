"""Groups of recurring failures, and the deploys (new revisions) seen in the logs."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from .events import ErrorEvent
from .fingerprint import Fingerprint, fingerprint_of
from .record import LogRecord
from .rules import Classification

MINUTE = 60.0


@dataclass
class Group:
    key: str
    label: str
    fingerprint: Fingerprint  # how the key was made: the first event's components
    events: list[ErrorEvent] = field(default_factory=list)
    classifications: list[Classification] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.events)

    @property
    def representative(self) -> ErrorEvent:
        """The first event: the one closest to how the failure began."""
        return self.events[0]

    @property
    def classification(self) -> Classification:
        return self.classifications[0]

    @property
    def cls(self) -> str:
        return self.classification.cls

    @property
    def role(self) -> str:
        return self.classification.role

    @property
    def first_seen(self) -> float:
        return self.events[0].time or 0.0

    @property
    def last_seen(self) -> float:
        return max(e.last_time or 0.0 for e in self.events)

    @property
    def times(self) -> list[float]:
        return [e.time for e in self.events if e.time is not None]

    def distinct(self, attribute: str) -> list[str]:
        return sorted({getattr(e.first, attribute) for e in self.events} - {None})

    @property
    def services(self) -> list[str]:
        return self.distinct("service")

    @property
    def revisions(self) -> list[str]:
        return self.distinct("revision")

    @property
    def instances(self) -> list[str]:
        return self.distinct("instance")

    @property
    def traces(self) -> set[str]:
        return {r.trace for e in self.events for r in e.records if r.trace}

    @property
    def statuses(self) -> Counter:
        return Counter(e.request.http_status for e in self.events if e.request is not None)

    def rate_per_minute(self, start: float, end: float) -> float:
        if end <= start:
            return 0.0
        return sum(start <= t < end for t in self.times) / ((end - start) / MINUTE)


def group_events(classified: Iterable[tuple[ErrorEvent, Classification]]) -> list[Group]:
    groups: dict[str, Group] = {}
    for event, classification in sorted(classified, key=lambda pair: pair[0].time or 0.0):
        made = fingerprint_of(event)
        key = made.key
        group = groups.get(key) or groups.setdefault(key, Group(key, made.label, made))
        group.events.append(event)
        group.classifications.append(classification)
    return sorted(groups.values(), key=lambda g: g.first_seen)


@dataclass
class Deploy:
    service: str | None
    revision: str
    time: float  # the first record of the revision in the logs
    record: LogRecord


class DeployTracker:
    """Watches records go by and keeps the first record of each (service, revision)."""

    def __init__(self):
        self.first: dict[tuple, LogRecord] = {}
        self.start: float | None = None
        self.end: float | None = None

    def watch(self, records: Iterable[LogRecord]) -> Iterator[LogRecord]:
        for record in records:
            if record.time is not None:
                self.start = record.time if self.start is None else min(self.start, record.time)
                self.end = record.time if self.end is None else max(self.end, record.time)
            if record.revision:
                key = (record.service, record.revision)
                known = self.first.get(key)
                if known is None or (record.time is not None and known.time is not None and record.time < known.time):
                    self.first[key] = record
            yield record

    def deploys(self, settle_seconds: float = MINUTE) -> list[Deploy]:
        """Revisions that first appear after the logs begin: those were deployed inside the window."""
        if self.start is None:
            return []
        found = [Deploy(service, revision, record.time, record) for (service, revision), record in self.first.items()
                 if record.time is not None and record.time > self.start + settle_seconds]
        return sorted(found, key=lambda d: d.time)
