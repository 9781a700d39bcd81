"""The engine's own passes over a file's lines (gzip undone), beside DuckDB's: counting the lines and
taking the few Python reads again (engine.lay_out). One pass a file, and one more only when it may
hold copies of an entry (engine_copies): each pass costs a whole inflate of a gzip.

A plain file is one seekable stream, rewound for each pass, and so is a gzip's plain copy
(engine_inflate.py). A gzip read as it is (no room on the disk for that copy) cannot be sought in, so
each pass inflates a fresh copy, read forward only (`Forward`); the stream the Python reader was given is
left untouched, so that when the engine gives up (a cut or damaged gzip, which DuckDB refuses) the
Python reader still reads every line that inflates and counts the cut (rca.ingest.gunzip).
"""

from __future__ import annotations

import io

from rca.ingest.gunzip import Gunzip

_SKIP_CHUNK = 1 << 20


class Forward:
    """A stream read forward only, that knows where it is: `seek` moves forward by reading."""

    def __init__(self, stream):
        self.stream, self.at = stream, 0

    def read(self, size: int = -1) -> bytes:
        data = self.stream.read(size)
        self.at += len(data)
        return data

    def readline(self, limit: int = -1) -> bytes:
        data = self.stream.readline(limit)
        self.at += len(data)
        return data

    def seek(self, offset: int) -> int:
        if offset < self.at:
            raise io.UnsupportedOperation("a gzip pass reads forward only")
        while self.at < offset and self.read(min(offset - self.at, _SKIP_CHUNK)):
            pass
        return self.at


class Passes:
    """Streams at the start of one file's lines, one for each pass of the engine's."""

    def __init__(self, stream, source: str, compressed: bool):
        self.stream, self.source, self.compressed = stream, source, compressed
        self.opened: list[Gunzip] = []

    def fresh(self):
        """The file's lines from their start: the plain file rewound, or the gzip inflated anew."""
        if not self.compressed:
            self.stream.seek(0)
            return self.stream
        gunzip = Gunzip(open(self.source, "rb"))
        self.opened.append(gunzip)
        return Forward(io.BufferedReader(gunzip, _SKIP_CHUNK))

    def damaged(self) -> bool:
        """Whether a pass met a cut or damage in the gzip: the Python reader reads it then, and counts it."""
        return any(gunzip.damage is not None for gunzip in self.opened)

    def close(self) -> None:
        for gunzip in self.opened:
            gunzip.close()
        self.opened = []
