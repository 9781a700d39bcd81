"""Groups of recurring failures, and the deploys (new revisions) seen in the logs."""

from __future__ import annotations

import bisect
import hashlib
import math
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from rca.analyze.fingerprint import Fingerprint, fingerprint_key, fingerprint_of
from rca.analyze.group_counts import HashSketch, SecondCounts, count_within, event_times, shared, union
from rca.classify.rules import Classification
from rca.events.error_event import ErrorEvent
from rca.ingest.record import LogRecord

if TYPE_CHECKING:
    import numpy as np

MINUTE = 60.0


# The earliest events a group keeps whole: what the report shows of it (the evidence of a why names
# five insert ids), and result.events in a notebook. Each costs a flood's summaries its records:
# 20 made the partials sent between processes twice as large and the map 25% slower on two cores.
SAMPLE_EVENTS = 5
TRACE_SKETCH = 4096  # trace ids a group keeps: the smallest by hash, so that two sketches still meet


@dataclass
class Group:
    """A group of events with one fingerprint, kept as a summary of bounded size rather than as its
    events: counts per second (and so per minute) by service, revision and instance, first and last
    seen, the earliest events whole, and a sketch of its trace ids (rca.analyze.group_counts: numpy arrays, a
    few bytes an item). Two summaries of disjoint parts of the logs merge exactly and in any order
    (`merge`), so that the decision made on merged summaries is the one a single pass would make
    (docs/DESIGN.md: map, merge, decide)."""

    key: str
    label: str
    fingerprint: Fingerprint  # how the key was made: the first event's components
    count: int = 0
    earliest: float = math.inf  # the first event's time (inf: no event had a time)
    latest: float = -math.inf
    per_second: SecondCounts = field(default_factory=SecondCounts)  # (UTC second, service, revision, instance) -> events
    sample: list[tuple[ErrorEvent, Any]] = field(default_factory=list)  # earliest first
    # A bottom-k sketch of its trace ids: the 64-bit hashes of the TRACE_SKETCH smallest, so that two
    # groups' sketches meet where their traces do. Hashes, not ids: a flood's ids cost 100 bytes each.
    trace_sketch: HashSketch = field(default_factory=lambda: HashSketch(TRACE_SKETCH))
    statuses: Counter = field(default_factory=Counter)
    muted: bool = False  # known noise the user muted: shown, never an incident's symptom or cause
    tied_to: str | None = None  # the service a group with none of its own concerns (see tie_orphans)
    tied_by: str = ""  # the evidence for it
    # A 4xx answer whose rise reached the service's users broadly: a user-visible symptom, whatever the
    # class of its status (set by the decision, rca.analyze.incidents.mark_failed_answers; issue 25).
    failed_answer: bool = False
    # What the decision asks of a summary again and again (its service, its times), worked out once;
    # emptied whenever the counts change.
    _derived: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    def add(self, event: ErrorEvent, classification: Classification | None, order: tuple | None = None) -> None:
        """Count one event. `classification` may be None: the analysis classifies only the events a
        summary keeps (its sample), once the summaries are merged (`rca.classify.samples.classify_samples`).
        `order` is the event's `order`, when the caller has it already."""
        # Once per event of a flood: comparisons rather than min() and max(), each property read once,
        # and for an event of one record (nearly every one) its time and trace read off the record.
        order = event.order if order is None else order
        when = event.time
        if self._derived:
            self._derived.clear()
        self.count += 1
        records = event.records
        first = records[0]
        lane = (first.service, first.revision, first.instance)
        if when is None:
            self.per_second.add(None, lane)
        else:
            if when < self.earliest:
                self.earliest = when
            last = when if len(records) == 1 else (event.last_time or when)
            if last > self.latest:
                self.latest = last
            self.per_second.add(int(when), lane)
        sample = self.sample
        if len(sample) < SAMPLE_EVENTS or order < sample[-1][0].order:
            at = bisect.bisect_right(sample, order, key=_sample_order)  # after its equals, as a stable sort puts it
            sample.insert(at, (event, classification))
            del sample[SAMPLE_EVENTS:]
        if len(records) == 1:
            if first.trace:
                self.trace_sketch.add(_hash(first.trace))
        else:
            traces = [_hash(r.trace) for r in records if r.trace]
            if traces:
                self.trace_sketch.update(traces)
        request = event.request
        if request is not None and request.http_status is not None:
            self.statuses[request.http_status] += 1

    def merge(self, other: Group) -> Group:
        """This summary and another of the same fingerprint, as one (associative and commutative)."""
        merged = Group(self.key, self.label, self.fingerprint, self.count + other.count,
                       min(self.earliest, other.earliest), max(self.latest, other.latest),
                       self.per_second.merged(other.per_second),
                       sorted(self.sample + other.sample, key=_sample_order)[:SAMPLE_EVENTS],
                       self.trace_sketch.merged(other.trace_sketch), self.statuses + other.statuses)
        if other.representative.order < self.representative.order:
            merged.label, merged.fingerprint = other.label, other.fingerprint
        return merged

    @property
    def first_seen(self) -> float:
        return self.earliest if self.earliest != math.inf else 0.0

    @property
    def last_seen(self) -> float:
        return self.latest if self.latest != -math.inf else 0.0

    @property
    def events(self) -> list[ErrorEvent]:
        """The earliest events, whole (at most SAMPLE_EVENTS)."""
        return [event for event, _ in self.sample]

    @property
    def representative(self) -> ErrorEvent:
        """The first event: the one closest to how the failure began."""
        return self.sample[0][0]

    @property
    def classification(self) -> Classification:
        return self.sample[0][1]

    @property
    def cls(self) -> str:
        return self.classification.cls

    @property
    def role(self) -> str:
        """cause or symptom (the class's), a symptom when a 4xx rose to users broadly, and "answer" for
        404s that did not: a service saying "not found" neither causes a failure nor is one (a scanner)."""
        if self.failed_answer:
            return "symptom"
        return "answer" if self.answer_status == 404 else self.classification.role

    @property
    def answer_status(self) -> int | None:
        """The HTTP status a request group answered with (None for any other group)."""
        if self.fingerprint.kind != "request" or not self.statuses:
            return None
        return self.statuses.most_common(1)[0][0]

    @property
    def route(self) -> str:
        """A request group's method and route (empty for any other group)."""
        parts = {c.id: c.value for c in self.fingerprint.components}
        return f"{parts.get('method', '')} {parts.get('route', '')}".strip() if self.fingerprint.kind == "request" else ""

    @property
    def times(self) -> np.ndarray:
        """Event times to the second (the first exact), sorted: what onsets and rates are tested on.
        Read-only: the array is worked out once and shared."""
        if "times" not in self._derived:
            self._derived["times"] = event_times(self.per_second, self.first_seen)
        return self._derived["times"]

    def counts_by(self, part: int) -> Counter:
        """Events per service (part 1), revision (2) or instance (3)."""
        return Counter(self._counts_of(part))

    def _counts_of(self, part: int) -> Counter:
        """counts_by's answer, kept until the counts change: not to be changed by the caller."""
        known = self._derived.get(part)
        if known is None:
            known = self._derived[part] = Counter()
            for lane, count in self.per_second.by_lane().items():
                known[lane[part - 1]] += count
        return known

    @property
    def at_startup(self) -> bool:
        """Raised while importing or starting the application (frames at module level or in importlib).
        The decision asks it for every pair of a cause and a symptom: worked out once."""
        if "at_startup" not in self._derived:
            tb = self.representative.traceback
            frames = [f for e in tb.exceptions for f in e.frames] if tb is not None else []
            self._derived["at_startup"] = any(f.function == "<module>" or "importlib" in f.file for f in frames)
        return self._derived["at_startup"]

    def distinct(self, part: int) -> list[str]:
        """The names of a part, sorted: asked for every cause against every incident's symptoms, so
        kept until the counts change (a new list each time: callers may keep or change theirs)."""
        key = ("distinct", part)
        known = self._derived.get(key)
        if known is None:
            known = self._derived[key] = tuple(sorted(name for name in self._counts_of(part) if name is not None))
        return list(known)

    @property
    def services(self) -> list[str]:
        return self.distinct(1)

    @property
    def revisions(self) -> list[str]:
        return self.distinct(2)

    @property
    def instances(self) -> list[str]:
        return self.distinct(3)

    @property
    def service(self) -> str | None:
        """The service the group concerns: its own (the busiest), else the one it was tied to."""
        if "service" not in self._derived:
            counts = self.counts_by(1)  # a copy: the named ones only
            counts.pop(None, None)
            self._derived["service"] = counts.most_common(1)[0][0] if counts else None
        own = self._derived["service"]
        return own if own is not None else self.tied_to

    @property
    def traces(self) -> np.ndarray:
        """The sketch of the group's trace ids (their hashes, sorted): see rca.analyze.group_counts.shared."""
        return self.trace_sketch.values()

    def rate_per_minute(self, start: float, end: float) -> float:
        if end <= start:
            return 0.0
        return count_within(self.times, start, end) / ((end - start) / MINUTE)


