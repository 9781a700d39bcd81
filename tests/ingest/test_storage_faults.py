"""A storage server that fails mid-read (issue 29, item 6): `rca analyze gs://…` neither waits
forever on one that falls silent nor prints gcsfs's tracebacks for one that drops the connection;
either way the object is named in one error line, the report says it is partial, and the exit
status is 2. The server is the local emulator behind a proxy that cuts one object's download from
its second block on (tests/faulty_storage.py): listing and the first block pass, so the failure
comes mid-read, after records were read."""

from __future__ import annotations

import os
import time

import orjson
import pytest
from conftest import run_rca
from faulty_storage import FaultyStorage
from gcs_sink import SEED

from rca.ingest import CUT_SHORT
from rca.ingest.gcs import BLOCK

PREFIX = "gs://sink-a/big"
TARGET = "big/run.googleapis.com/requests/2025/09/12/14:00:00_14:59:59_S0.json"


@pytest.fixture(scope="module")
def big_object(sink):
    """An object larger than one block: the seed twice, the second copy's entries with ids of their own."""
    from storage_emulator import filesystem

    lines = SEED.read_bytes().splitlines()
    again = [orjson.dumps(dict(orjson.loads(line), insertId=f"again-{index}")) for index, line in enumerate(lines)]
    body = b"\n".join(lines + again) + b"\n"
    assert BLOCK < len(body) < 2 * BLOCK
    filesystem().pipe(f"sink-a/{TARGET}", body)
    done = run_rca("analyze", PREFIX, "--model", "none", "--format", "json")
    assert done.returncode == 0, done.stderr.decode()
    return {"address": os.environ["STORAGE_EMULATOR_HOST"], "report": orjson.loads(done.stdout)}


def analyze_through(proxy: FaultyStorage, monkeypatch, *options: str):
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", proxy.address)
    started = time.monotonic()
    done = run_rca("analyze", PREFIX, "--model", "none", "--format", "json", *options)
    return done, time.monotonic() - started


def assert_one_line_and_partial(done, complete: dict) -> str:
    """The run's one error line (the object's), its exit status 2, and a report that says it is partial."""
    stderr = done.stderr.decode()
    errors = [line for line in stderr.splitlines() if line.startswith("rca: error:")]
    assert done.returncode == 2, stderr
    assert "Traceback" not in stderr and "gcsfs" not in stderr and "aiohttp" not in stderr, stderr
    assert len(errors) == 1 and errors[0].startswith(f"rca: error: gs://sink-a/{TARGET}: "), stderr
    made = orjson.loads(done.stdout)
    assert made["stats"]["notes"].get(CUT_SHORT) == 1
    assert made["stats"]["errors"] == [errors[0].removeprefix("rca: error: ")]
    assert 0 < made["stats"]["records"] < complete["stats"]["records"]  # the first block's records, no more
    assert "this report is partial" in stderr  # the summary line, also the Markdown and HTML footer
    return errors[0]


def test_a_server_silent_mid_read_is_given_up_on(big_object, monkeypatch):
    """Today gcsfs's session waits on a silent server for ever (aiohttp's total time-out is off)."""
    with FaultyStorage(big_object["address"], TARGET, "stall", start=1) as proxy:
        done, seconds = analyze_through(proxy, monkeypatch, "--timeout", "3")
    assert proxy.downloads >= 1
    assert seconds < 150  # three waits of 3 s for the block, and the rest of the run on a busy machine
    error = assert_one_line_and_partial(done, big_object["report"])
    assert f"after {BLOCK:,} of" in error and "within 9 s" in error


def test_a_server_that_drops_the_connection_prints_no_library_traceback(big_object, monkeypatch):
    """gcsfs retries a dropped download six times and logs the last failure with its traceback; the
    wait given is long enough for every retry (about 35 s of back-off)."""
    with FaultyStorage(big_object["address"], TARGET, "die", start=1) as proxy:
        done, _ = analyze_through(proxy, monkeypatch, "--timeout", "30")
    assert proxy.downloads == 6
    error = assert_one_line_and_partial(done, big_object["report"])
    assert f"the read failed after {BLOCK:,} of" in error


def test_the_timeout_is_in_the_help():
    done = run_rca("analyze", "--help")
    assert "--timeout" in done.stdout.decode() and "Default: 60" in done.stdout.decode()
