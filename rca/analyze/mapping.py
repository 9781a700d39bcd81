"""Map and merge (docs/DESIGN.md "Scale: map, merge, decide"): a part of the input (a file, or a byte range
of a large JSON-lines or text file) becomes a `Partial` — group summaries, the deploy tracker's
state, read statistics — and partials merge, in part order, into what one pass over the whole input
gives. The decision is then made once, on the merged summaries (`rca.analyze.analysis`).

`map_part` is a plain module-level function of picklable arguments, so that a process pool here, or
a Dask cluster later, can run it where the data is.

A byte range is read with a margin on either side (`OVERLAP_BYTES`): the records before it give
stitching the context it would have had in one pass, and those after it finish a traceback that
starts inside the range. A unit (a stitched traceback or a single record) belongs to the part whose
range holds its first record, so that each is counted once. Positions (line numbers) are counted
from the range's start inside a worker and moved to the file's numbering when the parts merge.

Classification is not part of the map: only the events a summary keeps (its sample) are ever
shown, so they are classified after the merge (rca.classify.samples), and no worker loads the model.
"""

from __future__ import annotations

import gc
import io
import itertools
import os
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from rca.analyze.group_counts import SecondCounts
from rca.analyze.groups import DeployTracker, Group, by_first_seen, group_events, merge_into
from rca.analyze.traffic import request_lane
from rca.events.error_event import ErrorEvent, events_from_records, is_answer_unit, is_error_unit
from rca.events.stitch import stitch
from rca.ingest import GZIP_MAGIC, UTF8_BOM, iter_records, iter_sink_records, sniff_format
from rca.ingest.engine import engine_reads, share_cores
from rca.ingest.jsonlog import read_json_lines
from rca.ingest.record import LogRecord
from rca.ingest.shards import shard_groups, sink_hour
from rca.ingest.splits import join_split_entries
from rca.ingest.stats import MAX_EXAMPLES_PER_REASON, ReadStats, RequestTally, TallyColumns
from rca.ingest.textengine import text_engine_reads
from rca.ingest.textlog import read_text
from rca.ingest.unique import RecentKeys, UniqueEntries

SPLIT_MIN_BYTES = 32 * 1024 * 1024  # a file smaller than this is read whole by one worker
OVERLAP_BYTES = 4 * 1024 * 1024  # read before and after a byte range, for stitching's context
_CHUNK = 1 << 20


@dataclass(frozen=True)
class Scope:
    """What every part keeps: the records' window (`since` already moved back to a baseline's start)
    and service; and how its records are read (rca.ingest.prefilter): "deploys" passes healthy
    entries over undecoded, "off" decodes every one, for rates that count every request there is
    (a 1st-gen function's healthy executions are healthy DEBUG lines)."""

    since: float | None = None
    until: float | None = None
    service: str | None = None
    timeout: float | None = None  # seconds to wait for a storage server (gs:// sources); None: its default
    prefilter: str = "deploys"


@dataclass(frozen=True)
class Part:
    """A whole file (`end` None) or the byte range [start, end) of one, cut at line boundaries;
    `reader` says how to read a range ("jsonl" or "text": its format is told from the file's head)."""

    source: str
    start: int = 0
    end: int | None = None
    reader: str | None = None
    overlap: int = OVERLAP_BYTES  # the margins read on either side of a range
    # A log sink's objects of one log and hour (gs:// URLs or local files; `source` is the first),
    # opened by the worker itself and read together, merged in time, so that an entry written to
    # several counts once and a traceback split across them is stitched whole.
    objects: tuple[str, ...] = ()


@dataclass
class Partial:
    """What the map of one part gives: mergeable, and bounded in size whatever the part's."""

    groups: list[Group]
    first: dict = field(default_factory=dict)  # DeployTracker.first: (service, revision) -> its first record
    start: float | None = None
    end: float | None = None
    stats: ReadStats = field(default_factory=ReadStats)
    project: str | None = None
    source: str | None = None  # a byte range's file, whose
    lines: int = 0  # lines the range holds (its records' positions are counted from its start)
    # Requests per (second, service, revision, 5xx or not): what a group's rate is measured against
    # (rca.analyze.exposure), so that traffic alone never makes an onset, and the rates per request of
    # `rca diff` and `rca verify` (rca.analyze.traffic).
    requests: SecondCounts | None = None
    changes: list = field(default_factory=list)  # DeployTracker.changes: the records of audit-logged changes


