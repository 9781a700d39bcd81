"""Following live Cloud Logging: `entries.list` polled with a moving lower bound.

The Logging API's own tail stream (`tail_log_entries`) is gRPC only, and gRPC cannot reach a plain
local server (docs/GCP-NOTES.md), so `rca watch` polls instead: each poll asks for the entries at or
after the newest timestamp seen, less `LAG_SECONDS` for entries that reach the API late, and drops
those it already had by (logName, insertId). An entry that arrives later than that lag is missed.

The clock is a parameter: `Clock` is real time, `ReplayClock` replays a scenario faster than real
time (the tests' local server and `rca watch` then agree on what "now" is, through RCA_WATCH_CLOCK).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

from rca.errors import RcaError
from rca.ingest.live import PullError, pull_entries
from rca.ingest.times import parse_moment, parse_timestamp

CLOCK_VARIABLE = "RCA_WATCH_CLOCK"
LAG_SECONDS = 60.0  # how late an entry may reach the API and still be read
FIRST_BACKOFF = 5.0  # seconds before asking again after a lost connection, doubled up to MAX_BACKOFF
MAX_BACKOFF = 300.0


class Clock:
    """Real time."""

    def now(self) -> float:
        return time.time()

    def sleep(self, seconds: float) -> None:
        time.sleep(max(0.0, seconds))


class ReplayClock(Clock):
    """Time that read `start` at the real moment `anchor` and runs `speed` times faster than real time."""

    def __init__(self, start: float, anchor: float, speed: float = 1.0):
        if speed <= 0:
            raise ValueError("a replay clock's speed must be positive")
        self.start, self.anchor, self.speed = start, anchor, speed

    def now(self) -> float:
        return self.start + (time.time() - self.anchor) * self.speed

    def sleep(self, seconds: float) -> None:
        time.sleep(max(0.0, seconds) / self.speed)

    def setting(self) -> str:
        """The value of RCA_WATCH_CLOCK that gives another process this clock."""
        return f"{self.start!r},{self.anchor!r},{self.speed!r}"


def clock_from(setting: str | None) -> Clock:
    """Real time, or the replay clock RCA_WATCH_CLOCK describes: `START,ANCHOR,SPEED` (START a time or
    epoch seconds, ANCHOR the real epoch at which the clock read START)."""
    if not setting:
        return Clock()
    try:
        start, anchor, speed = setting.split(",")
        return ReplayClock(_moment(start), float(anchor), float(speed))
    except ValueError:
        raise RcaError(f"{CLOCK_VARIABLE}={setting!r}: expected START,ANCHOR,SPEED (e.g. 2025-09-12T14:00Z,1757685600,60)") from None


def _moment(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        moment = parse_moment(text.strip())
    if moment is None:
        raise ValueError(text)
    return moment


class Follower:
    """Entries of one query, oldest first: `read(since)` the window, then `poll()` what came since.

    `query(lower_bound)` builds the Logging filter for entries at or after a moment. Lost connections
    (and 429/5xx after the pull's own retries) are retried with back-off, each retry told to
    `on_retry(message, seconds)`; any other failure (a permission refused, a bad filter) is raised
    as a PullError. The first read is never retried: an endpoint unreachable from the start is a
    mistake to report, not an outage to wait out."""

    def __init__(self, project: str, query: Callable[[float], str], *, endpoint: str | None = None,
                 clock: Clock | None = None, page_size: int = 1000, lag: float = LAG_SECONDS,
                 on_retry: Callable[[str, float], None] | None = None, timeout: float | None = None):
        self.project, self.query, self.endpoint = project, query, endpoint
        self.timeout = timeout  # each request's wait for the server (rca.ingest.live.pull_entries); None: its default
        self.clock = clock or Clock()
        self.page_size, self.lag = page_size, lag
        self.on_retry = on_retry
        self.bound: float | None = None
        self.newest: float | None = None
        self.seen: dict[tuple, float] = {}  # (logName, insertId) -> timestamp, for entries at or after the bound

    def read(self, since: float) -> Iterator[dict]:
        """Every entry from `since` on."""
        self.bound = since
        yield from self._fetch()

    def poll(self) -> list[dict]:
        """The entries not seen before, from the moving lower bound on; retried until it works."""
        delay = FIRST_BACKOFF
        while True:
            try:
                return list(self._fetch())
            except PullError as error:
                if not error.transient:
                    raise
                if self.on_retry:
                    self.on_retry(str(error), delay)
                self.clock.sleep(delay)
                delay = min(MAX_BACKOFF, delay * 2)

    def _fetch(self) -> Iterator[dict]:
        assert self.bound is not None, "read(since) first"
        query = self.query(self.bound)
        for entry in pull_entries(self.project, query, page_size=self.page_size, endpoint=self.endpoint,
                                  sleep=self.clock.sleep, timeout=self.timeout):
            stamp = parse_timestamp(entry.get("timestamp")) if isinstance(entry, dict) else None
            key = (entry.get("logName"), entry.get("insertId")) if isinstance(entry, dict) else None
            if key is not None and key[1] is not None:
                if key in self.seen:
                    continue
                self.seen[key] = stamp if stamp is not None else self.bound
            if stamp is not None and (self.newest is None or stamp > self.newest):
                self.newest = stamp
            yield entry
        self._move_bound()

    def _move_bound(self) -> None:
        """The next lower bound: the newest entry less the lag (never back); keys older than it are let go."""
        if self.newest is None or self.bound is None:
            return
        self.bound = max(self.bound, self.newest - self.lag)
        bound = self.bound
        self.seen = {key: stamp for key, stamp in self.seen.items() if stamp >= bound}
