"""The shipped packs' patterns are compiled when first searched, a user's pack's as it is read.

A run whose logs hold no error never needs a rule's regex: compiling the ~180 of the shipped packs cost
~0.1 CPU-s of every run's start. A user's pack is still compiled at load, so its mistakes are reported
with their line before any log is read."""

from __future__ import annotations

import regex

from rca.classify.rules import conditions
from rca.classify.rules.engine import RuleSet
from rca.classify.rules.loader import RuleError
from rca.classify.rules.snippets import event_from_example


def _counting_compiles(monkeypatch) -> list[str]:
    compiled: list[str] = []
    real = regex.compile

    def counting(pattern, *args, **kwargs):
        compiled.append(pattern)
        return real(pattern, *args, **kwargs)

    monkeypatch.setattr(conditions.regex, "compile", counting)
    return compiled


def test_loading_the_shipped_packs_compiles_none_of_their_patterns(monkeypatch):
    compiled = _counting_compiles(monkeypatch)
    rules = RuleSet.load()
    assert compiled == []
    claimed = rules.classify(event_from_example("ModuleNotFoundError: No module named 'redis'"))
    assert claimed.cls == "missing_import"
    assert compiled, "the rule that claimed it was compiled when it was searched"


def test_validating_the_shipped_packs_compiles_every_pattern(monkeypatch):
    compiled = _counting_compiles(monkeypatch)
    assert RuleSet.validate(shipped=True) == []
    assert len(compiled) > 100


def test_a_users_pack_is_compiled_as_it_is_read(tmp_path):
    (tmp_path / "mine.yaml").write_text("""
rules:
  - id: mine.broken
    class: timeout
    title: A broken pattern
    confidence: 0.9
    match: {message: "took (too long"}
    explanation: x
    questions: [Why?]
    remedy: y
    examples: {match: ["took (too long"]}
""")
    try:
        RuleSet.load([tmp_path])
    except RuleError as error:
        assert "mine.yaml" in str(error) and "invalid regular expression" in str(error)
    else:
        raise AssertionError("a user's broken pattern must be reported when the pack is read")
