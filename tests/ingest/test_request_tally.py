"""The healthy requests counted in SQL, held as columns per file (rca.ingest.stats.RequestTally)."""

import pickle

import numpy as np

from rca.analyze.mapping import merge_stats
from rca.ingest.stats import ReadStats, TallyColumns

LANES = [("api", "api-00001-abc"), ("web", None)]


def columns(seconds, lanes, counts) -> TallyColumns:
    return TallyColumns(LANES, *(np.array(values, dtype=np.int64) for values in (seconds, lanes, counts)))


def test_files_tallies_add_up_as_a_mapping_and_merge_exactly_across_workers():
    one, other = ReadStats(), ReadStats()
    one.requests.add(columns([10, 11, 10], [0, 0, 1], [3, 1, 2]))
    other.requests.add(columns([10, 12], [0, 1], [4, 5]))
    other.requests.add(columns([], [], []))  # a file with no counted request adds nothing
    other = pickle.loads(pickle.dumps(other))  # as a worker sends it
    merge_stats(one, other)
    assert one.requests == {(10, "api", "api-00001-abc"): 7, (11, "api", "api-00001-abc"): 1, (10, "web", None): 2,
                            (12, "web", None): 5}
    assert one.requests.total() == sum(one.requests.values()) == 15
    assert len(one.requests.parts) == 2 and len(one.requests) == 4
