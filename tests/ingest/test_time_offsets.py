"""Time read exactly whatever its spelling or order (issue 29, item 9): a stamp with an offset
(`+02:00`, `-05:00`) and nine fractional digits is the same moment as its UTC spelling, for the
byte prefilter too (it dates the entries it passes over undecoded), and a file written newest first,
as `gcloud logging read` writes it, gives the report the same entries give oldest first, deploy
times included."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import orjson
import pytest
from gcs_sink import SEED, report, verdict

from rca.ingest.prefilter import compact_cannot_matter, indented_cannot_matter, keeping_first_of_each_revision, stamp_in
from rca.ingest.times import parse_moment


def with_offset(stamp: str, hours: int) -> str:
    """The same moment written in a zone `hours` from UTC, with nine fractional digits (the last
    three below a microsecond, which no reader can keep, so the moment is unchanged to the microsecond)."""
    moment = datetime.fromisoformat(stamp).astimezone(timezone(timedelta(hours=hours)))
    offset = moment.strftime("%z")
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f") + "000" + offset[:3] + ":" + offset[3:]


@pytest.fixture(scope="module")
def seed_entries() -> list[dict]:
    return [orjson.loads(line) for line in SEED.read_bytes().splitlines()]


@pytest.fixture(scope="module")
def zoned(seed_entries, tmp_path_factory):
    """The seed incident with every timestamp in +02:00 or -05:00, by turns."""
    path = tmp_path_factory.mktemp("zoned") / "zoned.jsonl"
    lines = [orjson.dumps(dict(entry, timestamp=with_offset(entry["timestamp"], 2 if index % 2 else -5)))
             for index, entry in enumerate(seed_entries)]
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path


@pytest.mark.parametrize("written,utc", [
    ("2025-09-12T14:20:03.123456Z", b"2025-09-12T14:20:03"),
    ("2025-09-12T14:20:03", b"2025-09-12T14:20:03"),  # no zone: UTC, as every reader takes it
    ("2025-09-12T16:20:03.123456789+02:00", b"2025-09-12T14:20:03"),
    ("2025-09-12T09:20:03.5-05:00", b"2025-09-12T14:20:03"),
    ("2025-09-12T23:30:00-05:00", b"2025-09-13T04:30:00"),  # the next day in UTC
    ("2025-09-13T01:30:00.000000001+02:00", b"2025-09-12T23:30:00"),  # the day before
    ("2025-09-12T14:20:03+0530", b"2025-09-12T08:50:03"),
])
def test_the_prefilter_dates_a_stamp_in_utc(written, utc):
    for line, separator in ((b'{"timestamp":"%s","severity":"INFO"}', b":"), (b'{"timestamp": "%s", "severity": "INFO"}', b": ")):
        assert stamp_in(line % written.encode(), separator) == utc


def test_an_offset_moves_neither_the_window_nor_the_rates(zoned):
    """The prefilter passes over most of the seed's healthy entries: with their stamps read as UTC,
    the logs began five hours early and ended two hours late, and every rate was cut by five."""
    plain, offsets = report([str(SEED)]), report([str(zoned)])
    assert offsets["window"] == plain["window"] == {"start": "2025-09-12T14:00:00.000000Z", "end": "2025-09-12T14:49:59.811118Z"}
    assert verdict(offsets) == verdict(plain)


def test_an_offset_keeps_the_end_of_an_open_window(zoned):
    """--since alone: the window ends with the last entry, most often a healthy one passed over."""
    plain, offsets = (report([str(path)], since=parse_moment("2025-09-12T14:10Z")) for path in (SEED, zoned))
    assert offsets["window"]["end"] == plain["window"]["end"] == "2025-09-12T14:49:59.811118Z"
    assert verdict(offsets) == verdict(plain)
    assert offsets["stats"]["events"] == plain["stats"]["events"] > 0


def test_newest_first_gives_the_report_of_oldest_first(seed_entries, tmp_path):
    """Newest first, the first entry of the new revision met in the file is its last: the deploy
    was dated by it (14:20:02.609, not 14:20:01.2), and with it the five whys and the rollback."""
    newest_first = tmp_path / "newest-first.jsonl"
    newest_first.write_bytes(b"".join(orjson.dumps(entry) + b"\n" for entry in reversed(seed_entries)))
    plain, reversed_ = report([str(SEED)]), report([str(newest_first)])
    assert [deploy["time"] for deploy in reversed_["deploys"]] == [deploy["time"] for deploy in plain["deploys"]]
    assert reversed_["incidents"][0]["deploy"]["time"] == "2025-09-12T14:20:01.200000Z"
    assert verdict(reversed_) == verdict(plain)


def test_gcloud_output_newest_first_with_offsets_gives_the_same_report(seed_entries, tmp_path):
    """`gcloud logging read --format=json`: an indented JSON array, newest first; here with offsets too."""
    printed = tmp_path / "gcloud.json"
    entries = [dict(entry, timestamp=with_offset(entry["timestamp"], -5)) for entry in reversed(seed_entries)]
    printed.write_bytes(orjson.dumps(entries, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS))
    assert verdict(report([str(printed)])) == verdict(report([str(SEED)]))


def test_the_earliest_entry_of_each_revision_is_decoded_in_any_order():
    """Healthy INFO lines of one revision, newest first: each is earlier than the last decoded, so
    each is decoded; oldest first, only the first second's are."""
    lines = [b'{"severity":"INFO","jsonPayload":{"message":"ok"},"resource":{"labels":{"revision_name":"r-2"}},'
             b'"timestamp":"2025-09-12T14:20:%02d.000Z"}' % second for second in range(5)]
    for base, newest_first, decoded in ((compact_cannot_matter, False, 1), (compact_cannot_matter, True, 5)):
        passed = keeping_first_of_each_revision(base, b":")
        order = list(reversed(lines)) if newest_first else lines
        assert [not passed(line) for line in order].count(True) == decoded
    indented = keeping_first_of_each_revision(indented_cannot_matter, b": ")
    assert not indented(b'{"severity": "INFO", "revision_name": "r-1", "timestamp": "2025-09-12T14:20:01Z"}')
