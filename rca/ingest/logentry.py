"""Turn one Cloud Logging LogEntry (a dict, as the API, gcloud, sinks and downloads give it) into a LogRecord."""

from __future__ import annotations

import re
import sys
from functools import lru_cache
from typing import Any

from rca.ingest.audit import audit_change
from rca.ingest.deployment import deployment_details
from rca.ingest.record import LEVEL_SEARCH_SPAN, MALFORMED, LogRecord, level_in_text, normalise_severity
from rca.ingest.stats import ReadStats
from rca.ingest.times import parse_timestamp
from rca.ingest.workloads import content_decides_severity, kubernetes_identity

# jsonPayload keys that hold the human message, in order of preference.
MESSAGE_KEYS = ("message", "msg", "textPayload", "text", "log", "event")
# jsonPayload keys under which a structured logger puts the error it was given, in order of preference:
# logrus and zap `error`, Go slog and pino/bunyan `err`, ECS `error.message` (nested or one dotted key),
# AWS Lambda's `errorMessage`, loggers that wrap their fields in `data`, an `exception` object. A dotted
# key is a path into nested objects. The value is the error's text, or an error serializer's object (see
# ERROR_TYPE_KEYS). Not `reason`: a Kubernetes event's is a word (`BackOff`), not an error.
ERROR_KEYS = ("error", "err", "error.message", "err.message", "errorMessage", "error_message", "data.error",
              "data.err", "exception")
# In an error serializer's object: its type (pino `type`, bunyan `name`, Lambda `errorType`) and message.
ERROR_TYPE_KEYS = ("type", "name", "errorType")
ERROR_MESSAGE_KEYS = ("message", "errorMessage", "msg")
# jsonPayload keys that hold a stack trace (Error Reporting reads the first three), in order of preference:
# structlog `exception`, python-json-logger `exc_info`, zap `stacktrace`, winston and pino `stack`, ECS
# `error.stack_trace`, Lambda's `stackTrace` / `trace` (a list of lines).
TRACE_KEYS = ("stack_trace", "exception", "exc_info", "stacktrace", "traceback", "stack", "stackTrace",
              "error.stack_trace", "error.stack", "err.stack", "error.stacktrace", "data.error.stack", "trace")
# Trace keys that also name other things (a deployment `stack`, a `trace` id): read only as a list of
# lines or a text of several lines.
LOOSE_TRACE_KEYS = frozenset(("stack", "trace", "stackTrace"))
# The top-level keys a payload must hold for ERROR_KEYS or TRACE_KEYS to find anything (a dotted
# key is looked up whole, then as a path from its first name): a payload with none of them (a plain
# `{"message", "logger"}`) is passed over with one set test instead of ~20 lookups.
ERROR_HEADS = frozenset(ERROR_KEYS) | frozenset(key.split(".")[0] for key in ERROR_KEYS)
TRACE_HEADS = frozenset(TRACE_KEYS) | frozenset(key.split(".")[0] for key in TRACE_KEYS)
LEVEL_KEYS = ("severity", "level", "levelname", "log_level")
# pino's and bunyan's numeric levels, as a payload's `level` gives them (not LogSeverity numbers, which
# are multiples of 100 and come in the entry's `severity`): 50 is an error, 60 fatal.
NUMERIC_LEVELS = {"10": "DEBUG", "20": "DEBUG", "30": "INFO", "40": "WARNING", "50": "ERROR", "60": "CRITICAL"}
TRACEBACK_MARK = "Traceback (most recent call last)"

FUNCTION_OUTCOME = re.compile(r"finished with status(?: code: (\d{3})|: '([a-z ]+)')")
MAX_HTTP_STATUS = 999
MAX_RPC_CODE = 2**31 - 1  # an int32 in the API

# resource.labels that name the service, revision and instance, per platform.
SERVICE_LABELS = ("service_name", "module_id", "function_name", "job_name", "container_name")
REVISION_LABELS = ("revision_name", "version_id")
INSTANCE_LABELS = ("pod_name", "instance_id")

# google.rpc.Code numbers that audit logs carry in protoPayload.status.code.
RPC_CODES = {
    1: "CANCELLED", 2: "UNKNOWN", 3: "INVALID_ARGUMENT", 4: "DEADLINE_EXCEEDED", 5: "NOT_FOUND",
    6: "ALREADY_EXISTS", 7: "PERMISSION_DENIED", 8: "RESOURCE_EXHAUSTED", 9: "FAILED_PRECONDITION",
    10: "ABORTED", 11: "OUT_OF_RANGE", 12: "UNIMPLEMENTED", 13: "INTERNAL", 14: "UNAVAILABLE",
    15: "DATA_LOSS", 16: "UNAUTHENTICATED",
}


