"""Classifying what the group summaries keep, after the map and the merge (docs/DESIGN.md "Scale:
map, merge, decide"): only the events a summary keeps (its sample) are ever shown, so they are
classified once the summaries are merged, once per distinct signature, and no worker loads the model.

A summary is anything with a `sample`, a list of (event, classification or None) pairs, earliest
first (rca.analyze.groups.Group): the analyze stage's type is not imported here, imports flow down.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from rca.classify.hybrid import MODEL_BATCH, _with_model
from rca.classify.rules import Classification, RuleSet
from rca.events.error_event import ErrorEvent


class Sampled(Protocol):
    """A group summary, as far as classification reads and writes it."""

    sample: list[tuple[ErrorEvent, Any]]


def signature(event: ErrorEvent) -> tuple:
    """Everything the rules and the model read of an event (rca.classify.rules.conditions.Facts): its text
    (exception chain, messages, frames), request status and URL, top severity, service, log and
    resource. Two events with one signature get one classification, fields included."""
    request = event.request
    first = event.first
    return (event.text, request.http_status if request else None, request.http_url if request else None,
            max(r.severity_rank for r in event.records), first.service, first.log_name, first.resource_type)


def classify_samples(groups: Sequence[Sampled], rules: RuleSet, model=None) -> int:
    """Classify the events the summaries keep, each distinct signature once. What the decision and
    the report read — each group's first event — is classified now (the model scoring the distinct
    texts in batches; a lazy model is loaded only if there is any); the rest of each sample (shown
    only in `result.events`) is classified when first asked for, all at once. Returns how many
    signatures were classified now. Groups whose events share a signature share one Classification:
    nothing changes one once it is made."""
    batch = _Batch(rules, model)
    now = {signature(group.sample[0][0]): group.sample[0][0] for group in groups if group.sample and group.sample[0][1] is None}
    batch.classify(now)
    for group in groups:
        group.sample = [(event, known if known is not None else
                         (batch.decided[signature(event)] if index == 0 else batch.later(event)))
                        for index, (event, known) in enumerate(group.sample)]
    return len(now)


class _Batch:
    """Classifications by signature, made in batches, shared by the deferred ones of one analysis."""

    def __init__(self, rules: RuleSet, model):
        self.rules, self.model = rules, model
        self.decided: dict[tuple, Classification] = {}
        self.pending: dict[tuple, ErrorEvent] = {}

    def classify(self, events: dict[tuple, ErrorEvent]) -> None:
        fresh = {key: event for key, event in events.items() if key not in self.decided}
        for key, event in fresh.items():
            self.decided[key] = self.rules.classify(event)
        if self.model is not None and fresh:
            keys = list(fresh)
            for at in range(0, len(keys), MODEL_BATCH):
                part = keys[at: at + MODEL_BATCH]
                rows = self.model.predict_proba([fresh[key].text for key in part])
                for key, row in zip(part, rows):
                    self.decided[key] = _with_model(self.decided[key], self.model, row)

    def later(self, event: ErrorEvent) -> DeferredClassification:
        key = signature(event)
        if key not in self.decided:
            self.pending.setdefault(key, event)
        return DeferredClassification(self, key)

    def resolve(self, key: tuple) -> Classification:
        if key not in self.decided:
            pending, self.pending = self.pending, {}
            self.classify(pending)
        return self.decided[key]


class DeferredClassification:
    """The classification of an event kept in a sample, made (with every other pending one) when
    one of its attributes is first read."""

    __slots__ = ("_batch", "_key", "_made")

    def __init__(self, batch: _Batch, key: tuple):
        self._batch, self._key = batch, key
        self._made: Classification | None = None

    def get(self) -> Classification:
        if self._made is None:
            self._made = self._batch.resolve(self._key)
        return self._made

    def __getattr__(self, name):
        return getattr(self.get(), name)

    def __repr__(self) -> str:
        return repr(self.get())
