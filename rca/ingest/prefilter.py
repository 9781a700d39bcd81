"""Decide from an entry's raw bytes that it cannot matter, before paying to decode it.

Most entries in an export are healthy. An entry is passed over undecoded only when its severity
is plainly benign (INFO, DEBUG, NOTICE) and its shape rules out an error event:

- never a request log (`httpRequest`): the analysis counts every request, failing or not, so that
  a group's rate is measured per request of its service (docs/DESIGN.md "Trust");
- a structured payload with no escaped character: a traceback inside JSON always carries an
  escaped newline or quote (`\\n`, `File \\"`), so an entry with no backslash holds none;
- a `textPayload` line that is not part of a traceback: no `Traceback`, no frame, no indented
  code line, no exception or chain line (`...Error`, `...Exception`).

Entries with no severity are always decoded: Cloud Run gives the lines of a stderr traceback none,
and a line that could belong to a traceback is never dropped. Substring tests are far cheaper than
one regular expression here, and a one-byte test (`b"\\\\" in raw`) cheaper still, so the checks
are ordered to stop early on the common shapes.
"""

from __future__ import annotations

from collections.abc import Callable

ERROR_STATUS_PREFIXES = (b"5", b"401", b"403", b"429")
SPLIT_ENTRY_MIN_BYTES = 64 * 1024  # GCP only splits entries near the 256 KB limit
EXCEPTION_WORDS = (b"Traceback", b"rror", b"xception")
# Cloud Functions (1st gen) reports a failed execution only in a DEBUG line of its own.
Z = ord("Z")  # the zone of every stamp Cloud Logging writes
MICROSECONDS_IN_UTC = b'Z"'  # the end of `2025-09-12T14:20:03.123456Z"`, found 26 bytes after its start
FAILED_EXECUTION = (b"finished with status code: 5", b"finished with status: 'crash'", b"finished with status: 'timeout'",
                    b"finished with status: 'error'", b"finished with status: 'connection error'")


def stamp_in(raw: bytes, separator: bytes) -> bytes | None:
    """The entry's timestamp in UTC to the second (`2025-09-12T14:20:03`), found without decoding:
    enough to know the window an export covers when most entries are passed over. A stamp in `Z`
    (or with no zone, read as UTC as `times.parse_timestamp` reads it) is cut as it is; only one with
    an offset (`+02:00`, `-05:00`) pays for a conversion."""
    key = b'"timestamp"' + separator + b'"'
    at = raw.find(key)
    if at < 0:
        return None
    start = at + len(key)
    stamp = raw[start: start + 19]
    if len(stamp) != 19 or stamp[10:11] != b"T":
        return None
    if raw[start + 26: start + 28] == MICROSECONDS_IN_UTC:  # as Cloud Logging writes them: one slice
        return stamp
    close = raw.find(b'"', start + 19, start + 40)  # after up to 9 fractional digits and an offset
    if close < 0 or raw[close - 1] == Z:
        return stamp
    zone = raw[start + 19: close]
    if b"+" not in zone and b"-" not in zone:
        return stamp
    return utc_second(raw[start: close])


def utc_second(text: bytes) -> bytes | None:
    """An RFC 3339 stamp with an offset as UTC to the second; None if it is no time at all."""
    from datetime import UTC, datetime

    try:
        moment = datetime.fromisoformat(text.decode("ascii"))
    except (ValueError, UnicodeDecodeError):
        return None
    try:
        return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S").encode()
    except (OverflowError, ValueError):  # year 1 or 9999 moved out of range by its offset
        return None


def make_prefilter(separator: bytes) -> Callable[[bytes], bool]:
    """A `cannot_matter(raw)` test for JSON whose key-value separator is `separator` (b":" compact, b": " indented)."""
    info, debug, notice = (b'"severity"' + separator + b'"' + name + b'"' for name in (b"INFO", b"DEBUG", b"NOTICE"))
    payload_key = b'Payload"' + separator  # textPayload, jsonPayload, protoPayload: one scan finds any
    status_key = b'"status"' + separator
    request_key = b'"httpRequest"' + separator
    frame = b'File \\"'

    def cannot_matter(raw: bytes) -> bool:
        if info not in raw and debug not in raw and notice not in raw:
            return False
        if len(raw) > SPLIT_ENTRY_MIN_BYTES and b'"split"' in raw:
            return False  # its parts are joined before anything is decided
        if request_key in raw:
            return False  # every request counts: rates are per request (rca.analyze.mapping tallies them)
        at = raw.find(status_key)
        if at >= 0:
            value = raw[at + len(status_key): at + len(status_key) + 3]
            if not value[:1].isdigit() or value.startswith(ERROR_STATUS_PREFIXES):
                return False  # an error status, or protoPayload.status {...}
            if b"\\" not in raw:
                return True  # a healthy request log: written by the platform, no traceback inside
        payload = raw.find(payload_key)
        if payload < 0:
            return True  # a request log or a bare entry with a healthy status
        if b"\\" in raw and (frame in raw or b"Traceback" in raw):
            return False  # a traceback inside the payload
        if raw[payload - 5: payload] != b'"text':
            return True  # structured payloads are whole: no escaped text, no traceback
        first_char = raw[payload + len(payload_key) + 1: payload + len(payload_key) + 2]
        if first_char in (b" ", b"\\"):
            return False  # an indented line: maybe a traceback's code line
        return not any(word in raw for word in EXCEPTION_WORDS) and not any(f in raw for f in FAILED_EXECUTION)

    return cannot_matter


compact_cannot_matter = make_prefilter(b":")
indented_cannot_matter = make_prefilter(b": ")


def keeping_first_of_each_revision(cannot_matter: Callable[[bytes], bool], separator: bytes) -> Callable[[bytes], bool]:
    """A prefilter that also decodes the earliest entry of every revision (Cloud Run revision_name,
    App Engine version_id), so that deploys can be dated even when that entry is a healthy INFO line.

    "Earliest" by time, not by place in the file: `gcloud logging read` and Logs Explorer write the
    newest entry first, so an entry is decoded whenever its stamp (to the second) is not later than
    the earliest decoded for its revision; in a file oldest first that is the revision's first second.
    Entries of one shape hold the key at the same offset, so the offsets where it was last found
    are tried first (a constant-time `startswith`); only a miss pays for a scan."""
    keys = tuple(b'"' + name + b'"' + separator + b'"' for name in (b"revision_name", b"version_id"))
    recent: list[tuple[int, bytes]] = []  # (offset, key) where a key was found lately
    earliest: dict[bytes, bytes] = {}  # revision -> the stamp of its earliest entry decoded

    def locate(raw: bytes) -> int:
        for index, (offset, key) in enumerate(recent):
            if raw.startswith(key, offset):
                if index:  # most recently used first: the next line is likely of the same shape
                    recent.insert(0, recent.pop(index))
                return offset + len(key)
        for key in keys:
            offset = raw.find(key)
            if offset >= 0:
                recent.insert(0, (offset, key))
                del recent[4:]
                return offset + len(key)
        return -1

    def earliest_of_revision(raw: bytes) -> bool:
        start = locate(raw)
        if start < 0:
            return False
        revision = raw[start: raw.find(b'"', start, start + 256)]
        stamp = stamp_in(raw, separator) or b""
        known = earliest.get(revision)
        if known is not None and stamp > known:
            return False
        earliest[revision] = stamp
        return True

    return lambda raw: cannot_matter(raw) and not earliest_of_revision(raw)
