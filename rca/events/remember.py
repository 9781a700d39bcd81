"""Results of a function of a string remembered while recent, for short strings only.

Stitching and parsing ask the same questions of the same texts and lines again and again in a flood
(the same frames, exception lines and messages thousands of times). Each answer depends on the string
alone, so it is kept in an lru_cache; a string longer than the limit (a payload of megabytes) is worked
out every time, so that what a cache holds stays small: at most `entries` strings of `longest` characters.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache, wraps
from typing import Any, TypeVar

R = TypeVar("R")


def remembered(entries: int, longest: int) -> Callable[[Callable[..., R]], Callable[..., R]]:
    """Decorate a function whose last argument is a string (the others few and hashable)."""
    def decorate(function: Callable[..., R]) -> Callable[..., R]:
        known = lru_cache(maxsize=entries)(function)

        @wraps(function)
        def answer(*args: Any) -> R:
            return known(*args) if len(args[-1]) <= longest else function(*args)

        answer.cache_clear = known.cache_clear  # type: ignore[attr-defined]  # tests start from an empty cache
        answer.cache_info = known.cache_info  # type: ignore[attr-defined]
        return answer
    return decorate
