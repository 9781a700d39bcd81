"""Classification of error events: rules first; what no rule claims is `unknown` (method `none`)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from functools import lru_cache

from .events import ErrorEvent
from .rules import Classification, RuleSet, event_from_text


@lru_cache(maxsize=1)
def default_rules() -> RuleSet:
    return RuleSet.load()


def classify_events(events: Iterable[ErrorEvent], rules: RuleSet | None = None) -> Iterator[tuple[ErrorEvent, Classification]]:
    rules = rules or default_rules()
    for event in events:
        yield event, rules.classify(event)


def classify_text(text: str, rules: RuleSet | None = None) -> Classification:
    """Classify a pasted traceback or log excerpt, e.g. from an issue thread."""
    return (rules or default_rules()).classify(event_from_text(text))


def snippet_result(snippet_id, classification: Classification) -> dict:
    """The stable `--snippets` output shape: id, class, confidence, method, rule, fields."""
    return {
        "id": snippet_id,
        "class": classification.cls,
        "confidence": round(classification.confidence, 4),
        "method": classification.method,
        "rule": classification.rule.id if classification.rule else None,
        "fields": classification.fields,
    }
