"""`rca diff`: every error group's rate per request on two sides of a change — two revisions, or two
windows — with a significance test each, and a verdict with an exit code.

The groups are the analysis's own summaries (rca.analyze.groups): a side's count of a group is read
from its counts per second, service and revision; the requests come from rca.analyze.traffic. The
tests and the "too early" rule are in rca.analyze.rates.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from rca.analyze.analysis import Analysis, analyze
from rca.analyze.group_counts import SecondCounts
from rca.analyze.groups import MINUTE, Group
from rca.analyze.rates import ALPHA, Rise, fall_p_value, judge_rise, rise_p_value
from rca.analyze.traffic import RequestCounts, Slice, count_in
from rca.errors import RcaError
from rca.ingest.record import LogRecord
from rca.ingest.stats import ReadStats
from rca.ingest.times import parse_moment

EXIT_CODES = {"no change": 0, "improved": 0, "fixed": 0, "regressed": 1, "not fixed": 1, "too early": 3}


class Judged:
    """A check that ends in a verdict (a `Diff`, a `rca.analyze.verify.Verification`), and the exit
    code the verdict gives."""

    verdict: str

    @property
    def exit_code(self) -> int:
        return EXIT_CODES[self.verdict]


class CompareError(RcaError):
    """Sides that cannot be compared: a bad window, an unknown revision."""


@dataclass(frozen=True)
class Side:
    """One side of a comparison: a revision's records, or a time window [since, until)."""

    since: float | None = None
    until: float | None = None
    revision: str | None = None

    def events_slice(self) -> Slice:
        return Slice(self.since, self.until, None, frozenset({self.revision}) if self.revision else None)

    def requests_slice(self, service: str | None) -> Slice:
        """A revision's requests (whatever its service), or a window's requests of `service`."""
        if self.revision:
            return Slice(self.since, self.until, None, frozenset({self.revision}))
        return Slice(self.since, self.until, service)

    @property
    def minutes(self) -> float:
        if self.since is None or self.until is None:
            return 0.0
        return max(self.until - self.since, 0.0) / MINUTE


def parse_window(text: str, option: str) -> tuple[float | None, float | None]:
    """`SINCE..UNTIL`, either end left out for the logs' start or end; times as --since takes them."""
    since, sep, until = text.partition("..")
    if not sep:
        raise CompareError(f"{option} {text!r}: expected SINCE..UNTIL, e.g. 2025-09-12T14:00Z..2025-09-12T14:20Z "
                           "(leave an end out for the logs' start or end)")
    ends = []
    for part in (since, until):
        try:
            ends.append(parse_moment(part) if part.strip() else None)
        except ValueError:
            raise CompareError(f"{option} {text!r}: {part!r} is neither a time like 2025-09-12T14:00Z "
                               "nor a span like 2h") from None
    if ends[0] is not None and ends[1] is not None and ends[0] >= ends[1]:
        raise CompareError(f"{option} {text!r}: the window must start before it ends")
    return ends[0], ends[1]


@dataclass
class Rate:
    count: int
    exposure: float  # requests, or minutes
    unit: str  # "request" or "minute"

    @property
    def rate(self) -> float | None:
        return self.count / self.exposure if self.exposure > 0 else None


@dataclass
class GroupChange:
    """One group on both sides: `change` is new, gone, raised, lowered or unchanged (by the counts);
    `significant` says whether the test backs it, after Bonferroni over the groups compared."""

    group: Group
    service: str | None
    before: Rate
    after: Rate
    change: str
    p_value: float  # one-sided, in the direction of the change
    adjusted: float  # times the number of groups compared, at most 1
    significant: bool

    @property
    def ratio(self) -> float | None:
        if self.before.rate is None or self.after.rate is None or not self.before.rate:
            return None
        return self.after.rate / self.before.rate

    @property
    def worse(self) -> bool:
        return self.significant and self.change in ("new", "raised")


@dataclass
class ServiceTraffic:
    """A service's error events per request on both sides, and whether the after side had traffic
    enough to show a rise that matters (rca.analyze.rates)."""

    service: str
    rise: Rise

    @property
    def enough(self) -> bool:
        return self.rise.enough


