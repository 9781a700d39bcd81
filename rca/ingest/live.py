"""Live Google Cloud Logging: build the query, pull entries through the Logging API's `entries:list`
(the request the google-cloud-logging client makes, sent with google-auth's AuthorizedSession), and hand them to the same ingestion as an export (one code path, so a pull and its export agree).

Facts relied on (see shared/GCP-NOTES.md): the client silently adds a 24-hour window when a filter
names no timestamp, so the query always carries one; over REST it does not retry 403/429/503, so
each page is retried here, from its page token, with back-off; its entry objects drop `split` and
`errorGroups`, so the API's JSON is kept as it is.
"""

from __future__ import annotations

import gzip
import os
import time
from collections.abc import Callable, Iterator
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path

import orjson

from rca.errors import RcaError
from rca.ingest.atomic import OutputError, atomic_write
from rca.ingest.logentry import SERVICE_LABELS, read_entry
from rca.ingest.record import LogRecord
from rca.ingest.stats import ReadStats
from rca.ingest.times import format_timestamp

ENDPOINT_VARIABLE = "RCA_LOGGING_ENDPOINT"
DEFAULT_ENDPOINT = "https://logging.googleapis.com"
READ_SCOPE = "https://www.googleapis.com/auth/logging.read"
REQUEST_SECONDS = 60.0  # the default wait for each answer (`--timeout`): to connect, and between bytes of it
RETRYABLE_ATTEMPTS = 5
BACKOFF_SECONDS = 1.0
# What a failure can be told from, when --all is not given: warnings and errors, failed requests, the
# platform's system logs (instance starts, exits, probes), stderr (a traceback's lines after its first have
# no severity: Cloud Run's, and App Engine's and GKE's `stderr`), 1st-gen functions' logs (an execution's
# outcome is a DEBUG line) and the admin activity audit log (deploys, IAM and secret changes: evidence).
FAILURE_SCOPE = ('(severity>=WARNING OR httpRequest.status>=400 OR log_id("run.googleapis.com/varlog/system") '
                 'OR log_id("run.googleapis.com/stderr") OR log_id("stderr") '
                 'OR log_id("cloudfunctions.googleapis.com/cloud-functions") OR log_id("cloudaudit.googleapis.com/activity"))')
# What an analysis needs: the failures and every request, healthy or not. Without the healthy ones a rate
# per request has no denominator: a 4xx outage cannot be told from a scanner, nor a dropped route found,
# and the revisions' first requests (deploys) are missing. `rca watch` follows the failures alone (rates per minute).
ANALYSIS_SCOPE = f"({FAILURE_SCOPE[1:-1]} OR httpRequest.status>0)"


class PullError(RcaError):
    """A pull that stopped: one line that says what to do. `pulled` entries were kept."""

    exit_code = 1  # the user's command was right; the service or the credentials failed it

    def __init__(self, message: str, pulled: int = 0, transient: bool = False):
        super().__init__(message)
        self.pulled = pulled
        self.transient = transient  # worth asking again later: a lost connection, or 429/5xx after every retry
        self.partial: Path | None = None  # set by save_entries: the file that holds what was pulled

    def __str__(self) -> str:
        return f"{self.args[0]} ({self.pulled:,} entries pulled before it)" if self.pulled else self.args[0]


@dataclass
class PullProgress:
    entries: int = 0
    pages: int = 0


def build_filter(since: float, until: float | None = None, service: str | None = None, severity: str | None = None,
                 resource_type: str | None = None, extra: str | None = None, everything: bool = False,
                 scope: str = ANALYSIS_SCOPE) -> str:
    """The Logging query: always an explicit time window in UTC, then the scope (unless `everything` or a
    `severity` replaces it), then `extra` ANDed in."""
    parts = [f'timestamp>="{format_timestamp(since)}"']
    if until is not None:
        parts.append(f'timestamp<"{format_timestamp(until)}"')
    if service:
        parts.append("(" + " OR ".join(f'resource.labels.{label}="{service}"' for label in SERVICE_LABELS) + ")")
    if resource_type:
        parts.append(f'resource.type="{resource_type}"')
    if severity:
        parts.append(f"severity>={severity.upper()}")
    elif not everything:
        parts.append(scope)
    if extra:  # a `-- comment` a query copied from Logs Explorer ends with would swallow a `)` on its line
        parts.append(f"({extra}\n)" if "--" in extra else f"({extra})")
    return " AND ".join(parts)




