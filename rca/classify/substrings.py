"""Which of a fixed set of strings a text holds, found in one pass.

The rules' screen and the signals' parse each ask, of every text, which of some hundred literals it
holds. A Python loop of `needle in text` tests costs ~0.3 µs a needle; one Aho–Corasick scan
(pyahocorasick, in C) finds them all at once, whatever their number (issue 16: 7 µs a text instead
of ~50). It answers exactly what the loop would: every string that occurs, as a substring.
"""

from __future__ import annotations

from collections.abc import Iterable

import ahocorasick


class Substrings:
    """Strings looked for in one scan of the lower-cased text. A `folded` string is lower-case and
    is looked for there; an `exact` one (case counts) is found lower-cased, then confirmed in the
    text itself: an ASCII string the text holds is, lower-cased, in the lower-cased text (ASCII
    letters lower-case one by one, in place), and the few found are checked. A non-ASCII exact
    string is always checked."""

    def __init__(self, exact: Iterable[str] = (), folded: Iterable[str] = ()):
        self.exact = tuple(dict.fromkeys(exact))
        self.folded = tuple(dict.fromkeys(folded))
        if any(s != s.lower() for s in self.folded):
            raise ValueError("folded strings are looked for in the lower-cased text: give them lower-cased")
        self._unchecked = tuple(s for s in self.exact if not s.isascii())
        owners: dict[str, tuple[list[str], bool]] = {}  # lower-cased key -> (exact strings, is a folded string)
        for string in self.exact:
            if string.isascii():
                owners.setdefault(string.lower(), ([], False))[0].append(string)
        for string in self.folded:
            owners[string] = (owners.get(string, ([], False))[0], True)
        self._automaton = ahocorasick.Automaton(ahocorasick.STORE_ANY, ahocorasick.KEY_STRING)
        for key, (cased, is_folded) in owners.items():
            self._automaton.add_word(key, (key if is_folded else None, tuple(cased)))
        if owners:
            self._automaton.make_automaton()
        self._empty = not owners

    def occurrences(self, lower: str) -> list[tuple[int, str]]:
        """(start, string) of every place where a folded string occurs in `lower`."""
        if self._empty:
            return []
        return [(end - len(key) + 1, key) for end, (key, _) in self._automaton.iter(lower) if key is not None]

    def find(self, text: str, lower: str) -> tuple[set[str], set[str]]:
        """(the exact strings `text` holds, the folded strings `lower` holds); `lower` is text.lower()."""
        exact = {s for s in self._unchecked if s in text}
        folded: set[str] = set()
        if self._empty:
            return exact, folded
        for key, candidates in {value for _, value in self._automaton.iter(lower)}:
            if key is not None:
                folded.add(key)
            exact.update(s for s in candidates if s in text)
        return exact, folded
