"""Text in UTF-16 or UTF-32 read as UTF-8, chosen by its byte-order mark.

Windows tools (PowerShell's `>` and `Out-File`, Notepad's "Unicode") save logs in UTF-16 with a BOM;
every reader here parses UTF-8 bytes. A source that opens with a UTF-16 or UTF-32 BOM is decoded as
it is read, chunk by chunk, so that the readers see the same text in UTF-8 (the BOM itself dropped).
"""

from __future__ import annotations

import codecs
import io

# Longest first: the UTF-32 little-endian mark begins with the UTF-16 one.
BYTE_ORDER_MARKS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
READ_BYTES = 1 << 16


def wide_encoding(head: bytes) -> tuple[str, int] | None:
    """(encoding, length of its BOM) for a head that opens with a UTF-16 or UTF-32 BOM, else None."""
    for mark, encoding in BYTE_ORDER_MARKS:
        if head.startswith(mark):
            return encoding, len(mark)
    return None


def utf16_without_bom(head: bytes) -> str | None:
    """"UTF-16LE" or "UTF-16BE" for ASCII text in UTF-16 with no BOM (a zero in nearly every other
    byte, on one side only), else None: named in the error, since which one it is cannot be known."""
    sample = head[:4096]
    half = len(sample) // 2
    if half < 32:
        return None
    even, odd = sample[0::2].count(0), sample[1::2].count(0)
    if min(even, odd) > 0.1 * half or max(even, odd) < 0.9 * half:
        return None
    return "UTF-16LE" if odd > even else "UTF-16BE"


class Utf8Reader(io.RawIOBase):
    """The text of `raw` (a buffered binary stream, positioned after the BOM) in UTF-8. A byte
    sequence the encoding cannot decode becomes U+FFFD, as in any other undecodable log line."""

    def __init__(self, raw, encoding: str):
        super().__init__()
        self._raw = raw
        self._decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
        self._ready = memoryview(b"")
        self._ended = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        while not self._ready and not self._ended:
            chunk = self._raw.read(READ_BYTES)
            self._ended = not chunk
            self._ready = memoryview(self._decoder.decode(chunk, final=self._ended).encode())
        size = min(len(buffer), len(self._ready))
        buffer[:size] = self._ready[:size]
        self._ready = self._ready[size:]
        return size

    def close(self) -> None:
        try:
            self._raw.close()
        finally:
            super().close()
