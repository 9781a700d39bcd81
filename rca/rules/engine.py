"""The rule engine: load packs, classify events, run every rule's examples."""

from __future__ import annotations

import string
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from ..classes import UNKNOWN, role_of
from ..events import ErrorEvent
from .conditions import Facts
from .loader import Rule, RuleError, load_pack, pack_files
from .snippets import event_from_example

MAX_TIMEOUTS_PER_RULE = 3  # after this many time-outs a rule is switched off for the run


def shipped_rules_dir() -> Path:
    """`rules/` of a source checkout, or the copy installed inside the package."""
    root = Path(__file__).resolve().parents[2]
    if (root / "pyproject.toml").is_file() and (root / "rules").is_dir():
        return root / "rules"
    return Path(__file__).resolve().parents[1] / "packs"


@dataclass
class Classification:
    cls: str
    confidence: float
    method: str  # "rule", "model" or "none"
    rule: Rule | None = None
    fields: dict = field(default_factory=dict)
    alternatives: list[dict] = field(default_factory=list)

    @property
    def role(self) -> str:
        return role_of(self.cls, self.rule.declared_role if self.rule else None)

    @property
    def explanation(self) -> str | None:
        if self.rule is None:
            return None
        return fill_template(self.rule.explanation, self.fields)

    def as_dict(self) -> dict:
        return {
            "class": self.cls, "confidence": round(self.confidence, 4), "method": self.method,
            "rule": self.rule.id if self.rule else None, "role": self.role,
            "fields": {k: v for k, v in self.fields.items()}, "explanation": self.explanation,
            "alternatives": self.alternatives,
        }


def fill_template(template: str, fields: dict) -> str:
    """A rule's text with captured fields filled in; a field not captured shows as <name?>."""
    return string.Formatter().vformat(template, (), _Blank(fields))


class _Blank(dict):
    def __missing__(self, key):
        return f"<{key}?>"


UNCLASSIFIED = Classification(UNKNOWN, 0.0, "none")


class RuleSet:
    def __init__(self, rules: list[Rule]):
        seen: dict[str, Rule] = {}
        for rule in rules:
            if rule.id in seen:
                raise RuleError(f"{rule.source}: rule {rule.id}: field `id`: already defined at {seen[rule.id].source}")
            seen[rule.id] = rule
        self.rules = rules
        self.timeouts: Counter = Counter()

    @classmethod
    def load(cls, extra_dirs: Iterable[str | Path] = (), shipped: bool = True) -> "RuleSet":
        """The shipped packs plus every pack under `extra_dirs`; RuleError names the first bad rule."""
        directories = ([shipped_rules_dir()] if shipped else []) + [Path(d) for d in extra_dirs]
        rules: list[Rule] = []
        for directory in directories:
            if not directory.is_dir():
                raise RuleError(f"{directory}: no such rules directory")
            for path in pack_files(directory):
                rules.extend(load_pack(path))
        return cls(rules)

    def matches(self, event: ErrorEvent, facts: Facts | None = None) -> list[tuple[tuple, Rule, dict]]:
        """Every rule that matches, best first: (rank, rule, captured fields)."""
        facts = facts or Facts.of(event)
        found = []
        for rule in self.rules:
            if self.timeouts[rule.id] >= MAX_TIMEOUTS_PER_RULE:
                continue
            fields: dict = {}
            try:
                hit = rule.match.evaluate(facts, fields)
            except TimeoutError:
                self.timeouts[rule.id] += 1
                continue
            if hit is not None:
                # The class of an event is its root exception's: a match deeper in the chain ranks lower.
                on_root = hit.depth in (None, 0)
                found.append(((rule.priority, on_root, hit.specificity, rule.confidence), rule, fields))
        found.sort(key=lambda item: item[0], reverse=True)
        return found

    def classify(self, event: ErrorEvent) -> Classification:
        found = self.matches(event)
        if not found:
            return UNCLASSIFIED
        _, best, fields = found[0]
        alternatives = [{"class": r.cls, "rule": r.id, "confidence": r.confidence} for _, r, _ in found[1:]]
        return Classification(best.cls, best.confidence, "rule", best, fields, alternatives)

    def test_examples(self) -> list[str]:
        """One line per failing example: a `match:` example the rule misses, or a `no_match:` one it takes."""
        failures = []
        for rule in self.rules:
            single = RuleSet([rule])
            for wanted, examples in ((True, rule.examples_match), (False, rule.examples_no_match)):
                for index, example in enumerate(examples):
                    try:
                        matched = bool(single.matches(event_from_example(example)))
                    except ValueError as error:
                        failures.append(f"{rule.source}: rule {rule.id}: example {index + 1}: {error}")
                        continue
                    if single.timeouts[rule.id]:
                        failures.append(f"{rule.source}: rule {rule.id}: a regular expression timed out")
                    elif matched != wanted:
                        kind = "match" if wanted else "no_match"
                        first_line = str(example if isinstance(example, str) else example.get("text", "")).split("\n")[0]
                        failures.append(f"{rule.source}: rule {rule.id}: {kind} example {index + 1} "
                                        f"{'not matched' if wanted else 'matched'}: {first_line[:80]}")
        return failures
