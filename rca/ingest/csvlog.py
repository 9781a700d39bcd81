"""Logs Explorer CSV downloads: one column per dotted path of the LogEntry.

Headers and cells may start with a literal `'` (Logs Explorer's guard against spreadsheet
formulas) that is not part of the value; quoted label keys appear as `labels."run.googleapis.com/x"`.
Each row is turned back into a nested LogEntry and read like any other.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator

from ..record import LogRecord
from ..stats import ReadStats
from .lines import MAX_LINE_BYTES
from .logentry import entry_to_record

PATH_PART = re.compile(r'"([^"]*)"|([^.]+)')
HEADER_HINTS = ("logName", "timestamp", "insertId", "textPayload", "severity", "resource.type")


def looks_like_csv(head: bytes) -> bool:
    first_line = head.split(b"\n", 1)[0].decode("utf-8", errors="replace")
    columns = {column.strip().strip("'\"") for column in first_line.split(",")}
    return "," in first_line and sum(hint in columns for hint in HEADER_HINTS) >= 2


def read_csv(stream, source: str, stats: ReadStats) -> Iterator[LogRecord]:
    csv.field_size_limit(MAX_LINE_BYTES)
    text = io.TextIOWrapper(stream, encoding="utf-8", errors="replace", newline="")
    reader = csv.reader(text)
    try:
        header = [_path(column) for column in next(reader)]
    except (StopIteration, csv.Error):
        return
    position = 0
    while True:
        position += 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            stats.records += 1
            stats.skip(f"broken CSV row ({error})", source, f"row {position}")
            continue
        stats.records += 1
        if len(row) != len(header):
            stats.skip("CSV row with the wrong number of cells", source, f"row {position}")
            continue
        yield entry_to_record(_unflatten(header, row), source, position)


def _path(column: str) -> tuple[str, ...]:
    column = _unquote(column)
    return tuple(quoted or plain for quoted, plain in PATH_PART.findall(column))


def _unflatten(header: list[tuple[str, ...]], row: list[str]) -> dict:
    entry: dict = {}
    for path, cell in zip(header, row):
        if cell == "":
            continue
        node = entry
        for key in path[:-1]:
            child = node.get(key)
            if not isinstance(child, dict):
                child = node[key] = {}
            node = child
        node[path[-1]] = _unquote(cell)
    return entry


def _unquote(cell: str) -> str:
    return cell[1:] if cell.startswith("'") else cell
