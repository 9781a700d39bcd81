"""The database refusal wordings stay linear on a retrying client's long message (review6).

`db.connection-lost-or-refused` and `sessions.link-lost-at-a-database` (whose `not:` repeats the former's
wordings) read `Connection refused` followed by a database port on the same line, and libpq's
`connection to server at "host" (address), port N failed`. Written `Connection refused.*?(?:5432|3306)`,
each occurrence scanned to the line's end: a client that logs its retries in one
message (30 kB of `Connection refused`) made both rules time out, and the event went to the HTTP connect
rule, the wrong class."""

import time

import pytest

from rca.classify.rules import RuleSet
from rca.events.error_event import ErrorEvent
from rca.ingest.record import LogRecord

PSYCOPG_REFUSED = ('Traceback (most recent call last):\n  File "/usr/lib/python3.11/site-packages/asyncpg/connect_utils.py", '
                   'line 10, in connect\nConnectionRefusedError: [Errno 111] Connection refused')


def event_of(text: str) -> ErrorEvent:
    return ErrorEvent([LogRecord(time=None, severity="ERROR", text=text, source="test", position=1)])


@pytest.fixture(scope="module")
def rules() -> RuleSet:
    return RuleSet.load()


@pytest.mark.flaky(reruns=2)  # a time-out is wall time: load can trip a linear search once, not thrice
def test_a_long_retry_message_is_still_the_databases_refusal(rules):
    rules.timeouts.clear()
    answer = rules.classify(event_of(PSYCOPG_REFUSED + " (retrying) Connection refused" * 1000))
    assert not any(rules.timeouts.values()), {rule: count for rule, count in rules.timeouts.items() if count}
    assert (answer.cls, answer.rule.id) == ("db_session_failure", "sessions.link-lost-at-a-database")


@pytest.mark.flaky(reruns=2)
@pytest.mark.parametrize("unit", ["Connection refused ", "(retrying) Connection refused to db:6543 "])
def test_the_wordings_stay_linear_on_a_100_kb_line(rules, unit):
    line = (unit * (100_000 // len(unit) + 1))[:100_000]
    rules.timeouts.clear()
    started = time.process_time()
    rules.classify(event_of("psycopg2.OperationalError: " + line))
    assert time.process_time() - started < 1.0
    assert not any(rules.timeouts.values()), {rule: count for rule, count in rules.timeouts.items() if count}


def test_the_port_after_a_refusal_still_names_the_database(rules):
    text = "Error: connect: Connection refused (retry 1) Connection refused by 10.0.0.5:5432"
    answer = rules.classify(event_of("psycopg2.OperationalError: " + text))
    assert (answer.cls, answer.rule.id) == ("db_session_failure", "db.connection-lost-or-refused")
