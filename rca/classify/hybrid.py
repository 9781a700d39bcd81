"""Classification of error events: rules first; then, with a model, the model when it is sure
enough (method `model`); otherwise `unknown` (method `none`). Over one family of rules the model has
the last word: a connection-failure claim the model reads as another cause class (method `model-over-rule`).
Where no rule matched but the text's structure names a plain bug (`Classification.plain_bug`), the model
gives no cause: structure decides before words."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import replace
from functools import lru_cache

from rca.classify.classes import CAUSE_CLASSES, UNKNOWN
from rca.classify.rules import Classification, RuleSet, event_from_text
from rca.events.error_event import ErrorEvent

MODEL_BATCH = 512
# Where a rule and the model disagree, the rule decides, except over these rule classes: when the model's
# likeliest class is another cause class with at least OVERRIDE_PROBABILITY, the model decides. A
# connection refused or reset, a 5xx from upstream, is what a database, a time limit or a bad setting
# also print, and the dependency rules cannot tell them apart where the model, which reads the whole
# text, can. Chosen on the fresh corpus's batches 2-12 and confirmed on 13-16
# (benchmarks/bench_arbitration.py, classification-issue28-arbitration.md): over every other family the
# model, overriding, was wrong more often than right on text the rules were written from.
# Never to a symptom class: docs/CLASSES.md gives `service_unavailable`/`startup_failure` only when no
# cause is shown, and a connection-failure claim is one. Whose 503 a text shows (an upstream's, read by
# a client, or the service's own) is where the model went wrong: 5 of 5 such overrides on the real corpus
# and on the sealed batches 17-18, while cause-to-cause overrides were right on every set.
OVERRIDABLE_RULE_CLASSES = frozenset({"dependency_connection_failure"})
OVERRIDE_TARGETS = frozenset(CAUSE_CLASSES)  # the classes the model may put in a rule's place
OVERRIDE_PROBABILITY = 0.5
MODEL_OVER_RULE = "model-over-rule"


@lru_cache(maxsize=1)
def default_rules() -> RuleSet:
    return RuleSet.load()


def hybrid(rules: RuleSet, model, event: ErrorEvent) -> Classification:
    """A matching rule decides, unless it is one the model may override (`overrides_rule`) and the
    model is sure of another cause class; otherwise the model, when its probability clears the class's threshold;
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
    label, probability = classes[order[0]], row[order[0]]
    if decided.method == "rule":
        if overrides_rule(decided.cls, label, probability):
            return _model_over_rule(decided, label, probability, alternatives)
        return replace(decided, alternatives=[*decided.alternatives, *alternatives])
    if label != UNKNOWN and probability >= _threshold_of(model, label) and not decided.plain_bug:
        return Classification(label, probability, "model", None, {}, alternatives[1:])
    # The confidence is in the answer given; for `unknown` there is none (the model's guesses are the alternatives).
    return Classification(UNKNOWN, 0.0, "none", None, {}, alternatives)


# Why the model gives no cause to a plain bug the structure names (`Classification.plain_bug`: no rule matched,
# and the innermost exception is one the knowledge tables read as the application's own mistake, a TypeError,
# a unique-key violation): on the dev batches 2-24 and the real corpus, 431 texts so read were plain bugs
# and 7 causes, and the model, reading words, gave such texts a cause at 0.76-0.91 (`connect_timeout=` in a
# TypeError's source line, a unique-key violation behind a rolled-back session). Leave-one-batch-out
# (benchmarks/bench_recall.py, classification-issue28-precision.md) it gave fewer plain bugs a cause on
# 2-16 and lost no cause there.


def _threshold_of(model, label: str) -> float:
    """The probability `label` needs: the model's own for the class where it has one (a TextModel), else
    its one threshold (a model of another kind a caller passed)."""
    per_class = getattr(model, "class_thresholds", None) or {}
    return per_class.get(label, model.threshold)


def overrides_rule(rule_class: str | None, label: str, probability: float) -> bool:
    """Whether the model's likeliest class `label` (at `probability`) replaces a rule's claim of
    `rule_class` (None: no rule claimed the text, nothing to override)."""
    return (rule_class in OVERRIDABLE_RULE_CLASSES and label != rule_class and label in OVERRIDE_TARGETS
            and probability >= OVERRIDE_PROBABILITY)


def _model_over_rule(decided: Classification, label: str, probability: float, alternatives: list[dict]) -> Classification:
    """The model's class, with the overruled rule's claim first among the alternatives (class, confidence,
    rule id, `overruled`), so that a report shows both. No rule is attached: the rule's explanation,
    questions and remedy are about the class it claimed, not the one decided."""
    claim = {"class": decided.cls, "confidence": round(decided.confidence, 4),
             "rule": decided.rule.id if decided.rule else None, "overruled": True}
    secondary = [item for item in decided.secondary if item.get("class") != label]
    return Classification(label, probability, MODEL_OVER_RULE, None, {}, [claim, *alternatives[1:]], secondary)


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


def overruled_claim(classification: Classification) -> dict:
    """`{"overruled": {class, confidence, rule}}` when the model decided over a rule's claim (method
    `model-over-rule`: `rule` is then null, and without this the claim would be lost), else nothing: the
    key is there only when there is something to say, as `secondary` is in a classification's dict. For
    the JSON report's groups and the `--snippets` lines."""
    claim = classification.overruled
    if not claim:
        return {}
    return {"overruled": {"class": claim.get("class"), "confidence": claim.get("confidence"), "rule": claim.get("rule")}}


def snippet_result(snippet_id, classification: Classification) -> dict:
    """The stable `--snippets` output shape: id, class, confidence, method, rule, fields (and `overruled`
    where the model decided over a rule's claim)."""
    return {
        "id": snippet_id,
        "class": classification.cls,
        "confidence": round(classification.confidence, 4),
        "method": classification.method,
        "rule": classification.rule.id if classification.rule else None,
        "fields": classification.fields,
        **overruled_claim(classification),
    }
