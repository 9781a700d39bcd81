"""The stitcher: one event per traceback, no interleaving, and no record lost or duplicated."""

from hypothesis import given, settings
from hypothesis import strategies as st

import rca
from rca.events.error_event import events_from_records
from rca.events.stitch import stitch
from rca.ingest.record import LogRecord

TRACEBACK = [
    "Traceback (most recent call last):",
    '  File "/app/main.py", line 3, in <module>',
    "    import app",
    '  File "/app/app.py", line 9, in <module>',
    "    client = redis.Redis()",
    "NameError: name 'redis' is not defined",
]


def cloud_run_lines(lines, instance, start, step=0.00001, source="s"):
    """One record per line, severity ERROR on the first only, as Cloud Run writes stderr."""
    return [LogRecord(time=start + i * step, severity="ERROR" if i == 0 else None, text=line, source=source,
                      position=0, service="api", revision="api-1", instance=instance)
            for i, line in enumerate(lines)]


def test_two_instances_crashing_at_once_do_not_interleave():
    a = cloud_run_lines(TRACEBACK, "a", 100.0)
    b = cloud_run_lines(TRACEBACK[:-1] + ["NameError: name 'np' is not defined"], "b", 100.000001)
    mixed = [record for pair in zip(a, b) for record in pair]
    events = list(events_from_records(mixed))
    assert len(events) == 2
    for event in events:
        assert len(event.records) == len(TRACEBACK)
        assert len({r.instance for r in event.records}) == 1
    assert {e.message for e in events} == {"NameError: name 'redis' is not defined", "NameError: name 'np' is not defined"}


def test_newest_first_input_is_put_back_in_order():
    records = cloud_run_lines(TRACEBACK, "a", 100.0)[::-1]
    (event,) = events_from_records(records)
    assert event.records[0].text.startswith("Traceback") and not event.traceback.truncated


def test_traceback_ends_at_its_exception_line():
    records = cloud_run_lines(TRACEBACK + ["INFO: shutting down", "Traceback (most recent call last):",
                                           '  File "/app/b.py", line 1, in g', "KeyError: 'x'"], "a", 50.0)
    events = list(events_from_records(records))
    assert [len(e.records) for e in events] == [6, 3]
    assert [e.traceback.last.type for e in events] == ["NameError", "KeyError"]


def test_lines_far_apart_in_time_are_not_stitched():
    records = cloud_run_lines(TRACEBACK[:3], "a", 10.0) + cloud_run_lines(TRACEBACK[3:], "a", 20.0)
    events = list(events_from_records(records))
    assert len(events) == 2 and all(e.traceback.truncated for e in events)


line_choices = st.sampled_from(TRACEBACK + ["INFO ok", "   indented print", "", "During handling of the above exception, another exception occurred:"])
record_strategy = st.builds(
    lambda text, instance, time, severity: (text, instance, time, severity),
    line_choices, st.sampled_from(["a", "b", "c"]), st.one_of(st.none(), st.floats(0, 30)),
    st.sampled_from([None, "INFO", "ERROR"]),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(record_strategy, max_size=80))
def test_stitcher_never_loses_or_duplicates_a_record(specs):
    records = [LogRecord(time=t, severity=sev, text=text, source="s", position=i, instance=inst)
               for i, (text, inst, t, sev) in enumerate(specs)]
    units = list(stitch(records))
    out = [id(r) for unit in units for r in unit]
    assert sorted(out) == sorted(id(r) for r in records)
    assert all(unit for unit in units)
    assert all(len({r.instance for r in unit}) == 1 for unit in units)


def records(specs, instance="a", start=100.0, step=0.00001):
    """(text, severity) pairs printed one entry each, `step` seconds apart."""
    return [LogRecord(time=start + i * step, severity=severity, text=text, source="s", position=i,
                      service="api", revision="api-1", instance=instance)
            for i, (text, severity) in enumerate(specs)]


MULTILINE = TRACEBACK[:-1] + ["ValueError: line one", "line two", "  indented three", ""]


def test_a_multi_line_message_split_per_entry_stays_whole():
    (event,) = events_from_records(cloud_run_lines(MULTILINE + ["more after a blank line"], "a", 10.0))
    assert event.traceback.last.message == "line one\nline two\n  indented three\n\nmore after a blank line"


def test_a_message_ends_at_a_record_of_its_own():
    access = '10.0.0.7 - - [12/Sep/2025:14:20:04 +0000] "GET /health HTTP/1.1" 500 12'
    for follower in [("INFO: shutting down", None), ("shutting down", "INFO"), ("2025-09-12 14:20:04,000 app: next", None),
                     (access, None)]:
        lines = records([(text, "ERROR" if i == 0 else None) for i, text in enumerate(MULTILINE[:-1])] + [follower])
        lines[-1].http_status = 500 if follower[0] == access else None  # as the text reader reads an access line
        events = list(events_from_records(lines))
        assert events[0].traceback.last.message == "line one\nline two\n  indented three"
        assert follower[0] not in events[0].text


