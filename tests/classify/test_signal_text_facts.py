"""A text's own facts (`signals._text_facts`) are read once and shared by every reading of the text: the
rules read an event's text as a log line (with its parsed chain), the model reads it as prose. What
differs between the readings (the exception names, the statuses their exceptions carry, and so the
errnos, gRPC codes and packages those add) must still be each reading's own."""

from __future__ import annotations

import pytest

from rca.classify import signals
from rca.events.error_event import ErrorEvent
from rca.ingest.record import LogRecord

NODE = ("Error: connect ECONNREFUSED 10.0.0.5:5432\n    at TCPConnectWrapper.afterConnect [as oncomplete] "
        "(node:net:1555:16) {\n  errno: -111,\n  code: 'ECONNREFUSED',\n  syscall: 'connect'\n}\n"
        "TypeError: Cannot read properties of undefined (reading 'rows')\n    at list (/app/src/db.js:14:22)")
PYTHON = ('Traceback (most recent call last):\n  File "/app/.venv/lib/python3.11/site-packages/psycopg2/__init__.py", '
          'line 122, in connect\n    conn = _connect(dsn, connection_factory=connection_factory, **kwasync)\n'
          "psycopg2.OperationalError: could not connect to server: Connection refused [Errno 111]\n\n"
          "During handling of the above exception, another exception occurred:\n\n"
          'Traceback (most recent call last):\n  File "/app/main.py", line 9, in handler\n    rows = db.fetch()\n'
          "app.errors.StoreDown: the store is down")
GO = ("rpc error: code = DeadlineExceeded desc = context deadline exceeded\n"
      "main.fetch failed after 3 retries: exit status 1")
NAME_ERROR = ('Traceback (most recent call last):\n  File "/app/main.py", line 3, in <module>\n    client = redis.Redis()\n'
              "NameError: name 'redis' is not defined")
TEXTS = [NODE, PYTHON, GO, NAME_ERROR]


def _chain(text: str):
    tb = ErrorEvent([LogRecord(time=None, severity=None, text=text, source="", position=0)]).traceback
    return [e for e in tb.exceptions if e.type != "<truncated>"] if tb else None


def _readings(text: str) -> list:
    return [signals.parse(text, prose=True), signals.parse(text), signals.parse(text, _chain(text))]


def _fresh() -> None:
    signals._text_facts.cache_clear()
    signals._parse_prose.cache_clear()


@pytest.mark.parametrize("text", TEXTS, ids=["node", "python-chain", "go", "name-error"])
def test_each_reading_is_the_same_whichever_reading_came_first(text):
    _fresh()
    prose_first = _readings(text)  # prose, log line, chain
    _fresh()
    chain = _chain(text)
    chained, line, prose = signals.parse(text, chain), signals.parse(text), signals.parse(text, prose=True)
    assert prose_first == [prose, line, chained]


def test_the_readings_keep_what_differs_between_them():
    _fresh()
    prose, line, chained = _readings(NODE)
    assert prose.exceptions == ("TypeError", "Error") and line.exceptions == ("Error", "TypeError")
    # the status a runtime chain's exception carries belongs to the readings that have the chain
    assert prose.reported == chained.reported == ("ECONNREFUSED",) and line.reported == ()
    assert prose.errnos == line.errnos == ("ECONNREFUSED",)
    prose, line, chained = _readings(PYTHON)
    assert line.exceptions == ("psycopg2.OperationalError",)
    assert chained.exceptions == prose.exceptions == ("psycopg2.OperationalError", "app.errors.StoreDown")
    assert line.packages == ("psycopg2",) and chained.packages == ("psycopg2", "app")  # the dotted names' packages
    assert prose.errnos == line.errnos == chained.errnos == ("ECONNREFUSED",)
    prose, line, chained = _readings(GO)  # Go's `code = DeadlineExceeded` is the text's: every reading has it
    assert prose.grpc == line.grpc == chained.grpc == ("DEADLINE_EXCEEDED",)
    assert prose.exceptions == ("DeadlineExceeded",) and line.exceptions == chained.exceptions == ()
    assert all(reading.undefined == "redis" and reading.exceptions == ("NameError",) for reading in _readings(NAME_ERROR))


def test_a_text_is_scanned_once_for_every_reading():
    _fresh()
    for text in TEXTS:
        _readings(text)
    assert signals._text_facts.cache_info().misses == len(TEXTS)
    assert signals._text_facts.cache_info().hits == 2 * len(TEXTS)


def test_a_text_too_large_to_keep_is_read_all_the_same():
    _fresh()
    text = PYTHON + "\n" + "\U0001f4a5" * signals.MAX_TEXT  # four bytes a character: past FACTS_TEXT_BYTES
    assert signals.parse(text) == signals.parse(text)
    assert signals.parse(text).exceptions == ("psycopg2.OperationalError",)
    assert signals._text_facts.cache_info().currsize == 0  # worked out each time, never kept


def test_a_snippet_too_large_to_keep_is_read_all_the_same():
    """The prose reading's cache holds texts of up to PROSE_TEXT_BYTES too, whatever their alphabet: MAX_TEXT
    characters of four bytes each are not kept, so that its 4,096 entries hold 32 MB of keys at most."""
    _fresh()
    text = PYTHON + "\n" + "\U0001f4a5" * signals.MAX_TEXT
    assert signals.parse(text, prose=True) == signals.parse(text, prose=True)
    assert signals.parse(text, prose=True).exceptions == ("psycopg2.OperationalError", "app.errors.StoreDown")
    assert signals._parse_prose.cache_info().currsize == 0
    signals.parse(PYTHON, prose=True)
    assert signals._parse_prose.cache_info().currsize == 1  # a short text is kept
    assert signals._parse_prose.bound <= 32 << 20