# ---- map ------------------------------------------------------------------------------------------


@contextmanager
def collector_paused() -> Iterator[None]:
    """The cyclic garbage collector paused, then restored as it was. An analysis makes millions of
    short-lived objects and next to no cycles: each collection walks every live object (a flood's
    summaries), ~10% of the map and ~0.5 CPU-s of the classification, decision and report after it."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def map_records(records: Iterable[LogRecord], scope: Scope, stats: ReadStats, owned=None) -> Partial:
    """Records (already counted in `stats`) into a Partial. `owned(unit)` says which stitched units
    are this part's (all of them by default). The cyclic garbage collector is paused meanwhile."""
    with collector_paused():
        return _map_records(records, scope, stats, owned)


def _map_records(records: Iterable[LogRecord], scope: Scope, stats: ReadStats, owned) -> Partial:
    tracker = DeployTracker()
    tally: list[SecondCounts] = []  # made at the first request: a run with none never imports numpy
    kept = _counting_requests(_within(tracker.watch(records), scope), tally, owned)
    found: list[str] = []
    if owned is None:
        events = events_from_records(kept, stats, answers=True)  # 404s too: a route a deploy dropped
    else:
        events = _owned_events(kept, stats, owned)
    groups = group_events((event, None) for event in _noting_project(events, found))
    _counting_tallied(stats, scope, tally)
    return Partial(groups, tracker.first, tracker.start, tracker.end, stats, found[0] if found else None,
                   requests=tally[0] if tally else None, changes=tracker.changes)


def _counting_requests(records: Iterable[LogRecord], tally: list[SecondCounts], owned) -> Iterator[LogRecord]:
    """Pass records through, counting each request (a record with an HTTP status) per second, service,
    revision and whether it failed with a 5xx. A byte range counts only the records it owns, not its margins'."""
    for record in records:
        status = record.http_status
        if status is not None and (owned is None or owned([record])):
            if not tally:
                tally.append(SecondCounts())
            tally[0].add(None if record.time is None else int(record.time), request_lane(record, status))
        yield record


def _counting_tallied(stats: ReadStats, scope: Scope, tally: list[SecondCounts]) -> None:
    """Add the healthy requests the engine counted without decoding them (`ReadStats.requests`, none
    failed: their status is below 500) to the tally, as `_counting_requests` would have, and let
    them go: each file's columns in one step, never a Python object per row. Per second is exact
    within the scope: `map_inputs` asks for them only when the window's ends fall on whole seconds."""
    tallied, stats.requests = stats.requests, RequestTally()
    for part in tallied.parts:
        kept = _in_scope(part, scope)
        if not kept.any():
            continue
        if not tally:
            tally.append(SecondCounts())
        lanes = [(service, revision or None, False) for service, revision in part.lanes]
        tally[0].add_columns(lanes, part.seconds[kept], part.lane[kept], part.counts[kept])


def _in_scope(part: TallyColumns, scope: Scope):
    """Which rows of the columns fall in the scope's window and service (a numpy mask)."""
    kept = part.counts > 0
    if scope.since is not None:
        kept &= part.seconds >= scope.since
    if scope.until is not None:
        kept &= part.seconds < scope.until
    if scope.service is not None:
        import numpy

        kept &= numpy.isin(part.lane, [n for n, (service, _) in enumerate(part.lanes) if service == scope.service])
    return kept


def _tally_mode(scope: Scope) -> str:
    """"requests" (healthy request logs counted in the engine, by the second) when the window's ends are
    whole seconds, so that a second is wholly in or out of it; "deploys" (every request decoded) otherwise.
    A scope that asks for another prefilter ("off": `rca diff` decodes every entry) gets it."""
    if scope.prefilter != "deploys":
        return scope.prefilter
    whole = all(bound is None or float(bound).is_integer() for bound in (scope.since, scope.until))
    return "requests" if whole else "deploys"


def map_inputs(inputs, scope: Scope, stats: ReadStats | None = None) -> Partial:
    """Every input (paths, globs, directories, `-`) in one pass: the one-process map."""
    stats = stats if stats is not None else ReadStats()
    return map_records(iter_records(inputs, stats, prefilter=_tally_mode(scope)), scope, stats)


