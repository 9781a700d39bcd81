"""Issue 24: stitching passes over a record that cannot open a block without asking the cache of texts
(`stitch._may_open`), and an event's kept properties are worked out once without a lock
(`error_event._kept`); both answer as the code they stand in front of or replace."""

from __future__ import annotations

import threading

from hypothesis import given, settings
from hypothesis import strategies as st

import rca
from rca.events import stitch
from rca.events.error_event import ErrorEvent, _kept

PIECES = ["Traceback (most recent call last):", '  File "/app/main.py", line 12, in handler', 'File "x", line 1',
          "The above exception was the direct cause of the following exception:", "ValueError: bad", "exception",
          "\tat com.example.Main.run(Main.java:10)", "    at handler (/app/index.js:3:9)", "at ", "goroutine 1 [running]:",
          "panic: boom", "java.lang.IllegalStateException: closed", "Error: connect ECONNREFUSED 10.0.0.1:5432",
          "GET /api/v1/users 500", "request failed", "", " ", "\n", "at", "File", "goroutine"]


def record(text: str, n: int = 0) -> rca.LogRecord:
    return rca.LogRecord(1_757_685_600.0 + n, "ERROR", text, "app.log", n + 1, service="api")


@settings(max_examples=2000, deadline=None)
@given(st.lists(st.sampled_from(PIECES) | st.text(alphabet='aet :"Fil\n\tgorun', max_size=10), max_size=8))
def test_a_record_passed_over_is_one_that_opens_no_block(pieces):
    text = "".join(pieces)
    assert stitch._opening(record(text)) == stitch._opening_text(text)


def test_a_record_passed_over_is_not_kept_in_the_cache_of_texts():
    stitch._opening_text.cache_clear()
    for n in range(50):
        stitch._opening(record(f"GET /api/v1/users/{n} 500", n))
    assert stitch._opening_text.cache_info().currsize == 0


class Counted:
    calls = 0

    @_kept
    def value(self) -> int:
        """the doc"""
        Counted.calls += 1
        return Counted.calls


def test_a_kept_property_is_worked_out_once_and_stored_on_the_instance():
    Counted.calls = 0
    first, second = Counted(), Counted()
    assert (first.value, first.value, second.value, first.value) == (1, 1, 2, 1)
    assert vars(first) == {"value": 1} and Counted.value.__doc__ == "the doc"


def test_an_events_kept_properties_read_as_worked_out_afresh_in_threads():
    event = ErrorEvent([record("request failed", 0), record("ValueError: bad", 1)])
    seen: list[tuple] = []
    threads = [threading.Thread(target=lambda: seen.append((event.text, event.time, event.order, event.last_time)))
               for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert set(seen) == {("request failed\nValueError: bad", 1_757_685_600.0, (False, 1_757_685_600.0, "app.log", 1),
                          1_757_685_601.0)}


def worked_out_in_full(event: ErrorEvent) -> tuple:
    """text, time, last_time and request as they were worked out before one-record events were read directly."""
    records = event.records
    return ("\n".join(r.text for r in records), min((r.time for r in records if r.time is not None), default=None),
            max((r.time for r in records if r.time is not None), default=None),
            next((r for r in records if r.http_status is not None), None))


@settings(max_examples=500, deadline=None)
@given(st.lists(st.tuples(st.none() | st.floats(allow_nan=False, min_value=0, max_value=2e9), st.none() | st.sampled_from([200, 500]),
                          st.sampled_from(["", "a", "b\nc"])), min_size=1, max_size=3))
def test_an_events_kept_properties_are_the_ones_worked_out_in_full(parts):
    records = [rca.LogRecord(moment, "ERROR", text, "app.log", n + 1, http_status=status)
               for n, (moment, status, text) in enumerate(parts)]
    event = ErrorEvent(records)
    assert (event.text, event.time, event.last_time, event.request) == worked_out_in_full(ErrorEvent(list(records)))
