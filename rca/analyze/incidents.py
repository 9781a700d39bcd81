"""Incidents: when failure starts, which group is the root cause, which are its symptoms, and which
groups are ruled out, with the reason in figures.

Trust comes first (docs/DESIGN.md): an onset is a change that a group's own background makes unlikely,
decided by a test of counts, never a first event that happens to fall inside the window; an incident
needs a user-visible symptom that changed; and when no candidate is convincing the report says so
and shows the candidates instead of naming one.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from rca.analyze.changes import CHANGE_WINDOW, Change, explains, preceding
from rca.analyze.exposure import Exposure, Exposures
from rca.analyze.group_counts import (
    SecondCounts,
    as_sorted,
    count_from,
    count_within,
    merged_times,
    shared,
    union,
    within,
)
from rca.analyze.groups import MINUTE, Deploy, Group
from rca.classify.rules import Cascade
from rca.events.error_event import ANSWER_STATUS

if TYPE_CHECKING:
    import numpy as np

    from rca.ingest.stats import ReadStats

# An onset: the rate after a point is this unlikely under the rate before it. The test is run at
# every minute of the window, so the level is strict; a few steady events can never reach it.
ONSET_LOG_P = math.log(1e-4)
MIN_EFFECT = 3.0  # and the rate after is at least this many times the rate before
MIN_ONSET_EVENTS = 5  # and at least this many events follow the onset
SETTLED = MINUTE  # a series whose first event comes this soon after the logs begin was already there
BEFORE_WINDOW_MIN_EVENTS = 3  # start-up failures present from the first record: an incident already under way
STAMP_TOLERANCE = 10.0  # request logs are stamped when the request starts, seconds before the error that ends it
NEAR_ONSET = 10 * MINUTE  # causes and symptoms that start this close together belong together
LEAD = 2 * MINUTE  # a cause that first appears at most this long before the onset began with it
DEPLOY_WINDOW = 15 * MINUTE  # a group beginning this soon after a deploy of its service is linked to it
CHANGE_LOG_P = math.log(1e-3)  # a candidate cause must itself change at the onset, at this level
MIN_ROOT_SCORE = 5.0  # below this, no candidate is named the root cause
# A rise of 4xx answers is a user-visible symptom when it is broad: on this many routes at least, in
# this many distinct minutes after its onset (not one scanner's sweep), and this share at least of
# the service's requests after it (not one noisy client among many users).
BROAD_ROUTES = 3
BROAD_MINUTES = 5
BROAD_SHARE = 0.2
DROPPED_ROUTE_SHARE = 0.05  # one route's 404s after a deploy: a twentieth of the service's requests at least
VOLUME_CAP = 2.0  # the most a candidate's event count can add to its score (log10 scale)


@dataclass
class Onset:
    time: float
    kind: str  # "began", "jumped" or "before-window"
    before: float  # events per minute before
    after: float
    log_p: float = 0.0  # natural log of the chance of so many events after under the rate before


def tail_log_p(total: int, after: int, share: float) -> float:
    """log P(at least `after` of `total` events fall in a span holding `share` of the time), under a
    steady rate: the Chernoff bound of the binomial tail, exp(-n·KL(k/n‖share)). It never
    understates the chance, so it errs toward 'no change'."""
    if total == 0 or after <= share * total:
        return 0.0
    if share <= 0.0:
        return -math.inf
    q = after / total
    if q >= 1.0:
        return total * math.log(share)
    kl = q * math.log(q / share) + (1 - q) * math.log((1 - q) / (1 - share))
    return -total * kl


def onset_of_times(times, start: float, end: float, exposure: Exposure | None = None) -> Onset | None:
    """The point where a series of event times changes for the worse, if a test of counts says it did.
    Counts are weighed against `exposure` (the service's requests, rca.analyze.exposure), else time."""
    if len(times) < MIN_ONSET_EVENTS or end <= start:
        return None
    times = as_sorted(times)
    exposure = exposure or Exposure(start, end)
    # No minimum gap before the first event: the test itself says whether an empty stretch that long
    # is unlikely at the rate that follows (32 s before 1,000 events in 30 min is; 2 s is not).
    return _began(times, start, end, exposure) or _jumped(times, start, end, exposure)


def _began(times: np.ndarray, start: float, end: float, exposure: Exposure) -> Onset | None:
    """A series absent at first: all its events after its first one, which a steady rate would spread."""
    first = float(times[0])
    share = exposure.share(first, end)
    log_p = tail_log_p(len(times), len(times), share)
    if log_p > ONSET_LOG_P:
        return None
    return Onset(first, "began", 0.0, len(times) / max((end - first) / MINUTE, 1 / MINUTE), log_p)


def _jumped(times: np.ndarray, start: float, end: float, exposure: Exposure) -> Onset | None:
    """The minute boundary after which the rate (per unit of exposure) rose most unlikely, if it rose
    enough. The rates the onset reports are per minute, as people read them."""
    import numpy

    best: Onset | None = None
    whole = exposure.amount(start, end)
    splits, exposed_before, exposed_after = exposure.at_minutes(start, end)
    # how many events come before each split, found by one binary search of them all
    before = numpy.searchsorted(times, splits, "left")
    after = len(times) - before
    # The splits where the rate rose enough, weighed all at once: most of a flood's thousands of
    # groups pass at no split. The same float operations as one split at a time, so the same answers.
    with numpy.errstate(divide="ignore", invalid="ignore"):
        rose = after / exposed_after >= MIN_EFFECT * numpy.maximum(before / numpy.maximum(exposed_before, 1e-9), 1 / whole)
    worth = numpy.flatnonzero((after >= MIN_ONSET_EVENTS) & (exposed_after > 0) & rose)
    for at in worth.tolist():
        split, index, exposed = float(splits[at]), int(before[at]), float(exposed_after[at])
        log_p = tail_log_p(len(times), len(times) - index, exposed / whole)
        if log_p <= ONSET_LOG_P and (best is None or log_p < best.log_p):
            rate_before, rate_after = index / (split - start) * MINUTE, (len(times) - index) / (end - split) * MINUTE
            best = Onset(float(times[index]), "jumped", rate_before, rate_after, log_p)
    return best


def onset_of(group: Group, start: float, end: float, exposure: Exposure | None = None) -> Onset | None:
    return onset_of_times(group.times, start, end, exposure)


@dataclass
class Candidate:
    group: Group
    score: float
    reasons: list[str]
    linked: bool
    terms: dict[str, float] = field(default_factory=dict)  # what each piece of evidence added to the score


@dataclass
class Incident:
    service: str | None
    onset: float
    root_cause: Group | None
    symptoms: list[Group]
    ruled_out: list[tuple[Group, str]]
    deploy: Deploy | None
    candidates: list[Candidate] = field(default_factory=list)
    onset_kind: str = "began"  # began, jumped, or before-window: the logs start mid-incident
    verdict: str = ""  # why no root cause was named, when none was
    callers: list[str | None] = field(default_factory=list)  # services that failed because they call this one
    changes: list[Change] = field(default_factory=list)  # changes (not deploys) shortly before it that concern it
    change: Change | None = None  # the one scored as evidence for the root cause
    caller_causes: list[Group] = field(default_factory=list)  # the callers' side of this failure: no finding

    @property
    def services(self) -> list[str | None]:
        """The service, its callers, and every other service whose symptoms the incident holds."""
        names = [self.service, *self.callers]
        names += sorted({s.service for s in self.symptoms if s.service is not None} - set(names))
        return names

    @property
    def impact(self) -> int:
        """Failed requests plus failed start-ups: the blast radius the report shows."""
        return sum(g.count for g in self.symptoms)


@dataclass
class Finding:
    """A cause-class group that changed with no user-visible symptom: worth a look, not an incident."""

    group: Group
    onset: Onset


def find_incidents(groups: list[Group], deploys: list[Deploy], cascades: list[Cascade],
                   start: float, end: float, baseline: tuple[float, float] | None = None,
                   requests: SecondCounts | None = None,
                   changes: Sequence[Change] = ()) -> tuple[list[Incident], dict[str, Onset], list[Finding]]:
    """Incidents, the onsets of every group, and findings. Muted groups take no part. With a
    `baseline` (since, until), a group whose rate after its onset is not MIN_EFFECT times its rate
    in the baseline is known background, not an onset. `requests` (per second and service, from the
    map stage) make every rate a rate per request of the group's service. `changes` (rca.analyze.changes)
    are evidence for the candidates they precede."""
    exposures = Exposures(requests, start, end)
    onsets = {g.key: o for g in groups if (o := onset_of(g, start, end, exposures.of_group(g))) is not None
              and not _known(g.times, o, baseline)}
    for group in groups:
        group.failed_answer = False  # decided anew: a group muted since the last decision is none
    groups = [g for g in groups if not g.muted]
    mark_failed_answers(groups, exposures, deploys, onsets)
    incidents = []
    for service, symptoms in _symptoms_by_service(groups).items():
        for onset, members in _episodes(symptoms, onsets, exposures, baseline):
            incidents.append(_incident(service, onset, members, groups, deploys, cascades, exposures, list(changes)))
    incidents = _join_callers(_join_ongoing(incidents, cascades))
    incidents.sort(key=lambda i: -i.impact)
    involved = {id(g) for i in incidents
                for g in ([i.root_cause] if i.root_cause else []) + i.symptoms + i.caller_causes}
    findings = [Finding(g, onsets[g.key]) for g in groups
                if g.role == "cause" and g.key in onsets and id(g) not in involved]
    return incidents, onsets, findings


def reported_groups(groups: list[Group], stats: ReadStats | None = None) -> list[Group]:
    """The groups a decision reports, once `find_incidents` has marked the failed answers: the one place
    that leaves out the 404s that are the services' answers (role "answer": no rise reached the users,
    no deploy dropped their route; a scanner's probes), so that reports, diffs, verifications and
    remedies, which read only these, never filter them again. The 404s of a dropped route are failed
    requests: read uncounted (rca.events.error_event), they are counted as error events in `stats`."""
    if stats is not None:
        stats.events += sum(g.count for g in groups if g.failed_answer and g.answer_status == ANSWER_STATUS)
    return [g for g in groups if g.role != "answer"]


def mark_failed_answers(groups: list[Group], exposures: Exposures, deploys: Sequence[Deploy] = (),
                        onsets: dict[str, Onset] | None = None) -> None:
    """Mark the 4xx answers whose rise reached a service's users (Group.failed_answer): a 401, 403,
    404 or 429 to every user is an outage. The service's 4xx groups are tested together, per request;
    those that rose at the onset count when they are broad (`_broad`), and so does a route that a
    deploy dropped (`_dropped_route`), its onset then the rise after the deploy (in `onsets`)."""
    answers: dict[str, list[Group]] = {}
    for group in groups:
        status = group.answer_status
        if status is not None and 400 <= status < 500 and group.service is not None:
            answers.setdefault(group.service, []).append(group)
    for service, members in answers.items():
        exposure = exposures.of(service)
        if not exposure.per_request:
            continue  # breadth is a share of the service's requests
        onset = _steepest_onset(merged_times([g.times for g in members]), exposure)
        if onset is None:
            continue
        risen = [g for g in members if _changed_at(g, onset, exposure)]
        if _broad(risen, onset, exposure):
            for group in risen:
                group.failed_answer = True
        for group in members:
            dropped = None if group.failed_answer else _dropped_route(group, exposure, deploys)
            if dropped is not None:
                group.failed_answer = True
                if onsets is not None:
                    onsets[group.key] = dropped


def _dropped_route(group: Group, exposure: Exposure, deploys: Sequence[Deploy]) -> Onset | None:
    """A route the service's new revision no longer serves: its 404s rose right after a deploy, on
    the new revision, minute after minute, to a good share of the service's requests. A scanner's
    404s are one path each, too few to rise; one route's steady 404s never change. Its onset, or None."""
    if group.answer_status != 404:
        return None
    onset = _steepest_onset(group.times, exposure)
    if onset is None:
        return None
    deploy = next((d for d in reversed(deploys) if d.service == group.service and d.revision in group.revisions
                   and -STAMP_TOLERANCE <= onset.time - d.time <= DEPLOY_WINDOW), None)
    if deploy is None:
        return None
    after = within(group.times, onset.time - STAMP_TOLERANCE, exposure.end)
    minutes = {int(t // MINUTE) for t in after.tolist()}
    served = exposure.amount(onset.time - STAMP_TOLERANCE, exposure.end)
    dropped = len(minutes) >= BROAD_MINUTES and served > 0 and len(after) / served >= DROPPED_ROUTE_SHARE
    return onset if dropped else None


def _steepest_onset(times: np.ndarray, exposure: Exposure) -> Onset | None:
    """The most unlikely change of a series: a service's steady 401s begin a minute into the logs,
    its 403s to every user later; the answers' onset is the later."""
    if len(times) < MIN_ONSET_EVENTS:
        return None
    found = [o for o in (_began(times, exposure.start, exposure.end, exposure),
                         _jumped(times, exposure.start, exposure.end, exposure)) if o is not None]
    return min(found, key=lambda o: o.log_p, default=None)


def _broad(risen: list[Group], onset: Onset, exposure: Exposure) -> bool:
    """Many routes, many minutes, a good share of all requests: users, not a scanner or one client."""
    if len({g.route for g in risen}) < BROAD_ROUTES:
        return False
    after = [within(g.times, onset.time - STAMP_TOLERANCE, exposure.end) for g in risen]
    minutes = {int(t // MINUTE) for times in after for t in times.tolist()}
    failed = sum(len(times) for times in after)
    served = exposure.amount(onset.time - STAMP_TOLERANCE, exposure.end)
    return len(minutes) >= BROAD_MINUTES and served > 0 and failed / served >= BROAD_SHARE


def _join_ongoing(incidents: list[Incident], cascades: list[Cascade]) -> list[Incident]:
    """One incident per root cause: symptoms that begin while an incident of the same service is
    still going on (a route called rarely, whose first failure comes late) join it when its root
    cause is theirs, or when they name none and that root cause, still failing, is linked to them."""
    kept: list[Incident] = []
    for incident in sorted(incidents, key=lambda i: i.onset):
        ongoing = next((earlier for earlier in kept if _continues(earlier, incident, cascades)), None)
        if ongoing is None:
            kept.append(incident)
            continue
        known = {id(g) for g in ongoing.symptoms}
        ongoing.symptoms = sorted(ongoing.symptoms + [g for g in incident.symptoms if id(g) not in known],
                                  key=lambda g: -g.count)
    return kept


def _continues(earlier: Incident, later: Incident, cascades: list[Cascade]) -> bool:
    root = earlier.root_cause
    if root is None or earlier.service != later.service or (later.root_cause is not None and later.root_cause is not root):
        return False
    if not len(within(root.times, later.onset - NEAR_ONSET, later.onset + NEAR_ONSET)):
        return False  # the earlier failure is over: this is a new one
    if later.root_cause is root:
        return True
    return any(cascade_between(root, symptom, cascades) is not None or shared(root.traces, symptom.traces)
               for symptom in later.symptoms)


def _join_callers(incidents: list[Incident]) -> list[Incident]:
    """An incident whose root cause is its calls to another failing service joins that service's
    incident: the callee's failure is the cause of its callers' symptoms. The logs must show the call:
    a URL naming the callee in the caller's error, or trace ids they share, the callee's error coming
    first (a callee answers before its caller logs the failure)."""
    joined: set[int] = set()
    for caller in sorted(incidents, key=lambda i: i.onset):
        root = caller.root_cause
        if root is None:
            continue
        for callee in incidents:
            if callee is caller or id(callee) in joined or callee.root_cause is None or callee.callers and caller.service in callee.callers:
                continue
            evidence = _call_evidence(root, callee)
            if evidence and abs(callee.onset - caller.onset) <= NEAR_ONSET:
                callee.symptoms = sorted(callee.symptoms + caller.symptoms, key=lambda g: -g.count)
                callee.ruled_out.append((root, f"{_name(root)}: the callers' side of {callee.service}'s failure "
                                               f"({evidence}), not a cause of its own"))
                callee.callers += [s for s in [caller.service, *caller.callers] if s not in callee.callers]
                callee.caller_causes += [root, *caller.caller_causes]
                joined.add(id(caller))
                break
    return [i for i in incidents if id(i) not in joined]


def _call_evidence(group: Group, incident: Incident) -> str:
    """How the logs show that `group` failed calling the incident's service; empty when they do not."""
    callee, cause = incident.service, incident.root_cause
    if callee and re.search(rf"https?://{re.escape(callee)}[-.]", group.representative.text):
        return f"its error names {callee}'s URL"
    theirs = union(g.traces for g in [cause, *incident.symptoms] if g is not None)
    if cause is not None and shared(group.traces, theirs) and cause.first_seen <= group.first_seen:
        return f"it shares trace ids with {callee}'s failures, which come first"
    return ""


def _known(times: np.ndarray, onset: Onset, baseline: tuple[float, float] | None) -> bool:
    """The rate after the onset is not well above the rate in the user's baseline: known background."""
    if baseline is None or baseline[1] <= baseline[0]:
        return False
    usual = count_within(times, *baseline) / ((baseline[1] - baseline[0]) / MINUTE)
    return usual > 0 and onset.after < MIN_EFFECT * usual


def _symptoms_by_service(groups: list[Group]) -> dict[str | None, list[Group]]:
    by_service: dict[str | None, list[Group]] = {}
    for group in groups:
        if group.role == "symptom":
            by_service.setdefault(_service(group), []).append(group)
    return by_service


def _episodes(symptoms: list[Group], onsets: dict[str, Onset], exposures: Exposures,
              baseline: tuple[float, float] | None = None) -> list[tuple[Onset, list[Group]]]:
    """A service's failures, one (onset, symptom groups) per episode: symptoms whose own onsets lie
    within NEAR_ONSET of each other fail together; one further apart is a second incident. Symptoms
    too sparse to have an onset alone join the episode they rose at; those that joined none are
    tested together (a few minutes of 500s on two routes, before a crash loop's flood of 503s)."""
    episodes: list[tuple[Onset, list[Group]]] = []
    for group in sorted((g for g in symptoms if g.key in onsets), key=lambda g: onsets[g.key].time):
        if episodes and onsets[group.key].time - episodes[-1][0].time <= NEAR_ONSET:
            episodes[-1][1].append(group)
        else:
            episodes.append((onsets[group.key], [group]))
    left = []
    for group in symptoms:
        if group.key not in onsets:
            joined = next((members for onset, members in episodes
                           if _changed_at(group, onset, exposures.of_group(group))), None)
            if joined is not None:
                joined.append(group)
            else:
                left.append(group)
    together = _together(left, exposures, baseline, alone=not episodes)
    if together is not None:
        onset, members = together
        near = next((episode for episode in episodes if abs(episode[0].time - onset.time) <= NEAR_ONSET), None)
        if near is not None:
            near[1].extend(members)
        elif members:
            episodes = sorted([*episodes, together], key=lambda episode: episode[0].time)
    return episodes


def _together(symptoms: list[Group], exposures: Exposures, baseline: tuple[float, float] | None,
              alone: bool) -> tuple[Onset, list[Group]] | None:
    """Symptoms too sparse for an onset of their own, tested as one series; `alone` when the service
    has no other episode (then start-ups failing from the first record are one too)."""
    if not symptoms:
        return None
    times = merged_times([g.times for g in symptoms])
    start, end = exposures.start, exposures.end
    together = onset_of_times(times, start, end, exposures.of_groups(symptoms))
    if together is None and alone:
        together = _before_window(symptoms, start)
    if together is None or _known(times, together, baseline):
        return None
    return together, [g for g in symptoms if _changed_at(g, together, exposures.of_group(g))]


def _before_window(symptoms: list[Group], start: float) -> Onset | None:
    """Start-ups already failing at the first record: the incident began before the export."""
    failing = [g for g in symptoms if g.cls == "startup_failure" and g.first_seen - start < SETTLED
               and g.count >= BEFORE_WINDOW_MIN_EVENTS]
    if not failing:
        return None
    return Onset(start, "before-window", 0.0, 0.0)


def _incident(service, onset: Onset, members, groups, deploys, cascades, exposures: Exposures,
              changes: list[Change]) -> Incident:
    deploy = next((d for d in reversed(deploys) if d.service == service and d.time <= onset.time + MINUTE), None)
    candidates, ruled_out = [], []
    symptoms = _Symptoms(members, cascades)
    for group in groups:
        if group.role != "cause":
            continue
        verdict = _judge(group, service, onset, symptoms, (deploy, changes), cascades, exposures.of_group(group))
        if isinstance(verdict, str):
            ruled_out.append((group, verdict))
        else:
            candidates.append(verdict)
    candidates.sort(key=lambda c: (c.score, -c.group.first_seen), reverse=True)
    root, verdict = _root(candidates)
    for other in candidates:
        if other.group is not root:
            ruled_out.append((other.group, f"{_name(other.group)}: scored {other.score:.1f}"
                                           f"{f' against {candidates[0].score:.1f} for the root cause' if root else ''} "
                                           f"({'; '.join(other.reasons) or 'no link to the symptoms'})"))
    incident = Incident(service, onset.time, root, sorted(members, key=lambda g: -g.count), ruled_out, deploy,
                        candidates, onset.kind, verdict)
    incident.changes = [c for c in changes if c.kind != "deploy" and _concerns(c, incident)]
    if root is not None:
        incident.change = preceding(changes, root, service, float(within(root.times, onset.time - NEAR_ONSET, onset.time + NEAR_ONSET)[0]))
    return incident


def _concerns(change: Change, incident: Incident) -> bool:
    """Drawn on the incident's timeline: a change shortly before (or during) it, of its services or its root cause."""
    if not incident.onset - CHANGE_WINDOW <= change.time <= incident.onset + NEAR_ONSET:
        return False
    return change.service in incident.services or (incident.root_cause is not None and
                                                   explains(change, incident.root_cause, incident.service))


def _root(candidates: list[Candidate]) -> tuple[Group | None, str]:
    if not candidates:
        return None, "no cause-class error changed near the onset"
    best = candidates[0]
    if best.score < MIN_ROOT_SCORE:
        return None, (f"no candidate is convincing: the best, {_name(best.group)}, scored {best.score:.1f} "
                      f"(at least {MIN_ROOT_SCORE:.0f} is needed)")
    return best.group, ""


def _changed_at(group: Group, onset: Onset, exposure: Exposure) -> bool:
    """A symptom group belongs to the incident when it rose at the onset, not when it was already there."""
    if onset.kind == "before-window":
        return True
    return _change_log_p(group, onset.time, exposure) <= CHANGE_LOG_P or \
        (group.first_seen >= onset.time - STAMP_TOLERANCE and group.first_seen <= onset.time + NEAR_ONSET)


def _change_log_p(group: Group, moment: float, exposure: Exposure) -> float:
    """How unlikely the group's count from `moment - STAMP_TOLERANCE` on is, under its rate (per
    request of its service, else per minute) before."""
    start, end = exposure.start, exposure.end
    split = max(start, moment - STAMP_TOLERANCE)
    if end <= start or split <= start:
        return 0.0
    times = group.times
    after = count_from(times, split)
    return tail_log_p(len(times), after, exposure.share(split, end))


def _judge(group, service, onset: Onset, symptoms, before: tuple, cascades, exposure: Exposure) -> Candidate | str:
    """A scored candidate, or the reason (with figures) why the group is not part of the incident."""
    start, end = exposure.start, exposure.end
    times = group.times
    near = within(times, onset.time - NEAR_ONSET, onset.time + NEAR_ONSET)
    if not len(near):
        when = "before" if group.first_seen < onset.time else "after"
        return (f"{_name(group)}: {group.count} events, starting {_minutes(group.first_seen - onset.time)} {when} "
                f"the onset, with none within {NEAR_ONSET / MINUTE:.0f} min of it — not part of this incident")
    began_with_it = group.first_seen >= onset.time - LEAD  # nothing of it in the background before
    if onset.kind != "before-window" and not began_with_it and _change_log_p(group, onset.time, exposure) > CHANGE_LOG_P:
        before = group.rate_per_minute(max(start, onset.time - 30 * MINUTE), onset.time)
        after = group.rate_per_minute(onset.time, min(end + 1, onset.time + 30 * MINUTE))
        return (f"{_name(group)}: {before:.1f}/min before the onset, {after:.1f}/min after — "
                "unchanged, not part of this incident")
    linked = symptoms.linked_to(group, cascades)
    shares_traces = shared(group.traces, symptoms.traces) > 0
    if not linked and not shares_traces and _service(group) != service:
        return f"{_name(group)}: on another service, with no cascade link to {service}'s symptoms"
    terms, reasons = _evidence(group, service, onset, near, linked, shares_traces, before)
    return Candidate(group, round(sum(terms.values()), 2), reasons, bool(linked), terms)


def _evidence(group, service, onset: Onset, near, linked, shares_traces, before: tuple) -> tuple[dict, list[str]]:
    """The score's terms and their reasons. `before` is (the deploy of the service, every change)."""
    deploy, changes = before
    terms = {"class": 2.0 if group.cls != "unknown" else 1.0}
    reasons = []
    if linked:
        terms["cascade"] = 3.0
        reasons.append("cascades to " + ", ".join(sorted(linked.classes)))
    if _service(group) == service:
        terms["same_service"] = 1.0
    first_near = float(near[0])
    if onset.kind == "before-window" or first_near <= onset.time + STAMP_TOLERANCE:
        terms["precedes"] = 2.0
        reasons.append("present from the first record" if onset.kind == "before-window" else "precedes the onset")
    elif first_near > onset.time + MINUTE:
        terms["precedes"] = -2.0
        reasons.append(f"begins {_minutes(first_near - onset.time)} after the onset")
    if deploy and _deployed(deploy, group) and 0 <= first_near - deploy.time <= DEPLOY_WINDOW:
        terms["deploy"] = 2.0
        reasons.append(f"begins {_minutes(first_near - deploy.time)} after "
                       + (f"revision {deploy.revision} appeared" if deploy.kind == "revision" else f"job update {deploy.revision}"))
    change = preceding(changes, group, service, first_near)
    if change is not None:
        terms["change"] = 2.0
        reasons.append(f"begins {_minutes(max(0.0, first_near - change.time))} after {change.summary}")
    if shares_traces:
        terms["traces"] = 2.0
        reasons.append("shares trace ids with the symptoms")
    terms["volume"] = round(min(VOLUME_CAP, math.log10(1 + len(near))), 2)
    return terms, reasons


class _Symptoms(list):
    """An incident's symptoms, indexed by what a cascade needs a cause to share with them: a flood's
    incident weighs thousands of groups against hundreds of symptoms, and a cause is tested only
    against those of its own service or revisions."""

    def __init__(self, symptoms: list[Group], cascades: Sequence[Cascade]):
        super().__init__(symptoms)
        self.any_trace = any(c.same == "trace" for c in cascades)  # a trace can cross services: test all
        self.traces = union(s.traces for s in symptoms)
        self.at: dict[tuple[str, str | None], list[int]] = {}
        # Without a trace cascade, whether one links a cause to a symptom depends on the symptom's
        # class, service and revisions alone, and on whether it is a failed answer (cascade_between reads
        # one as service_unavailable, whatever its class): a flood's hundreds of symptoms are a few such kinds.
        self.kinds = [(s.cls, s.service, tuple(s.revisions), s.failed_answer) for s in symptoms]
        self._by_cause: dict[tuple, _Linked] = {}  # a kind of cause -> the symptoms linked to it
        for index, symptom in enumerate(symptoms):
            for key in {("service", symptom.service), *(("revision", r) for r in symptom.revisions)}:
                self.at.setdefault(key, []).append(index)

    def _could_link(self, cause: Group) -> list[int]:
        keys = [("service", cause.service), *(("revision", r) for r in cause.revisions)]
        return sorted({i for key in keys for i in self.at.get(key, ())})

    def linked_to(self, cause: Group, cascades: Sequence[Cascade]) -> _Linked:
        """The symptoms a cascade links `cause` to, asked once per kind of symptom."""
        if self.any_trace:
            return self._linked([i for i in range(len(self)) if cascade_between(cause, self[i], cascades)])
        # Without a trace cascade, the answer depends on what cascade_between reads of the cause (its
        # class, service, revisions, whether it failed at start-up) besides the symptoms: a flood's
        # thousand causes are far fewer such kinds, each worked out once per incident.
        kind = (cause.cls, cause.service, tuple(cause.revisions), cause.at_startup, id(cascades))
        linked = self._by_cause.get(kind)
        if linked is None:
            candidates = self._could_link(cause)
            answers: dict[tuple, bool] = {}
            for index in candidates:
                if self.kinds[index] not in answers:
                    answers[self.kinds[index]] = cascade_between(cause, self[index], cascades) is not None
            linked = self._by_cause[kind] = self._linked([i for i in candidates if answers[self.kinds[i]]])
        return _Linked(linked, linked.classes)

    def _linked(self, indexes: list[int]) -> _Linked:
        # Their classes from the kinds: the evidence names them for each of a flood's thousand causes,
        # and asking hundreds of symptoms each for its class cost more than the cascade tests.
        return _Linked([self[i] for i in indexes], {self.kinds[i][0] for i in indexes})


class _Linked(list):
    """The symptoms linked to a cause, and the set of their classes."""

    def __init__(self, symptoms: list[Group], classes: set[str]):
        super().__init__(symptoms)
        self.classes = classes


def cascade_between(cause: Group, symptom: Group, cascades: Sequence[Cascade]) -> Cascade | None:
    """The cascade that links `cause` to `symptom` (its `why` says how), or None when none does."""
    symptom_cls = "service_unavailable" if symptom.failed_answer else symptom.cls  # a failed answer, whatever its status
    for cascade in cascades:
        if cascade.symptom != symptom_cls or cause.cls not in cascade.causes:
            continue
        if cascade.when == "startup" and not cause.at_startup:
            continue
        if cascade.same == "service" and _service(cause) == _service(symptom):
            return cascade
        if cascade.same == "revision" and set(cause.revisions) & set(symptom.revisions):
            return cascade
        if cascade.same == "trace" and shared(cause.traces, symptom.traces):
            return cascade
    # two steps: the cause brings down the start-up, which brings the service down (the second step says why)
    if cause.cls == "startup_failure" or _service(cause) != _service(symptom) or not cause.at_startup:
        return None
    return next((c for c in cascades if c.symptom == symptom_cls and "startup_failure" in c.causes), None)


def _deployed(deploy: Deploy, group: Group) -> bool:
    """The group ran what the deploy brought: its revision, or (a job update) the job, which names no revision."""
    if deploy.kind == "job":
        return _service(group) == deploy.service
    return deploy.revision in group.revisions


def _service(group: Group) -> str | None:
    return group.service


def _name(group: Group) -> str:
    where = f" from {', '.join(group.services)}" if group.services else ""
    return f"{group.label}{where}"


def _minutes(seconds: float) -> str:
    seconds = abs(seconds)
    return f"{seconds:.0f}s" if seconds < 120 else f"{seconds / MINUTE:.0f} min"
