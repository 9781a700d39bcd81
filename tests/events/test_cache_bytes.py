"""The text and line caches of stitching and parsing (rca.events.remember) bounded in bytes, not only in
entries. They once admitted a string by its length in characters: 4k traceback texts of up to 8k
characters were kept with their parses (~86 MB measured with 5 kB ASCII tracebacks, more with an emoji in
them, per process and again in each worker)."""

from __future__ import annotations

import gc
import sys
import tracemalloc

from rca.events import stitch, tracebacks

CACHES = (stitch._opening_text, stitch._advanced, stitch._line_kind, stitch._prefix_facts,
          tracebacks.parse_traceback, tracebacks._frame_line)
MB = 1 << 20


def test_a_wide_string_is_measured_by_its_bytes():
    """200 characters with one emoji take ~0.9 kB: past a line cache's limit, so answered but not kept."""
    line = '  File "/app/main.py", line 12, in handler  # 😀' + "x" * 150
    assert len(line) <= 256 < sys.getsizeof(line)
    for cache in (stitch._line_kind, stitch._prefix_facts, tracebacks._frame_line):
        cache.cache_clear()
        assert cache(line) == cache.__wrapped__(line)
        assert cache.cache_info().currsize == 0, cache.__name__


def test_every_cache_holds_a_few_megabytes_of_strings_at_most():
    bounds = {cache.__name__: cache.bound for cache in CACHES}
    assert max(bounds.values()) <= 4 * MB and sum(bounds.values()) <= 24 * MB, bounds


def _traceback(number: int, budget: int) -> str:
    """A distinct traceback text about as large as the cache keeps (wide characters in its source lines)."""
    frame = '  File "/srv/app/module_{0}_{1}.py", line {1}, in handler_{1}\n    result = compute_{1}(value, \'é😀\')\n'
    count = (budget - sys.getsizeof("Traceback (most recent call last):\nValueError: bad")) // (4 * len(frame) + 40)
    return ("Traceback (most recent call last):\n" + "".join(frame.format(number, at) for at in range(count))
            + "ValueError: bad")


def test_a_full_traceback_cache_holds_its_bound():
    """Texts, their parses and the frame lines' cache: what a full cache of the largest texts keeps alive."""
    tracebacks.parse_traceback.cache_clear()
    tracebacks._frame_line.cache_clear()
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for number in range(2048):  # each text made while traced: the cache keeps it alive
            assert tracebacks.parse_traceback(_traceback(number, 8192)) is not None
        gc.collect()
        held = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
        tracebacks.parse_traceback.cache_clear()
        tracebacks._frame_line.cache_clear()
    assert held < 16 * MB, held / MB


def test_a_string_admitted_by_its_length_is_within_the_bytes():
    """The cache admits a short string by len() alone: every string of that many characters, in any
    alphabet, takes at most the limit, and one character more in the widest does not."""
    from rca.events.remember import _within_bytes

    for largest in (100, 256, 1024, 4096, 8192):
        short = _within_bytes(largest)
        for character in ("a", "é", "ā", "😀"):
            assert sys.getsizeof(character * short) <= largest, (largest, character)
        assert sys.getsizeof("😀" * (short + 1)) > largest


def test_a_cache_answers_as_its_function_with_one_argument_or_more():
    line = '  File "/app/main.py", line 12, in handler'
    assert stitch._line_kind(line) == stitch._line_kind.__wrapped__(line) == "frame"
    assert stitch._advanced("frames", line + "\nValueError: bad") == "message"
    assert stitch._advanced.cache_info().currsize >= 1