def make_session(project: str | None, endpoint: str | None = None):
    """(an authorised HTTP session, the API's base URL). A plain-http endpoint (a local server
    speaking the Logging API) gets anonymous credentials; any other uses Application Default
    Credentials with the read-only Logging scope, as Google's own tools do. google-auth's public
    AuthorizedSession sends the same request `Client.list_entries` would, and lets rca keep the API's
    JSON as it is (the client's entry objects drop `split` and `errorGroups`)."""
    import google.auth
    from google.auth.credentials import AnonymousCredentials
    from google.auth.transport.requests import AuthorizedSession

    endpoint = (endpoint or os.environ.get(ENDPOINT_VARIABLE) or DEFAULT_ENDPOINT).rstrip("/")
    if endpoint.startswith("http://"):
        return AuthorizedSession(AnonymousCredentials()), endpoint
    try:
        credentials, _ = google.auth.default(scopes=[READ_SCOPE])
    except Exception as error:  # google.auth raises several kinds; each becomes one line
        raise PullError(_explain(error, project)) from None
    return AuthorizedSession(credentials), endpoint


def pull_entries(project: str, query: str, *, limit: int | None = None, page_size: int = 1000,
                 endpoint: str | None = None, progress: Callable[[PullProgress], None] | None = None,
                 sleep: Callable[[float], None] = time.sleep, timeout: float | None = None,
                 newest: bool = False) -> Iterator[dict]:
    """Raw LogEntry dicts, oldest first (newest first with `newest`: where a `limit` should cut), page by page.

    The pages are asked with the request `Client.list_entries` makes, through google-auth's public
    AuthorizedSession, keeping the API's JSON as it is. The client's entry objects cost three times
    the server's own time to build (two strptime calls an entry) and drop `split` and `errorGroups`. A page that fails with 429 or 5xx is asked again
    from its page token, with back-off, a bounded number of times. Each request waits `timeout` seconds
    (REQUEST_SECONDS by default) to connect and for each read of the answer; a server silent that long
    stops the pull with one PullError."""
    session = make_session(project, endpoint)
    request = {"resourceNames": [f"projects/{project}"], "filter": query,
               "orderBy": "timestamp desc" if newest else "timestamp asc", "pageSize": page_size}
    state = PullProgress()
    token = None
    tokens_seen: set[str] = set()
    while True:
        page = _fetch_page(session, dict(request, pageToken=token) if token else request, project, state, sleep,
                           timeout or REQUEST_SECONDS)
        state.pages += 1
        token = page.get("nextPageToken")
        if token in tokens_seen:  # checked before this page is kept: it would only repeat earlier entries
            raise PullError(f"Cloud Logging sent an earlier page token again after {state.pages:,} pages; stopped "
                            "rather than read the same entries forever", state.entries)
        if token:
            tokens_seen.add(token)
        for entry in page.get("entries", ()):
            yield entry
            state.entries += 1
            if limit is not None and state.entries >= limit:
                return
        if progress:
            progress(state)
        if not token:
            return


def _fetch_page(session, request: dict, project: str, state: PullProgress, sleep, timeout: float) -> dict:
    from google.api_core import exceptions

    retryable = (exceptions.TooManyRequests, exceptions.ServiceUnavailable, exceptions.InternalServerError,
                 exceptions.GatewayTimeout, exceptions.BadGateway)
    for attempt in range(RETRYABLE_ATTEMPTS):
        try:
            return _post(session, "/v2/entries:list", request, timeout)
        except retryable as error:
            if attempt == RETRYABLE_ATTEMPTS - 1:
                raise PullError(_explain(error, project), state.entries, transient=True) from None
            sleep(BACKOFF_SECONDS * 2 ** attempt)
        except Exception as error:  # requests' connection errors and time-outs are OSErrors: the network, not the query
            message = _silent(error, timeout) or _explain(error, project)
            raise PullError(message, state.entries, transient=isinstance(error, OSError)) from None
    raise AssertionError("unreachable")


