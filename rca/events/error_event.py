"""Error events: the stitched units that describe a failure. Everything else is context."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Generic, TypeVar, overload

from rca.events.runtimes import has_runtime_trace, parse_runtime_trace
from rca.events.stitch import stitch
from rca.events.tracebacks import Traceback, has_traceback, parse_traceback
from rca.ingest.record import ERROR_RANK, LogRecord
from rca.ingest.stats import ReadStats
from rca.ingest.times import format_timestamp

ERROR_STATUSES = frozenset({401, 403, 429})
# A 404 is the service's answer, not an error; but a route a deploy dropped answers 404 to every caller
# (issue 25), so the analysis reads 404s too (`answers=True`), decides on them, and reports only those.
ANSWER_STATUS = 404
# Platform messages that mean a process or instance failed, whatever severity they were logged at.
PLATFORM_FAILURES = re.compile(
    r"Container called exit\(|STARTUP (?:TCP|HTTP|GRPC) probe failed|(?:Liveness|Readiness|Startup) probe failed"
    r"|Worker failed to boot|WORKER TIMEOUT|Memory limit of \S+ exceeded|OOMKilled|Out of memory: Kill"
    r"|oom-kill|Back-off restarting failed container|Worker \(pid:\d+\) was sent SIGKILL"
    r"|\.service: Main process exited, code=(?:exited, status=[1-9]|killed|dumped)"  # systemd, at NOTICE
)
# Words of which every PLATFORM_FAILURES match holds one. Scanning a line for them is ~10x cheaper than
# the pattern's alternation at every position, and almost every line (a flood's healthy ones) has none.
_PLATFORM_WORDS = ("exit(", "probe failed", "Worker", "WORKER TIMEOUT", "Memory limit of", "OOMKilled",
                   "Out of memory", "oom-kill", "Back-off restarting", ".service: Main process exited")

T = TypeVar("T")


class _kept(Generic[T]):
    """`functools.cached_property` without its lock: Python 3.11's takes an RLock at each first read, and
    a flood's events each read six of these once (~40% of what they cost). The value goes into the
    instance's dict, which later reads find first; two threads reading at once work out the same value.
    The function is `func`, as cached_property names it."""

    def __init__(self, compute: Callable[[Any], T]) -> None:
        self.func = compute
        self.name = compute.__name__
        self.__doc__ = compute.__doc__

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @overload
    def __get__(self, instance: None, owner: type | None = None) -> _kept[T]: ...

    @overload
    def __get__(self, instance: object, owner: type | None = None) -> T: ...

    def __get__(self, instance: object | None, owner: type | None = None) -> T | _kept[T]:
        if instance is None:
            return self
        value = instance.__dict__[self.name] = self.func(instance)
        return value


@dataclass
class ErrorEvent:
    """One failure: the records it spans (in order), and its parsed traceback if it has one."""

    records: list[LogRecord]

    # Most of a flood's events are one record (a request, a log line, a traceback in one entry): text,
    # time, last_time and request read it without a generator, with the same result.
    @_kept
    def text(self) -> str:
        records = self.records
        return records[0].text if len(records) == 1 else "\n".join(record.text for record in records)

    @_kept
    def traceback(self) -> Traceback | None:
        """Python's traceback; else another runtime's stack trace (Java, Go, Node: rca.events.runtimes),
        read into the same shape so that rules and grouping treat it alike."""
        parsed = parse_traceback(self.text) if has_traceback(self.text) else None
        return parsed if parsed is not None else parse_runtime_trace(self.text)

    @property
    def first(self) -> LogRecord:
        return self.records[0]

    @property
    def kind(self) -> str:
        if self.traceback is not None:
            return "traceback"
        if any(_is_error_request(r) for r in self.records):
            return "request"
        if names_platform_failure(self.text):
            return "platform"
        return "log"

    @_kept  # asked for again and again while grouping: worked out once
    def time(self) -> float | None:
        records = self.records
        return records[0].time if len(records) == 1 else min((r.time for r in records if r.time is not None), default=None)

    @_kept  # grouping compares each event with its group's first and samples: worked out once
    def order(self) -> tuple:
        """Time (untimed last), then where the event was read: a total order, the same in any process."""
        first = self.records[0]
        return (self.time is None, self.time or 0.0, first.source, first.position)

    @_kept
    def last_time(self) -> float | None:
        records = self.records
        return records[0].time if len(records) == 1 else max((r.time for r in records if r.time is not None), default=None)

    @property
    def severity(self) -> str | None:
        return max(self.records, key=lambda r: r.severity_rank).severity

    @_kept
    def request(self) -> LogRecord | None:
        records = self.records
        if len(records) == 1:
            return records[0] if records[0].http_status is not None else None
        return next((r for r in records if r.http_status is not None), None)

    @property
    def message(self) -> str:
        """One line that names the failure: the final exception, or the first line of text."""
        if self.traceback is not None and self.traceback.last is not None:
            last = self.traceback.last
            first_line = last.message.split("\n", 1)[0]
            return f"{last.type}: {first_line}" if first_line else last.type
        request = self.request
        if request is not None and not request.text.strip():
            return f"{request.http_method} {request.http_url} {request.http_status}"
        return self.text.split("\n", 1)[0]

    def as_dict(self) -> dict:
        first, request = self.first, self.request
        return {
            "kind": self.kind,
            "time": format_timestamp(self.time),
            "last_time": format_timestamp(self.last_time),
            "severity": self.severity,
            "service": first.service,
            "revision": first.revision,
            "instance": first.instance,
            "resource_type": first.resource_type,
            "log_name": first.log_name,
            "message": self.message,
            "http": None if request is None else {
                "method": request.http_method, "url": request.http_url,
                "status": request.http_status, "latency_ms": request.http_latency_ms,
            },
            "trace": next((r.trace for r in self.records if r.trace), None),
            "traceback": None if self.traceback is None else self.traceback.as_dict(),
            "text": self.text,
            "records": [r.reference() for r in self.records],
        }


def is_error_unit(unit: list[LogRecord]) -> bool:
    if len(unit) > 1:
        return True  # only traceback blocks span several records
    record = unit[0]
    return (
        record.severity_rank >= ERROR_RANK
        or _is_error_request(record)
        or has_traceback(record.text)
        or names_platform_failure(record.text)
        or _is_runtime_trace(record.text)
    )


def names_platform_failure(text: str) -> bool:
    """A message that says a process or instance failed (PLATFORM_FAILURES)."""
    return any(word in text for word in _PLATFORM_WORDS) and PLATFORM_FAILURES.search(text) is not None


def _is_runtime_trace(text: str) -> bool:
    """A Java, Go or Node stack trace that arrived whole in one entry (a `textPayload`, a
    `jsonPayload.stack_trace`), whatever severity it was logged at: an uncaught error is one."""
    return has_runtime_trace(text) and parse_runtime_trace(text) is not None


def _is_error_request(record: LogRecord) -> bool:
    status = record.http_status
    return status is not None and (status >= 500 or status in ERROR_STATUSES)


def is_answer_unit(unit: list[LogRecord]) -> bool:
    """A request answered 404: read by the analysis (a dropped route), never counted as an error event."""
    return len(unit) == 1 and unit[0].http_status == ANSWER_STATUS


def events_from_records(records: Iterable[LogRecord], stats: ReadStats | None = None,
                        answers: bool = False) -> Iterator[ErrorEvent]:
    """The error events of the records; with `answers`, the 404 answers too (not counted in `stats`)."""
    for unit in stitch(records, stats):
        if is_error_unit(unit):
            if stats is not None:
                stats.events += 1
            yield ErrorEvent(unit)
        elif answers and is_answer_unit(unit):
            yield ErrorEvent(unit)
