"""Issue 24: a traceback event's key read from its head (`rca.events.tracebacks.root_head`) without
parsing its text, the same key its whole fingerprint has, in a fresh process or a second run."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

import rca
from rca.analyze import fingerprint as fingerprint_module
from rca.analyze.fingerprint import fingerprint_key, fingerprint_of
from rca.analyze.groups import group_events
from rca.events.error_event import ErrorEvent

FRAMES = ('Traceback (most recent call last):\n  File "/app/svc/api.py", line 40, in get\n    return load(key)\n'
          '  File "/usr/local/lib/python3.12/site-packages/store/db.py", line 9, in load\n    raise KeyError(key)\n')
PIECES = [
    "Traceback (most recent call last):",
    '  File "/app/svc/api.py", line 40, in get',
    '  File "/app/svc/api.py", line 41, in get',
    '  File "/usr/local/lib/python3.12/site-packages/store/db.py", line 9, in load',
    "    return load(key_1842)",
    "    ^^^^^^",
    "KeyError: 'user_1842'",
    "ValueError",
    "request 7 failed",
    "  odd indent",
    "",
    "The above exception was the direct cause of the following exception:",
    "java.lang.IllegalStateException: closed",
    "\tat com.example.Main.run(Main.java:10)",
]


def event_of(*texts: str) -> ErrorEvent:
    return ErrorEvent([rca.LogRecord(1_757_685_600.0 + n, "ERROR", text, "app.log", n + 1, service="api")
                       for n, text in enumerate(texts)])


def test_a_key_is_read_without_parsing_the_events_traceback():
    events = [event_of(f"lookup {n} failed", f"{FRAMES}KeyError: 'user_{n}'") for n in range(40)]
    keys = {fingerprint_key(event) for event in events}
    assert all("traceback" not in vars(event) for event in events)  # nothing parsed for the key
    assert keys == {fingerprint_of(event_of(*(r.text for r in events[0].records))).key}


@settings(max_examples=1500, deadline=None)
@given(st.lists(st.lists(st.sampled_from(PIECES), min_size=1, max_size=6).map("\n".join), min_size=1, max_size=3))
def test_an_events_key_is_the_key_of_its_whole_fingerprint(texts):
    assert fingerprint_key(event_of(*texts)) == fingerprint_of(event_of(*texts)).key


def test_a_second_run_in_the_same_process_groups_alike():
    events = [event_of(f"{FRAMES}KeyError: 'user_{n % 7}'") for n in range(30)]
    first = [(g.key, g.count, g.label) for g in group_events((e, None) for e in events)]
    fingerprint_module._head_key.cache_clear()
    fingerprint_module._facts_of_text.cache_clear()
    again = [(g.key, g.count, g.label) for g in group_events((event_of(*(r.text for r in e.records)), None)
                                                             for e in events)]
    assert first == again and first[0][1] == 30
    assert fingerprint_module._head_key.cache_info().currsize == 1  # thirty texts, one head


def test_the_heads_kept_are_bounded():
    assert fingerprint_module._head_key.bound <= 16 * 1024 * 1024


def test_a_request_key_looks_for_no_traceback():
    message = event_of("payment 8853 declined by processor: code 60542")
    request = ErrorEvent([rca.LogRecord(1_757_685_600.0, "ERROR", "", "app.log", 1, service="api",
                                        http_method="GET", http_url="https://api.example.com/v1/users/42",
                                        http_status=503)])
    java = event_of("java.lang.IllegalStateException: closed\n\tat com.example.Main.run(Main.java:10)")
    assert fingerprint_key(message).startswith("message:") and fingerprint_key(request).startswith("request:")
    assert "traceback" not in vars(request)  # a message's key reads its message, which asks for it
    assert fingerprint_key(java) == fingerprint_of(event_of(*(r.text for r in java.records))).key
    assert fingerprint_key(java).startswith("traceback:") and java.traceback is not None
