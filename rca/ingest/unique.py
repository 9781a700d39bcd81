"""Entries that Cloud Logging delivered more than once, passed over before they are decoded.

Cloud Logging delivers at least once and sinks do not de-duplicate: the same entry (its `logName`,
`timestamp` and `insertId`) can be written to two shards of one hour, or twice in one file. Holding
the key of every entry read would cost ~100 MB a million entries, so the check is scoped to where a
copy can be:

- the shards of one log and hour (a sink's objects, in a bucket or copied to disk) share one set of
  keys (`HourKeys`): a copy has its original's timestamp, so it lies in the same hour's shards, and
  the set is dropped when the hour is read: memory holds one hour of one log at most;
- any other source keeps the lines of its last DUPLICATE_WINDOW_BYTES (`RecentKeys`): a line written
  twice, a retried write, follows its original closely. There a copy is the same line byte for byte
  (with an insertId): a damaged gzip inflates garbled lines that repeat an earlier entry's id and
  time, and they are read (and skipped as broken) rather than passed over. The rule looks only at the
  window before a line, so a byte range read with a margin at least as wide decides every line as
  one pass over the whole file does.

A copy is replaced by an empty line, not dropped, so that every later line keeps its line number
(readers pass over empty lines without counting them).
"""

from __future__ import annotations

import io
from typing import Any, Protocol

from rca.ingest.lines import MAX_LINE_BYTES
from rca.ingest.stats import ReadStats

_CHUNK = 1 << 20
COPIES = "copies of an entry already read, passed over"  # the note that counts them
DUPLICATE_WINDOW_BYTES = 1 << 20  # how far back a copy is looked for outside a sink's hour
FORGET_AFTER = 1 << 14  # RecentKeys drops what is older than its window once it holds this many lines
FORGET_BYTES = 4 * DUPLICATE_WINDOW_BYTES  # or lines this long together (held in full: see RecentKeys)
_INSERT_ID = b'"insertId":"'


class Keys(Protocol):
    def empty_copies(self, lines: list[bytes], offset: int) -> int:
        """Make each line that is a copy (as this kind of scope tells one) empty, in place; `offset`
        is the first line's byte in its file. Returns how many were."""


class HourKeys:
    """Every (logName, timestamp, insertId) key of one log's hour, for all its shards (held as
    64-bit hashes)."""

    def __init__(self) -> None:
        self.keys: set[int] = set()

    def empty_copies(self, lines: list[bytes], offset: int) -> int:
        keys, copies = self.keys, 0
        for index, line in enumerate(lines):
            key = entry_key(line)
            if key is None:
                continue
            if key in keys:
                lines[index] = b""
                copies += 1
            else:
                keys.add(key)
        return copies


class RecentKeys:
    """The lines met in the last `window` bytes of one stream, with where each began: a line with an
    insertId is a copy when the same line, kept or not, began within the window before it. The lines
    themselves are the keys, so that a hash two lines share is told apart by comparing them (a copy is
    never decided on a hash alone). The decision reads only that window; what is older is forgotten
    now and then, once FORGET_AFTER lines or FORGET_BYTES are held."""

    def __init__(self, window: int = DUPLICATE_WINDOW_BYTES) -> None:
        self.window = window
        self.last: dict[bytes, int] = {}  # a line -> where its latest copy began
        self.held = 0  # bytes of the lines held, at most (a line met again is counted again)

    def empty_copies(self, lines: list[bytes], offset: int) -> int:
        window, copies, start = self.window, 0, offset
        if len(self.last) > FORGET_AFTER or self.held > FORGET_BYTES:
            self.last = {line: at for line, at in self.last.items() if offset - at <= window}
            self.held = sum(map(len, self.last))
        last = self.last
        seen = last.get
        for index, line in enumerate(lines):  # the hot path of every JSON-lines read: kept lean
            before = seen(line)
            if before is not None and offset - before <= window and _INSERT_ID in line:
                lines[index] = b""
                copies += 1
            last[line] = offset
            offset += len(line) + 1  # the line as read, not as emptied
        self.held += offset - start
        return copies


class UniqueEntries(io.RawIOBase):
    """The JSON lines of a stream, each copy of an entry that `keys` has met made an empty line; the
    copies are counted in `stats.notes`. `start` is the stream's first byte in its file. The key is
    found without decoding: sink lines are compact JSON, and a key written inside a string would be
    escaped (`\\"insertId\\"`), so only real keys match. A line without an insertId is always kept."""

    def __init__(self, stream, keys: Keys, stats: ReadStats, start: int = 0):
        self.stream, self.keys, self.stats, self.offset = stream, keys, stats, start
        self.pending = memoryview(b"")
        self.tail: list[bytes] = []  # a line not yet ended at the end of the last chunk, in pieces
        self.held = 0  # its length
        self.overlong = False  # inside a line longer than MAX_LINE_BYTES, passed on unchecked

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self.pending:
            chunk = self.stream.read(_CHUNK)
            if not chunk:
                if not self.held:
                    return 0
                self.pending = memoryview(self._unique([b"".join(self.tail)]))
                self.tail, self.held = [], 0
            else:
                self.pending = memoryview(self._take(chunk))
        count = min(len(buffer), len(self.pending))
        buffer[:count] = self.pending[:count]
        self.pending = self.pending[count:]
        return count

    def _take(self, chunk: bytes) -> bytes:
        """The lines that `chunk` ends, copies emptied; the line it leaves open waits for the next
        chunk, unless it outgrows MAX_LINE_BYTES: then it is passed on unchecked (a reader skips such
        a line, and must not have to wait for all of it)."""
        head = b""
        if self.overlong:
            end = chunk.find(b"\n")
            if end < 0:
                self.offset += len(chunk)
                return chunk
            head, chunk, self.overlong = chunk[:end + 1], chunk[end + 1:], False
            self.offset += len(head)
        end = chunk.rfind(b"\n")
        if end < 0:
            self.tail.append(chunk)
            self.held += len(chunk)
            if self.held <= MAX_LINE_BYTES:
                return head
            passed = b"".join(self.tail)
            self.tail, self.held, self.overlong = [], 0, True
            self.offset += len(passed)
            return head + passed
        lines = (b"".join(self.tail) + chunk[:end]).split(b"\n")
        self.tail, self.held = [chunk[end + 1:]], len(chunk) - end - 1
        return head + self._unique(lines)

    def _unique(self, lines: list[bytes]) -> bytes:
        size = sum(map(len, lines)) + len(lines)  # before copies are emptied
        copies = self.keys.empty_copies(lines, self.offset)
        self.offset += size
        if copies:
            self.stats.notes[COPIES] += copies
        return b"\n".join(lines) + b"\n" if lines else b""

    def close(self) -> None:
        self.stream.close()
        super().close()


def entry_key(line: bytes) -> int | None:
    """hash((logName, timestamp, insertId)) of a compact JSON line, or None without an insertId."""
    insert_id = _value(line, b'"insertId":"')
    if insert_id is None:
        return None
    return hash((insert_id, _value(line, b'"timestamp":"'), _value(line, b'"logName":"')))


def _value(line: bytes, key: bytes) -> bytes | None:
    at = line.find(key)
    if at < 0:
        return None
    start = at + len(key)
    return line[start: line.find(b'"', start)]
