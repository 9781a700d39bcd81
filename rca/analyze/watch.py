"""`rca watch`: the decision of `rca analyze`, made again and again over a sliding window of live logs,
and turned into events: an incident opened, updated, resolved, each announced once.

The window is kept as group summaries in buckets of BUCKET seconds (docs/DESIGN.md: summaries merge
exactly), so that memory follows the window's kinds of failure, not its entries: a bucket that
falls out of the window is dropped whole. Each decision merges the buckets and runs the analysis's
own `find_incidents` on them; the incidents it finds are matched to the ones already announced
(kept in a small JSON state file, so that a restart does not alert again) and compared with them.

An incident's identity is its service and its root cause's fingerprint, fixed when it is opened: a
later decision that names another root cause (or one where there was none) updates it, once that
change has lasted CONFIRM decisions in a row. It is resolved when its symptoms are back to their rate
before the onset (rca.analyze.rates).
"""

from __future__ import annotations

import heapq
import json
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from urllib.parse import quote

from rca.analyze.analysis import Analysis
from rca.analyze.groups import MINUTE, DeployTracker, Group, by_first_seen, tie_orphans
from rca.analyze.incidents import MIN_ONSET_EVENTS, NEAR_ONSET, Incident, find_incidents, reported_groups
from rca.analyze.mapping import Partial, Scope, map_records, merge_partials, merge_stats
from rca.analyze.rates import poisson_at_least, prepare, rate_before, rate_during, recovery
from rca.analyze.whys import five_whys
from rca.classify.samples import classify_samples
from rca.errors import RcaError
from rca.ingest.atomic import write_text_atomically
from rca.ingest.follow import Clock
from rca.ingest.live import FAILURE_SCOPE, build_filter, records_from_entries
from rca.ingest.record import LogRecord
from rca.ingest.stats import ReadStats
from rca.ingest.times import format_timestamp

BUCKET = 5 * MINUTE  # the window is kept, and let go, in buckets this long
HOLD = 2.0  # records this close to the newest wait for the next poll: a traceback's last lines may not be in yet
CUT_GAP = 0.01  # a bucket's run of records ends at the first pause this long past its edge ...
CUT_LATE = 1.0  # ... or this long past it
RECUR_P = 1e-4  # a resolved incident's symptoms are back when so many since are this unlikely at its rate before
CONFIRM = 2  # decisions in a row a changed root cause or verdict must last before it is announced
STATE_VERSION = 1

Event = dict
Render = Callable[[Analysis, int], dict]  # (the decision, an incident's index) -> the report's JSON for it


class StateError(RcaError):
    """A state file that cannot be read back."""


# ---- the sliding window of summaries ----------------------------------------------------------------


