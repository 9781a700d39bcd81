"""The numpy tallies behind group summaries count what a dict and a set would, split and merged any way."""

import heapq
import pickle
from collections import Counter

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from rca.analyze import group_counts as tallies
from rca.analyze.group_counts import HashSketch, SecondCounts, shared, union

LANES = [("web", "web-001", "a"), ("web", "web-002", "b"), ("api", None, None), (None, None, None)]
additions = st.lists(st.tuples(st.one_of(st.none(), st.integers(0, 2**33)), st.sampled_from(LANES)), max_size=300)


def counted(pairs) -> SecondCounts:
    counts = SecondCounts()
    for second, lane in pairs:
        counts.add(second, lane)
    return counts


def expected(pairs) -> Counter:
    return Counter((second, *lane) for second, lane in pairs)


@settings(max_examples=60, deadline=None)
@given(additions, st.integers(1, 5))
def test_second_counts_hold_what_a_counter_holds_however_split_and_merged(pairs, parts):
    tallies.MIN_FLUSH = 4  # sort often, so that buffered and sorted counts meet
    try:
        whole = counted(pairs)
        pieces = [counted(pairs[i::parts]) for i in range(parts)]
        merged = pieces[0]
        for piece in reversed(pieces[1:]):  # in another order than made
            merged = piece.merged(merged)
    finally:
        tallies.MIN_FLUSH = 512
    assert dict(whole.items()) == dict(merged.items()) == dict(expected(pairs))
    assert len(merged) == len(expected(pairs))
    assert merged.by_lane() == Counter({lane: n for lane, n in Counter(lane for _, lane in pairs).items()})
    seconds, events = merged.per_second()
    timed = Counter(second for second, _ in pairs if second is not None)
    assert dict(zip(seconds.tolist(), events.tolist())) == dict(timed)
    assert seconds.tolist() == sorted(timed)
    assert dict(pickle.loads(pickle.dumps(merged)).items()) == dict(merged.items())


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 2**64 - 1), max_size=400), st.integers(1, 50), st.integers(1, 4))
def test_a_sketch_keeps_the_smallest_hashes_however_split_and_merged(hashes, size, parts):
    pieces = []
    for i in range(parts):
        sketch = HashSketch(size)
        for h in hashes[i::parts]:
            sketch.update([h])
        pieces.append(sketch)
    merged = pieces[-1]
    for piece in pieces[:-1]:
        merged = merged.merged(piece)
    smallest = heapq.nsmallest(size, set(hashes))
    assert merged.values().tolist() == smallest
    assert pickle.loads(pickle.dumps(merged)).values().tolist() == smallest
    again = pickle.loads(pickle.dumps(merged))
    again.update(hashes)  # a full sketch refuses what it could never keep, and still keeps the smallest
    assert again.values().tolist() == smallest


def test_shared_counts_common_hashes_of_sorted_arrays():
    a, b = np.array([1, 5, 9], np.uint64), np.array([5, 9, 12], np.uint64)
    assert shared(a, b) == 2 and shared(a, np.array([10, 11], np.uint64)) == 0 and shared(a, np.empty(0, np.uint64)) == 0
    assert union([a, b]).tolist() == [1, 5, 9, 12] and union([]).size == 0


def test_a_flood_of_one_second_costs_a_key_not_an_entry():
    counts = SecondCounts()
    for _ in range(100_000):
        counts.add(1_700_000_000, LANES[0])
    assert len(counts) == 1 and counts.keys.nbytes + counts.counts.nbytes == 16
    assert list(counts.items()) == [((1_700_000_000, *LANES[0]), 100_000)]
    counts.add(10**15, LANES[0])  # a time no timestamp can be (a record made by hand): kept, as without a time
    assert dict(counts.items())[(None, *LANES[0])] == 1


def test_a_run_that_finds_no_error_imports_neither_numpy_nor_the_model(tmp_path):
    """The summaries' numpy is imported with the first group: `rca analyze` of a quiet export does
    without it, as it does without pandas and scikit-learn (issue 15: load only what the run needs)."""
    import subprocess
    import sys

    healthy = tmp_path / "healthy.jsonl"
    healthy.write_text('{"timestamp":"2025-09-12T14:00:00Z","severity":"INFO","textPayload":"GET /health 200",'
                       '"resource":{"type":"cloud_run_revision","labels":{"service_name":"web"}}}\n')
    script = ("import sys\nfrom rca.cli import main\ntry:\n    main()\nexcept SystemExit:\n    pass\n"
              "print(sorted({m.split('.')[0] for m in sys.modules} & {'numpy', 'pandas', 'sklearn'}), file=sys.stderr)")
    run = subprocess.run([sys.executable, "-c", script, "analyze", str(healthy), "--format", "json"],
                         capture_output=True, text=True, check=True)
    assert '"groups": []' in run.stdout
    assert run.stderr.strip().splitlines()[-1] == "[]"


@settings(max_examples=40, deadline=None)
@given(additions, st.lists(st.tuples(st.integers(0, 2**33), st.integers(0, len(LANES) - 1), st.integers(1, 9)),
                           max_size=200))
def test_columns_added_count_what_their_rows_one_by_one_would(pairs, rows):
    """The engine's tallies come as columns (second, lane number, count): added in one step to a tally
    that already counted records, they give what adding each request alone gives, and only the lanes
    with a row are registered."""
    counts = counted(pairs)
    seconds, numbers, how_many = (np.array([row[i] for row in rows], dtype=np.int64) for i in range(3))
    counts.add_columns(LANES, seconds, numbers, how_many)
    alone = counted(pairs + [(second, LANES[number]) for second, number, many in rows for _ in range(many)])
    assert dict(counts.items()) == dict(alone.items())
    assert set(counts.lanes) == {lane for _, lane in pairs} | {LANES[number] for _, number, _ in rows}
