"""The engine's candidates as typed columns: a record built from what DuckDB extracted, not decoded again.

`engine.py` hands Python the lines SQL could not pass over. Most of them are of a few common shapes
(a Cloud Run, App Engine or GCE entry with a `textPayload`, a `jsonPayload`, or a bare `httpRequest`)
whose every field `logentry.entry_to_record` reads is one DuckDB can extract exactly. For those
("plain" rows) the candidates' query hands over the fields as columns, and `record_of` builds the
LogRecord from them: no `orjson.loads` of the line, no walk of its dict. Every other candidate keeps
its text and goes through `jsonlog.read_line` as before.

A row is plain only when DuckDB's reading of it cannot differ from orjson's and the fields leave
entry_to_record no choice to make:

- the line is JSON that orjson accepts too: yyjson's `json_valid` and none of the lenient tokens
  (`engine.NOT_STRICT`), no number orjson refuses as too large, no `\\u0000` (a NUL inside a
  VARCHAR), and too few brackets to reach orjson's depth limit;
- no key repeats in the objects it reads (yyjson's path finds the first, orjson keeps the last);
- every field it reads has the one type it expects (a string, an object, a status of 0-999), or
  is absent; nothing that gets a note (`unreadable ... ignored`) or a skip;
- no audit (`protoPayload`) or `split` entry, no resource whose platform decides more
  (`PYTHON_TYPES`: GKE, Cloud Functions, a load balancer), no label that may name a commit;
- a stamp in `Z` with up to nine fractional digits that `datetime.fromisoformat` reads, or none.

The payload of a `jsonPayload` entry is handed over as the JSON text of that object alone and
decoded by orjson: its message, error and trace are found by the same `json_payload_text`.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import orjson

from rca.ingest.deployment import COMMIT_KEYS, POD_LABEL
from rca.ingest.logentry import (
    LEVEL_KEYS,
    NUMERIC_LEVELS,
    _latency_ms,
    _level_named,
    _shared,
    first_of,
    json_payload_text,
)
from rca.ingest.record import LEVEL_SEARCH_SPAN, LogRecord, normalise_severity

# The fields entry_to_record reads, each with the one JSON type a plain row may hold there (or none).
STRING, OBJECT, STATUS = "VARCHAR", "OBJECT", "UBIGINT"
RESOURCE_LABELS = ("service_name", "module_id", "function_name", "job_name", "container_name", "revision_name",
                   "version_id", "pod_name", "instance_id", "location", "region", "namespace_name")
FIELDS = {
    "$.timestamp": STRING, "$.receiveTimestamp": STRING, "$.severity": STRING, "$.textPayload": STRING,
    "$.jsonPayload": OBJECT, "$.resource": OBJECT, "$.resource.type": STRING, "$.resource.labels": OBJECT,
    "$.labels": OBJECT, "$.httpRequest": OBJECT, "$.httpRequest.requestMethod": STRING,
    "$.httpRequest.requestUrl": STRING, "$.httpRequest.status": STATUS, "$.httpRequest.latency": STRING,
    "$.trace": STRING, "$.insertId": STRING, "$.logName": STRING,
    **{f"$.resource.labels.{name}": STRING for name in RESOURCE_LABELS},
    "$.labels.instanceId": STRING, '$.labels."k8s-pod/app"': STRING,
}
_AT = {path: index for index, path in enumerate(FIELDS, start=1)}  # DuckDB's lists count from 1
# The objects whose keys must not repeat, in this order in `k`.
OBJECTS = ("$", "$.resource", "$.resource.labels", "$.labels", "$.httpRequest")
# Resource types whose records entry_to_record completes from elsewhere (workloads.py, the function's
# outcome, the load balancer's backend): Python reads them.
PYTHON_TYPES = ("k8s_container", "k8s_pod", "k8s_cluster", "cloud_function", "http_load_balancer")
COMMIT_LABELS = tuple(sorted(set(COMMIT_KEYS) | {POD_LABEL + key for key in COMMIT_KEYS}))
# A number orjson refuses (past a double's range) needs a 3-digit exponent or a hundred digits; a
# bracket count that reaches its depth limit (1,024) needs as many brackets. Found where a value may
# begin, or anywhere for the brackets: a match inside a string only sends a row to Python.
TOO_LARGE = r"[:,\[][ \t]*-?(?:[0-9.]{100}|[0-9.]*[eE][+-]?[0-9]{3})"
MAX_BRACKETS = 500
# A stamp `fromisoformat` reads as the engine does: `Z`, a valid time of day, 1-9 fractional digits
# (it keeps six, cut, not rounded).
STAMP = r"[0-9]{4}-[0-9]{2}-[0-9]{2}T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]{1,9})?Z"


def _v(path: str) -> str:
    return f"v[{_AT[path]}]"


def _first(*paths: str, last: str | None = None) -> str:
    """first_of's choice in SQL: the first non-empty of `paths`, else `last` as it is (empty or not)."""
    chosen = ", ".join(f"nullif({_v(path)}, '')" for path in paths)
    return f"coalesce({chosen}{', ' + _v(last) if last else ''})"