class SlidingWindow:
    """Group summaries of the records of the last `length` seconds, in buckets by time."""

    def __init__(self, length: float, service: str | None, rules, model):
        self.length, self.scope = length, Scope(service=service)
        self.rules, self.model = rules, model
        self.buckets: dict[int, Partial] = {}
        self.held: list[LogRecord] = []
        self.stats = ReadStats()

    def add(self, records: Iterable[LogRecord], final: bool = False) -> None:
        """Map records (in time order, as the API sends them) into their buckets, streaming; unless
        `final`, those within HOLD of the newest wait for the next call."""
        stream = heapq.merge(self.held, records, key=_when)
        self.held = []
        last: tuple[int, list[LogRecord]] | None = None
        for chunk in _chunks(stream):
            if last is not None:
                self._fold(*last)
            last = chunk
        if last is None:
            return
        bucket, run = last
        newest = max((r.time for r in run if r.time is not None), default=None)
        if not final and newest is not None:
            cut = next((i for i, r in enumerate(run) if r.time is not None and r.time > newest - HOLD), len(run))
            run, self.held = run[:cut], run[cut:]
        if run:
            self._fold(bucket, run)

    def _fold(self, bucket: int, chunk: list[LogRecord]) -> None:
        stats = ReadStats()
        stats.records = len(chunk)
        partial = map_records(chunk, self.scope, stats)
        classify_samples(partial.groups, self.rules, self.model)  # once: the merged summaries keep it
        merge_stats(self.stats, stats)
        known = self.buckets.get(bucket)
        self.buckets[bucket] = partial if known is None else merge_partials([known, partial], ReadStats())

    def drop_before(self, moment: float) -> None:
        """Let go of every bucket that ends before `moment`."""
        for bucket in [b for b in self.buckets if (b + 1) * BUCKET <= moment]:
            del self.buckets[bucket]

    def groups(self) -> list[Group]:
        """The window's summaries merged, as new objects (a decision marks them; the buckets stay as they were)."""
        merged: dict[str, Group] = {}
        for partial in self.buckets.values():
            for group in partial.groups:
                merged[group.key] = merged[group.key].merge(group) if group.key in merged else \
                    replace(group, sample=list(group.sample))
        return by_first_seen(merged.values())

    def tracker(self) -> DeployTracker:
        tracker = DeployTracker()
        for partial in self.buckets.values():
            for key, record in partial.first.items():
                known = tracker.first.get(key)
                if known is None or (record.time or 0.0) < (known.time or 0.0):
                    tracker.first[key] = record
            if partial.start is not None:
                tracker.start = partial.start if tracker.start is None else min(tracker.start, partial.start)
            if partial.end is not None:
                tracker.end = partial.end if tracker.end is None else max(tracker.end, partial.end)
        return tracker


def _when(record: LogRecord) -> tuple:
    return (record.time is None, record.time or 0.0)


