"""Classifying what the group summaries keep (rca.classify.samples) and adding the model's say to the
rules' decision (rca.classify.hybrid._with_model), on the seed incident and the shipped model."""

from __future__ import annotations

from pathlib import Path

import pytest

from rca.analyze.mapping import Scope, map_inputs
from rca.classify.hybrid import _with_model
from rca.classify.model import default_model
from rca.classify.rules import Classification, RuleSet, event_from_text
from rca.classify.samples import DeferredClassification, classify_samples, signature

SEED = Path(__file__).resolve().parents[2] / "fixtures" / "incidents" / "missing-import" / "logs.jsonl"
MISSING_IMPORT = """Traceback (most recent call last):
  File "/app/main.py", line 3, in <module>
    from app.handlers import router
ModuleNotFoundError: No module named 'app.handlers'"""


@pytest.fixture(scope="module")
def model():
    return default_model()


def test_the_model_adds_to_a_rule_decision_and_leaves_it_as_it_was(model):
    """Pure: the decision handed in keeps its alternatives, so that one decision may serve many events
    (and `rca eval`'s folds) without the model's alternatives piling up on it."""
    event = event_from_text(MISSING_IMPORT)
    decided = RuleSet.load().classify(event)
    assert decided.method == "rule" and decided.cls == "missing_import"
    before = list(decided.alternatives)
    row = model.predict_proba([event.text])[0]
    once = _with_model(decided, model, row)
    twice = _with_model(decided, model, row)
    assert decided.alternatives == before
    assert once is not decided and once.alternatives == twice.alternatives
    added = once.alternatives[len(before):]
    assert once.cls == decided.cls and once.rule is decided.rule and once.fields == decided.fields
    assert len(added) == 3 and all(set(item) == {"class", "model"} for item in added)
    assert [item["model"] for item in added] == sorted((item["model"] for item in added), reverse=True)


def test_each_signature_is_classified_once_and_the_rest_of_a_sample_later(model):
    partial = map_inputs([str(SEED)], Scope())
    groups = [group for group in partial.groups if group.sample]
    firsts = {signature(group.sample[0][0]) for group in groups}
    assert classify_samples(groups, RuleSet.load(), model) == len(firsts)
    rules = RuleSet.load()
    for group in groups:
        assert isinstance(group.classification, Classification)
        assert group.classification.cls == rules.classify(group.representative).cls
        for event, deferred in group.sample[1:]:
            assert isinstance(deferred, DeferredClassification)
            assert deferred.cls == rules.classify(event).cls or deferred.method == "model"
    # events of one signature share one decision, made once
    by_signature: dict[tuple, Classification] = {}
    for group in groups:
        assert by_signature.setdefault(signature(group.representative), group.classification) is group.classification
