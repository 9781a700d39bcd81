"""The public Python API: what a notebook or a script calls. The CLI is a thin layer over it."""

from __future__ import annotations

import copy
import os
import warnings
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

from rca.events import tracebacks
from rca.events.error_event import ErrorEvent, events_from_records
from rca.ingest import iter_records
from rca.ingest.stats import ReadStats

if TYPE_CHECKING:
    import duckdb
    import pandas

    from rca.classify.rules import Rule
    from rca.config import Settings
    from rca.report.results import AnalysisResult

Inputs = str | os.PathLike | Iterable[str | os.PathLike]


def read_logs(inputs: Inputs, stats: ReadStats | None = None) -> pandas.DataFrame:
    """Read log files (paths, globs, directories, `-`) into a DataFrame, one row per record.

    The columns are documented in the README. Records that could not be read are counted in
    `stats`: pass a `ReadStats` to inspect them; without one, a warning names any source that
    could not be read at all.
    """
    from rca.ingest.dataframe import records_frame  # pandas is imported only when a frame is wanted: it costs the CLI ~0.7 s

    counted = stats if stats is not None else ReadStats()
    frame = records_frame(iter_records(inputs, counted))
    if stats is None:
        _warn_about(counted)
    return frame


def iter_events(inputs: Inputs, stats: ReadStats | None = None) -> Iterator[ErrorEvent]:
    """Error events, with tracebacks stitched and parsed, streamed in the order their runs close.

    `stats` works as in `read_logs`."""
    counted = stats if stats is not None else ReadStats()
    yield from events_from_records(iter_records(inputs, counted, prefilter=True), counted)
    if stats is None:
        _warn_about(counted)


def read_events(inputs: Inputs, stats: ReadStats | None = None) -> list[ErrorEvent]:
    """All error events, in time order."""
    return sorted(iter_events(inputs, stats), key=lambda e: (e.time is None, e.time or 0.0))


def relation(inputs: Inputs, connection=None) -> duckdb.DuckDBPyRelation:
    """The entries of local JSON log exports (paths, globs, directories; JSON lines or arrays, gzip
    or not) as a DuckDB relation with typed columns: `timestamp`, `severity`, `service`,
    `revision`, `instance`, `status`, `text`, then every LogEntry field read (`resource` and
    `httpRequest` as structs, `labels` as a map, `jsonPayload` as JSON). Filter, group and join it
    in SQL, or call `.df()` for a pandas DataFrame. A view for exploring (rca.ingest.sqlview):
    `read_logs` gives records exactly as the analysis reads them, and counts what it skips."""
    from rca.ingest import expand_inputs
    from rca.ingest.sqlview import records_relation

    names = [inputs] if isinstance(inputs, (str, os.PathLike)) else list(inputs)
    return records_relation(expand_inputs(names), connection)


def sql(query: str, inputs: Inputs, connection=None) -> duckdb.DuckDBPyRelation:
    """Run `query` over the entries of `inputs`, which it names `logs` (see `relation` for the columns):
    `rca.sql("SELECT service, count(*) FROM logs WHERE status >= 500 GROUP BY ALL", "export.jsonl").df()`."""
    result = relation(inputs, connection).query("logs", query)
    if result is None:  # a statement that returns no rows (CREATE, SET...): not a query over the logs
        raise ValueError("rca.sql runs a query that returns rows (SELECT, WITH ...)")
    return result


def parse_traceback(text: str) -> tracebacks.Traceback | None:
    """The exceptions of a traceback text, oldest cause first; None when there is no traceback. The parse
    is yours to change: the analysis shares one parse among the events of a text and keeps it while recent
    (rca.events.tracebacks), so a caller gets a copy, and a change to it cannot reach a later analysis."""
    return copy.deepcopy(tracebacks.parse_traceback(text))


def _warn_about(stats: ReadStats) -> None:
    for error in stats.errors:
        warnings.warn(f"rca: {error}", stacklevel=3)


