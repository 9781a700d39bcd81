"""The decision's faster steps give what the one-at-a-time code they replace gave: the trace
sketches' overlap (a binary search instead of intersect1d), the onset test at every minute
boundary (the boundaries weighed all at once, the survivors one at a time), and the symptoms linked
to a cause (worked out once per kind of cause)."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest

from rca.analyze.exposure import Exposure
from rca.analyze.group_counts import shared
from rca.analyze.incidents import (
    MIN_EFFECT,
    MIN_ONSET_EVENTS,
    MINUTE,
    ONSET_LOG_P,
    Onset,
    _jumped,
    _Symptoms,
    cascade_between,
    tail_log_p,
)
from rca.analyze.mapping import Scope, map_inputs
from rca.classify.rules import RuleSet
from rca.classify.samples import classify_samples


def _shared_before(a: np.ndarray, b: np.ndarray) -> int:
    if not len(a) or not len(b):
        return 0
    return int(np.intersect1d(a, b, assume_unique=True).size)


def _jumped_before(times, start, end, exposure):
    """The onset test as it was: each minute boundary weighed on its own."""
    best = None
    whole = exposure.amount(start, end)
    splits = [start + minute * MINUTE for minute in range(1, int((end - start) // MINUTE))]
    for split, index in zip(splits, np.searchsorted(times, splits, "left").tolist()):
        before, after = index, len(times) - index
        exposed_before, exposed_after = exposure.amount(start, split), exposure.amount(split, end)
        if after < MIN_ONSET_EVENTS or exposed_after <= 0 or \
                after / exposed_after < MIN_EFFECT * max(before / max(exposed_before, 1e-9), 1 / whole):
            continue
        log_p = tail_log_p(len(times), after, exposed_after / whole)
        if log_p <= ONSET_LOG_P and (best is None or log_p < best.log_p):
            best = Onset(float(times[index]), "jumped", before / (split - start) * MINUTE, after / (end - split) * MINUTE, log_p)
    return best


def _sketch(rng: random.Random, pool: list[int], size: int) -> np.ndarray:
    return np.unique(np.array(rng.sample(pool, size), dtype=np.uint64))


def test_shared_counts_what_intersect1d_counts():
    rng = random.Random(7)
    pool = [rng.getrandbits(64) for _ in range(3000)]
    for _ in range(300):
        a, b = _sketch(rng, pool, rng.randint(0, 400)), _sketch(rng, pool, rng.randint(0, 2000))
        assert shared(a, b) == shared(b, a) == _shared_before(a, b)
    assert shared(np.array([5, 9], np.uint64), np.array([1, 5, 8, 9, 12], np.uint64)) == 2
    assert shared(np.array([13], np.uint64), np.array([1, 5, 8, 9, 12], np.uint64)) == 0  # past the end


def _series(rng: random.Random, start: float, end: float) -> np.ndarray:
    """Events at a background rate, then (often) a burst from a random minute on."""
    times = [rng.uniform(start, end) for _ in range(rng.randint(0, 40))]
    if rng.random() < 0.7:
        onset = rng.uniform(start, end)
        times += [rng.uniform(onset, end) for _ in range(rng.randint(1, 400))]
    return np.sort(np.array(times, dtype=float))


def _request_exposure(rng: random.Random, start: float, end: float) -> Exposure:
    span = range(int(start) - 1, int(end) + 1)
    seconds = np.array(sorted(rng.sample(span, min(300, len(span)))), dtype=np.int64)
    counts = np.cumsum([rng.randint(1, 50) for _ in seconds]).astype(float)
    return Exposure(start, end, seconds, counts)


def test_onset_test_at_every_minute_matches_one_split_at_a_time():
    rng = random.Random(11)
    found = 0
    for round_ in range(120):
        start = 1_700_000_000.0 + rng.uniform(0, 100)
        end = start + rng.uniform(30, 3 * 3600)
        exposure = Exposure(start, end) if round_ % 2 else _request_exposure(rng, start, end)
        for _ in range(3):  # the exposure's kept boundaries serve every series weighed against it
            times = _series(rng, start, end)
            expected = _jumped_before(times, start, end, exposure)
            assert _jumped(times, start, end, exposure) == expected
            found += expected is not None
    assert found > 50  # the series do rise: the comparison is not between two Nones


def test_minute_boundaries_are_kept_per_window():
    exposure = Exposure(0.0, 600.0)
    splits, before, after = exposure.at_minutes(0.0, 600.0)
    assert splits.tolist() == [60.0 * m for m in range(1, 10)]
    assert before.tolist() == splits.tolist() and after.tolist() == [600.0 - s for s in splits.tolist()]
    assert exposure.at_minutes(0.0, 600.0)[0] is splits  # worked out once
    assert exposure.at_minutes(0.0, 300.0)[0].tolist() == [60.0, 120.0, 180.0, 240.0]  # another window, its own


INCIDENTS = Path(__file__).resolve().parents[2] / "fixtures" / "incidents"


@pytest.mark.parametrize("name", ["canary-crash", "db-failure", "missing-env-var", "missing-import"])
def test_symptoms_linked_per_kind_of_cause_are_those_each_symptom_tests_true(name):
    """Linked symptoms are worked out once per kind of cause: each cause still gets exactly the
    symptoms a cascade links it to, asked one by one, and a second cause of its kind the same."""
    rules = RuleSet.load()
    groups = map_inputs([str(INCIDENTS / name / "logs.jsonl")], Scope()).groups
    classify_samples(groups, rules)
    symptoms = [g for g in groups if g.role == "symptom"]
    causes = [g for g in groups if g.role == "cause"]
    assert symptoms and causes
    indexed = _Symptoms(symptoms, rules.cascades)
    for cause in causes + causes:  # the second time from what was kept
        linked = indexed.linked_to(cause, rules.cascades)
        expected = [s for s in symptoms if cascade_between(cause, s, rules.cascades) is not None]
        assert list(linked) == expected
        assert linked.classes == {s.cls for s in expected}
