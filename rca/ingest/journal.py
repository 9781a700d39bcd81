"""A VM's journal and syslog: `journalctl` outputs (`short`, `short-precise`, `short-iso`,
`short-iso-precise`, `json`), RFC 3164 lines (with `<PRI>`, or without as in /var/log/syslog) and
RFC 5424 lines.

Each line's prefix gives the time, the host and the identifier[pid]: the identifier is the service and
`host/pid` the instance, so that the lines one process printed share a stitch key and a traceback
printed one line per journal entry stitches back whole, whatever other processes wrote between its
lines. The severity is the level word at the head of the message (Python logging's `ERROR`, nginx's
`[error]`) when it has one, else the syslog priority (`<PRI>`, `PRIORITY`): a service's stdout
reaches the journal at one priority whatever it logs.

Year-less stamps (`short`, RFC 3164) take their year from the file's context: a message in the first
64 KiB that carries a full date of the same month and day as its own prefix (an nginx or Python
logging line, an access line's `[10/Nov/2025:…]`) dates the file, and later stamps take the year that
puts them at or after it. Without one, they take the year that puts them at or before the moment the
file was last written (its modification time; now for stdin or a bucket). Either way a December
line next to a January one falls in the year before. `short` prints the host's local time without a
zone: it is read as UTC.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import orjson

from rca.ingest.lines import iter_lines
from rca.ingest.record import MALFORMED, LogRecord, level_in_text
from rca.ingest.stats import ReadStats
from rca.ingest.textlog import REQUEST_LINE, decode_line, parse_text_line
from rca.ingest.times import parse_timestamp
from rca.ingest.upstreams import Upstreams

# Syslog severities 0-7 (RFC 5424 section 6.2.1, journald's PRIORITY) as LogSeverity names.
SYSLOG_SEVERITIES = ("EMERGENCY", "ALERT", "CRITICAL", "ERROR", "WARNING", "NOTICE", "INFO", "DEBUG")
MONTHS = {name: number for number, name in enumerate("Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split(), 1)}
# `identifier[pid]: message` (the pid is optional, as for `kernel:`); one space after the colon, the
# rest of the message (a traceback's indentation too) kept as it is.
_TAG = r" (?P<host>\S+) (?P<ident>[^\s\[\]]+?)(?:\[(?P<pid>[^\]\s]*)\])?:(?: (?P<msg>.*))?$"
# journalctl `short`/`short-precise` and RFC 3164: `Nov 10 04:20:38[.123456]`, the day zero- or space-padded.
SHORT = re.compile(r"(?:<(?P<pri>\d{1,3})>)?(?P<month>" + "|".join(MONTHS) + r") (?P<day>[ \d]?\d) "
                   r"(?P<clock>\d\d:\d\d:\d\d(?:\.\d{1,9})?)" + _TAG)
# journalctl `short-iso`/`short-iso-precise`: `2025-11-10T04:20:38[.123456]+0000` (no colon in the offset).
ISO = re.compile(r"(?:<(?P<pri>\d{1,3})>)?(?P<stamp>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,9})?(?:Z|[+-]\d\d:?\d\d))" + _TAG)
# RFC 5424: `<PRI>VERSION TIMESTAMP HOSTNAME APP-NAME PROCID MSGID STRUCTURED-DATA [MSG]`, `-` for nil.
RFC5424 = re.compile(
    r"<(?P<pri>\d{1,3})>\d{1,2} (?P<stamp>\S+) (?P<host>\S+) (?P<ident>\S+) (?P<pid>\S+) \S+ "
    r"(?:-|(?:\[(?:[^\]\"\\]|\\.|\"(?:[^\"\\]|\\.)*\")*\])+)(?: (?:\ufeff)?(?P<msg>.*))?$"
)
PREFIXES = (RFC5424, ISO, SHORT)
# nginx's error log, as it sends it to syslog: `2025/11/10 04:20:41 [error] 1202#1202: *81 …`.
NGINX_LEVEL = re.compile(r"\d{4}/\d\d/\d\d \d\d:\d\d:\d\d \[(debug|info|notice|warn|error|crit|alert|emerg)\]")
NGINX_SEVERITIES = {"debug": "DEBUG", "info": "INFO", "notice": "NOTICE", "warn": "WARNING", "error": "ERROR",
                    "crit": "CRITICAL", "alert": "ALERT", "emerg": "EMERGENCY"}
# systemd's messages about a unit (`orders-api.service: Main process exited, …`) belong to that unit's service.
UNIT_MESSAGE = re.compile(r"(?:(?:Started|Starting|Stopping|Stopped|Reloading|Reloaded|Failed to start) )?"
                          r"(?P<unit>[\w@.:-]+)\.service(?:: | - |\.{0,3}$)")
# A full date in a message: ISO or nginx (`2025-11-10 `, `2025/11/10 `), or an access line's `[10/Nov/2025:`.
DATED = re.compile(r"(?P<year>(?:19|20)\d\d)[-/](?P<month>[01]\d)[-/](?P<day>[0-3]\d)[ T]"
                   r"|\[(?P<clf_day>[0-3]\d)/(?P<clf_month>" + "|".join(MONTHS) + r")/(?P<clf_year>(?:19|20)\d\d):")
SNIFF_LINES = 50
HEAD_BYTES = 1 << 16
YEAR_SLACK = timedelta(days=1)  # a host's local time may run ahead of the reference by its zone


def looks_like_journal(lines: list[bytes]) -> bool:
    """Most of the head's non-blank lines open with a journal or syslog prefix (a header line such as
    `-- Boot … --` or a wrapped message line may sit among them)."""
    texts = [line.decode("utf-8", errors="replace").rstrip("\r") for line in lines[:SNIFF_LINES]
             if line.strip() and not line[:1].isspace() and not line.startswith(b"-- ")]  # wrapped lines, markers
    matched = sum(1 for text in texts if _match(text) is not None)
    return matched > 0 and matched * 2 > len(texts)


def looks_like_journal_json(first_line: bytes) -> bool:
    """`journalctl -o json`: every entry carries `__REALTIME_TIMESTAMP`, a Cloud Logging entry never does."""
    return first_line.lstrip().startswith(b"{") and b'"__REALTIME_TIMESTAMP"' in first_line


def _match(line: str) -> re.Match | None:
    for pattern in PREFIXES:
        found = pattern.match(line)
        if found is not None:
            return found
    return None


class YearGuess:
    """The year of a year-less stamp: the earliest that puts it at or after the date the file's head
    gives (`anchor`), else the latest that puts it at or before the file's modification time."""

    def __init__(self, source: str, head: bytes = b""):
        self.anchor = _dated_head(head)
        self.reference = _written_at(source)

    def moment(self, month: int, day: int, clock: str) -> float | None:
        hours, minutes, seconds = clock.split(":")
        whole, _, fraction = seconds.partition(".")
        micros = int((fraction + "000000")[:6]) if fraction else 0
        anchor = self.anchor
        years = range(anchor.year, anchor.year + 5) if anchor else range(self.reference.year, self.reference.year - 5, -1)
        for year in years:
            try:
                moment = datetime(year, month, day, int(hours), int(minutes), int(whole), micros, tzinfo=UTC)
            except ValueError:  # 29 February of a year that has none, or a clock out of range
                continue
            fits = moment >= anchor - YEAR_SLACK if anchor else moment <= self.reference + YEAR_SLACK
            if fits:
                return moment.timestamp()
        return None


