"""A log sink's bucket in the local storage emulator, and the report helpers the sink, gs:// and Dask tests share."""

from __future__ import annotations

import gzip
import re
from dataclasses import dataclass
from pathlib import Path

import orjson
import pytest
from storage_emulator import filesystem, running_emulator, sink_layout, upload

from rca.analyze.analysis import analyze
from rca.ingest.times import parse_moment
from rca.report.markdown import to_dict

ROOT = Path(__file__).resolve().parents[1]  # the checkout
SEED = ROOT / "fixtures" / "incidents" / "missing-import" / "logs.jsonl"
WINDOW = {"since": parse_moment("2025-09-12T13:30Z"), "until": parse_moment("2025-09-12T15:00Z")}


@dataclass
class Sink:
    export: Path  # the same entries in one local file, each once
    objects: list[str]  # gs:// URLs of the first sink's objects, in the order rca reads them
    overlapping: list[str]  # those of a second sink whose query overlaps the first one's
    overlapping_entries: int  # the entries the second sink holds (each one a copy of the first's)


def moved(line: bytes, day_hour: str, index: int) -> bytes:
    """A healthy request of the seed, moved to another hour (`2025-09-11T10`), with an id of its own."""
    entry = orjson.loads(line)
    entry["timestamp"] = entry["receiveTimestamp"] = day_hour + entry["timestamp"][13:]
    entry["insertId"] = f"moved-{day_hour}-{index}"
    return orjson.dumps(entry) + b"\n"


def late(entry: dict) -> bool:
    """Late arrivals, written to the A0 shard: the last minutes of the incident."""
    return entry["timestamp"] >= "2025-09-12T14:21:30"


def seed_with_other_hours() -> list[bytes]:
    """The seed incident (all in 14:00-15:00), and healthy requests on 11 Sept at 10:00 and on
    12 Sept at 10:00 and 13:00 (the window takes 13:30 to 15:00: it overlaps 13:00-14:00)."""
    lines = SEED.read_bytes().splitlines(keepends=True)
    healthy = [line for line in lines if b'"status":200' in line][:30]
    hours = ["2025-09-11T10", "2025-09-12T10", "2025-09-12T13"]
    extra = [moved(line, hours[index % 3], index) for index, line in enumerate(healthy)]
    return sorted(extra, key=lambda line: orjson.loads(line)["timestamp"]) + lines  # in time order, as an export is


def hour_order(url: str) -> tuple:
    """The order rca reads a sink's objects in: by hour, then log, then name."""
    dated = re.search(r"/(\d{4}/\d\d/\d\d/\d\d):", url)
    assert dated is not None
    return dated.group(1), url[:dated.start()].rsplit("/", 1)[-1], url


@pytest.fixture(scope="module")
def sink(tmp_path_factory):
    lines = seed_with_other_hours()
    export = tmp_path_factory.mktemp("gcs") / "export.jsonl"
    export.write_bytes(b"".join(lines))
    layout = sink_layout(lines, late)
    requests = "run.googleapis.com/requests/2025/09/12/14:00:00_14:59:59_"
    # A sink delivers at least once: three entries of the S0 shard again in the A0 one.
    layout[requests + "A0.json"] += b"".join(layout[requests + "S0.json"].splitlines(keepends=True)[:3])
    # An object gzipped (a sink does not, but an export copied into a bucket may be).
    stdout = "run.googleapis.com/stdout/2025/09/12/14:00:00_14:59:59_S0.json"
    layout[stdout + ".gz"] = gzip.compress(layout.pop(stdout))
    with running_emulator("sink-a"):
        fs = filesystem()
        objects = upload(fs, "sink-a", layout)
        fs.mkdir("sink-b")
        second = {name: body for name, body in layout.items() if "/stderr/" in name or "/requests/" in name}
        overlapping = upload(fs, "sink-b", second)
        yield Sink(export, sorted(objects, key=hour_order), sorted(overlapping, key=hour_order),
                   sum(body.count(b"\n") for body in second.values()))


# An object of the sink larger than one block, for the tests of a storage server that fails mid-read
# (tests/faulty_storage.py): the first block passes, the second is cut.
BIG_PREFIX = "gs://sink-a/big"
BIG_TARGET = "big/run.googleapis.com/requests/2025/09/12/14:00:00_14:59:59_S0.json"


@pytest.fixture(scope="module")
def big_object(sink):
    """The seed twice in one object under BIG_PREFIX, the second copy's entries with ids of their own;
    the emulator's address and the report of the object read whole."""
    import os

    from conftest import run_rca

    from rca.ingest.gcs import BLOCK

    lines = SEED.read_bytes().splitlines()
    again = [orjson.dumps(dict(orjson.loads(line), insertId=f"again-{index}")) for index, line in enumerate(lines)]
    body = b"\n".join(lines + again) + b"\n"
    assert BLOCK < len(body) < 2 * BLOCK
    filesystem().pipe(f"sink-a/{BIG_TARGET}", body)
    done = run_rca("analyze", BIG_PREFIX, "--model", "none", "--format", "json")
    assert done.returncode == 0, done.stderr.decode()
    return {"address": os.environ["STORAGE_EMULATOR_HOST"], "report": orjson.loads(done.stdout)}


def report(inputs, **options) -> dict:
    return untimed(to_dict(analyze(inputs, model=None, **options), redacted=False))


def printed_report(done) -> dict:
    """The JSON report a finished `rca analyze --format json` printed, without its timings."""
    return untimed(orjson.loads(done.stdout))


def untimed(made: dict) -> dict:
    """A report without the seconds it took, which differ from run to run."""
    made.pop("seconds", None)
    made["stats"].pop("seconds", None)
    return made


def verdict(made: dict, keep_notes: bool = False) -> dict:
    """A report without where its records were read (a file and line, or an object and line), nor,
    unless `keep_notes`, the notes that count the copies passed over."""
    left_out = ("source", "position", "sources") if keep_notes else ("source", "position", "sources", "notes")

    def strip(value):
        if isinstance(value, dict):
            return {key: strip(item) for key, item in value.items() if key not in left_out}
        if isinstance(value, list):
            return [strip(item) for item in value]
        return value

    return strip(made)
