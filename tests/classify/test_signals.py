"""rca.classify.signals: the structure of an error text, and the class the knowledge tables decide from it."""

import pytest

from rca.classify.signals import decide, exception_class, parse


@pytest.mark.parametrize("text, cls", [
    ("OSError: [Errno 122] Disk quota exceeded: '/data/x'", "resource_exhaustion"),
    ("pymysql.err.OperationalError: (1205, 'Lock wait timeout exceeded; try restarting transaction')", "timeout"),
    ("pymysql.err.OperationalError: (1045, \"Access denied for user 'app'@'10.0.0.5' (using password: YES)\")", "auth_rejection"),
    ("ImportError: Missing optional dependency 'openpyxl'.  Use pip or conda to install openpyxl.", "missing_import"),
    ("An error occurred (UnrecognizedClientException) when calling the Query operation: The security token included in the request is invalid.", "auth_rejection"),
    ("asyncpg.exceptions._base.InterfaceError: cannot perform operation: another operation is in progress", "db_session_failure"),
    ("configparser.NoSectionError: No section: 'database'", "config_error"),
    ("KeyError: 'DATABASE_URL'", "config_error"),
    ("NameError: name 'json' is not defined", "missing_import"),
    ("celery.exceptions.SoftTimeLimitExceeded: SoftTimeLimitExceeded()", "timeout"),
    ("app exited with code 137", "resource_exhaustion"),
    ("upstream timed out (110: Connection timed out) while reading response header from upstream", "timeout"),
    ("status = StatusCode.DEADLINE_EXCEEDED", "timeout"),
    ("psycopg2.errors.QueryCanceled: canceling statement due to statement timeout", "timeout"),
])
def test_the_structure_decides(text, cls):
    assert decide(parse(text, prose=True))[0] == cls


def test_the_failing_line_reading_the_environment_makes_a_value_error_config():
    text = ('Traceback (most recent call last):\n  File "/app/settings.py", line 9, in <module>\n'
            '    WORKERS = int(os.environ.get("WORKERS", ""))\nValueError: invalid literal for int() with base 10: \'\'')
    assert decide(parse(text, prose=True))[0] == "config_error"
    assert decide(parse("ValueError: invalid literal for int() with base 10: ''", prose=True)) is None


def test_a_broken_pipe_inside_a_database_driver_is_the_database():
    text = ('Traceback (most recent call last):\n  File "/app/db.py", line 40, in fetch\n    cursor.execute(sql)\n'
            '  File "/usr/local/lib/python3.11/site-packages/pymysql/connections.py", line 800, in _write_bytes\n'
            '    self._sock.sendall(data)\nBrokenPipeError: [Errno 32] Broken pipe')
    signals = parse(text, prose=True)
    assert signals.packages[0] == "pymysql" and "EPIPE" in signals.errnos
    assert decide(signals)[0] == "db_session_failure"


def test_an_unseen_subclass_inherits_through_its_printed_short_name_and_plain_bugs_stay_unknown():
    assert exception_class("psycopg2.errors.InvalidPassword") == "auth_rejection"
    assert exception_class("mylib.vendored.psycopg2.errors.QueryCanceled") == "timeout"
    assert exception_class("TypeError") == "unknown"
    assert decide(parse("TypeError: request() got an unexpected keyword argument 'timeout'", prose=True))[0] == "unknown"


def test_prose_quotes_count_for_snippets_only():
    text = "After the upgrade every request fails with `sqlalchemy.orm.exc.DetachedInstanceError` in the worker."
    assert "sqlalchemy.orm.exc.DetachedInstanceError" in parse(text, prose=True).exceptions
    assert parse(text, prose=False).exceptions == ()


def test_a_probe_or_router_line_is_left_to_the_symptom_rules():
    assert decide(parse("Readiness probe failed: HTTP probe failed with statuscode: 503", prose=True)) is None


def test_the_http_statuses_are_those_the_word_boundary_spelling_finds_everywhere():
    """HTTP_STATUS writes `\\bstatus` as `s(?<!\\ws)tatus` (re scans faster for a literal), and is tried
    only where a match can start: the same matches, in both cases and on the lower-cased text, on
    every real excerpt and at the edges."""
    import json
    import re

    from conftest import FIXTURES

    from rca.classify.signals import HTTP_STATUS, LOWER_CASE, _http_statuses

    spelled = re.compile(re.sub(r"(\[1-5\]|\w)\(\?<!\\w(?:\[1-5\]|\w)\)", r"\\b\1", HTTP_STATUS.pattern), re.IGNORECASE)
    assert r"\bstatus" in spelled.pattern and "(?<!" not in spelled.pattern
    lines = (FIXTURES / "real-corpus" / "excerpts.jsonl").read_text(encoding="utf-8").splitlines()
    texts = [json.loads(line)["text"] for line in lines if line.strip()]
    texts += ["HTTP/1.1 503", "xhttp 200", "\u017ftatus 404", "\u212aode 500", "foo.status 500", "_code 500", "a503 Bad Gateway",
              "<Response [503]>", "http200", "http/1.1200", "\u0130status 500", "9503 Not Found", "503 503 Bad Gateway",
              "Error: Error: 500", "code code 404", "03 Not Found", "HTTP Error code: 418"]
    for text in texts + [text.upper() for text in texts]:
        found = [(m.span(), m.groups()) for m in spelled.finditer(text)]
        assert [(m.span(), m.groups()) for m in HTTP_STATUS.finditer(text)] == found
        assert [(m.span(), m.groups()) for m in _http_statuses(text, text.lower())] == found
        if text.isascii():
            assert [(m.span(), m.groups()) for m in LOWER_CASE[HTTP_STATUS].finditer(text.lower())] == found


def test_the_errno_and_mysql_guards_pass_every_text_their_patterns_match():
    import json

    from conftest import FIXTURES

    from rca.classify.signals import ERRNO_NUMBER, MYSQL_ERROR, _may_name_errno, _may_name_mysql

    lines = (FIXTURES / "real-corpus" / "excerpts.jsonl").read_text(encoding="utf-8").splitlines()
    texts = [json.loads(line)["text"] for line in lines if line.strip()]
    texts += ["[Errno 111] x", "[WinError 10061] x", "errno=28", "(110: Connection timed out)", "(2013, 'Lost')", "ERROR 1045 (28000)",
              "Error Code: 1205", "Error: 1040", "mysql errno 1213", "Error 1062", "(99: x)", "(1234, u'x')"]
    assert sum(bool(ERRNO_NUMBER.search(text)) for text in texts) > 20 and sum(bool(MYSQL_ERROR.search(text)) for text in texts) > 10
    for text in texts:
        assert _may_name_errno(text) or not ERRNO_NUMBER.search(text), text
        assert _may_name_mysql(text) or not MYSQL_ERROR.search(text), text
