"""A `--filter` holding a Logging query comment (`-- …` to the end of its line, as queries copied from Logs
Explorer often do) stays a part of rca's query: the `)` that closes it is not on the commented line."""

from __future__ import annotations

import re

import pytest

from rca.ingest.live import build_filter


def uncommented(query: str) -> str:
    """The query as Cloud Logging reads it: each `--` comment removed up to the end of its line."""
    return re.sub(r"--[^\n]*", "", query)


@pytest.mark.parametrize("extra", [
    'resource.type="cloud_run_revision" -- only Cloud Run',
    'severity>=ERROR\n-- the errors alone\njsonPayload.user="u-1" -- one user',
])
def test_a_filter_with_a_comment_leaves_the_query_balanced(extra):
    query = uncommented(build_filter(0, None, service="api", extra=extra))
    assert query.count("(") == query.count(")")
    assert query.rstrip().endswith(")")


def test_a_filter_without_a_comment_is_sent_as_before():
    assert build_filter(0, None, extra='jsonPayload.user="u-1"').endswith(' AND (jsonPayload.user="u-1")')
