"""Tie a reverse proxy's failed answers to the service behind it, on one VM's journal.

nginx answers 502 or 504 when its upstream fails, and logs why with the upstream's address
(`… while connecting to upstream, client: 203.0.113.7, …, request: "GET /api HTTP/1.1",
upstream: "http://127.0.0.1:8000/api", …`). The services of the same journal announce the port they
listen on as they start (uvicorn's `Uvicorn running on http://127.0.0.1:8000`, gunicorn's
`Listening at: http://0.0.0.0:8000`). When both are seen, the proxy's error line and its access line
of that request with a 5xx status are the upstream service's, as a platform's request log is the
service's own: the symptom lands on the service whose failure caused it, not on the proxy as an
incident of its own. Without the announcement (a service started before the logs begin) both stay
the proxy's.
"""

from __future__ import annotations

import re
from collections import OrderedDict

from rca.ingest.record import LogRecord

LISTENING = re.compile(r"(?:[Rr]unning on|Listening at:?|[Ll]istening on)\s+(?:https?://)?[\w.\-\[\]:]*?:(?P<port>\d{2,5})\b")
UPSTREAM_ERROR = re.compile(
    r"client: (?P<client>[^,\s]+),.*?request: \"(?P<method>[A-Z]+) (?P<path>\S+) [^\"]*\", "
    r"upstream: \"\w+://[^\"/]*?:(?P<port>\d{2,5})[/\"]"
)
ACCESS_CLIENT = re.compile(r"(?P<client>[0-9a-fA-F.:]+) ")
PENDING_LIMIT = 4096  # requests whose error was seen and whose access line has not come yet


class Upstreams:
    """The ports the services of one journal listen on, and the failed requests awaiting their access line."""

    def __init__(self) -> None:
        self.ports: dict[str, str] = {}
        self.pending: OrderedDict[tuple, str] = OrderedDict()

    def tie(self, record: LogRecord) -> LogRecord:
        text = record.text
        if record.http_status is not None:
            if record.http_status >= 500:
                self._answer(record)
        elif "upstream" in text:
            self._error(record)
        elif record.service and (listening := LISTENING.search(text)) is not None:
            self.ports[listening.group("port")] = record.service
        return record

    def _error(self, record: LogRecord) -> None:
        found = UPSTREAM_ERROR.search(record.text)
        service = self.ports.get(found.group("port")) if found else None
        if found is None or service is None or service == record.service:
            return
        self.pending[(record.service, found.group("client"), found.group("method"), found.group("path"))] = service
        record.extra["proxy"] = record.service  # the proxy reports on the service behind it (docs/CLASSES.md)
        record.service = service
        if len(self.pending) > PENDING_LIMIT:
            self.pending.popitem(last=False)

    def _answer(self, record: LogRecord) -> None:
        client = ACCESS_CLIENT.match(record.text)
        if client is None:
            return
        key = (record.service, client.group("client"), record.http_method, record.http_url)
        service = self.pending.pop(key, None)
        if service is not None:
            record.extra["proxy"] = record.service
            record.service = service
