"""Fingerprints: the same bug gets the same key across instances, revisions, installs and line shifts,
and two bugs get two keys.

Like Sentry's grouping components, a fingerprint says how it was made: which parts of the event
contributed to the key and, for each part left out, why. The strategy carries a version: a change in
how keys are made changes `STRATEGY`, so stored reports say which keys they hold and are never
silently regrouped.

- A traceback: the innermost cause's type, then each of its application frames as (module path
  relative to the application root, function, the normalised source line). The source line rather
  than the line number: an edit above the failing line moves the number but not the line, while
  two failing lines in one function stay apart. Library frames are left out (an extra decorator in a
  dependency is not a new bug), and so is the message (its ids vary).
- A request: service, method, route (id segments masked) and status.
- Anything else: the masked message.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from functools import lru_cache
from urllib.parse import urlsplit

from rca.events.error_event import ErrorEvent
from rca.events.frames import is_library_frame, module_of
from rca.events.masks import mask
from rca.events.redact import cut_between_words, redact
from rca.events.remember import remembered
from rca.events.runtimes import has_runtime_trace
from rca.events.tracebacks import Frame, has_traceback, parse_traceback, root_head
from rca.ingest.record import LogRecord

# 3: standard-library frames named by their module (asyncio.runners) wherever Python is installed;
# ids joined to words masked in any case (issue 25).
STRATEGY = "rca-fingerprint-3"
ID_SEGMENT = re.compile(r"^(?:\d+|[0-9a-f]{8,}|[0-9a-f-]{36}|[A-Za-z0-9_-]{20,}|[a-z]+[-_]\d+)$", re.I)
# A directory that one install has and another lacks: a release stamp, a version, a commit hash.
MESSAGE_LIMIT = 300
# Traceback texts whose facts are kept (rca.events.remember: each of up to 8 kB, so 16 MB of texts at most;
# a larger one is read again each time it is asked for).
TEXTS_KEPT, FACT_TEXT_BYTES = 1 << 11, 8192
# Traceback heads whose keys are kept (rca.events.remember: a head of up to 4 kB, so 16 MB of heads at
# most; the flood's 12k traceback events have ~1k heads).
HEADS_KEPT, HEAD_BYTES = 1 << 12, 4096


@dataclass
class Component:
    """One part of an event that may count toward its key."""

    id: str  # type, frame, message, service, method, route, status
    value: str
    contributes: bool
    reason: str | None = None  # why a part does not contribute
    raw: bool = False  # the value is the event's own text, masked only when shown (it does not count)

    def as_dict(self) -> dict:
        value = _shown(self.value) if self.raw else self.value
        item = {"id": self.id, "value": value, "contributes": self.contributes}
        return item if self.reason is None else {**item, "reason": self.reason}


@dataclass
class Fingerprint:
    kind: str  # traceback, request or message
    components: list[Component] = field(default_factory=list)
    label: str = ""  # the group's name for people: a request's method, route and status; else the first event's words

    @property
    def key(self) -> str:
        return _key_of(self.kind, tuple((c.id, c.value) for c in self.components if c.contributes))

    def as_dict(self) -> dict:
        return {"strategy": STRATEGY, "kind": self.kind, "components": [c.as_dict() for c in self.components]}


@dataclass(frozen=True)
class _TracebackFacts:
    """What a fingerprint reads of a traceback text: its root cause, and the line that names the failure."""

    type: str
    frames: tuple  # (file, line, function, source) of each of the root's frames
    message: str
    label: str
    key: str  # the fingerprint's key: worked out once per text, not hashed again from the frames per event


def fingerprint_of(event: ErrorEvent) -> Fingerprint:
    facts = _traceback_facts(event)
    if facts is not None:
        return _traceback_fingerprint(facts)
    request = event.request
    if request is not None and request.http_status is not None:
        path = route(request.http_url)
        return Fingerprint("request", [
            Component("service", event.first.service or "", True),
            Component("method", request.http_method or "", True),
            Component("route", path, True),
            Component("status", str(request.http_status), True),
        ], f"{request.http_method or ''} {path} {request.http_status}".strip())
    return Fingerprint("message", [Component("message", _shown(event.message), True)], cut_between_words(event.message, MESSAGE_LIMIT))


def fingerprint_key(event: ErrorEvent) -> str:
    """`fingerprint_of(event).key` without making the fingerprint: what grouping asks of every event,
    while only a group's first event keeps its fingerprint. Every part is worked out once per
    distinct traceback head (`_traceback_key`), frames, request shape or message."""
    key = _traceback_key(event)
    if key is not None:
        return key
    request = event.request
    if request is not None and request.http_status is not None:
        return _key_of("request", (("service", event.first.service or ""), ("method", request.http_method or ""),
                                   ("route", route(request.http_url)), ("status", str(request.http_status))))
    return _key_of("message", (("message", _shown(event.message)),))


@lru_cache(maxsize=1 << 14)  # a flood has thousands of groups; each event of one asks for its key
def _key_of(kind: str, contributing: tuple[tuple[str, str], ...]) -> str:
    parts = "\n".join(f"{name}={value}" for name, value in contributing)
    return f"{kind}:{hashlib.sha1(parts.encode()).hexdigest()[:16]}"


def _traceback_key(event: ErrorEvent) -> str | None:
    """The key of the event's traceback, None when it holds none. A flood's traceback texts are nearly
    all distinct (the lines logged before them, the ids in their messages), while the key reads only the
    root's type and frames: those come from the text's head (`root_head`), which few texts differ in,
    so a text is not parsed for its key; only a group's first event is (`fingerprint_of`)."""
    text = event.text
    if has_traceback(text):  # else ErrorEvent.traceback is another runtime's, if any: read as the event does
        head = root_head(text)
        if head is not None:
            return _head_key(head)
    elif not has_runtime_trace(text):  # ErrorEvent.traceback would be None: not worked out, nor kept
        return None
    facts = _traceback_facts(event)
    return None if facts is None else facts.key


