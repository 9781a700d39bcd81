"""`rca analyze`: read, stitch, classify, group, find incidents, and write the five whys."""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from rca.analyze.changes import Change, collect_changes
from rca.analyze.group_counts import SecondCounts
from rca.analyze.groups import Deploy, DeployTracker, Group, tie_orphans
from rca.analyze.incidents import Finding, Incident, Onset, find_incidents, reported_groups
from rca.analyze.mapping import (
    Scope,
    collector_paused,
    in_window,
    map_inputs,
    map_records,
    merge_partials,
    plan,
    run_parts,
    sink_parts,
    tracker_of,
    worth_parallel,
)
from rca.analyze.remedy import Remedy, check_commit, deployed_of, remedy_of
from rca.analyze.repository import CodeFindings, inspect_root_cause
from rca.analyze.whys import Why, five_whys
from rca.classify.hybrid import default_rules
from rca.classify.model import resolve as resolve_model
from rca.classify.rules import RuleSet
from rca.classify.samples import classify_samples
from rca.errors import RcaError
from rca.ingest import STDIN, expand_inputs, is_gcs
from rca.ingest.stats import ReadStats


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
    revisions: list[Deploy] = field(default_factory=list)  # every revision's first record, those already there too
    remedies: list[Remedy | None] = field(default_factory=list)  # one per incident with a root cause
    # Requests per (second, service, revision, failed), as the map counted them (rca.analyze.traffic)
    requests: SecondCounts | None = field(default=None, repr=False)
    changes: list[Change] = field(default_factory=list)  # deploys, job updates and audit-logged changes in the window


@collector_paused()  # as the map is: no cycles to find, and each collection walks every summary
def analyze(inputs, *, since: float | None = None, until: float | None = None, service: str | None = None,
            rules: RuleSet | None = None, stats: ReadStats | None = None, records=None,
            repo: str | Path | None = None, path_maps: Sequence[tuple[str, str]] = (), model="default",
            mute: Sequence[str] = (), baseline: tuple[float, float] | None = None,
            service_map: dict[str, str] | None = None, workers: int = 1, client=None,
             deployed_commit: str | None = None, branch: str | None = None, timeout: float | None = None,
             prefilter: str = "deploys") -> Analysis:
    """Analyse log files (or an iterable of LogRecords given as `records`). With `repo`, a checkout
    of the service's code, each root cause is traced to its file, confirmed, and blamed. `model`
    classifies what no rule claims (see `rca.classify.model.resolve`; None for rules only). `mute` names known
    noise (fingerprints, rule ids, or patterns searched in a group's label): muted groups are shown,
    marked, and take no part in incidents. `baseline` (since, until) is a stretch of normal operation
    against which onsets are judged; its records are read even when `since` is later. `service_map`
    ties groups that name no service (load balancer logs) to one: {text in the label: service}.
    `workers` processes read the inputs (files, and byte ranges of large ones) in parallel; the
    result is the one a single process gives (docs/DESIGN.md: map, merge, decide). A Dask `client` runs
    that map on its cluster's workers instead, which must reach the inputs themselves. Inputs may be
    log sink buckets, gs://BUCKET/PREFIX: only their objects whose hour overlaps the window are read.
    Each incident with a root cause gets a remedy (rca.analyze.remedy): `deployed_commit` names the commit
    the failing revision runs when its logs do not, and `branch` the branch of `repo` a fix is looked for on.
    `timeout` is how long a read from a bucket may wait for the storage server (rca.ingest.gcs.READ_SECONDS by default).
    `prefilter` "off" decodes every entry, the healthy ones the default passes over too: rates per
    request (`rca diff`) count every request there is."""
    started = time.perf_counter()
    check_commit(deployed_commit)
    stats = stats if stats is not None else ReadStats()
    rules = rules or default_rules()
    rules.start_run()
    read_since = since if baseline is None or since is None else min(since, baseline[0])
    scope = Scope(read_since, until, service, timeout, prefilter)
    # map and merge: group summaries, the deploy tracker's state and the counts, per part
    if records is not None:
        partial = map_records(_counted(records, stats), scope, stats)
    else:
        named = [os.fspath(item) for item in ([inputs] if isinstance(inputs, (str, os.PathLike)) else inputs)]
        files = expand_inputs([name for name in named if not is_gcs(name)], stats)
        partial = _mapped(files, [name for name in named if is_gcs(name)], scope, stats, workers, client)
    groups = partial.groups
    classify_samples(groups, rules, resolve_model(model))  # what the summaries keep, once per signature
    # decide
    for group in groups:
        group.muted = _muted(group, mute)
    tie_orphans(groups, service_map)
    tracker = tracker_of(partial)
    first, last = _window(tracker, stats)
    start = read_since if read_since is not None else first
    end = until if until is not None else last
    deploys = [d for d in tracker.deploys() if in_window(d.time, since, until) and (service is None or d.service == service)]
    changes = [c for c in collect_changes(tracker.changes, deploys) if in_window(c.time, since, until)
               and (service is None or c.service in (None, service))]
    incidents, onsets, findings = ([], {}, []) if start is None or end is None else find_incidents(
        groups, deploys, rules.cascades, start, end, baseline, partial.requests, changes)
    groups = reported_groups(groups, stats)  # the services' 404 answers left out, a dropped route's counted
    project = partial.project
    revisions = sorted((Deploy(s, r, record.time, record) for (s, r), record in tracker.first.items() if record.time is not None),
                       key=lambda d: d.time)
    running = [deployed_of(i, revisions, deployed_commit) for i in incidents]  # the commit each failing revision runs
    code = [inspect_root_cause(i.root_cause, Path(repo), path_maps, i.deploy.time if i.deploy else None, d.commit)
            if repo is not None and i.root_cause is not None else None for i, d in zip(incidents, running)]
    remedies = [remedy_of(i, d, revisions, groups, project, c, Path(repo) if repo is not None else None, branch, start)
                for i, d, c in zip(incidents, running, code)]
    return Analysis(groups, incidents, deploys, onsets, [five_whys(i, project, c, rules.cascades) for i, c in zip(incidents, code)],
                    stats, project, start, end, time.perf_counter() - started,
                    {"since": since, "until": until, "service": service}, code, findings, revisions, remedies,
                    partial.requests, changes)


