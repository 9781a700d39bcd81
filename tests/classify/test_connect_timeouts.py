"""docs/CLASSES.md's decision for issue 28: a connect attempt that ran out of time is a timeout, a
database's too; a refusal stays with the database or the dependency, a full pool with the database."""

import pytest

from rca.classify.hybrid import classify_text


@pytest.mark.parametrize("text", [
    'psycopg2.OperationalError: connection to server at "10.1.2.3", port 5432 failed: timeout expired',
    "sqlalchemy.exc.OperationalError: (psycopg2.OperationalError) connection to server at \"34.1.2.3\", port 5432 "
    "failed: Connection timed out\n\tIs the server running on that host and accepting TCP/IP connections?",
    "django.db.utils.OperationalError: could not connect to server: Connection timed out\n"
    "\tIs the server running on host \"db\" (10.0.0.5) and accepting\n\tTCP/IP connections on port 5432?",
    "pymysql.err.OperationalError: (2003, \"Can't connect to MySQL server on '10.0.0.5' (timed out)\")",
    "redis.exceptions.ConnectionError: Error 110 connecting to 10.0.0.3:6379. Connection timed out.",
    "org.postgresql.util.PSQLException: The connection attempt failed.\n"
    "\tat org.postgresql.core.v3.ConnectionFactoryImpl.openConnectionImpl(ConnectionFactoryImpl.java:331)\n"
    "Caused by: java.net.SocketTimeoutException: Connect timed out\n"
    "\tat java.base/sun.nio.ch.NioSocketImpl.timedFinishConnect(NioSocketImpl.java:551)",
])
def test_a_connect_attempt_that_ran_out_of_time_is_a_timeout(text):
    assert classify_text(text, model=None).cls == "timeout"


@pytest.mark.parametrize("text, cls", [
    ('psycopg2.OperationalError: connection to server at "10.1.2.3", port 5432 failed: Connection refused',
     "db_session_failure"),
    ("pymysql.err.OperationalError: (2003, \"Can't connect to MySQL server on 'db' ([Errno 111] Connection refused)\")",
     "db_session_failure"),
    ("sqlalchemy.exc.TimeoutError: QueuePool limit of size 5 overflow 10 reached, connection timed out, timeout 30.00",
     "db_session_failure"),
    ("redis.exceptions.ConnectionError: Error 111 connecting to localhost:6379. Connection refused.",
     "dependency_connection_failure"),
])
def test_a_refusal_or_a_full_pool_is_not_a_timeout(text, cls):
    assert classify_text(text, model=None).cls == cls
