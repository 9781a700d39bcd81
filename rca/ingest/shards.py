"""Shards of a log sink told apart by their names, in a bucket or in a local copy of one.

A Cloud Storage sink writes each log's entries of one hour to `LOG_ID/YYYY/MM/DD/HH:00:00_HH:59:59_S<n>.json`,
in several shards (`S0`, `S1`, late arrivals in `A<n>`) that cover the same hour side by side: the
lines of one traceback that Cloud Run split one line per entry can land in two of them. The shards of
one log and hour are therefore one stream: they are read together, merged in time order, and
stitched as one (`stream_of` is the first part of `LogRecord.stitch_key`). Every other file is a
stream of its own.
"""

from __future__ import annotations

import heapq
import re
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # record.py asks this module for `stream_of`
    from rca.ingest.record import LogRecord

SINK_OBJECT = re.compile(r"(?:^|/)(\d{4})/(\d\d)/(\d\d)/(\d\d):00:00_\d\d:59:59_[SA]\d+\.json(?:\.gz)?$")


def sink_hour(name: str) -> tuple[str, float] | None:
    """(log id folder, the hour's start in epoch seconds) of an object or file named as a sink names
    its shards, else None. The log id is the folder just above the year: `stderr` for
    `run.googleapis.com/stderr/2025/…`, as the bucket listing groups them (`gcs.hour_groups`)."""
    match = SINK_OBJECT.search(name.replace("\\", "/"))
    if match is None:
        return None
    year, month, day, hour = map(int, match.groups())
    try:
        start = datetime(year, month, day, hour, tzinfo=UTC).timestamp()
    except ValueError:
        return None
    return name[: match.start()].replace("\\", "/").rsplit("/", 1)[-1], start


@lru_cache(maxsize=4096)
def stream_of(source: str) -> str:
    """What a record's source contributes to its stitch key: the log and hour for a sink's shard
    (its shards hold one stream between them), the source itself for anything else."""
    hour = sink_hour(source)
    return source if hour is None else f"sink shards of {hour[0]} at {hour[1]:.0f}"


def shard_groups(sources: Iterable[str]) -> list[tuple[str, ...]]:
    """The sources in the order given, the shards of one log and hour gathered into one group at the
    place of the first of them; every other source is a group of its own."""
    groups: dict[object, list[str]] = {}
    for source in sources:
        hour = sink_hour(source)
        groups.setdefault(source if hour is None else hour, []).append(source)
    return [tuple(group) for group in groups.values()]


def merged_in_time(streams: list[Iterator[LogRecord]]) -> Iterator[LogRecord]:
    """The records of several streams, merged by time: one record of each held at a time, so memory
    does not grow with the files. Streams in time order come out in time order; a record without a
    time keeps the place of the one before it, and ties go to the earlier stream, then file order."""
    if len(streams) == 1:
        yield from streams[0]
        return
    for *_, record in heapq.merge(*(_timed(stream, index) for index, stream in enumerate(streams))):
        yield record


def _timed(records: Iterator[LogRecord], index: int) -> Iterator[tuple[float, int, int, LogRecord]]:
    last = float("-inf")
    for order, record in enumerate(records):
        if record.time is not None:
            last = record.time
        yield last, index, order, record
