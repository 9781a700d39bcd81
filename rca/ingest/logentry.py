"""Turn one Cloud Logging LogEntry (a dict, as the API, gcloud, sinks and downloads give it) into a LogRecord."""

from __future__ import annotations

from ..record import LogRecord, level_in_text, normalise_severity, parse_timestamp

# jsonPayload keys that hold the human message, in order of preference.
MESSAGE_KEYS = ("message", "msg", "textPayload", "text", "log", "event")
# jsonPayload keys that hold a stack trace (Error Reporting reads the first three).
TRACE_KEYS = ("stack_trace", "exception", "exc_info", "stacktrace", "traceback", "error")
LEVEL_KEYS = ("severity", "level", "levelname", "log_level")
TRACEBACK_MARK = "Traceback (most recent call last)"

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


def entry_to_record(entry: dict, source: str, position: int) -> LogRecord:
    resource = entry.get("resource") or {}
    resource_labels = resource.get("labels") or {}
    labels = entry.get("labels") or {}
    http = entry.get("httpRequest") or {}
    payload = entry.get("jsonPayload")
    text, payload_level = _payload_text(entry, payload, http)
    severity = normalise_severity(entry.get("severity"))
    if severity in (None, "DEFAULT"):
        # stdout/stderr lines get no severity from Cloud Run; the level their text names is the best there is.
        severity = normalise_severity(payload_level) if payload_level else level_in_text(text)
    record = LogRecord(
        time=parse_timestamp(entry.get("timestamp") or entry.get("receiveTimestamp")),
        severity=severity,
        text=text,
        source=source,
        position=position,
        service=first_of(resource_labels, SERVICE_LABELS) or labels.get("k8s-pod/app"),
        revision=first_of(resource_labels, REVISION_LABELS),
        instance=labels.get("instanceId") or first_of(resource_labels, INSTANCE_LABELS),
        resource_type=resource.get("type"),
        log_name=entry.get("logName"),
        http_method=http.get("requestMethod"),
        http_url=http.get("requestUrl"),
        http_status=_int(http.get("status")),
        http_latency_ms=_latency_ms(http.get("latency")),
        trace=entry.get("trace"),
        insert_id=entry.get("insertId"),
    )
    proto = entry.get("protoPayload")
    if isinstance(proto, dict) and isinstance(proto.get("status"), dict):
        record.extra["status_code"] = _int(proto["status"].get("code"))
    split = entry.get("split")
    if isinstance(split, dict):
        record.extra["split"] = split
    return record


def _payload_text(entry: dict, payload: object, http: dict) -> tuple[str, str | None]:
    """The entry's text, and a level named inside a structured payload (if any)."""
    if "textPayload" in entry:
        return str(entry["textPayload"]), None
    if isinstance(payload, dict):
        return json_payload_text(payload), first_of(payload, LEVEL_KEYS)
    proto = entry.get("protoPayload")
    if isinstance(proto, dict):
        return _audit_text(proto), None
    if http:  # Cloud Run request logs often carry nothing but httpRequest
        return f'{http.get("requestMethod", "")} {http.get("requestUrl", "")} {http.get("status", "")}'.strip(), None
    if payload is not None:
        return str(payload), None
    return "", None


def json_payload_text(payload: dict) -> str:
    message = first_of(payload, MESSAGE_KEYS)
    trace = first_of(payload, TRACE_KEYS)
    if trace is None:
        # python-json-logger and friends put tracebacks under keys of their own: look in every string.
        trace = next((v for v in payload.values() if isinstance(v, str) and TRACEBACK_MARK in v), None)
    if message is None and trace is None:
        import orjson

        return orjson.dumps(payload, option=orjson.OPT_SORT_KEYS).decode()
    if trace is None or (message is not None and trace in message):
        return str(message)
    if message is None or str(message) in trace:
        return str(trace)
    return f"{message}\n{trace}"


def _audit_text(proto: dict) -> str:
    status = proto.get("status") or {}
    parts = [str(proto.get("methodName", "")), str(proto.get("resourceName", ""))]
    code = _int(status.get("code")) if isinstance(status, dict) else None
    if code:
        parts.append(f"{RPC_CODES.get(code, 'CODE')} ({code}): {status.get('message', '')}")
    return " ".join(p for p in parts if p).strip()


def first_of(mapping: dict, keys: tuple) -> str | None:
    for key in keys:
        value = mapping.get(key)
        if value not in (None, ""):
            return value if isinstance(value, str) else str(value)
    return None


def _int(value: object) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def _latency_ms(value: object) -> float | None:
    """httpRequest.latency is a Duration: "0.0123s" in JSON, or {"seconds", "nanos"} from some clients."""
    if isinstance(value, str) and value.endswith("s"):
        try:
            return float(value[:-1]) * 1000.0
        except ValueError:
            return None
    if isinstance(value, dict):
        return (float(value.get("seconds", 0)) + float(value.get("nanos", 0)) / 1e9) * 1000.0
    return None
