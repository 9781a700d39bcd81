"""Identical texts handled once (issue 24): a traceback text parsed again, a frame line or a text
classified again from the caches, reads as a fresh parse reads it, whatever came before."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from rca.events import stitch, tracebacks
from rca.events.tracebacks import parse_traceback

LINES = [
    "Traceback (most recent call last):",
    '  File "/app/main.py", line 12, in handler',
    '  File "/usr/lib/python3.12/site-packages/x.py", line 7, in <module>',
    '  File "/app/main.py", line 12',
    "    return compute(x)",
    "    ^^^^^^^^^^",
    "ValueError: bad value",
    "KeyError: 'DATABASE_URL'",
    "StopIteration",
    "",
    "The above exception was the direct cause of the following exception:",
    "During handling of the above exception, another exception occurred:",
    "  + Exception Group Traceback (most recent call last):",
    "  | ValueError: inner",
    "  +-+---------------- 1 ----------------",
    "INFO:root:served",
    "\tat com.example.Main.run(Main.java:10)",
    "goroutine 1 [running]:",
]
TEXTS = st.lists(st.sampled_from(LINES), min_size=1, max_size=10).map("\n".join)


def _fresh(text: str):
    """The parse with every cache emptied first: what the parser gives without remembering anything."""
    parse_traceback.cache_clear()
    tracebacks._frame_line.cache_clear()
    return parse_traceback(text)


@settings(max_examples=300, deadline=None)
@given(st.lists(TEXTS, min_size=1, max_size=6))
def test_a_text_parsed_again_reads_as_a_fresh_parse(texts):
    fresh = [_fresh(text) for text in texts]
    parse_traceback.cache_clear()
    for text in texts:  # warm: texts and frame lines seen before, in another order
        parse_traceback(text)
    again = [parse_traceback(text) for text in reversed(texts)][::-1]
    assert again == fresh


def test_the_same_text_is_parsed_once():
    text = "\n".join(LINES[:7])
    assert parse_traceback(text) is parse_traceback(text)
    assert parse_traceback(text).last.type == "ValueError"


def _classified(text: str) -> tuple:
    first = text.split("\n", 1)[0]
    return (stitch._opening_text(text), stitch._advanced("frames", text), stitch._advanced("chain", text),
            stitch._line_kind(first), stitch._prefix_facts(first))


@settings(max_examples=200, deadline=None)
@given(st.lists(TEXTS, min_size=1, max_size=6))
def test_stitch_classifies_a_text_again_as_the_first_time(texts):
    caches = (stitch._opening_text, stitch._advanced, stitch._line_kind, stitch._prefix_facts)
    fresh = []
    for text in texts:
        for cache in caches:
            cache.cache_clear()
        fresh.append(_classified(text))
    assert [_classified(text) for text in texts] == fresh
    assert [_classified(text) for text in texts] == fresh


def test_a_long_text_is_answered_but_not_kept():
    """What a cache holds stays small: a text past its limit is parsed each time, never kept."""
    parse_traceback.cache_clear()
    long = "\n".join(LINES[:7]) + "\n" + "x" * tracebacks.KNOWN_TEXT_BYTES
    short = "\n".join(LINES[:7])
    assert parse_traceback(long) == parse_traceback(long) and parse_traceback(long) is not parse_traceback(long)
    assert parse_traceback(long).last.message.endswith("x" * 10)
    assert parse_traceback(short) is parse_traceback(short)
    assert parse_traceback.cache_info().currsize == 1