def analyze(source, settings: Settings | None = None, *, since=None, until=None, service: str | None = None,
            rules=None, repo=None, path_maps=(), stats: ReadStats | None = None, model="default", workers: int | None = None,
            client=None, deployed_commit: str | None = None, branch: str | None = None, mute=(), baseline=None,
            service_map=None, timeout: float | None = None) -> AnalysisResult:
    """Find the root cause: what `rca analyze` prints, as a Python object.

    `source` is a path, a glob, a directory, a log sink's bucket (`gs://BUCKET/PREFIX`: only the
    objects whose hour overlaps the window are read), a list of them, a DataFrame from `read_logs`
    (filtered as you like), or an iterable of LogRecords. `since`/`until` take times (`"2025-09-12T14:00Z"`,
    datetimes, Timestamps) or spans back from now (`"2h"`). `rules` is a `RuleSet`; `repo` a checkout
    of the service's code (see the README's `--repo`), `path_maps` its (FROM, TO) pairs; `model` classifies
    what no rule claims: `"default"` (built from the shipped corpus), a file from `rca train`, or None for
    rules only. `workers` processes read the files (the result is the same for any number; by default as many
    as `settings` says, else one); with a `dask.distributed.Client` as `client`, its cluster's workers do,
    reading the sources themselves.
    `deployed_commit` and `branch` feed each incident's remedy (the README's "Remedy"). `mute`,
    `baseline` (a (since, until) pair) and `service_map` ({text in a label: service}) are `--mute`,
    `--baseline-since/-until` and `--service-map`; `timeout` is `--timeout` (seconds to wait for Cloud Storage). `settings` (rca.config.Settings) gives all of these at
    once, as the CLI does; an argument given here wins over it. The result has `groups` and `events`
    DataFrames, `incidents`, `to_markdown()`, `plot_timeline()`, and renders in a notebook.
    """
    from rca.analyze.analysis import analyze as run_analysis
    from rca.config import Settings
    from rca.ingest.times import parse_moment
    from rca.report.results import AnalysisResult

    given = {"since": parse_moment(since), "until": parse_moment(until), "service": service, "repo": repo,
             "path_maps": list(path_maps), "workers": workers,
             "deployed_commit": deployed_commit, "branch": branch, "mute": list(mute),
             "baseline": None if baseline is None else (parse_moment(baseline[0]), parse_moment(baseline[1])),
             "service_map": service_map, "timeout": timeout}
    chosen = Settings.build(None, **{**(vars(settings) if settings else {}),
                                     **{key: value for key, value in given.items() if value not in (None, [], {})}})
    if rules is None and chosen.rules:
        from rca.classify.rules import RuleSet

        rules = RuleSet.load(chosen.rules)
    records, source = _records_of(source)
    analysis = run_analysis(source, since=chosen.since, until=chosen.until, service=chosen.service, rules=rules,
                            stats=stats, records=records, repo=chosen.repo, path_maps=chosen.path_maps, model=model,
                            mute=chosen.mute, baseline=chosen.baseline, service_map=chosen.service_map,
                            workers=chosen.workers, client=client, deployed_commit=chosen.deployed_commit,
                            branch=chosen.branch, timeout=chosen.timeout)
    return AnalysisResult(analysis)


def _records_of(source):
    """(records, None) for a DataFrame or an iterable of LogRecords, else (None, the paths). pandas is
    imported only when a frame is handed in: the CLI, which never does, saves its ~0.7 s."""
    if type(source).__name__ == "DataFrame" and type(source).__module__.startswith("pandas"):
        from rca.ingest.dataframe import records_from_frame

        return records_from_frame(source), None
    if source is None or isinstance(source, (str, os.PathLike)):
        return None, source
    return _records_or_paths(source)


def _records_or_paths(source):
    """(records, None) when `source` yields LogRecords, else (None, the paths it holds)."""
    import itertools

    from rca.ingest.record import LogRecord

    items = iter(source)
    first = next(items, None)
    if isinstance(first, LogRecord):
        return itertools.chain([first], items), None
    return None, ([] if first is None else [first, *items])


def match_rule(rule: Rule, logs) -> pandas.DataFrame:
    """The events of `logs` (paths, a DataFrame from `read_logs`, or a list of ErrorEvents) that `rule`
    matches, with what it captured: time, service, message, fields and explanation. For trying a
    rule in a notebook before adding it to a pack."""
    import pandas as pd

    from rca.classify.rules import Classification, RuleSet
    from rca.ingest.dataframe import records_from_frame

    if isinstance(logs, pd.DataFrame):
        events = list(events_from_records(records_from_frame(logs)))
    elif isinstance(logs, list) and logs and isinstance(logs[0], ErrorEvent):
        events = logs
    else:
        events = read_events(logs)
    single = RuleSet([rule])
    rows = []
    for event in events:
        found = single.matches(event)
        if found:
            result = Classification(rule.cls, rule.confidence, "rule", rule, found[0][2])
            rows.append({"time": event.time, "service": event.first.service, "message": event.message,
                         "fields": result.fields, "explanation": result.explanation})
    frame = pd.DataFrame(rows, columns=["time", "service", "message", "fields", "explanation"])
    frame["time"] = pd.to_datetime(frame["time"], unit="s", utc=True).dt.round("us")
    return frame


def _window(value, option: str) -> tuple[float | None, float | None]:
    """A window given as "SINCE..UNTIL" or as a (since, until) pair of moments (either may be None)."""
    from rca.analyze.compare import parse_window
    from rca.ingest.times import parse_moment

    if isinstance(value, str):
        return parse_window(value, option)
    since, until = value
    return parse_moment(since), parse_moment(until)