def _sample_order(pair: tuple[ErrorEvent, Any]) -> tuple:
    """A sample's order (ErrorEvent.order: time, then where read, so that merging in any order keeps the same sample)."""
    return pair[0].order


def _hash(trace: str) -> int:
    return int.from_bytes(hashlib.blake2b(trace.encode(), digest_size=8).digest(), "big")


def group_events(classified: Iterable[tuple[ErrorEvent, Classification | None]]) -> list[Group]:
    """Events into group summaries, in any order; the groups come out by first seen."""
    groups: dict[str, Group] = {}
    for event, classification in classified:
        key = fingerprint_key(event)  # the whole fingerprint only for an event that becomes a group's first
        group = groups.get(key)
        order = event.order  # worked out once per event (a cached property), as the representative's is
        if group is None:
            made = fingerprint_of(event)
            group = groups[key] = Group(key, made.label, made)
        elif order < group.sample[0][0].order:  # the representative's, without the property
            made = fingerprint_of(event)
            group.label, group.fingerprint = made.label, made
        group.add(event, classification, order)
    return by_first_seen(groups.values())


def tie_orphans(groups: list[Group], service_map: dict[str, str] | None = None) -> None:
    """Tie groups that name no service (load balancer request logs, cluster events) to the service
    they concern: the user's --service-map first (matched in the label), else the service whose
    groups share the most trace ids with them."""
    by_service: dict[str, list[np.ndarray]] = {}
    for group in groups:
        if group.service is not None:
            by_service.setdefault(group.service, []).append(group.traces)
    traced = {service: union(sketches) for service, sketches in by_service.items()}
    for group in groups:
        if group.service is not None:
            continue
        mapped = next((service for key, service in (service_map or {}).items() if key in group.label), None)
        if mapped:
            group.tied_to, group.tied_by = mapped, "the service map"
            continue
        common = {service: shared(group.traces, traces) for service, traces in traced.items()}
        best = max(common, key=lambda s: common[s], default=None)
        if best is not None and common[best] > 0:
            group.tied_to, group.tied_by = best, f"{common[best]} trace id(s) shared with {best}"
            continue
        named = _named_service(group.representative, traced)
        if named:
            group.tied_to, group.tied_by = named


