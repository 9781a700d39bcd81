"""Time, in one place: reading timestamps and moments, writing them, and the zones reports use.

Every reader and report asks these; they live at the bottom of the pipeline so that each stage
imports them from below. Epoch seconds (float, UTC) are the one representation in between.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, tzinfo
from functools import lru_cache
from typing import Any

# The epochs `datetime` can represent (years 1 to 9999).
MIN_EPOCH, MAX_EPOCH = -62135596800.0, 253402300799.0


def parse_timestamp(value: object) -> float | None:
    """RFC 3339 (up to 9 fractional digits, `Z` or an offset) to UTC epoch seconds; None if unreadable.
    Some writers send epoch numbers or a protobuf Timestamp ({"seconds", "nanos"}): those are read too."""
    if not value:
        return None
    if not isinstance(value, str):
        return _epoch(value)
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return _epoch(value) if value[:1].isdigit() and value.replace(".", "", 1).isdigit() else None
    if moment.tzinfo is None:  # text logs without a zone are taken as UTC, as Cloud Run writes them
        moment = moment.replace(tzinfo=UTC)
    try:
        return moment.timestamp()
    except (OverflowError, ValueError):  # year 1 or 9999 moved out of range by its offset
        return None


def _epoch(value: Any) -> float | None:
    """Epoch seconds from a number in seconds, milliseconds, microseconds or nanoseconds (told apart by
    size: any date after 1973 in seconds is below 10^11), or from {"seconds", "nanos"}; None otherwise."""
    try:
        if isinstance(value, dict):
            seconds = float(value.get("seconds") or 0) + float(value.get("nanos") or 0) / 1e9
        else:
            seconds = float(value)
    except (TypeError, ValueError, OverflowError):
        return None
    for _ in range(3):
        if abs(seconds) < 1e11:
            break
        seconds /= 1000.0
    return seconds if MIN_EPOCH <= seconds <= MAX_EPOCH else None  # False for NaN too


SPAN_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_moment(value) -> float | None:
    """A moment as epoch seconds: a time (`2025-09-12T14:00Z`, UTC when no zone is given), a span
    back from now (`90m`, `2h`, `1d`), a datetime, a pandas Timestamp, or epoch seconds."""
    if value is None:
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).timestamp()
    text = str(value).strip()
    if text[:-1].isdigit() and text[-1:] in SPAN_UNITS:
        return (datetime.now(UTC) - timedelta(seconds=int(text[:-1]) * SPAN_UNITS[text[-1]])).timestamp()
    moment = datetime.fromisoformat(text)  # ValueError names what it could not read
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()


@lru_cache(maxsize=1 << 10)  # an event writes its time, its last time and each record's: mostly one stamp
def format_timestamp(epoch: float | None) -> str | None:
    if epoch is None:
        return None
    return datetime.fromtimestamp(epoch, tz=UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def zone_of(tz: str | tzinfo | None) -> tzinfo:
    """A zone name (`"Europe/Paris"`), a tzinfo, or None / "UTC"."""
    if tz is None or (isinstance(tz, str) and tz.upper() in ("UTC", "Z", "")):
        return UTC
    if isinstance(tz, tzinfo):
        return tz
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"{tz!r} is not a time zone name such as Europe/Paris or UTC") from None


def zone_name(zone: tzinfo) -> str:
    return "UTC" if zone is UTC else str(getattr(zone, "key", zone))
