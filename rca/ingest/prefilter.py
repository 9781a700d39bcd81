"""Decide from an entry's raw bytes that it cannot matter, before paying to decode it.

Most entries in an export are healthy. An entry can be passed over undecoded only when its
severity is plainly benign, nothing in it hints at an error, and its HTTP status (if any) is not
one that makes an error event. Entries with no severity are always decoded: Cloud Run gives the
lines of a stderr traceback none, and a line that could belong to a traceback is never dropped.
"""

from __future__ import annotations

BENIGN_SEVERITIES = tuple(
    template % name
    for name in (b"INFO", b"DEBUG", b"NOTICE")
    for template in (b'"severity":"%s"', b'"severity": "%s"')
)
# Substrings that make an entry worth decoding whatever its severity says (Cloud Build logs
# everything at INFO, errors included). Plain substring tests: far cheaper than one regex.
ALARM_WORDS = (
    b"rror", b"RROR", b"xception", b"Traceback", b"File \\\"", b"atal", b"FATAL", b"exit(",
    b"probe", b"emory", b"TIMEOUT", b"boot", b"Killed", b"denied", b"DENIED", b"orbidden",
    b"uthenticat", b'"split"',
)
ERROR_STATUS_PREFIXES = (b"5", b"401", b"403", b"429")


def cannot_matter(raw: bytes) -> bool:
    """True when the entry is certainly not part of an error event (so it need not be decoded)."""
    if not any(benign in raw for benign in BENIGN_SEVERITIES):
        return False
    for word in ALARM_WORDS:
        if word in raw:
            return False
    at = raw.find(b'"status":')
    if at >= 0:
        value = raw[at + 9: at + 14].lstrip()
        if not value[:1].isdigit() or value.startswith(ERROR_STATUS_PREFIXES):
            return False  # an error status, or protoPayload.status {...}: decode it
    return True
