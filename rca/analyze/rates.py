"""Rates compared by significance tests, and whether there was enough data to tell: two sides of a
change (`rca diff`, `rca verify`), and an incident's symptoms against their rates before and during
it (`rca watch`).

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

Whether an incident's symptoms are back to their rate before it (`recovery`, what `rca watch`
resolves by) is two Poisson tests on the symptoms' count in a recent quiet span of length Q:

- the count is not significantly above the rate before the onset (P(X >= k) >= ALPHA at that rate);
- and it is significantly below the rate during the incident (P(X <= k) < ALPHA at that rate), so
  that a lull too short to tell (a sparse symptom that happens to pause) resolves nothing.

Q is at least MIN_QUIET, and long enough that the rate during the incident predicts EXPECTED_EVENTS
events in it (rounded up). The rate before counts one event more than was seen, over at least
MIN_BEFORE: a service quiet before the incident is not held open by one stray error after the fix,
and a short before span does not make one look like a rise.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rca.analyze.group_counts import count_within
from rca.analyze.groups import MINUTE

if TYPE_CHECKING:
    import numpy as np

ALPHA = 0.05  # the significance level of every test (for many groups at once: after Bonferroni)
# The absence of an event means something once this many are expected: seeing none of them by luck is
# then below ALPHA (e^-3 ≈ 0.05).
EXPECTED_EVENTS = -math.log(ALPHA)
MIN_QUIET = 5 * MINUTE
MIN_BEFORE = 10 * MINUTE
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
    if n1 <= 0 or n2 <= 0:
        return 0.0
    needed = _critical_count(before, n2 / (n1 + n2), alpha)
    return 0.0 if needed is None else poisson_at_least(needed, target * n2)


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


# ---- recovery: an incident's symptoms against their rates before and during it ----------------------


@dataclass(frozen=True)
class Recovery:
    resolved: bool
    recent: int  # symptom events in the quiet span
    quiet: float  # the quiet span's length, seconds
    before_per_minute: float
    during_per_minute: float
    reason: str

    def as_dict(self) -> dict:
        return {"resolved": self.resolved, "recent_events": self.recent, "quiet_minutes": round(self.quiet / MINUTE, 2),
                "before_per_minute": round(self.before_per_minute, 3),
                "during_per_minute": round(self.during_per_minute, 3), "reason": self.reason}


def rate_before(series: Sequence[np.ndarray], start: float, onset: float) -> float:
    """Symptom events per second before the onset, counting one more than seen, over at least MIN_BEFORE."""
    seen = sum(count_within(times, start, onset) for times in series)
    return (seen + 1) / max(onset - start, MIN_BEFORE)


def rate_during(series: Sequence[np.ndarray], onset: float, now: float) -> float:
    """Symptom events per second from the onset to the last of them (not to now: a rate that does not
    fade as the symptoms stop)."""
    last = max((float(times[-1]) for times in series if len(times) and times[-1] >= onset), default=None)
    if last is None:
        return 0.0
    count = sum(count_within(times, onset, last + 1) for times in series)
    return count / max(last + 1 - onset, MINUTE)


def recovery(series: Sequence[np.ndarray], onset: float, now: float, before: float, during: float) -> Recovery:
    """Whether the symptoms (`series`: each group's sorted event times) are back to `before` (events per
    second, from `rate_before`) at `now`, given their rate `during` the incident."""
    quiet = max(MIN_QUIET, math.ceil(EXPECTED_EVENTS) / during) if during > 0 else math.inf
    figures = {"before_per_minute": before * MINUTE, "during_per_minute": during * MINUTE}
    if quiet == math.inf or now - quiet < onset:
        return Recovery(False, 0, quiet, reason="too early to tell: the quiet span would reach back before the onset",
                        **figures)
    recent = sum(count_within(times, now - quiet, now + 1) for times in series)
    above = poisson_at_least(recent, before * quiet)
    below = poisson_at_most(recent, during * quiet)
    span = f"{recent} symptom event(s) in the last {quiet / MINUTE:.0f} min"
    if above < ALPHA:
        return Recovery(False, recent, quiet, reason=f"{span}: still above the rate before "
                        f"({before * quiet:.1f} expected, p={above:.3g})", **figures)
    if below >= ALPHA:
        return Recovery(False, recent, quiet, reason=f"{span}: not yet below the rate during the incident "
                        f"({during * quiet:.1f} expected, p={below:.3g})", **figures)
    return Recovery(True, recent, quiet, reason=f"{span}: back to the rate before ({before * quiet:.1f} expected); "
                    f"the incident's rate predicted {during * quiet:.0f} (p={below:.3g})", **figures)


def prepare() -> None:
    """Import what the tests need now (scipy, ~60 MB), not at a long-running watch's first incident."""
    from scipy.stats import poisson  # noqa: F401


def poisson_at_least(count: int, mean: float) -> float:
    from scipy.stats import poisson  # scipy (scikit-learn's own dependency) costs ~0.3 s to import

    return 1.0 if count <= 0 else float(poisson.sf(count - 1, mean))


def poisson_at_most(count: int, mean: float) -> float:
    from scipy.stats import poisson

    return float(poisson.cdf(count, mean))
