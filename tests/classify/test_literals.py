"""rca.classify.rules.literals: a rule is skipped only on texts it could never match."""

import json

import pytest
from conftest import FIXTURES

from rca.classify.rules import RuleSet, event_from_text
from rca.classify.rules.conditions import Facts
from rca.classify.rules.literals import needles
from rca.classify.rules.snippets import event_from_example


@pytest.mark.parametrize("pattern, strings, folded", [
    (r"No module named '(?P<module>[\w.]+)'", ("No module named '",), False),
    (r"(?i)\bnot authenticated\b|\b403 forbidden\b", ("403 forbidden", "not authenticated"), True),
    (r"(?P<probe>STARTUP|Startup) (?:(?:TCP|HTTP) )?probe failed", ("probe failed",), False),
    (r"Too many open files|\[Errno 24\] Too many open files", ("Too many open files",), False),  # the longer one is implied
    (r'user "(?P<user>[^"]+)" denied|for user (?P<user>\w+) refused', ('" denied', 'for user '), False),  # a name used twice
    (r"(?i:quota) exceeded", (" exceeded",), True),  # a scoped flag folds the whole pattern
])
def test_needles_of_a_pattern(pattern, strings, folded):
    found = needles(pattern)
    assert (found.strings, found.folded) == (strings, folded)


@pytest.mark.parametrize("pattern", [
    r"^(?:.*?read timeout=(?P<timeout>[\d.]+))?",  # matches the empty string
    r"\d+ errors?|.*",  # one alternative needs nothing
    r"(?:timeout){e<=1}",  # fuzzy matching: the regex package only
    r"[[:alpha:]]+ failed",  # a POSIX class: the regex package only
    r"\p{Lu}rror",  # not the standard library's syntax
    "(?i)\u212a\u212a",  # the Kelvin sign folds to an ASCII k
])
def test_no_needles_where_they_cannot_be_trusted(pattern):
    assert needles(pattern) is None


def test_folded_needles_stand_aside_outside_ascii():
    found = needles(r"(?i)status")
    assert not found.may_match("all good")
    assert found.may_match("\u017ftatus")  # the long s matches `s` when case is ignored


def corpus_texts():
    texts = []
    for path in ("corpus/train.jsonl", "corpus/holdout.jsonl", "real-corpus/excerpts.jsonl"):
        texts += [json.loads(line)["text"] for line in (FIXTURES / path).open() if line.strip()]
    return texts


def test_the_screen_never_drops_a_rule_that_matches():
    rules = RuleSet.load()
    events = [event_from_text(text) for text in corpus_texts()]
    events += [event_from_example(e) for rule in rules.rules for e in rule.examples_match + rule.examples_no_match]
    screen = rules.screen()
    for event in events:
        facts = Facts.of(event)
        matching = {i for i, rule in enumerate(rules.rules) if rule.match.evaluate(facts, {}) is not None}
        assert matching <= set(screen.candidates(facts.text, facts.type_names)), event.text[:200]


def test_a_bare_exception_is_the_one_a_search_of_the_whole_text_finds():
    """bare_exceptions tries its pattern only at the start of the names holding what it needs: the
    same first match as one search of the whole text, on every real excerpt and at the edges."""
    from rca.classify.rules.conditions import BARE_EXCEPTION, bare_exceptions

    texts = [json.loads(line)["text"] for line in (FIXTURES / "real-corpus" / "excerpts.jsonl").open() if line.strip()]
    texts += ["a\nredis.exceptions.ConnectionError\nb", "x ConnectTimeout:\r\nValueError: y", "note\u2028socket.timeout: t",
              ": FooError", "FooError tail\nBarError", "requests.exceptions.X\n", "\nmy.err.Y: z", "(requests.exceptions.X: y",
              "a\u0301errors.Foo: x", "[x]redis.exceptions.E: m", "foo.bar.BazError tail\n  q.QuxError", "x_y.errors.Z"]
    for text in texts + [text.replace("\n", "\r\n") for text in texts]:
        match = BARE_EXCEPTION.search(text[:20000])
        expected = [(match.group(1), (match.group(2) or "").strip())] if match else []
        assert [(e.type, e.message) for e in bare_exceptions(text)] == expected
