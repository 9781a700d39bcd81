"""A gzipped export inflated once, into a plain file beside DuckDB's spill, for the engine to read.

DuckDB inflates a gzip on one thread, and its whole reading of the file (the JSON parse, the tests of
every line) then runs on that one thread too; the engine's own pass (engine.lay_out) inflated it a
second time. Inflated once here (ISA-L, rca.ingest.gunzip) into a plain file, the file is read by
DuckDB on every core and by the engine's pass from the disk's cache, as a plain export is.

The plain file is only made when the disk has room for it (a JSON export inflates 10-17×; a margin on
top), and a gzip cut short or damaged is not inflated here at all: the Python reader reads it, every
line that inflates, and counts the cut (`Inflated.damaged`). The file is removed when the read ends;
a worker process ended by its parent (SIGTERM ends it at once, rca.analyze.mapping) removes nothing,
so each file is named by the process that made it, and the parent removes what its ended workers left
(`remove_left_by`).
"""

from __future__ import annotations

import os
import shutil
import tempfile

from rca.ingest.gunzip import Gunzip

# The disk must have this many times the gzip's bytes free, or the gzip is read as it is: JSON log
# lines compress 10-17× (engine.GZIP_RATIO is the low end), and the disk is shared with others.
ROOM_RATIO = 40
_COPY_BYTES = 1 << 20
PREFIX = "rca-inflated-"


class Inflated:
    """The plain copy of a gzip file, made by `inflate`: `path` is None when none was made, either for
    want of room or because the gzip is damaged (`damaged`); `close` removes it."""

    def __init__(self, path: str | None = None, damaged: bool = False):
        self.path, self.damaged = path, damaged

    def close(self) -> None:
        if self.path is not None:
            _remove(self.path)
            self.path = None


def inflate(source: str) -> Inflated:
    """The gzip file `source` inflated into a temporary plain file, or why not (see Inflated)."""
    folder = tempfile.gettempdir()
    try:
        if shutil.disk_usage(folder).free < os.path.getsize(source) * ROOM_RATIO:
            return Inflated()
        handle, path = tempfile.mkstemp(prefix=_prefix(os.getpid()), suffix=".jsonl", dir=folder)
    except OSError:
        return Inflated()
    try:
        with os.fdopen(handle, "wb") as target, Gunzip(open(source, "rb")) as gunzip:
            shutil.copyfileobj(gunzip, target, _COPY_BYTES)
            damaged = gunzip.damage is not None
    except OSError:  # the disk filled up, or the file could not be read: read the gzip as it is
        _remove(path)
        return Inflated()
    except BaseException:  # stopped midway (Ctrl-C): no half-written copy left behind
        _remove(path)
        raise
    if damaged:
        _remove(path)
        return Inflated(damaged=True)
    return Inflated(path)


def remove_left_by(pids: list[int]) -> None:
    """Remove the plain files that the processes `pids`, now ended, made and left (see the module's docstring)."""
    if not pids:
        return
    folder = tempfile.gettempdir()
    prefixes = tuple(_prefix(pid) for pid in pids)
    try:
        names = os.listdir(folder)
    except OSError:
        return
    for name in names:
        if name.startswith(prefixes):
            _remove(os.path.join(folder, name))


def _prefix(pid: int) -> str:
    return f"{PREFIX}{pid}-"  # the dash ends the number: process 12's files are not process 123's


def _remove(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass
