"""`rca verify`: after a deploy or a rollback, decide from the logs whether an incident that an earlier
`rca analyze --format json` report describes is over.

Three questions, each answered with figures (rca.analyze.compare and rca.analyze.rates do the tests):
does the root cause's fingerprint still occur on the revisions now serving; did the service's
failed-request rate come back to its rate before the incident; did the new revision add or raise
other groups. The logs must reach back before the incident, to know the service's rates then.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

from rca.analyze.analysis import Analysis
from rca.analyze.compare import CompareError, Diff, GroupChange, Judged, Side, change_sentence, compare, events_in
from rca.analyze.fingerprint import STRATEGY
from rca.analyze.groups import MINUTE, Group
from rca.analyze.rates import EXPECTED_EVENTS, Rise, judge_rise
from rca.analyze.traffic import RequestCounts, Slice
from rca.ingest.times import format_timestamp, parse_timestamp

SERVING_SECONDS = MINUTE  # the revisions that answered requests in the logs' last minute are "now serving"


@dataclass(frozen=True)
class IncidentRef:
    """What verify needs of a report's incident."""

    number: int  # 1-based, as the report counts them
    service: str
    onset: float
    deploy_revision: str | None
    deploy_time: float | None
    root_group: str | None
    root_label: str | None
    symptom_groups: tuple[str, ...]
    report_end: float | None

    @property
    def began(self) -> float:
        """When the incident's change began: its deploy when one came before the onset, else the onset."""
        return min(self.onset, self.deploy_time) if self.deploy_time is not None else self.onset


def load_report(path: str | Path, number: int = 1) -> IncidentRef:
    """The `number`th incident of a report written by `rca analyze --format json`."""
    try:
        report = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as error:
        raise CompareError(f"{path}: cannot read the report: {getattr(error, 'strerror', None) or error}") from None
    except json.JSONDecodeError as error:
        raise CompareError(f"{path}: not a JSON report (line {error.lineno}): write it with rca analyze --format json") from None
    if not isinstance(report, dict) or not isinstance(report.get("incidents"), list):
        raise CompareError(f"{path}: not a report of rca analyze --format json (no incidents list)")
    if report.get("fingerprint_strategy") != STRATEGY:
        raise CompareError(f"{path}: its groups were keyed by {report.get('fingerprint_strategy')!r}, this rca keys them "
                           f"by {STRATEGY!r}: run rca analyze again on the incident's logs")
    incidents = report["incidents"]
    if not incidents:
        raise CompareError(f"{path}: the report holds no incident to verify")
    if not 1 <= number <= len(incidents):
        raise CompareError(f"{path}: --incident {number}: the report holds {len(incidents)} incident(s)")
    return _incident_ref(incidents[number - 1], number, report, path)


def _incident_ref(incident: dict, number: int, report: dict, path) -> IncidentRef:
    try:
        onset = parse_timestamp(incident["onset"])
        service = incident["service"]
        deploy = incident.get("deploy") or {}
        root = incident.get("root_cause") or {}
        symptoms = tuple(item["group"] for item in incident.get("symptoms") or [])
    except (KeyError, TypeError):
        onset, service = None, None
    if onset is None or not isinstance(service, str):
        raise CompareError(f"{path}: incident {number} has no service or onset: not a report of rca analyze --format json")
    return IncidentRef(number, service, onset, deploy.get("revision"), parse_timestamp(deploy.get("time")),
                       root.get("group"), root.get("label"), symptoms,
                       parse_timestamp((report.get("window") or {}).get("end")))


@dataclass
class Remedy:
    time: float
    how: str  # what took effect then, in words


@dataclass
class RootCheck:
    """The root cause's fingerprint after the remedy: on the serving revisions, elsewhere, and the
    count its rate during the incident predicts."""

    label: str | None
    serving: int
    elsewhere: int
    during: int
    during_requests: int
    expected: float | None  # on the after side's requests, at its rate during the incident

    @property
    def present(self) -> bool:
        return self.serving > 0

    @property
    def enough(self) -> bool:
        return self.expected is not None and self.expected >= EXPECTED_EVENTS


@dataclass
class Verification(Judged):
    incident: IncidentRef
    remedy: Remedy
    before: Side
    after: Side
    serving: dict[str, int]  # revision -> its requests after the remedy
    root: RootCheck | None
    recovery: Rise
    diff: Diff
    verdict: str
    reason: str
    analysis: Analysis | None = field(default=None, repr=False)

    @property
    def regressions(self) -> list[GroupChange]:
        return [change for change in self.diff.groups if change.worse]


def verify(analysis: Analysis, requests: RequestCounts, incident: IncidentRef, remedy_at: float | None = None) -> Verification:
    """Whether the incident is over, by the logs after the remedy against those before the incident."""
    service = incident.service
    before = Side(None, math.floor(incident.began))  # the second in which it began is not "before"
    if requests.count(before.requests_slice(service)) == 0:
        raise CompareError(f"the logs hold no request of {service} before the incident began at "
                           f"{format_timestamp(incident.began)}: give the logs from before it too (those the report "
                           "was made from), so that its rates then are known")
    remedy = find_remedy(analysis, requests, incident, remedy_at)
    after = Side(remedy.time, None)
    serving = serving_revisions(requests, service, remedy.time)
    root = _root_check(analysis, requests, incident, remedy.time, serving)
    after_slice = Slice(remedy.time, None, service)
    recovery = judge_rise(requests.count(before.requests_slice(service), failed=True), requests.count(before.requests_slice(service)),
                          requests.count(after_slice, failed=True), requests.count(after_slice))
    skip = {key for key in (incident.root_group, *incident.symptom_groups) if key}
    diff = compare(analysis, requests, before, after, service=service, skip=skip)
    verdict, reason = _verdict(root, recovery, diff, service)
    return Verification(incident, remedy, diff.before, diff.after, serving, root, recovery, diff, verdict, reason, analysis)


