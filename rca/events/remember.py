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
    def decorate(function: Callable[..., R]) -> Callable[..., R]:
        known = lru_cache(maxsize=entries)(function)
        size = sys.getsizeof

        @wraps(function)
        def answer(*args: Any) -> R:
            return known(*args) if size(args[-1]) <= largest else function(*args)

        answer.cache_clear = known.cache_clear  # type: ignore[attr-defined]  # tests start from an empty cache
        answer.cache_info = known.cache_info  # type: ignore[attr-defined]
        answer.bound = entries * largest  # type: ignore[attr-defined]  # the keys' bytes at most
        return answer
    return decorate
