"""A small local server that speaks the Cloud Logging v2 REST API, for tests and benchmarks.

It answers `POST /v2/entries:list` (`resourceNames`, `filter`, `orderBy`, `pageSize`, `pageToken`)
with `{"entries": [...], "nextPageToken": ...}` from the LogEntries it is given, and Google-style
error bodies when told to fail. Of the query language it understands what rca sends: the
`timestamp` bounds, the service (`resource.labels.service_name="..." OR resource.labels.module_id=…`:
any of the labels rca names a service by), and rca's scopes (warnings and errors, failed
requests, the logs the query's `log_id(...)` clauses name; every request when the query asks for them);
other clauses are recorded but not applied.

Given a `clock` (rca.ingest.follow.ReplayClock), it replays: an entry is served only once the clock
has passed its timestamp, so that entries arrive as replayed time goes by (`rca watch` is given the
same clock through RCA_WATCH_CLOCK). `shifted` moves a scenario's timestamps to start where wanted.
"""

from __future__ import annotations

import bisect
import json
import re
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler
from urllib.parse import quote

from local_server import LocalServer

from rca.ingest.logentry import SERVICE_LABELS

SEVERITY_RANK = {"DEFAULT": 0, "DEBUG": 100, "INFO": 200, "NOTICE": 300, "WARNING": 400, "ERROR": 500,
                 "CRITICAL": 600, "ALERT": 700, "EMERGENCY": 800}
STATUS_NAMES = {400: "INVALID_ARGUMENT", 403: "PERMISSION_DENIED", 404: "NOT_FOUND", 429: "RESOURCE_EXHAUSTED",
                500: "INTERNAL", 503: "UNAVAILABLE"}


class LoggingServer(LocalServer):
    def __init__(self, entries: list[dict], clock=None):
        self.entries = sorted(entries, key=lambda e: _normal(e.get("timestamp", "")))
        self._stamps = [_normal(e.get("timestamp", "")) for e in self.entries]  # sorted: bounds found by bisection
        self.clock = clock  # replaying: an entry is served once the clock has passed its timestamp
        self.requests: list[dict] = []
        self.failures: list[tuple[int, str]] = []  # answered, in order, before any real page
        self.fail_after_pages: int | None = None  # then fail every request once this many pages were served
        self.silent_after_pages: int | None = None  # then answer no request once this many pages were served
        self.pages_served = 0
        self._selections: dict[str, list[dict]] = {}
        super().__init__(type("Handler", (_Handler,), {"logging_server": self}))

    @property
    def endpoint(self) -> str:
        return self.address

    def select(self, query: str) -> list[dict]:
        """The entries the query selects, worked out once per query (paging asks the same one again).
        Replaying, the entries the clock has reached: later pages' offsets hold, as entries only join at the end."""
        if self.clock is not None:
            now = _normal(datetime.fromtimestamp(self.clock.now(), UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"))
            return self._select(query, bisect.bisect_right(self._stamps, now))
        if query not in self._selections:
            self._selections[query] = self._select(query)
        return self._selections[query]

    def _select(self, query: str, visible: int | None = None) -> list[dict]:
        low = re.search(r'timestamp>="([^"]+)"', query)
        high = re.search(r'timestamp<"([^"]+)"', query)
        service = re.search(r'resource\.labels\.service_name="([^"]+)"', query)
        scoped = "severity>=WARNING OR httpRequest.status>=400" in query
        requests_too = "httpRequest.status>0" in query  # rca's analysis scope: every request too
        logs = named_logs(query)  # the logs this query names, so that a log the scope drops is not served
        chosen = []
        first = bisect.bisect_left(self._stamps, _normal(low.group(1))) if low else 0
        last = len(self.entries) if visible is None else visible
        for entry, stamp in zip(self.entries[first:last], self._stamps[first:last]):
            if low and stamp < _normal(low.group(1)) or high and stamp >= _normal(high.group(1)):
                continue
            labels = entry.get("resource", {}).get("labels", {})
            if service and service.group(1) not in (labels.get(label) for label in SERVICE_LABELS):
                continue
            if scoped and not (_in_scope(entry, logs) or requests_too and "httpRequest" in entry):
                continue
            chosen.append(entry)
        return chosen


def shifted(entries: list[dict], seconds: float) -> list[dict]:
    """Copies of the entries with their timestamps moved by `seconds`."""
    moved = []
    for entry in entries:
        copy = dict(entry)
        for key in ("timestamp", "receiveTimestamp"):
            if key in copy:
                stamp = datetime.fromisoformat(copy[key].replace("Z", "+00:00")) + timedelta(seconds=seconds)
                copy[key] = stamp.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        moved.append(copy)
    return moved


def _normal(stamp: str) -> str:
    """RFC 3339 to a sortable form with nine fractional digits."""
    match = re.match(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?Z", stamp)
    return f"{match.group(1)}.{(match.group(2) or '').ljust(9, '0')}" if match else stamp


def _in_scope(entry: dict, logs: tuple[str, ...] | None = None) -> bool:
    """Whether a scoped query selects the entry; `logs`: the endings of the logs it names (by default, those of
    rca watch's scope)."""
    if logs is None:
        from rca.ingest.live import FAILURE_SCOPE

        logs = named_logs(FAILURE_SCOPE)
    if SEVERITY_RANK.get(entry.get("severity", "DEFAULT"), 0) >= 400:
        return True
    if int(entry.get("httpRequest", {}).get("status", 0) or 0) >= 400:
        return True
    log = entry.get("logName", "")
    return log.endswith(logs)


LOG_ID = re.compile(r'log_id\("([^"]+)"\)')


def named_logs(query: str) -> tuple[str, ...]:
    """The logs a query's `log_id(...)` clauses name, as a LogEntry's logName ends (`/logs/`, then the id
    URL-encoded): read from the query, not listed here, so that a test of a scope fails when the scope drops a log."""
    return tuple("/logs/" + quote(log, safe="") for log in LOG_ID.findall(query))


class _Handler(BaseHTTPRequestHandler):
    logging_server: LoggingServer

    def log_message(self, *args):  # keep test output quiet
        pass

    def do_POST(self):
        server = self.logging_server
        if not self.path.startswith("/v2/entries:list"):
            return self._error(404, f"no such method: {self.path}")
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
        server.requests.append(body)
        if server.failures:
            return self._error(*server.failures.pop(0))
        if server.silent_after_pages is not None and server.pages_served >= server.silent_after_pages:
            server.released.wait()  # the request read, no answer: a server that stopped mid-pull
            return
        if server.fail_after_pages is not None and server.pages_served >= server.fail_after_pages:
            return self._error(503, "The service is currently unavailable.")
        if "timestamp" not in body.get("filter", ""):
            return self._error(400, "a filter without a timestamp would get the client's 24-hour default")
        selected = server.select(body.get("filter", ""))
        if body.get("orderBy", "timestamp asc") == "timestamp desc":
            selected = selected[::-1]  # a copy: the selection is kept for the query's next pages
        start = int(body.get("pageToken") or 0)
        size = int(body.get("pageSize") or 50)
        page = selected[start:start + size]
        server.pages_served += 1
        answer = {"entries": page}
        if start + size < len(selected):
            answer["nextPageToken"] = str(start + size)
        self._send(200, answer)

    def _error(self, code: int, message: str):
        self._send(code, {"error": {"code": code, "message": message, "status": STATUS_NAMES.get(code, "UNKNOWN")}})

    def _send(self, code: int, payload: dict):
        data = json.dumps(payload).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