def _host(url: str) -> str:
    try:
        return urlsplit(url).hostname or ""
    except ValueError:  # a host urlsplit refuses (`http://[oops/api`) names no service
        return ""


def _named_service(event: ErrorEvent, services) -> tuple[str, str] | None:
    """(service, how) when the record names a service by its load balancer backend (GKE names one
    `k8s1-<hash>-<namespace>-<service>-<port>-<hash>`) or its URL's host (`checkout.example.com`)."""
    first = event.first
    backend = first.extra.get("backend") or ""
    host = _host(first.http_url) if first.http_url and "://" in first.http_url else ""
    for service in sorted(services, key=len, reverse=True):  # the longest name: `web-bff` before `web`
        if backend == service or f"-{service}-" in backend:
            return service, f"its load balancer backend {backend} names {service}"
        if host == service or host.startswith(f"{service}.") or host.startswith(f"{service}-"):
            return service, f"its URL's host {host} names {service}"
    return None


def merge_groups(*parts: list[Group]) -> list[Group]:
    """Group summaries from disjoint parts of the logs (files, byte ranges, workers), as one list."""
    merged: dict[str, Group] = {}
    for part in parts:
        merge_into(merged, part)
    return by_first_seen(merged.values())


def by_first_seen(groups: Iterable[Group]) -> list[Group]:
    """Groups in the order the report lists them: the earliest failure first."""
    return sorted(groups, key=lambda g: g.first_seen)


