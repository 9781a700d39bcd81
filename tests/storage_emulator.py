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


def sink_layout(lines: Iterable[bytes], late: Callable[[dict], bool] = lambda entry: False) -> dict[str, bytes]:
    """{object name: its bytes} as a sink writes `lines` (compact LogEntry JSON, in file order): the
    folder is the log id (`run.googleapis.com/stderr`, its slash a folder), the object the entry's
    hour, and entries for which `late(entry)` holds go to the A0 shard."""
    objects: dict[str, list[bytes]] = {}
    for line in lines:
        entry = orjson.loads(line)
        log_id = unquote(entry["logName"].split("/logs/", 1)[1])
        name = f"{log_id}/{hour_name(entry['timestamp'], 'A0' if late(entry) else 'S0')}"
        objects.setdefault(name, []).append(line.rstrip(b"\n") + b"\n")
    return {name: b"".join(body) for name, body in objects.items()}


def upload(fs, bucket: str, objects: dict[str, bytes]) -> list[str]:
    """Write the objects under gs://BUCKET/ and return their gs:// URLs, sorted."""
    for name, body in objects.items():
        fs.pipe(f"{bucket}/{name}", body)
    return sorted(f"gs://{bucket}/{name}" for name in objects)
