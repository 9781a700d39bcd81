"""Log exports as a DuckDB relation, for SQL in a notebook: the LogEntry fields as typed columns.

This is a view for exploring, not the reader the analysis uses: DuckDB reads the files itself
(JSON lines or a JSON array, gzip or not), a line it cannot read is a row of NULLs rather than a
counted skip, and `service`, `revision` and `text` are taken from the first label or payload key
that holds them, without the platform rules of `logentry.py` (GKE pods, audit logs). For records
exactly as the analysis reads them, use `rca.read_logs`.
"""

from __future__ import annotations

import os
from collections.abc import Iterable

# The LogEntry fields read, with their types; any other key of an entry is left out, and a payload
# of any shape is kept as JSON (query it with `->>`: jsonPayload->>'$.message').
COLUMNS = {
    "timestamp": "TIMESTAMP", "receiveTimestamp": "TIMESTAMP", "severity": "VARCHAR", "logName": "VARCHAR",
    "insertId": "VARCHAR", "resource": "STRUCT(type VARCHAR, labels MAP(VARCHAR, VARCHAR))",
    "labels": "MAP(VARCHAR, VARCHAR)", "trace": "VARCHAR", "textPayload": "VARCHAR", "jsonPayload": "JSON",
    "protoPayload": "JSON",
    "httpRequest": "STRUCT(requestMethod VARCHAR, requestUrl VARCHAR, status INTEGER, latency VARCHAR, "
                   "userAgent VARCHAR, remoteIp VARCHAR)",
}
SERVICE_KEYS = ("service_name", "module_id", "function_name", "job_name", "container_name")
REVISION_KEYS = ("revision_name", "version_id")

# The columns a notebook asks for most, first, then every field as read.
SELECT = """SELECT timestamp, severity,
       coalesce({service}, labels['k8s-pod/app']) AS service, coalesce({revision}) AS revision,
       coalesce(labels['instanceId'], resource.labels['pod_name'], resource.labels['instance_id']) AS instance,
       httpRequest.status AS status, coalesce(textPayload, jsonPayload->>'$.message', jsonPayload->>'$.msg') AS text,
       *
FROM read_json({files}, format='auto', ignore_errors=true, columns={columns})"""


def _quoted(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def relation_sql(files: list[str]) -> str:
    columns = "{" + ", ".join(f"{_quoted(name)}: {_quoted(kind)}" for name, kind in COLUMNS.items()) + "}"
    return SELECT.format(service=", ".join(f"resource.labels[{_quoted(key)}]" for key in SERVICE_KEYS),
                         revision=", ".join(f"resource.labels[{_quoted(key)}]" for key in REVISION_KEYS),
                         files="[" + ", ".join(_quoted(path) for path in files) + "]", columns=columns)


def records_relation(files: Iterable[str | os.PathLike], connection=None):
    """A DuckDB relation of the entries of `files` (local JSON exports), one row per entry, on
    `connection` (a new in-memory DuckDB by default; the relation keeps it open)."""
    import duckdb

    names = [os.fspath(path) for path in files]
    connection = connection if connection is not None else duckdb.connect()
    return connection.sql(relation_sql(names))
