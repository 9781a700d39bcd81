"""Requests counted per second, service, revision and outcome: the denominators of rates per request.

The analysis keeps error events only (group summaries); a rate per request also needs the requests
that succeeded. The map stage counts each request (a record with an HTTP status) as it goes by, per
part, into the compact tally the groups use (rca.analyze.group_counts.SecondCounts, lanes made by
`request_lane`), and the parts' tallies merge with the summaries (rca.analyze.mapping): one count,
which exposures (rca.analyze.exposure) and `rca diff` and `rca verify` (`RequestCounts`) all read.
"""

from __future__ import annotations

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

    def takes(self, service: str | None, revision: str | None) -> bool:
        """Whether the slice takes a lane's records (whatever their time)."""
        return (self.service is None or service == self.service) and (self.revisions is None or revision in self.revisions)


def count_in(counts: SecondCounts, where: Slice, lane_test=None) -> int:
    """The timed events of a tally (lanes (service, revision, ...)) in the slice, and whose lane passes
    `lane_test` too, counted with numpy: a query costs one pass over the tally's arrays."""
    _, _, values = counts.columns()
    keep = slice_mask(counts, where, lane_test)
    return int(values[keep].sum()) if keep is not None else 0


def slice_mask(counts: SecondCounts, where: Slice, lane_test=None):
    """Which entries of the tally's columns (`counts.columns()`) fall in the slice and in a lane that
    passes `lane_test`: a boolean array, or None when none can (no entries, or no lane taken)."""
    import numpy as np

    seconds, lanes, _ = counts.columns()
    chosen = np.array([where.takes(lane[0], lane[1]) and (lane_test is None or lane_test(lane)) for lane in counts.lanes],
                      dtype=bool)
    if not len(seconds) or not chosen.any():
        return None
    keep = chosen[lanes]
    if where.since is not None:
        keep &= seconds >= where.since
    if where.until is not None:
        keep &= seconds < where.until
    return keep


def request_lane(record: LogRecord, status: int) -> tuple[str | None, str | None, bool]:
    """Where a request (a record with HTTP status `status`) is counted: its service, revision, and
    whether it failed."""
    return record.service, record.revision, status >= FAILED_STATUS


@dataclass
class RequestCounts:
    """Requests per (second, service, revision, failed): the map stage's tally, queried."""

    tally: SecondCounts = field(default_factory=SecondCounts)
    _known: dict = field(default_factory=dict, repr=False)  # (slice, failed) -> count: groups of a service share slices

    def count(self, where: Slice, failed: bool | None = None) -> int:
        """Requests in the slice (only the failed ones, or only the others, when `failed` says so)."""
        key = (where, failed)
        if key not in self._known:
            self._known[key] = count_in(self.tally, where, None if failed is None else (lambda lane: lane[2] == failed))
        return self._known[key]

    def by_revision(self, where: Slice) -> dict[str, int]:
        """Requests in the slice per revision (None for records that name none)."""
        revisions = {lane[1] for lane in self.tally.lanes if where.takes(lane[0], lane[1])}
        found = {name: count_in(self.tally, where, lambda lane, name=name: lane[1] == name) for name in revisions}
        return {name: n for name, n in found.items() if n}

    def services(self) -> set[str]:
        return {lane[0] for lane in self.tally.lanes if lane[0] is not None}

    def last_second(self, where: Slice) -> int | None:
        """The last second in the slice that saw a request."""
        seconds = self._seconds(where)
        return int(seconds.max()) if len(seconds) else None

    def first_second(self, where: Slice, revision_not: str | None = None) -> int | None:
        """The first second in the slice with a request, answered by another revision than `revision_not`."""
        seconds = self._seconds(where, revision_not)
        return int(seconds.min()) if len(seconds) else None

    def _seconds(self, where: Slice, revision_not: str | None = None):
        seconds, _, _ = self.tally.columns()
        # as before the helper: a lane must differ from `revision_not` even when it is None (lanes naming no revision skipped)
        keep = slice_mask(self.tally, where, lambda lane: lane[1] != revision_not)
        return seconds[keep] if keep is not None else seconds[:0]
