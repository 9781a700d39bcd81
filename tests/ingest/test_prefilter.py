"""The raw-bytes prefilter may skip decoding, but must never change which events are found."""

import pytest
from conftest import FIXTURES, REAL_EXPORTS

from rca.events.error_event import events_from_records
from rca.ingest import iter_records
from rca.ingest.prefilter import compact_cannot_matter, indented_cannot_matter

SOURCES = sorted(str(p) for p in (FIXTURES / "incidents").rglob("*") if p.is_file() and p.suffix != ".md"
                 and p.name != "truth.json") + [str(FIXTURES / "formats" / "split-entries.jsonl")]
SOURCES += sorted(str(p) for p in REAL_EXPORTS.glob("*") if p.suffix in (".json", ".jsonl", ".csv"))


def fingerprint(path, prefilter):
    events = events_from_records(iter_records(path, prefilter=prefilter))
    return sorted((e.message, tuple((r.position, r.insert_id) for r in e.records)) for e in events)


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.rsplit("/", 1)[-1])
def test_prefilter_finds_the_same_events(path):
    assert fingerprint(path, prefilter=True) == fingerprint(path, prefilter=False)


@pytest.mark.parametrize("line,skippable", [
    # every request log is read, healthy or not: rates are per request (issue 25)
    (b'{"severity":"INFO","httpRequest":{"status":200},"trace":"t"}', False),
    (b'{"severity":"INFO","httpRequest":{"status":503}}', False),
    (b'{"severity":"INFO","httpRequest":{"status":403}}', False),
    (b'{"severity":"INFO","protoPayload":{"status":{"code":7}}}', False),
    (b'{"severity":"INFO","jsonPayload":{"message":"ok"}}', True),
    (b'{"severity":"INFO","jsonPayload":{"message":"boom","stack_trace":"Traceback (most recent call last):\\n  File \\"x\\""}}', False),
    (b'{"severity":"INFO","textPayload":"    client = redis.Redis()"}', False),
    (b'{"severity":"INFO","textPayload":"ValueError: bad"}', False),
    (b'{"severity":"INFO","textPayload":"started"}', True),
    (b'{"textPayload":"started"}', False),  # no severity: always decoded
    (b'{"severity":"ERROR","textPayload":"started"}', False),
])
def test_prefilter_decisions(line, skippable):
    assert compact_cannot_matter(line) is skippable
    assert indented_cannot_matter(line.replace(b'":', b'": ')) is skippable