def _dated_head(head: bytes) -> datetime | None:
    """The first moment of the head whose year-less prefix a full date in its own message confirms."""
    for line in head.decode("utf-8", errors="replace").split("\n")[:-1]:
        prefix = SHORT.match(line)
        if prefix is None:
            continue
        month, day = MONTHS[prefix.group("month")], int(prefix.group("day"))
        for found in DATED.finditer(prefix.group("msg") or ""):
            year, their_month, their_day = _date_of(found)
            if (their_month, their_day) == (month, day):
                return datetime(year, month, day, tzinfo=UTC)
    return None


def _date_of(found: re.Match) -> tuple[int, int, int]:
    if found.group("clf_year"):
        return int(found.group("clf_year")), MONTHS[found.group("clf_month")], int(found.group("clf_day"))
    return int(found.group("year")), int(found.group("month")), int(found.group("day"))


def _written_at(source: str) -> datetime:
    try:
        return datetime.fromtimestamp(os.path.getmtime(source), tz=UTC)
    except (OSError, ValueError):  # stdin, a bucket's object, a file gone
        return datetime.fromtimestamp(time.time(), tz=UTC)


def parse_journal_line(line: str, source: str, position: int, years: YearGuess) -> LogRecord | None:
    """The record of one prefixed line, or None when the line has no journal or syslog prefix."""
    found = _match(line)
    if found is None:
        return None
    fields = found.groupdict()
    if fields.get("month"):
        stamp = years.moment(MONTHS[fields["month"]], int(fields["day"]), fields["clock"])
    else:
        stamp = None if fields["stamp"] == "-" else parse_timestamp(_rfc3339(fields["stamp"]))
    pid = fields["pid"] if fields["pid"] not in (None, "", "-") else None
    ident = fields["ident"] if fields["ident"] != "-" else None
    return prefixed_record(stamp, fields["host"], ident, pid, fields["msg"] or "", _priority(fields["pri"]),
                           source, position)


def prefixed_record(stamp: float | None, host: str | None, ident: str | None, pid: str | None, message: str,
                    priority: str | None, source: str, position: int) -> LogRecord:
    """A record whose service is the identifier and instance `host/pid`; the message is its text."""
    host = host if host not in (None, "-") else None
    service = ident
    unit = UNIT_MESSAGE.match(message) if ident == "systemd" else None
    if unit is not None:  # systemd telling of a unit: the unit's service, on this host
        service, pid = unit.group("unit"), None
    instance = f"{host}/{pid}" if host and pid else host or pid
    record = LogRecord(time=stamp, severity=message_level(message) or priority, text=message, source=source,
                       position=position, service=service, instance=instance)
    request = REQUEST_LINE.search(message)
    if request:  # an access log line (nginx's, uvicorn's) in the journal
        record.http_method, record.http_url, record.http_status = request.group(1), request.group(2), int(request.group(3))
    if host:
        record.extra["host"] = host
    return record


