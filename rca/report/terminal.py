"""Terminal and machine-readable renderings of error events."""

from __future__ import annotations

import itertools
import sys
from collections.abc import Callable, Iterable
from operator import itemgetter

import orjson
from rich.console import Console
from rich.table import Table
from rich.text import Text

from rca.events.error_event import ErrorEvent
from rca.events.frames import application_location
from rca.events.redact import unchanged
from rca.ingest.times import format_timestamp
from rca.report.escape import json_printable, printable
from rca.report.long_table import print_rows


# `scrub` (rca.events.redact.redact_tree, or nothing with --no-redact) runs on whole values before any is cut.
def write_jsonl(events: Iterable[ErrorEvent], out=None, scrub: Callable = unchanged) -> None:
    out = out or sys.stdout.buffer
    for event in events:
        out.write(json_printable(orjson.dumps(scrub(event.as_dict()))) + b"\n")
    out.flush()


def write_json(events: Iterable[ErrorEvent], stats: Callable[[], dict], out=None, scrub: Callable = unchanged) -> None:
    """`{"events": [...], "stats": {...}}`, indented, written one event at a time (the same bytes as
    dumping the whole document): `stats()` is asked for once the events are written."""
    out = out or sys.stdout.buffer
    events = iter(events)
    first = next(events, None)  # reading begins (and an unreadable input fails) before anything is written
    out.write(b'{\n  "events": [')
    separator = b"\n    "
    for event in itertools.chain([first], events) if first is not None else ():
        text = json_printable(orjson.dumps(scrub(event.as_dict()), option=orjson.OPT_INDENT_2))
        out.write(separator + text.replace(b"\n", b"\n    "))
        separator = b",\n    "
    out.write(b"\n  ],\n" if separator != b"\n    " else b"],\n")
    tail = json_printable(orjson.dumps(scrub({"stats": stats()}), option=orjson.OPT_INDENT_2))
    out.write(tail[2:] + b"\n")


def print_table(events: Iterable[ErrorEvent], console: Console, scrub: Callable = unchanged) -> int:
    """The events in time order (untimed last, else in the order found), one row each; how many.
    Each event is cut to its row as it comes, so that a flood's events are not all held at once."""
    rows = [row for _, row in sorted((_event_row(event, scrub) for event in events), key=itemgetter(0))]
    print_rows(lambda: _events_table(len(rows)), rows, console)
    return len(rows)


def _events_table(count: int) -> Table:
    table = Table(title=f"{count} error events", title_justify="left", expand=False)
    table.add_column("time (UTC)", no_wrap=True)
    table.add_column("service / revision", overflow="fold", max_width=36)
    table.add_column("kind", no_wrap=True)
    table.add_column("what failed", overflow="fold", ratio=3)
    table.add_column("where", overflow="fold", ratio=2)
    table.add_column("records", justify="right", no_wrap=True)
    return table


def _event_row(event: ErrorEvent, scrub: Callable) -> tuple[tuple, tuple[str, ...]]:
    """(its place in time order, its cells as printable text)."""
    first = event.first
    return (event.time is None, event.time or 0.0), (
        (format_timestamp(event.time) or "?")[:23].replace("T", " "),
        printable(first.revision or first.service or first.source or ""),
        event.kind,
        printable(scrub(event.message)[:200]),
        printable((application_location(event.traceback.exceptions) if event.traceback else "") or ""),
        str(len(event.records)),
    )


def print_classified_table(classified: list, console: Console, scrub: Callable = unchanged) -> None:
    table = Table(title=f"{len(classified)} error events", title_justify="left", expand=False)
    table.add_column("time (UTC)", no_wrap=True)
    table.add_column("service / revision", overflow="fold", max_width=36)
    table.add_column("class", no_wrap=True)
    table.add_column("by", no_wrap=True)
    table.add_column("why", overflow="fold", ratio=3)
    for event, result in classified:
        first = event.first
        table.add_row(
            (format_timestamp(event.time) or "?")[:23].replace("T", " "),
            _cell(first.revision or first.service or first.source or ""),
            result.cls,
            result.rule.id if result.rule else result.method,
            _cell(scrub(result.explanation or event.message)[:200]),
        )
    console.print(table)


def _cell(text: str) -> Text:
    """Log text in a table cell: shown as it is written, neither run as rich markup (`[link=…]`) nor
    acted on by the terminal (escape sequences shown as `\\x1b[…`)."""
    return Text(printable(text))