@dataclass
class Diff(Judged):
    before: Side
    after: Side
    service: str | None
    groups: list[GroupChange]
    traffic: list[ServiceTraffic]
    verdict: str
    reason: str
    analysis: Analysis | None = field(default=None, repr=False)

    @property
    def compared(self) -> int:
        return len(self.groups)


# ---- reading: the analysis and its requests, in one pass ---------------------------------------------


def analyse_with_requests(inputs=None, *, records: Iterable[LogRecord] | None = None, since: float | None = None,
                          until: float | None = None, service: str | None = None, rules=None, model="default",
                          stats: ReadStats | None = None, workers: int = 1,
                          timeout: float | None = None) -> tuple[Analysis, RequestCounts]:
    """The analysis of the inputs (paths, globs, gs:// prefixes, or `records`) and the requests its map
    counted. Every entry is decoded, healthy requests included: they are the rates' denominators.
    `workers` processes read large inputs, as for `rca analyze`: the counts are the same. `timeout` is
    how long a read from a bucket may wait for the storage server, as for `rca analyze`."""
    analysis = analyze(inputs if inputs is not None else [], records=records, since=since, until=until, service=service,
                       rules=rules, stats=stats, model=model, workers=workers, prefilter="off", timeout=timeout)
    return analysis, RequestCounts(analysis.requests if analysis.requests is not None else SecondCounts())


# ---- comparing ---------------------------------------------------------------------------------------


def events_in(group: Group, where: Slice) -> int:
    """A group's events in a slice, from its counts per (second, service, revision, instance)."""
    return count_in(group.per_second, where)


def resolve(side: Side, analysis: Analysis, requests: RequestCounts) -> Side:
    """A side with its ends filled in: a window's open ends at the logs' start and end; a revision's
    window is when it was seen (its first and last request or error event)."""
    if side.revision is None:
        since = side.since if side.since is not None else analysis.start
        until = side.until if side.until is not None else (analysis.end + 1 if analysis.end is not None else None)
        return Side(since, until)
    only = Slice(revisions=frozenset({side.revision}))
    seconds = [second for group in analysis.groups for second in _seconds_of(group, side.revision)]
    seconds += [s for s in (requests.first_second(only), requests.last_second(only)) if s is not None]
    if not seconds:
        raise CompareError(f"revision {side.revision} has no request and no error event in these logs")
    return Side(float(min(seconds)), float(max(seconds) + 1), side.revision)


def _seconds_of(group: Group, revision: str) -> list[int]:
    """The first and last second of a group's events on a revision (none when it has none there)."""
    import numpy as np

    seconds, lanes, _ = group.per_second.columns()
    mine = [n for n, lane in enumerate(group.per_second.lanes) if lane[1] == revision]
    on = seconds[np.isin(lanes, mine)] if mine else seconds[:0]
    return [int(on.min()), int(on.max())] if len(on) else []


def compare(analysis: Analysis, requests: RequestCounts, before: Side, after: Side, service: str | None = None,
            skip: Iterable[str] = ()) -> Diff:
    """Every group's rate on both sides (those in `skip` left out), tested, and the verdict."""
    before, after = resolve(before, analysis, requests), resolve(after, analysis, requests)
    left_out = set(skip)
    # the analysis's groups are those it reports (rca.analyze.incidents.reported_groups): no 404 answer among them
    chosen = [g for g in analysis.groups if not g.muted and g.key not in left_out
              and (service is None or g.service == service)]
    counted = [(g, events_in(g, before.events_slice()), events_in(g, after.events_slice())) for g in chosen]
    present = [(g, x1, x2) for g, x1, x2 in counted if x1 or x2]
    changes = [_change(g, x1, x2, before, after, requests, len(present)) for g, x1, x2 in present]
    traffic = [_service_traffic(name, changes, before, after, requests) for name in _served(before, service, requests)]
    verdict, reason = _verdict(changes, traffic)
    return Diff(before, after, service, sorted(changes, key=_importance), traffic, verdict, reason, analysis)


def _exposure(service: str | None, side: Side, other: Side, requests: RequestCounts) -> tuple[float, float, str]:
    """Both sides' requests of the service, or their minutes when it answered none on either."""
    n1 = requests.count(side.requests_slice(service))
    n2 = requests.count(other.requests_slice(service))
    if n1 or n2:
        return n1, n2, "request"
    return side.minutes, other.minutes, "minute"


