"""Reading lines with a bound on their length, so that one huge line cannot exhaust memory."""

from __future__ import annotations

from collections.abc import Iterator

from ..stats import ReadStats

# A LogEntry is at most 256 KB; escaped as JSON it can roughly double. Anything past this is not a log line.
MAX_LINE_BYTES = 4 * 1024 * 1024
CHUNK = 1 << 20


def iter_lines(stream, source: str, stats: ReadStats) -> Iterator[tuple[int, bytes]]:
    """(1-based line number, line bytes) for each line; over-long lines are skipped and counted."""
    position = 0
    readline = stream.readline
    while True:
        line = readline(MAX_LINE_BYTES)
        if not line:
            return
        position += 1
        if len(line) == MAX_LINE_BYTES and not line.endswith(b"\n"):
            _discard_rest_of_line(stream)
            stats.skip(f"line longer than {MAX_LINE_BYTES // (1024 * 1024)} MiB", source, position)
            continue
        yield position, line


def _discard_rest_of_line(stream) -> None:
    while True:
        chunk = stream.readline(CHUNK)
        if not chunk or chunk.endswith(b"\n"):
            return
