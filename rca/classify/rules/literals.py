"""The literals a regular expression cannot match without: found once, when a rule is loaded, so
that its regex runs only on a text holding one of them.

A rule's regex is searched in every event's text or message; most texts hold none of the words a
given rule looks for, and `needle in text` costs a small fraction of a regex search. `needles(p)`
reads the pattern's syntax tree (the standard library's parser: the rule packs write the `regex`
package's V0 syntax, which is the standard one) and gives a set of strings one of which every match
contains, or None when it cannot tell (a pattern that can match the empty string, or syntax only the
`regex` package knows). Under IGNORECASE the strings are lower-cased and looked for in the
lower-cased text, and only in ASCII text: there, case-folding and `str.lower` agree.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from re import _constants as sre  # type: ignore[attr-defined]
from re import _parser as sre_parse  # type: ignore[attr-defined]

from rca.classify.substrings import Substrings

REPEATS = (sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT)
# syntax the regex package reads but the standard parser would take as literal text: POSIX classes
# `[[:alpha:]]`, fuzzy constraints `(?:x){e<=1}`
GROUP_NAME = re.compile(r"\(\?P<\w+>")
REGEX_ONLY = re.compile(r"\[:|\{[^\d,}]")


@dataclass(frozen=True)
class Needles:
    """Strings one of which any match contains. `folded`: look for them in the lower-cased text;
    `types`: they are exception type names, one of which the event's parsed exceptions carry (as a
    full name, a short name or a dotted tail; each is also a piece of the text)."""

    strings: tuple[str, ...]
    folded: bool = False
    types: bool = False

    def may_match(self, text: str) -> bool:
        if not self.folded:
            return any(s in text for s in self.strings)
        if not text.isascii():
            return True  # outside ASCII, `str.lower` and the regex's case-folding may differ
        lower = text.lower()
        return any(s in lower for s in self.strings)

    def as_text(self) -> Needles:
        return replace(self, types=False) if self.types else self


def _fewest(strings) -> tuple[str, ...]:
    """Without the strings that hold another one of the set: where they are, it is too."""
    return tuple(sorted(s for s in set(strings) if not any(o != s and o in s for o in strings)))


def needles(pattern: str) -> Needles | None:
    """The literals of `pattern` (a match holds at least one of them), or None when there are none."""
    if REGEX_ONLY.search(pattern):
        return None
    try:
        # the regex package allows one name on several groups, the standard parser does not: names do not matter here
        parsed = sre_parse.parse(GROUP_NAME.sub("(?:", pattern))
    except (re.error, OverflowError, RecursionError):
        return None  # syntax of the regex package only: no shortcut, the regex always runs
    folded = bool(parsed.state.flags & re.IGNORECASE) or _has_scoped_ignorecase(parsed)
    found = _required(parsed)
    if not found or not all(found):
        return None
    if folded and not all(s.isascii() for s in found):
        return None  # a non-ASCII letter may fold to an ASCII one (the Kelvin sign and k)
    return Needles(_fewest({s.lower() for s in found} if folded else found), folded)


def _has_scoped_ignorecase(items) -> bool:
    for op, value in items:
        if op is sre.SUBPATTERN and (value[1] & re.IGNORECASE or _has_scoped_ignorecase(value[3])):
            return True
        for child in _children(op, value):
            if _has_scoped_ignorecase(child):
                return True
    return False


def _children(op, value) -> list:
    if op is sre.BRANCH:
        return list(value[1])
    if op in REPEATS:
        return [value[2]]
    if op is sre.ATOMIC_GROUP:
        return [value]
    if op in (sre.ASSERT, sre.ASSERT_NOT):
        return [value[1]]
    return []


def _required(items) -> set[str] | None:
    """For a sequence: the best of the sets its parts require (each run of literals is one string)."""
    options: list[set[str]] = []
    run = ""
    for op, value in items:
        if op is sre.LITERAL:
            run += chr(value)
            continue
        if run:
            options.append({run})
            run = ""
        needed = _required_by(op, value)
        if needed:
            options.append(needed)
    if run:
        options.append({run})
    # the set whose shortest string is longest: the fewest texts pass it
    return max(options, key=lambda strings: (min(map(len, strings)), -len(strings)), default=None)


def _required_by(op, value) -> set[str] | None:
    """What one element of a sequence requires (None: nothing, e.g. a class, an anchor, `x*`)."""
    if op is sre.SUBPATTERN:
        return _required(value[3])
    if op is sre.ATOMIC_GROUP:
        return _required(value)
    if op is sre.BRANCH:
        union: set[str] = set()
        for branch in value[1]:
            needed = _required(branch)
            if not needed:
                return None  # one alternative needs nothing: neither does the branch
            union |= needed
        return union
    if op in REPEATS and value[0] >= 1:
        return _required(value[2])
    return None


def any_of(options: list[Needles | None]) -> Needles | None:
    """Needles for `one of these conditions holds`: each must have some, and any of theirs will do."""
    if not options or any(option is None for option in options):
        return None
    present = [option for option in options if option is not None]
    if all(option.types for option in present):
        return Needles(tuple(sorted({s for option in present for s in option.strings})), types=True)
    present = [option.as_text() for option in present]
    folded = any(option.folded for option in present)
    return Needles(_fewest({s.lower() if folded else s for option in present for s in option.strings}), folded)


def all_of(options: list[Needles | None]) -> Needles | None:
    """Needles for `all these conditions hold`: those of any one of them. Type names are kept first
    (a few set look-ups), else the strings whose shortest is longest (the fewest texts hold them)."""
    present = [option for option in options if option is not None]
    return max(present, key=lambda option: (option.types, min(map(len, option.strings)), -len(option.strings)), default=None)


class Screen:
    """Which of a list of items (rules) may match a text: each item's needles (None: always a
    candidate), all found in one scan of the text (rca.classify.substrings)."""

    def __init__(self, needles_of_items: list[Needles | None]):
        self.items = needles_of_items
        self.always = [i for i, found in enumerate(needles_of_items) if found is None]
        self.types: dict[str, list[int]] = {}
        self.exact: dict[str, list[int]] = {}
        self.folded: dict[str, list[int]] = {}
        for index, found in enumerate(needles_of_items):
            if found is not None:
                table = self.types if found.types else self.folded if found.folded else self.exact
                for string in found.strings:
                    table.setdefault(string, []).append(index)
        self.all_folded = sorted({i for owners in self.folded.values() for i in owners})
        self.substrings = Substrings(self.exact, self.folded)

    def candidates(self, text: str, type_names: frozenset[str]) -> list[int]:
        """The indexes of the items that may match `text`, whose exceptions go by `type_names`, in order."""
        chosen = set(self.always)
        for name in type_names:
            chosen.update(self.types.get(name, ()))
        exact, folded = self.substrings.find(text, text.lower())
        for string in exact:
            chosen.update(self.exact[string])
        if not text.isascii():
            chosen.update(self.all_folded)  # outside ASCII, `str.lower` and the regex's case-folding may differ
        else:
            for string in folded:
                chosen.update(self.folded[string])
        return sorted(chosen)
