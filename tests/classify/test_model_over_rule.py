"""Issue 28, classify26: who decides when a rule and the model disagree. A rule keeps its claim, except a
connection-failure claim that the model, reading the whole text, is sure is another cause class: then the
model decides (method `model-over-rule`) and the rule's claim is kept beside it."""

from __future__ import annotations

import numpy as np

from rca.classify import hybrid, model
from rca.classify.hybrid import MODEL_OVER_RULE, _with_model, classify_text, overrides_rule, snippet_result
from rca.classify.rules import RuleSet, event_from_text

CLASSES = ["config_error", "db_session_failure", "dependency_connection_failure", "service_unavailable", "timeout",
           "startup_failure", "unknown"]


class _FixedModel:
    """A model whose probabilities the test gives: the decision alone is under test."""

    classes = CLASSES
    threshold = 0.7


def _probabilities(**by_class: float) -> np.ndarray:
    row = np.array([by_class.get(cls, 0.0) for cls in CLASSES])
    row[CLASSES.index("unknown")] += 1.0 - row.sum()
    return row


def _rule_claim(text: str):
    decided = RuleSet.load().classify(event_from_text(text))
    assert decided.method == "rule", decided
    return decided


REFUSED = "ConnectionRefusedError: [Errno 111] Connection refused"
SETTINGS = "django.core.exceptions.ImproperlyConfigured: The SECRET_KEY setting must not be empty."


def test_a_connection_failure_claim_goes_to_the_class_the_model_is_sure_of_and_keeps_the_rule_beside_it():
    claim = _rule_claim(REFUSED)
    assert claim.cls == "dependency_connection_failure"
    decided = _with_model(claim, _FixedModel(), _probabilities(db_session_failure=0.83, dependency_connection_failure=0.1))
    assert (decided.cls, decided.method, decided.rule) == ("db_session_failure", MODEL_OVER_RULE, None)
    assert decided.confidence == 0.83
    assert decided.overruled == {"class": "dependency_connection_failure", "confidence": round(claim.confidence, 4),
                                 "rule": claim.rule.id, "overruled": True}
    assert decided.alternatives[0] is decided.overruled  # first, so that a report shows both
    assert "over rule" in repr(decided) and claim.rule.id in repr(decided)
    assert f"the model over rule {claim.rule.id}" in decided._repr_html_()  # a notebook shows the rule too
    assert decided.as_dict()["alternatives"][0]["rule"] == claim.rule.id
    assert claim.method == "rule" and claim.cls == "dependency_connection_failure"  # the rules' object is left as it was


def test_a_snippet_line_keeps_the_claim_the_model_decided_over_and_no_other_has_the_key():
    claim = _rule_claim(REFUSED)
    decided = _with_model(claim, _FixedModel(), _probabilities(timeout=0.8))
    line = snippet_result("s1", decided)
    assert (line["class"], line["method"], line["rule"]) == ("timeout", MODEL_OVER_RULE, None)
    assert line["overruled"] == {"class": "dependency_connection_failure", "confidence": round(claim.confidence, 4),
                                 "rule": claim.rule.id}
    kept = _with_model(claim, _FixedModel(), _probabilities(dependency_connection_failure=0.9))
    assert "overruled" not in snippet_result("s2", kept) and "overruled" not in snippet_result("s3", claim)


def test_a_symptom_class_never_wins_over_a_connection_failure_claim():
    # docs/CLASSES.md: a symptom class only when no cause is shown; the rule's claim is one
    claim = _rule_claim(REFUSED)
    for symptom in ("service_unavailable", "startup_failure"):
        decided = _with_model(claim, _FixedModel(), _probabilities(**{symptom: 0.95}))
        assert (decided.cls, decided.method, decided.rule) == ("dependency_connection_failure", "rule", claim.rule)
        assert decided.overruled is None


def test_the_connection_rule_keeps_its_claim_when_the_model_agrees_is_unsure_or_says_unknown():
    claim = _rule_claim(REFUSED)
    for probabilities in (_probabilities(dependency_connection_failure=0.9),   # agrees
                          _probabilities(timeout=0.45, dependency_connection_failure=0.4),  # another class, unsure
                          _probabilities(dependency_connection_failure=0.02)):  # sure it is a plain bug
        decided = _with_model(claim, _FixedModel(), probabilities)
        assert (decided.cls, decided.method, decided.rule) == ("dependency_connection_failure", "rule", claim.rule), probabilities
        assert decided.overruled is None


