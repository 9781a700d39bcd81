"""GCP exports in JSON: log-sink JSON lines, and arrays from `gcloud logging read` or Logs Explorer."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import orjson

from rca.ingest.lines import MAX_ENTRY_BYTES, MAX_LINE_BYTES, is_overlong, iter_lines, skip_overlong
from rca.ingest.logentry import read_entry
from rca.ingest.prefilter import compact_cannot_matter, indented_cannot_matter, keeping_first_of_each_revision, stamp_in
from rca.ingest.record import LogRecord
from rca.ingest.stats import ReadStats


def choose_prefilter(mode: str, indented: bool):
    """`mode` is "off" (decode everything), "events" (skip healthy entries) or "deploys" (the same,
    but keep the first entry of each revision). "requests" is "deploys" here: only the engine counts
    healthy request logs without decoding them (`engine.py`)."""
    if mode == "off":
        return _never
    base = indented_cannot_matter if indented else compact_cannot_matter
    if mode not in ("deploys", "requests"):
        return base
    separator = b": " if indented else b":"
    return keeping_changes(keeping_first_of_each_revision(base, separator), separator)


# Admin Activity audit entries (healthy NOTICE lines) are where changes are recorded (rca.ingest.audit).
AUDIT_ACTIVITY = b"cloudaudit.googleapis.com%2Factivity"


def keeping_changes(cannot_matter, separator: bytes):
    """A prefilter that also decodes Admin Activity audit entries and the first entry of each GKE
    ReplicaSet (`k8s-pod/pod-template-hash`): a ReplicaSet already running when the logs begin must
    be seen there, not first at its first error line, or it would pass for a deploy (issue 25)."""
    key = b'"k8s-pod/pod-template-hash"' + separator + b'"'
    seen: set[bytes] = set()

    def first_of_replica_set(raw: bytes) -> bool:
        at = raw.find(key)
        if at < 0:
            return False
        start = at + len(key)
        value = raw[start: raw.find(b'"', start, start + 64)]
        if value in seen:
            return False
        seen.add(value)
        return True

    return lambda raw: cannot_matter(raw) and AUDIT_ACTIVITY not in raw and not first_of_replica_set(raw)


def read_json_lines(stream, source: str, stats: ReadStats, prefilter: str) -> Iterator[LogRecord]:
    """The hot path of a large export: one bounded `readline` and one cheap test per healthy line."""
    cannot_matter = choose_prefilter(prefilter, indented=False)
    readline = stream.readline
    position = skipped = 0
    while raw := readline(MAX_LINE_BYTES):
        position += 1
        if len(raw) >= MAX_LINE_BYTES and is_overlong(raw):  # first: its tail must not be read as a line
            stats.records += 1
            skip_overlong(stream, source, position, stats)
            continue
        if cannot_matter(raw):
            skipped += 1
            stats.passed_over(stamp_in(raw, b":"))
            continue
        stats.records += 1
        entry = _decode_entry(raw, source, position, stats)
        if entry is not None:
            record = read_entry(entry, source, position, stats)
            if record is not None:
                yield record
    stats.records += skipped


def read_line(raw: bytes, source: str, position: int, stats: ReadStats, cannot_matter) -> LogRecord | None:
    """One line (not over-long) as `read_json_lines` reads it: the record, or None after counting why not.
    For a reader that has picked out the lines worth reading (`engine.py`)."""
    stats.records += 1
    if cannot_matter(raw):
        stats.passed_over(stamp_in(raw, b":"))
        return None
    entry = _decode_entry(raw, source, position, stats)
    return None if entry is None else read_entry(entry, source, position, stats)


def _never(raw: bytes) -> bool:
    return False


def read_json_array(stream, source: str, stats: ReadStats, prefilter: str) -> Iterator[LogRecord]:
    """Stream the array entry by entry; never load it whole, nor more than one entry at a time."""
    head = stream.peek(16)[:16]
    items: Iterator[tuple[str, Any]]  # (kind, raw bytes or an entry decoded already)
    if head.startswith((b"[\n  {", b"[\r\n  {")):
        stream.readline()
        items = _indented_items(stream, source, stats)
        cannot_matter, cut = choose_prefilter(prefilter, indented=True), "JSON array cut short inside an entry"
    else:
        items = _any_items(stream)
        cannot_matter, cut = _never, "JSON array broken or cut short inside an entry"
    position = 0
    raw: Any
    for kind, raw in items:
        position += 1
        stats.records += 1
        where = f"entry {position}"
        if kind is DECODED:
            entry = raw
        elif kind is ENTRY:
            if cannot_matter(raw):
                stats.passed_over(stamp_in(raw, b": "))
                continue
            entry = _decode_entry(raw, source, where, stats)
        else:
            stats.skip(cut if kind is CUT else kind, source, where)
            continue
        record = None if entry is None else read_entry(entry, source, position, stats, where)
        if record is not None:
            yield record


# What the two array splitters yield, with the raw bytes of an entry, or the entry decoded (None for the others).
ENTRY = "entry"
DECODED = "decoded"
CUT = "cut"  # the file ends inside an entry
STRAY = "stray text between array entries"
OVERSIZE = f"entry longer than {MAX_ENTRY_BYTES // (1024 * 1024)} MiB"


def _indented_items(stream, source: str, stats: ReadStats) -> Iterator[tuple[str, bytes | None]]:
    """gcloud and Logs Explorer indent by two spaces: an entry starts at a line `  {` and ends at a line
    that is exactly `  }`, or where the next item (any line indented by exactly two spaces) or the
    array's `]` begins, so that an entry written compactly on one line, or one cut short, costs
    nothing but itself."""
    block: list[bytes] = []
    size = 0
    for _, line in iter_lines(stream, source, stats):
        begins = line.startswith(b"  ") and line[2:3] not in b" \t\r\n}]"
        if begins or (block and line.startswith(b"]")):
            if block:
                yield _block(block, size)
            block, size = [], 0
        if not block and not begins:
            if line.strip() not in (b"]", b""):
                yield STRAY, None
            continue
        size += len(line)
        if size <= MAX_ENTRY_BYTES:  # past it, only the size is kept: memory stays bounded
            block.append(line)
        if line.rstrip() in (b"  }", b"  },"):
            yield _block(block, size)
            block, size = [], 0
    if block:
        yield CUT, None


def _block(lines: list[bytes], size: int) -> tuple[str, bytes | None]:
    if size > MAX_ENTRY_BYTES:
        return OVERSIZE, None
    return ENTRY, b"".join(lines).rstrip().rstrip(b",")


# Everything up to the next bracket outside a string. Strings are taken whole, so a bracket inside one
# does not count, and possessively, so the scan is linear. It stops early at a string not closed yet.
NOT_BRACKET = re.compile(rb'[^"\[\]{}]*+(?:"(?:[^"\\]++|\\.)*+"[^"\[\]{}]*+)*+', re.S)
OPENING = frozenset(b"[{")
QUOTE, LEFT_BRACE = ord('"'), ord("{")
BLANK_OR_COMMA = b" \t\r\n,"
ARRAY_CHUNK = 1 << 20
STRING_BODY = re.compile(rb'(?:[^"\\]++|\\.)*+', re.S)
ENTRY_SEPARATOR = re.compile(rb"\},\s*\{")


def _any_items(stream) -> Iterator[tuple[str, bytes | dict | None]]:
    """Any other layout (one line, other indents, arrays one after another): each entry is found by
    counting brackets outside strings, and decoded on its own, so a bad entry costs only itself. Only
    a depth count and at most one entry (up to MAX_ENTRY_BYTES) are held, however deep the nesting."""
    return _Splitter(stream).items()


class _Splitter:
    """The state of `_any_items`: a window `buf` on the stream, read up to `pos`."""

    def __init__(self, stream):
        self.stream = stream
        self.buf, self.pos, self.depth = b"", 0, 0
        self.start = -1  # where the open entry began in `buf`; -1 when no entry is open
        self.entry_depth = 0  # the depth at which the open entry closes
        self.oversize = False  # the open entry outgrew MAX_ENTRY_BYTES: its bytes are no longer kept
        self.gap = 0  # where the text since the last entry or bracket began: only commas and blanks belong there
        self.guess_from = 0  # entries that start before this offset are not guessed (see `_guess_entry`)

    def items(self):
        while True:
            self.pos = NOT_BRACKET.match(self.buf, self.pos).end()
            if self.pos == len(self.buf) or self.buf[self.pos] == QUOTE:  # no bracket read yet, or a string is open
                if not (yield from self._read_more()):
                    return
            elif self.start >= 0:
                yield from self._inside_entry()
            else:
                yield from self._between_entries()

    def _inside_entry(self):
        bracket = self.buf[self.pos]
        self.pos += 1
        self.depth += 1 if bracket in OPENING else -1
        if self.depth == self.entry_depth:
            yield (OVERSIZE, None) if self.oversize else (ENTRY, self.buf[self.start:self.pos])
            self.start, self.gap = -1, self.pos

    def _between_entries(self):
        bracket = self.buf[self.pos]
        self.pos += 1
        if self.buf[self.gap:self.pos - 1].strip(BLANK_OR_COMMA) or (self.depth == 0 and bracket not in OPENING):
            yield STRAY, None  # a value that is not an object, or a closing bracket with nothing open
        self.gap = self.pos
        if bracket not in OPENING:
            self.depth = max(self.depth - 1, 0)
            return
        if self.depth == 1 or bracket == LEFT_BRACE:  # an entry begins (an object outside an array counts too)
            self.start, self.entry_depth, self.oversize = self.pos - 1, self.depth, False
        self.depth += 1
        if self.depth == 2 and self.guess_from <= self.start:
            entry, end = _guess_entry(self.buf, self.start)
            if end > 0:
                yield DECODED, entry
                self.start, self.depth, self.pos, self.gap = -1, 1, end, end
            else:
                self.guess_from = -end  # no separator before here: do not search this far again

    def _read_more(self):
        """Read on, dropping what is done with; False at the end of the stream, after yielding what
        the end cut short."""
        if self.start < 0:
            if self.buf[self.gap:self.pos].strip(BLANK_OR_COMMA):
                yield STRAY, None
            self.gap = self.pos
        elif len(self.buf) - self.start > MAX_ENTRY_BYTES:
            self.oversize = True
        if len(self.buf) - self.pos > MAX_ENTRY_BYTES:  # one string longer than any entry: pass over it unkept
            if self.start < 0:
                yield STRAY, None
            self.oversize = self.start >= 0
            self.buf, self.pos = _past_string(self.stream, self.buf, self.pos)
            self.start, self.gap = (0 if self.start >= 0 else -1), self.pos
            more = bool(self.buf)
        else:
            chunk = self.stream.read(ARRAY_CHUNK)
            keep = self.start if self.start >= 0 and not self.oversize else self.pos
            self.buf, self.pos, self.gap = self.buf[keep:] + chunk, self.pos - keep, self.gap - keep
            self.start = max(self.start - keep, 0) if self.start >= 0 else -1
            self.guess_from = 0
            more = bool(chunk)
        if not more and self.start >= 0:
            yield CUT, None
        elif not more and self.pos < len(self.buf):
            yield STRAY, None  # a string never closed, outside any entry
        return more


def _past_string(stream, buf: bytes, pos: int) -> tuple[bytes, int]:
    """The buffer and position just after the string that opens at `buf[pos]`, read on chunk by chunk
    and dropped as it goes; (b"", 0) if the file ends first."""
    rest = buf[pos + 1:]
    while True:
        body = STRING_BODY.match(rest)
        end = body.end() if body else 0
        if end < len(rest):  # at the closing quote (the body stops early only there or at a lone `\`)
            if rest[end] == QUOTE:
                return rest, end + 1
        chunk = stream.read(ARRAY_CHUNK)
        if not chunk:
            return b"", 0
        rest = rest[end:] + chunk  # a trailing `\` escapes the next chunk's first byte: keep it


def _guess_entry(buf: bytes, start: int) -> tuple[dict | None, int]:
    """The fast path: the object at `start`, if it ends where the next `, {` begins (as json.dumps, jq -c
    and orjson write arrays). If the slice decodes to an object it is exactly the entry: a separator
    inside a string or a nested object would leave the slice unbalanced. Returns (entry, end), or
    (None, -end of the search) when there is no separator, or the slice does not decode."""
    separator = ENTRY_SEPARATOR.search(buf, start)
    if separator is None:
        return None, -len(buf)
    try:
        entry = orjson.loads(buf[start:separator.start() + 1])
    except orjson.JSONDecodeError:
        return None, -start
    return (entry, separator.start() + 1) if isinstance(entry, dict) else (None, -start)


def _decode_entry(raw: bytes, source: str, position, stats: ReadStats) -> dict | None:
    """The entry, or None after counting why not. The caller has counted the line as a record."""
    try:
        entry = orjson.loads(raw)
    except orjson.JSONDecodeError as error:
        if not raw.strip():
            stats.records -= 1  # a blank line is not a record
            return None
        stats.skip(_decode_failure(raw, str(error)), source, position)
        return None
    if not isinstance(entry, dict):
        stats.skip("JSON value is not a LogEntry object", source, position)
        return None
    return entry


def _decode_failure(raw: bytes, message: str) -> str:
    """Why a line or entry is not JSON, in words that name no content (it may hold secrets)."""
    if raw.lstrip().startswith(b"#"):
        return "comment line"
    if "depth limit" in message:
        return "JSON nested too deeply"
    return "invalid UTF-8" if "utf-8" in message.lower() else "broken JSON"
