"""Issue 24: the onset test asks every group's exposure at the same minute boundaries, so an exposure
works out each moment once and answers exactly what counting the requests would."""

from __future__ import annotations

import random

import numpy
import pytest

from rca.analyze import exposure as exposure_module
from rca.analyze.exposure import Exposure
from rca.analyze.incidents import onset_of_times

START = 1_757_685_600.0
END = START + 3600


def gappy_exposure() -> tuple[Exposure, dict[int, int]]:
    """Requests in some seconds only (gaps, bursts), as a real service logs them."""
    chosen = random.Random(7)
    per_second = {int(START) + s: chosen.randint(1, 9) for s in range(3600) if chosen.random() < 0.4}
    seconds = sorted(per_second)
    cumulative = numpy.cumsum([per_second[s] for s in seconds]).astype(float)
    return Exposure(START, END, numpy.array(seconds, dtype=numpy.int64), cumulative), per_second


def counted_before(per_second: dict[int, int], moment: float) -> float:
    """Requests before `moment` by counting them: whole seconds before it, its own second in proportion."""
    second = int(moment // 1)
    whole = sum(count for s, count in per_second.items() if s < second)
    return whole + per_second.get(second, 0) * (moment - second)


def test_exposure_matches_counting_at_any_moment_and_when_asked_again():
    exposure, per_second = gappy_exposure()
    chosen = random.Random(11)
    moments = [START - 5, START, END, END + 3] + [START + chosen.uniform(0, 3600) for _ in range(300)]
    moments += [float(int(m)) for m in moments[:100]]  # whole seconds: the boundary of a second's share
    for _ in range(2):  # the second round is answered from what the first worked out
        for a in moments:
            b = a + 60.0
            expected = counted_before(per_second, b) - counted_before(per_second, a) + exposure.floor * 60.0
            assert exposure.amount(a, b) == pytest.approx(expected, rel=1e-12, abs=1e-9)


def test_each_moment_is_searched_once_over_many_groups(monkeypatch):
    exposure, _ = gappy_exposure()
    searched: list[float] = []
    count_before = exposure._count_before
    monkeypatch.setattr(exposure, "_count_before", lambda moment: searched.append(moment) or count_before(moment))
    for group in range(40):  # forty groups' onset tests over the same hour
        times = sorted(START + 1800 + group + 0.5 * i for i in range(200))
        onset_of_times(times, START, END, exposure)
    assert searched and len(searched) == len(set(searched))
    assert len(searched) <= 60 + 2 + 40  # the minute boundaries, the window's ends, each group's first time


def test_kept_answers_are_bounded(monkeypatch):
    monkeypatch.setattr(exposure_module, "MAX_MOMENTS_KEPT", 16)
    exposure, per_second = gappy_exposure()
    for step in range(100):
        moment = START + 17.25 * step
        assert exposure._requests_before(moment) == pytest.approx(counted_before(per_second, moment), abs=1e-9)
        assert len(exposure._before) <= 16
