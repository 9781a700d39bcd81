"""Events from loose text (a traceback or log excerpt pasted into an issue) and from rule examples."""

from __future__ import annotations

from rca.events.error_event import ErrorEvent
from rca.ingest.record import LogRecord, normalise_severity
from rca.ingest.textlog import parse_text_line

EXAMPLE_FIELDS = ("text", "http_status", "http_url", "http_method", "severity", "service", "log_name", "resource_type")
ASSERTIONS = ("fields", "explanation")  # what a rule example may assert about the match, beside the record


def event_from_text(text: str, source: str = "snippet") -> ErrorEvent:
    """The whole excerpt as one event: every line a record, parsed as a text log line."""
    lines = text.splitlines() or [""]
    return ErrorEvent([parse_text_line(line, source, number) for number, line in enumerate(lines, 1)])


def event_from_example(example) -> ErrorEvent:
    """A rule example: a string is an excerpt; a mapping describes one record (for request logs and the
    like), and may carry what the rule must capture and render (`fields`, `explanation`: not record fields)."""
    if isinstance(example, str):
        return event_from_text(example, "example")
    if not isinstance(example, dict):
        raise ValueError("an example is a string or a mapping of record fields")
    unknown = set(example) - set(EXAMPLE_FIELDS) - set(ASSERTIONS)
    if unknown:
        raise ValueError(f"unknown example field {sorted(unknown)[0]!r} (allowed: {', '.join(EXAMPLE_FIELDS)})")
    text = str(example.get("text", ""))
    if "\n" in text:
        event = event_from_text(text, "example")
        record = event.records[0]
    else:
        record = LogRecord(time=None, severity=None, text=text, source="example", position=1)
        event = ErrorEvent([record])
    for name in EXAMPLE_FIELDS[1:]:
        if name in example:
            value = example[name]
            setattr(record, name, normalise_severity(value) if name == "severity" else value)
    return event
