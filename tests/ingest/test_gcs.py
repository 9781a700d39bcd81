"""Straight from a log sink's bucket (issue 15): gs://BUCKET/PREFIX read through gcsfs from a local
Cloud Storage emulator gives the report the same entries give from a local file; a window opens only
the objects of its hours; two sinks of overlapping queries count each entry once."""

from __future__ import annotations

import sys

import orjson
import pytest
from conftest import run_rca
from gcs_sink import ROOT, SEED, WINDOW, hour_order, late, moved, report, seed_with_other_hours, verdict  # noqa: F401

from rca.errors import RcaError
from rca.ingest.gcs import COPIES, StorageError, entry_key, list_objects
from rca.ingest.times import parse_moment


def test_the_bucket_gives_the_report_of_the_local_export(sink):
    """Every object of the sink (S0 and A0 shards, a gzipped one, four logs, three days and hours),
    an entry repeated in the A0 shard read once: the report of the same entries in one file."""
    from_bucket, from_file = report(["gs://sink-a"]), report([str(sink.export)])
    assert verdict(from_bucket) == verdict(from_file)
    assert from_bucket["stats"]["records"] == from_file["stats"]["records"] == 5789 + 30
    assert from_bucket["stats"]["sources"] == sink.objects  # every object, in hour order
    assert from_bucket["stats"]["notes"] == {COPIES: 3} and from_file["stats"]["notes"] == {}
    cause = from_bucket["incidents"][0]["root_cause"]
    assert cause["class"] == "missing_import" and any("A0" in url for url in sink.objects)


def test_a_window_opens_only_the_objects_of_its_hours(sink):
    from_bucket, from_file = report(["gs://sink-a/"], **WINDOW), report([str(sink.export)], **WINDOW)
    opened = from_bucket["stats"]["sources"]
    assert opened == [url for url in sink.objects if "/2025/09/12/13:" in url or "/2025/09/12/14:" in url]
    assert len(opened) < len(sink.objects) - 1  # 12 Sept 10:00 and all of 11 Sept left unread
    for key in ("incidents", "groups", "deploys", "findings"):
        assert verdict(from_bucket)[key] == verdict(from_file)[key]
    assert from_bucket["stats"]["events"] == from_file["stats"]["events"]


def test_a_window_walks_only_the_date_folders_it_overlaps(sink):
    """Listing with a window: 11 Sept's folder is not entered (its object is not even listed)."""
    listed = [item.url for item in list_objects("gs://sink-a", WINDOW["since"], WINDOW["until"])]
    everything = [item.url for item in list_objects("gs://sink-a")]
    assert not any("/2025/09/11/" in url for url in listed)
    assert any("/2025/09/11/" in url for url in everything) and set(listed) < set(everything)


def test_two_sinks_of_overlapping_queries_count_each_entry_once(sink):
    both, one = report(["gs://sink-a", "gs://sink-b"]), report(["gs://sink-a"])
    assert verdict(both) == verdict(one)
    assert both["stats"]["records"] == one["stats"]["records"]
    assert set(both["stats"]["sources"]) == set(sink.objects) | set(sink.overlapping)
    assert sum(group["count"] for group in both["groups"]) == sum(group["count"] for group in one["groups"])
    assert both["stats"]["notes"] == {COPIES: 3 + sink.overlapping_entries}  # no "empty source" for a copy

def test_a_window_with_no_object_is_a_note_not_an_error(sink):
    made = report(["gs://sink-a"], since=parse_moment("2024-01-01T00:00Z"), until=parse_moment("2024-01-02T00:00Z"))
    assert made["stats"]["records"] == 0 and made["stats"]["errors"] == []
    assert made["stats"]["notes"] == {"sink prefixes with no object in the window": 1}
    assert made["incidents"] == []


def test_an_empty_prefix_is_an_error_like_a_pattern_that_matches_nothing(sink):
    made = report(["gs://sink-a/no-such-log"])
    assert made["stats"]["errors"] == ["gs://sink-a/no-such-log: no object under this prefix"]


def test_a_missing_bucket_is_one_clear_line(sink):
    with pytest.raises(StorageError, match="^gs://no-such-bucket/logs: no bucket named no-such-bucket "):
        report(["gs://no-such-bucket/logs"])
    done = run_rca("analyze", "gs://no-such-bucket", "--model", "none")
    assert done.returncode == 2
    assert done.stderr.decode().strip() == ("rca: error: gs://no-such-bucket: no bucket named no-such-bucket "
                                          "(or the credentials may not see it)")


def test_the_cli_reads_the_bucket_in_its_window(sink):
    done = run_rca("analyze", "gs://sink-a", "--since", "2025-09-12T13:30Z", "--until", "2025-09-12T15:00Z",
                   "--model", "none", "--format", "json")
    assert done.returncode == 0, done.stderr.decode()
    made = orjson.loads(done.stdout)
    assert made["incidents"][0]["root_cause"]["class"] == "missing_import"
    assert not any("/10:00:00_" in url for url in made["stats"]["sources"])


def test_permission_denied_says_what_the_credentials_need():
    """gcsfs's own answer to a 403, turned into one line."""
    from gcsfs.retry import validate_response

    from rca.ingest.gcs import _storage_error

    with pytest.raises(OSError) as raised:
        validate_response(403, b'{"error": {"code": 403, "message": "caller does not have storage.objects.list access"}}',
                          "b/private/o")
    error = _storage_error("gs://private", raised.value)
    assert isinstance(error, RcaError) and "\n" not in str(error)
    assert str(error).startswith("gs://private: permission denied (Forbidden: b/private/o)")
    assert "roles/storage.objectViewer" in str(error)


def test_without_gcsfs_the_error_names_the_extra(monkeypatch):
    for name in ("gcsfs", "gcsfs.core"):  # what an environment without it raises: ImportError
        monkeypatch.setitem(sys.modules, name, None)
    with pytest.raises(StorageError, match=r"pip install 'rca\[gcs\]'"):
        list_objects("gs://any-bucket")


def test_an_entry_is_known_by_its_log_time_and_insert_id():
    line = b'{"insertId":"a1","jsonPayload":{"timestamp":"x","m":"say \\"insertId\\":\\"no\\""},"logName":"projects/p/logs/l","timestamp":"2025-09-12T14:00:00Z"}'
    assert entry_key(line) == entry_key(line.replace(b'"m":"say', b'"m":"other'))  # a copy: the same key
    assert entry_key(line) != entry_key(line.replace(b'"a1"', b'"a2"'))
    assert entry_key(line) != entry_key(line.replace(b"logs/l", b"logs/k"))
    assert entry_key(b'{"textPayload":"no id"}') is None


def test_two_processes_read_the_bucket_like_one(sink, monkeypatch):
    """The process pool (forked after this process listed the bucket) opens the objects itself."""
    from rca.analyze import mapping as parallel

    monkeypatch.setattr(parallel, "SPLIT_MIN_BYTES", 1000)  # the bucket is then large enough for --workers
    assert report(["gs://sink-a", "gs://sink-b"], workers=2) == report(["gs://sink-a", "gs://sink-b"], workers=1)