def merge_into(merged: dict[str, Group], groups: Iterable[Group]) -> None:
    """Fold group summaries into `merged` (fingerprint key -> summary)."""
    for group in groups:
        merged[group.key] = merged[group.key].merge(group) if group.key in merged else group


@dataclass
class Deploy:
    service: str | None
    revision: str
    time: float  # the first record of the revision in the logs
    record: LogRecord
    kind: str = "revision"  # or "job": a Cloud Run job's update, which names no revision (its image instead)


KUBERNETES = ("k8s_container", "k8s_pod", "k8s_cluster")


class DeployTracker:
    """Watches records go by and keeps the first record of each (service, revision), and every
    record of a change (an audit entry that `rca.ingest.audit` read a change from)."""

    def __init__(self) -> None:
        self.first: dict[tuple, LogRecord] = {}
        self.start: float | None = None
        self.end: float | None = None
        self.changes: list[LogRecord] = []

    def watch(self, records: Iterable[LogRecord]) -> Iterator[LogRecord]:
        for record in records:
            if record.time is not None:
                self.start = record.time if self.start is None else min(self.start, record.time)
                self.end = record.time if self.end is None else max(self.end, record.time)
            if record.revision:
                key = (record.service, record.revision)
                known = self.first.get(key)
                if known is None or (record.time is not None and known.time is not None and record.time < known.time):
                    self.first[key] = record
            if record.extra and "change" in record.extra:
                self.changes.append(record)
            yield record

    def deploys(self, settle_seconds: float = MINUTE) -> list[Deploy]:
        """What changed what runs inside the window: revisions that first appear after the logs begin,
        and Cloud Run job updates. A GKE ReplicaSet counts only when another of its workload ran
        before it (a rollout): one seen late may have been running all along, or merely scaled up."""
        if self.start is None:
            return []
        earliest: dict[str | None, float] = {}  # each GKE workload's earliest revision
        for (service, _), record in self.first.items():
            if record.resource_type in KUBERNETES and record.time is not None:
                earliest[service] = min(earliest.get(service, record.time), record.time)
        found = [Deploy(service, revision, record.time, record) for (service, revision), record in self.first.items()
                 if record.time is not None and record.time > self.start + settle_seconds
                 and (record.resource_type not in KUBERNETES or earliest[service] < record.time)]
        found += [deploy for record in self.changes if (deploy := job_update(record)) is not None]
        return sorted(found, key=lambda d: d.time)


def job_update(record: LogRecord) -> Deploy | None:
    """A Cloud Run job's update (ReplaceJob, UpdateJob) as a deploy: its next executions run what it names."""
    change = record.extra.get("change") or {}
    if change.get("kind") != "job" or record.time is None:
        return None
    image = change.get("image")  # the job's revision, as it names none: its image's last part (`export:v7`)
    return Deploy(change.get("service"), image.rsplit("/", 1)[-1] if image else "update", record.time, record, "job")
