"""Issue 28, classify9: how other stacks print refused credentials, broken database sessions, time limits and
unreachable dependencies (rules/knowledge/stacks.yaml, and Winsock's wordings of three errnos). Every entry's
example must take its class and its near miss must keep another one, by the rules alone. The texts are
written for the tests, not copied."""

import pytest

from rca.classify import signals
from rca.classify.hybrid import classify_text


def rules_say(text: str) -> str:
    return classify_text(text, model=None).cls


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


@pytest.mark.parametrize("text, cls", [
    # stacks.yaml's exception types, each with a near miss of the same stack that keeps another class
    ("Microsoft.IdentityModel.Tokens.SecurityTokenExpiredException: IDX10223: Lifetime validation failed. The token is "
     "expired. ValidTo: '01/02/2025 10:00:00', Current time: '01/02/2025 11:30:00'.", "auth_rejection"),
    ("Microsoft.IdentityModel.Tokens.SecurityTokenMalformedException: IDX14100: JWT is not well formed", "unknown"),
    ("JsonWebTokenError: invalid signature\n    at /srv/node_modules/jsonwebtoken/verify.js:171:19", "auth_rejection"),
    ("io.jsonwebtoken.ExpiredJwtException: JWT expired at 2025-01-02T10:00:00Z. Current time: 2025-01-02T11:30:00Z",
     "auth_rejection"),
    ("Symfony\\Component\\HttpKernel\\Exception\\AccessDeniedHttpException: Access Denied.", "auth_rejection"),
    ("Symfony\\Component\\HttpKernel\\Exception\\NotFoundHttpException: No route found for \"GET /favicon.ico\"",
     "unknown"),
    ("org.apache.http.NoHttpResponseException: inventory:8080 failed to respond", "dependency_connection_failure"),
    ("MaxRetriesPerRequestError: Reached the max retries per request limit (which is 20). Refer to "
     "\"maxRetriesPerRequest\" option for details.", "dependency_connection_failure"),
    ("NoLivingConnectionsError: There are no living connections", "dependency_connection_failure"),
    # the JVM's ECONNRESET: an upstream's, and a database driver's (the database's)
    ("java.net.SocketException: Connection reset\n\tat java.net.SocketInputStream.read(SocketInputStream.java:210)\n"
     "\tat org.apache.http.impl.io.SessionInputBufferImpl.fillBuffer(SessionInputBufferImpl.java:153)",
     "dependency_connection_failure"),
    ("org.postgresql.util.PSQLException: An I/O error occurred while sending to the backend.\nCaused by: "
     "java.net.SocketException: Connection reset", "db_session_failure"),
])
def test_other_stacks_exception_types_take_their_class(text, cls):
    assert rules_say(text) == cls


@pytest.mark.parametrize("text, cls", [
    # a name that does not resolve is the database's when the address is the database's (docs/CLASSES.md)
    ("dial tcp: lookup postgres on 127.0.0.11:53: no such host", "db_session_failure"),
    ("Error: getaddrinfo ENOTFOUND mysql\n    at GetAddrInfoReqWrap.onlookup [as oncomplete] (node:dns:107:26)",
     "db_session_failure"),
    ("MongoNetworkError: failed to connect to server [mongo:27017] on first connect [Error: getaddrinfo ENOTFOUND mongo]",
     "db_session_failure"),
    ("failed to connect to postgres://app@pgbouncer/app: dial tcp 10.0.0.5:6432: connect: connection refused",
     "db_session_failure"),
    ("2024/01/01 10:00:00 cannot ping db: dial tcp: lookup db on 127.0.0.11:53: server misbehaving", "db_session_failure"),
    # near misses: other hosts stay dependencies; a host merely starting with a database's name is not one
    ("dial tcp: lookup search on 127.0.0.11:53: no such host", "dependency_connection_failure"),
    ("Error: getaddrinfo ENOTFOUND mysql-exporter.monitoring.svc", "dependency_connection_failure"),
    ("requests.exceptions.ConnectionError: HTTPSConnectionPool(host='api.example.com', port=443): Max retries exceeded "
     "(Caused by NameResolutionError(\"Failed to resolve 'api.example.com' ([Errno -2] Name or service not known)\"))",
     "dependency_connection_failure"),
    ("2024/01/01 10:00:00 fetch quotes: dial tcp: lookup quotes.internal on 127.0.0.11:53: server misbehaving",
     "dependency_connection_failure"),
])
def test_a_database_address_keeps_a_dns_failure_with_the_database(text, cls):
    assert rules_say(text) == cls


@pytest.mark.parametrize("text, cls", [
    # logins refused by databases and caches, as their clients print them
    ("MongoServerError: Authentication failed.\n    at Connection.onMessage (/srv/node_modules/mongodb/lib/cmap/"
     "connection.js:202:30)", "auth_rejection"),
    ("ReplyError: NOAUTH Authentication required.", "auth_rejection"),
    ("[ioredis] Unhandled error event: ReplyError: WRONGPASS invalid username-password pair or user is disabled.",
     "auth_rejection"),
    ("2025-02-03 10:00:00.123 UTC [88] FATAL:  role \"orders\" does not exist", "auth_rejection"),
    # API platforms' refusals printed as codes
    ("Error: An API error occurred: not_authed\n    at platformErrorFromResult (/srv/node_modules/@slack/web-api/dist/"
     "errors.js:62:33)", "auth_rejection"),
    ("Error making API request.\n\nURL: GET http://vault:8200/v1/secret/data/orders\nCode: 403. Errors:\n\n"
     "* permission denied", "auth_rejection"),
    ("npm ERR! code E401\nnpm ERR! Unable to authenticate, your authentication token seems to be invalid.",
     "auth_rejection"),
    ("denied: requested access to the resource is denied", "auth_rejection"),
    # near misses: Vault's 404 and Slack's other errors are no refusal
    ("Error making API request.\n\nURL: GET http://vault:8200/v1/secret/data/orders\nCode: 404. Errors:\n\n",
     "unknown"),
    ("Error: An API error occurred: channel_not_found", "unknown"),
])
def test_refused_logins_and_platform_codes_are_auth(text, cls):
    assert rules_say(text) == cls