def _shared(name):
    """One string object for each of the few names every entry repeats (service, instance, log...):
    the records a summary keeps then hold, and pickle writes, each name once rather than once a record."""
    return sys.intern(name) if type(name) is str else name


def entry_to_record(entry: dict, source: str, position: int, stats: ReadStats | None = None) -> LogRecord:
    """Fields of the wrong type (a string `httpRequest`, a list of `labels`, a status of 10^30) are
    ignored and, given `stats`, noted: the rest of the entry is still worth reading."""
    # The candidates of a flood pass here by the tens of thousands: the common case (objects where
    # objects belong, no request, no audit payload) is tested with `type(...) is` and skips the calls
    # that would find nothing; the values and the order they are read in are as the general case's.
    wrong: list[str] = []
    resource = entry.get("resource")
    resource = resource if type(resource) is dict else _object(resource, "resource", wrong)
    resource_labels = resource.get("labels")
    resource_labels = resource_labels if type(resource_labels) is dict else _object(resource_labels, "resource.labels", wrong)
    labels = entry.get("labels")
    labels = labels if type(labels) is dict else _object(labels, "labels", wrong)
    http = entry.get("httpRequest")
    http = http if type(http) is dict else _object(http, "httpRequest", wrong)
    payload = entry.get("jsonPayload")
    text, payload_level = _payload_text(entry, payload, http)
    severity = _severity(entry, resource, text, payload_level)
    stamp = entry.get("timestamp") or entry.get("receiveTimestamp")
    time = parse_timestamp(stamp)
    service = _shared(first_of(resource_labels, SERVICE_LABELS) or labels.get("k8s-pod/app"))
    revision = _shared(first_of(resource_labels, REVISION_LABELS))
    instance = _shared(labels.get("instanceId") or first_of(resource_labels, INSTANCE_LABELS))
    resource_type, log_name = _shared(resource.get("type")), _shared(entry.get("logName"))
    method, url, status, latency = _request_fields(http) if http else NO_REQUEST
    record = LogRecord(time, severity, text, source, position, service, revision, instance, resource_type, log_name,
                       method, url, status, latency, entry.get("trace"), entry.get("insertId"))
    if not TEXT_TYPES.issuperset(map(type, (record.service, record.instance, record.resource_type, record.log_name,
                                            record.http_method, record.http_url, record.trace, record.insert_id))):
        _coerce_texts(record)  # one test for all eight, as it is rarely needed
    _platform_details(record, resource_labels, labels, payload)
    if record.time is None and stamp:
        wrong.append("timestamp")
    if record.http_status is None and http and http.get("status") not in (None, ""):
        wrong.append("httpRequest.status")
    proto = entry.get("protoPayload")
    if proto is not None:
        _audit_details(record, proto, resource_labels)
    split = entry.get("split")
    if isinstance(split, dict):
        record.extra["split"] = split
    if wrong and stats is not None:
        for name in wrong:
            stats.note(f"unreadable {name} ignored", source, position)
    return record


NO_REQUEST = (None, None, None, None)


def _request_fields(http: dict) -> tuple:
    """httpRequest's method, URL, status and latency (ms), as the record holds them."""
    return (http.get("requestMethod"), http.get("requestUrl"), _int(http.get("status"), MAX_HTTP_STATUS),
            _latency_ms(http.get("latency")))


def _severity(entry: dict, resource: dict, text: str, payload_level) -> str | None:
    severity = normalise_severity(entry.get("severity"))
    if severity in (None, "DEFAULT"):
        # stdout/stderr lines get no severity from Cloud Run; the level their text names is the best there is.
        return normalise_severity(payload_level) if payload_level else _level_named(text[:LEVEL_SEARCH_SPAN])
    if content_decides_severity(resource.get("type"), entry.get("logName")):
        return normalise_severity(payload_level) or _level_named(text[:LEVEL_SEARCH_SPAN]) or severity
    return severity


