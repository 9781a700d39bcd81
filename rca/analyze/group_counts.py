"""Compact, mergeable tallies for group summaries: events counted per (second, lane), and a bottom-k
sketch of trace-id hashes, both held in numpy arrays.

A flood's summaries hold a count for every group, second, service, revision and instance that saw an
event, and the hashes of thousands of trace ids per group. As Python dicts and sets these cost ~150
and ~70 bytes an item, so that the peak memory grew with the input (516 MB for 5M entries against
263 MB for 1M; issue 15). Here an item costs 12 and 8 bytes. Both merge exactly and in any order:
what they hold does not depend on how the input was split.
"""

from __future__ import annotations

from array import array
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

LANE_BITS = 24  # a key is second << LANE_BITS | lane: room for 16M lanes per group, seconds to 2**39
LANE_MASK = (1 << LANE_BITS) - 1
MAX_SECOND = 1 << 38  # beyond the year 9999 (what a parsed timestamp can be): counted as without a time
MIN_FLUSH = 512  # counts added between two sorts, at least (and at most as many as are kept)


def _numpy():
    """numpy, imported when the first summary is made: a run that finds no error never pays for it."""
    import numpy

    return numpy


def _summed(keys: np.ndarray, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Keys made unique, their counts added up."""
    np = _numpy()
    unique, inverse = np.unique(keys, return_inverse=True)
    return unique, np.bincount(inverse, weights=counts, minlength=len(unique)).astype(np.int64)


class SecondCounts:
    """Events per (UTC second or None, lane), a lane being a tuple of names (service, revision,
    instance). Keys are numbered lanes packed with the second into one int64, sorted, beside their
    counts; additions wait in a buffer and are sorted in when it holds as many as are kept, so that
    each addition costs a constant amortised share of a sort."""

    __slots__ = ("lanes", "_lane_ids", "keys", "counts", "_pending", "_untimed")

    def __init__(self) -> None:
        self.lanes: list[tuple] = []
        self._lane_ids: dict[tuple, int] = {}
        # Empty until the first sort, and not numpy's until then: a small export's few requests never
        # import numpy (~0.09 CPU-s, a fifth of the start-up) unless something reads the tally.
        self.keys: Any = array("q")
        self.counts: Any = array("q")
        self._pending = array("q")
        self._untimed: Counter = Counter()  # lane number -> events without a time

    def add(self, second: int | None, lane: tuple) -> None:
        number = self._lane_ids.get(lane)
        if number is None:
            number = self._lane_ids[lane] = len(self.lanes)
            self.lanes.append(lane)
        if second is None or not -MAX_SECOND < second < MAX_SECOND:  # none, or no time a timestamp can be
            self._untimed[number] += 1
            return
        self._pending.append(second << LANE_BITS | number)
        if len(self._pending) >= max(MIN_FLUSH, len(self.keys)):
            self._flush()

    def _number(self, lane: tuple) -> int:
        number = self._lane_ids.get(lane)
        if number is None:
            number = self._lane_ids[lane] = len(self.lanes)
            self.lanes.append(lane)
        return number

    def add_counts(self, seconds: list[int], lane: tuple, counts: list[int]) -> None:
        """Counts made elsewhere added in one sort: `counts[i]` events in `seconds[i]`, each second a
        time a timestamp can be."""
        np = _numpy()
        seconds = np.asarray(seconds, dtype=np.int64)
        self.add_columns([lane], seconds, np.zeros(len(seconds), np.int64), counts)

    def add_columns(self, lanes: list[tuple], seconds, lane_numbers, counts) -> None:
        """Counts made elsewhere (the engine's per-second tallies, as columns) added in one sort:
        `counts[i]` events in `seconds[i]` of `lanes[lane_numbers[i]]`, each second a time a timestamp
        can be. Only the lanes with a row are registered, in the order of their numbers."""
        np = _numpy()
        lane_numbers = np.asarray(lane_numbers, dtype=np.int64)
        ours = np.zeros(len(lanes), np.int64)  # their numbers -> ours
        for number in np.unique(lane_numbers).tolist():
            ours[number] = self._number(lanes[number])
        self._flush()
        added = np.asarray(seconds, dtype=np.int64) << LANE_BITS | ours[lane_numbers]
        self.keys, self.counts = _summed(np.concatenate([self.keys, added]),
                                         np.concatenate([self.counts, np.asarray(counts, dtype=np.int64)]))

    def _flush(self) -> None:
        if isinstance(self.keys, array) and not self._pending:  # nothing added yet: numpy's empty arrays
            np = _numpy()
            self.keys, self.counts = np.empty(0, np.int64), np.empty(0, np.int64)
        if self._pending:
            np = _numpy()
            added = np.frombuffer(self._pending, dtype=np.int64)
            self.keys, self.counts = _summed(np.concatenate([self.keys, added]),
                                             np.concatenate([self.counts, np.ones(len(added), np.int64)]))
            self._pending = array("q")

    def merged(self, other: SecondCounts) -> SecondCounts:
        """Both tallies as one; neither is changed."""
        self._flush()
        other._flush()
        np = _numpy()
        out = SecondCounts()
        for lane in (*self.lanes, *other.lanes):
            if lane not in out._lane_ids:
                out._lane_ids[lane] = len(out.lanes)
                out.lanes.append(lane)
        theirs = np.array([out._lane_ids[lane] for lane in other.lanes], dtype=np.int64)  # their numbers -> ours
        moved = (other.keys >> LANE_BITS) << LANE_BITS | theirs[other.keys & LANE_MASK]
        out.keys, out.counts = _summed(np.concatenate([self.keys, moved]), np.concatenate([self.counts, other.counts]))
        out._untimed = self._untimed + Counter({out._lane_ids[other.lanes[n]]: c for n, c in other._untimed.items()})
        return out

    def items(self) -> Iterator[tuple[tuple, int]]:
        """((second or None, *lane), count) for every key, as a dict of them would give."""
        self._flush()
        for key, count in zip(self.keys.tolist(), self.counts.tolist()):
            yield (key >> LANE_BITS, *self.lanes[key & LANE_MASK]), count
        for number, count in self._untimed.items():
            yield (None, *self.lanes[number]), count

    def values(self) -> Iterator[int]:
        return (count for _, count in self.items())

    def __len__(self) -> int:
        self._flush()
        return len(self.keys) + len(self._untimed)

    def per_second(self) -> tuple[np.ndarray, np.ndarray]:
        """(seconds, events in each), sorted, every lane added up; events without a time left out."""
        self._flush()
        return _summed(self.keys >> LANE_BITS, self.counts)

    def columns(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(seconds, lane numbers, counts) of the timed events, one row per key: for counting a slice of
        time and lanes with numpy (rca.analyze.traffic) rather than key by key."""
        self._flush()
        return self.keys >> LANE_BITS, self.keys & LANE_MASK, self.counts

    def by_lane(self) -> Counter:
        """Events per lane, with or without a time."""
        self._flush()
        totals = _numpy().bincount(self.keys & LANE_MASK, weights=self.counts, minlength=len(self.lanes))
        counts = Counter({self.lanes[n]: int(c) for n, c in enumerate(totals.tolist()) if c})
        for number, count in self._untimed.items():
            counts[self.lanes[number]] += count
        return counts

    def __getstate__(self):  # sent between processes sorted, with no buffer
        self._flush()
        return self.lanes, self.keys, self.counts, self._untimed

    def __setstate__(self, state) -> None:
        self.lanes, self.keys, self.counts, self._untimed = state
        self._lane_ids = {lane: n for n, lane in enumerate(self.lanes)}
        self._pending = array("q")


class HashSketch:
    """A bottom-k sketch: the `size` smallest of the 64-bit hashes added, as a sorted uint64 array.
    Two sketches of sets that share items hold some of the same hashes, since both keep the smallest
    (so that a cause and its symptoms can be seen to share traces without keeping the ids)."""

    __slots__ = ("size", "kept", "_pending", "_ceiling")

    def __init__(self, size: int) -> None:
        np = _numpy()
        self.size = size
        self.kept = np.empty(0, np.uint64)
        self._pending = array("Q")
        self._ceiling = 1 << 64  # once full, a hash at or above the largest kept can never be kept

    def update(self, hashes: Iterable[int]) -> None:
        ceiling = self._ceiling
        self._pending.extend(h for h in hashes if h < ceiling)
        if len(self._pending) >= self.size:
            self._flush()

    def add(self, hashed: int) -> None:
        """`update` with one hash: what an event of one record adds, without a list."""
        if hashed < self._ceiling:
            self._pending.append(hashed)
            if len(self._pending) >= self.size:
                self._flush()

    def _flush(self) -> None:
        if self._pending:
            np = _numpy()
            self._keep(np.concatenate([self.kept, np.frombuffer(self._pending, dtype=np.uint64)]))
            self._pending = array("Q")

    def _keep(self, hashes: np.ndarray) -> None:
        self.kept = _numpy().unique(hashes)[: self.size]
        if len(self.kept) == self.size:
            self._ceiling = int(self.kept[-1])

    def merged(self, other: HashSketch) -> HashSketch:
        out = HashSketch(min(self.size, other.size))
        out._keep(_numpy().concatenate([self.values(), other.values()]))
        return out

    def values(self) -> np.ndarray:
        """The kept hashes, sorted."""
        self._flush()
        return self.kept

    def __len__(self) -> int:
        return len(self.values())

    def __getstate__(self):
        return self.size, self.values()

    def __setstate__(self, state) -> None:
        self.size, self.kept = state
        self._pending = array("Q")
        self._ceiling = int(self.kept[-1]) if len(self.kept) == self.size else 1 << 64


def union(sets: Iterable[np.ndarray]) -> np.ndarray:
    """Sorted unique hashes of several sketches' values."""
    np = _numpy()
    arrays = list(sets)
    return np.unique(np.concatenate(arrays)) if arrays else np.empty(0, np.uint64)


def shared(a: np.ndarray, b: np.ndarray) -> int:
    """How many hashes two sorted unique arrays have in common."""
    if not len(a) or not len(b) or a[-1] < b[0] or b[-1] < a[0]:
        return 0
    # A binary search of the smaller in the larger, not intersect1d: that sorts both arrays joined at
    # every call, and the decision asks this of each cause against an incident's thousands of hashes.
    np = _numpy()
    small, large = (a, b) if len(a) <= len(b) else (b, a)
    at = np.minimum(np.searchsorted(large, small), len(large) - 1)
    return int(np.count_nonzero(large[at] == small))


# ---- event times (sorted float arrays: Group.times), as the onset tests read them ----------------

def event_times(counts: SecondCounts, first: float) -> np.ndarray:
    """One time per event, to the second, the first exact, sorted and read-only."""
    np = _numpy()
    seconds, events = counts.per_second()
    times = np.repeat(seconds.astype(float), events)
    if len(times):
        times[0] = first
        times.sort()  # the exact first time may lie after others of its second
    times.flags.writeable = False
    return times


def as_sorted(times) -> np.ndarray:
    """A series of times (any sequence of numbers) as a sorted float array."""
    np = _numpy()
    return np.sort(np.asarray(times, dtype=float))


def merged_times(series: Sequence[np.ndarray]) -> np.ndarray:
    """Several series of times as one sorted float array."""
    np = _numpy()
    return np.sort(np.concatenate(series)) if len(series) else np.empty(0)


def count_within(times: np.ndarray, start: float, end: float) -> int:
    """How many of the sorted times fall in [start, end)."""
    np = _numpy()
    return int(np.searchsorted(times, end, "left") - np.searchsorted(times, start, "left"))


def count_from(times: np.ndarray, moment: float) -> int:
    """How many of the sorted times are at or after `moment`."""
    return len(times) - int(_numpy().searchsorted(times, moment, "left"))


def within(times: np.ndarray, low: float, high: float) -> np.ndarray:
    """The sorted times in [low, high]."""
    np = _numpy()
    return times[np.searchsorted(times, low, "left"):np.searchsorted(times, high, "right")]