def find_remedy(analysis: Analysis, requests: RequestCounts, incident: IncidentRef, given: float | None) -> Remedy:
    """When the fix took effect: as given; else the service's newest revision deployed after the
    incident began; else the first request after the onset answered by another revision than the one
    that failed (a rollback); else the end of the report's window."""
    if given is not None:
        return Remedy(given, "as given by --remedy-at")
    service = incident.service
    later = [d for d in analysis.deploys if d.service == service and d.time > incident.began
             and d.revision != incident.deploy_revision]
    if later:
        newest = max(later, key=lambda d: d.time)
        return Remedy(math.floor(newest.time), f"the deploy of {newest.revision}")  # its first second is after
    if incident.deploy_revision:
        since = Slice(incident.onset, None, service)
        second = requests.first_second(since, revision_not=incident.deploy_revision)
        if second is not None:
            answered = requests.by_revision(Slice(second, second + 1, service))
            revision = next((name for name in answered if name != incident.deploy_revision), None)
            return Remedy(float(second), f"requests answered by {revision} again (a rollback)")
    if incident.report_end is not None:
        return Remedy(incident.report_end, "the end of the report's window (no deploy or rollback seen after the incident)")
    raise CompareError(f"no deploy or rollback of {service} after the incident in these logs: say when the fix took effect "
                       "with --remedy-at")


def serving_revisions(requests: RequestCounts, service: str, since: float) -> dict[str, int]:
    """The revisions that answered the service's requests in the last minute of the logs after
    `since`, each with all its requests after `since`."""
    last = requests.last_second(Slice(since, None, service))
    if last is None:
        return {}
    recent = requests.by_revision(Slice(max(since, last + 1 - SERVING_SECONDS), None, service))
    totals = requests.by_revision(Slice(since, None, service))
    return {name: totals.get(name, 0) for name in sorted(recent, key=str) if name is not None}


def _root_check(analysis: Analysis, requests: RequestCounts, incident: IncidentRef, remedy: float,
                serving: dict[str, int]) -> RootCheck | None:
    if incident.root_group is None:
        return None
    group: Group | None = next((g for g in analysis.groups if g.key == incident.root_group), None)
    if group is None:
        return RootCheck(incident.root_label, 0, 0, 0, 0, None)
    on_serving = events_in(group, Slice(remedy, None, None, frozenset(serving))) if serving else 0
    after_all = events_in(group, Slice(remedy, None))
    during = events_in(group, Slice(incident.began, remedy))
    during_requests = requests.count(Slice(incident.began, remedy, incident.service))
    after_requests = requests.count(Slice(remedy, None, incident.service))
    expected = during / during_requests * after_requests if during_requests and during else None
    return RootCheck(incident.root_label or group.label, on_serving, after_all - on_serving, during, during_requests, expected)


def _verdict(root: RootCheck | None, recovery: Rise, diff: Diff, service: str) -> tuple[str, str]:
    if root is not None and root.present:
        return "not fixed", f"the root cause {root.label!r} still occurs on the revisions now serving: {root.serving:,} event(s)"
    worse = [change for change in diff.groups if change.worse]
    if worse:
        return "regressed", "the root cause is gone, but " + "; ".join(change_sentence(c) for c in worse[:3])
    if recovery.significant:
        return "not fixed", (f"{service}'s failed requests did not come back down: {recovery_text(recovery)}")
    if recovery.n2 == 0:
        return "too early", f"{service} answered no request after the remedy yet"
    thin = [text for ok, text in ((root is None or root.enough, root_wait(root)), (recovery.enough, recovery_wait(recovery)))
            if not ok and text]
    if thin:
        return "too early", "; ".join(thin)
    return "fixed", (f"the root cause is gone and {service}'s failed requests are back to their rate before the incident "
                     f"({recovery_text(recovery)}; a rise to {100 * recovery.target:.2f}% would have shown with power "
                     f"{recovery.power:.2f})")


def recovery_text(recovery: Rise) -> str:
    rate1 = recovery.before / recovery.n1 if recovery.n1 else 0.0
    rate2 = recovery.after / recovery.n2 if recovery.n2 else 0.0
    return (f"{recovery.before:,} of {recovery.n1:,.0f} requests failed before ({100 * rate1:.2f}%), "
            f"{recovery.after:,} of {recovery.n2:,.0f} after ({100 * rate2:.2f}%), p = {recovery.p_value:.2g} for a rise")


def recovery_wait(recovery: Rise) -> str:
    needed = f"about {recovery.needed:,}" if recovery.needed is not None else "more"
    return (f"{recovery.n2:,.0f} requests after the remedy cannot yet tell a failed-request rate of "
            f"{100 * recovery.target:.2f}% from the {100 * recovery.before / recovery.n1:.2f}% before "
            f"(power {recovery.power:.2f}; {needed} requests needed)")


def root_wait(root: RootCheck | None) -> str:
    if root is None:
        return ""
    if root.expected is None:
        return f"the logs hold no event of the root cause {root.label!r} during the incident to weigh its absence against"
    return (f"at its rate during the incident ({root.during:,} in {root.during_requests:,} requests) the root cause would "
            f"show {root.expected:.1f} time(s) in the traffic since: too few for its absence to mean it is gone "
            f"(at least {EXPECTED_EVENTS:.1f} needed)")
