"""Writing output files so that a failure never damages what was there.

Everything is written to a temporary name in the target's own directory (the same file system,
so the final rename is atomic) and renamed over the target only when writing succeeded. A run that
fails halfway, a full disk or a Ctrl-C leaves an existing report or export as it was.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from rca.errors import RcaError

PARTIAL_SUFFIX = ".partial"


class OutputError(RcaError):
    """A target that cannot be written; the message is one line naming it and why."""


def partial_path(path: str | os.PathLike) -> Path:
    """Where `atomic_write(path, keep_partial=True)` writes until it succeeds: `PATH.partial`."""
    return Path(os.fspath(path) + PARTIAL_SUFFIX)


@contextmanager
def atomic_write(path: str | os.PathLike, *, binary: bool = False, keep_partial: bool = False) -> Iterator[IO]:
    """A file open for writing whose content replaces `path` only if the block ends without error.

    On error the temporary file is removed, or with `keep_partial` kept as `PATH.partial` (a pull
    keeps what it fetched). A special file such as /dev/stdout or a pipe cannot be replaced and is
    written directly. An OSError raised in the block (a full disk) or by the file system (a missing
    directory, a read-only file system, a directory in the way) becomes an OutputError.
    """
    target = Path(os.path.realpath(path))  # a link's target is replaced, not the link
    if target.is_dir():
        raise OutputError(f"cannot write {path}: it is a directory")
    if target.exists() and not target.is_file():
        with _converting(path):
            with open(target, "wb" if binary else "w", **_text_options(binary)) as handle:
                yield handle
        return
    temporary = partial_path(target) if keep_partial else target.with_name(f".{target.name}.{os.getpid()}.tmp")
    with _converting(path):
        handle = open(temporary, "wb" if binary else "w", **_text_options(binary))
    try:
        with _converting(path):
            with handle:
                yield handle
            _keep_mode(target, temporary)
            os.replace(temporary, target)
    except BaseException:
        if not keep_partial:
            temporary.unlink(missing_ok=True)
        raise


def write_text_atomically(path: str | os.PathLike, text: str | bytes) -> None:
    """`path.write_text(text)` (or `write_bytes`), through `atomic_write`."""
    with atomic_write(path, binary=isinstance(text, bytes)) as handle:
        handle.write(text)


@contextmanager
def _converting(path) -> Iterator[None]:
    try:
        yield
    except OSError as error:
        reason = error.strerror or str(error)
        raise OutputError(f"cannot write {path}: {reason}") from None


def _text_options(binary: bool) -> dict:
    return {} if binary else {"encoding": "utf-8", "newline": ""}


def _keep_mode(target: Path, temporary: Path) -> None:
    """A replaced file keeps its permissions (a private report stays private)."""
    try:
        mode = stat.S_IMODE(target.stat().st_mode)
    except FileNotFoundError:
        return
    os.chmod(temporary, mode)
