"""Whether an incident's symptoms are back to their rate before it: the test `rca watch` resolves by.

Two Poisson tests on the symptoms' count in a recent quiet span of length Q:

- the count is not significantly above the rate before the onset (P(X >= k) >= ALPHA at that rate);
- and it is significantly below the rate during the incident (P(X <= k) < ALPHA at that rate), so
  that a lull too short to tell (a sparse symptom that happens to pause) resolves nothing.

Q is at least MIN_QUIET, and long enough that the rate during the incident predicts EXPECTED_EVENTS
events in it (seeing none of them by luck is then below ALPHA). The rate before counts one event
more than was seen, over at least MIN_BEFORE: a service quiet before the incident is not held open
by one stray error after the fix, and a short before span does not make one look like a rise.
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

ALPHA = 0.05
EXPECTED_EVENTS = math.ceil(-math.log(ALPHA))  # 3: P(no event | 3 expected) = 0.0498 < ALPHA
MIN_QUIET = 5 * MINUTE
MIN_BEFORE = 10 * MINUTE


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
    quiet = max(MIN_QUIET, EXPECTED_EVENTS / during) if during > 0 else math.inf
    figures = {"before_per_minute": before * MINUTE, "during_per_minute": during * MINUTE}
    if quiet == math.inf or now - quiet < onset:
        return Recovery(False, 0, quiet, reason="too early to tell: the quiet span would reach back before the onset",
                        **figures)
    recent = sum(count_within(times, now - quiet, now + 1) for times in series)
    above = poisson_at_least(recent, before * quiet)
    below = _poisson_at_most(recent, during * quiet)
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


def _poisson_at_most(count: int, mean: float) -> float:
    from scipy.stats import poisson

    return float(poisson.cdf(count, mean))
