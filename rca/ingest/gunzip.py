"""Gzip undone as a stream that gives every byte that inflates, even from a file cut short or damaged.

A gzip reader raises at the cut, and whatever it had inflated in that call (and whatever a buffer above
it held) was lost with it: about half of what `gzip -dc` recovers from a cut export. Here inflation
runs chunk by chunk; at a cut or damage the stream ends cleanly after the last whole line and
`damage` says why, for the caller to count the cut once. Every member of a multi-member file is read;
zero bytes after the last member (padding) are ignored, as `gzip -dc` ignores them.
"""

from __future__ import annotations

import io
import types
import zlib

from rca.ingest.lines import MAX_LINE_BYTES

inflate_module: types.ModuleType
try:  # ISA-L's inflate: a gzipped export is undone 3-4x faster than by zlib
    from isal import isal_zlib as inflate_module
except ImportError:  # pragma: no cover - isal is a dependency; a platform without its wheel still reads gzip
    inflate_module = zlib

GZIP_MAGIC = b"\x1f\x8b"
GZIP_WBITS = 16 + 15  # a gzip header and trailer around a deflate stream with a 32 KiB window
# Small steps keep the inflated bytes in the CPU's cache until they are read: JSON lines
# (144 MB) read in 0.42 s with these, 0.83 s with 256 KiB and 4 MiB (and 0.51 s by isal's IGzipFile).
READ_BYTES = 1 << 14  # compressed bytes read at a time
MAX_OUT_BYTES = 1 << 18  # inflated bytes made at a time: a gzip bomb fills no more than this at once
# A member ends with its CRC and length. The inflater checks them in the call that reads them and
# drops that call's output when they fail, so they are fed alone: the data before a failed check
# is passed on. (ISA-L's inflater cannot be copied and retried; damage inside the deflate data loses
# at most one step's output.)
TRAILER_BYTES = 8
INFLATE_ERRORS: tuple[type[BaseException], ...] = (zlib.error, inflate_module.error)  # isal's is its own


class Gunzip(io.RawIOBase):
    """The inflated bytes of a gzip stream (`raw`, a binary file). The bytes after the last newline
    are held back until the next line or the clean end: a line cut by damage is never passed on, and
    `cut_line` says whether one was dropped (held back at most MAX_LINE_BYTES, so memory stays bounded)."""

    def __init__(self, raw):
        super().__init__()
        self._raw = raw
        self._inflate = inflate_module.decompressobj(wbits=GZIP_WBITS)
        self._pending = b""  # compressed bytes not yet given to the inflater
        self._last = b""  # the last TRAILER_BYTES read, fed once more is read or the input ends
        self._ready = memoryview(b"")  # inflated whole lines, to hand out
        self._tail = b""  # inflated bytes after the last newline
        self._ended = False
        self.damage: str | None = None  # why the stream ended early, or None
        self.cut_line = False  # a partial line was dropped at the damage

    def readable(self) -> bool:
        return True

    def reads_a_file(self) -> bool:
        """Whether the gzip is a file on disk (that DuckDB can open by its name), not a stream."""
        return isinstance(getattr(self._raw, "raw", self._raw), io.FileIO)  # open(path, "rb") is buffered

    def readinto(self, buffer) -> int:
        while not self._ready and not self._ended:
            self._step()
        size = min(len(buffer), len(self._ready))
        buffer[:size] = self._ready[:size]
        self._ready = self._ready[size:]
        return size

    def _step(self) -> None:
        """Inflate what is pending, or read more; at the end of the input, end cleanly or as damaged."""
        if self._inflate.eof:
            self._next_member()
            return
        if not self._pending:
            self._pending = self._read()
            if not self._pending:
                self._end("cut short: the file ends inside a gzip member")
                return
        try:
            data = self._inflate.decompress(self._pending, MAX_OUT_BYTES)
        except INFLATE_ERRORS as error:
            self._end(f"damaged data: {error}")
            return
        self._pending = self._inflate.unconsumed_tail
        self._pass_on(data)

    def _read(self) -> bytes:
        """The next compressed bytes, less the last TRAILER_BYTES read (given alone, at the end)."""
        while chunk := self._raw.read(READ_BYTES):
            held = self._last + chunk
            self._last = held[-TRAILER_BYTES:]
            if len(held) > TRAILER_BYTES:
                return held[:-TRAILER_BYTES]
        last, self._last = self._last, b""
        return last

    def _next_member(self) -> None:
        """After a member's end: another member, zero padding, the end of the file, or stray bytes."""
        rest = (self._inflate.unused_data + self._pending + self._last).lstrip(b"\0")
        self._last = b""
        while len(rest) < len(GZIP_MAGIC):
            chunk = self._raw.read(READ_BYTES)
            if not chunk:
                self._end(None if not rest else "stray bytes after the gzip data")
                return
            rest += chunk if rest else chunk.lstrip(b"\0")
        if not rest.startswith(GZIP_MAGIC):
            self._end("stray bytes after the gzip data")
            return
        self._inflate = inflate_module.decompressobj(wbits=GZIP_WBITS)
        self._pending = rest

    def _pass_on(self, data: bytes) -> None:
        if not data:
            return
        held = self._tail + data
        cut = held.rfind(b"\n") + 1
        if len(held) - cut > MAX_LINE_BYTES:  # no line this long: a one-line document, passed on as it comes
            cut = len(held)
        self._ready, self._tail = memoryview(held)[:cut], held[cut:]

    def _end(self, damage: str | None) -> None:
        self._ended = True
        self.damage = damage
        if damage is None:
            self._ready, self._tail = memoryview(self._tail), b""
        else:
            self.cut_line, self._tail = bool(self._tail), b""

    def close(self) -> None:
        try:
            self._raw.close()
        finally:
            super().close()
