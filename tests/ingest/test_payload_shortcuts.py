"""The set tests that pass over a payload or labels with no key worth reading (issue 24) give what
the full walks give: each shortcut against the walk it skips, on varied payloads; a key missing from
the set of heads would make a shortcut skip a payload the walk finds something in."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from rca.ingest import deployment, logentry
from rca.ingest.logentry import ERROR_KEYS, TRACE_KEYS

# Names that matter (whole, dotted, their first part), near misses, and names that never do.
NAMES = sorted(set(ERROR_KEYS) | set(TRACE_KEYS) | {key.split(".")[0] for key in ERROR_KEYS + TRACE_KEYS}
               | {"message", "msg", "logger", "level", "Error", "errors", "stack_", "data.x", "type", "name",
                  "errorMessage", "errorType", "message.error"})
TEXTS = st.sampled_from(["", " ", "boom", "a\nb", "Traceback (most recent call last):\n  x", "ValueError: x", "12"])
SCALARS = st.one_of(TEXTS, st.none(), st.integers(-2, 2), st.booleans(), st.just(1.5))
VALUES = st.recursive(SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                       st.dictionaries(st.sampled_from(NAMES), inner, max_size=4)),
                      max_leaves=8)
PAYLOADS = st.dictionaries(st.one_of(st.sampled_from(NAMES), st.text(max_size=6)), VALUES, max_size=6)


@settings(max_examples=150, deadline=None)
@given(PAYLOADS)
def test_error_and_trace_texts_are_the_walks(payload):
    payload.pop("errorType", None)  # a Lambda error object is read whole, before any walk
    assert logentry._error_text(payload) == logentry._first_error(payload)
    assert logentry._trace_text(payload) == logentry._first_trace(payload)


LABEL_NAMES = sorted(set(deployment.COMMIT_KEYS) | {deployment.POD_LABEL + key for key in deployment.COMMIT_KEYS}
                     | {"instanceId", "k8s-pod/app", "k8s-pod/k8s-pod/commit", "Commit", "commit-sha2", ""})
LABEL_VALUES = st.one_of(st.sampled_from(["0123abc", "ABCDEF0123", "1.4.2", " 89abcdef01 ", "", "xyz"]),
                         st.integers(0, 10**9), st.none())


@settings(max_examples=150, deadline=None)
@given(st.dictionaries(st.one_of(st.sampled_from(LABEL_NAMES), st.text(max_size=4)), LABEL_VALUES, max_size=5))
def test_commit_is_the_walk(labels):
    assert deployment._commit(labels) == deployment._first_commit(labels)


def test_a_plain_payload_finds_neither_and_a_named_one_still_does():
    """The cases the set tests were made for, and the dotted path they must not lose."""
    assert logentry._error_text({"message": "m", "logger": "app"}) is None
    assert logentry._trace_text({"message": "m", "logger": "app"}) is None
    assert logentry._error_text({"error": {"message": "boom"}}) == "boom"
    assert logentry._trace_text({"data": {"error": {"stack": "a\nb"}}}) == "a\nb"
    assert deployment._commit({"instanceId": "00ab"}) is None
    assert deployment._commit({"k8s-pod/commit-sha": "0123ABCD"}) == ("k8s-pod/commit-sha", "0123abcd")


HEADS = st.sampled_from(["ERROR:root:", "[WARN] ", "INFO ", "  ERROR", "x" * 58, "x" * 60, "x" * 61, "- CRITICAL -",
                         "2025-09-12 13:20:00 ", "ERR", "error", "", " ", "FATAL", "-ERROR", "ERROR-"])


@settings(max_examples=150, deadline=None)
@given(st.lists(HEADS, max_size=5).map("".join), st.text(max_size=8))
def test_a_level_is_named_by_the_head_alone(text, tail):
    """The cached lookup reads only the first LEVEL_SEARCH_SPAN characters, as level_in_text does."""
    whole = text + tail
    assert logentry._level_named(whole[:logentry.LEVEL_SEARCH_SPAN]) == logentry.level_in_text(whole)


def _nested(key: str, value: object) -> dict:
    """{key: value}, a dotted key written both ways a logger may write it: whole, and as a path."""
    first, _, rest = key.partition(".")
    return {key: value} if not rest else {first: _nested(rest, value)}


def test_every_key_the_walks_read_gets_past_the_shortcut():
    for key in ERROR_KEYS + TRACE_KEYS:
        for payload in ({key: "Boom\n  at x"}, _nested(key, "Boom\n  at x")):
            walked = (logentry._first_error(payload), logentry._first_trace(payload))
            assert walked != (None, None), payload
            assert (logentry._error_text(payload), logentry._trace_text(payload)) == walked, payload
