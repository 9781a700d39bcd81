"""Classification of error events: rules first; then, with a model, the model when it is sure
enough (method `model`); otherwise `unknown` (method `none`)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from functools import lru_cache

from .events import ErrorEvent
from .rules import Classification, RuleSet, event_from_text


@lru_cache(maxsize=1)
def default_rules() -> RuleSet:
    return RuleSet.load()


def hybrid(rules: RuleSet, model, event: ErrorEvent) -> Classification:
    """A matching rule decides; otherwise the model, when its probability clears its threshold;
    otherwise unknown. The model's top alternatives are kept either way."""
    from .classes import UNKNOWN

    decided = rules.classify(event)
    if model is None:
        return decided
    top = model.top(event.text)
    alternatives = [{"class": label, "model": round(probability, 4)} for label, probability in top]
    if decided.method == "rule":
        decided.alternatives += alternatives
        return decided
    label, probability = top[0]
    if label != UNKNOWN and probability >= model.threshold:
        return Classification(label, probability, "model", None, {}, alternatives[1:])
    return Classification(UNKNOWN, probability if label == UNKNOWN else 0.0, "none", None, {}, alternatives)


def classify_events(events: Iterable[ErrorEvent], rules: RuleSet | None = None, model=None) -> Iterator[tuple[ErrorEvent, Classification]]:
    rules = rules or default_rules()
    for event in events:
        yield event, hybrid(rules, model, event)


def classify_text(text: str, rules: RuleSet | None = None, model=None) -> Classification:
    """Classify a pasted traceback or log excerpt, e.g. from an issue thread."""
    return hybrid(rules or default_rules(), model, event_from_text(text))


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
