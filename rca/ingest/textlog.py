"""Plain-text service logs: Python logging, uvicorn, gunicorn, kubectl logs, pasted tracebacks."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime

import orjson

from rca.ingest.lines import iter_lines
from rca.ingest.logentry import LEVEL_KEYS, first_of, json_payload_text
from rca.ingest.record import MALFORMED, LogRecord, level_in_text, normalise_severity
from rca.ingest.stats import ReadStats
from rca.ingest.times import parse_timestamp

# `kubectl logs --timestamps` puts an RFC 3339 stamp with nanoseconds before every line.
KUBECTL_STAMP = re.compile(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)) ")
# ISO-like stamps at the start of a line, optionally in brackets: Python logging, gunicorn, Flask.
LEADING_STAMP = re.compile(
    r"\[?(\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d(?:[.,]\d+)?)(?: ?(Z|[+-]\d\d:?\d\d|UTC))?\]?"
)
# Common Log Format stamps inside access lines: [12/Sep/2025:14:03:21 +0000]
CLF_STAMP = re.compile(r"\[(\d\d/[A-Z][a-z]{2}/\d{4}:\d\d:\d\d:\d\d [+-]\d{4})\]")
REQUEST_LINE = re.compile(r'"([A-Z]{3,7}) (\S+) HTTP/[\d.]+" (\d{3})\b')
# How rca itself renders a request log with no payload: `GET https://host/path 503`.
BARE_REQUEST = re.compile(r"^([A-Z]{3,7}) (\S+) (\d{3})$")


def read_text(stream, source: str, stats: ReadStats) -> Iterator[LogRecord]:
    """One record per line; a line without a timestamp inherits the one before it (or after, at the top)."""
    return text_records(iter_lines(stream, source, stats), source, stats)


def text_records(lines: Iterable[tuple[int, bytes]], source: str, stats: ReadStats) -> Iterator[LogRecord]:
    """The records of (line number, bytes) pairs in file order: all of a file's lines, or those the
    engine hands over (textengine.py), which include the line before and after each it keeps."""
    last_time: float | None = None
    waiting: list[LogRecord] = []  # leading lines with no timestamp yet
    for position, raw in lines:
        stats.records += 1
        line = decode_line(raw, source, position, stats)
        if line is None:
            continue
        record = parse_text_line(line, source, position)
        if record.time is None:
            record.time = last_time
        else:
            last_time = record.time
        if last_time is None:
            waiting.append(record)
            continue
        for earlier in waiting:
            earlier.time = last_time
        yield from waiting
        waiting.clear()
        yield record
    yield from waiting


def parse_text_line(line: str, source: str, position: int) -> LogRecord:
    time = None
    rest = line
    stamp = KUBECTL_STAMP.match(line)
    if stamp:
        time, rest = parse_timestamp(stamp.group(1)), line[stamp.end():]
    leading = LEADING_STAMP.match(rest)
    if leading:
        time = time or _leading_time(leading)
        prefix_start = leading.end()
    else:
        prefix_start = 0
        clf = CLF_STAMP.search(rest, 0, 120)
        if clf and time is None:
            time = _clf_time(clf.group(1))
    structured = _json_line(rest)
    if structured is not None:  # a JSON-logging app: read the line as Cloud Logging reads a jsonPayload
        try:
            return _structured_record(structured, time, source, position)
        except MALFORMED:
            pass  # too deep or too odd to read as fields (orjson shows 255 levels): still a line of text
    record = LogRecord(time=time, severity=level_in_text(rest, prefix_start), text=rest, source=source,
                       position=position)
    request = REQUEST_LINE.search(rest) or BARE_REQUEST.match(rest)
    if request:
        record.http_method, record.http_url, record.http_status = request.group(1), request.group(2), int(request.group(3))
    return record


def _json_line(text: str) -> dict | None:
    if not (text.startswith("{") and text.rstrip().endswith("}")):
        return None
    try:
        value = orjson.loads(text)
    except orjson.JSONDecodeError:
        return None
    return value if isinstance(value, dict) else None


def _structured_record(payload: dict, time: float | None, source: str, position: int) -> LogRecord:
    stamp = first_of(payload, ("timestamp", "time", "ts", "@timestamp", "asctime"))
    return LogRecord(time=parse_timestamp(stamp) if stamp else time,
                     severity=normalise_severity(first_of(payload, LEVEL_KEYS)),
                     text=json_payload_text(payload), source=source, position=position)



def _leading_time(match: re.Match) -> float | None:
    stamp, zone = match.group(1).replace(",", "."), match.group(2)
    if zone and zone != "UTC":
        stamp += zone if ":" in zone or zone == "Z" else f"{zone[:3]}:{zone[3:]}"
    return parse_timestamp(stamp)


def _clf_time(text: str) -> float | None:
    try:
        return datetime.strptime(text, "%d/%b/%Y:%H:%M:%S %z").astimezone(UTC).timestamp()
    except ValueError:
        return None


def decode_line(raw: bytes, source: str, position: int, stats: ReadStats) -> str | None:
    """Text of one line; binary junk is skipped and counted, invalid UTF-8 is repaired and counted."""
    if b"\x00" in raw or control_share(raw) > 0.1:
        stats.skip("binary data in a text log", source, position)
        return None
    try:
        return raw.decode("utf-8").rstrip("\r\n")
    except UnicodeDecodeError:
        stats.note("invalid UTF-8 replaced", source, position)
        return raw.decode("utf-8", errors="replace").rstrip("\r\n")


def control_share(raw: bytes) -> float:
    if not raw:
        return 0.0
    controls = sum(1 for b in raw[:512] if b < 32 and b not in (9, 10, 13, 27))
    return controls / min(len(raw), 512)
