"""A storage server that fails mid-read (issue 29, item 6): `rca analyze gs://…` neither waits
forever on one that falls silent nor prints gcsfs's tracebacks for one that drops the connection;
either way the object is named in one error line, the report says it is partial, and the exit
status is 2. The server is the local emulator behind a proxy that cuts one object's download from
its second block on (tests/faulty_storage.py): listing and the first block pass, so the failure
comes mid-read, after records were read."""

from __future__ import annotations

import orjson
from conftest import run_rca
from faulty_storage import FaultyStorage, assert_one_cut_and_partial, run_through
from gcs_sink import BIG_PREFIX, BIG_TARGET

from rca.ingest.gcs import BLOCK


def analyze_through(proxy: FaultyStorage, monkeypatch, *options: str):
    return run_through(proxy, monkeypatch, "analyze", BIG_PREFIX, "--model", "none", "--format", "json", *options)


def assert_one_line_and_partial(done, complete: dict) -> str:
    """The run's one error line (the object's), its exit status 2, and a report that says it is partial."""
    made = orjson.loads(done.stdout)
    return assert_one_cut_and_partial(done, made["stats"], complete["stats"]["records"], f"gs://sink-a/{BIG_TARGET}")


def test_a_server_silent_mid_read_is_given_up_on(big_object, monkeypatch):
    """Today gcsfs's session waits on a silent server for ever (aiohttp's total time-out is off)."""
    with FaultyStorage(big_object["address"], BIG_TARGET, "stall", start=1) as proxy:
        done, seconds = analyze_through(proxy, monkeypatch, "--timeout", "3")
    assert proxy.downloads >= 1
    assert seconds < 150  # three waits of 3 s for the block, and the rest of the run on a busy machine
    error = assert_one_line_and_partial(done, big_object["report"])
    assert f"after {BLOCK:,} of" in error and "within 9 s" in error


def test_a_server_that_drops_the_connection_prints_no_library_traceback(big_object, monkeypatch):
    """gcsfs retries a dropped download six times and logs the last failure with its traceback; the
    wait given is long enough for every retry (about 35 s of back-off)."""
    with FaultyStorage(big_object["address"], BIG_TARGET, "die", start=1) as proxy:
        done, _ = analyze_through(proxy, monkeypatch, "--timeout", "30")
    assert proxy.downloads == 6
    error = assert_one_line_and_partial(done, big_object["report"])
    assert f"the read failed after {BLOCK:,} of" in error


def test_the_timeout_is_in_the_help():
    done = run_rca("analyze", "--help")
    assert "--timeout" in done.stdout.decode() and "Default: 60" in done.stdout.decode()
