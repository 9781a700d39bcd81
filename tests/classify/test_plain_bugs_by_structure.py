"""Plain bugs that a class's word, read without its structure, gave a cause (issue 28, "structure decides
before words"): an exception named on a traceback's source line, a test's expectation, a module's name
used as a value, a rolled-back session behind a broken constraint, a plain 4xx access line. Each comes
with the near case that the same structure still gives its cause."""

import json
from pathlib import Path

import pytest

from rca.classify.classes import UNKNOWN
from rca.classify.hybrid import classify_text
from rca.classify.signals import parse

CORPUS = Path(__file__).resolve().parents[2] / "fixtures" / "corpus" / "train.jsonl"


def decided(text: str):
    return classify_text(text, model=None)


@pytest.mark.parametrize("text", [
    'Traceback (most recent call last):\n  File "run.py", line 9, in <module>\n    except subprocess.TimeoutExpired:\n'
    "AttributeError: 'module' object has no attribute 'TimeoutExpired'",
    'Traceback (most recent call last):\n  File "server.py", line 4, in <module>\n    t = httpx.Timeout(15.0, connect_timeout=30.0)\n'
    "TypeError: __init__() got an unexpected keyword argument 'connect_timeout'",
])
def test_an_exception_on_a_source_line_is_code_not_what_was_raised(text):
    assert decided(text).cls == UNKNOWN
    assert parse(text, prose=True).exceptions[0] in ("AttributeError", "TypeError")  # what the last line raised


def test_a_raise_line_where_the_traceback_stops_is_what_was_raised():
    text = ('Traceback (most recent call last):\n  File "/usr/lib/python3.8/asyncio/tasks.py", line 490, in wait_for\n'
            "    raise exceptions.TimeoutError()")
    assert decided(text).cls == "timeout"


def test_a_tests_expectation_is_not_a_refused_call():
    text = (">       assert response.status == '403 FORBIDDEN'\nE       AssertionError: assert '200 OK' == '403 FORBIDDEN'\n"
            "E         - 200 OK\nE         + 403 FORBIDDEN\n\ntests/test_routes.py:49: AssertionError")
    assert decided(text).cls == UNKNOWN
    assert decided("WARNING api: 403 Forbidden: invalid token for /admin").cls == "auth_rejection"


def test_a_modules_name_used_as_a_value_is_a_local_never_set():
    frame = 'Traceback (most recent call last):\n  File "/srv/cli/cluster.py", line 70, in run\n    {}\nNameError: name \'json\' is not defined'
    assert decided(frame.format("data=json,")).cls == UNKNOWN
    assert decided(frame.format("body = json.dumps(payload)")).cls == "missing_import"


ROLLED_BACK = ("sqlalchemy.exc.PendingRollbackError: This Session's transaction has been rolled back due to a previous exception "
               "during flush. To begin a new transaction with this Session, first issue Session.rollback(). Original exception "
               "was: (raised as a result of Query-invoked autoflush; consider using a session.no_autoflush block if this flush "
               "is occurring prematurely)\n{}")


def test_a_rollback_behind_the_autoflush_note_is_the_original_exceptions():
    assert decided(ROLLED_BACK.format('(psycopg2.errors.UniqueViolation) duplicate key value violates unique constraint "k"')).cls == UNKNOWN
    assert decided(ROLLED_BACK.format("(psycopg2.OperationalError) server closed the connection unexpectedly")).cls == \
        "db_session_failure"


def test_the_generated_corpus_holds_plain_4xx_access_lines_as_plain_bugs():
    rows = [json.loads(line) for line in CORPUS.read_text().splitlines() if line.strip()]
    plain = [row for row in rows if row["library"] == "plain-4xx-lines"]
    assert len(plain) >= 48 and {row["label"] for row in plain} == {UNKNOWN}
    assert {row["text"].rsplit(" 4", 1)[-1][:2] for row in plain if row["shape"] == "bare" and row["text"][-3:].isdigit()} <= {"04", "00"}
    assert all(decided(row["text"]).cls == UNKNOWN for row in plain)  # no rule claims them either


@pytest.mark.parametrize("text", [
    "GET https://api-abc.a.run.app/api/users/me 404",
    '169.254.1.1:40320 - "GET /api/orders/42 HTTP/1.1" 404 Not Found',
])
def test_the_default_model_names_a_plain_404_access_line_unknown(text):
    assert classify_text(text).cls == UNKNOWN


OWN_ERROR = ('Traceback (most recent call last):\n  File "/srv/chat/web/api/open_live.py", line 101, in request\n'
             "    return await read_response(ctx)\n  File \"/srv/chat/web/api/open_live.py\", line 122, in read_response\n"
             "    raise TransportError(f'{type(e).__name__}: {e}')\n"
             "api.open_live.TransportError: ClientResponseError: 412, message='Precondition Failed', url=URL('https://x.example/v2/start')")


def test_an_applications_own_exception_is_not_a_librarys_by_its_short_name():
    assert decided(OWN_ERROR).cls == UNKNOWN
    # the same short name raised inside an installed library keeps that library's class
    library = OWN_ERROR.replace("/srv/chat/web/api/open_live.py", "/usr/lib/python3/site-packages/elasticsearch/transport.py") \
        .replace("api.open_live.TransportError", "elasticsearch.exceptions.TransportError")
    assert decided(library).cls == "dependency_connection_failure"


class _SureModel:
    """A model sure of a cause class whatever the text: what the hybrid does with its answer is the question."""
    classes = ["timeout", "unknown"]
    threshold = 0.5
    class_thresholds: dict = {}


def test_the_model_gives_no_cause_to_a_plain_bug_the_structure_names():
    import numpy as np

    from rca.classify.hybrid import _with_model
    from rca.classify.rules import RuleSet, event_from_text

    rules, sure = RuleSet.load(), np.array([0.95, 0.05])
    plain = rules.classify(event_from_text(
        'Traceback (most recent call last):\n  File "server.py", line 4, in <module>\n    t = httpx.Timeout(15.0, connect_timeout=30.0)\n'
        "TypeError: __init__() got an unexpected keyword argument 'connect_timeout'"))
    assert (plain.cls, plain.method, plain.plain_bug) == (UNKNOWN, "none", "TypeError")
    assert _with_model(plain, _SureModel(), sure).cls == UNKNOWN
    # a text no rule claims and no table reads as a plain bug is still the model's to decide
    silent = rules.classify(event_from_text("sync stalled while waiting on the upstream"))
    assert silent.plain_bug is None and _with_model(silent, _SureModel(), sure).cls == "timeout"
