"""Issue 24: the per-event Python cost of grouping. A traceback's key is hashed once per distinct
text, each event's order is worked out once, and a request URL's path is cut without urlsplit where
urlsplit would give the same path."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

import rca
from rca.analyze import fingerprint as fingerprint_module
from rca.analyze.fingerprint import fingerprint_key, fingerprint_of, route, url_path
from rca.analyze.groups import group_events
from rca.events.error_event import ErrorEvent

TEXT = ('Traceback (most recent call last):\n  File "/app/svc/jobs.py", line 12, in run\n'
        '    total = rows[0]\nIndexError: list index out of range')


def events_of(count: int, text: str = TEXT) -> list[ErrorEvent]:
    return [ErrorEvent([rca.LogRecord(1_757_685_600.0 + (count - i), "ERROR", text, "app.log", i + 1, service="jobs")])
            for i in range(count)]


def test_a_traceback_key_is_hashed_once_per_text(monkeypatch):
    fingerprint_module._facts_of_text.cache_clear()
    first, *others = events_of(30)
    key = fingerprint_key(first)
    assert key == fingerprint_of(first).key

    def no_hashing(*args):
        raise AssertionError("the key of a known traceback text was hashed again")

    monkeypatch.setattr(fingerprint_module, "_key_of", no_hashing)
    monkeypatch.setattr(fingerprint_module, "_frame_parts", no_hashing)
    assert {fingerprint_key(event) for event in others} == {key}


def test_each_events_order_is_worked_out_once_while_grouping(monkeypatch):
    made: list[int] = []
    order = ErrorEvent.__dict__["order"]
    original = order.func
    monkeypatch.setattr(order, "func", lambda event: made.append(event.first.position) or original(event))
    events = events_of(40)  # each later event is earlier in time: the group's first and sample change often
    (group,) = group_events((event, None) for event in events)
    assert group.count == 40 and sorted(made) == list(range(1, 41))
    assert [e.first.position for e in group.events] == [40, 39, 38, 37, 36]
    assert group.representative.order == (False, 1_757_685_601.0, "app.log", 40)


ODD_URLS = st.lists(st.sampled_from(list("aZ09/?#[]@:.%-_ \t\r\n\x00é") + ["//", "::", "[::1]", "\uff0f"]),
                    max_size=16).map("".join)


@settings(max_examples=1500, deadline=None)
@given(st.sampled_from(["http://", "https://", "HTTP://", "http:/", " https://", "ftp://", "h\ttps://", ""]), ODD_URLS)
@example("https://", "[::1]/a/b?c")
@example("https://", "[::1/a")
@example("http://", "ho\tst/p\nq?x#y")
@example("https://", "bücher.example/ä?x")
@example("https://", "host#frag/x?y")
@example("http://", "u:p@h:80/a/../b;c")
def test_a_path_is_the_one_urlsplit_gives(scheme, rest):
    url = scheme + rest
    try:
        expected = urlsplit(url).path
    except ValueError:
        with pytest.raises(ValueError):
            url_path(url)
        return
    assert url_path(url) == expected


def test_a_route_masks_ids_in_the_path_alone():
    assert route("https://api.example.com/v1/users/u-1842/orders/77?page=2#top") == "/v1/users/{id}/orders/{id}"
    assert route("https://api.example.com") == "/" and route("/items/123?x=1") == "/items/{id}"
