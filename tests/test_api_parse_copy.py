"""rca.parse_traceback gives the caller a parse of its own. The analysis keeps the parse of a text while
recent and shares it among that text's events (rca.events.tracebacks); the public function once handed
out that shared object, so a notebook that redacted or trimmed a parse changed what every later event of
the same text read, in that analysis and the next."""

import rca
from rca.events.error_event import ErrorEvent
from rca.ingest.record import LogRecord

TEXT = ("Traceback (most recent call last):\n"
        '  File "/app/main.py", line 3, in <module>\n'
        "    import redis\n"
        "ModuleNotFoundError: No module named 'redis'")


def test_a_changed_parse_reaches_no_event():
    mine = rca.parse_traceback(TEXT)
    mine.exceptions[-1].message = "[redacted]"
    mine.exceptions[-1].frames.clear()
    event = ErrorEvent([LogRecord(time=None, severity="ERROR", text=TEXT, source="test", position=1)])
    assert event.traceback.last.message == "No module named 'redis'"
    assert [frame.file for frame in event.traceback.last.frames] == ["/app/main.py"]
    assert rca.parse_traceback(TEXT) == event.traceback and rca.parse_traceback(TEXT) is not event.traceback

