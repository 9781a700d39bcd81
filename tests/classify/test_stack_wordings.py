"""Issue 28, classify9: how other stacks print refused credentials, broken database sessions, time limits and
unreachable dependencies (rules/knowledge/stacks.yaml, and Winsock's wordings of three errnos). Every entry's
example must take its class and its near miss must keep another one, by the rules alone. The texts are
written for the tests, not copied."""

import pytest
import yaml

from rca.classify import signals
from rca.classify.hybrid import classify_text


def rules_say(text: str) -> str:
    return classify_text(text, model=None).cls


def stack_entries() -> list[dict]:
    return yaml.safe_load((signals.knowledge_dir() / "stacks.yaml").read_text(encoding="utf-8"))["phrases"]


@pytest.mark.parametrize("entry", stack_entries(), ids=lambda entry: entry["pattern"][:40])
def test_a_stack_wording_decides_its_example_and_not_its_near_miss(entry):
    assert rules_say(entry["example"]) == entry["class"]
    assert rules_say(entry["near_miss"]["text"]) == entry["near_miss"]["class"] != entry["class"]
    assert entry["source"].startswith("https://")


def test_a_table_of_its_own_is_read_after_codes_yaml():
    """stacks.yaml is not one of the four base tables: the loader reads it, after codes.yaml's phrases."""
    patterns = [pattern.pattern for pattern, _, _ in signals.knowledge().phrases]
    assert "driver: bad connection" in patterns
    assert patterns.index("driver: bad connection") > patterns.index("Lock wait timeout exceeded")


@pytest.mark.parametrize("text, cls", [
    # Winsock's refusal names ECONNREFUSED: a cache's is a dependency's, a database port's the database's
    ("panic: dial tcp 10.0.0.4:6379: connectex: No connection could be made because the target machine actively "
     "refused it.", "dependency_connection_failure"),
    ("Npgsql.NpgsqlException (0x80004005): Failed to connect to 10.0.0.5:5432\n ---> System.Net.Sockets.SocketException "
     "(10061): No connection could be made because the target machine actively refused it.", "db_session_failure"),
    # WSAHOST_NOT_FOUND is a name that does not resolve
    ("Unhandled exception. System.AggregateException: One or more errors occurred. (No such host is known.)",
     "dependency_connection_failure"),
    # WSAETIMEDOUT is a time limit expiring with no answer
    ("System.IO.IOException: Unable to read data from the transport connection: A connection attempt failed because "
     "the connected party did not properly respond after a period of time, or established connection failed because "
     "connected host has failed to respond.", "timeout"),
])
def test_winsock_wordings_name_their_errno(text, cls):
    assert rules_say(text) == cls


@pytest.mark.parametrize("text, cls", [
    # a password refused inside a driver's connection error is auth (docs/CLASSES.md), not the session
    ("PG::ConnectionBad: connection to server at \"10.0.0.5\", port 5432 failed: FATAL:  password authentication failed "
     "for user \"orders\"", "auth_rejection"),
    # a ConnectionFailed wrapping Ruby's open timeout is the time limit (the innermost cause)
    ("Faraday::ConnectionFailed (Net::OpenTimeout)", "timeout"),
    # a MySQL refusal under Ruby's mysql2 is the database's, not a dependency's
    ("ActiveRecord::ConnectionNotEstablished: Can't connect to local MySQL server through socket "
     "'/run/mysqld/mysqld.sock' (2)", "db_session_failure"),
])
def test_the_db_and_dependency_boundary_holds_on_other_stacks(text, cls):
    assert rules_say(text) == cls