def map_part(part: Part, scope: Scope) -> Partial:
    """The map of one part, in a worker: a whole file, a byte range read with its margins, or a log
    sink's objects of one log and hour."""
    stats = ReadStats()
    if part.objects:
        return compact(map_records(iter_sink_records(part.objects, stats, scope.prefilter, timeout=scope.timeout),
                                   scope, stats))
    if part.end is None:
        return compact(map_inputs([part.source], scope, stats))
    if part.start == 0:
        stats.sources.append(part.source)
    size = os.path.getsize(part.source)
    scratch = ReadStats()  # the margins are counted by the parts that own them
    before = _Range(part.source, _line_start(part.source, max(0, part.start - part.overlap)), part.start)
    core = _Range(part.source, part.start, part.end)
    after = _Range(part.source, part.end, _line_start(part.source, min(size, part.end + part.overlap)))
    # Positions run on through the three: the margin before is read whole before the range begins,
    # and the range before the margin after. One window of recent lines runs through them too, so
    # that a copy is told as one pass tells it (the margin is wider than the window).
    recent = RecentKeys()
    records = itertools.chain(
        _read_range(before, part, scratch, recent, scope.prefilter),
        _shifted(_read_range(core, part, stats, recent, scope.prefilter), lambda: before.lines),
        _shifted(_read_range(after, part, scratch, recent, scope.prefilter), lambda: before.lines + core.lines),
    )
    partial = map_records(join_split_entries(records, stats), scope, stats,
                          owned=lambda unit: before.lines < unit[0].position <= before.lines + core.lines)
    _renumber(partial, -before.lines, examples=False)  # the range's own stats counted from its start already
    partial.source, partial.lines = part.source, core.lines
    return compact(partial)


def compact(partial: Partial) -> Partial:
    """A partial made smaller to send between processes: its sample events without what they parsed
    (their text and traceback are read again where needed)."""
    for group in partial.groups:
        for event, _ in group.sample:
            event.__dict__.pop("traceback", None)
            event.__dict__.pop("text", None)
    return partial


def _read_range(stream: _Range, part: Part, stats: ReadStats, recent: RecentKeys, prefilter: str) -> Iterator[LogRecord]:
    with stream:
        buffered = io.BufferedReader(stream, _CHUNK)
        if part.reader == "text":
            yield from read_text(buffered, part.source, stats)
        else:
            unique = io.BufferedReader(UniqueEntries(buffered, recent, stats, stream.start), _CHUNK)
            yield from read_json_lines(unique, part.source, stats, prefilter)


def _shifted(records: Iterator[LogRecord], offset) -> Iterator[LogRecord]:
    """Records numbered on from the lines before them (`offset()`, final once they are read)."""
    for record in records:
        record.position += offset()
        yield record


def _owned_events(records, stats: ReadStats, owned) -> Iterator[ErrorEvent]:
    for unit in stitch(records, None):
        if is_error_unit(unit) and owned(unit):
            stats.events += 1
            yield ErrorEvent(unit)
        elif is_answer_unit(unit) and owned(unit):  # read, not counted: see events_from_records
            yield ErrorEvent(unit)


class _Range(io.RawIOBase):
    """The bytes [start, end) of a file, counting the newlines read."""

    def __init__(self, path: str, start: int, end: int):
        self.file = open(path, "rb")
        self.file.seek(start)
        self.start = start
        self.left = max(0, end - start)
        self.lines = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        if self.left <= 0:
            return 0
        view = memoryview(buffer)[: min(len(buffer), self.left)]
        count = self.file.readinto(view)
        self.left -= count
        self.lines += view[:count].tobytes().count(b"\n")
        return count

    def close(self) -> None:
        self.file.close()
        super().close()


def _line_start(path: str, offset: int) -> int:
    """The first line boundary at or after `offset` (the start of the line after it), or the file's end."""
    if offset == 0:
        return 0
    with open(path, "rb") as stream:
        stream.seek(offset - 1)
        while chunk := stream.read(65536):
            at = chunk.find(b"\n")
            if at >= 0:
                return stream.tell() - len(chunk) + at + 1
    return os.path.getsize(path)


