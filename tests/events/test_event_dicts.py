"""Issue 24: an event's dict (what `rca events` writes for each event) is built by hand, not by
`dataclasses.asdict`: the same keys, in the same order, with the same values."""

from __future__ import annotations

import dataclasses

import orjson
from test_runtimes import JAVA_GAX

from rca.events.runtimes import parse_runtime_trace
from rca.events.tracebacks import parse_traceback

CHAINED = """Traceback (most recent call last):
  File "/app/db.py", line 12, in connect
    return pool.get()
KeyError: 'primary'

The above exception was the direct cause of the following exception:

Traceback (most recent call last):
  File "/app/main.py", line 40, in handler
    conn = connect()
  File "<frozen importlib._bootstrap>", line 5, in _load
RuntimeError: no database
note: retried 3 times
"""


def as_dict_by_dataclasses(parsed) -> dict:
    """The dict as it was made before: asdict, a status only where one was read."""
    exceptions = [{k: v for k, v in dataclasses.asdict(e).items() if k != "status" or v is not None}
                  for e in parsed.exceptions]
    return {"truncated": parsed.truncated, "exceptions": exceptions}


def test_a_python_chain_gives_the_same_bytes_as_asdict():
    parsed = parse_traceback(CHAINED)
    assert len(parsed.exceptions) == 2 and parsed.exceptions[1].frames[1].source is None
    made = parsed.as_dict()
    assert orjson.dumps(made) == orjson.dumps(as_dict_by_dataclasses(parsed))  # key order included
    assert all("status" not in item for item in made["exceptions"])


def test_a_runtime_trace_keeps_its_status_where_one_was_read():
    parsed = parse_runtime_trace(JAVA_GAX)
    made = parsed.as_dict()
    assert orjson.dumps(made) == orjson.dumps(as_dict_by_dataclasses(parsed))
    assert [item.get("status") for item in made["exceptions"]] == ["DEADLINE_EXCEEDED", None]
    assert list(made["exceptions"][0]) == ["type", "message", "frames", "relation", "status"]


def test_the_dict_shares_no_list_with_the_parsed_traceback():
    """asdict copied the frames: a caller that edits the dict must not change the event's traceback."""
    parsed = parse_traceback(CHAINED)
    made = parsed.as_dict()
    made["exceptions"][0]["frames"].clear()
    assert len(parsed.exceptions[0].frames) == 1