def _change(group: Group, x1: int, x2: int, before: Side, after: Side, requests: RequestCounts, tests: int) -> GroupChange:
    service = group.service
    n1, n2, unit = _exposure(service, before, after, requests)
    rate1, rate2 = (x1 / n1 if n1 else None), (x2 / n2 if n2 else None)
    rose = rate1 is not None and rate2 is not None and rate2 > rate1
    change = ("new" if not x1 else "gone" if not x2 else "raised" if rose else
              "lowered" if rate1 is not None and rate2 is not None and rate2 < rate1 else "unchanged")
    up = change in ("new", "raised")
    p = rise_p_value(x1, n1, x2, n2) if up else fall_p_value(x1, n1, x2, n2)
    adjusted = min(1.0, p * max(tests, 1))
    return GroupChange(group, service, Rate(x1, n1, unit), Rate(x2, n2, unit), change, p, adjusted,
                       change != "unchanged" and adjusted < ALPHA)


def _served(before: Side, service: str | None, requests: RequestCounts) -> list[str]:
    """The services whose traffic decides "too early": those that answered requests on the before side."""
    names = {name for name in requests.services() if requests.count(before.requests_slice(name)) > 0}
    if before.revision:
        names = {name for name in names if requests.count(Slice(before.since, before.until, name,
                                                               frozenset({before.revision}))) > 0}
    return sorted(name for name in names if service is None or name == service)


def _service_traffic(name: str, changes: list[GroupChange], before: Side, after: Side,
                     requests: RequestCounts) -> ServiceTraffic:
    mine = [c for c in changes if c.service == name]
    rise = judge_rise(sum(c.before.count for c in mine), requests.count(before.requests_slice(name)),
                      sum(c.after.count for c in mine), requests.count(after.requests_slice(name)))
    return ServiceTraffic(name, rise)


def _importance(change: GroupChange) -> tuple:
    order = {"new": 0, "raised": 1, "lowered": 2, "gone": 3, "unchanged": 4}
    return (not change.significant, order[change.change], change.adjusted, -change.after.count)


def _verdict(changes: list[GroupChange], traffic: list[ServiceTraffic]) -> tuple[str, str]:
    worse = [c for c in changes if c.worse]
    if worse:
        return "regressed", f"{_count(len(worse), 'group')} new or raised, significantly: " + "; ".join(
            change_sentence(c) for c in worse[:3])
    thin = [t for t in traffic if not t.enough]
    if thin:
        return "too early", "; ".join(traffic_sentence(t) for t in thin)
    if not traffic and not changes:
        return "too early", "neither side holds a request or an error event to compare"
    better = [c for c in changes if c.significant]
    if better:
        return "improved", f"{_count(len(better), 'group')} lowered or gone, significantly, and none rose: " + "; ".join(
            change_sentence(c) for c in better[:3])
    return "no change", f"no group rose significantly (level {ALPHA}, {_count(len(changes), 'group')} compared)" + (
        "; " + "; ".join(traffic_sentence(t) for t in traffic) if traffic else "")


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def rate_text(rate: Rate) -> str:
    per = f"{rate.exposure:,.0f} requests" if rate.unit == "request" else f"{rate.exposure:,.1f} min"
    if rate.rate is None:
        return f"{rate.count:,} in {per}"
    shown = f"{100 * rate.rate:.2f}%" if rate.unit == "request" else f"{rate.rate:.2f}/min"
    return f"{rate.count:,} in {per} ({shown})"


def change_sentence(change: GroupChange) -> str:
    ratio = f", ×{change.ratio:.2f}" if change.ratio is not None else ""
    return (f"{change.change} {change.group.label!r}: {rate_text(change.before)} → {rate_text(change.after)}{ratio}, "
            f"p = {change.adjusted:.2g} (adjusted)")


def traffic_sentence(traffic: ServiceTraffic) -> str:
    rise = traffic.rise
    needed = f"about {rise.needed:,} requests" if rise.needed is not None else "requests on the before side"
    state = "enough" if traffic.enough else "too few"
    return (f"{traffic.service}: {rise.n2:,.0f} requests after ({state}: telling a rise of its error rate from "
            f"{100 * rise.before / rise.n1 if rise.n1 else 0:.2f}% to {100 * rise.target:.2f}% per request takes "
            f"{needed}; power {rise.power:.2f})")