def diff(source=None, *, before=None, after=None, from_revision: str | None = None, to_revision: str | None = None,
         service: str | None = None, since=None, until=None, records=None, rules=None, model="default",
         stats: ReadStats | None = None, workers: int = 1, timeout: float | None = None):
    """Compare every error group's rate per request on two sides of a change: two revisions
    (`from_revision`, `to_revision`) or two windows (`before`, `after`: "SINCE..UNTIL" with either end
    left out for the logs' start or end, or (since, until) pairs). Returns a `Diff`: `verdict`
    ("no change", "improved", "regressed", "too early"), `exit_code`, `reason`, `groups` (each with its
    counts, exposures, change and test) and `traffic` per service. `source` is as for `analyze`
    (files, globs, gs:// prefixes); `records` an iterable of LogRecords instead; `workers` and `timeout` as for
    `analyze`. See the README's `rca diff`."""
    from rca.analyze.compare import CompareError, Side, analyse_with_requests, compare
    from rca.ingest.times import parse_moment

    by_revision = from_revision is not None or to_revision is not None
    by_window = before is not None or after is not None
    if by_revision == by_window or (by_revision and not (from_revision and to_revision)) or (by_window and not (before and after)):
        raise CompareError("compare either two revisions (--from REV --to REV) or two windows (--before SINCE..UNTIL "
                           "--after SINCE..UNTIL)")
    if by_revision:
        sides = Side(revision=from_revision), Side(revision=to_revision)
    else:
        sides = Side(*_window(before, "--before")), Side(*_window(after, "--after"))
    analysis, requests = analyse_with_requests(source, records=records, since=parse_moment(since), until=parse_moment(until),
                                               service=service, rules=rules, model=model, stats=stats, workers=workers,
                                               timeout=timeout)
    return compare(analysis, requests, *sides, service=service)


def verify(report, source=None, *, incident: int = 1, remedy_at=None, since=None, until=None, records=None, rules=None,
           model="default", stats: ReadStats | None = None, workers: int = 1, timeout: float | None = None):
    """Whether the incident of an earlier `rca analyze --format json` report (a path) is over, judged
    from logs that reach from before the incident to after its fix: the root cause's fingerprint on the
    revisions now serving, the service's failed-request rate against its rate before, and new or
    raised groups. `remedy_at` says when the fix took effect (by default: the service's newest deploy
    after the incident, else a rollback seen in its requests). Returns a `Verification`: `verdict`
    ("fixed", "not fixed", "regressed", "too early"), `exit_code` (0, 1, 1, 3), `reason` and each check.
    `source`, `records`, `workers` and `timeout` are as for `diff`."""
    from rca.analyze.compare import analyse_with_requests
    from rca.analyze.verify import load_report
    from rca.analyze.verify import verify as run_verify
    from rca.ingest.times import parse_moment

    ref = load_report(report, incident)
    analysis, requests = analyse_with_requests(source, records=records, since=parse_moment(since), until=parse_moment(until),
                                               rules=rules, model=model, stats=stats, workers=workers, timeout=timeout)
    return run_verify(analysis, requests, ref, parse_moment(remedy_at))


def watcher(project: str, *, on_event, service: str | None = None, query_filter: str | None = None,
            window: float = 7200.0, endpoint: str | None = None, state=None, once: bool = False, rules=None,
            model="default", clock=None, on_retry=None, redacted: bool = True, timeout: float | None = None):
    """A `rca watch` ready to run (`.run(interval, once)`): it reads the last `window` seconds of the
    project's logs, then follows them (rca.ingest.follow), and hands `on_event` each event as a dict
    (`incident.opened`, `incident.updated`, `incident.resolved`; keys in the README). `state` is the
    JSON file that remembers what was announced (None: this run only); `clock` a
    rca.ingest.follow.Clock (real time by default); `timeout` the seconds each request to the Logging API
    may wait for its answer (rca.ingest.live.REQUEST_SECONDS by default)."""
    from pathlib import Path

    from rca.analyze.watch import CONFIRM, Announcer, SlidingWindow, Watcher, WatchState
    from rca.classify.hybrid import default_rules
    from rca.classify.model import resolve
    from rca.events.redact import scrubber
    from rca.ingest.follow import Clock, Follower
    from rca.ingest.live import FAILURE_SCOPE, build_filter

    clock = clock or Clock()
    rules = rules or default_rules()
    rules.start_run()
    follower = Follower(project, lambda since: build_filter(since, None, service=service, extra=query_filter,
                                                                scope=FAILURE_SCOPE),
                        endpoint=endpoint, clock=clock, on_retry=on_retry, timeout=timeout)
    sliding = SlidingWindow(window, service, rules, resolve(model))
    announcer = Announcer(WatchState.load(Path(state) if state is not None else None), project,
                          _watch_report(), confirm=1 if once else CONFIRM)
    scrub = scrubber(redacted)  # once, on each whole event (its report included): stdout, --out and the webhook
    emit = (lambda event: on_event(scrub(event))) if redacted else on_event
    return Watcher(follower, sliding, announcer, project=project, clock=clock, emit=emit)


def _watch_report():
    """The report's JSON for one incident of a watch's decision: what `rca analyze --format json` gives,
    with that incident alone and without the list of every group; redacted with the event it rides in."""
    def render(analysis, index: int) -> dict:
        from rca.report.markdown import to_dict

        report = to_dict(analysis, redacted=False)
        report["incidents"] = [report["incidents"][index]]
        for bulky in ("groups", "findings"):
            report.pop(bulky, None)
        return report

    return render
