"""The `rca` command line: a thin layer over the Python API."""

from __future__ import annotations

import enum
from typing import Annotated

import typer
from rich.console import Console

from .api import read_events
from .ingest import InputError
from .render import print_table, write_json, write_jsonl
from .stats import ReadStats

app = typer.Typer(
    help="Find the root cause of a service failure in its logs (GCP exports, text logs, live Cloud Logging).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
stderr = Console(stderr=True, highlight=False, soft_wrap=True)

INPUTS_HELP = (
    "Log files or directories, glob patterns (quote them: 'exports/**/*.json.gz'), or - for standard input. "
    "Formats are recognised from content: gcloud/Logs Explorer JSON, log-sink JSON lines, Logs Explorer CSV, "
    "gzip of any of these, and plain-text logs."
)


@app.callback()
def _commands() -> None:
    """rca reads logs, finds the error events, and tells the root cause from its symptoms."""


class EventFormat(str, enum.Enum):
    table = "table"
    jsonl = "jsonl"
    json = "json"


@app.command()
def events(
    inputs: Annotated[list[str], typer.Argument(help=INPUTS_HELP, show_default=False)],
    output_format: Annotated[EventFormat, typer.Option("--format", "-f", help="table for people; jsonl (one event per line) or json for scripts.")] = EventFormat.table,
    limit: Annotated[int | None, typer.Option(min=1, help="Show at most this many events (the earliest).")] = None,
) -> None:
    """List the error events in the logs: stitched tracebacks, ERROR lines, failing requests, platform failures.

    Example: rca events fixtures/incidents/missing-import/logs.jsonl
    """
    stats = ReadStats()
    found = _read_events_or_exit(inputs, stats)
    shown = found[:limit] if limit else found
    if output_format is EventFormat.jsonl:
        write_jsonl(shown)
    elif output_format is EventFormat.json:
        write_json(shown, stats.as_dict())
    else:
        print_table(shown, _stdout_console())
    _finish(stats)


def _stdout_console() -> Console:
    """Colour and the terminal's width on a terminal; plain and wide enough to read when piped."""
    console = Console(highlight=False)
    return console if console.is_terminal else Console(highlight=False, width=180)


def _read_events_or_exit(inputs: list[str], stats: ReadStats):
    try:
        return read_events(inputs, stats)
    except InputError as error:
        stderr.print(f"rca: error: {error}")
        raise typer.Exit(2) from None


def _finish(stats: ReadStats) -> None:
    """The summary line on stderr; exit 2 when any named source could not be read."""
    stderr.print(stats.summary())
    for error in stats.errors:
        stderr.print(f"rca: error: {error}")
    if stats.errors:
        raise typer.Exit(2)


def main() -> None:
    app()
