"""`rca analyze`: read, stitch, classify, group, find incidents, and write the five whys."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from pathlib import Path

from .code import CodeFindings, inspect_root_cause
from .classify import classify_events, default_rules
from .events import events_from_records
from .groups import Deploy, DeployTracker, Group, group_events, tie_orphans
from .incidents import Finding, Incident, Onset, find_incidents
from .model import resolve as resolve_model
from .ingest import iter_records
from .rules import RuleSet
from .stats import ReadStats
from .whys import Why, five_whys


@dataclass
class Analysis:
    groups: list[Group]
    incidents: list[Incident]
    deploys: list[Deploy]
    onsets: dict[str, Onset]
    whys: list[list[Why]]  # one list per incident
    stats: ReadStats
    project: str | None
    start: float | None
    end: float | None
    seconds: float = 0.0
    filters: dict = field(default_factory=dict)
    code: list[CodeFindings | None] = field(default_factory=list)  # one per incident, with --repo
    findings: list[Finding] = field(default_factory=list)  # causes that changed with no symptom


def analyze(inputs, *, since: float | None = None, until: float | None = None, service: str | None = None,
            rules: RuleSet | None = None, stats: ReadStats | None = None, records=None,
            repo: str | Path | None = None, path_maps: list[tuple[str, str]] = (), model="default",
            mute: list[str] = (), baseline: tuple[float, float] | None = None,
            service_map: dict[str, str] | None = None) -> Analysis:
    """Analyse log files (or an iterable of LogRecords given as `records`). With `repo`, a checkout
    of the service's code, each root cause is traced to its file, confirmed, and blamed. `model`
    classifies what no rule claims (see `rca.model.resolve`; None for rules only). `mute` names known
    noise (fingerprints, rule ids, or patterns searched in a group's label): muted groups are shown,
    marked, and take no part in incidents. `baseline` (since, until) is a stretch of normal operation
    against which onsets are judged; its records are read even when `since` is later. `service_map`
    ties groups that name no service (load balancer logs) to one: {text in the label: service}."""
    started = time.perf_counter()
    stats = stats if stats is not None else ReadStats()
    rules = rules or default_rules()
    tracker = DeployTracker()
    source = _counted(records, stats) if records is not None else iter_records(inputs, stats, prefilter="deploys")
    read_since = since if baseline is None or since is None else min(since, baseline[0])
    kept = _within(tracker.watch(source), read_since, until, service)
    projects: list[str] = []
    events = _noting_project(events_from_records(kept, stats), projects)
    groups = group_events(classify_events(events, rules, resolve_model(model)))  # streamed: groups are summaries
    for group in groups:
        group.muted = _muted(group, mute)
    tie_orphans(groups, service_map)
    first, last = _window(tracker, stats)
    start = read_since if read_since is not None else first
    end = until if until is not None else last
    deploys = [d for d in tracker.deploys() if _in_window(d.time, since, until) and (service is None or d.service == service)]
    incidents, onsets, findings = ([], {}, []) if start is None else find_incidents(
        groups, deploys, rules.cascades, start, end, baseline)
    project = projects[0] if projects else None
    code = [inspect_root_cause(i.root_cause, Path(repo), path_maps, i.deploy.time if i.deploy else None)
            if repo is not None and i.root_cause is not None else None for i in incidents]
    return Analysis(groups, incidents, deploys, onsets, [five_whys(i, project, c, rules.cascades) for i, c in zip(incidents, code)],
                    stats, project, start, end, time.perf_counter() - started,
                    {"since": since, "until": until, "service": service}, code, findings)


def _window(tracker: DeployTracker, stats: ReadStats) -> tuple[float | None, float | None]:
    """The first and last record's times, counting the healthy entries passed over undecoded."""
    from .record import parse_timestamp

    first, last = tracker.start, tracker.end
    if stats.passed_first is not None:
        passed = parse_timestamp(stats.passed_first.decode() + "Z")
        first = passed if first is None or (passed is not None and passed < first) else first
    if stats.passed_last is not None:
        passed = parse_timestamp(stats.passed_last.decode() + "Z")
        last = passed if last is None or (passed is not None and passed > last) else last
    return first, last


def _muted(group: Group, mute) -> bool:
    rule = group.classification.rule
    return any(item == group.key or (rule is not None and item == rule.id) or _searches(item, group.label)
               for item in mute)


def _searches(pattern: str, text: str) -> bool:
    import regex

    try:
        return regex.search(pattern, text, timeout=0.05) is not None
    except (regex.error, TimeoutError):
        return pattern in text


def _counted(records, stats: ReadStats):
    stats.sources.append("records")
    for record in records:
        stats.records += 1
        yield record


def _within(records, since, until, service):
    for record in records:
        if service is not None and record.service != service:
            continue
        if record.time is not None and not _in_window(record.time, since, until):
            continue
        yield record


def _in_window(moment: float | None, since, until) -> bool:
    if moment is None:
        return True
    return (since is None or moment >= since) and (until is None or moment < until)


def _noting_project(events, found: list[str]):
    """Pass events through, noting the first GCP project a log name names."""
    for event in events:
        if not found:
            log_name = event.first.log_name or ""
            if log_name.startswith("projects/"):
                found.append(log_name.split("/")[1])
        yield event

