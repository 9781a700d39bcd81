"""Classification of error events: rules first; then, with a model, the model when it is sure
enough (method `model`); otherwise `unknown` (method `none`)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import replace
from functools import lru_cache

from rca.classify.classes import UNKNOWN
from rca.classify.rules import Classification, RuleSet, event_from_text
from rca.events.error_event import ErrorEvent

MODEL_BATCH = 512


@lru_cache(maxsize=1)
def default_rules() -> RuleSet:
    return RuleSet.load()


def hybrid(rules: RuleSet, model, event: ErrorEvent) -> Classification:
    """A matching rule decides; otherwise the model, when its probability clears its threshold;
    otherwise unknown. The model's top alternatives are kept either way."""
    decided = rules.classify(event)
    if model is None:
        return decided
    return _with_model(decided, model, model.predict_proba([event.text])[0])


def _with_model(decided: Classification, model, probabilities) -> Classification:
    """The rules' decision with the model's say added: a new Classification, `decided` left as it was
    (rules may hand one object to many events, and callers keep theirs)."""
    classes = model.classes  # a new list each time it is read
    order = probabilities.argsort()[::-1][:3].tolist()
    row = probabilities.tolist()  # Python floats at once: indexing a numpy row one item at a time is slow
    alternatives = [{"class": classes[i], "model": round(row[i], 4)} for i in order]
    if decided.method == "rule":
        return replace(decided, alternatives=[*decided.alternatives, *alternatives])
    label, probability = classes[order[0]], row[order[0]]
    if label != UNKNOWN and probability >= model.threshold:
        return Classification(label, probability, "model", None, {}, alternatives[1:])
    # The confidence is in the answer given; for `unknown` there is none (the model's guesses are the alternatives).
    return Classification(UNKNOWN, 0.0, "none", None, {}, alternatives)


def classify_events(events: Iterable[ErrorEvent], rules: RuleSet | None = None, model=None) -> Iterator[tuple[ErrorEvent, Classification]]:
    """Every event with its class. With a model, the events are taken in batches so that the model
    scores them together (one call per batch, not per event)."""
    rules = rules or default_rules()
    if model is None:
        for event in events:
            yield event, rules.classify(event)
        return
    batch: list[ErrorEvent] = []
    for event in events:
        batch.append(event)
        if len(batch) >= MODEL_BATCH:
            yield from _classify_batch(batch, rules, model)
            batch = []
    yield from _classify_batch(batch, rules, model)


def _classify_batch(events: list[ErrorEvent], rules: RuleSet, model):
    if not events:
        return
    decided = [rules.classify(event) for event in events]
    probabilities = model.predict_proba([event.text for event in events])
    for event, result, row in zip(events, decided, probabilities):
        yield event, _with_model(result, model, row)


def classify_text(text: str, rules: RuleSet | None = None, model="default") -> Classification:
    """Classify a pasted traceback or log excerpt, e.g. from an issue thread: rules, then the model
    (`"default"`, a model file, a TextModel, or None for rules only)."""
    from rca.classify.model import resolve

    return hybrid(rules or default_rules(), resolve(model), event_from_text(text))


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
