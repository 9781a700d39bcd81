"""format_timestamp remembers the stamps it wrote last (an event writes one stamp three times): a
stamp written from the cache is the one written afresh, for any epoch, and -0.0, 0 and 0.0 alike."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from rca.ingest.times import MAX_EPOCH, MIN_EPOCH, format_timestamp

EPOCHS = st.one_of(st.floats(MIN_EPOCH + 86400, MAX_EPOCH - 86400, allow_nan=False), st.integers(0, 2**31),
                   st.sampled_from([0, 0.0, -0.0, 1, 1.0, True, 1757683200.000001, 1757683200.0000005]))


@settings(max_examples=300, deadline=None)
@given(st.lists(EPOCHS, min_size=1, max_size=8))
def test_a_remembered_stamp_is_the_fresh_one(epochs):
    fresh = [format_timestamp.__wrapped__(epoch) for epoch in epochs]
    assert [format_timestamp(epoch) for epoch in epochs] == fresh
    assert [format_timestamp(epoch) for epoch in reversed(epochs)] == fresh[::-1]


def test_none_and_a_known_stamp():
    assert format_timestamp(None) is None
    assert format_timestamp(1757683200.5) == "2025-09-12T13:20:00.500000Z"