def test_a_rule_of_any_other_class_keeps_its_claim_however_sure_the_model_is():
    claim = _rule_claim(SETTINGS)
    assert claim.cls == "config_error"
    decided = _with_model(claim, _FixedModel(), _probabilities(timeout=0.99))
    assert (decided.cls, decided.method, decided.rule) == ("config_error", "rule", claim.rule)


def test_the_override_needs_a_rule_a_known_class_and_the_probability():
    assert overrides_rule("dependency_connection_failure", "timeout", hybrid.OVERRIDE_PROBABILITY)
    assert not overrides_rule("dependency_connection_failure", "timeout", hybrid.OVERRIDE_PROBABILITY - 0.01)
    assert not overrides_rule("dependency_connection_failure", "unknown", 0.99)
    assert not overrides_rule("dependency_connection_failure", "dependency_connection_failure", 0.99)
    assert not overrides_rule(None, "timeout", 0.99)
    assert not overrides_rule("auth_rejection", "timeout", 0.99)


def test_the_threshold_is_tuned_on_the_decision_the_hybrid_takes(monkeypatch):
    """A text a connection rule claims, that is a timeout and that the model is sure is one: the hybrid
    calls it a timeout, so the timeout class has a right answer to lose, and a threshold low enough to let
    the model call an unclaimed connection failure a timeout (at 0.6) costs it. Tuned as if the rule kept
    its claim, timeouts would have nothing to lose and the lowest threshold would tie for best."""
    classes = ["dependency_connection_failure", "timeout", "unknown"]
    probabilities = np.array([[0.9, 0.05, 0.05], [0.9, 0.05, 0.05],  # claimed by the connection rule, rightly
                              [0.05, 0.9, 0.05],  # claimed by the connection rule, a timeout
                              [0.0, 0.6, 0.4],  # claimed by no rule, a connection failure
                              [0.45, 0.0, 0.55], [0.3, 0.0, 0.7]])  # claimed by no rule, left unknown at any threshold
    labels = ["dependency_connection_failure", "dependency_connection_failure", "timeout", "dependency_connection_failure",
              "timeout", "dependency_connection_failure"]
    claimed = ["dependency_connection_failure"] * 3 + [None] * 3
    assert model.best_threshold(classes, labels, probabilities, claimed) > 0.6
    monkeypatch.setattr(hybrid, "OVERRIDE_PROBABILITY", 1.01)  # the rule always decides
    assert model.best_threshold(classes, labels, probabilities, claimed) == 0.2


def test_the_shipped_model_decides_over_a_connection_rule_on_a_time_limit_and_not_on_a_refusal():
    """Two texts no training row holds. A connect that timed out (errno 110) is a timeout by docs/CLASSES.md,
    though a connection rule claims it; a plain refusal stays the connection rule's."""
    texts = {row["text"] for row in model.training_rows()}
    timed_out = ("Failed to sync - HTTPSConnectionPool(host='sync.example.org', port=443): Max retries exceeded with "
                 "url: /api/items (Caused by NewConnectionError('<urllib3.connection.HTTPSConnection object at "
                 "0x7f11aa2b3c40>: Failed to establish a new connection: [Errno 110] Connection timed out'))")
    refused = ("requests.exceptions.ConnectionError: HTTPConnectionPool(host='localhost', port=8091): Max retries "
               "exceeded with url: /v2/forecast (Caused by NewConnectionError('<urllib3.connection.HTTPConnection "
               "object at 0x7f3a1c2b9d90>: Failed to establish a new connection: [Errno 111] Connection refused'))")
    assert timed_out not in texts and refused not in texts
    assert _rule_claim(timed_out).cls == "dependency_connection_failure"
    decided = classify_text(timed_out)
    assert (decided.cls, decided.method) == ("timeout", MODEL_OVER_RULE), decided
    assert decided.overruled["class"] == "dependency_connection_failure"
    kept = classify_text(refused)
    assert (kept.cls, kept.method) == ("dependency_connection_failure", "rule"), kept