def _mapped(files: list[str], buckets: list[str], scope: Scope, stats: ReadStats, workers: int, client):
    """The map of every input, merged: on a Dask cluster, on `workers` processes when the inputs are
    large enough to pay for them, or in this process. A bucket's objects are always parts of their
    own (`rca.ingest.gcs.hour_groups`), so that copies of one entry are told apart the same way."""
    sinks, groups = _sink_objects(buckets, scope, stats)
    if client is not None:
        from rca.analyze.dask_cluster import cluster_size, run_on_cluster

        if STDIN in files:
            raise RcaError("standard input cannot be read by Dask workers: give files they can reach, or gs:// URLs")
        return merge_partials(run_on_cluster(client, plan(files, cluster_size(client)) + sink_parts(groups), scope), stats)
    many = workers > 1 and STDIN not in files and worth_parallel(files, sum(item.size for item in sinks))
    if not groups and not many:
        return map_inputs(files, scope, stats)
    processes = workers if many else 1
    return merge_partials(run_parts(plan(files, processes) + sink_parts(groups), scope, processes), stats)


def _sink_objects(buckets: list[str], scope: Scope, stats: ReadStats):
    """The objects of the buckets' prefixes in the window, and their groups (`hour_groups`)."""
    if not buckets:
        return [], []
    from rca.ingest.gcs import hour_groups, list_objects

    sinks = [item for prefix in buckets for item in list_objects(prefix, scope.since, scope.until, stats, scope.timeout)]
    return sinks, hour_groups(sinks)


def _window(tracker: DeployTracker, stats: ReadStats) -> tuple[float | None, float | None]:
    """The first and last record's times, counting the healthy entries passed over undecoded."""
    from rca.ingest.times import parse_timestamp

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


