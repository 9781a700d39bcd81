"""A local Cloud Storage emulator for tests and benchmarks, and a log sink's layout built from an export.

`running_emulator()` starts `gcp-storage-emulator` (in memory) as a child process on a free port and
points `STORAGE_EMULATOR_HOST` at it, so that gcsfs (and rca) read from it anonymously, as Google's
clients do; no network is used.

`sink_layout(lines)` writes entries as a Cloud Logging sink does: one object per log and hour,
`LOG_ID/YYYY/MM/DD/HH:00:00_HH:59:59_S0.json`, one compact entry per line, and late arrivals
(`late(entry)`) in the `A0` shard beside it.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from urllib.parse import unquote

import orjson

os.environ.setdefault("GCSFS_EXPERIMENTAL_ZB_HNS_SUPPORT", "false")  # see ../shared/GCP-NOTES.md


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def running_emulator(bucket: str) -> Iterator[str]:
    """The emulator's address (http://127.0.0.1:PORT) with `bucket` made, while it runs; the
    environment's STORAGE_EMULATOR_HOST points at it meanwhile (child processes inherit it)."""
    port = free_port()
    command = [str(Path(sys.executable).with_name("gcp-storage-emulator")), "start", "--port", str(port),
               "--default-bucket", bucket, "-M", "-q"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    address = f"http://127.0.0.1:{port}"
    before = os.environ.get("STORAGE_EMULATOR_HOST")
    try:
        _wait_until_up(address, process)
        os.environ["STORAGE_EMULATOR_HOST"] = address
        yield address
    finally:
        if before is None:
            os.environ.pop("STORAGE_EMULATOR_HOST", None)
        else:
            os.environ["STORAGE_EMULATOR_HOST"] = before
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_until_up(address: str, process: subprocess.Popen, seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the storage emulator stopped: {process.stderr.read().decode() if process.stderr else ''}")
        try:
            with urllib.request.urlopen(f"{address}/storage/v1/b", timeout=1):
                return
        except (urllib.error.URLError, OSError):
            time.sleep(0.1)
    raise RuntimeError(f"the storage emulator did not answer at {address} within {seconds:.0f} s")


def filesystem():
    """gcsfs against the emulator that STORAGE_EMULATOR_HOST names, without credentials."""
    import gcsfs

    return gcsfs.GCSFileSystem(token="anon", skip_instance_cache=True)


def hour_name(stamp: str, shard: str) -> str:
    """`YYYY/MM/DD/HH:00:00_HH:59:59_<shard>.json` for an RFC 3339 timestamp."""
    day, hour = stamp[:10].replace("-", "/"), stamp[11:13]
    return f"{day}/{hour}:00:00_{hour}:59:59_{shard}.json"


def object_name(entry: dict, shard: str) -> str:
    """Where a sink writes an entry: its log id as folders (`run.googleapis.com/stderr`), then its hour's object."""
    log_id = unquote(entry["logName"].split("/logs/", 1)[1])
    return f"{log_id}/{hour_name(entry['timestamp'], shard)}"


def sink_objects(lines: Iterable[bytes], shard_of: Callable[[int, dict], str]) -> dict[str, bytes]:
    """{object name: its bytes} as a sink writes `lines` (compact LogEntry JSON, in file order), each
    entry to the shard `shard_of(index, entry)` names in its log's and hour's folder."""
    objects: dict[str, list[bytes]] = {}
    for index, line in enumerate(lines):
        entry = orjson.loads(line)
        objects.setdefault(object_name(entry, shard_of(index, entry)), []).append(line.rstrip(b"\n") + b"\n")
    return {name: b"".join(body) for name, body in objects.items()}


def sink_layout(lines: Iterable[bytes], late: Callable[[dict], bool] = lambda entry: False) -> dict[str, bytes]:
    """The objects of `sink_objects`, each entry in its hour's S0 shard, or the A0 one beside it for
    which `late(entry)` holds."""
    return sink_objects(lines, lambda index, entry: "A0" if late(entry) else "S0")


def write_sink(folder: Path, lines: Iterable[bytes], shard_of: Callable[[int, dict], str]) -> list[Path]:
    """The objects of `sink_objects` as files under `folder` (a local copy of a sink's bucket); their paths, sorted."""
    objects = sink_objects(lines, shard_of)
    for name, body in objects.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(body)
    return sorted(folder / name for name in objects)


def upload(fs, bucket: str, objects: dict[str, bytes]) -> list[str]:
    """Write the objects under gs://BUCKET/ and return their gs:// URLs, sorted."""
    for name, body in objects.items():
        fs.pipe(f"{bucket}/{name}", body)
    return sorted(f"gs://{bucket}/{name}" for name in objects)
