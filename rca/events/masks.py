"""Variable parts of error text (ids, addresses, times, numbers), masked the same way everywhere.

Fingerprints mask them so that one bug makes one group whatever the request; the classifier masks
them so that it learns words, not ids. One ordered table, so that the two never drift apart: the
specific shapes come before the generic number that would otherwise eat them. Each consumer names
the masks it leaves out (the classifier keeps quoted strings: `'redis'` in a NameError is a clue).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache

# (name, pattern). A fingerprint writes `<name>`; the classifier writes ` NAME `.
MASKS: tuple[tuple[str, re.Pattern], ...] = (
    ("url", re.compile(r"\bhttps?://[^\s'\"<>]+")),
    ("uuid", re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b", re.I)),
    ("time", re.compile(r"\b\d{4}-\d\d-\d\d[T ]\d\d:\d\d(?::\d\d)?(?:[.,]\d+)?(?:Z|[+-]\d\d:?\d\d)?(?!\d)")),
    ("ip", re.compile(r"\b\d{1,3}(?:\.\d{1,3}){3}(?::\d+)?\b")),
    ("hex", re.compile(r"\b0x[0-9a-f]+\b|\b(?=[0-9a-f]*\d)[0-9a-f]{10,}\b", re.I)),
    # ids joined to a word by `_` or `-`: user_1842, run_8f3a2b1, job_1c0ffee, req-7f3c9a, and also
    # their upper- and mixed-case forms (run_8F3A2B1, sess_AbC123xY), prefixes of several words
    # (sync_run_8f3a2b1) and further id parts (checkout-5d8f7c9b4-x7k2p): 3+ characters with a digit
    # each, or the same failure splits into one group per run (issue 25)
    ("id", re.compile(r"\b[A-Za-z]{2,}(?:[_-][A-Za-z]{2,})*[_-](?=[0-9A-Za-z]*\d)[0-9A-Za-z]{3,}"
                      r"(?:[_-](?=[0-9A-Za-z]*\d)[0-9A-Za-z]{3,})*\b")),
    ("path", re.compile(r"(?<![\w.:/])/(?:[\w.@+-]+/)*[\w.@+-]+")),
    ("str", re.compile(r"'[^'\n]{0,200}'|\"[^\"\n]{0,200}\"")),
    ("duration", re.compile(r"\b\d+(?:\.\d+)?\s?(?:ms|us|µs|ns|s|sec|secs|seconds?|min|minutes?|h|hours?)\b")),
    ("size", re.compile(r"\b\d+(?:\.\d+)?\s?(?:[KMGT]i?B|bytes?|B)\b")),
    ("n", re.compile(r"\b\d+(?:\.\d+)?\b")),
)

# Literals of which every match of a mask holds one: a text without any cannot match, so the pattern is not
# run (running the eleven is what masking a short message costs). Tested on the text as the masks before
# it left it, so the result is the same whatever they wrote. The masks not listed need a digit, which
# nearly every message holds.
NEEDS: dict[str, tuple[str, ...]] = {
    "url": ("://",), "uuid": ("-",), "time": (":",), "ip": (".",), "id": ("_", "-"), "path": ("/",),
    "str": ("'", '"'), "size": ("B", "byte"),
}
# What a mask's every match holds beyond its literals, looked for once they are there: a message has a
# digit, `-`, `:` or `.` nearly always, and the patterns that start with `\b` are slow to scan for, while a
# search for a shape that starts with a character class is fast. A time has `d-dd-dd`; an address three
# dots; a hex id `0x` or ten hex digits in a row (under IGNORECASE `[0-9a-f]` and `x` match no other
# characters); an id joined to a word a letter, `_` or `-`, then a digit after letters and digits; a
# duration or a size a digit, maybe a space, then the first letter of a unit. `\d` and `\s` there are the
# patterns' own (any script's digits and spaces), so a shape misses no text its pattern would match.
SHAPES: dict[str, Callable[[str], object]] = {
    "time": re.compile(r"\d-\d\d-\d").search,
    "ip": lambda text: text.count(".") >= 3,
    "hex": re.compile(r"0[xX]|[0-9a-fA-F]{10}").search,
    "id": re.compile(r"[_-](?<=[A-Za-z][_-])[0-9A-Za-z]*\d").search,
    "duration": re.compile(r"\d\s?[mnsuhµ]").search,
    "size": re.compile(r"\d\s?[KMGTbB]").search,
}
# (name, pattern, its literals or (), its shape's test or None), in MASKS' order
_STEPS = tuple((name, pattern, NEEDS.get(name, ()), SHAPES.get(name)) for name, pattern in MASKS)


@lru_cache(maxsize=1 << 12)  # the same lines recur in bursts; a flood of distinct ones would fill a big cache (7% hits at 1M)
def mask(text: str, style: str = "<{}>", leave: tuple[str, ...] = ()) -> str:
    """`text` with every variable part replaced by its mask's name in `style`. A flood's messages are
    nearly all distinct, so each is masked: a mask whose literals or shape the text lacks is passed
    over with a substring test or a fast search, inline rather than a call per mask."""
    for name, pattern, needs, shape in _STEPS:
        if needs:
            for literal in needs:
                if literal in text:
                    break
            else:
                continue
        if (shape is None or shape(text)) and name not in leave:
            text = pattern.sub(style.format(name), text)
    return text