def _platform_details(record: LogRecord, resource_labels: dict, labels: dict, payload) -> None:
    """What the platform's own fields say of the record: a function's execution outcome, the service a
    load balancer serves, a pod's workload, and a revision's commit, region and namespace (the remedy's)."""
    if record.resource_type == "cloud_function":
        _function_execution(record)
    elif record.resource_type == "http_load_balancer" and isinstance(resource_labels.get("backend_service_name"), str):
        record.extra["backend"] = resource_labels["backend_service_name"]  # names the service it serves
    identity = kubernetes_identity(record.resource_type, resource_labels, labels, payload)
    if identity is not None:
        record.service, record.revision, record.instance = identity[0], identity[1], identity[2] or record.instance
    if record.revision is not None:
        record.extra.update(deployment_details(resource_labels, labels))


def _audit_details(record: LogRecord, proto, resource_labels: dict) -> None:
    """An RPC's status code, and for an audit entry whether it changed what runs or who may call."""
    if not isinstance(proto, dict):
        return
    if isinstance(proto.get("status"), dict):
        record.extra["status_code"] = _int(proto["status"].get("code"), MAX_RPC_CODE)
    if "methodName" in proto:
        change = audit_change(proto, resource_labels)
        if change is not None:
            record.extra["change"] = change


@lru_cache(maxsize=1 << 12)
def _level_named(head: str) -> str | None:
    """`level_in_text` of a text's first LEVEL_SEARCH_SPAN characters, which are all it reads: Cloud
    Run's stdout and stderr lines have no severity, and a flood repeats the same few thousand heads."""
    return level_in_text(head)


def _function_execution(record: LogRecord) -> None:
    """Cloud Functions (1st gen) logs each execution's outcome at DEBUG: `finished with status code:
    500` (an HTTP function) or `finished with status: 'crash'`. A failed one is a failed request."""
    outcome = FUNCTION_OUTCOME.search(record.text or "")
    if outcome is None:
        return
    code, status = outcome.group(1), outcome.group(2)
    if code and int(code) >= 500:
        record.http_status = int(code)
    elif status and status != "ok":
        record.http_status, record.severity = 500, "ERROR"


def read_entry(entry: dict, source: str, position: int, stats: ReadStats, where: str | None = None) -> LogRecord | None:
    """The record, or None after counting the entry as skipped (at `where`, default `position`):
    a malformed value never stops the run."""
    try:
        return entry_to_record(entry, source, position, stats)
    except MALFORMED as error:
        stats.skip(malformed_reason("LogEntry", error), source, where or position)
        return None


def malformed_reason(what: str, error: Exception) -> str:
    """A skip reason for a MALFORMED error, naming no content (it may hold secrets)."""
    if isinstance(error, RecursionError) or "recursion" in str(error).lower():
        return f"{what} nested too deeply"  # orjson cannot show a payload deeper than 255 levels
    return f"{what} with a malformed field ({type(error).__name__})"


def _object(value: object, name: str, wrong: list[str]) -> dict:
    """`value` if it is a JSON object; otherwise {} (and `name` noted, unless the field is simply absent)."""
    if isinstance(value, dict):
        return value
    if value not in (None, ""):
        wrong.append(name)
    return {}


TEXT_TYPES = frozenset((str, type(None)))
TEXT_FIELDS = ("service", "instance", "resource_type", "log_name", "http_method", "http_url", "trace", "insert_id")


def _coerce_texts(record: LogRecord) -> None:
    """String fields as strings, whatever type the writer gave them (an insertId of 12345)."""
    for name in TEXT_FIELDS:
        value = getattr(record, name)
        if value is not None and not isinstance(value, str):
            setattr(record, name, str(value))


def _payload_text(entry: dict, payload: object, http: dict) -> tuple[str, str | None]:
    """The entry's text, and a level named inside a structured payload (if any)."""
    if entry.get("textPayload") is not None:
        return str(entry["textPayload"]), None
    if isinstance(payload, dict):
        level = first_of(payload, LEVEL_KEYS)
        return json_payload_text(payload), NUMERIC_LEVELS.get(level, level) if level is not None else None
    proto = entry.get("protoPayload")
    if isinstance(proto, dict):
        return _audit_text(proto), None
    if http:  # Cloud Run request logs often carry nothing but httpRequest
        return f'{http.get("requestMethod", "")} {http.get("requestUrl", "")} {http.get("status", "")}'.strip(), None
    if payload is not None:
        return str(payload), None
    return "", None


