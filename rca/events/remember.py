"""Results of a function of a string remembered while recent, for short strings only.

Stitching and parsing ask the same questions of the same texts and lines again and again in a flood
(the same frames, exception lines and messages thousands of times). Each answer depends on the string
alone, so it is kept in an lru_cache; a string larger than the limit (a payload of megabytes) is worked
out every time, so that what a cache holds stays small. The limit is in bytes as Python stores the string
(sys.getsizeof: one, two or four bytes a character, by the widest character in it), not in characters:
a line with one emoji takes four times the memory of an ASCII line of the same length. So the strings a
cache holds come to at most `entries` × `largest` bytes, whatever the alphabet (`bound`).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from functools import lru_cache, wraps
from typing import Any, TypeVar

R = TypeVar("R")


def remembered(entries: int, largest: int) -> Callable[[Callable[..., R]], Callable[..., R]]:
    """Decorate a function whose last argument is a string (the others few and hashable); a string of more
    than `largest` bytes is not kept."""
    short = _within_bytes(largest)

    def decorate(function: Callable[..., R]) -> Callable[..., R]:
        known = lru_cache(maxsize=entries)(function)
        size = sys.getsizeof

        # Asked once per record or line of a flood: a string of at most `short` characters is within
        # `largest` bytes whatever its alphabet, told by len() alone; and a function of the string alone
        # is called without packing its arguments. The len() test holds for a str (and bytes, one byte
        # an item); anything else was never what these functions take (a None fails at len(), not inside).
        @wraps(function)
        def of_text(text: str) -> R:
            return known(text) if len(text) <= short or size(text) <= largest else function(text)

        @wraps(function)
        def of_args(*args: Any) -> R:
            text = args[-1]
            return known(*args) if len(text) <= short or size(text) <= largest else function(*args)

        answer: Any = of_text if function.__code__.co_argcount == 1 else of_args
        answer.cache_clear = known.cache_clear  # tests start from an empty cache
        answer.cache_info = known.cache_info
        answer.bound = entries * largest  # the keys' bytes at most
        return answer
    return decorate


def _within_bytes(largest: int) -> int:
    """The most characters a string may have and still take at most `largest` bytes in any alphabet: four
    bytes a character (the widest) past the header (sys.getsizeof of a string of the widest)."""
    wide = "\U0001F600"
    header = sys.getsizeof(wide) - 4
    return max(-1, (largest - header) // 4)
