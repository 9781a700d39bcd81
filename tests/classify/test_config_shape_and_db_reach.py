"""Issue 28: configuration errors recognised by their shape, and a failed connection given to the database
by what it was reaching, in runtimes no rule was written from (each case was misread before the change)."""

import pytest

from rca.classify import signals
from rca.classify.hybrid import classify_text

CONFIG_BY_SHAPE = [
    # a setting's name next to what is wrong with it, in Go, Node, Rust and shell wordings
    "2025/01/03 10:00:01 fatal: BILLING_API_TOKEN must be set",
    "Fatal error: SENTRY_RELEASE_TAG is undefined; refusing to start",
    "thread 'main' panicked at src/main.rs:22:10:\nerror: \"SESSION_SIGNING_KEY not set\"",
    "ledger.errors.ConfigMissing: LEDGER_BUCKET: Environment Variable Not Set",
    # a configuration key for an environment (Rails-like), a file that will not parse or is not there
    "RuntimeError: Missing `signing_secret` for 'production' environment, set this value in `config/secrets.yml`",
    "Error: initializing configuration: While parsing config: yaml: line 9: mapping values are not allowed in this context",
    "panic: error reading config file: open /etc/relay/relay.toml: no such file or directory",
    # a connection string that cannot be parsed names a database, and is still configuration
    "Error: could not parse connection string: postgres://app:p#ss@db:5432/orders",
    "thread 'main' panicked at 'called `Result::unwrap()` on an `Err` value: ConnectParams(\"url: relative URL without a base\")'",
    # a setting's value of the wrong form, and a database URL whose scheme the driver does not take
    "[config] ANALYTICS_SINK_URL must be a valid URL",
    "Error validating datasource `reporting`: the URL must start with the protocol `sqlserver://`.",
]

DATABASE_REACHED = [
    # Elixir: DBConnection and Postgrex, the errno an Erlang atom
    "[error] Postgrex.Protocol (#PID<0.412.0>) failed to connect: ** (DBConnection.ConnectionError) tcp recv: closed",
    "%Postgrex.Error{message: \"tcp connect: econnrefused\", postgres: nil}",
    # Node's Knex and Mongo driver names, PHP's PDO code, a Go ORM saying which connection failed
    "Knex:Error Pool2 - Error: Error allocating resources: connect ECONNREFUSED",
    "Illuminate\\Database\\QueryException: SQLSTATE[HY000] [2002] Connection refused (SQL: select * from `jobs`)",
    "[error] failed to initialize database, got error dial tcp 10.0.0.9:3307: connect: connection refused",
    "SubError [TimeoutError]: Knex: Timeout acquiring a connection. The pool is probably full.",
]

STAY_AS_THEY_ARE = [
    # plain bugs with configuration's words keep no class
    ("Traceback (most recent call last):\n  File \"/app/views.py\", line 31, in profile\n    uid = request.session['user_id']\nKeyError: 'user_id'", "unknown"),
    ("TypeError: Client.__init__() got an unexpected keyword argument 'database_url'", "unknown"),
    ("TypeError: connect() missing 1 required positional argument: 'DB_HOST'", "unknown"),
    ("failed to parse request body: invalid character 'x' looking for beginning of value", "unknown"),
    ("ValueError: amount must be a positive number", "unknown"),
    # a gRPC status word before `Missing` is no setting
    ("google.api_core.exceptions.PermissionDenied: 403 PERMISSION_DENIED: Missing or insufficient permissions.", "auth_rejection"),
    # a connection that is not a database's stays the dependency's; a database connect that ran out of time is a timeout
    ("Error: Redis connection to cache:6379 failed - connect ECONNREFUSED 10.0.0.8:6379", "dependency_connection_failure"),
    ("** (Mint.TransportError) connection refused - :econnrefused", "dependency_connection_failure"),
    ("ORM engine initialization attempt #1/10 failed. Error: dial tcp 127.0.0.1:3306: connect: operation timed out", "timeout"),
]


@pytest.mark.parametrize("text", CONFIG_BY_SHAPE)
def test_configuration_errors_are_known_by_their_shape(text):
    assert classify_text(text, model=None).cls == "config_error"


@pytest.mark.parametrize("text", DATABASE_REACHED)
def test_a_failed_connection_to_a_database_is_the_database_s(text):
    assert classify_text(text, model=None).cls == "db_session_failure"


@pytest.mark.parametrize(("text", "expected"), STAY_AS_THEY_ARE)
def test_near_misses_keep_their_class(text, expected):
    assert classify_text(text, model=None).cls == expected


def test_an_erlang_atom_is_the_errno_it_spells():
    assert "ECONNREFUSED" in signals.parse("tcp connect (db:5432): connection refused - :econnrefused", prose=True).errnos
    assert "EAI_NONAME" in signals.parse("tcp connect: non-existing domain - :nxdomain", prose=True).errnos


def test_database_inside_a_name_is_not_what_was_reached():
    # `database_url` names a setting, not the thing a refused connection was reaching
    parsed = signals.parse("reading database_url from settings: dial tcp 10.0.0.8:8080: connect: connection refused", prose=True)
    assert not parsed.database
