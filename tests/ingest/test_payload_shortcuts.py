"""The set tests that pass over a payload or labels with no key worth reading (issue 24) give what
the full walks gave: the walks as they were, kept here, against today's code on varied payloads."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from rca.ingest import deployment, logentry
from rca.ingest.logentry import ERROR_KEYS, LOOSE_TRACE_KEYS, TRACE_KEYS, _at_path, _error_dict_text, _error_object_text


def walked_error_text(payload: dict) -> str | None:
    """`_error_text` before the set test: every ERROR_KEY looked up."""
    if "errorType" in payload:
        return _error_object_text(payload)
    for key in ERROR_KEYS:
        value = _at_path(payload, key)
        text = value if isinstance(value, str) else _error_dict_text(value) if isinstance(value, dict) else None
        if text and text.strip():
            return text
    return None


def walked_trace_text(payload: dict) -> str | None:
    """`_trace_text` before the set test: every TRACE_KEY looked up."""
    for key in TRACE_KEYS:
        value = _at_path(payload, key)
        if isinstance(value, list) and value and all(isinstance(line, str) for line in value):
            return "\n".join(value)
        if value in (None, "") or isinstance(value, (dict, list)):
            continue
        text = str(value)
        if key not in LOOSE_TRACE_KEYS or "\n" in text:
            return text
    return None


def walked_commit(labels: dict) -> tuple[str, str] | None:
    """`deployment._commit` before the set test: a dict of every label built first."""
    by_key = {key.removeprefix(deployment.POD_LABEL): (key, value) for key, value in labels.items() if isinstance(key, str)}
    for key in deployment.COMMIT_KEYS:
        if key in by_key:
            label, value = by_key[key]
            if isinstance(value, str) and deployment.COMMIT_SHAPE.match(value.strip().lower()):
                return label, value.strip().lower()
    return None


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
    assert logentry._error_text(payload) == walked_error_text(payload)
    assert logentry._trace_text(payload) == walked_trace_text(payload)


LABEL_NAMES = sorted(set(deployment.COMMIT_KEYS) | {deployment.POD_LABEL + key for key in deployment.COMMIT_KEYS}
                     | {"instanceId", "k8s-pod/app", "k8s-pod/k8s-pod/commit", "Commit", "commit-sha2", ""})
LABEL_VALUES = st.one_of(st.sampled_from(["0123abc", "ABCDEF0123", "1.4.2", " 89abcdef01 ", "", "xyz"]),
                         st.integers(0, 10**9), st.none())


@settings(max_examples=150, deadline=None)
@given(st.dictionaries(st.one_of(st.sampled_from(LABEL_NAMES), st.text(max_size=4)), LABEL_VALUES, max_size=5))
def test_commit_is_the_walk(labels):
    assert deployment._commit(labels) == walked_commit(labels)


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
