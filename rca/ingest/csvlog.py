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

from rca.ingest.lines import MAX_LINE_BYTES, OVERLONG_REASON
from rca.ingest.logentry import read_entry
from rca.ingest.record import LogRecord
from rca.ingest.stats import ReadStats

PATH_PART = re.compile(r'"([^"]*)"|([^.]+)')
HEADER_HINTS = ("logName", "timestamp", "insertId", "textPayload", "severity", "resource.type")


def looks_like_csv(head: bytes) -> bool:
    first_line = head.split(b"\n", 1)[0].decode("utf-8", errors="replace")
    columns = {column.strip().strip("'\"") for column in first_line.split(",")}
    return "," in first_line and sum(hint in columns for hint in HEADER_HINTS) >= 2


def read_csv(stream, source: str, stats: ReadStats) -> Iterator[LogRecord]:
    # csv's cell limit is process-wide: raised for this read, and given back when it ends.
    previous = csv.field_size_limit(MAX_LINE_BYTES)
    try:
        yield from _read_csv(stream, source, stats)
    finally:
        csv.field_size_limit(previous)


def _read_csv(stream, source: str, stats: ReadStats) -> Iterator[LogRecord]:
    lines = _Lines(io.TextIOWrapper(stream, encoding="utf-8", errors="replace", newline=""), source, stats)
    reader = csv.reader(lines, strict=True)  # a quote that closes mid-cell is an error, not a cell swallowing rows
    try:
        while (header := next(reader)) and header[0].startswith("#"):  # a comment above the header
            stats.records += 1
            stats.skip("comment line", source, f"line {lines.number}")
    except (StopIteration, csv.Error):
        return
    paths = [_path(column) for column in header]
    position = 0
    while True:
        position += 1
        lines.taken.clear()
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            reason: str | None = f"broken CSV row ({error})"
        else:
            reason = None if len(row) == len(header) else "CSV row with the wrong number of cells"
        stats.records += 1
        if reason is None:
            record = read_entry(_unflatten(paths, row), source, position, stats, f"row {position}")
            if record is not None:
                yield record
            continue
        stats.skip(reason, source, f"row {position}")
        # A bad row that ran over several lines most likely holds a quote never closed, which swallowed
        # the lines after it: only its first line is lost, the others are read again.
        lines.read_again(lines.taken[1:])


class _Lines:
    """The physical lines that csv.reader parses, each bounded in length; the lines that the current
    row took are kept in `taken`, so that they can be given back to be read again."""

    def __init__(self, text, source: str, stats: ReadStats):
        self._readline = text.readline
        self._again: list[str] = []  # in reverse order: the next line to give is last
        self.taken: list[str] = []
        self.source, self.stats, self.number = source, stats, 0

    def __iter__(self):
        return self

    def __next__(self) -> str:
        line = self._again.pop() if self._again else self._read()
        self.taken.append(line)
        return line

    def read_again(self, lines: list[str]) -> None:
        self._again.extend(reversed(lines))

    def _read(self) -> str:
        while True:
            line = self._readline(MAX_LINE_BYTES)
            if not line:
                raise StopIteration
            self.number += 1
            if len(line) < MAX_LINE_BYTES or line.endswith(("\n", "\r")):
                return line
            while (rest := self._readline(MAX_LINE_BYTES)) and not rest.endswith(("\n", "\r")):
                pass  # drop the rest of an over-long line
            self.stats.records += 1
            self.stats.skip(OVERLONG_REASON, self.source, f"line {self.number}")


def _path(column: str) -> tuple[str, ...]:
    column = _unquote(column)
    return tuple(quoted or plain for quoted, plain in PATH_PART.findall(column))


def _unflatten(header: list[tuple[str, ...]], row: list[str]) -> dict:
    entry: dict = {}
    for path, cell in zip(header, row):
        if cell == "" or not path:  # an empty header (a trailing comma) names no field
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
