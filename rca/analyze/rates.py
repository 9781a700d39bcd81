"""Two rates compared by a significance test, and whether there was enough data to tell.

A side's events (a group's, or failed requests) are counted against its exposure (requests, or
minutes for a service that serves none). Two counts with exposures n1 and n2 are compared by the
conditional binomial test: if the rate is the same on both sides, the after side's share of the
events, given their total, is binomial with p = n2 / (n1 + n2). It is exact for small counts, where
an error that happens a few times an hour lives, and asks nothing of the rate's size (a group may
log more than once per request).

"Too early" follows Spinnaker's canary judge: a test that finds nothing means something only when it
could have found the change that matters. That change is a doubling of the rate before, or one more
event per hundred requests when the rate before is near zero; the after side is large enough when
such a rise would have shown as significant at least 80% of the time.
"""

from __future__ import annotations

from dataclasses import dataclass

ALPHA = 0.05  # the significance level of every test (for many groups at once: after Bonferroni)
POWER = 0.8  # how often a rise that matters must show, for "nothing changed" to mean something
RATIO = 2.0  # the change that matters: the rate doubled ...
FLOOR = 0.01  # ... or one more event per 100 requests, whichever is more
MAX_EXPOSURE = 1 << 40  # where the search for the traffic needed gives up


def rise_p_value(before: int, n1: float, after: int, n2: float) -> float:
    """One-sided p-value that the after rate (after/n2) is above the before rate (before/n1)."""
    return _p_value(before, n1, after, n2, "greater")


def fall_p_value(before: int, n1: float, after: int, n2: float) -> float:
    """One-sided p-value that the after rate is below the before rate."""
    return _p_value(before, n1, after, n2, "less")


def _p_value(before: int, n1: float, after: int, n2: float, alternative: str) -> float:
    from scipy.stats import binomtest  # scipy costs a run that never compares ~0.3 s to import

    if before + after == 0 or n1 <= 0 or n2 <= 0:
        return 1.0
    return float(binomtest(after, before + after, n2 / (n1 + n2), alternative=alternative).pvalue)


def rate_that_matters(before: int, n1: float) -> float:
    """The smallest after rate the comparison must be able to detect: RATIO times the rate before, or
    FLOOR above it."""
    rate = before / n1 if n1 > 0 else 0.0
    return max(RATIO * rate, rate + FLOOR)


def power(before: int, n1: float, n2: float, target: float, alpha: float = ALPHA) -> float:
    """How likely an after side of exposure n2 whose true rate is `target` shows a rise significant at
    `alpha` against `before` events in n1 (its count taken as Poisson)."""
    from scipy.stats import poisson

    if n1 <= 0 or n2 <= 0:
        return 0.0
    needed = _critical_count(before, n2 / (n1 + n2), alpha)
    return 0.0 if needed is None else float(poisson.sf(needed - 1, target * n2))


def _critical_count(before: int, share: float, alpha: float) -> int | None:
    """The fewest after events that the test finds significant, `before` events being fixed."""
    from scipy.stats import binom

    def significant(k: int) -> bool:
        return bool(binom.sf(k - 1, k + before, share) <= alpha)

    high = 1
    while not significant(high):
        high *= 2
        if high > MAX_EXPOSURE:
            return None
    low = high // 2 + 1 if high > 1 else 1
    while low < high:  # the p-value falls as k grows: the first significant k
        middle = (low + high) // 2
        if significant(middle):
            high = middle
        else:
            low = middle + 1
    return high


def exposure_needed(before: int, n1: float, target: float, alpha: float = ALPHA, goal: float = POWER) -> int | None:
    """About how much after-side exposure a rise to `target` needs to show with probability `goal`
    (None: more than any log holds, as when there is no before side)."""
    if n1 <= 0:
        return None
    high = 1
    while power(before, n1, high, target, alpha) < goal:
        high *= 2
        if high > MAX_EXPOSURE:
            return None
    low = max(1, high // 2)
    while low < high:
        middle = (low + high) // 2
        if power(before, n1, middle, target, alpha) >= goal:
            high = middle
        else:
            low = middle + 1
    return high


@dataclass(frozen=True)
class Rise:
    """A one-sided test that the after rate rose, with the traffic it would have needed."""

    before: int
    n1: float
    after: int
    n2: float
    p_value: float
    target: float  # the after rate that matters
    power: float
    needed: int | None

    @property
    def significant(self) -> bool:
        return self.p_value < ALPHA

    @property
    def enough(self) -> bool:
        """Whether a rise to the rate that matters would most likely have shown."""
        return self.power >= POWER


def judge_rise(before: int, n1: float, after: int, n2: float) -> Rise:
    target = rate_that_matters(before, n1)
    return Rise(before, n1, after, n2, rise_p_value(before, n1, after, n2), target,
                power(before, n1, n2, target), exposure_needed(before, n1, target))
