"""The symptoms linked to a cause are worked out once per kind of symptom (rca.analyze.incidents._Symptoms).
A kind once left out whether the symptom is a failed answer, which cascade_between reads as
service_unavailable whatever its class: of two symptoms alike but for that, the one asked first decided
for both, and the cause was linked to both or to neither."""

from __future__ import annotations

from pathlib import Path

from rca.analyze.incidents import _Symptoms, cascade_between
from rca.analyze.mapping import Scope, map_inputs
from rca.classify.rules import RuleSet
from rca.classify.samples import classify_samples

INCIDENTS = Path(__file__).resolve().parents[2] / "fixtures" / "incidents"


def test_a_failed_answer_is_a_kind_of_its_own():
    rules = RuleSet.load()
    groups = map_inputs([str(INCIDENTS / "canary-crash" / "logs.jsonl")], Scope()).groups
    classify_samples(groups, rules)
    cause = next(g for g in groups if g.cls == "missing_import")
    alike = [g for g in groups if g.cls == "unknown" and g.service == cause.service]
    assert len(alike) >= 2 and len({(g.cls, g.service, tuple(g.revisions)) for g in alike}) == 1
    for failed in (alike[0], alike[-1]):  # the failed answer asked first, then last
        for group in alike:
            group.failed_answer = group is failed
        linked = _Symptoms(alike, rules.cascades).linked_to(cause, rules.cascades)
        assert list(linked) == [s for s in alike if cascade_between(cause, s, rules.cascades)] == [failed]