def _within(records: Iterable[LogRecord], scope: Scope) -> Iterable[LogRecord]:
    """The records of `scope`'s window and service, in their order."""
    since, until, service = scope.since, scope.until, scope.service
    if since is None and until is None and service is None:  # no window: every record, without a step each
        return records
    return _filtered(records, since, until, service)


def _filtered(records: Iterable[LogRecord], since, until, service) -> Iterator[LogRecord]:
    for record in records:
        if service is not None and record.service != service:
            continue
        if record.time is not None and not in_window(record.time, since, until):
            continue
        yield record


def in_window(moment: float | None, since, until) -> bool:
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


# ---- planning -------------------------------------------------------------------------------------


def plan(files: list[str], workers: int, split_min: int | None = None, overlap: int | None = None) -> list[Part]:
    """Parts for `workers` processes: every file, large JSON-lines and text files cut in byte ranges
    at line boundaries so that the parts come out about even (arrays, CSV, gzip and JSON lines that
    DuckDB reads stay whole). The shards of a log sink's hour are one part, read together
    (`rca.ingest.shards`), as one process reads them.
    `split_min` and `overlap` default to SPLIT_MIN_BYTES and OVERLAP_BYTES."""
    split_min = SPLIT_MIN_BYTES if split_min is None else split_min
    overlap = OVERLAP_BYTES if overlap is None else overlap
    sizes = {path: _size(path) for path in files}
    total = sum(sizes.values())
    piece = max(split_min, total // max(1, 2 * workers))
    parts: list[Part] = []
    for group in shard_groups(files):
        path = group[0]
        if len(group) > 1 or sink_hour(path) is not None:  # a sink's shards of one hour: one stream
            parts.append(Part(path, objects=group))
            continue
        size = sizes[path]
        reader = _splittable(path) if workers > 1 and size >= split_min + piece // 2 else None
        if (reader == "jsonl" and engine_reads(path)) or (reader == "text" and text_engine_reads(path)):
            reader = None  # read whole: DuckDB spreads it over the cores itself (rca.ingest.engine)
        if reader is None:
            parts.append(Part(path))
            continue
        count = max(2, round(size / piece))
        cuts = sorted({_line_start(path, size * i // count) for i in range(1, count)} - {0, size})
        edges = [0, *cuts, size]
        parts.extend(Part(path, a, b, reader, overlap) for a, b in zip(edges, edges[1:]) if b > a)
    return parts


def sink_parts(groups: Iterable[tuple[str, ...]]) -> list[Part]:
    """A part for each group of a log sink's objects (`rca.ingest.gcs.hour_groups`, in hour order),
    which a worker opens itself."""
    return [Part(group[0], objects=tuple(group)) for group in groups]


def worth_parallel(files: list[str], more_bytes: int = 0) -> bool:
    """Whether the inputs (files, and `more_bytes` of a bucket's objects) are large enough
    (SPLIT_MIN_BYTES together) to pay for starting processes: below that one process reads them
    faster than a pool starts."""
    return sum(_size(path) for path in files) + more_bytes >= SPLIT_MIN_BYTES


def _size(path: str) -> int:
    try:
        return os.path.getsize(path)
    except OSError:
        return 0


def _splittable(path: str) -> str | None:
    """"jsonl" or "text" for a file that can be cut at line boundaries; None for one read whole."""
    try:
        with open(path, "rb") as stream:
            head = stream.read(1 << 16)
    except OSError:
        return None
    if head[:2] == GZIP_MAGIC or head.startswith(UTF8_BOM):
        return None
    kind = sniff_format(head)
    return kind if kind in ("jsonl", "text") else None


# ---- merge ----------------------------------------------------------------------------------------


def merge_partials(partials: Iterable[Partial], stats: ReadStats) -> Partial:
    """Partials of consecutive parts, in their order, as one (into `stats`, which may already hold
    what the parent counted, such as inputs that match nothing). Each is folded in as it comes and
    then let go, so that the parent holds the merged summaries and one partial, not all of them."""
    offsets: dict[str, int] = {}
    merged: dict[str, Group] = {}
    first: dict = {}
    start = end = None
    project = None
    requests: SecondCounts | None = None
    changes: list[LogRecord] = []
    for partial in partials:
        if partial.source is not None:
            _renumber(partial, offsets.get(partial.source, 0))
            offsets[partial.source] = offsets.get(partial.source, 0) + partial.lines
        merge_into(merged, partial.groups)
        partial.groups = []
        for key, record in partial.first.items():
            known = first.get(key)
            if known is None or (record.time is not None and known.time is not None and record.time < known.time):
                first[key] = record
        start = partial.start if start is None else (start if partial.start is None else min(start, partial.start))
        end = partial.end if end is None else (end if partial.end is None else max(end, partial.end))
        project = project or partial.project
        changes += partial.changes
        if partial.requests is not None:
            requests = partial.requests if requests is None else requests.merged(partial.requests)
        merge_stats(stats, partial.stats)
    return Partial(by_first_seen(merged.values()), first, start, end, stats, project, requests=requests,
                   changes=_distinct(changes))


def _distinct(changes: list[LogRecord]) -> list[LogRecord]:
    """Change records once each, by time: a byte range's margins and a sink's late shards repeat entries."""
    seen: dict[tuple, LogRecord] = {}
    for record in changes:
        seen.setdefault((record.log_name, record.insert_id, record.time, record.text), record)
    return sorted(seen.values(), key=lambda r: (r.time or 0.0, r.source, r.position))


def _renumber(partial: Partial, offset: int, examples: bool = True) -> None:
    """Move a byte range's positions by `offset` lines (to the file's numbering)."""
    if not offset:
        return
    seen: set[int] = set()
    records = [r for g in partial.groups for e, _ in g.sample for r in e.records] + list(partial.first.values()) + \
        partial.changes
    for record in records:
        if id(record) not in seen:
            seen.add(id(record))
            record.position += offset
    for reason, where in partial.stats.examples.items() if examples else ():
        partial.stats.examples[reason] = [_moved(item, offset) for item in where]


def _moved(where: str, offset: int) -> str:
    source, _, position = where.rpartition(":")
    return f"{source}:{int(position) + offset}" if position.isdigit() else where


def merge_stats(into: ReadStats, other: ReadStats) -> None:
    into.records += other.records
    into.events += other.events
    into.skipped.update(other.skipped)
    for reason, where in other.examples.items():
        kept = into.examples.setdefault(reason, [])
        kept.extend(where[: max(0, MAX_EXAMPLES_PER_REASON - len(kept))])
    into.notes.update(other.notes)
    into.errors.extend(other.errors)
    into.sources.extend(other.sources)
    for stamp in (other.passed_first, other.passed_last):
        into.passed_over(stamp)
    into.requests.extend(other.requests)  # columns not yet folded into a tally (the map folds its own)


# ---- after the merge -------------------------------------------------------------------------------


def tracker_of(partial: Partial) -> DeployTracker:
    tracker = DeployTracker()
    tracker.first, tracker.start, tracker.end = partial.first, partial.start, partial.end
    tracker.changes = partial.changes
    return tracker


def run_parts(parts: list[Part], scope: Scope, workers: int) -> Iterator[Partial]:
    """The map of every part, in part order as each is ready, on `workers` processes (in this one
    when there is a single part)."""
    if workers <= 1 or len(parts) <= 1:
        yield from (map_part(part, scope) for part in parts)
        return
    from concurrent.futures import ProcessPoolExecutor

    processes = min(workers, len(parts))
    with ProcessPoolExecutor(max_workers=processes, initializer=_start_worker, initargs=(processes,)) as pool:
        yield from pool.map(map_part, parts, itertools.repeat(scope))


def _start_worker(processes: int) -> None:
    """In each of `processes` workers: its DuckDB on its share of the cores (`engine.share_cores`),
    and stops left to the parent."""
    share_cores(processes)
    _leave_stops_to_the_parent()


def _leave_stops_to_the_parent() -> None:
    """In each worker: Ctrl-C reaches every process of the terminal's group, and a worker would print
    its own KeyboardInterrupt traceback; the parent, which ends the workers, decides alone (rca.cli).
    SIGTERM, the parent's way to end a worker, ends it at once, whatever handler the fork copied."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


__all__ = ["Part", "Partial", "Scope", "map_inputs", "map_part", "map_records", "merge_partials", "merge_stats", "plan",
           "run_parts", "sink_parts", "worth_parallel"]
