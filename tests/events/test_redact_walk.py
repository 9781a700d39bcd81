"""Issue 24: redaction of an event stream walks each value once, takes strings it knew and numbers
inline, and picks the patterns to try from one set of the needles present; what it masks is what the
pattern-by-pattern redaction masked."""

from __future__ import annotations

import enum

from hypothesis import given, settings
from hypothesis import strategies as st

from rca.events import redact as module
from rca.events.redact import (
    EACH_SECRET_NEEDLE,
    PII,
    PLAIN,
    REDACTED,
    SECRET_KEY,
    SECRETS,
    redact,
    redact_tree,
    scrubber,
)


def redact_pattern_by_pattern(text: str, pii: bool = False) -> str:
    """The redaction as it was: a substring test per needle of each pattern."""
    lowered = text.lower()
    for needles, pattern, replacement in SECRETS + PII if pii else SECRETS:
        if any(needle in lowered for needle in needles):
            text = pattern.sub(replacement, text)
    return text


def walk_as_before(value, pii: bool = False):
    if isinstance(value, str):
        return redact_pattern_by_pattern(value, pii)
    if isinstance(value, dict):
        return {key: REDACTED if isinstance(item, str) and isinstance(key, str) and SECRET_KEY.search(key)
                else walk_as_before(item, pii) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [walk_as_before(item, pii) for item in value]
    return value


PIECES = sorted({needle for group, _, _ in SECRETS + PII for needle in group}) + [
    "AKIAABCDEFGHIJKLMNOP", "eyJhbGciOi.eyJzdWIiOi.c2ln", "Bearer abcdefgh1234", "postgres://u:pw@db:5432/x",
    "?token=abc123", "&sig=zz", "password=hunter2", "bob@example.com", "10.0.0.1", "::1", "user_id=42", "KeyError",
    "2025-09-12T14:50:51.709892Z", "68c4334b000ad5", " ", "\n", "'", '"', "=", ":", "/", "-", "_", ".", "İ", "K"]
texts = st.lists(st.sampled_from(PIECES) | st.text(max_size=6), max_size=12).map("".join)


@settings(max_examples=400, deadline=None)
@given(texts, st.booleans())
def test_redact_masks_what_the_pattern_by_pattern_redaction_masked(text, pii):
    assert redact(text, pii) == redact_pattern_by_pattern(text, pii)


def test_a_plain_string_can_hold_no_secret_needle():
    """Why stamps and hex ids skip the needle search: each needle has a character PLAIN lacks."""
    assert PLAIN.fullmatch("2025-09-12T14:50:51.709892Z") and PLAIN.fullmatch("68C4334B000AD5043A743690")
    assert not PLAIN.fullmatch("projects/p/traces/abc") and not PLAIN.fullmatch("sk-1")
    for needle in EACH_SECRET_NEEDLE:
        assert not PLAIN.fullmatch(needle) and not PLAIN.fullmatch(needle.upper()), needle


class Level(enum.IntEnum):
    HIGH = 3


class Name(str, enum.Enum):
    TOKEN = "Bearer abcdefgh1234"


TREES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | texts
    | st.sampled_from([Level.HIGH, Name.TOKEN]),
    lambda inner: st.lists(inner, max_size=4) | st.tuples(inner, inner)
    | st.dictionaries(st.sampled_from(["password", "DB_TOKEN", "name", "text", "auth", "count", "records"]), inner,
                      max_size=4),
    max_leaves=20)


@settings(max_examples=300, deadline=None)
@given(st.lists(TREES, min_size=1, max_size=4), st.booleans())
def test_a_scrubbed_tree_is_the_tree_walked_as_before(trees, pii):
    scrub = scrubber(True, pii)  # one memo across trees, as across an event stream
    for tree in trees:
        assert scrub(tree) == walk_as_before(tree, pii)


def test_each_distinct_string_is_redacted_once_across_events(monkeypatch):
    calls: list[str] = []
    original = module.redact
    monkeypatch.setattr(module, "redact", lambda text, pii=False: calls.append(text) or original(text, pii))
    scrub = scrubber()
    event = {"service": "api", "records": [{"source": "a.jsonl", "position": n, "timestamp": "2025-09-12T14:00:00Z"}
                                           for n in range(3)], "text": "token=abc123"}
    first, second = scrub(event), scrub(dict(event, text="token=abc123"))
    assert first == second and first["text"] == "token=" + REDACTED
    assert sorted(calls) == sorted(["api", "a.jsonl", "2025-09-12T14:00:00Z", "token=abc123"])
    assert redact_tree({"secret": 1, "password": "x", "k": ("y",)}) == {"secret": 1, "password": REDACTED, "k": ["y"]}
