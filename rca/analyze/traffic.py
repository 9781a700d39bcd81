"""Requests counted per second, service, revision and outcome: the denominators of rates per request.

The analysis keeps error events only (group summaries); a rate per request also needs the requests
that succeeded, which the analysis's prefilter passes over undecoded. `rca diff` and `rca verify`
therefore read every record and count each request (a record with an HTTP status) as it goes by, in
the same compact tally the groups use (rca.analyze.group_counts.SecondCounts).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from rca.analyze.group_counts import SecondCounts
from rca.ingest.record import LogRecord

FAILED_STATUS = 500  # a failed request, as users see it: the service answered 5xx


@dataclass(frozen=True)
class Slice:
    """Which records a count takes: a time window [since, until), a service, some revisions (None: any).
    Counts are kept per second: a second belongs to the window that its start falls in, so that two
    windows that meet never share one."""

    since: float | None = None
    until: float | None = None
    service: str | None = None
    revisions: frozenset[str] | None = None

    def holds(self, second: int | None, service: str | None, revision: str | None) -> bool:
        if second is None:
            return self.since is None and self.until is None
        if (self.since is not None and second < self.since) or (self.until is not None and second >= self.until):
            return False
        if self.service is not None and service != self.service:
            return False
        return self.revisions is None or revision in self.revisions


@dataclass
class RequestCounts:
    """Requests per (second, service, revision, failed)."""

    tally: SecondCounts = field(default_factory=SecondCounts)

    def watch(self, records: Iterable[LogRecord]) -> Iterator[LogRecord]:
        """Pass the records through, counting each request."""
        for record in records:
            status = record.http_status
            if status is not None:
                second = None if record.time is None else int(record.time)
                self.tally.add(second, (record.service, record.revision, status >= FAILED_STATUS))
            yield record

    def count(self, where: Slice, failed: bool | None = None) -> int:
        """Requests in the slice (only the failed ones, or only the others, when `failed` says so)."""
        return sum(n for (second, service, revision, bad), n in self.tally.items()
                   if where.holds(second, service, revision) and (failed is None or bad == failed))

    def by_revision(self, where: Slice) -> dict[str, int]:
        """Requests in the slice per revision (None for records that name none)."""
        found: dict = {}
        for (second, service, revision, _), n in self.tally.items():
            if where.holds(second, service, revision):
                found[revision] = found.get(revision, 0) + n
        return found

    def services(self) -> set[str]:
        return {service for (_, service, _, _), _ in self.tally.items() if service is not None}

    def last_second(self, where: Slice) -> int | None:
        """The last second in the slice that saw a request."""
        seconds = [second for (second, service, revision, _), _ in self.tally.items()
                   if second is not None and where.holds(second, service, revision)]
        return max(seconds, default=None)

    def first_second(self, where: Slice, revision_not: str | None = None) -> int | None:
        """The first second in the slice with a request, answered by another revision than `revision_not`."""
        seconds = [second for (second, service, revision, _), _ in self.tally.items()
                   if second is not None and where.holds(second, service, revision) and revision != revision_not]
        return min(seconds, default=None)