def json_payload_text(payload: dict) -> str:
    """The message first, then the error a structured logger attached to it, then a stack trace; a part
    already inside another is left out (a winston `message` inside its `stack`, a pino `err.message`
    inside `err.stack`), and a part that holds the ones before it replaces them."""
    trace = _trace_text(payload)
    if trace is None:
        # python-json-logger and friends put tracebacks under keys of their own: look in every string.
        trace = next((v for v in payload.values() if isinstance(v, str) and TRACEBACK_MARK in v), None)
    parts: list[str] = []
    for part in (first_of(payload, MESSAGE_KEYS), _error_text(payload), trace):
        if part is None or any(part in kept for kept in parts):
            continue
        parts = [kept for kept in parts if kept not in part] + [part]
    if not parts:
        import orjson

        return orjson.dumps(payload, option=orjson.OPT_SORT_KEYS).decode()
    return "\n".join(parts)


def _error_text(payload: dict) -> str | None:
    """The error under one of ERROR_KEYS: its text, or `type: message` from a serializer's object; for
    a payload that is itself such an object (AWS Lambda's `errorType`, `errorMessage`), its own."""
    if "errorType" in payload:
        return _error_object_text(payload)
    if payload.keys().isdisjoint(ERROR_HEADS):  # none of ERROR_KEYS can be there: nothing to walk
        return None
    return _first_error(payload)


def _first_error(payload: dict) -> str | None:
    """The first error text under ERROR_KEYS, each looked up in turn."""
    for key in ERROR_KEYS:
        value = _at_path(payload, key)
        text = value if isinstance(value, str) else _error_dict_text(value) if isinstance(value, dict) else None
        if text and text.strip():
            return text
    return None


def _error_dict_text(error: dict) -> str | None:
    """A serializer's `type: message`; an object with no message but other fields (Node's Error through
    JSON.stringify keeps `code`, `errno`, `syscall`) as it read when `error` was a trace key: its text."""
    return _error_object_text(error) or (str(error) if error else None)


def _error_object_text(error: dict) -> str | None:
    message = first_of(error, ERROR_MESSAGE_KEYS)
    if message is None:
        return None  # an Error that JSON.stringify emptied (`"err": {}`) says nothing
    kind = first_of(error, ERROR_TYPE_KEYS)
    return f"{kind}: {message}" if kind and not message.startswith(kind) else message


def _trace_text(payload: dict) -> str | None:
    """The first stack trace under TRACE_KEYS; a list of lines (Lambda's) is joined."""
    if payload.keys().isdisjoint(TRACE_HEADS):  # none of TRACE_KEYS can be there: nothing to walk
        return None
    return _first_trace(payload)


def _first_trace(payload: dict) -> str | None:
    """The first stack trace under TRACE_KEYS, each looked up in turn."""
    for key in TRACE_KEYS:
        value = _at_path(payload, key)
        if isinstance(value, list) and value and all(isinstance(line, str) for line in value):
            return "\n".join(value)
        if value in (None, "") or isinstance(value, (dict, list)):
            continue
        text = str(value)
        if key not in LOOSE_TRACE_KEYS or "\n" in text:
            return text
    return None


def _at_path(payload: dict, key: str) -> object:
    """The value under a key, or under a dotted path into nested objects (`error.message`)."""
    if key in payload or "." not in key:
        return payload.get(key)
    value: object = payload
    for name in key.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(name)
    return value


def _audit_text(proto: dict) -> str:
    status = proto.get("status") or {}
    parts = [str(proto.get("methodName", "")), str(proto.get("resourceName", ""))]
    code = _int(status.get("code"), MAX_RPC_CODE) if isinstance(status, dict) else None
    if code:
        parts.append(f"{RPC_CODES.get(code, 'CODE')} ({code}): {status.get('message', '')}")
    return " ".join(p for p in parts if p).strip()


def first_of(mapping: dict, keys: tuple) -> str | None:
    for key in keys:
        value = mapping.get(key)
        if value not in (None, ""):
            return value if isinstance(value, str) else str(value)
    return None


def _int(value: Any, bound: int) -> int | None:
    """An integer field in 0..bound; None when missing or unreadable (a status of 10^30 is not a status)."""
    try:
        number = int(value) if value not in (None, "") else None
    except (TypeError, ValueError, OverflowError):
        return None
    return number if number is not None and 0 <= number <= bound else None


def _latency_ms(value: object) -> float | None:
    """httpRequest.latency is a Duration: "0.0123s" in JSON, or {"seconds", "nanos"} from some clients."""
    if isinstance(value, str) and value.endswith("s"):
        try:
            return float(value[:-1]) * 1000.0
        except ValueError:
            return None
    if isinstance(value, dict):
        try:
            return (float(value.get("seconds") or 0) + float(value.get("nanos") or 0) / 1e9) * 1000.0
        except (TypeError, ValueError):
            return None
    return None
