"""Incidents: when failure starts, which group is the root cause, which are its symptoms, and which
groups are ruled out, with the reason in figures."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from .groups import MINUTE, Deploy, Group
from .rules import Cascade

NEW_GROUP_MARGIN = 2 * MINUTE  # a group first seen this long after the logs begin is new ...
NEW_GROUP_SHARE = 0.25  # ... or this share of a shorter window
JUMP_RATIO = 3.0  # a rate this many times higher after a minute than before it is a jump ...
JUMP_MIN_EVENTS = 5  # ... with at least this many events after it
NEAR_ONSET = 10 * MINUTE  # causes and symptoms that start this close together belong together
DEPLOY_WINDOW = 15 * MINUTE  # a group beginning this soon after a deploy of its service is linked to it
UNCHANGED = (0.5, 2.0)  # rate after / rate before within this range: unchanged


@dataclass
class Onset:
    time: float
    kind: str  # "began" or "jumped"
    before: float  # events per minute before
    after: float


def onset_of(group: Group, start: float, end: float) -> Onset | None:
    times = group.times
    if not times or end <= start:
        return None
    if group.first_seen - start > min(NEW_GROUP_MARGIN, NEW_GROUP_SHARE * (end - start)):
        return Onset(group.first_seen, "began", 0.0, group.rate_per_minute(group.first_seen, end + 1))
    minutes = int((end - start) // MINUTE) + 1
    counts = [0] * minutes
    for t in times:
        counts[min(int((t - start) // MINUTE), minutes - 1)] += 1
    best: Onset | None = None
    for split in range(1, minutes):
        before = sum(counts[:split]) / split
        after = sum(counts[split:]) / (minutes - split)
        if sum(counts[split:]) >= JUMP_MIN_EVENTS and after >= JUMP_RATIO * max(before, 0.1) and (best is None or after / max(before, 0.1) > best.after / max(best.before, 0.1)):
            best = Onset(start + split * MINUTE, "jumped", before, after)
    return best


@dataclass
class Candidate:
    group: Group
    score: int
    reasons: list[str]
    linked: bool


@dataclass
class Incident:
    service: str | None
    onset: float
    root_cause: Group | None
    symptoms: list[Group]
    ruled_out: list[tuple[Group, str]]
    deploy: Deploy | None
    candidates: list[Candidate] = field(default_factory=list)


def find_incidents(groups: list[Group], deploys: list[Deploy], cascades: list[Cascade],
                   start: float, end: float) -> tuple[list[Incident], dict[str, Onset]]:
    onsets = {g.key: o for g in groups if (o := onset_of(g, start, end)) is not None}
    anchors = [g for g in groups if g.role == "symptom" and g.key in onsets]
    if not anchors:  # a new error with no symptom yet is still an incident
        anchors = [g for g in groups if g.role == "cause" and g.key in onsets]
    by_service: dict[str | None, list[Group]] = {}
    for group in anchors:
        by_service.setdefault(_service(group), []).append(group)
    incidents = [
        _incident(service, members, groups, onsets, deploys, cascades, start, end)
        for service, members in by_service.items()
    ]
    return sorted(incidents, key=lambda i: i.onset), onsets


def _incident(service, anchors, groups, onsets, deploys, cascades, start, end) -> Incident:
    onset = min(onsets[g.key].time for g in anchors)
    symptoms = [g for g in groups if g.role == "symptom" and _service(g) == service
                and g.key in onsets and abs(onsets[g.key].time - onset) <= NEAR_ONSET]
    deploy = next((d for d in reversed(deploys) if d.service == service and d.time <= onset + MINUTE), None)
    candidates, ruled_out = [], []
    for group in groups:
        if group.role != "cause":
            continue
        verdict = _judge(group, service, onset, symptoms, onsets, deploy, cascades, start, end)
        if isinstance(verdict, str):
            ruled_out.append((group, verdict))
        else:
            candidates.append(verdict)
    candidates.sort(key=lambda c: (c.score, -c.group.first_seen), reverse=True)
    root = candidates[0].group if candidates else None
    for other in candidates[1:]:
        ruled_out.append((other.group, f"{_name(other.group)}: scored {other.score} against {candidates[0].score} "
                                       f"for the root cause ({'; '.join(other.reasons) or 'no link to the symptoms'})"))
    return Incident(service, onset, root, sorted(symptoms, key=lambda g: -g.count), ruled_out, deploy, candidates)


def _judge(group, service, onset, symptoms, onsets, deploy, cascades, start, end) -> Candidate | str:
    """A scored candidate, or the reason (with figures) why the group is not part of the incident."""
    own = onsets.get(group.key)
    if own is None or abs(own.time - onset) > NEAR_ONSET:
        before = group.rate_per_minute(max(start, onset - 30 * MINUTE), onset)
        after = group.rate_per_minute(onset, min(end + 1, onset + 30 * MINUTE))
        low, high = UNCHANGED
        if before > 0 and low <= (after / before) <= high:
            return (f"{_name(group)}: {before:.1f}/min before the onset, {after:.1f}/min after — "
                    "unchanged, not part of this incident")
        when = "before" if group.first_seen < onset else "after"
        return (f"{_name(group)}: {group.count} events, starting {_minutes(group.first_seen - onset)} {when} "
                f"the onset, with no change at it — not part of this incident")
    linked = [s for s in symptoms if cascade_between(group, s, cascades)]
    reasons, score = [], 2 if group.cls != "unknown" else 1
    if linked:
        score += 3
        reasons.append("cascades to " + ", ".join(sorted({s.cls for s in linked})))
    if _service(group) == service:
        score += 1
    if group.first_seen <= onset + 5:
        score += 2
        reasons.append("precedes the onset")
    elif group.first_seen > onset + MINUTE:
        score -= 2
        reasons.append(f"begins {_minutes(group.first_seen - onset)} after the onset")
    if deploy and deploy.revision in group.revisions and 0 <= own.time - deploy.time <= DEPLOY_WINDOW:
        score += 2
        reasons.append(f"begins {_minutes(own.time - deploy.time)} after revision {deploy.revision} appeared")
    shares_traces = any(group.traces & s.traces for s in symptoms)
    if shares_traces:
        score += 2
        reasons.append("shares trace ids with the symptoms")
    if not linked and not shares_traces and _service(group) != service:
        return f"{_name(group)}: on another service, with no cascade link to {service}'s symptoms"
    return Candidate(group, score, reasons, bool(linked))


def cascade_between(cause: Group, symptom: Group, cascades: Sequence[Cascade]) -> Cascade | None:
    """The cascade that links `cause` to `symptom` (its `why` says how), or None when none does."""
    for cascade in cascades:
        if cascade.symptom != symptom.cls or cause.cls not in cascade.causes:
            continue
        if cascade.when == "startup" and not _at_startup(cause):
            continue
        if cascade.same == "service" and _service(cause) == _service(symptom):
            return cascade
        if cascade.same == "revision" and set(cause.revisions) & set(symptom.revisions):
            return cascade
        if cascade.same == "trace" and cause.traces & symptom.traces:
            return cascade
    # two steps: the cause brings down the start-up, which brings the service down (the second step says why)
    if cause.cls == "startup_failure" or not _at_startup(cause) or _service(cause) != _service(symptom):
        return None
    return next((c for c in cascades if c.symptom == symptom.cls and "startup_failure" in c.causes), None)


def _at_startup(group: Group) -> bool:
    """Raised while importing or starting the application (frames at module level or in importlib)."""
    tb = group.representative.traceback
    if tb is None:
        return False
    frames = [f for e in tb.exceptions for f in e.frames]
    return any(f.function == "<module>" or "importlib" in f.file for f in frames)


def _service(group: Group) -> str | None:
    services = group.services
    return services[0] if services else None


def _name(group: Group) -> str:
    where = f" from {', '.join(group.services)}" if group.services else ""
    return f"{group.label}{where}"


def _minutes(seconds: float) -> str:
    seconds = abs(seconds)
    return f"{seconds:.0f}s" if seconds < 120 else f"{seconds / MINUTE:.0f} min"