def _post(session, path: str, body: dict, timeout: float = REQUEST_SECONDS) -> dict:
    """One API call; an HTTP error becomes google.api_core's exception for its status, as the
    client's own calls raise them."""
    from google.api_core import exceptions

    authorised, base = session
    response = authorised.post(f"{base}{path}", params={"prettyPrint": "false"}, json=body, timeout=timeout)
    if response.status_code >= 400:
        raise exceptions.from_http_response(response)
    return response.json()


def _silent(error: Exception, timeout: float) -> str | None:
    """The line for a server that did not answer in time (requests' Timeout), else None."""
    from requests.exceptions import ConnectTimeout, Timeout

    if not isinstance(error, Timeout):
        return None
    what = "accept the connection" if isinstance(error, ConnectTimeout) else "answer"
    return f"Cloud Logging did not {what} within {timeout:g} s: try again later, or give more time with --timeout"


def _explain(error: Exception, project: str | None) -> str:
    from google.api_core import exceptions
    from google.auth import exceptions as auth_exceptions

    message = getattr(error, "message", None) or str(error).split("\n", 1)[0]
    if isinstance(error, auth_exceptions.DefaultCredentialsError):
        return ("no Google credentials: run `gcloud auth application-default login`, or set "
                "GOOGLE_APPLICATION_CREDENTIALS to a service account key")
    if isinstance(error, exceptions.Forbidden):
        return (f"permission denied on project {project}: the caller needs roles/logging.viewer "
                f"(roles/logging.privateLogViewer for Data Access logs) — {message}")
    if isinstance(error, exceptions.BadRequest):
        return f"Cloud Logging refused the query: {message} — check --filter"
    if isinstance(error, exceptions.NotFound):
        return f"project {project} not found, or the Logging API is not enabled on it — {message}"
    if isinstance(error, exceptions.TooManyRequests):
        return f"Logging read quota exhausted after {RETRYABLE_ATTEMPTS} tries: wait a minute, or narrow --since/--until"
    if isinstance(error, exceptions.GoogleAPICallError):
        return f"Cloud Logging failed ({error.code}): {message}"
    return f"could not reach Cloud Logging: {type(error).__name__}: {message}"


def records_from_entries(entries, project: str, stats: ReadStats | None = None) -> Iterator[LogRecord]:
    """LogRecords through the export path: a pull and its saved file give the same records, and an
    entry that cannot be read is counted in `stats` as a skip, as it would be in the file."""
    source = f"gcp:{project}"
    stats = stats if stats is not None else ReadStats()
    for position, entry in enumerate(entries, 1):
        record = read_entry(entry, source, position, stats) if isinstance(entry, dict) else None
        if record is not None:
            yield record


def save_entries(entries, out: Path) -> int:
    """Write raw entries as sink JSON lines (gzip when `out` ends in .gz), streaming; returns how many.
    They go to `OUT.partial`, renamed to `out` when the pull completes: a failed pull leaves an
    existing `out` untouched and the partial file complete and readable, named in `PullError.partial`."""
    out = Path(out)
    count = 0
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise OutputError(f"cannot write {out}: {error.strerror or error}") from None
    with atomic_write(out, binary=True, keep_partial=True) as raw:
        try:
            with _compressing(raw, out) as writer:
                for entry in entries:
                    writer.write(orjson.dumps(entry) + b"\n")
                    count += 1
        except PullError as error:
            error.partial = Path(raw.name)
            raise
    return count


def _compressing(raw, out: Path):
    return gzip.GzipFile(filename=out.name, fileobj=raw, mode="wb") if out.suffix == ".gz" else nullcontext(raw)