def test_a_message_ends_at_a_pause_longer_than_the_burst():
    lines = cloud_run_lines(MULTILINE[:-1], "a", 10.0) + cloud_run_lines(["printed later"], "a", 10.5)
    lines[-1].severity = None
    (event,) = events_from_records(lines)
    assert event.traceback.last.message == "line one\nline two\n  indented three"


def test_gke_gives_every_stderr_line_the_same_severity_and_it_still_stitches():
    (event,) = events_from_records(records([(text, "ERROR") for text in MULTILINE[:-1]]))
    assert event.traceback.last.message == "line one\nline two\n  indented three"


def test_a_cause_printed_without_a_header_joins_the_chain():
    lines = [("KeyError: 'never raised'", "ERROR"), ("The above exception was the direct cause of the following exception:", None),
             *[(text, None) for text in TRACEBACK[:-1]], ("RuntimeError: outer", None)]
    (event,) = events_from_records(records([("handling request", "INFO")]) + records(lines, start=100.001))
    assert [(e.type, e.relation) for e in event.traceback.exceptions] == [("KeyError", None), ("RuntimeError", "cause")]


def test_cloud_run_severity_on_a_chained_traceback_line_does_not_cut_the_chain():
    """As in a real export: blank lines dropped, the second `Traceback` entry has a severity of its own."""
    first = [(text, "ERROR" if i == 0 else None) for i, text in enumerate(TRACEBACK)]
    lines = first + [("The above exception was the direct cause of the following exception:", None),
                     ("Traceback (most recent call last):\n  File \"/app/b.py\", line 2, in g", "ERROR"), ("RuntimeError: boom", None)]
    (event,) = events_from_records(records(lines))
    assert [(e.type, e.relation) for e in event.traceback.exceptions] == [("NameError", None), ("RuntimeError", "cause")]


def test_two_tracebacks_printed_back_to_back_stay_two():
    copy = [(text, "ERROR" if i == 0 else None) for i, text in enumerate(MULTILINE[:-1])]
    events = list(events_from_records(records(copy + copy)))
    assert [len(e.records) for e in events] == [len(copy), len(copy)]


def test_ordinary_lines_before_a_traceback_stay_out_of_it():
    lines = [("listening on :8080", None), ("warming cache", None), *[(text, None) for text in TRACEBACK]]
    lines[2] = (lines[2][0], "ERROR")
    events = list(events_from_records(records(lines)))
    assert [len(e.records) for e in events] == [len(TRACEBACK)]


def test_a_request_line_stamped_to_the_second_does_not_turn_a_traceback_over(tmp_path):
    """gunicorn + Flask: the access line (07:17:40, to the second) follows the traceback it ends
    (07:17:40,839). One step back in time is not a newest-first export."""
    log = tmp_path / "app.log"
    log.write_text(
        "[2025-01-20 07:17:40,839] ERROR in app: Exception on /api/entries [POST]\n"
        "Traceback (most recent call last):\n"
        '  File "/srv/ledger/app/entries.py", line 64, in create_entry\n'
        "    entry = session.execute(insert_entry, payload).one()\n"
        "KeyError: 'amount'\n"
        '10.28.182.100 - - [20/Jan/2025:07:17:40 +0000] "POST /api/entries HTTP/1.1" 500 265 "-" "okhttp/4.12.0"\n'
        "[2025-01-20 07:17:41,792] ERROR in app: Exception on /api/entries [POST]\n"
        "Traceback (most recent call last):\n"
        '  File "/srv/ledger/app/entries.py", line 64, in create_entry\n'
        "    entry = session.execute(insert_entry, payload).one()\n"
        "KeyError: 'amount'\n"
        '10.28.182.101 - - [20/Jan/2025:07:17:41 +0000] "POST /api/entries HTTP/1.1" 500 265 "-" "okhttp/4.12.0"\n')
    tracebacks = [e for e in rca.read_events([log]) if e.traceback is not None]
    assert len(tracebacks) == 2
    for event in tracebacks:
        assert event.records[0].text.endswith("ERROR in app: Exception on /api/entries [POST]")
        assert [x.type for x in event.traceback.exceptions] == ["KeyError"]
        assert event.traceback.exceptions[0].frames[0].line == 64


