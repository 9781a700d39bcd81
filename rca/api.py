"""The public Python API: what a notebook or a script calls. The CLI is a thin layer over it."""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

from .events import ErrorEvent, events_from_records
from .ingest import iter_records
from .stats import ReadStats

if TYPE_CHECKING:
    import pandas

Inputs = str | os.PathLike | Iterable[str | os.PathLike]


def read_logs(inputs: Inputs, stats: ReadStats | None = None) -> "pandas.DataFrame":
    """Read log files (paths, globs, directories, `-`) into a DataFrame, one row per record.

    The columns are documented in the README. Records that could not be read are counted in
    `stats`: pass a `ReadStats` to inspect them; without one, a warning names any source that
    could not be read at all.
    """
    from .frame import records_frame  # pandas is imported only when a frame is wanted: it costs the CLI ~0.7 s

    own_stats = stats is None
    stats = ReadStats() if own_stats else stats
    frame = records_frame(iter_records(inputs, stats))
    if own_stats:
        _warn_about(stats)
    return frame


def iter_events(inputs: Inputs, stats: ReadStats | None = None) -> Iterator[ErrorEvent]:
    """Error events, with tracebacks stitched and parsed, streamed in the order their runs close.

    `stats` works as in `read_logs`."""
    own_stats = stats is None
    stats = ReadStats() if own_stats else stats
    yield from events_from_records(iter_records(inputs, stats, prefilter=True), stats)
    if own_stats:
        _warn_about(stats)


def read_events(inputs: Inputs, stats: ReadStats | None = None) -> list[ErrorEvent]:
    """All error events, in time order."""
    return sorted(iter_events(inputs, stats), key=lambda e: (e.time is None, e.time or 0.0))


def _warn_about(stats: ReadStats) -> None:
    for error in stats.errors:
        warnings.warn(f"rca: {error}", stacklevel=3)
