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
from rca.classify.rules.conditions import PROSE_SOURCES
from rca.events.error_event import ErrorEvent


class Sampled(Protocol):
    """A group summary, as far as classification reads and writes it."""

    sample: list[tuple[ErrorEvent, Any]]


def signature(event: ErrorEvent) -> tuple:
    """Everything the rules and the model read of an event (rca.classify.rules.conditions.Facts.of): its
    text (exception chain, messages, frames), request status and URL, top severity, service, log,
    resource, and whether its source is prose (never so for a logged event). Two events with one
    signature get one classification, fields included. The model reads the text alone."""
    request = event.request
    first = event.first
    return (event.text, request.http_status if request else None, request.http_url if request else None,
            max(r.severity_rank for r in event.records), first.service, first.log_name, first.resource_type,
            first.source in PROSE_SOURCES)


def classify_samples(groups: Sequence[Sampled], rules: RuleSet, model=None) -> int:
    """Classify the events the summaries keep, each distinct signature once. What the decision and
    the report read — each group's first event — is classified now (the model scoring the distinct
    texts in batches; a lazy model is loaded only if there is any); the rest of each sample (shown
    only in `result.events`) is classified when first asked for, all at once. Returns how many
    signatures were classified now. Groups whose events share a signature share one Classification:
    nothing changes one once it is made."""
    batch = _Batch(rules, model)
    firsts = {id(group): signature(group.sample[0][0]) for group in groups if group.sample and group.sample[0][1] is None}
    now = {key: group.sample[0][0] for group in groups if (key := firsts.get(id(group))) is not None}
    batch.classify(now)
    for group in groups:
        group.sample = [(event, known if known is not None else
                         (batch.decided[firsts[id(group)]] if index == 0 else batch.later(event)))
                        for index, (event, known) in enumerate(group.sample)]
    return len(now)


class _Batch:
    """Classifications by signature, made in batches, shared by the deferred ones of one analysis."""

    def __init__(self, rules: RuleSet, model):
        self.rules, self.model = rules, model
        self.decided: dict[tuple, Classification] = {}
        # Deferred events, their signatures worked out when the first of them is read: most samples'
        # rest is never read (the report reads each group's first event), so never costs a signature.
        self.pending: list[ErrorEvent] = []

    def classify(self, events: dict[tuple, ErrorEvent]) -> None:
        """The rules decide once per signature (what they read of an event, `signature`; their state
        within a run is only the time-outs' budget). The model's scores depend on the text alone
        (`hybrid._with_model` adds them to the rules' decision, which it does not change), so each
        distinct text is scored once, whatever else differs between the signatures that share it."""
        fresh = {key: event for key, event in events.items() if key not in self.decided}
        for key, event in fresh.items():
            self.decided[key] = self.rules.classify(event)
        if self.model is not None and fresh:
            texts = list(dict.fromkeys(event.text for event in fresh.values()))
            scores: dict[str, Any] = {}  # text -> its row of class probabilities
            for at in range(0, len(texts), MODEL_BATCH):
                part = texts[at: at + MODEL_BATCH]
                scores.update(zip(part, self.model.predict_proba(part)))
            for key, event in fresh.items():
                self.decided[key] = _with_model(self.decided[key], self.model, scores[event.text])

    def later(self, event: ErrorEvent) -> DeferredClassification:
        self.pending.append(event)
        return DeferredClassification(self, event)

    def resolve(self, event: ErrorEvent) -> Classification:
        key = signature(event)
        if key not in self.decided:
            pending, self.pending = self.pending, []
            waiting: dict[tuple, ErrorEvent] = {}
            for other in pending:
                waiting.setdefault(signature(other), other)
            self.classify(waiting)
        return self.decided[key]


class DeferredClassification:
    """The classification of an event kept in a sample, made (with every other pending one) when
    one of its attributes is first read."""

    __slots__ = ("_batch", "_event", "_made")

    def __init__(self, batch: _Batch, event: ErrorEvent):
        self._batch, self._event = batch, event
        self._made: Classification | None = None

    def get(self) -> Classification:
        if self._made is None:
            self._made = self._batch.resolve(self._event)
        return self._made

    def __getattr__(self, name):
        return getattr(self.get(), name)

    def __repr__(self) -> str:
        return repr(self.get())
