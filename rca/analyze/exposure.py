"""Exposure: how many chances a group had to fail in a stretch of time, so that its rate is read per
request of its service and traffic alone never makes an onset (docs/DESIGN.md "Trust").

A group with request context (failed requests, or errors that carry the trace ids of requests) is
measured against its service's requests, failing or not (the map stage tallies them:
`rca.analyze.mapping`). A group with no request context (a background job's line, a start-up
failure, a service whose logs hold no requests) is measured against time, per minute, as before;
so is a service whose logs hold fewer than MIN_REQUESTS requests that did not fail with a 5xx (a
1st-gen function logs only its failed executions as requests: those alone would say every request
fails). A request exposure keeps a floor of FLOOR times the service's mean rate, so that a stretch
in which no request was logged still counts for something.
"""

from __future__ import annotations

import bisect
from typing import TYPE_CHECKING

from rca.analyze.group_counts import SecondCounts
from rca.analyze.groups import MINUTE, Group

if TYPE_CHECKING:
    import numpy as np

MIN_REQUESTS = 50  # fewer served (non-5xx) requests than this in the window: time is used
FLOOR = 0.1  # an exposure never falls below this share of the service's mean request rate
MAX_MOMENTS_KEPT = 1 << 16  # answers an exposure keeps (the window's minute boundaries, groups' first times)
MAX_WINDOWS_KEPT = 16  # windows whose minute boundaries an exposure keeps (the decision asks one or two)


class Exposure:
    """The exposure in any stretch [a, b) of the window [start, end]: requests plus a floor, or time."""

    def __init__(self, start: float, end: float, seconds: np.ndarray | None = None,
                 cumulative: np.ndarray | None = None):
        self.start, self.end = start, end
        self.seconds, self.cumulative = seconds, cumulative  # requests up to and including each second
        total = 0.0 if cumulative is None or not len(cumulative) else float(cumulative[-1])
        self.floor = FLOOR * total / max(end - start, 1.0)  # requests per second at least
        # The onset test asks every group's exposure at the same minute boundaries (hundreds of
        # thousands of asks on a flood, 30% of its analysis when each was a numpy search): plain
        # lists for bisect, and each moment's answer kept.
        self._second_list: list[int] = [] if seconds is None else seconds.tolist()
        self._cumulative_list: list[float] = [] if cumulative is None else cumulative.tolist()
        self._before: dict[float, float] = {}
        self._minutes: dict[tuple[float, float], tuple] = {}  # (start, end) -> at_minutes's arrays

    @property
    def per_request(self) -> bool:
        return self.seconds is not None

    def amount(self, a: float, b: float) -> float:
        """The exposure in [a, b): requests (and the floor) for a service that answers them, else seconds."""
        if b <= a:
            return 0.0
        if self.seconds is None or self.cumulative is None:
            return b - a
        return self._requests_before(b) - self._requests_before(a) + self.floor * (b - a)

    def share(self, a: float, b: float) -> float:
        """The part of the whole window's exposure that falls in [a, b)."""
        whole = self.amount(self.start, self.end)
        return min(1.0, self.amount(a, b) / whole) if whole > 0 else 0.0

    def at_minutes(self, start: float, end: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The onset test's minute boundaries of [start, end] after the first, with the exposure before
        and after each: the same for every group weighed against this exposure, so worked out once
        (by `amount`, so that each value is the one asked one at a time) and kept, read-only."""
        known = self._minutes.get((start, end))
        if known is None:
            import numpy

            splits = [start + minute * MINUTE for minute in range(1, int((end - start) // MINUTE))]
            columns = (splits, [self.amount(start, split) for split in splits], [self.amount(split, end) for split in splits])
            known = tuple(numpy.array(column, dtype=float) for column in columns)
            for array in known:
                array.flags.writeable = False
            if len(self._minutes) >= MAX_WINDOWS_KEPT:
                self._minutes.clear()
            self._minutes[(start, end)] = known
        return known

    def _requests_before(self, moment: float) -> float:
        """Requests in the seconds before `moment`, the second it falls in counted in proportion."""
        known = self._before.get(moment)
        if known is None:
            if len(self._before) >= MAX_MOMENTS_KEPT:
                self._before.clear()
            known = self._before[moment] = self._count_before(moment)
        return known

    def _count_before(self, moment: float) -> float:
        seconds, cumulative = self._second_list, self._cumulative_list
        second = int(moment // 1)
        index = bisect.bisect_left(seconds, second)
        before = cumulative[index - 1] if index else 0.0
        if index < len(seconds) and seconds[index] == second:
            inside = cumulative[index] - before
            before += inside * (moment - second)
        return before


class Exposures:
    """Each service's exposure, made once from the requests tally of the map stage."""

    def __init__(self, requests: SecondCounts | None, start: float, end: float):
        self.start, self.end = start, end
        self.time = Exposure(start, end)
        self._requests = requests
        self._by_service: dict[str | None, Exposure] | None = None

    @property
    def by_service(self) -> dict[str | None, Exposure]:
        """Made at the first question: a run with no group to weigh asks none, and never imports numpy."""
        if self._by_service is None:
            self._by_service = {} if self._requests is None else self._tally(self._requests)
        return self._by_service

    def _tally(self, requests: SecondCounts) -> dict[str | None, Exposure]:
        import numpy

        made: dict[str | None, Exposure] = {}
        by_service: dict[str | None, dict[int, int]] = {}
        served: dict[str | None, int] = {}
        for (second, service, _revision, failed), count in requests.items():
            if second is not None and self.start - 1 <= second <= self.end:
                counts = by_service.setdefault(service, {})
                counts[second] = counts.get(second, 0) + count
                served[service] = served.get(service, 0) + (0 if failed else count)
        for service, counts in by_service.items():
            if service is None or served.get(service, 0) < MIN_REQUESTS:
                continue  # a load balancer's unnamed requests, or too few served to measure against
            ordered = sorted(counts)
            cumulative = numpy.cumsum([counts[second] for second in ordered]).astype(float)
            made[service] = Exposure(self.start, self.end, numpy.array(ordered, dtype=numpy.int64), cumulative)
        return made

    def of(self, service: str | None) -> Exposure:
        """The service's request exposure, or time when its logs hold no requests."""
        return self.by_service.get(service, self.time)

    def of_group(self, group: Group) -> Exposure:
        """What a group's rate is measured against: its service's requests when it has request context."""
        return self.of(group.service) if has_request_context(group) else self.time

    def of_groups(self, groups: list[Group]) -> Exposure:
        """What several groups' merged rate is measured against: requests when all have request context."""
        services = {g.service for g in groups}
        if len(services) == 1 and all(has_request_context(g) for g in groups):
            return self.of(services.pop())
        return self.time


def has_request_context(group: Group) -> bool:
    """A failed request, or an error logged with the trace ids of requests."""
    return group.fingerprint.kind == "request" or len(group.traces) > 0
