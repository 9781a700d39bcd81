"""A long table laid out from the rows that decide its widths prints exactly what rich prints."""

import io
import random

import pytest
from conftest import INCIDENT, run_rca
from rich.console import Console
from rich.table import Table
from rich.text import Text

from rca.api import iter_events
from rca.events.redact import scrubber
from rca.ingest.stats import ReadStats
from rca.report import long_table
from rca.report.terminal import _event_row, _events_table

WORDS = ["GET", "/api/v1/users", "500", "KeyError:", "'redis'", "x" * 70, "https://example.com/" + "a/" * 30,
         "ünïcödé", "日本語のテキスト", "emoji😀here", "", "  ", "tab\there", "two\nlines", "trailing ",
         "NameError: name 'redis' is not defined", "a" * 37, "-" * 5, "[bold]not markup[/bold]"]


def _random_rows(seed: int, count: int) -> list[tuple[str, ...]]:
    chance = random.Random(seed)

    def cell(words: int) -> str:
        return " ".join(chance.choice(WORDS) for _ in range(chance.randint(0, words)))

    return [(f"2025-09-12 14:{chance.randint(0, 59):02d}:00.000", cell(3), chance.choice(["traceback", "log", "request"]),
             cell(12), cell(4), str(chance.randint(1, 10 ** chance.randint(0, 5)))) for _ in range(count)]


def _printed(rows, console_kwargs: dict, laid_out_from: int) -> str:
    console = Console(file=io.StringIO(), highlight=False, **console_kwargs)
    long_table.print_rows(lambda: _events_table(len(rows)), rows, console, laid_out_from=laid_out_from)
    return console.file.getvalue()


@pytest.mark.parametrize("console_kwargs", [
    {"width": 180}, {"width": 100}, {"width": 80},
    {"width": 120, "force_terminal": True, "color_system": "truecolor"},  # the title and header in colour
    {"width": 30},  # columns squeezed to their padding: left to rich
])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_rows_written_at_the_sampled_widths_are_what_rich_prints(console_kwargs, seed, monkeypatch):
    rows = _random_rows(seed, 300)
    fell_back = []
    rich_print = long_table._print_with_rich
    monkeypatch.setattr(long_table, "_print_with_rich", lambda *args: fell_back.append(1) or rich_print(*args))
    laid_out = _printed(rows, console_kwargs, laid_out_from=0)
    assert bool(fell_back) == (console_kwargs["width"] < 60)  # else the rows were written by this module
    by_rich = _printed(rows, console_kwargs, laid_out_from=len(rows) + 1)
    assert laid_out == by_rich
    assert laid_out.count("\n") > len(rows)  # wrapped rows among them


def test_a_table_rich_would_draw_otherwise_is_left_to_rich():
    rows = _random_rows(4, 50)

    def with_lines() -> Table:
        table = _events_table(len(rows))
        table.show_lines = True  # a rule between rows: not a shape the row writer draws
        return table

    console = Console(file=io.StringIO(), width=120)
    long_table.print_rows(with_lines, rows, console, laid_out_from=0)
    expected = with_lines()
    for row in rows:
        expected.add_row(*map(Text, row))  # as the rows are given: text, never markup
    reference = Console(file=io.StringIO(), width=120)
    reference.print(expected)
    assert console.file.getvalue() == reference.file.getvalue()


def test_events_table_of_the_incident_is_rich_table_of_its_events():
    """1,684 events: the CLI writes them row by row; rich, given them all, prints the same bytes."""
    result = run_rca("events", str(INCIDENT / "logs.jsonl"))
    assert result.returncode == 0, result.stderr
    scrub = scrubber()
    events = sorted(iter_events([str(INCIDENT / "logs.jsonl")], ReadStats()), key=lambda e: (e.time is None, e.time or 0.0))
    assert len(events) >= long_table.LAID_OUT_FROM
    reference = Console(file=io.StringIO(), width=180, highlight=False)
    long_table._print_with_rich(_events_table(len(events)), [_event_row(event, scrub)[1] for event in events], reference)
    assert result.stdout.decode() == reference.file.getvalue()


def test_a_long_table_on_a_terminal_is_followed_by_how_to_narrow_it():
    import os
    import subprocess
    import sys

    from conftest import ROOT

    def stderr_of(*args: str, terminal: bool) -> str:
        env = dict(os.environ, FORCE_COLOR="1") if terminal else {k: v for k, v in os.environ.items()
                                                                   if k not in ("FORCE_COLOR", "TTY_COMPATIBLE")}
        return subprocess.run([sys.executable, "-m", "rca", "events", str(INCIDENT / "logs.jsonl"), *args], env=env,
                              capture_output=True, cwd=ROOT, timeout=300, check=True).stderr.decode()

    assert "rca: 1,684 events in the table above; --limit N shows the earliest N" in stderr_of(terminal=True)
    assert "--limit N" not in stderr_of(terminal=False)  # piped into a file or a pager: the title says it
    assert "--limit N" not in stderr_of("--limit", "5", terminal=True)
