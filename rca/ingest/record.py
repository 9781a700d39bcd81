"""The unit every reader produces: one log record, whatever the source format."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, fields

from rca.ingest.shards import stream_of
from rca.ingest.times import format_timestamp

# Cloud Logging's LogSeverity names, in order; text logs map onto them.
SEVERITIES = ("DEFAULT", "DEBUG", "INFO", "NOTICE", "WARNING", "ERROR", "CRITICAL", "ALERT", "EMERGENCY")
SEVERITY_RANK = {name: rank for rank, name in enumerate(SEVERITIES)}
ERROR_RANK = SEVERITY_RANK["ERROR"]

# Level words that text logs use, mapped to Cloud Logging names.
LEVEL_ALIASES = {
    "TRACE": "DEBUG", "DEBUG": "DEBUG", "INFO": "INFO", "NOTICE": "NOTICE",
    "WARN": "WARNING", "WARNING": "WARNING", "ERROR": "ERROR", "ERR": "ERROR",
    "CRITICAL": "CRITICAL", "CRIT": "CRITICAL", "FATAL": "CRITICAL",
    "ALERT": "ALERT", "EMERGENCY": "EMERGENCY",
}


def normalise_severity(value: object) -> str | None:
    """Map a severity name or number (as the Logging API may send it) to its LogSeverity name."""
    if value is None or value == "":
        return None
    if isinstance(value, (int, float)):
        # LogSeverity numbers are multiples of 100: DEBUG=100 ... EMERGENCY=800 (NaN and 10^30 are neither).
        if not 0 <= value < 100 * len(SEVERITIES):
            return None
        return SEVERITIES[int(value) // 100]
    name = LEVEL_ALIASES.get(str(value).strip().upper())
    return name or (str(value).upper() if str(value).upper() in SEVERITY_RANK else None)


# Errors that a value of the wrong type or size can raise while a record is built from it: a reader
# that meets one counts the entry as skipped instead of stopping the run.
MALFORMED = (TypeError, ValueError, AttributeError, OverflowError, RecursionError)
@dataclass(slots=True)
class LogRecord:
    """One log record. `source` and `position` say where it came from, so reports can cite it."""

    time: float | None  # UTC epoch seconds
    severity: str | None
    text: str
    source: str
    position: int  # 1-based line number (text, JSON lines) or entry index (arrays, CSV, live pulls)
    service: str | None = None
    revision: str | None = None
    instance: str | None = None
    resource_type: str | None = None
    log_name: str | None = None
    http_method: str | None = None
    http_url: str | None = None
    http_status: int | None = None
    http_latency_ms: float | None = None
    trace: str | None = None
    insert_id: str | None = None
    parts: int = 1  # >1 when GCP split the entry and the parts were joined back
    extra: dict = field(default_factory=dict)  # reader-specific details worth keeping (e.g. audit status)

    def __reduce__(self):
        """Pickled as its values alone, not a dict of its 18 field names each time: partials carry
        tens of thousands of records between processes. (On the class, not registered with copyreg,
        so that importing rca changes nothing global.)"""
        return LogRecord, tuple(getattr(self, name) for name in _FIELD_NAMES)

    @property
    def timestamp(self) -> str | None:
        return format_timestamp(self.time)

    @property
    def severity_rank(self) -> int:
        return SEVERITY_RANK.get(self.severity or "DEFAULT", 0)

    @property
    def stitch_key(self) -> tuple:
        """Lines that one process printed share this key; tracebacks are stitched within it. The
        shards of a log sink's hour share one stream (`shards.stream_of`): a traceback crosses them."""
        return (stream_of(self.source), self.service, self.revision, self.instance, self.log_name)

    def reference(self) -> dict:
        """Where this record lives: enough to find it again in the file or in Logs Explorer."""
        ref = {"source": self.source, "position": self.position, "timestamp": self.timestamp}
        if self.insert_id:
            ref["insert_id"] = self.insert_id
        return ref


# The level word in a text line's prefix: `ERROR:root:`, `[ERROR]`, `- ERROR -`.
LEVEL_WORD = re.compile(r"(?<![\w-])(" + "|".join(sorted(LEVEL_ALIASES, key=len, reverse=True)) + r")(?![\w-])")
LEVEL_SEARCH_SPAN = 64  # a level word after this many characters is part of the message, not the prefix
# How a new record opens: a leading stamp, or a level word first (`INFO:`, `[ERROR]`, `WARNING app`).
LOG_PREFIX = re.compile(
    r"\[?\d{4}-\d\d-\d\d[ T]\d\d:\d\d|\[?(?:" + "|".join(sorted(LEVEL_ALIASES, key=len, reverse=True)) + r")\]?(?::|\s|$)"
)


_FIELD_NAMES = tuple(f.name for f in fields(LogRecord))


def has_log_prefix(line: str) -> bool:
    """The line opens a log record of its own (it cannot be the continuation of a message)."""
    return LOG_PREFIX.match(line) is not None


def level_in_text(text: str, start: int = 0) -> str | None:
    """The level word in a line's prefix (`ERROR:root:`, `[ERROR]`, `- ERROR -`), as a LogSeverity name.
    Indented lines are traceback or message continuations: they name no level."""
    if not text or text[0].isspace():
        return None
    level = LEVEL_WORD.search(text, start, start + LEVEL_SEARCH_SPAN)
    return LEVEL_ALIASES[level.group(1)] if level else None
