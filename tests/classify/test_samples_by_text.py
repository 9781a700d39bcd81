"""classify_samples scores each distinct text with the model once, whatever else differs between the
events that hold it, and gives every event what the hybrid gives it alone (rca.classify.hybrid)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import pytest

from rca.classify.hybrid import hybrid
from rca.classify.model import read_corpus, shipped_corpus_dir, train
from rca.classify.rules import RuleSet, event_from_text
from rca.classify.samples import classify_samples, signature
from rca.events.error_event import ErrorEvent

TEXTS = [
    "Traceback (most recent call last):\n  File \"/app/main.py\", line 3, in <module>\n"
    "    from app.handlers import router\nModuleNotFoundError: No module named 'app.handlers'",
    "psycopg2.OperationalError: connection to server at \"10.0.0.5\", port 5432 failed: Connection refused",
    "upstream request timeout while calling billing",
]


@dataclass
class _Summary:
    """A group summary as far as classification reads it (rca.classify.samples.Sampled)."""

    sample: list[tuple[ErrorEvent, Any]] = field(default_factory=list)


class _CountingModel:
    """The shipped model, with the texts it was asked to score written down."""

    def __init__(self, model):
        self.model, self.asked = model, []

    def predict_proba(self, texts):
        self.asked += list(texts)
        return self.model.predict_proba(texts)

    def __getattr__(self, name):
        return getattr(self.model, name)


def _as(text: str, service: str, source: str = "app.log") -> ErrorEvent:
    event = event_from_text(text, source)
    return ErrorEvent([replace(record, service=service) for record in event.records])


@pytest.fixture(scope="module")
def model():
    """A real model, trained on six rows of each class of the shipped corpus: the default one costs
    seconds to train in a fresh cache, and any model scores a text alike in any batch."""
    by_class: dict[str, list[dict]] = {}
    for row in read_corpus(shipped_corpus_dir() / "train.jsonl"):
        by_class.setdefault(row["label"], []).append(row)
    rows = [row for label in sorted(by_class) for row in by_class[label][:6]]
    return train(rows, holdout=rows)


def _summary(*events: ErrorEvent) -> _Summary:
    return _Summary([(event, None) for event in events])


def test_a_text_is_scored_once_and_each_event_gets_the_hybrids_answer(model):
    counting = _CountingModel(model)
    # Each text on two services: two signatures (the rules may read the service), one text.
    summaries = [_summary(_as(text, service), _as(text, "other")) for text in TEXTS for service in ("web", "api")]
    assert len({signature(s.sample[0][0]) for s in summaries}) == 2 * len(TEXTS)
    rules = RuleSet.load()
    assert classify_samples(summaries, rules, counting) == 2 * len(TEXTS)
    assert sorted(counting.asked) == sorted(TEXTS)  # the groups' first events: each text once
    for summary in summaries:
        event, made = summary.sample[0]
        alone = hybrid(rules, model, event)
        assert (made.cls, made.method, made.confidence, made.alternatives) == \
               (alone.cls, alone.method, alone.confidence, alone.alternatives)
    # the rest of the samples (service "other"): one signature per text, scored when first read
    later = [summary.sample[1] for summary in summaries]
    assert later[0][1].cls == hybrid(rules, model, later[0][0]).cls
    assert sorted(counting.asked) == sorted(TEXTS * 2)  # every deferred one at that first read, each text once
    for event, deferred in later:
        assert deferred.alternatives == hybrid(rules, model, event).alternatives


def test_prose_and_a_logged_line_of_one_text_are_two_signatures():
    """A pasted excerpt lets rules read exceptions quoted in sentences (Facts.prose): not the same facts."""
    logged, pasted = _as(TEXTS[1], "web"), _as(TEXTS[1], "web", source="snippet")
    assert signature(logged) != signature(pasted)
    assert signature(logged) == signature(_as(TEXTS[1], "web"))
