"""The `rca` command line: a thin layer over the Python API."""

from __future__ import annotations

import collections
import contextlib
import enum
import heapq
import logging
import os
import signal
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Annotated, Any

import orjson
import typer
from rich.console import Console

from rca.api import analyze as analyze_logs
from rca.api import iter_events, read_events
from rca.classify.hybrid import classify_events, snippet_result
from rca.classify.rules import RuleSet, event_from_text
from rca.config import Settings, find_config
from rca.errors import RcaError
from rca.events.error_event import ErrorEvent
from rca.events.redact import scrubber
from rca.ingest.atomic import write_text_atomically
from rca.ingest.engine_inflate import remove_left_by  # imported before any stop: a signal handler calls it
from rca.ingest.live import PullError
from rca.ingest.stats import ReadStats
from rca.ingest.times import parse_moment as record_moment
from rca.ingest.times import zone_of
from rca.report.escape import json_printable, printable
from rca.report.terminal import print_classified_table, print_table, write_json, write_jsonl

app = typer.Typer(
    help="Find the root cause of a service failure in its logs (GCP exports, text logs, live Cloud Logging).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
stderr = Console(stderr=True, highlight=False, soft_wrap=True)

INPUTS_HELP = (
    "Log files or directories, glob patterns (quote them: 'exports/**/*.json.gz'), or - for standard input. "
    "Formats are recognised from content: gcloud/Logs Explorer JSON, log-sink JSON lines, Logs Explorer CSV, "
    "gzip of any of these, and plain-text logs."
)

BUCKET_HELP = (" Or a log sink's bucket, gs://BUCKET/PREFIX: only its hourly objects that overlap --since/--until are read, "
               "with the credentials Google's own tools use.")


def _print_version(wanted: bool) -> None:
    if wanted:
        from rca import __version__

        print(f"rca {__version__}")
        raise typer.Exit()


@app.callback()
def _commands(
    version: Annotated[bool, typer.Option("--version", callback=_print_version, is_eager=True,
                                          help="Print rca's version and exit.")] = False,
) -> None:
    """rca reads logs, finds the error events, and tells the root cause from its symptoms."""


class EventFormat(str, enum.Enum):
    table = "table"
    jsonl = "jsonl"
    json = "json"


@app.command()
def events(
    inputs: Annotated[list[str], typer.Argument(help=INPUTS_HELP, show_default=False)],
    output_format: Annotated[EventFormat, typer.Option("--format", "-f", help="table for people, in time order; jsonl (one event per line) or json for scripts, streamed in the order the events are found (a traceback once its run of lines ends): pipe through `jq -s 'sort_by(.time)'` for time order.")] = EventFormat.table,
    limit: Annotated[int | None, typer.Option(min=1, help="Show at most this many events: the earliest, in time order.")] = None,
    no_redact: Annotated[bool, typer.Option("--no-redact", help=NO_REDACT_HELP)] = False,
    redact_pii: Annotated[bool, typer.Option("--redact-pii", help=PII_HELP)] = False,
) -> None:
    """List the error events in the logs: stitched tracebacks, ERROR lines, failing requests, platform failures.

    Example: rca events fixtures/incidents/missing-import/logs.jsonl
    """
    stats = ReadStats()
    scrub = scrubber(not no_redact, redact_pii)
    found = iter_events(inputs, stats)
    if limit:  # the earliest, holding no more than `limit` at a time
        found = iter(heapq.nsmallest(limit, found, key=_event_order))
    if output_format is EventFormat.jsonl:
        write_jsonl(found, scrub=scrub)  # streamed: a flood's events are written as they are found
    elif output_format is EventFormat.json:
        write_json(found, stats.as_dict, scrub=scrub)
    else:
        console = _stdout_console()
        shown = print_table(found, console, scrub)  # in time order, as --limit picks
        if console.is_terminal and shown > LONG_TABLE:  # its title has scrolled away: say what it held
            stderr.print(f"rca: {shown:,} events in the table above; --limit N shows the earliest N, "
                         "--format jsonl streams them for jq or grep", markup=False)
    _finish(stats, scrub)


LONG_TABLE = 200  # rows past which a table on a terminal is followed by how to narrow it


def _event_order(event: ErrorEvent) -> tuple:
    return (event.time is None, event.time or 0.0)


class ReportFormat(str, enum.Enum):
    md = "md"
    json = "json"
    html = "html"


def parse_moment(text: str) -> float:
    try:
        moment = record_moment(text)
    except ValueError:
        moment = None
    if moment is None:
        raise typer.BadParameter(f"{text!r} is neither a time like 2025-09-12T14:00Z nor a span like 2h")
    return moment


MAX_SKIP_LINES = 20  # skipped snippet lines named one by one; the rest are counted
NO_REDACT_HELP = "Keep secrets found in log text (tokens, keys, passwords) instead of masking them."
PII_HELP = "Also mask e-mail addresses, IP addresses and user ids, for output pasted into a public issue."
PROJECT_HELP = "Pull the entries live from this Google Cloud project instead of reading files (Application Default Credentials)."
LIVE_SCOPE_HELP = (" It pulls what the analysis needs: warnings and errors, stderr, the platform's system logs, 1st-gen "
                   "functions' logs, the admin activity audit log, "
                   "and every request, healthy ones too (the rates' denominators: a busy service's hour is many pages; "
                   "narrow with --service and --since).")
MODEL_HELP = ("The classifier for what no rule claims, and for a connection-failure rule's claim it is sure is "
              "another cause class: `default` (built from the shipped corpora on first use, "
              "then cached), a file from `rca train`, or `none` for rules only.")
WORKERS_HELP = ("Processes that read the logs (files, and byte ranges of large JSON-lines and text files); "
                "default: the machine's cores. The report is the same whatever the number.")
DASK_HELP = ("Run the reading on a Dask cluster: its scheduler's address (tcp://HOST:8786), or local:N for N worker "
             "processes here. The workers must reach the inputs themselves: gs:// URLs, or a file system they share.")
TIMEOUT_HELP = ("Seconds to wait for Cloud Storage (gs:// sources) or the Logging API (--project) to connect and to go "
                "on answering; a server silent that long fails the read with one error line (a bucket's object "
                "gets three such waits in all, retries included). Default: 60.")
ENDPOINT_HELP = f"Cloud Logging API endpoint, e.g. a proxy or a local server speaking the API (default: ${{{'RCA_LOGGING_ENDPOINT'}}} or Google's)."


@app.command()
def analyze(
    inputs: Annotated[list[str] | None, typer.Argument(help=INPUTS_HELP + BUCKET_HELP + " Not needed with --project.", show_default=False)] = None,
    output_format: Annotated[ReportFormat, typer.Option("--format", "-f", help="md: Markdown to paste into an issue; json: the documented schema; html: a self-contained page with a timeline.")] = ReportFormat.md,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Write the report to this file instead of standard output.", show_default=False)] = None,
    since: Annotated[str | None, typer.Option(help="Only records at or after this time: 2025-09-12T14:00Z, or a span back from now such as 2h.", show_default=False)] = None,
    until: Annotated[str | None, typer.Option(help="Only records before this time (same forms as --since).", show_default=False)] = None,
    service: Annotated[str | None, typer.Option(help="Only records of this service (Cloud Run service, App Engine module, GKE container).", show_default=False)] = None,
    rules_dirs: Annotated[list[Path] | None, typer.Option("--rules", help=RULES_HELP, show_default=False)] = None,
    no_redact: Annotated[bool, typer.Option("--no-redact", help=NO_REDACT_HELP)] = False,
    redact_pii: Annotated[bool, typer.Option("--redact-pii", help=PII_HELP)] = False,
    repo: Annotated[Path | None, typer.Option("--repo", help="A checkout of the failing service's code: the report then shows the code of each frame, confirms the defect where the code can tell, and names the suspect commit.", show_default=False)] = None,
    path_map: Annotated[list[str] | None, typer.Option("--path-map", help="FROM=TO: read the container path FROM (e.g. /app) as TO in the checkout (e.g. .). Repeat for several. Without it, frames are matched by the longest path suffix.", show_default=False)] = None,
    project: Annotated[str | None, typer.Option("--project", help=PROJECT_HELP + LIVE_SCOPE_HELP, show_default=False)] = None,
    query_filter: Annotated[str | None, typer.Option("--filter", help="With --project: a Logging query ANDed into the one rca builds.", show_default=False)] = None,
    everything: Annotated[bool, typer.Option("--all", help="With --project: pull every entry, not only what the analysis needs.")] = False,
    limit: Annotated[int | None, typer.Option(min=1, help="With --project: at most this many entries, the newest (the window's end, where a failure usually is).", show_default=False)] = None,
    endpoint: Annotated[str | None, typer.Option("--endpoint", help=ENDPOINT_HELP, show_default=False)] = None,
    model_path: Annotated[str, typer.Option("--model", help=MODEL_HELP)] = "default",
    mute: Annotated[list[str] | None, typer.Option("--mute", help="Known noise to keep out of incidents: a group's fingerprint, a rule id, or a pattern searched in its label (e.g. 'GET /healthz 401'). Repeat for several; muted groups are still listed, marked muted.", show_default=False)] = None,
    baseline_since: Annotated[str | None, typer.Option("--baseline-since", help="Start of a stretch of normal operation (same forms as --since): a group is new only if it rose well above its rate there.", show_default=False)] = None,
    baseline_until: Annotated[str | None, typer.Option("--baseline-until", help="End of the baseline (default: --since, or the onset of nothing: give both for clarity).", show_default=False)] = None,
    service_map: Annotated[list[str] | None, typer.Option("--service-map", help="TEXT=SERVICE: a group that names no service of its own (a load balancer's backend, a cluster event) and whose label holds TEXT concerns SERVICE. Without it, such groups are tied by the trace ids they share.", show_default=False)] = None,
    tz: Annotated[str | None, typer.Option("--tz", help="The time zone Markdown and HTML show times in, e.g. Europe/Paris (default UTC; JSON is always UTC).", show_default=False)] = None,
    fail_on_incident: Annotated[bool, typer.Option("--fail-on-incident", help="Exit with status 1 when an incident is found (for CI and alerting).")] = False,
    workers: Annotated[int | None, typer.Option("--workers", min=1, help=WORKERS_HELP, show_default=False)] = None,
    dask: Annotated[str | None, typer.Option("--dask", help=DASK_HELP, show_default=False)] = None,
    timeout: Annotated[float | None, typer.Option("--timeout", min=0.1, help=TIMEOUT_HELP, show_default=False)] = None,
    deployed_commit: Annotated[str | None, typer.Option("--deployed-commit", help="The commit the failing revision runs, when its logs carry no commit label or image tag: the remedy looks for a later fix after it (with --repo) and writes its patch against it.", show_default=False)] = None,
    branch: Annotated[str | None, typer.Option("--branch", help="With --repo: the branch to look for a commit that already fixes the root cause (default: the checked-out one).", show_default=False)] = None,
    patch_out: Annotated[Path | None, typer.Option("--patch-out", help="With --repo: write the remedy's checked patch (a unified diff for `git apply`) to this file, when there is one.", show_default=False)] = None,
) -> None:
    """Find the root cause: group the failures, tell the cause from its symptoms, and write the five whys.

    Settings a team shares (rule directories, path maps, the mute list, the project) can live in
    [tool.rca] of pyproject.toml or in rca.toml, found upward from here; flags override them.

    Example: rca analyze fixtures/incidents/missing-import/logs.jsonl
    """
    _refuse_an_input_as_output(out, inputs or [])
    config = find_config()
    rules = _load_rules_or_exit(rules_dirs or config.rules)
    model = _load_model_or_exit(model_path)
    project = project or (config.project if not inputs else None)
    if repo is not None and not repo.is_dir():
        stderr.print(f"rca: error: --repo {repo}: no such directory")
        raise typer.Exit(2)
    zone = _zone(tz)
    settings = Settings.build(
        config, since=parse_moment(since) if since else None, until=parse_moment(until) if until else None,
        service=service, path_maps=path_map, service_map=service_map, mute=mute, repo=repo,
        baseline=_baseline(baseline_since, baseline_until, since), deployed_commit=deployed_commit, branch=branch,
        workers=workers or os.cpu_count() or 1, timeout=timeout)
    stats = ReadStats()
    source: Any = inputs
    if project:
        window = {"since": settings.since, "until": settings.until}
        source = _live_records(project, window, service, query_filter, everything, limit, endpoint, stats, timeout)
    elif not inputs:
        stderr.print("rca: error: give log files to analyse, or --project to pull them live")
        raise typer.Exit(2)
    with _stopping_cleanly(dask is None), _cluster(dask) as client, _progress(stats):
        result = analyze_logs(source, settings, rules=rules, stats=stats, model=model, client=client).analysis
    scrub = scrubber(not no_redact, redact_pii)
    from rca.analyze.mapping import collector_paused

    with collector_paused():  # a flood's report is a tree of ~a million objects and no cycles: ~0.15 CPU-s of collections
        text = _report_text(result, output_format, scrub, no_redact, redact_pii, zone)
    _deliver(text, out)
    _tell_outcome(result, service, scrub)
    if patch_out is not None:
        from rca.report.remedy import write_patch

        stderr.print(write_patch(patch_out, result), markup=False)
    _report_timeouts(rules)
    _finish(stats, scrub)
    if fail_on_incident and result.incidents:
        raise typer.Exit(1)


def _deliver(text: str | bytes, out: Path | None) -> None:
    """A report to standard output, or to `out` (written whole: an existing report survives a failed write)."""
    if out is None:
        _echo(text)
    else:
        write_text_atomically(out, text)
        stderr.print(f"report written to {out}")


def _tell_outcome(result, service: str | None, scrub) -> None:
    """On stderr, one line per incident (its root cause), or why there is none."""
    for incident in result.incidents:
        root = incident.root_cause
        stderr.print(printable(scrub(f"incident on {incident.service}: root cause "
                                     f"{root.cls + ' — ' + root.label if root else 'not found'}")), markup=False)
    if service and not result.groups:
        stderr.print(f"no error event of service {service} in these logs: check the name (--service matches the "
                     "Cloud Run service, App Engine module, GKE workload or function exactly)", markup=False)
    elif not result.incidents:
        stderr.print("no incident found")


def _report_text(result, output_format: ReportFormat, scrub, no_redact: bool, pii: bool, zone: str | None) -> str | bytes:
    from rca.report.html import to_html
    from rca.report.markdown import to_dict, to_markdown

    if output_format is ReportFormat.json:
        # bytes as orjson writes them: a flood's report runs to megabytes, and every text copy costs as much again
        return json_printable(orjson.dumps(scrub(to_dict(result, redacted=False)),
                                           option=orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE))
    if output_format is ReportFormat.html:
        return to_html(result, redacted=not no_redact, pii=pii, tz=zone)
    return to_markdown(result, redacted=not no_redact, pii=pii, tz=zone)


def _refuse_an_input_as_output(out: Path | None, inputs: list[str]) -> None:
    """--out naming one of the logs (by any name or link) would replace them with the report."""
    from rca.ingest import input_named_by

    named = input_named_by(out, inputs) if out is not None else None
    if named is not None:
        raise RcaError(f"--out {out} is the input {named}: the report would replace it; write the report elsewhere")


class _Signalled(BaseException):
    """SIGINT or SIGTERM, raised where the main thread is. A BaseException, as KeyboardInterrupt is,
    so that no `except Exception` on the way takes it for a failed read; not a KeyboardInterrupt,
    which click would turn into "Aborted!" and exit 1."""

    def __init__(self, name: str):
        super().__init__(name)
        self.name = name


class _Stop:
    """The handler _raising_on_stop sets: the first SIGINT or SIGTERM turns both off (one stop: a
    second Ctrl-C does not break the cleanup) and raises _Signalled where the main thread is."""

    def __init__(self, end_workers_first: bool):
        self.end_workers_first = end_workers_first

    def __call__(self, signum, frame):
        import threading

        for name in STOP_SIGNALS:
            signal.signal(getattr(signal, name), signal.SIG_IGN)
        logging.getLogger("distributed").setLevel(logging.CRITICAL + 1)  # its workers' goodbyes are no error
        # A process pool's manager thread, finding its workers ended while the main thread cancels
        # their futures, raises InvalidStateError on a cancelled one (CPython 3.11) and prints its
        # traceback: the run is stopping, and says so in one line.
        threading.excepthook = _silent_thread_exception
        if self.end_workers_first:
            _end_worker_processes()
        raise _Signalled(signal.Signals(signum).name)


def _silent_thread_exception(arguments) -> None:
    """Exceptions of other threads while the run stops: not shown (see _Stop)."""


@contextlib.contextmanager
def _raising_on_stop(end_workers_first: bool):
    """SIGINT and SIGTERM raise _Signalled in the main thread while in the block (elsewhere they
    cannot be handled, and the block runs as it is). With `end_workers_first` (a process pool, which
    would wait for its running parts as it closes) the workers are ended before the raise. Left by a
    stop, the block gives back no outer _Stop (main's): that would re-arm the signals while the stop's
    cleanup runs (workers ended, a watch's state saved), and a second Ctrl-C would cut it short."""
    import threading

    if threading.current_thread() is not threading.main_thread():  # only the main thread may handle signals
        yield
        return
    previous = {name: signal.signal(getattr(signal, name), _Stop(end_workers_first)) for name in STOP_SIGNALS}
    stopped = False
    try:
        yield
    except _Signalled:
        stopped = True
        raise
    finally:
        for name, handler in previous.items():
            signal.signal(getattr(signal, name), signal.SIG_IGN if stopped and isinstance(handler, _Stop) else handler)


@contextlib.contextmanager
def _stopping_cleanly(end_workers_first: bool):
    """Ctrl-C or SIGTERM during an analysis: the worker processes are ended, a Dask cluster is closed
    (by its context, left on the way out), and the run stops with one line and exit 130 / 143, no
    traceback, no process left behind."""
    try:
        with _raising_on_stop(end_workers_first):
            yield
    except _Signalled as stopped:
        _end_worker_processes()
        _say_stopped(f"rca: analysis stopped by {stopped.name}; no report written")
        raise typer.Exit(WATCH_EXIT[stopped.name]) from None


@contextlib.contextmanager
def _stopping_anywhere():
    """Ctrl-C or SIGTERM at any other moment of any command (the classifier's build, writing a report,
    a diff, a pull, a rule pack's check): the worker processes ended, one line, exit 130 / 143; not
    click's "Aborted!" with exit 1 for Ctrl-C, nor a silent death for SIGTERM. The analysis proper
    and the watch say more, by their own handlers, which stand in for this one while they run."""
    try:
        with _raising_on_stop(end_workers_first=True):
            yield
    except _Signalled as stopped:
        _end_worker_processes()
        _say_stopped(f"rca: stopped by {stopped.name}")
        raise SystemExit(WATCH_EXIT[stopped.name]) from None


def _say_stopped(line: str) -> None:
    """The stop's line, written past the rich console: a stop that came in the middle of one of its
    prints leaves that line in its buffer, and its next print would write it again."""
    sys.stderr.write(line + "\n")
    sys.stderr.flush()


STOP_SIGNALS = ("SIGINT", "SIGTERM")


def _end_worker_processes(grace_seconds: float = 5.0) -> None:
    """Every process this one started (pool workers, a local Dask cluster's): SIGTERM, then SIGKILL
    for one still there after `grace_seconds`. An ended worker cleans nothing up: the plain copies of
    gzips it was reading are removed here."""
    import multiprocessing

    children = multiprocessing.active_children()
    for child in children:
        child.terminate()
    for child in children:
        child.join(grace_seconds)
        if child.is_alive():
            child.kill()
            child.join()
    remove_left_by([child.pid for child in children if child.pid is not None])


def _cluster(address: str | None):
    """A Dask client for --dask, or none."""
    import contextlib

    if address is None:
        return contextlib.nullcontext()
    from rca.analyze.dask_cluster import connect

    return connect(address)


def _zone(name: str | None) -> str | None:
    """A zone name the reports can use, checked before the analysis rather than after it."""
    if name is None:
        return None
    try:
        zone_of(name)
    except ValueError as error:
        raise typer.BadParameter(str(error), param_hint="--tz") from None
    return name


def _baseline(since: str | None, until: str | None, analysis_since: str | None) -> tuple[float, float] | None:
    if since is None and until is None:
        return None
    if since is None:
        raise typer.BadParameter("a baseline needs its start", param_hint="--baseline-since")
    end = until or analysis_since
    if end is None:
        raise typer.BadParameter("give --baseline-until (or --since, where the baseline ends)", param_hint="--baseline-until")
    window = (parse_moment(since), parse_moment(end))
    if window[0] >= window[1]:
        raise typer.BadParameter("the baseline must start before it ends", param_hint="--baseline-since")
    return window


def _live_records(project, window, service, query_filter, everything, limit, endpoint, stats: ReadStats, timeout=None):
    from rca.ingest.live import build_filter, pull_entries, records_from_entries

    since = window["since"] if window["since"] is not None else parse_moment("1h")
    window["since"] = since
    query = build_filter(since, window["until"], service=service, extra=query_filter, everything=everything)
    entries: Iterable[dict] = pull_entries(project, query, limit=limit, endpoint=endpoint, progress=_pull_progress,
                                           timeout=timeout, newest=limit is not None)
    if limit is not None:  # the newest `limit` entries (a failure is usually at the window's end), read in time order
        entries = _oldest_first(list(entries), limit)
    return records_from_entries(entries, project, stats)


def _oldest_first(newest_first: list[dict], limit: int) -> list[dict]:
    """The entries a --limit kept, in time order; when it cut the pull, say from when they run."""
    if len(newest_first) >= limit:  # limit >= 1: the list holds its oldest entry last
        since = newest_first[-1].get("timestamp", "?")
        stderr.print(f"rca: --limit {limit:,}: the newest {limit:,} entries were pulled, from {since}", markup=False)
    return newest_first[::-1]


def _pull_progress(state) -> None:
    if stderr.is_terminal:
        stderr.print(f"pulled {state.entries:,} entries ({state.pages:,} pages)", end="\r")


@app.command()
def pull(
    project: Annotated[str, typer.Option("--project", help="The Google Cloud project to read from.", show_default=False)],
    out: Annotated[Path, typer.Option("--out", "-o", help="Where to save the entries: log-sink JSON lines, gzip if the name ends in .gz. `rca analyze FILE` reads it back.", show_default=False)],
    since: Annotated[str, typer.Option(help="From this time (2025-09-12T14:00Z) or this long ago (2h).")] = "1h",
    until: Annotated[str | None, typer.Option(help="Until this time (same forms as --since); default now.", show_default=False)] = None,
    service: Annotated[str | None, typer.Option(help="Only this service (Cloud Run service, App Engine module, GKE container, function).", show_default=False)] = None,
    severity: Annotated[str | None, typer.Option(help="Only entries at or above this severity (replaces the analysis scope).", show_default=False)] = None,
    resource_type: Annotated[str | None, typer.Option("--resource-type", help="Only this resource.type, e.g. cloud_run_revision.", show_default=False)] = None,
    query_filter: Annotated[str | None, typer.Option("--filter", help="A Logging query ANDed into the one rca builds.", show_default=False)] = None,
    everything: Annotated[bool, typer.Option("--all", help="Every entry, not only what the analysis needs.")] = False,
    limit: Annotated[int | None, typer.Option(min=1, help="Stop after this many entries.", show_default=False)] = None,
    page_size: Annotated[int, typer.Option(min=1, max=1000, help="Entries per API request.")] = 1000,
    endpoint: Annotated[str | None, typer.Option("--endpoint", help=ENDPOINT_HELP, show_default=False)] = None,
    timeout: Annotated[float | None, typer.Option("--timeout", min=0.1, help=TIMEOUT_HELP, show_default=False)] = None,
) -> None:
    """Pull entries from Cloud Logging and save them, to analyse and share offline.

    Example: rca pull --project netra-staging --since 2h --service backend --out incident.jsonl.gz
    """
    from rca.ingest.live import build_filter, pull_entries, save_entries

    query = build_filter(parse_moment(since), parse_moment(until) if until else None, service=service,
                         severity=severity, resource_type=resource_type, extra=query_filter, everything=everything)
    stderr.print(f"query: {query}")
    try:
        count = save_entries(pull_entries(project, query, limit=limit, page_size=page_size, endpoint=endpoint,
                                          progress=_pull_progress, timeout=timeout), out)
    except PullError as error:
        stderr.print(f"rca: error: {error}", markup=False)
        stderr.print(f"{error.pulled:,} entries pulled before the failure are saved in {error.partial or out}; "
                     f"{out} is left as it was", markup=False)
        raise typer.Exit(1) from None
    stderr.print(f"{count:,} entries saved to {out}")


def _progress(stats: ReadStats):
    """A spinner with the records read so far, on stderr, only on a terminal and only after a second."""
    import contextlib
    import threading

    if not stderr.is_terminal:
        return contextlib.nullcontext()

    @contextlib.contextmanager
    def spinner():
        done = threading.Event()

        def show():
            if done.wait(1.0):
                return
            with stderr.status("") as status:
                while not done.wait(0.2):
                    status.update(f"reading: {stats.records:,} records, {stats.events:,} error events")

        thread = threading.Thread(target=show, daemon=True)
        thread.start()
        try:
            yield
        finally:
            done.set()
            thread.join()

    return spinner()


RULES_HELP = "A directory of extra rule packs (YAML), added to the shipped ones. Repeat for several."


class ClassifyFormat(str, enum.Enum):
    table = "table"
    jsonl = "jsonl"


@app.command()
def classify(
    inputs: Annotated[list[str] | None, typer.Argument(help=INPUTS_HELP, show_default=False)] = None,
    snippets: Annotated[Path | None, typer.Option("--snippets", help="Classify loose texts instead: a JSON-lines file of {\"id\": ..., \"text\": ...}; writes {id, class, confidence, method, rule, fields} per line, and overruled where the model decided over a rule.", show_default=False)] = None,
    rules_dirs: Annotated[list[Path] | None, typer.Option("--rules", help=RULES_HELP, show_default=False)] = None,
    output_format: Annotated[ClassifyFormat, typer.Option("--format", "-f", help="table for people; jsonl for scripts.")] = ClassifyFormat.table,
    model_path: Annotated[str, typer.Option("--model", help=MODEL_HELP)] = "default",
    no_redact: Annotated[bool, typer.Option("--no-redact", help=NO_REDACT_HELP)] = False,
    redact_pii: Annotated[bool, typer.Option("--redact-pii", help=PII_HELP)] = False,
) -> None:
    """Classify each error event into a failure class (missing_import, auth_rejection, ...), saying which rule decided and why.

    Examples: rca classify fixtures/incidents/missing-import/logs.jsonl;
    rca classify --snippets errors.jsonl --format jsonl
    """
    rules = _load_rules_or_exit(rules_dirs or [])
    model = _load_model_or_exit(model_path)
    scrub = scrubber(not no_redact, redact_pii)
    if snippets is not None:
        _classify_snippets(snippets, rules, model, scrub)
    elif not inputs:
        stderr.print("rca: error: give log files to classify, or --snippets FILE")
        raise typer.Exit(2)
    else:
        stats = ReadStats()
        classified = list(classify_events(_read_events_or_exit(inputs, stats), rules, model))
        if output_format is ClassifyFormat.jsonl:
            out = typer.get_binary_stream("stdout")
            for event, result in classified:
                out.write(json_printable(orjson.dumps(scrub({**event.as_dict(), "classification": result.as_dict()}))) + b"\n")
        else:
            print_classified_table(classified, _stdout_console(), scrub)
        _finish(stats, scrub)
    _report_timeouts(rules)


def _classify_snippets(path: Path, rules: RuleSet, model=None, scrub=lambda value: value) -> None:
    data = path.read_bytes()  # an OSError reaches main()'s handler, naming the file
    if data.startswith(b"\x1f\x8b") or b"\x00" in data[:4096]:
        raise RcaError(f"{path}: not JSON lines of {{id, text}} (a gzip or binary file): decompress it first")
    out = typer.get_binary_stream("stdout")
    skipped = 0
    ids: collections.deque = collections.deque()

    def events():
        nonlocal skipped
        for number, line in enumerate(data.splitlines(), 1):
            if not line.strip():
                continue
            try:
                item = orjson.loads(line)
                text = item["text"]
            except (orjson.JSONDecodeError, KeyError, TypeError):
                skipped += 1
                if skipped <= MAX_SKIP_LINES:
                    stderr.print(f"rca: {path}:{number}: skipped: not a JSON object with a text key", markup=False)
                continue
            ids.append(item.get("id", number))
            yield event_from_text(str(text))

    # In batches, as log events are: the model scores a batch in one call (rca.classify.hybrid.classify_events).
    for _, result in classify_events(events(), rules, model):
        out.write(json_printable(orjson.dumps(scrub(snippet_result(ids.popleft(), result)))) + b"\n")
    if skipped:
        stderr.print(f"{skipped} line(s) skipped" + (f" (the first {MAX_SKIP_LINES} named above)" if skipped > MAX_SKIP_LINES else ""))


def _load_model_or_exit(name: str):
    from rca.classify.model import default_model_path, resolve

    if name == "default" and not default_model_path().is_file():
        # ~15 CPU-s since it learns the real excerpts too (issue 28; ~9 s on the generated corpus alone)
        stderr.print("rca: building the classifier from the shipped corpora, generated and real (first use only, about 15 s)")
    return resolve(name)


@app.command()
def train(
    corpus: Annotated[Path | None, typer.Option(help="Labelled JSON lines {text, label} to train on (default: the shipped model's rows, the generated corpus and the real excerpts).", show_default=False)] = None,
    holdout: Annotated[Path | None, typer.Option(help="Labelled JSON lines to tune the threshold on (default: the corpus itself, each row scored by a model that never saw its library or repository; its real rows alone when it has some).", show_default=False)] = None,
    out: Annotated[Path | None, typer.Option(help="Where to save the model (skops; default: the cache, where `--model default` finds it).", show_default=False)] = None,
) -> None:
    """Train the classifier that covers what no rule knows.

    Example: rca train --corpus my-labelled.jsonl --out model.skops
    """
    import time

    from rca.classify.model import default_model_path, read_corpus, save, training_rows
    from rca.classify.model import train as fit

    rows = read_corpus(corpus) if corpus else training_rows()  # what the cached default model is trained on
    started = time.perf_counter()
    model = fit(rows, read_corpus(holdout) if holdout else None)
    seconds = time.perf_counter() - started
    path = save(model, out or default_model_path())
    own = ", ".join(f"{cls} {value:.2f}" for cls, value in model.class_thresholds.items() if value != model.threshold)
    print(f"trained on {len(rows):,} examples in {seconds:.1f}s; threshold {model.threshold:.2f}"
          f"{f' ({own})' if own else ''}; {path.stat().st_size / 1e6:.1f} MB saved to {path}")


class EvalMethod(str, enum.Enum):
    rules = "rules"
    model = "model"
    hybrid = "hybrid"
    all = "all"


@app.command("eval")
def evaluate_command(
    corpus: Annotated[Path, typer.Argument(help="Labelled JSON lines {text, label}, e.g. fixtures/corpus/holdout.jsonl.", show_default=False)],
    method: Annotated[EvalMethod, typer.Option(help="Which classifier to measure.")] = EvalMethod.all,
    model_path: Annotated[str, typer.Option("--model", help="`default`: the shipped model, refitted without any row whose text CORPUS holds when it trained on one; or a model file from `rca train`, scored as it is.")] = "default",
    rules_dirs: Annotated[list[Path] | None, typer.Option("--rules", help=RULES_HELP, show_default=False)] = None,
    output_format: Annotated[ClassifyFormat, typer.Option("--format", "-f", help="table: scikit-learn's report; jsonl: one JSON object per method.")] = ClassifyFormat.table,
    cv_groups: Annotated[str | None, typer.Option("--cv-groups", help="Grouped cross-validation over this field of the corpus (e.g. `repo`): per fold the model is refitted on --train plus the other folds; the rules stay fixed.", show_default=False)] = None,
    folds: Annotated[int, typer.Option("--folds", min=2, help="Folds of --cv-groups.")] = 5,
    train_path: Annotated[Path | None, typer.Option("--train", help="The rows the model is refitted on, less any whose text CORPUS holds (default: the shipped model's, the generated corpus and the real excerpts).", show_default=False)] = None,
) -> None:
    """Per-class precision, recall and F1, the confusion matrix and the coverage of rules, model and hybrid.

    No row is scored by a model fitted on its text: the shipped model learns from real excerpts too, so
    a file it trained on is scored by the model refitted without that file's rows (the last line says
    which model scored).

    Example: rca eval fixtures/corpus/holdout.jsonl --method hybrid
    Example: rca eval fixtures/real-corpus/excerpts.jsonl --cv-groups repo --folds 5
    """
    from rca.classify.evaluate import METHODS, confusion_text, cross_validate, evaluate, summary_line, without_rows_of
    from rca.classify.model import read_corpus, training_rows

    rows = read_corpus(corpus)
    rules = _load_rules_or_exit(rules_dirs or [])
    methods = METHODS if method is EvalMethod.all else (method.value,)
    if train_path and model_path != "default":
        stderr.print("rca: error: --train refits the model, --model FILE scores one as it is: give one of them")
        raise typer.Exit(2)
    training = read_corpus(train_path) if train_path else None
    if cv_groups:
        missing = sum(1 for r in rows if r.get(cv_groups) is None)
        if missing:
            stderr.print(f"rca: error: --cv-groups {cv_groups}: {missing} rows have no `{cv_groups}` field")
            raise typer.Exit(2)
        base, dropped = without_rows_of(training_rows() if training is None else training, rows)
        note = "model: none (rules only)" if methods == ("rules",) else (
            f"model: refitted for each fold on {len(base):,} training rows (without the {dropped:,} whose text "
            f"{corpus.name} holds) and the other folds")
        try:
            results = cross_validate(rows, base, rules, cv_groups, folds, methods)
        except ValueError as error:
            stderr.print(f"rca: error: {error}")
            raise typer.Exit(2) from None
    else:
        model, note = _eval_model(rows, rules, model_path, training, set(methods) & {"model", "hybrid"})
        results = [evaluate(rows, name, rules, model) for name in methods]
    for result in results:
        if output_format is ClassifyFormat.jsonl:
            print(orjson.dumps({**{k: v for k, v in result.items() if k != "report_text"}, "model_note": note}).decode())
            continue
        print(summary_line(result))
        print(result["report_text"])
        print(confusion_text(result))
    if output_format is ClassifyFormat.table:
        print(note)


def _eval_model(rows: list[dict], rules, model_path: str, training: list[dict] | None, needed) -> tuple:
    """The model `rca eval` scores with, and the line that says which: see rca.classify.evaluate.leak_free_model."""
    from rca.classify.evaluate import leak_free_model

    if not needed:
        return None, "model: none (rules only)"
    if model_path != "default":
        return _load_model_or_exit(model_path), f"model: {model_path}, scored as it is (what it was trained on is not known)"
    return leak_free_model(rows, rules, training, say=lambda line: stderr.print(f"rca: {line}", markup=False),
                           shipped=lambda: _load_model_or_exit("default"))


rules_app = typer.Typer(help="List, test and validate rule packs.", no_args_is_help=True)
app.add_typer(rules_app, name="rules")


@rules_app.command("list")
def rules_list(
    rules_dirs: Annotated[list[Path] | None, typer.Option("--rules", help=RULES_HELP, show_default=False)] = None,
) -> None:
    """List every rule: id, class, role, title and pack."""
    from rich.table import Table

    rules = _load_rules_or_exit(rules_dirs or [])
    table = Table(title=f"{len(rules.rules)} rules", title_justify="left")
    for column in ("id", "class", "role", "title", "pack"):
        table.add_column(column, overflow="fold")
    for rule in rules.rules:
        table.add_row(rule.id, rule.cls, rule.role, rule.title, rule.pack)
    _stdout_console().print(table)


@rules_app.command("test")
def rules_test(
    rules_dirs: Annotated[list[Path] | None, typer.Option("--rules", help=RULES_HELP, show_default=False)] = None,
) -> None:
    """Run every rule's examples: each `match:` example must match its rule, capture its `fields`, render its
    `explanation` and leave no placeholder unfilled; each `no_match:` one must not match. `todo:` examples are
    listed, never failed."""
    rules = _load_rules_or_exit(rules_dirs or [])
    failures = rules.test_examples()
    for line in failures + rules.todo_examples():
        stderr.print(line, markup=False, highlight=False)
    examples = sum(len(r.examples_match) + len(r.examples_no_match) for r in rules.rules)
    todo = sum(len(r.examples_todo) for r in rules.rules)
    print(f"rules: {examples - len(failures)} passed, {len(failures)} failed, {todo} todo ({len(rules.rules)} rules)")
    if failures:
        raise typer.Exit(1)


@rules_app.command("validate")
def rules_validate(
    paths: Annotated[list[Path] | None, typer.Argument(
        help="Rule pack directories or files to check, with the shipped packs (alone when none is given).",
        show_default=False)] = None,
) -> None:
    """Check rule packs without running them: every problem is printed as file:line: rule: field: problem."""
    problems = RuleSet.validate(paths or [])
    for problem in problems:
        stderr.print(f"rca: error: {problem}", markup=False, highlight=False)
    if problems:
        stderr.print(f"rca: {len(problems)} problem(s)")
        raise typer.Exit(2)
    print(f"{len(paths or [])} path(s) valid, with the shipped packs")


WATCH_EXIT = {"SIGINT": 130, "SIGTERM": 143}
WATCH_TIMEOUT_HELP = ("Seconds to wait for the Logging API to connect and to go on answering. A server silent that long "
                      "on the first read ends the watch with one error line; on a later poll it is asked again, "
                      "with back-off, as for a lost connection. Default: 60.")


@app.command()
def watch(
    project: Annotated[str | None, typer.Option("--project", help="The Google Cloud project to follow (default: the project set in pyproject.toml or rca.toml).", show_default=False)] = None,
    service: Annotated[str | None, typer.Option(help="Only this service (Cloud Run service, App Engine module, GKE container, function).", show_default=False)] = None,
    query_filter: Annotated[str | None, typer.Option("--filter", help="A Logging query ANDed into the one rca builds.", show_default=False)] = None,
    window: Annotated[str, typer.Option(help="How far back each decision looks (30m, 2h, 1d); the first pass reads this much.")] = "2h",
    interval: Annotated[str, typer.Option(help="How often to ask Cloud Logging for new entries (30s, 1m).")] = "30s",
    endpoint: Annotated[str | None, typer.Option("--endpoint", help=ENDPOINT_HELP, show_default=False)] = None,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Also append each event, as a JSON line, to this file.", show_default=False)] = None,
    state: Annotated[Path | None, typer.Option("--state", help="A JSON file that remembers the incidents announced, so that a restart (or the next --once) does not announce them again. Without it, only this run remembers.", show_default=False)] = None,
    notify: Annotated[str | None, typer.Option("--notify", help="POST each event as JSON, with a short `text` (Slack and Google Chat incoming webhooks), to this URL; 5 s time-out, 3 tries. A failing webhook is reported on stderr and the watch goes on.", show_default=False)] = None,
    once: Annotated[bool, typer.Option("--once", help="One pass over the last window, then exit: 1 when an incident is open, else 0 (for cron or a scheduled job).")] = False,
    rules_dirs: Annotated[list[Path] | None, typer.Option("--rules", help=RULES_HELP, show_default=False)] = None,
    model_path: Annotated[str, typer.Option("--model", help=MODEL_HELP)] = "default",
    no_redact: Annotated[bool, typer.Option("--no-redact", help=NO_REDACT_HELP)] = False,
    timeout: Annotated[float | None, typer.Option("--timeout", min=0.1, help=WATCH_TIMEOUT_HELP, show_default=False)] = None,
) -> None:
    """Follow live Cloud Logging and announce incidents: when one opens, changes and is resolved, as JSON lines.

    Cloud Logging's tail stream (tail_log_entries) is gRPC only, so rca watch polls entries.list every --interval, from the newest timestamp seen less 60 s, and drops entries it already has by insertId: an entry that reaches the API more than 60 s late is missed.

    Events go to stdout, --out and --notify; the state file is written atomically. Exit status: 130 on Ctrl-C and 143 on SIGTERM (state saved), 1 when Cloud Logging refuses the query or the credentials, 2 for bad options; with --once, 1 when an incident is open, else 0.

    Example: rca watch --project netra-staging --service backend --state watch.json --notify https://hooks.slack.com/services/...
    """
    from rca.api import watcher
    from rca.ingest.follow import CLOCK_VARIABLE, clock_from

    config = find_config()
    project = project or config.project
    if not project:
        raise typer.BadParameter("give the project to follow (or set project in [tool.rca])", param_hint="--project")
    length, every = _span(window, "--window"), _span(interval, "--interval")
    hook = _webhook(notify)
    emit = _event_writer(out, hook)
    runner = watcher(project, on_event=emit, service=service, query_filter=query_filter, window=length,
                     endpoint=endpoint, state=state, once=once, rules=_load_rules_or_exit(rules_dirs or config.rules),
                     model=_load_model_or_exit(model_path), clock=clock_from(os.environ.get(CLOCK_VARIABLE)),
                     on_retry=lambda message, seconds: stderr.print(
                         printable(f"rca: warning: {message}; asking again in {seconds:.0f} s"), markup=False),
                     redacted=not no_redact, timeout=timeout)
    stopped = _run_watch(runner, every, once)
    if stopped:
        runner.announcer.state.save()
        _say_stopped(f"rca: watch stopped by {stopped}" + (f"; state saved to {state}" if state else ""))
        raise typer.Exit(WATCH_EXIT[stopped])
    if once and runner.announcer.state.open:
        raise typer.Exit(1)


def _run_watch(runner, interval: float, once: bool) -> str | None:
    """Run the watch; the signal's name when one stopped it."""
    try:
        with _raising_on_stop(end_workers_first=False):
            runner.run(interval, once)
    except _Signalled as stopped:
        return stopped.name
    return None


def _span(text: str, option: str) -> float:
    """A length of time such as 30s, 90m, 2h or 1d, in seconds."""
    from rca.ingest.times import SPAN_UNITS

    text = text.strip()
    if text[:-1].isdigit() and text[-1:] in SPAN_UNITS and int(text[:-1]) > 0:
        return float(int(text[:-1]) * SPAN_UNITS[text[-1]])
    raise typer.BadParameter(f"{text!r} is not a length of time such as 30s, 90m, 2h or 1d", param_hint=option)


def _webhook(url: str | None):
    if url is None:
        return None
    from rca.report.webhook import Webhook

    try:
        return Webhook(url, lambda line: stderr.print(line, markup=False))
    except ValueError as error:
        raise typer.BadParameter(str(error), param_hint="--notify") from None


def _event_writer(out: Path | None, hook):
    """Each event as a JSON line on stdout, appended to `out`, and posted to the webhook."""
    if out is not None:
        try:
            out.parent.mkdir(parents=True, exist_ok=True)
            out.open("a").close()  # a file that cannot be written is found now, not at the first incident
        except OSError as error:
            raise RcaError(f"cannot write {out}: {error.strerror or error}") from None

    def emit(event: dict) -> None:
        line = json_printable(orjson.dumps(event)) + b"\n"  # a log's bidi or C1 characters reach no terminal
        sys.stdout.buffer.write(line)
        sys.stdout.flush()
        if out is not None:
            with out.open("ab") as appended:
                appended.write(line)
        if hook is not None:
            hook.post(event)

    return emit


def _load_rules_or_exit(directories: list[Path]) -> RuleSet:
    return RuleSet.load(directories)  # a RuleError reaches main()'s handler


def _report_timeouts(rules: RuleSet) -> None:
    for rule_id, count in rules.timeouts.items():
        stderr.print(f"rca: warning: rule {rule_id}: a regular expression timed out on {count} event(s); "
                     "the rule was switched off for the rest of the run" if count >= 3 else
                     f"rca: warning: rule {rule_id}: a regular expression timed out on {count} event(s)")


def _stdout_console() -> Console:
    """Colour and the terminal's width on a terminal; plain and wide enough to read when piped."""
    console = Console(highlight=False)
    return console if console.is_terminal else Console(highlight=False, width=180)


def _read_events_or_exit(inputs: list[str], stats: ReadStats):
    return read_events(inputs, stats)  # an InputError reaches main()'s handler


def _echo(report: str | bytes) -> None:
    """A report to stdout: bytes to its binary buffer, or decoded where it has none (a StringIO)."""
    binary = getattr(sys.stdout, "buffer", None) if isinstance(report, bytes) else None
    if binary is None:
        typer.echo(report.decode() if isinstance(report, bytes) else report, nl=False)
        return
    sys.stdout.flush()
    binary.write(report)
    binary.flush()


def _finish(stats: ReadStats, scrub=lambda value: value) -> None:
    """The summary line on stderr; exit 2 when any named source could not be read."""
    stderr.print(printable(scrub(stats.summary())), markup=False)
    for error in stats.errors:
        stderr.print(printable(scrub(f"rca: error: {error}")), markup=False)
    if stats.errors:
        raise typer.Exit(2)


CHECK_FORMAT_HELP = "md: Markdown to paste into an issue or a CI log; json: the documented keys; html: a self-contained page."
WINDOW_HELP = "SINCE..UNTIL, times like --since takes them (2025-09-12T14:00Z, or a span such as 2h); leave an end out for the logs' start or end."

# The options `rca diff` and `rca verify` share, declared once.
CheckUntil = Annotated[str | None, typer.Option("--until", help="Only records before this time.", show_default=False)]
CheckEndpoint = Annotated[str | None, typer.Option("--endpoint", help=ENDPOINT_HELP, show_default=False)]
CheckFormat = Annotated[ReportFormat, typer.Option("--format", "-f", help=CHECK_FORMAT_HELP)]
CheckOut = Annotated[Path | None, typer.Option("--out", "-o", help="Write the report to this file instead of standard output.", show_default=False)]
CheckRules = Annotated[list[Path] | None, typer.Option("--rules", help=RULES_HELP, show_default=False)]
CheckModel = Annotated[str, typer.Option("--model", help=MODEL_HELP)]
CheckNoRedact = Annotated[bool, typer.Option("--no-redact", help=NO_REDACT_HELP)]
CheckPii = Annotated[bool, typer.Option("--redact-pii", help=PII_HELP)]
CheckWorkers = Annotated[int | None, typer.Option("--workers", min=1, help=WORKERS_HELP, show_default=False)]
CheckTimeout = Annotated[float | None, typer.Option("--timeout", min=0.1, help=TIMEOUT_HELP, show_default=False)]


@app.command()
def diff(
    inputs: Annotated[list[str] | None, typer.Argument(help=INPUTS_HELP + BUCKET_HELP + " Not needed with --project.", show_default=False)] = None,
    from_revision: Annotated[str | None, typer.Option("--from", help="The revision before the change (compare two revisions).", show_default=False)] = None,
    to_revision: Annotated[str | None, typer.Option("--to", help="The revision after the change.", show_default=False)] = None,
    before: Annotated[str | None, typer.Option("--before", help="The window before the change (compare two windows): " + WINDOW_HELP, show_default=False)] = None,
    after: Annotated[str | None, typer.Option("--after", help="The window after the change: " + WINDOW_HELP, show_default=False)] = None,
    service: Annotated[str | None, typer.Option(help="Only records of this service.", show_default=False)] = None,
    since: Annotated[str | None, typer.Option(help="Only records at or after this time (with --project: default 1h ago).", show_default=False)] = None,
    until: CheckUntil = None,
    project: Annotated[str | None, typer.Option("--project", help=PROJECT_HELP + " Every request is pulled: they are the rates' denominators.", show_default=False)] = None,
    endpoint: CheckEndpoint = None,
    output_format: CheckFormat = ReportFormat.md,
    out: CheckOut = None,
    rules_dirs: CheckRules = None,
    model_path: CheckModel = "default",
    no_redact: CheckNoRedact = False,
    redact_pii: CheckPii = False,
    workers: CheckWorkers = None,
    timeout: CheckTimeout = None,
) -> None:
    """Compare each error group's rate per request before and after a change, with a significance test.

    Exit 0: no significant rise (no change, or improved); 1: a group new or raised significantly;
    3: too early (too little traffic after to tell a doubling); 2: bad input.

    Example: rca diff logs.jsonl --from backend-00041-kx7 --to backend-00042-q9m
    """
    from rca.api import diff as run_diff
    from rca.report.deploy_checks import diff_to_dict

    stats = ReadStats()
    window = _check_window(since, until)
    records = _check_records(project, inputs, window, service, endpoint, stats, timeout)
    with _progress(stats):
        result = run_diff(inputs, before=before, after=after, from_revision=from_revision, to_revision=to_revision,
                          service=service, records=records, rules=_load_rules_or_exit(rules_dirs or find_config().rules),
                          model=_load_model_or_exit(model_path), stats=stats, workers=workers or os.cpu_count() or 1,
                          timeout=timeout, **window)
    _write_check(diff_to_dict(result, redacted=False), output_format, out, no_redact, redact_pii)
    _finish(stats, scrubber(not no_redact, redact_pii))
    raise typer.Exit(result.exit_code)


@app.command()
def verify(
    report: Annotated[Path, typer.Argument(help="The incident's report, written by rca analyze --format json.", show_default=False)],
    inputs: Annotated[list[str] | None, typer.Argument(help=INPUTS_HELP + BUCKET_HELP + " They must reach back before the incident. Not needed with --project.", show_default=False)] = None,
    incident: Annotated[int, typer.Option("--incident", min=1, help="Which of the report's incidents (1 is the first, the largest).")] = 1,
    remedy_at: Annotated[str | None, typer.Option("--remedy-at", help="When the fix took effect (default: the service's newest deploy after the incident, else a rollback seen in its requests).", show_default=False)] = None,
    since: Annotated[str | None, typer.Option(help="Only records at or after this time (with --project: default an hour before the incident).", show_default=False)] = None,
    until: CheckUntil = None,
    project: Annotated[str | None, typer.Option("--project", help=PROJECT_HELP + " Every request is pulled: they are the rates' denominators.", show_default=False)] = None,
    endpoint: CheckEndpoint = None,
    output_format: CheckFormat = ReportFormat.md,
    out: CheckOut = None,
    rules_dirs: CheckRules = None,
    model_path: CheckModel = "default",
    no_redact: CheckNoRedact = False,
    redact_pii: CheckPii = False,
    workers: CheckWorkers = None,
    timeout: CheckTimeout = None,
) -> None:
    """After a deploy or a rollback: is the incident of an earlier report over?

    Exit 0: fixed; 1: not fixed, or regressed (the fix brought new or raised errors); 3: too early
    (too little traffic yet to tell); 2: bad input.

    Example: rca verify report.json logs.jsonl
    """
    from rca.analyze.verify import load_report
    from rca.api import verify as run_verify
    from rca.report.deploy_checks import verify_to_dict

    ref = load_report(report, incident)  # a bad report is one line and exit 2 before anything is read
    stats = ReadStats()
    window = _check_window(since, until)
    if project and window["since"] is None:
        window["since"] = ref.began - 3600
    records = _check_records(project, inputs, window, ref.service, endpoint, stats, timeout)  # live: the incident's service only
    with _progress(stats):
        result = run_verify(report, inputs, incident=incident, remedy_at=parse_moment(remedy_at) if remedy_at else None,
                            records=records, rules=_load_rules_or_exit(rules_dirs or find_config().rules),
                            model=_load_model_or_exit(model_path), stats=stats, workers=workers or os.cpu_count() or 1,
                            timeout=timeout, **window)
    _write_check(verify_to_dict(result, redacted=False), output_format, out, no_redact, redact_pii)
    _finish(stats, scrubber(not no_redact, redact_pii))
    raise typer.Exit(result.exit_code)


def _check_window(since: str | None, until: str | None) -> dict:
    window = {"since": parse_moment(since) if since else None, "until": parse_moment(until) if until else None}
    if window["since"] is not None and window["until"] is not None and window["since"] >= window["until"]:
        raise typer.BadParameter("--since must come before --until", param_hint="--since")
    return window


def _check_records(project, inputs, window: dict, service, endpoint, stats: ReadStats, timeout: float | None = None):
    """Live records for --project (every request, and what the analysis needs), else None for the inputs."""
    if project:  # the analysis scope: every request too, the rates' denominators
        return _live_records(project, window, service, None, False, None, endpoint, stats, timeout)
    if not inputs:
        stderr.print("rca: error: give log files, or --project to pull them live")
        raise typer.Exit(2)
    return None


def _write_check(data: dict, output_format: ReportFormat, out: Path | None, no_redact: bool, pii: bool) -> None:
    """A diff's or a verification's report, redacted unless --no-redact, to --out or stdout."""
    from rca.report.deploy_checks import to_html, to_markdown

    data = scrubber(not no_redact, pii)(data)  # once, for every format and the line on stderr
    text: str | bytes
    if output_format is ReportFormat.json:
        text = json_printable(orjson.dumps(data, option=orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE))
    elif output_format is ReportFormat.html:
        text = to_html(data)
    else:
        text = to_markdown(data)
    _deliver(text, out)
    stderr.print(printable(f"{data['kind']}: {data['verdict']} — {data['reason']}"), markup=False)


def main() -> None:
    """The console script. Every problem a user can fix ends here as one line and exit 2 (1 for a
    pull the service stopped), never a Python traceback."""
    try:
        with _stopping_anywhere():
            app()
    except RcaError as error:
        stderr.print(printable(f"rca: error: {error}"), markup=False)  # it may quote a name or a server's words
        raise SystemExit(error.exit_code) from None
    except OSError as error:  # a file the user named could not be read or written
        where = f"{error.filename}: " if error.filename else ""
        stderr.print(printable(f"rca: error: {where}{error.strerror or error}"), markup=False)
        raise SystemExit(2) from None
