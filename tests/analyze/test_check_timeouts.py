"""`rca diff` and `rca verify` on a sink's bucket whose storage server falls silent mid-read (issue 29,
item 6): `--timeout` bounds the wait as it does for `rca analyze`, the object is named in one error
line, the exit status is 2 and the report says it is partial. Today neither command has the flag,
and each waits the default 60 s three times over for the block."""

from __future__ import annotations

import orjson
from conftest import INCIDENT, run_rca
from faulty_storage import FaultyStorage, assert_one_cut_and_partial, run_through
from gcs_sink import BIG_PREFIX, BIG_TARGET

from rca.ingest.gcs import BLOCK

BEFORE, AFTER = "2025-09-12T14:00Z..2025-09-12T14:20Z", "2025-09-12T14:20Z.."


def check_through_a_silent_server(big_object, monkeypatch, *args: str) -> str:
    """`rca ARGS --timeout 3` through a proxy that falls silent after the object's first block: the
    error line, once the run is shown to end in time, cut once, and partial."""
    with FaultyStorage(big_object["address"], BIG_TARGET, "stall", start=1) as proxy:
        done, seconds = run_through(proxy, monkeypatch, *args, "--model", "none", "--format", "json", "--timeout", "3")
    assert proxy.downloads >= 1
    assert seconds < 150  # three waits of 3 s for the block, and the rest of the run on a busy machine
    stats = orjson.loads(done.stdout)["stats"]
    error = assert_one_cut_and_partial(done, stats, big_object["report"]["stats"]["records"], f"gs://sink-a/{BIG_TARGET}")
    assert f"after {BLOCK:,} of" in error and "within 9 s" in error
    return error


def test_diff_gives_up_on_a_silent_server(big_object, monkeypatch):
    check_through_a_silent_server(big_object, monkeypatch, "diff", BIG_PREFIX, "--before", BEFORE, "--after", AFTER)


def test_verify_gives_up_on_a_silent_server(big_object, monkeypatch, tmp_path):
    report = tmp_path / "report.json"
    made = run_rca("analyze", str(INCIDENT / "logs.jsonl"), "--model", "none", "--format", "json", "--out", str(report))
    assert made.returncode == 0, made.stderr.decode()
    check_through_a_silent_server(big_object, monkeypatch, "verify", str(report), BIG_PREFIX)


def test_the_timeout_is_in_the_help_of_diff_and_verify():
    for command in ("diff", "verify"):
        assert "--timeout" in run_rca(command, "--help").stdout.decode()
