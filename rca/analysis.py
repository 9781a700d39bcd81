"""`rca analyze`: read, stitch, classify, group, find incidents, and write the five whys."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from pathlib import Path

from .code import CodeFindings, inspect_root_cause
from .classify import classify_events, default_rules
from .events import events_from_records
from .groups import Deploy, DeployTracker, Group, group_events
from .incidents import Incident, Onset, find_incidents
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


def analyze(inputs, *, since: float | None = None, until: float | None = None, service: str | None = None,
            rules: RuleSet | None = None, stats: ReadStats | None = None, records=None,
            repo: str | Path | None = None, path_maps: list[tuple[str, str]] = (), model="default") -> Analysis:
    """Analyse log files (or an iterable of LogRecords given as `records`). With `repo`, a checkout
    of the service's code, each root cause is traced to its file, confirmed, and blamed. `model`
    classifies what no rule claims (see `rca.model.resolve`; None for rules only)."""
    started = time.perf_counter()
    stats = stats if stats is not None else ReadStats()
    rules = rules or default_rules()
    tracker = DeployTracker()
    source = _counted(records, stats) if records is not None else iter_records(inputs, stats, prefilter="deploys")
    kept = _within(tracker.watch(source), since, until, service)
    events = list(events_from_records(kept, stats))
    groups = group_events(classify_events(events, rules, resolve_model(model)))
    start = since if since is not None else tracker.start
    end = until if until is not None else tracker.end
    deploys = [d for d in tracker.deploys() if _in_window(d.time, since, until) and (service is None or d.service == service)]
    incidents, onsets = ([], {}) if start is None else find_incidents(
        groups, deploys, rules.cascades, start, end)
    project = _project(events)
    code = [inspect_root_cause(i.root_cause, Path(repo), path_maps, i.deploy.time if i.deploy else None)
            if repo is not None and i.root_cause is not None else None for i in incidents]
    return Analysis(groups, incidents, deploys, onsets, [five_whys(i, project, c, rules.cascades) for i, c in zip(incidents, code)],
                    stats, project, start, end, time.perf_counter() - started,
                    {"since": since, "until": until, "service": service}, code)


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


def _project(events) -> str | None:
    for event in events:
        log_name = event.first.log_name or ""
        if log_name.startswith("projects/"):
            return log_name.split("/")[1]
    return None