def _typed() -> str:
    """Each field of its expected type, or absent; a status a number of 0-999."""
    checks = [f"coalesce(t[{_AT[path]}], '{kind}') = '{kind}'" for path, kind in FIELDS.items()]
    checks.append(f"coalesce(TRY_CAST({_v('$.httpRequest.status')} AS UBIGINT), 0) <= 999")
    return "\n        AND ".join(checks)


def _sql_list(names: tuple[str, ...]) -> str:
    return "[" + ", ".join(f"'{name}'" for name in names) + "]"


def candidates_sql(not_strict: str) -> str:
    """The rows Python decides on, in file order: (row, text or NULL, plain, the fields...). A plain
    row's text is handed over only where the byte prefilter may pass over it (`"severity":"INFO"`
    and its kind in its bytes): `read_line`'s first test, which Python still makes."""
    label = _v('$.labels."k8s-pod/app"')
    stamp = f"coalesce(nullif({_v('$.timestamp')}, ''), {_v('$.receiveTimestamp')})"
    fraction = "CASE WHEN strlen(stamp) > 20 THEN left(rpad(substr(stamp, 21, strlen(stamp) - 21), 6, '0'), 6)::BIGINT ELSE 0 END"
    may_pass = " OR ".join(f"contains(raw, '\"severity\":\"{name}\"')" for name in ("INFO", "DEBUG", "NOTICE"))
    return f"""SELECT row, CASE WHEN NOT plain OR {may_pass} THEN raw END AS raw, plain,
       CASE WHEN plain AND nullif(stamp, '') IS NOT NULL
            THEN epoch_us(strptime(left(stamp, 19), '%Y-%m-%dT%H:%M:%S')) + {fraction} END AS micros,
       CASE WHEN plain THEN {_v('$.severity')} END, CASE WHEN plain THEN {_v('$.textPayload')} END,
       CASE WHEN plain THEN {_v('$.jsonPayload')} END,
       CASE WHEN plain THEN {_first(*(f'$.resource.labels.{name}' for name in RESOURCE_LABELS[:5]), last=None)} END,
       CASE WHEN plain THEN {_first('$.resource.labels.revision_name', '$.resource.labels.version_id')} END,
       CASE WHEN plain THEN {_first('$.labels.instanceId', '$.resource.labels.pod_name', '$.resource.labels.instance_id')}
            END,
       CASE WHEN plain THEN {_v('$.resource.type')} END, CASE WHEN plain THEN {_v('$.logName')} END,
       CASE WHEN plain THEN {_v('$.httpRequest.requestMethod')} END, CASE WHEN plain THEN {_v('$.httpRequest.requestUrl')} END,
       CASE WHEN plain THEN TRY_CAST({_v('$.httpRequest.status')} AS INTEGER) END, CASE WHEN plain THEN {_v('$.httpRequest.latency')} END,
       CASE WHEN plain THEN {_v('$.trace')} END, CASE WHEN plain THEN {_v('$.insertId')} END,
       CASE WHEN plain THEN {_first('$.resource.labels.location', '$.resource.labels.region')} END,
       CASE WHEN plain THEN nullif({_v('$.resource.labels.namespace_name')}, '') END,
       CASE WHEN plain THEN len(k[5]) > 0 END,
       CASE WHEN plain THEN {label} END
FROM (SELECT row, raw, v, k, stamp, coalesce(plain, false) AS plain FROM (
    SELECT row, raw, v, k, {stamp} AS stamp, shaped
        AND list_bool_and(list_transform(k, lambda keys: keys IS NULL OR len(list_distinct(keys)) = len(keys)))
        AND NOT list_has_any(k[1], ['protoPayload', 'split'])
        AND NOT list_has_any(coalesce(k[4], []), {_sql_list(COMMIT_LABELS)})
        AND coalesce({_v('$.resource.type')}, '') NOT IN {PYTHON_TYPES}
        AND {_typed()}
        AND (nullif({stamp}, '') IS NULL OR (regexp_full_match({stamp}, '{STAMP}')
             AND try_strptime(left({stamp}, 19), '%Y-%m-%dT%H:%M:%S') IS NOT NULL)) AS plain
    FROM (SELECT row, raw, shaped,
                 CASE WHEN shaped THEN json_extract_string(raw, {_sql_list(tuple(FIELDS))}) END AS v,
                 CASE WHEN shaped THEN json_type(raw, {_sql_list(tuple(FIELDS))}) END AS t,
                 CASE WHEN shaped THEN json_keys(raw, {_sql_list(OBJECTS)}) END AS k
          FROM (SELECT row, raw, coalesce(starts_with(raw, '{{') AND json_valid(raw) AND NOT ({not_strict})
                     AND NOT regexp_matches(raw, '{TOO_LARGE}') AND NOT contains(raw, '\\u0000')
                     AND strlen(raw) - strlen(replace(replace(raw, '{{', ''), '[', '')) < {MAX_BRACKETS}, false) AS shaped
                FROM judged WHERE kind = 0))))
ORDER BY row"""