def _chunks(records: Iterable[LogRecord]) -> Iterable[tuple[int, list[LogRecord]]]:
    """Runs of records of one bucket. A run ends past its bucket's edge at the first pause of CUT_GAP
    between two records (the lines of one traceback are written together, microseconds apart, and
    stay in one run to be stitched whole), or CUT_LATE past the edge whatever the pause: a flood may
    never pause, and a bucket must not swallow the next."""
    run: list[LogRecord] = []
    bucket = 0
    previous: float | None = None
    for record in records:
        moment = record.time if record.time is not None else previous
        if run and moment is not None and moment >= (bucket + 1) * BUCKET and (
                previous is None or moment - previous >= CUT_GAP or moment >= (bucket + 1) * BUCKET + CUT_LATE):
            yield bucket, run
            run = []
        if not run:
            bucket = int(moment // BUCKET) if moment is not None else bucket
        run.append(record)
        previous = moment
    if run:
        yield bucket, run


def decide(window: SlidingWindow, now: float, project: str | None) -> Analysis:
    """The analysis of the window as it stands at `now`."""
    groups = window.groups()
    tie_orphans(groups)
    tracker = window.tracker()
    start = now - window.length if tracker.start is None else max(now - window.length, tracker.start)
    service = window.scope.service
    deploys = [d for d in tracker.deploys() if service is None or d.service == service]
    # No request counts: the watch pulls the analysis's scope, healthy requests left out, so its only
    # requests are failed ones, no denominator. Rates are per minute, and a 404 answer stays an answer.
    incidents, onsets, findings = find_incidents(groups, deploys, window.rules.cascades, start, now)
    groups = reported_groups(groups)  # 404s no route lost: decided on, not reported (the window's stats count once)
    whys = [five_whys(incident, project, None, window.rules.cascades) for incident in incidents]
    return Analysis(groups, incidents, deploys, onsets, whys, window.stats, project, start, now,
                    filters={"since": start, "until": None, "service": service}, findings=findings)


# ---- what was announced: the state file ---------------------------------------------------------------


@dataclass
class Tracked:
    """An announced incident, as the state file keeps it."""

    id: str
    service: str | None
    onset: float
    opened: float
    root: str | None  # the root cause's group key, as last announced
    root_label: str | None
    root_class: str | None
    verdict: str
    symptoms: dict[str, str]  # group key -> label, every symptom announced
    before: float  # symptom events per second before the onset
    during: float = 0.0  # and during the incident
    status: str = "open"
    resolved: float | None = None
    last: float = 0.0  # the last symptom event seen
    pending: list = field(default_factory=list)  # [root, verdict, decisions seen]: a change not yet announced


class WatchState:
    """The incidents announced, saved atomically to `path` (nowhere when it is None)."""

    def __init__(self, path: Path | None = None, incidents: dict[str, Tracked] | None = None):
        self.path, self.incidents = path, incidents or {}

    @classmethod
    def load(cls, path: Path | None) -> WatchState:
        if path is None or not Path(path).exists():
            return cls(path)
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
            if data.get("version") != STATE_VERSION:
                raise ValueError(f"version {data.get('version')!r}, not {STATE_VERSION}")
            incidents = {item["id"]: Tracked(**item) for item in data["incidents"]}
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as error:
            raise StateError(f"--state {path}: not a state file of rca watch ({error}); move it away to start afresh") from None
        return cls(path, incidents)

    def save(self) -> None:
        if self.path is not None:
            data = {"version": STATE_VERSION, "incidents": [asdict(t) for t in self.incidents.values()]}
            write_text_atomically(self.path, json.dumps(data, indent=1) + "\n")

    @property
    def open(self) -> list[Tracked]:
        return [t for t in self.incidents.values() if t.status == "open"]

    def forget_before(self, moment: float) -> None:
        """Resolved incidents whose last symptom no window can reach any more are let go: the file stays small."""
        self.incidents = {k: t for k, t in self.incidents.items() if t.status == "open" or max(t.last, t.onset) >= moment}


# ---- the decision turned into events ---------------------------------------------------------------------


class Announcer:
    """Compares each decision with the incidents announced, and says what changed, once."""

    def __init__(self, state: WatchState, project: str | None, render: Render | None = None, confirm: int = CONFIRM):
        self.state, self.project, self.render, self.confirm = state, project, render, confirm
        self.decisions = 0  # the first decision may announce an incident that is already over; later ones do not

    def judge(self, analysis: Analysis, now: float) -> list[Event]:
        events: list[Event] = []
        by_key = {g.key: g for g in analysis.groups}
        for index, incident in enumerate(analysis.incidents):
            tracked = self._match(incident)
            onset = before = None
            if tracked is not None and tracked.status == "resolved":
                onset = self._recurred(tracked, by_key, now)  # None: the same incident, already over
                tracked, before = (None, tracked.before) if onset is not None else (tracked, None)
            if tracked is None:
                if onset is None and self.decisions and self._over(incident, analysis, now):
                    continue  # the tail of an incident forgotten long ago, not a new one
                tracked = self._open(incident, analysis, now, onset, before)
                events.append(self._event("incident.opened", tracked, now, report=self._report(analysis, index),
                                          deploy=_deploy(incident)))
            elif tracked.status == "open":
                changes = self._changes(tracked, incident)
                if changes:
                    events.append(self._event("incident.updated", tracked, now, changes=changes,
                                              report=self._report(analysis, index)))
        events += self._resolutions(by_key, analysis, now)
        self.decisions += 1
        return events

    def _resolutions(self, by_key: dict[str, Group], analysis: Analysis, now: float) -> list[Event]:
        events = []
        for tracked in self.state.open:
            series = _series(tracked, by_key)
            tracked.last = max([tracked.last, *(float(times[-1]) for times in series if len(times))])
            tracked.during = max(tracked.during, rate_during(series, max(tracked.onset, analysis.start or now), now))
            found = recovery(series, tracked.onset, now, tracked.before, tracked.during)
            if found.resolved:
                tracked.status, tracked.resolved = "resolved", now
                events.append(self._event("incident.resolved", tracked, now, resolution=found.as_dict()))
        return events

    def _match(self, incident: Incident) -> Tracked | None:
        """The announced incident this one is (its latest occurrence), or None when it is new."""
        root = incident.root_cause.key if incident.root_cause else None
        symptoms = {g.key for g in incident.symptoms}
        same = [t for t in self.state.incidents.values() if t.service == incident.service and (
            (root is not None and t.root == root) or symptoms & set(t.symptoms) or abs(t.onset - incident.onset) <= NEAR_ONSET)]
        return max(same, key=lambda t: (t.status == "open", t.opened), default=None)

    def _recurred(self, tracked: Tracked, by_key: dict[str, Group], now: float) -> float | None:
        """When a resolved incident's symptoms came back: the first of them after it was resolved, if
        there have been so many since that its rate before makes them unlikely (as an onset is, at
        RECUR_P), else None."""
        assert tracked.resolved is not None
        since = [times[times > tracked.resolved] for times in _series(tracked, by_key)]
        count = sum(len(times) for times in since)
        if count < MIN_ONSET_EVENTS or poisson_at_least(count, tracked.before * (now - tracked.resolved)) >= RECUR_P:
            return None
        return min(float(times[0]) for times in since if len(times))

    def _over(self, incident: Incident, analysis: Analysis, now: float) -> bool:
        """Whether an incident not announced yet already ended (by the test that resolves one)."""
        series = [g.times for g in incident.symptoms]
        start = analysis.start if analysis.start is not None else incident.onset
        during = rate_during(series, incident.onset, now)
        return recovery(series, incident.onset, now, rate_before(series, start, incident.onset), during).resolved

    def _open(self, incident: Incident, analysis: Analysis, now: float, onset: float | None = None,
              before: float | None = None) -> Tracked:
        """A new incident (or a new occurrence of one, from `onset`, with the rate `before` its first)."""
        root = incident.root_cause
        base = f"{incident.service or '-'}/{root.key if root else 'no-root-cause'}"
        numbers = [_occurrence(key, base) for key in self.state.incidents]
        number = max((n for n in numbers if n is not None), default=0) + 1
        onset = incident.onset if onset is None else onset
        series = [g.times for g in incident.symptoms]
        start = analysis.start if analysis.start is not None else onset
        tracked = Tracked(base if number == 1 else f"{base}#{number}", incident.service, onset, now,
                          root.key if root else None, root.label if root else None, root.cls if root else None,
                          incident.verdict, {g.key: g.label for g in incident.symptoms},
                          rate_before(series, start, onset) if before is None else before, rate_during(series, onset, now))
        self.state.incidents[tracked.id] = tracked
        return tracked

    def _changes(self, tracked: Tracked, incident: Incident) -> list[dict]:
        changes: list[dict] = []
        added = {g.key: g.label for g in incident.symptoms if g.key not in tracked.symptoms}
        if added:
            tracked.symptoms.update(added)
            changes.append({"what": "symptoms", "added": list(added.values())})
        root = incident.root_cause
        decided = [root.key if root else None, incident.verdict]
        if decided == [tracked.root, tracked.verdict]:
            tracked.pending = []
            return changes
        tracked.pending = [*decided, tracked.pending[2] + 1] if tracked.pending[:2] == decided else [*decided, 1]
        if tracked.pending[2] >= self.confirm:
            changes.append({"what": "root_cause", "before": tracked.root_label, "after": root.label if root else None,
                            "verdict": incident.verdict or None})
            tracked.root, tracked.verdict, tracked.pending = decided[0], incident.verdict, []
            tracked.root_label, tracked.root_class = (root.label, root.cls) if root else (None, None)
        return changes

    def _report(self, analysis: Analysis, index: int) -> dict | None:
        return self.render(analysis, index) if self.render else None

    def _event(self, kind: str, tracked: Tracked, now: float, **more) -> Event:
        link = logs_link(self.project, tracked.service, tracked.onset)
        event = {
            "event": kind, "id": tracked.id, "time": format_timestamp(now), "project": self.project,
            "service": tracked.service, "onset": format_timestamp(tracked.onset),
            "root_cause": None if tracked.root is None else {"group": tracked.root, "label": tracked.root_label,
                                                             "class": tracked.root_class},
            "verdict": tracked.verdict or None,
            "symptoms": [{"group": key, "label": label} for key, label in tracked.symptoms.items()],
            "link": link,
        }
        event.update({key: value for key, value in more.items() if value is not None or key == "deploy"})
        event["text"] = event_text(event)
        return event


def _series(tracked: Tracked, by_key: dict[str, Group]) -> list:
    """The event times of a tracked incident's symptom groups still in the window."""
    return [by_key[key].times for key in tracked.symptoms if key in by_key]


def _occurrence(key: str, base: str) -> int | None:
    """1 for `base`, n for `base#n`, None for another incident's id."""
    if key == base:
        return 1
    head, sep, number = key.rpartition("#")
    return int(number) if sep and head == base and number.isdigit() else None


def _deploy(incident: Incident) -> dict | None:
    deploy = incident.deploy
    return None if deploy is None else {"service": deploy.service, "revision": deploy.revision,
                                        "time": format_timestamp(deploy.time)}


def logs_link(project: str | None, service: str | None, onset: float) -> str | None:
    """The Logs Explorer query of the service's failures from ten minutes before the onset."""
    if not project:
        return None
    query = build_filter(onset - 10 * MINUTE, None, service=service, scope=FAILURE_SCOPE)
    return (f"https://console.cloud.google.com/logs/query;query={quote(query)};"
            f"cursorTimestamp={format_timestamp(onset)}?project={project}")


def event_text(event: Event) -> str:
    """One short line for a chat webhook: what happened, the verdict, and the link."""
    root = event["root_cause"]
    cause = f"{root['class']} — {root['label']}" if root else f"no root cause named ({event['verdict']})"
    service = event["service"] or "a service"
    if event["event"] == "incident.opened":
        line = f"Incident on {service}: {cause}; onset {event['onset']}"
    elif event["event"] == "incident.updated":
        what = "; ".join(f"new symptoms: {', '.join(c['added'])}" if c["what"] == "symptoms" else f"root cause now {cause}"
                         for c in event.get("changes", []))
        line = f"Incident on {service} updated: {what}"
    else:
        line = f"Incident on {service} resolved ({cause}): {event['resolution']['reason']}"
    return line + (f" — {event['link']}" if event.get("link") else "")


# ---- the loop -------------------------------------------------------------------------------------------


class Watcher:
    """Reads the window from `source` (`read(since)`, then `poll()`; rca.ingest.follow.Follower), decides,
    and hands each event to `emit`. The state is saved after every decision, before its events go out:
    a crash between the two loses an announcement rather than repeating one."""

    def __init__(self, source, window: SlidingWindow, announcer: Announcer, *, project: str, clock: Clock,
                 emit: Callable[[Event], None]):
        self.source, self.window, self.announcer = source, window, announcer
        self.project, self.clock, self.emit = project, clock, emit

    def start(self, final: bool = False) -> list[Event]:
        """Read the last window and decide on it."""
        now = self.clock.now()
        self.window.add(self._records(self.source.read(now - self.window.length)), final=final)
        return self.decide(now)

    def step(self) -> list[Event]:
        """Poll what came since the last call, and decide again."""
        entries = self.source.poll()
        now = self.clock.now()
        self.window.add(sorted(self._records(entries), key=_when))  # a late arrival may come after later entries
        return self.decide(now)

    def decide(self, now: float) -> list[Event]:
        self.window.drop_before(now - self.window.length)
        analysis = decide(self.window, now, self.project)
        events = self.announcer.judge(analysis, now)
        state = self.announcer.state
        state.forget_before(now - self.window.length - BUCKET - NEAR_ONSET)
        state.save()  # also when nothing was announced: the rates of open incidents move on
        for event in events:
            self.emit(event)
        return events

    def run(self, interval: float, once: bool = False) -> None:
        """One pass (`once`), or follow until interrupted."""
        prepare()
        self.start(final=once)
        while not once:
            self.clock.sleep(interval)
            self.step()

    def _records(self, entries) -> Iterable[LogRecord]:
        return records_from_entries(entries, self.project, self.window.stats)
