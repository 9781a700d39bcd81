"""Fingerprints: the same bug gets the same key across instances, revisions and line shifts."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from .events import ErrorEvent
from .frames import is_library_frame, module_of

MASKS = (  # order matters: the specific shapes before the generic number
    (re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b", re.I), "<uuid>"),
    (re.compile(r"\b\d{1,3}(?:\.\d{1,3}){3}(?::\d+)?\b"), "<ip>"),
    (re.compile(r"\b0x[0-9a-f]+\b", re.I), "<hex>"),
    (re.compile(r"\b[0-9a-f]{12,}\b", re.I), "<hex>"),
    (re.compile(r"'[^'\n]{0,200}'|\"[^\"\n]{0,200}\""), "<str>"),
    (re.compile(r"\b\d+(?:\.\d+)?\b"), "<n>"),
)
ID_SEGMENT = re.compile(r"^(?:\d+|[0-9a-f]{8,}|[0-9a-f-]{36}|[A-Za-z0-9_-]{20,}|[a-z]+[-_]\d+)$", re.I)


def mask(text: str) -> str:
    for pattern, replacement in MASKS:
        text = pattern.sub(replacement, text)
    return text


def route(url: str | None) -> str:
    """The URL's path with id-like segments masked: /api/users/u-1842 -> /api/users/{id}."""
    if not url:
        return ""
    path = urlsplit(url).path if "://" in url else url.split("?", 1)[0]
    return "/".join("{id}" if ID_SEGMENT.match(segment) else segment for segment in path.split("/")) or "/"


def fingerprint(event: ErrorEvent) -> tuple[str, str]:
    """(key, human label: the first event's own words). Tracebacks: root exception type + the application's frames (no line
    numbers); requests: method, route and status; anything else: the masked message template."""
    tb = event.traceback
    if tb is not None and tb.root is not None:
        root = tb.root
        frames = [f for f in root.frames if not is_library_frame(f)] or root.frames[-1:]
        path = " > ".join(f"{module_of(f.file)}:{f.function or '?'}" for f in frames)
        return f"tb|{root.type}|{path}", event.message
    request = event.request
    if request is not None and request.http_status is not None:
        label = f"{request.http_method or ''} {route(request.http_url)} {request.http_status}".strip()
        return f"http|{event.first.service}|{label}", label
    return f"msg|{mask(event.message)[:300]}", event.message[:300]