@lru_cache(maxsize=256)
def _severity_named(value: str | None) -> str | None:
    return normalise_severity(value)


def record_of(values: Sequence, source: str, position: int) -> LogRecord:
    """The LogRecord entry_to_record makes of a plain row, from its columns (see candidates_sql, from `micros` on)."""
    (micros, severity, text_payload, payload_text, service, revision, instance, resource_type, log_name, method, url,
     status, latency, trace, insert_id, location, namespace, has_http, pod_app) = values
    text, payload_level = _text(text_payload, payload_text, has_http, method, url, status)
    severity = _severity_named(severity)
    if severity in (None, "DEFAULT"):  # as logentry._severity: no resource here decides by content
        severity = _severity_named(payload_level) if payload_level else _level_named(text[:LEVEL_SEARCH_SPAN])
    record = LogRecord(
        time=None if micros is None else micros / 1_000_000,  # timedelta.total_seconds' own division
        severity=severity, text=text, source=source, position=position,
        service=_shared(service if service is not None else pod_app), revision=_shared(revision),
        instance=_shared(instance), resource_type=_shared(resource_type), log_name=_shared(log_name),
        http_method=method, http_url=url, http_status=status, http_latency_ms=_latency_ms(latency),
        trace=trace, insert_id=insert_id,
    )
    if revision is not None:  # deployment.deployment_details: no commit label on a plain row
        if location is not None:
            record.extra["location"] = location
        if namespace is not None:
            record.extra["namespace"] = namespace
    return record


def _text(text_payload, payload_text, has_http, method, url, status) -> tuple[str, str | None]:
    """logentry._payload_text for the shapes a plain row has: the text, and a level its payload names."""
    if text_payload is not None:
        return text_payload, None
    if payload_text is not None:
        payload = orjson.loads(payload_text)
        level = first_of(payload, LEVEL_KEYS)
        return json_payload_text(payload), NUMERIC_LEVELS.get(level, level) if level is not None else None
    if has_http:
        return f'{method or ""} {url or ""} {"" if status is None else status}'.strip(), None
    return "", None