def message_level(message: str) -> str | None:
    nginx = NGINX_LEVEL.match(message)
    if nginx is not None:
        return NGINX_SEVERITIES[nginx.group(1)]
    return level_in_text(message)


def _priority(value: str | None) -> str | None:
    """The severity of a syslog PRI (facility × 8 + severity) or a journald PRIORITY (the severity alone)."""
    if value is None or not str(value).isdigit():
        return None
    return SYSLOG_SEVERITIES[int(value) % 8]


def _rfc3339(stamp: str) -> str:
    """`+0000` as `+00:00`: journalctl's ISO offsets have no colon (RFC 3339 wants one)."""
    if len(stamp) > 5 and stamp[-5] in "+-" and stamp[-4:].isdigit():
        return f"{stamp[:-2]}:{stamp[-2:]}"
    return stamp


def read_journal_text(stream, source: str, stats: ReadStats) -> Iterator[LogRecord]:
    """One record per prefixed line. A line without a prefix continues the record before it when it is
    indented past that record's prefix (journalctl's wrapping of a multi-line message), else it is a
    plain line (`-- Boot … --`). A record without a time (RFC 5424's `-`) takes the one before it."""
    years = YearGuess(source, stream.peek(HEAD_BYTES)[:HEAD_BYTES] if hasattr(stream, "peek") else b"")
    upstreams = Upstreams()
    previous: LogRecord | None = None
    width = 0  # the previous prefixed line's prefix, in characters
    for position, raw in iter_lines(stream, source, stats):
        stats.records += 1
        line = decode_line(raw, source, position, stats)
        if line is None:
            continue
        record = parse_journal_line(line, source, position, years)
        if record is None and previous is not None and width and len(line) > width and line[:width].isspace():
            previous.text += "\n" + line[width:]
            stats.records -= 1  # one entry, printed on several lines
            continue
        width = len(line) - len(record.text) if record is not None else 0
        record = record or parse_text_line(line, source, position)
        if previous is not None:
            record.time = record.time if record.time is not None else previous.time
            yield upstreams.tie(previous)
        previous = record
    if previous is not None:
        yield upstreams.tie(previous)


def read_journal_json(stream, source: str, stats: ReadStats) -> Iterator[LogRecord]:
    """`journalctl -o json`: one object per line, every value a string (µs since the epoch for the
    time); a binary MESSAGE comes as an array of bytes, a field set twice as an array of values."""
    upstreams = Upstreams()
    for position, raw in iter_lines(stream, source, stats):
        if not raw.strip():
            continue
        stats.records += 1
        try:
            entry = orjson.loads(raw)
            record = _json_record(entry, source, position)
        except orjson.JSONDecodeError:
            stats.skip("not a JSON object (journal JSON line)", source, position)
            continue
        except MALFORMED:
            stats.skip("journal entry with fields of the wrong type", source, position)
            continue
        if record is None:
            stats.skip("journal entry without __REALTIME_TIMESTAMP", source, position)
            continue
        yield upstreams.tie(record)


def _json_record(entry, source: str, position: int) -> LogRecord | None:
    if not isinstance(entry, dict) or "__REALTIME_TIMESTAMP" not in entry:
        return None
    micros = int(_value(entry["__REALTIME_TIMESTAMP"]))
    unit = _value(entry.get("_SYSTEMD_UNIT"))
    ident = _value(entry.get("SYSLOG_IDENTIFIER")) or _value(entry.get("_COMM")) or _unit_name(unit)
    pid = _value(entry.get("_PID")) or _value(entry.get("SYSLOG_PID"))
    message = _value(entry.get("MESSAGE"))
    record = prefixed_record(micros / 1e6, _value(entry.get("_HOSTNAME")), ident, pid, message,
                             _priority(_value(entry.get("PRIORITY"))), source, position)
    about = _unit_name(_value(entry.get("UNIT")))
    if ident == "systemd" and about:  # systemd's own message about a unit names it in UNIT
        record.service, record.instance = about, record.extra.get("host")
    if unit:
        record.extra["unit"] = unit
    return record


def _value(field) -> str:
    """A journal field's text: a string as it is, an array of bytes decoded (invalid UTF-8 replaced),
    the first of several values; None (a value too large for journalctl to print) as ''."""
    if field is None:
        return ""
    if isinstance(field, str):
        return field
    if isinstance(field, list) and field and all(isinstance(b, int) for b in field):
        return bytes(field).decode("utf-8", errors="replace")
    if isinstance(field, list) and field:
        return _value(field[0])
    if isinstance(field, (int, float)):
        return str(field)
    raise TypeError(f"a journal field of type {type(field).__name__}")


def _unit_name(unit: str) -> str | None:
    return unit.removesuffix(".service") if unit else None
