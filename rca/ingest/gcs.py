"""A log sink's bucket read in place: `gs://BUCKET/PREFIX` listed, opened and streamed through gcsfs.

Cloud Logging sinks write hourly JSON-lines objects, `LOG_ID/YYYY/MM/DD/HH:00:00_HH:59:59_S<n>.json`,
and late arrivals in `A<n>` shards beside them. With a window only the objects whose hour overlaps it
are listed (date folders outside it are not even entered) and read. Objects are streamed in blocks,
never saved whole to disk.

Sinks do not de-duplicate, and two sinks of overlapping queries hold the same entries: an entry is
known by its (`logName`, `timestamp`, `insertId`), and since its timestamp names its hour, every copy
of it lies in objects of the same log folder and hour. Those objects are read together
(`hour_groups`) with one set of keys, dropped when the hour is done, so memory holds one hour of one
log at most.

gcsfs (and through it aiohttp and google-auth) costs most of a second to import: it is imported
only when a gs:// source is read, and this module only when one is named (`rca.ingest.is_gcs`).
"""

from __future__ import annotations

import io
import logging
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from rca.errors import RcaError
from rca.ingest.shards import sink_hour
from rca.ingest.stats import ReadStats
from rca.ingest.unique import COPIES, UniqueEntries, entry_key  # noqa: F401 - where they were first

SCHEME = "gs://"
HOUR = 3600.0
DATE_FOLDER = re.compile(r"(?:^|/)(\d{4})(?:/(\d\d)(?:/(\d\d))?)?/?$")
_CHUNK = 1 << 20
BLOCK = 8 * _CHUNK  # bytes fetched by one request when an object is streamed
READ_SECONDS = 60.0  # the default wait for the server (`rca analyze --timeout`)
# A block's fetch, gcsfs's own retries included, gets this many times the wait: a server that went
# silent is given up on in a bounded time however often gcsfs would ask again.
BLOCK_WAITS = 3


class StorageError(RcaError):
    """A bucket that cannot be read: missing, forbidden, or gcsfs not installed."""


class ReadCut(OSError):
    """An object whose reading stopped before its end: the server fell silent, or the connection
    dropped and gcsfs's retries did not bring it back. One line, the object named."""


@dataclass(frozen=True)
class SinkObject:
    url: str
    size: int
    log: str  # the folder that holds the dates (the log id); "" for an object not named by a sink
    hour: float | None  # the start of its hour, epoch seconds; None for an object not named by a sink


def filesystem(timeout: float | None = None):
    """gcsfs, with credentials found as Google's own clients find them (Application Default
    Credentials), or anonymous when `STORAGE_EMULATOR_HOST` points at an emulator, as they do.
    Every request waits at most `timeout` seconds (READ_SECONDS by default) to connect and for each
    read of the answer: aiohttp's default, as gcsfs sets it, waits forever on a silent server."""
    try:
        # The core file system, not the package's default: gcsfs 2026's default first asks a gRPC
        # storage-layout API for the bucket's type (zonal, hierarchical), which a local emulator cannot
        # answer, and waits 60 s before falling back (docs/GCP-NOTES.md). A sink's bucket is neither.
        # Chosen here rather than by setting GCSFS_EXPERIMENTAL_ZB_HNS_SUPPORT, so os.environ is left alone.
        from aiohttp import ClientTimeout
        from gcsfs.core import GCSFileSystem
    except ImportError:
        raise StorageError("reading gs:// sources needs gcsfs: pip install 'rca[gcs]'") from None
    # gcsfs logs each failed try with its traceback (logger.exception): a dozen for one dropped
    # connection. What failed reaches the user once, as rca's own line; a handler of the caller's still sees them.
    logging.getLogger("gcsfs").addHandler(logging.NullHandler())
    seconds = timeout or READ_SECONDS
    waits = ClientTimeout(total=None, sock_connect=seconds, sock_read=seconds)
    emulator = os.environ.get("STORAGE_EMULATOR_HOST", "")
    if emulator in ("", "default"):
        return GCSFileSystem(requests_timeout=waits)
    # Named, not left for gcsfs to read, so that its cache of file systems keys on the emulator.
    endpoint = emulator if emulator.startswith(("http://", "https://")) else f"http://{emulator}"
    return GCSFileSystem(token="anon", endpoint_url=endpoint, requests_timeout=waits)


# ---- listing --------------------------------------------------------------------------------------


def list_objects(prefix: str, since: float | None = None, until: float | None = None, stats: ReadStats | None = None,
                 timeout: float | None = None) -> list[SinkObject]:
    """The objects under `prefix` (a gs:// URL) whose hour overlaps [since, until), and those not
    named by a sink (their hour is unknown, so they are read and their records filtered). A prefix
    that holds nothing is an error in `stats`, like a pattern that matches no file; one whose objects
    all lie outside the window is a note there: the window, not the bucket, is what to check."""
    fs = filesystem(timeout)
    root = prefix[len(SCHEME):].rstrip("/")
    try:
        listed, passed = _listing(fs, root, since, until)
    except FileNotFoundError:
        listed, passed = [], 0
    except Exception as error:  # gcsfs raises OSError, HttpError or google-auth's errors
        raise _storage_error(prefix, error) from None
    if not listed and not passed and not _bucket_exists(fs, root):
        raise StorageError(f"{prefix}: no bucket named {root.split('/', 1)[0]} (or the credentials may not see it)")
    objects = [_sink_object(info) for info in listed]
    kept = [o for o in objects if o.hour is None or _overlaps(o.hour, o.hour + HOUR, since, until)]
    if stats is not None and not kept:
        if objects or passed:
            stats.note("sink prefixes with no object in the window", prefix, 0)
        else:
            stats.error(prefix, "no object under this prefix")
    return kept