def _flood_of_one_instance(seed: int) -> list[LogRecord]:
    """7,000 lines of one instance that never falls silent: log lines every 0.2 s, and tracebacks
    (some announced by an ERROR line printed in the same burst, some chained, some after a burst of
    plain lines or a cause printed without a header) placed at random, several of them across the
    points where a long run settles."""
    import random

    from rca.events.stitch import SETTLE_EVERY

    rng = random.Random(seed)
    lines: list[tuple[str | None, str]] = []
    while len(lines) < 7_000:
        pick = rng.random()
        if pick < 0.04 or len(lines) % SETTLE_EVERY >= SETTLE_EVERY - 10:  # just before a settling point
            block = [("ERROR", "Exception in ASGI application")] if rng.random() < 0.5 else []
            if rng.random() < 0.3:  # a burst the traceback's lead-in may reach back into
                block = [(None, f"worker {n} state dump") for n in range(rng.randint(1, 30))] + block
            if rng.random() < 0.2:
                block += [(None, "KeyError: 'user'"), (None, ""),
                          (None, "During handling of the above exception, another exception occurred:"), (None, "")]
            block += [(None, line) for line in TRACEBACK]
            if rng.random() < 0.3:
                block += [(None, ""), (None, "During handling of the above exception, another exception occurred:"),
                          (None, "")] + [(None, line) for line in TRACEBACK]
            lines += block
        else:
            lines.append(("INFO", f"GET /api/items/{len(lines)} 200"))
    records, now = [], 1000.0
    for index, (severity, text) in enumerate(lines):
        now += 0.00001 if severity is None else 0.2  # a traceback is one burst
        records.append(LogRecord(time=now, severity=severity, text=text, source="s", position=index + 1,
                                 service="api", revision="api-1", instance="a"))
    return records


@settings(max_examples=5, deadline=None)
@given(st.integers(0, 10_000))
def test_a_key_that_never_falls_silent_settles_into_the_units_of_one_whole_run(seed):
    """A flood keeps a key busy: its run is settled every SETTLE_EVERY records (memory stays
    bounded), and the units are exactly those of segmenting the whole run at once, tracebacks across
    the settling points and their lead-ins included; nothing is cut."""
    from rca.events.stitch import SETTLE_EVERY, segment

    records = _flood_of_one_instance(seed)
    stats = rca.ReadStats()
    settled = [[r.position for r in unit] for unit in stitch(records, stats)]
    whole = [[r.position for r in unit] for unit in segment(records)]
    assert len(records) > 3 * SETTLE_EVERY
    assert sorted(settled) == sorted(whole) and not stats.notes
    assert sum(len(unit) > 1 for unit in whole) > 100  # tracebacks, not only single lines


BURST = [
    "Traceback (most recent call last):\n  File \"/app/main.py\", line 3, in handler",  # Cloud Run merges the first lines
    "    return process(request)",
    "           ^^^^^^^^^^^^^^^^",
    '  File "/app/app.py", line 9, in process',
    "    client = redis.Redis()",
    "NameError: name 'redis' is not defined",
]


def _burst_of_identical_tracebacks(tied_at: set[int]) -> list[LogRecord]:
    """73 copies of one traceback printed back to back by one instance within two seconds, one entry
    a line, stamped to the microsecond (two lines of a copy share a stamp, in order). The `Traceback`
    entry of each copy in `tied_at` is stamped in the same microsecond as the previous copy's
    exception line, and the export orders the two by their insertIds, whose last digits are random:
    here the `Traceback` entry first."""
    offsets = (0, 2, 2, 4, 6, 8)  # microseconds from a copy's first line
    records: list[list] = []
    now = 1000.0
    for copy in range(73):
        start = records[-1][0] if copy in tied_at else now
        records.extend([start + offset / 1e6, "ERROR" if i == 0 else None, text] for i, (offset, text) in enumerate(zip(offsets, BURST)))
        if copy in tied_at:
            at = len(records) - len(BURST)
            records[at - 1], records[at] = records[at], records[at - 1]
        now = records[-1][0] + 0.02
    return [LogRecord(time=round(moment, 6), severity=severity, text=text, source="s", position=index + 1,
                      service="api", revision="api-1", instance="a", log_name="stderr")
            for index, (moment, severity, text) in enumerate(records)]


def test_a_burst_of_identical_tracebacks_with_tied_stamps_stitches_every_one():
    """Issue 25 item 6: 3 of 73 were cut into an `unknown <truncated>` fragment, the copy before the
    tie losing its exception line to the copy after it."""
    untied = list(events_from_records(_burst_of_identical_tracebacks(set())))
    assert len(untied) == 73 and all(not e.traceback.truncated for e in untied)  # the same entries, no ties: right
    burst = _burst_of_identical_tracebacks({12, 40, 41})
    assert sum(r.time == s.time and r.text.startswith("Traceback") and s.text.startswith("NameError")
               for r, s in zip(burst, burst[1:])) == 3  # a copy's first entry before the last one's exception line
    events = list(events_from_records(burst))
    assert len(events) == 73
    assert [e.message for e in events] == ["NameError: name 'redis' is not defined"] * 73
    assert not any(e.traceback.truncated for e in events)
    assert all(e.text == untied[0].text for e in events)
