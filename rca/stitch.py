"""Stitch tracebacks that Cloud Run and GKE split one line per entry back into one block.

Records are grouped by `LogRecord.stitch_key` (source, service, revision, instance, log), so two
instances crashing at once never interleave. Within a key, records close in time form a run; a
run is put in time order (exports may be newest-first) and cut into units: a traceback block with
every record it spans, or a single record. Every record ends up in exactly one unit.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from .record import ERROR_RANK, LogRecord
from .tracebacks import CHAIN_LINES, FRAME_LINE, TRACEBACK_HEADER, is_exception_line

RUN_GAP_SECONDS = 2.0  # a longer silence on one key ends its run
BLOCK_GAP_SECONDS = 1.0  # lines of one traceback are printed within this of each other
MAX_RUN_RECORDS = 10_000  # bounds memory on a key that never falls silent
STALE_CHECK_EVERY = 4096

Unit = list[LogRecord]


def stitch(records: Iterable[LogRecord]) -> Iterator[Unit]:
    """Units (lists of records) in the order their runs close; see the module docstring."""
    runs: dict[tuple, list[LogRecord]] = {}
    latest: float | None = None
    for count, record in enumerate(records, 1):
        key = record.stitch_key
        run = runs.get(key)
        if run is not None and (len(run) >= MAX_RUN_RECORDS or _gap(run[-1].time, record.time) > RUN_GAP_SECONDS):
            yield from segment(runs.pop(key))
            run = None
        if run is None:
            run = runs[key] = []
        run.append(record)
        if record.time is not None:
            latest = record.time if latest is None else max(latest, record.time)
        if count % STALE_CHECK_EVERY == 0 and latest is not None:
            for stale in [k for k, r in runs.items() if r[-1].time is not None and latest - r[-1].time > RUN_GAP_SECONDS]:
                yield from segment(runs.pop(stale))
    for run in runs.values():
        yield from segment(run)


def segment(run: list[LogRecord]) -> Iterator[Unit]:
    """Cut one key's run into traceback blocks and single records."""
    units: list[Unit] = []
    block: Unit | None = None
    state = ""
    for record in _in_time_order(run):
        if block is not None:
            next_state = _continue(state, record, block[-1])
            if next_state:
                block.append(record)
                state = next_state
                continue
            units.append(block)
            block = None
        state = _start(record)
        if not state:
            units.append([record])
            continue
        header = _take_header(units, record)
        block = header + [record]
    if block is not None:
        units.append(block)
    return iter(units)


def _in_time_order(run: list[LogRecord]) -> list[LogRecord]:
    times = [r.time for r in run if r.time is not None]
    descending = sum(a > b for a, b in zip(times, times[1:]))
    ascending = sum(a < b for a, b in zip(times, times[1:]))
    ordered = run[::-1] if descending > ascending else run
    if descending and ascending:  # neither way throughout: a stable sort keeps ties in place
        ordered = sorted(ordered, key=lambda r: r.time if r.time is not None else float("-inf"))
    return ordered


def _start(record: LogRecord) -> str:
    """The stitching state after this record if it opens a traceback block, else ''."""
    text = record.text
    if "Traceback (most recent call last)" in text:
        return _advance("header", text.splitlines())
    first = text.split("\n", 1)[0]
    if FRAME_LINE.match(first):  # a traceback whose start is not in this file
        return _advance("frames", text.splitlines())
    return ""


def _continue(state: str, record: LogRecord, previous: LogRecord) -> str:
    """The state after appending `record` to the open block, or '' when it does not belong."""
    if _gap(previous.time, record.time) > BLOCK_GAP_SECONDS:
        return ""
    lines = record.text.splitlines() or [""]
    first = lines[0]
    kind = _line_kind(first)
    if state in ("header", "frames"):
        fits = kind in ("frame", "indented", "exception", "blank", "header")
    elif state == "exception":
        fits = kind in ("blank", "chain") or (kind == "indented" and record.severity is None)
    else:  # "chain": only a blank line or the next traceback's header may follow
        fits = kind in ("blank", "header")
    return _advance(state, lines) if fits else ""


def _advance(state: str, lines: list[str]) -> str:
    for line in lines:
        kind = _line_kind(line)
        if kind == "header":
            state = "header"
        elif kind == "chain":
            state = "chain"
        elif kind == "frame":
            state = "frames"
        elif kind == "exception" and state in ("header", "frames"):
            state = "exception"
    return state or "frames"


def _line_kind(line: str) -> str:
    stripped = line.strip()
    if not stripped:
        return "blank"
    if TRACEBACK_HEADER.match(stripped.lstrip("|+ ")):
        return "header"
    if stripped in CHAIN_LINES:
        return "chain"
    if FRAME_LINE.match(line):
        return "frame"
    if line[0].isspace():
        return "indented"
    if is_exception_line(line):
        return "exception"
    return "other"


def _take_header(units: list[Unit], record: LogRecord) -> Unit:
    """An ERROR line printed just before a traceback ("Exception in ASGI application") is its header."""
    if not units or len(units[-1]) != 1:
        return []
    candidate = units[-1][0]
    if candidate.severity_rank >= ERROR_RANK and "\n" not in candidate.text and _gap(candidate.time, record.time) <= BLOCK_GAP_SECONDS:
        return units.pop()
    return []


def _gap(earlier: float | None, later: float | None) -> float:
    if earlier is None or later is None:
        return 0.0
    return abs(later - earlier)