def _listing(fs, root: str, since: float | None, until: float | None) -> tuple[list[dict], int]:
    """Every object under `root` in one recursive listing; with a window, a walk that leaves out
    the year, month and day folders outside it (one listing per folder entered). Also returns how
    many folders were left out."""
    if since is None and until is None:
        return [info for info in fs.find(root, detail=True).values() if _is_object(info)], 0
    found: list[dict] = []
    passed = 0
    waiting = [root]
    while waiting:
        folder = waiting.pop()
        for info in fs.ls(folder, detail=True):
            name = info["name"].rstrip("/")
            if info["type"] != "directory":
                found.extend([info] if _is_object(info) else [])
            elif name == folder:
                continue
            elif _may_hold(name, since, until):
                waiting.append(name)
            else:
                passed += 1
    return found, passed


def _is_object(info: dict) -> bool:
    """Not a folder, nor the empty placeholder object some tools write for one."""
    return info["type"] != "directory" and not info["name"].endswith("/")


def _may_hold(folder: str, since: float | None, until: float | None) -> bool:
    """Whether a folder can hold objects of the window: a year, month or day folder outside it cannot."""
    match = DATE_FOLDER.search(folder)
    if match is None:
        return True
    year, month, day = (int(part) if part else None for part in match.groups())
    try:
        start = datetime(year or 1, month or 1, day or 1, tzinfo=UTC)
    except ValueError:
        return True  # not a date after all
    if day is not None:
        end = start + timedelta(days=1)
    elif month is not None:
        end = (start + timedelta(days=31)).replace(day=1)
    else:
        end = start + timedelta(days=366)  # a day late at worst: one folder entered that need not be
    return _overlaps(start.timestamp(), end.timestamp(), since, until)


def _overlaps(start: float, end: float, since: float | None, until: float | None) -> bool:
    return (until is None or start < until) and (since is None or end > since)


def _sink_object(info: dict) -> SinkObject:
    name = info["name"]
    url = SCHEME + name
    hour = sink_hour(name)
    if hour is None:
        return SinkObject(url, int(info.get("size") or 0), "", None)
    return SinkObject(url, int(info.get("size") or 0), hour[0], hour[1])


def _bucket_exists(fs, root: str) -> bool:
    try:
        return bool(fs.exists(root.split("/", 1)[0]))
    except Exception:
        return False


def _storage_error(prefix: str, error: Exception) -> StorageError:
    """One line for what stopped a listing: no permission, or anything else gcsfs raised."""
    text = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    code = getattr(error, "code", None)
    if isinstance(error, PermissionError) or code in (401, 403) or text.startswith("Forbidden"):
        return StorageError(f"{prefix}: permission denied ({text}): the credentials need "
                            "storage.objects.list and storage.objects.get on the bucket (roles/storage.objectViewer)")
    return StorageError(f"{prefix}: cannot list the bucket: {text}")


def hour_groups(objects: Iterable[SinkObject]) -> list[tuple[str, ...]]:
    """Objects that can hold copies of one entry — the same log folder and hour, from any prefix —
    as one group each, in hour order; an object not named by a sink is a group of its own."""
    groups: dict[tuple, list[str]] = {}
    for item in objects:
        key = (item.hour, item.log) if item.hour is not None else (None, item.url)
        urls = groups.setdefault(key, [])
        if item.url not in urls:
            urls.append(item.url)
    order = sorted(groups, key=lambda key: (key[0] is None, key[0] or 0.0, key[1]))
    return [tuple(sorted(groups[key])) for key in order]


# ---- reading --------------------------------------------------------------------------------------


def open_object(url: str, timeout: float | None = None):
    """An object's bytes, streamed in blocks (gzip is undone by the caller, from its first bytes);
    a block not fetched within BLOCK_WAITS times `timeout` raises ReadCut."""
    fs = filesystem(timeout)
    path = url[len(SCHEME):]
    try:
        size = int(fs.info(path)["size"])
    except FileNotFoundError:
        raise
    except Exception as error:  # gcsfs raises OSError, HttpError, aiohttp's or google-auth's errors
        raise ReadCut(f"cannot open: {_first_line(error)}") from None
    return io.BufferedReader(ObjectBlocks(fs, path, size, (timeout or READ_SECONDS) * BLOCK_WAITS), BLOCK)


class ObjectBlocks(io.RawIOBase):
    """An object read block by block, each fetch given `deadline` seconds in all: fsspec cancels it
    then, gcsfs's retries with it. Fewer bytes than the object holds is a cut, never an end."""

    def __init__(self, fs, path: str, size: int, deadline: float):
        self.fs, self.path, self.size, self.deadline = fs, path, size, deadline
        self.offset = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self.offset >= self.size:
            return 0
        end = min(self.size, self.offset + len(buffer))
        try:
            data = self.fs.cat_file(self.path, start=self.offset, end=end, timeout=self.deadline)
        except FileNotFoundError:
            raise ReadCut(f"deleted while read, after {self.offset:,} of {self.size:,} bytes") from None
        except Exception as error:
            raise ReadCut(self._cut(error)) from None
        if not data:
            raise ReadCut(f"the server sent nothing after {self.offset:,} of {self.size:,} bytes")
        buffer[:len(data)] = data
        self.offset += len(data)
        return len(data)

    def _cut(self, error: Exception) -> str:
        where = f"after {self.offset:,} of {self.size:,} bytes"
        if type(error).__name__ in ("FSTimeoutError", "TimeoutError", "ServerTimeoutError"):
            return f"no answer from the server within {self.deadline:.0f} s, {where}"
        return f"the read failed {where}: {_first_line(error)}"


def _first_line(error: Exception) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