@remembered(HEADS_KEPT, HEAD_BYTES)
def _head_key(head: str) -> str:
    """The key of a traceback's head, made as `_traceback_facts` makes a whole text's."""
    parsed = parse_traceback(head)
    if parsed is None or parsed.root is None:  # a head always holds its root (see root_head)
        raise ValueError("not a traceback's head")
    frames = tuple((f.file, f.line, f.function, f.source) for f in parsed.root.frames)
    return _key_of("traceback", _contributing(_frame_parts(parsed.root.type, frames)))


def _contributing(parts: tuple[tuple, ...]) -> tuple[tuple[str, str], ...]:
    return tuple((part[0], part[1]) for part in parts if part[2])


def _traceback_facts(event: ErrorEvent) -> _TracebackFacts | None:
    """What a whole fingerprint reads of the event's traceback; None when it holds none. A key alone
    does not come here for a Python traceback without a chain (`_traceback_key`)."""
    return _facts_of_text(event.text)


@remembered(TEXTS_KEPT, FACT_TEXT_BYTES)
def _facts_of_text(text: str) -> _TracebackFacts | None:
    """The facts of a traceback text. The same text recurs (a crash loop, a fixed message from the same
    frames): it is read once while among the TEXTS_KEPT used last. An event's traceback, and its message
    when it has one, are its text's alone (ErrorEvent.traceback, .message), so a one-record event of the
    text reads them as every event holding that text would."""
    event = ErrorEvent([LogRecord(time=None, severity=None, text=text, source="", position=0)])
    tb = event.traceback
    if tb is None or tb.root is None:
        return None
    root = tb.root
    frames = tuple((f.file, f.line, f.function, f.source) for f in root.frames)
    key = _key_of("traceback", _contributing(_frame_parts(root.type, frames)))
    return _TracebackFacts(root.type, frames, root.message, event.message, key)


def _traceback_fingerprint(facts: _TracebackFacts) -> Fingerprint:
    components = [Component(*part) for part in _frame_parts(facts.type, facts.frames)]
    components.append(Component("message", facts.message[:MESSAGE_LIMIT * 2], False,
                                "a traceback's frames identify the bug; its message carries ids", raw=True))
    return Fingerprint("traceback", components, cut_between_words(facts.label, MESSAGE_LIMIT))


@lru_cache(maxsize=1 << 14)  # an incident raises the same chain from the same frames thousands of times
def _frame_parts(kind: str, frames: tuple) -> tuple[tuple, ...]:
    """The type's and the frames' components, as (id, value, contributes, reason) tuples."""
    made = [Frame(*frame) for frame in frames]
    parts: list[tuple[str, str, bool, str | None]] = [("type", kind, True, None)]
    application = [f for f in made if not is_library_frame(f)]
    for frame in made:
        if frame in application:
            parts.append(("frame", _frame_value(frame), True, None))
        elif not application and frame is made[-1]:
            parts.append(("frame", _frame_value(frame), True, None))  # all library: the innermost
        else:
            parts.append(("frame", _frame_value(frame), False, "library frame"))
    return tuple(parts)


@lru_cache(maxsize=1 << 12)  # a message-keyed group repeats its text in bursts: redact and mask it once
def _shown(text: str) -> str:
    """Free text as a component holds it: secrets masked before anything else (masking first would
    cut a token into pieces that redaction no longer recognises), then the variable parts."""
    return mask(redact(text))[:MESSAGE_LIMIT]


def _frame_value(frame: Frame) -> str:
    """module:function:source. Without the source line (not printed), the function alone."""
    source = " ".join(mask(frame.source).split()) if frame.source else ""
    return f"{module_of(frame.file)}:{frame.function or '?'}:{source}"


def route(url: str | None) -> str:
    """The URL's path with id-like segments masked: /api/users/u-1842 -> /api/users/{id}."""
    if not url:
        return ""
    path = _path_or_after_host(url) if "://" in url else url.split("?", 1)[0]
    return "/".join("{id}" if ID_SEGMENT.match(segment) else segment for segment in path.split("/")) or "/"


# A URL as request logs hold it: http(s), a host without brackets, tab or newline, then the path up to
# its query or fragment. urlsplit gives such a URL's path the same (its cleaning removes tabs and
# newlines, which neither part holds, and checks bracketed and non-ASCII hosts, which go to it).
PLAIN_URL = re.compile(r"https?://([^/?#\[\]\t\r\n]*)(/[^?#\t\r\n]*)?(?:[?#]|\Z)")


# What follows a URL's host up to its query or fragment: the path of a URL urlsplit refuses.
AFTER_HOST = re.compile(r"://[^/?#]*([^?#]*)")


def _path_or_after_host(url: str) -> str:
    try:
        return url_path(url)
    except ValueError:  # a host urlsplit refuses (`http://[oops/api`): a log's odd URL, not a reason to stop
        found = AFTER_HOST.search(url)
        return found.group(1) if found else ""


def url_path(url: str) -> str:
    """`urlsplit(url).path`, ~4x cheaper for the URLs request logs hold (a flood's are mostly distinct,
    so urlsplit's cache seldom helps); any other URL is urlsplit's, with its cleaning and its errors."""
    plain = PLAIN_URL.match(url)
    if plain is not None and plain.group(1).isascii():
        return plain.group(2) or ""
    return urlsplit(url).path
