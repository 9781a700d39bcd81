"""The structure of an error text, read before its words: the signals that decide a failure class.

`parse(text, exceptions=None, prose=False)` gives, for a traceback, a log line, a JSON line or an
issue comment: the exception chain's qualified types (innermost first), errno names, exit codes and
signals, HTTP statuses, gRPC status codes, SQLSTATEs and MySQL error numbers, the library packages of
the innermost frames, and whether the failing code reads the environment. With `prose=True`
(pasted snippets and `classify_text` only; never log ingestion) exceptions quoted in sentences or
backticks count too.

`decide(signals)` reads them against the knowledge tables in `rules/knowledge/` (exception
hierarchies of the libraries services use, built by fixtures/knowledge/build.py; errno, SQLSTATE,
MySQL, gRPC and HTTP tables) and gives (class, why) or None. The `knowledge:` rule condition and
the model's signal features both use it.
"""

from __future__ import annotations

import errno as errno_module
import re
import sys
from collections.abc import Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import cast

from rca.classify.callers import CLIENT_HINTS, client_statuses, names_a_time_limit
from rca.classify.classes import SYMPTOM_CLASSES
from rca.classify.shipped import shipped_dir
from rca.classify.substrings import Substrings
from rca.classify.type_words import class_by_type_name
from rca.events.remember import remembered
from rca.events.runtimes import GO_STATUS_HINT, grpc_name, parse_runtime_trace, status_of
from rca.events.runtimes import HINTS as RUNTIME_HINTS

MAX_TEXT = 8000

# Speed (issue 16): re scans fast for a pattern that starts with a literal character, and slowly for
# one that starts with `\b`, a lookbehind, or letters under IGNORECASE. So where a word must start at a
# boundary, the pattern starts with the word's first letter and checks the boundary behind it:
# `E(?<!\wE)RROR` is `\bERROR`; and case-insensitive patterns run case-sensitively on the lower-cased
# text (see _lower_case), which gives the same matches at the same places in an ASCII text.

_SUFFIX = (r"Error|Exception|Exceeded|Expired|Denied|Configured|Unavailable|Unauthenticated|Unauthorized|Forbidden"
           r"|Exhausted|NotFound|DoesNotExist|Failure|Timeout|TimeoutError|Refused|Exit|Interrupt|Warning")
EXCEPTION_NAME = re.compile(
    r"(?<![\w.\-/])((?:[A-Za-z_]\w*\.)*(?:_?(?:[A-Z]\w*?)?(?:" + _SUFFIX + r"|Found)|socket\.timeout|socket\.gaierror))(?![\w\-/])")
BARE_WORDS = frozenset(_SUFFIX.split("|")) | {"Found"}  # `503 Service Unavailable` names no exception
# a line that prints an exception, whatever its name: `hvac.exceptions.Forbidden: ...`
LINE_EXCEPTION = re.compile(r"(?m)(?:^|\] |\| |\"message\": \")((?:[A-Za-z_]\w*\.)+_?[A-Z]\w*)(?=: |:$|$)")
DOTTED_TYPE = re.compile(r"\._?[A-Z]")  # what LINE_EXCEPTION cannot match without; a third of the texts hold it
# Logback's and Log4j's abbreviated logger names (`o.s.b.SpringApplication: Application run failed`): a
# logger printed before its message, not an exception; no Java package starts with two one-letter parts
ABBREVIATED_LOGGER = re.compile(r"[a-z]\.[a-z]\.")
ERRNO_NUMBER = re.compile(r"\[(?:Errno|WinError) (-?\d+)\]|e(?<!\we)rrno[ =:]+(-?\d+)|\((\d{2,3}): [A-Z][a-z]")
ERRNO_NAME = re.compile(r"(E(?<!\wE)(?:[A-Z]{3,14}|AI_[A-Z]+))\b")
STRERRORS = {  # the strerror(3)/gai_strerror(3) wordings that name an errno on their own
    "connection refused": "ECONNREFUSED", "connection timed out": "ETIMEDOUT", "too many open files": "EMFILE",
    "no space left on device": "ENOSPC", "disk quota exceeded": "EDQUOT", "cannot allocate memory": "ENOMEM",
    "connection reset by peer": "ECONNRESET", "broken pipe": "EPIPE", "network is unreachable": "ENETUNREACH",
    "no route to host": "EHOSTUNREACH", "name or service not known": "EAI_NONAME",
    "temporary failure in name resolution": "EAI_AGAIN", "nodename nor servname provided": "EAI_NONAME",
    "no address associated with hostname": "EAI_NODATA", "getaddrinfo failed": "EAI_NONAME",
    "out of memory": "ENOMEM", "resource temporarily unavailable": "EAGAIN",
    # strerror(98), as Go's `listen tcp …: bind:` and Java's BindException print it with no errno number;
    # Django's runserver and Docker's port allocator word the same refusal their own way
    "address already in use": "EADDRINUSE", "that port is already in use": "EADDRINUSE",
    "failed: port is already allocated": "EADDRINUSE",
    # Winsock's wordings (WSAECONNREFUSED, WSAHOST_NOT_FOUND, WSAETIMEDOUT), as .NET and Go on Windows print them
    "actively refused it": "ECONNREFUSED", "no such host is known": "EAI_NONAME",
    "connected party did not properly respond after a period of time": "ETIMEDOUT",
    # WSAEADDRINUSE (10048), as Windows prints it for Python, Go, .NET, nginx and Apache alike: a port in use
    "only one usage of each socket address": "EADDRINUSE",
    "socketexception: connection reset": "ECONNRESET",  # the JVM's wording of ECONNRESET
    ": server misbehaving": "EAI_AGAIN",  # Go's resolver: the DNS server failed to answer
}
# Erlang and Elixir print an errno as a lower-case atom (`tcp connect (db:5432): connection refused -
# :econnrefused`, Postgrex's `tcp connect: nxdomain`): the same errno, in another runtime's spelling
ERLANG_ERRNOS = {"econnrefused": "ECONNREFUSED", "econnreset": "ECONNRESET", "ehostunreach": "EHOSTUNREACH",
                 "enetunreach": "ENETUNREACH", "etimedout": "ETIMEDOUT", "nxdomain": "EAI_NONAME",
                 "eaddrinuse": "EADDRINUSE"}  # Cowboy/Ranch's `{:listen_error, …, :eaddrinuse}`
ERLANG_ERRNO = re.compile(r":( ?)(" + "|".join(ERLANG_ERRNOS) + r")(?![\w])")
STRERROR = re.compile("|".join(re.escape(s) for s in STRERRORS))  # searched in the lower-cased text
# (`Subprocess return code: 137`, `returncode=137`: a subprocess's exit status as Python and build tools word it)
EXIT_CODE = re.compile(r"(?:exit(?:ed)?(?: with)?(?: exit)? (?:code|status)|exit_?code|exitCode|returned non-zero exit status"
                       r"|exit status|return ?code)[\s:=\"']*(-?\d{1,3})\b", re.IGNORECASE)
SIGNAL = re.compile(r"\b(SIG[A-Z]{3,6})\b|\bsignal[ :]+(\d{1,2})\b|\b(OOMKilled)\b|^\s*(Killed)\s*$|\b(Killed) process\b",
                    re.MULTILINE)
HTTP_STATUS = re.compile(  # (`H(?<!\wH)TTP` is `\bHTTP`, as above: each alternative starts with a literal)
    r"(?:H(?<!\wH)TTP(?:/\d(?:\.\d)?)?|s(?<!\ws)tatus(?:[ _]?code)?|r(?<!\wr)esponse code|c(?<!\wc)ode|<Response \["
    r"|E(?<!\wE)rror code)[\s:=\"'\[(]*([1-5]\d\d)\b"
    r"|([1-5](?<!\w[1-5])\d\d) (?:Client Error|Server Error|Too Many Requests|Unauthorized|Forbidden|Service Unavailable"
    r"|Bad Gateway|Gateway Time-?out|Internal Server Error|Not Found|Bad Request|Slow Down|Deadline Exceeded)"
    r"|(?:Error|Exception|Exceeded|Denied|Forbidden|Unavailable|Unauthorized|Unauthenticated|TooManyRequests"
    r"|Exhausted|Gateway|Timeout): ([1-5]\d\d)\b", re.IGNORECASE)
# Where an HTTP_STATUS match can start in the lower-cased text: at one of its words, or three
# characters (a status) before a space and one of its reasons. Each string, with how far before it.
HTTP_STARTS = {word: 0 for word in ("http", "status", "response code", "code", "<response [", "error code")}
HTTP_STARTS |= {f"{word}: ": 0 for word in ("error", "exception", "exceeded", "denied", "forbidden", "unavailable", "unauthorized",
                                             "unauthenticated", "toomanyrequests", "exhausted", "gateway", "timeout")}
HTTP_STARTS |= {f" {reason}": 3 for reason in ("client error", "server error", "too many requests", "unauthorized", "forbidden",
                                               "service unavailable", "bad gateway", "gateway time", "internal server error",
                                               "not found", "bad request", "slow down", "deadline exceeded")}
HTTP_WORDS = Substrings(folded=HTTP_STARTS)
# a number that may be a status: three digits, not part of a longer number nor a frame's `line 123`;
# a text without one is not searched for statuses
STATUS_LIKE = re.compile(r"[1-5](?<!\d[1-5])(?<!line [1-5])\d\d(?!\d)")  # (?<!\d)(?<!line )[1-5]\d\d(?!\d)
GRPC_CODE = re.compile(r"\b(?:StatusCode\.)?(DEADLINE_EXCEEDED|UNAVAILABLE|UNAUTHENTICATED|PERMISSION_DENIED"
                       r"|RESOURCE_EXHAUSTED|CANCELLED|INTERNAL|NOT_FOUND|INVALID_ARGUMENT|ABORTED|UNKNOWN)\b")
SQLSTATE = re.compile(r"(?:SQLSTATE|sqlstate|pgcode|SQL state|sql_state)[\s\[\]:=\"']*([0-9A-Z]{5})\b")
MYSQL_ERROR = re.compile(r"\((\d{4}), u?[\"']|E(?<!\wE)(?:RROR (\d{4}) \(|rror(?: Code)?:? (\d{4})\b)|e(?<!\we)rrno (\d{4})\b")
# What ERRNO_NUMBER and MYSQL_ERROR cannot match without, alternative by alternative. Both stop at
# every `e` of a text; these look for literals, and a tenth of the texts hold one.
ERRNO_PAREN = re.compile(r"\(\d\d\d?: [A-Z][a-z]")
MYSQL_PAREN = re.compile(r"\(\d{4}, u?[\"']")
MYSQL_CODE = re.compile(r"rror(?: Code)?:? \d{4}")
SYMPTOM = re.compile(r"probe failed|\bcode=H\d\d\b|Back-off restarting|CrashLoopBackOff|Worker failed to boot"
                     r"|State changed from \w+ to crashed|App crashed|failed to start|Failed with result", re.IGNORECASE)
FRAME_FILE = re.compile(r'^\s*File "([^"]+)", line \d+', re.MULTILINE)
PACKAGE = re.compile(r"(?:site|dist)-packages[/\\]([A-Za-z_]\w*)")
STDLIB_PACKAGE = re.compile(r"[/\\]lib[/\\]python[\d.]*[/\\]([A-Za-z_]\w*)")
ENVIRON = re.compile(r"\bos\.environ\b|\bgetenv\(|\bself\.ENVIRON\[")
ENVIRON_FRAME = re.compile(r'File "[^"]*(?:[/\\]os\.py|UserDict\.py|[/\\]environ[/\\]environ\.py)"')
UNDEFINED_NAME = re.compile(r"NameError: (?:global )?name '(\w+)' is not defined")  # `global name`: Python 2
QUOTED_KEY = re.compile(r"^KeyError: ['\"]([A-Z][A-Z0-9_]{2,})['\"]$", re.MULTILINE)

# What a failed connection was reaching, in any runtime (issue 28): a database when the text names a
# database driver, ORM or pool, a database's exception type, port, URL scheme or DSN, or says in words that
# the database is what it could not reach; a refused connection to one is the database's (docs/CLASSES.md),
# as a Python driver's frames say for Python. Each entry: the literal that must be in the text (found by one
# scan, see literals()) and the pattern that confirms it; most texts hold none, and nothing runs.
DATABASE_EVIDENCE: tuple[tuple[str, str], ...] = (
    # Java: JDBC drivers, Hibernate, HikariCP, Spring's JDBC wrappers, the Mongo driver
    ("org.", r"org\.(?:postgresql|mariadb|hibernate|springframework\.jdbc)\."), ("com.", r"com\.(?:mysql|zaxxer\.hikari|mongodb)\."),
    ("java.sql", r"java\.sql\."), ("jdbc:", r"j(?<!\wj)dbc:\w+:"),
    # Node: drivers and ORMs by their package path or their own names
    ("node_modules/", r"node_modules/(?:pg|pg-pool|mysql2?|mongodb|mongoose|sequelize|knex|typeorm|@prisma/client|tedious|mssql)/"),
    ("Sequelize", r"S(?<!\wS)equelize\w*Error"), ("Knex", r"K(?<!\wK)nex(?::|\b)"), ("TypeORM", r"T(?<!\wT)ypeORM"),
    ("Mongo", r"M(?<!\wM)ongo(?:Network|ServerSelection|Timeout|Pool\w*)?Error\b"),
    # Go: drivers and ORMs by their module path or their own prefixes
    ("github.com/", r"github\.com/(?:lib/pq|jackc/pgx|go-sql-driver/mysql|go-gorm|jinzhu/gorm|denisenkom/go-mssqldb)"),
    ("pq: ", r"p(?<!\wp)q: "), ("@tcp(", r"@tcp\("),
    # Elixir (DBConnection, Postgrex, MyXQL, Ecto), Ruby (ActiveRecord, pg, mysql2, Sequel), .NET (Npgsql,
    # SqlClient, MySqlConnector), PHP (PDO's SQLSTATE[…], Doctrine DBAL), Rust (sqlx, diesel, tokio-postgres)
    ("DBConnection", r"D(?<!\wD)BConnection\."), ("Postgrex", r"P(?<!\wP)ostgrex\b"), ("MyXQL", r"M(?<!\wM)yXQL\b"),
    ("ActiveRecord::", r"A(?<!\wA)ctiveRecord::"), ("PG::", r"P(?<![\w:]P)G::[A-Z]"), ("Mysql2::", r"M(?<!\wM)ysql2::"),
    ("Npgsql", r"N(?<!\wN)pgsql"), ("SqlClient", r"S(?<!\wS)qlClient"), ("SqlException", r"S(?<!\wS)qlException\b"),
    ("MySqlConnector", r"M(?<!\wM)ySqlConnector"), ("SQLSTATE[", r"SQLSTATE\[\w{5}\]"), ("PDOException", r"P(?<!\wP)DOException"),
    ("Doctrine", r"D(?<!\wD)octrine\\+DBAL"), ("sqlx", r"s(?<!\ws)qlx::"), ("diesel", r"d(?<!\wd)iesel::"),
    ("tokio_postgres", r"t(?<!\wt)okio_postgres"),
    # (issue 28, classify23) MongoDB's Python driver by its name or its reconnect error; libpq's and PgJDBC's own hint
    # line after a refusal (`Is the server running on that host and accepting TCP/IP connections?`, `… that the
    # postmaster is accepting TCP/IP connections`), whatever the port; a Postgres client's own error type (Swift's
    # PostgresClientKit, Dart's postgres); a database driver's frame however the log prefixes the traceback
    ("pymongo", r"p(?<!\wp)ymongo\b"), ("AutoReconnect", r"A(?<!\wA)utoReconnect\b"),
    ("accepting TCP/IP connections", r"accepting TCP/IP connections"),
    ("Postgres", r"P(?<!\wP)ostgres(?:ql)?(?:Client)?(?:Error|Exception)\b"),
)
# (the driver's frame is searched on its own, after a plain `in`: most Python tracebacks hold `-packages/`, and the
# alternation above costs more than this one on each of them)
DRIVER_FRAME = re.compile(r"-packages/(?:psycopg2?|asyncpg|pymysql|MySQLdb|aiomysql|aiopg|pymongo|motor|cx_Oracle|oracledb|pyodbc)/")
DRIVER_HINTS = tuple(hint for hint, _ in DATABASE_EVIDENCE)
DATABASE_DRIVERS = re.compile("|".join(pattern for _, pattern in DATABASE_EVIDENCE))
# `host:5432`, `[::1]:3306`, `port: 5432`; each alternative starts with a literal (see Speed above)
DATABASE_PORTS = re.compile(r":(?<=[\w\]]:)(?:5432|3306|27017|1433|1521|26257|6432)(?!\d)"
                            r"|p(?<!\wp)ort:? (?:5432|3306|27017|1433|1521|26257|6432)(?!\d)")
PORT_HINTS = ("5432", "3306", "27017", "1433", "1521", "26257", "6432")  # 6432: PgBouncer's
# A database's connection URL, or a host named for its database (`lookup postgres`, `ENOTFOUND mysql`: a
# compose service's name) that a client could not resolve: the address is the database's
_DB_HOST = r"(?:postgres(?:ql)?|mysql|mariadb|mongo(?:db)?|pgbouncer|db|database)(?![\w.-])"
DATABASE_ADDRESS = re.compile(r"(?:postgres(?:ql)?|mysql|mariadb|mongodb(?:\+srv)?|sqlserver|mssql|cockroachdb)://"
                              rf"|lookup {_DB_HOST}|ENOTFOUND {_DB_HOST}|EAI_AGAIN {_DB_HOST}")
ADDRESS_HINTS = ("://", "lookup ", "ENOTFOUND ", "EAI_AGAIN ")
# The text saying in words that a database is what it failed to reach (`failed to connect data database`,
# `failed to initialize database`, `Database Exception`), searched in the lower-cased text; `database`
# as a word inside a name (`database_url`, `databases`) does not count
DATABASE_TARGET = re.compile(r"(?:connect\w*|reach|initiali[sz]e|open|read|ping)(?: to)?(?: the| data| \w+)? d(?<!\wd)atabase(?![\w.])"
                             r"|d(?<!\wd)atabase (?:connection|error|exception)\b")
TARGET_HINT = "database"


def _names_a_database(text: str, held: set[str], lower: str, folded_held: set[str]) -> bool:
    """Whether the text names a database as what it reaches (DATABASE_EVIDENCE, ports, addresses, words);
    `held`/`folded_held`: the literals() it holds (few texts hold a hint of any)."""
    if not held.isdisjoint(PORT_HINTS) and DATABASE_PORTS.search(text):
        return True
    if not held.isdisjoint(ADDRESS_HINTS) and DATABASE_ADDRESS.search(text):
        return True
    if not held.isdisjoint(DRIVER_HINTS) and DATABASE_DRIVERS.search(text) is not None:
        return True
    if "-packages/" in text and DRIVER_FRAME.search(text) is not None:
        return True
    return TARGET_HINT in folded_held and DATABASE_TARGET.search(lower) is not None


# packages whose frames say which kind of dependency a connection error belongs to
DB_PACKAGES = frozenset({"psycopg2", "psycopg", "asyncpg", "pymysql", "MySQLdb", "mysql", "sqlalchemy", "django",
                         "aiomysql", "aiopg", "sqlite3", "cx_Oracle", "oracledb", "pyodbc",
                         "tortoise", "peewee", "databases"})


@dataclass(frozen=True)
class Signals:
    exceptions: tuple[str, ...] = ()  # qualified types, innermost first
    errnos: tuple[str, ...] = ()  # ECONNREFUSED, ...
    exit_codes: tuple[int, ...] = ()
    signals: tuple[str, ...] = ()  # SIGKILL, OOMKilled, Killed
    http: tuple[int, ...] = ()
    grpc: tuple[str, ...] = ()
    sqlstates: tuple[str, ...] = ()
    mysql: tuple[int, ...] = ()
    packages: tuple[str, ...] = ()  # of the frames, innermost first
    own_modules: tuple[str, ...] = ()  # the application's own frames' files as dotted paths (`web.api.open_live`)
    environ: bool = False
    env_key: str | None = None  # KeyError: 'DATABASE_URL'
    undefined: str | None = None  # NameError: name 'os' is not defined
    # whether the source lines the text shows use that name as a module (`os.path`); None: no source line shown
    used_as_module: bool | None = None
    phrases: tuple[str, ...] = ()  # the classes of the knowledge phrases the text holds, in table order
    symptom: bool = False  # a probe, a crash loop, a router error: the service's own state
    platform: tuple[str, ...] = ()  # the classes of the platform codes the text holds (rules/knowledge/platforms.yaml)
    database: bool = False  # another runtime's database driver, or a database's port, in the text
    reported: tuple[str, ...] = ()  # errno names another runtime's exceptions carry (Node's `code: 'ECONNREFUSED'`)
    client: bool = False  # a client's own wording of the status it was answered (rca/classify/callers.py)

    def tokens(self) -> list[str]:
        """The signals as words for the model (`exc:…`, `errno:…`, `knows:…`)."""
        words = [f"exc:{name}" for name in self.exceptions[:4]]
        words += [f"exc:{name.rsplit('.', 1)[-1]}" for name in self.exceptions[:4] if "." in name]
        words += [f"errno:{e}" for e in self.errnos] + [f"exit:{c}" for c in self.exit_codes]
        words += [f"sig:{s}" for s in self.signals] + [f"http:{h}" for h in self.http] + [f"http:{h // 100}xx" for h in self.http]
        words += [f"grpc:{g}" for g in self.grpc] + [f"sqlstate:{s}" for s in self.sqlstates]
        words += [f"sqlstate:{s[:2]}" for s in self.sqlstates] + [f"mysql:{m}" for m in self.mysql]
        words += [f"pkg:{p}" for p in self.packages[:3]]
        if self.environ:
            words.append("environ")
        if self.database:
            words.append("database")
        if self.env_key:
            words.append("envkey")
        if self.undefined:
            module = self.undefined in knowledge().stdlib and self.used_as_module is not False
            words.append("undefined:module" if module else "undefined:name")
        decided = decide(self)
        words += [f"phrase:{p}" for p in self.phrases] + [f"platform:{p}" for p in self.platform]
        if self.symptom:
            words.append("symptom")
        words.append(f"knows:{decided[0] if decided else 'nothing'}")
        return words


def _unique(items: Sequence) -> tuple:
    """The items in order, each once, None left out (most lists are empty: nothing to do)."""
    if not items:
        return ()
    unique = dict.fromkeys(items)
    unique.pop(None, None)
    return tuple(unique)


ERRNO_NAMES = errno_module.errorcode
KILL_EXITS = (137, -137, -9)  # 128 + SIGKILL, and SIGKILL as a negative return code


def parse(text: str, exceptions=None, prose: bool = False) -> Signals:
    """The signals of one text. `exceptions`: the chain the traceback parser found (ParsedException,
    innermost first), for a log event; `prose` (a pasted snippet): every exception named in the text,
    in the order printed (a chain prints its innermost cause first). Snippets are parsed once and
    remembered, so that the rules and the model share the work."""
    if prose:
        return _parse_prose(text[:MAX_TEXT])
    chain = [e.type for e in exceptions] if exceptions else None
    statuses = tuple(e.status for e in exceptions if e.status) if exceptions else ()
    return _parse(text[:MAX_TEXT], chain, statuses=statuses)


# Snippets' signals kept while recent (rca.events.remember), up to 8 kB a text as a text's facts are
# (FACTS_TEXT_BYTES): 4,096 texts, 32 MB of keys at most. Kept by count alone, MAX_TEXT characters of
# four bytes each would be 32 kB a text, 128 MB in all.
PROSE_KEPT, PROSE_TEXT_BYTES = 1 << 12, 8192


@remembered(PROSE_KEPT, PROSE_TEXT_BYTES)
def _parse_prose(text: str) -> Signals:
    return _parse(text, None, prose=True)


# Literals without which a pattern cannot match: the pattern runs only on a text holding one (sets,
# compared with the few literals literals() finds in a text)
GRPC_WORDS = frozenset({"DEADLINE_EXCEEDED", "UNAVAILABLE", "UNAUTHENTICATED", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED",
                        "CANCELLED", "INTERNAL", "NOT_FOUND", "INVALID_ARGUMENT", "ABORTED", "UNKNOWN"})
SIGNAL_HINTS = frozenset({"SIG", "signal", "Killed", "OOM"})
SYMPTOM_HINTS = frozenset({"probe failed", "code=h", "back-off", "crashloop", "failed to boot", "to crashed", "app crashed",
                           "failed to start", "failed with result"})
STRERROR_WORDINGS = frozenset(STRERRORS)


def _parse(text: str, chain: list[str] | None, prose: bool = False, statuses: tuple[str, ...] = ()) -> Signals:
    facts = _text_facts(text)
    names, statuses = _exception_names(text, chain, prose, statuses, facts.held, facts.code)
    grpc, reported = _runtime_statuses(statuses, facts.go_statuses)
    if facts.undefined:  # the name a NameError says is not defined was never raised (`name 'NoCredentialsError' is not defined`);
        names = [name for name in names if name != facts.undefined]  # a qualified one printed elsewhere was (subprocess.…)
    return Signals(
        exceptions=_unique(names), errnos=_unique([*facts.errnos, *reported, *facts.strerrors]),
        exit_codes=_unique(facts.exit_codes),
        signals=_unique(facts.signals), http=facts.http, client=facts.client,
        grpc=_unique([*grpc, *facts.grpc_codes]), sqlstates=facts.sqlstates, mysql=facts.mysql,
        packages=_unique([*facts.packages, *(name.split(".")[0] for name in names if "." in name)]),
        own_modules=facts.own_modules,
        environ=facts.environ, env_key=facts.env_key, undefined=facts.undefined, used_as_module=facts.used_as_module,
        phrases=facts.phrases, platform=facts.platform, symptom=facts.symptom, reported=_unique(reported),
        database=facts.database,
    )


@dataclass(frozen=True)
class _TextFacts:
    """What `_parse` reads of a text whatever the reading (a log event's chain, or a snippet's prose): all
    of it but the exception names and the statuses their exceptions carry. The rules read an event's text
    as a log line and the model reads the same text as prose (rca.classify.model): kept per text
    (`_text_facts`), the scans below run once for both. Tuples and frozensets only: one value is shared by every reading."""

    held: frozenset[str]  # the literals() the text holds, and those the lower-cased text holds
    folded_held: frozenset[str]
    errnos: tuple  # named by number, name or Erlang atom (before any a runtime's exceptions report)
    strerrors: tuple  # named by their strerror wording (after those)
    go_statuses: tuple[str, ...]  # Go's `rpc error: code = …` wherever a line prints it
    signals: tuple
    http: tuple[int, ...]
    client: bool
    grpc_codes: tuple[str, ...]
    sqlstates: tuple[str, ...]
    mysql: tuple[int, ...]
    packages: tuple[str, ...]  # of the frames, innermost first
    own_modules: tuple[str, ...]
    environ: bool
    env_key: str | None
    undefined: str | None
    used_as_module: bool | None
    phrases: tuple[str, ...]
    platform: tuple[str, ...]
    exit_codes: tuple[int, ...]
    symptom: bool
    database: bool
    code: tuple[tuple[int, int], ...]  # the spans of a Python traceback's source lines (what the program runs, not what it printed)


# Texts whose facts are kept (rca.events.remember): an analysis classifies each distinct text of the
# groups' first events by the rules and then by the model, so a text is asked for twice, ~2k texts
# apart in a flood. Up to 8 kB each (MAX_TEXT characters of ASCII; a text of wider characters only if
# shorter): the keys hold 16 MB at most, a flood's ~2k texts of about a kilobyte a few MB.
FACTS_KEPT, FACTS_TEXT_BYTES = 1 << 11, 8192


@remembered(FACTS_KEPT, FACTS_TEXT_BYTES)
def _text_facts(text: str) -> _TextFacts:
    lower = text.lower()
    held, folded_held = literals().find(text, lower)
    errnos, errno_text, strerrors = _errnos(text, lower, held, folded_held)
    signals = _signal_names(text) if not held.isdisjoint(SIGNAL_HINTS) else []
    code = _source_line_spans(text) if 'File "' in text else []
    http = _http_answers(text, lower, code) if STATUS_LIKE.search(text) else []
    answered = client_statuses(text, folded_held)
    mysql = [int(next(g for g in m.groups() if g)) for m in MYSQL_ERROR.finditer(text)] if _may_name_mysql(text) else []
    files = FRAME_FILE.findall(text) if 'File "' in text else []
    environ, env_key = _environment(text, files)
    undefined, used_as_module = _undefined_name(text, code) if "NameError" in text else (None, None)
    platform, phrases, platform_kill = knowledge().wordings(_blanked(text, code) if code else text, folded_held)
    exit_codes = [int(m.group(1)) for m in _finditer_folded(EXIT_CODE, text, lower)] \
        if ("exit" in lower or "return code" in lower or "returncode" in lower) else []
    if platform_kill:  # the platform killed the process for a reason it names: its 137 and SIGKILL are that kill
        exit_codes = [code for code in exit_codes if code not in KILL_EXITS]
        signals = [name for name in signals if name != "SIGKILL"]
    go_statuses = [status for line in errno_text.split("\n") if GO_STATUS_HINT in line and (status := status_of(line))] \
        if GO_STATUS_HINT in held else []
    return _TextFacts(
        held=frozenset(held), folded_held=frozenset(folded_held), errnos=tuple(errnos), strerrors=tuple(strerrors),
        go_statuses=tuple(go_statuses), signals=tuple(signals), http=_unique([h for h in http + answered if 100 <= h <= 599]),
        client=bool(answered), grpc_codes=tuple(GRPC_CODE.findall(text)) if not held.isdisjoint(GRPC_WORDS) else (),
        sqlstates=_unique(SQLSTATE.findall(text)) if ("sql" in lower or "pgcode" in lower) else (),
        mysql=_unique([m for m in mysql if 1000 <= m <= 9999]), packages=tuple(_frame_packages(files)),
        own_modules=tuple(_own_modules(files)),
        environ=bool(environ), env_key=env_key, undefined=undefined, used_as_module=used_as_module,
        phrases=phrases, platform=platform, exit_codes=tuple(exit_codes),
        symptom=not folded_held.isdisjoint(SYMPTOM_HINTS) and bool(SYMPTOM.search(text)),
        database=_names_a_database(text, held, lower, folded_held),
        code=tuple(code),
    )


def _exception_names(text: str, chain: list[str] | None, prose: bool, statuses: tuple[str, ...],
                     held: AbstractSet[str], code: tuple[tuple[int, int], ...] = ()) -> tuple[list[str], tuple[str, ...]]:
    """The exception types the text names, innermost first, and the statuses their exceptions carry."""
    # Another runtime prints its chain outermost first (Java's `Caused by:`, Node's `cause:`): in a snippet,
    # its parsed chain gives the order, innermost first, and the statuses its exceptions carry.
    if prose and not held.isdisjoint(RUNTIME_HINTS) and (trace := parse_runtime_trace(text)) is not None:
        chain, prose = [e.type for e in trace.exceptions], False
        statuses = tuple(e.status for e in trace.exceptions if e.status)
    if chain and not prose:
        names = list(chain)
    elif prose:
        named = [(m.start(1), m.group(1)) for m in exception_names(text)]
        if DOTTED_TYPE.search(text):
            named += [(m.start(1), m.group(1)) for m in LINE_EXCEPTION.finditer(text)
                      if not ABBREVIATED_LOGGER.match(m.group(1))]
        # a name on a traceback's source line is code, not an exception raised: `except subprocess.TimeoutExpired:`,
        # `httpx.Timeout(15.0, connect_timeout=30.0)` (structure before words, docs/CLASSES.md); what was raised
        # is on the exception's own line, or on a `raise` line where a pasted traceback stops short of it
        names = [name for at, name in sorted(named) if name not in BARE_WORDS and not _in_code(text, at, code)]
    else:  # a log line: exceptions named where a line prints them (`pkg.Error: message`)
        names = [m.group(1) for m in exception_names(text) if text[m.end():m.end() + 1] in (":", "") or
                 text[m.start() - 1:m.start()] in ("(", "<", "'")]
    if ORIGINAL_MARK in text:
        names = _original_first(text, names)
    elif prose and CAUSED_BY in text:
        names = _last_cause_first(text, names)
    return names, statuses


# Java prints its chain outermost first, each cause on a `Caused by:` line; a pasted chain with no frames is not
# parsed as a trace (rca.events.runtimes needs frames), so its innermost cause is the last `Caused by:` type
CAUSED_BY = "Caused by: "
CAUSE_LINE = re.compile(r"^\s*Caused by: ((?:[A-Za-z_$][\w$]*\.)*[A-Za-z_$][\w$]*)", re.MULTILINE)


def _last_cause_first(text: str, names: list[str]) -> list[str]:
    causes = [name for name in reversed(CAUSE_LINE.findall(text)) if name in names]
    return causes + [name for name in names if name not in causes]


def _errnos(text: str, lower: str, held: set[str], folded_held: set[str]) -> tuple[list, str, list]:
    """The errnos the text names by number, name or Erlang atom, and by strerror wording, read with the
    service's own proxy's lines left out (that text is returned too: Go's statuses are read from it)."""
    errnos = []
    errno_text = knowledge().without_own_proxy_lines(_without_own_proxy_lines(text), folded_held)
    errno_lower = lower if errno_text is text else errno_text.lower()
    if _may_name_errno(text):
        for match in ERRNO_NUMBER.finditer(errno_text):
            errno_number = int(next(g for g in match.groups() if g))
            errnos.append(ERRNO_NAMES.get(abs(errno_number)))
    errnos += [name for name in ERRNO_NAME.findall(errno_text) if name in ERRNO_NAME_SET]
    if not folded_held.isdisjoint(ERLANG_ERRNOS):  # an atom is lower case: the scan runs where one is
        errnos += [ERLANG_ERRNOS[m.group(2)] for m in ERLANG_ERRNO.finditer(text)]
    strerrors = []
    if not folded_held.isdisjoint(STRERROR_WORDINGS):  # most texts hold none: the scan runs only where one is
        strerrors = [STRERRORS[m.group(0)] for m in STRERROR.finditer(errno_lower)]
    return errnos, errno_text, strerrors


def _signal_names(text: str) -> list:
    names = []
    for match in SIGNAL.finditer(text):
        name, number, oom, killed, killed_process = match.groups()
        if number:
            name = {9: "SIGKILL", 15: "SIGTERM", 11: "SIGSEGV", 6: "SIGABRT"}.get(int(number))
        names.append(name or oom or killed or killed_process)
    return names


def _http_answers(text: str, lower: str, code: list[tuple[int, int]]) -> list[int]:
    answers = []
    for match in _http_statuses(text, lower):
        # `status_code == 401` compares a status in code (a test's expectation), it is not an answer
        if "==" not in match.group(0) and not any(start <= match.start() < end for start, end in code):
            answers.append(int(next(g for g in match.groups() if g)))
    return answers


def _own_modules(files: list[str]) -> list[str]:
    """The frames' files outside any installed package or the standard library, as dotted paths without `.py`
    (`/srv/chat/web/api/open_live.py` -> `srv.chat.web.api.open_live`): the application's own modules."""
    return [path for file in files if file.endswith(".py") and not (PACKAGE.search(file) or PYTHON_HOME.search(file))
            and (path := file[:-3].strip("/\\").replace("/", ".").replace("\\", "."))]


# An interpreter's own tree (`/usr/lib/python3.8/`, `C:\Python27\lib\`, `~/.pyenv/versions/3.11.7/`): its modules are the standard library's
PYTHON_HOME = re.compile(r"(?i)[/\\](?:python\d[\w.]*|versions[/\\]\d[\w.]*)[/\\]")


def _frame_packages(files: list[str]) -> list[str]:
    """The packages of the frames, innermost first (those of the dotted exception names follow them)."""
    packages = []
    for file in reversed(files):
        found = PACKAGE.search(file) or STDLIB_PACKAGE.search(file)
        if found:
            packages.append(found.group(1))
    return packages


def _environment(text: str, files: list[str]) -> tuple[bool | None, str | None]:
    """Whether the failing line reads the environment, and the key a KeyError raised from os.environ names."""
    environ = env_key = None
    if "environ" in text or "getenv" in text or "ENVIRON" in text:
        code_lines = [line for line in text.splitlines() if line.startswith("    ") and not line.lstrip().startswith("File ")]
        # the failing line reads the environment (os.py's own __getitem__ frame may follow it)
        environ = any(ENVIRON.search(line) for line in code_lines[-3:]) or bool(ENVIRON.search("\n".join(text.splitlines()[-4:])))
    if "KeyError" in text and (key := QUOTED_KEY.search(text)):
        if not files or ENVIRON_FRAME.search(f'File "{files[-1]}"'):
            env_key = key.group(1)
    return environ, env_key


def _undefined_name(text: str, code: list[tuple[int, int]]) -> tuple[str | None, bool | None]:
    """The name a NameError says is not defined, and whether the code uses it as a module (`name.attr`)."""
    found = UNDEFINED_NAME.search(text)
    if found is None:
        return None, None
    undefined = found.group(1)
    if not code:
        return undefined, None
    # structure before words: a module name used as a plain value is a local the code never set
    module_use = re.compile(rf"(?<![\w.]){re.escape(undefined)}\s*\.\s*[A-Za-z_]")
    return undefined, any(module_use.search(text, start, end) for start, end in code)


# SQLAlchemy names the exception that broke a session inside the later error's message: that one is the
# innermost cause (a UniqueViolation behind a rolled-back session is a data bug, not a session failure)
# (its autoflush note `(raised as a result of Query-invoked autoflush; …)` may come first, and a pasted message
# may be wrapped across lines)
ORIGINAL_MARK = "Original"
ORIGINAL_EXCEPTION = re.compile(r"Original\s+exception\s+was:\s+(?:\(raised as a result of [^)]*\)\s*(?:E\s+)?)?\(([A-Za-z_][\w.]*)\)")


def _original_first(text: str, names: list[str]) -> list[str]:
    originals = [m.group(1) for m in ORIGINAL_EXCEPTION.finditer(text)]
    return originals + [name for name in names if name not in originals]


def _runtime_statuses(statuses: tuple[str, ...], go_statuses: tuple[str, ...]) -> tuple[list[str], list[str]]:
    """The gRPC codes and errno names that another runtime's exceptions report (rca.events.runtimes),
    and Go's `rpc error: code = DeadlineExceeded` wherever a line prints it (GRPC_CODE reads only the
    upper-case spelling)."""
    found = [*statuses, *go_statuses]
    grpc = [status for status in found if grpc_name(status) == status]
    return grpc, [status for status in found if status.startswith("E") and status in ERRNO_NAME_SET]


@lru_cache(maxsize=1)
def literals() -> Substrings:
    """The literals _parse asks every text about, found in one scan (rca.classify.substrings): the signal
    hints, gRPC code names, other runtimes' and databases' hints as written; the strerror wordings, the symptom hints and the knowledge
    phrases' anchors in the lower-cased text."""
    return Substrings(exact=(*SIGNAL_HINTS, *GRPC_WORDS, *RUNTIME_HINTS, *PORT_HINTS, *DRIVER_HINTS, *ADDRESS_HINTS,
                             GO_STATUS_HINT),
                      folded=(*STRERRORS, *SYMPTOM_HINTS, TARGET_HINT, *ERLANG_ERRNOS, *CLIENT_HINTS, *knowledge().anchors))


ERRNO_NAME_SET = frozenset(ERRNO_NAMES.values()) | {"EAI_NONAME", "EAI_AGAIN", "EAI_NODATA", "ENOTFOUND"}  # Node's getaddrinfo

# EXCEPTION_NAME's word endings, found by one scan for literals
NAME_ENDING = re.compile("|".join(sorted(BARE_WORDS)) + r"|socket\.")


def exception_names(text: str) -> list[re.Match]:
    """EXCEPTION_NAME.finditer(text), without trying the pattern at every word. A match starts where
    a run of word characters, dots, hyphens and slashes starts (its lookbehind), so there is at most one per run,
    and it ends in one of the words of NAME_ENDING; so the pattern is tried only at the start of the
    runs that hold such a word."""
    ends = [m.start() for m in NAME_ENDING.finditer(text)]
    if not ends:
        return []
    backwards = text[::-1]
    starts = dict.fromkeys(run_start(backwards, at, RUN) for at in ends)
    return [m for m in (EXCEPTION_NAME.match(text, start) for start in starts) if m is not None]


RUN = re.compile(r"[\w.\-/]*")


def run_start(backwards: str, at: int, run) -> int:
    """Where the run of characters `run` matches (a pattern of one repeated class, such as
    `[\\w.]*`) that ends at `at` starts: the run read forwards in the reversed text (`backwards`),
    by the regular expression engine rather than a Python loop."""
    size = len(backwards)
    found = run.match(backwards, size - at)  # (it matches the empty run, so always: the check narrows the Optional)
    return size - found.end() if found is not None else at


def _lower_case(pattern: re.Pattern) -> re.Pattern:
    """A case-insensitive pattern, lower-cased, for the lower-cased text (none of its escapes is an
    upper-case letter, so only its letters change)."""
    if re.search(r"\\[A-Z]", pattern.pattern):
        raise ValueError(f"cannot lower-case {pattern.pattern!r}: an escape would change meaning")
    return re.compile(pattern.pattern.lower(), pattern.flags & ~re.IGNORECASE)


LOWER_CASE = {pattern: _lower_case(pattern) for pattern in (HTTP_STATUS, EXIT_CODE)}


def _finditer_folded(pattern: re.Pattern, text: str, lower: str):
    """pattern.finditer(text) for a case-insensitive pattern, several times faster on an ASCII text,
    where lower-casing keeps every character in its place and case-folding agrees with it."""
    return LOWER_CASE[pattern].finditer(lower) if text.isascii() else pattern.finditer(text)


# nginx's own error-log line about the application it fronts: its refused connection or missing socket is
# the service itself down (rules/service_unavailable.yaml), not a dependency's errno; a time-out there stays one.
# errno 111 in any libc's wording (musl prints `111: Unknown error`), and 113, the app's host not reachable.
OWN_PROXY_LINE = re.compile(r"^.*connect\(\) (?:to \S+ )?failed \((?:111: [A-Z][\w ]*|113: [A-Z][\w ]*|2: No such file or directory)\) "
                            r"while connecting to upstream, client: .*$", re.MULTILINE)
# the same view from Apache's mod_proxy (AH00957 connect failed, AH01114 no connection to the backend, AH00940
# and AH00959 the backend worker disabled) and HAProxy's health check marking its server DOWN (issue 28, classify13)
OTHER_PROXY_LINE = re.compile(r"^.*(?:AH00957: |AH01114: |AH00940: |AH00959: |is DOWN, reason: Layer4 connection problem).*$",
                              re.MULTILINE)
OTHER_PROXY_HINTS = ("AH00957: ", "AH01114: ", "AH00940: ", "AH00959: ", "is DOWN, reason: Layer4 connection problem")


def _without_own_proxy_lines(text: str) -> str:
    if "while connecting to upstream, client: " in text:
        text = OWN_PROXY_LINE.sub("", text)
    if any(hint in text for hint in OTHER_PROXY_HINTS):
        text = OTHER_PROXY_LINE.sub("", text)
    return text


def _may_name_errno(text: str) -> bool:
    return "errno" in text or "[Errno " in text or "[WinError " in text or ERRNO_PAREN.search(text) is not None


def _may_name_mysql(text: str) -> bool:
    return "RROR " in text or "errno " in text or MYSQL_PAREN.search(text) is not None or MYSQL_CODE.search(text) is not None


# the source line a traceback prints under each frame: a status written in the code (`status_code=401`) is
# an argument, not what a request answered (docs/CLASSES.md: keyword arguments do not decide a class)
# A source line is indented past its `File` line: a frame that shows none (`<string>`, `<frozen runpy>`)
# is followed by the next frame's `File` line or the exception's, and neither is its source.
SOURCE_LINE = re.compile(r'^([ \t]*)File "[^"]+", line \d+[^\n]*\n(\1[ \t]+[^\n]*)', re.MULTILINE)


def _source_line_spans(text: str) -> list[tuple[int, int]]:
    return [match.span(2) for match in SOURCE_LINE.finditer(text)]


def _in_code(text: str, at: int, spans: tuple[tuple[int, int], ...]) -> bool:
    """Whether position `at` lies on a source line (one of `spans`) other than a `raise` statement."""
    for start, end in spans:
        if start <= at < end:
            return not text[start:end].lstrip().startswith("raise ")
    return False


def _blanked(text: str, spans: list[tuple[int, int]]) -> str:
    """The text with the given spans (source lines) as spaces: what the program printed, not its code."""
    parts, at = [], 0
    for start, end in spans:
        parts += [text[at:start], " " * (end - start)]
        at = end
    return "".join(parts) + text[at:]


def _merged(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Sorted spans with overlapping ones joined (two entries may match the same line)."""
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def _http_statuses(text: str, lower: str) -> list[re.Match]:
    """HTTP_STATUS.finditer(text). On an ASCII text the pattern is tried only where a match can start
    (HTTP_STARTS), in order and past the previous match, as finditer would come to them, instead of
    at every position of the text."""
    if not text.isascii():
        return list(HTTP_STATUS.finditer(text))
    pattern, found, after = LOWER_CASE[HTTP_STATUS], [], 0
    for start in sorted({at - HTTP_STARTS[word] for at, word in HTTP_WORDS.occurrences(lower)}):
        if start >= after and (match := pattern.match(lower, start)) is not None:
            found.append(match)
            after = match.end()
    return found


# ---- the knowledge tables ------------------------------------------------------------------------

def knowledge_dir() -> Path:
    return shipped_dir("rca.packs") / "knowledge"


@dataclass
class Knowledge:
    exceptions: dict  # qualified name -> class
    short: dict  # short name -> class, where every qualified name with that short name agrees
    errno: dict
    sqlstate: dict
    mysql: dict
    grpc: dict
    http: dict
    exit_codes: dict
    signals: dict
    stdlib: frozenset
    phrases: list  # (compiled pattern, class, anchors), strongest first
    platforms: list = field(default_factory=list)  # the same for platforms.yaml: a platform's own codes
    modules: frozenset = frozenset()  # names a NameError shows a missing import for (modules.yaml)
    # platforms.yaml entries that name why the platform itself killed a process (`kills: true`: Heroku's R10
    # boot timeout), and those that read an exit 137 as the OOM killer's (`reads_kill: true`)
    kill_named: frozenset = frozenset()
    kill_readers: frozenset = frozenset()
    # entries that are the service's own proxy reporting on the app it fronts (`own_proxy: true`, proxies.yaml)
    own_proxy: frozenset = frozenset()

    def __post_init__(self):
        # every anchor once, with the wordings it opens: the platform codes first, then the phrases
        self.wording = self.platforms + self.phrases
        self.anchors: dict[str, list[int]] = {}
        for index, (_, _, anchors) in enumerate(self.wording):
            for anchor in anchors or ():
                self.anchors.setdefault(anchor, []).append(index)
        self.unanchored = {index for index, (_, _, anchors) in enumerate(self.wording) if anchors is None}

    def without_own_proxy_lines(self, text: str, held: set[str]) -> str:
        """`text` with the lines of `own_proxy` entries blanked: the connection a proxy could not make or keep
        to the app it fronts is the service down, not a dependency's errno (docs/CLASSES.md: the service's own
        proxy reports on the service). `held`: as for wordings()."""
        opened = {i for s in held if s in self.anchors for i in self.anchors[s] if i in self.own_proxy}
        spans = []
        for index in sorted(opened):
            for match in self.wording[index][0].finditer(text):
                end = text.find("\n", match.end())
                spans.append((text.rfind("\n", 0, match.start()) + 1, len(text) if end < 0 else end))
        return _blanked(text, _merged(spans)) if spans else text

    def wordings(self, text: str, held: set[str]) -> tuple[tuple[str, ...], tuple[str, ...], bool]:
        """The classes of the platform codes and of the phrases in `text`, and whether the text names
        why the platform killed a process; a pattern runs only when one of its literal anchors is in the
        lower-cased text (a case-insensitive alternation is slow to scan). `held`: the strings the
        lower-cased text holds, among them every anchor it holds (see literals())."""
        opened = self.unanchored.union(*(self.anchors[s] for s in held if s in self.anchors))
        found = [i for i in sorted(opened) if self.wording[i][0].search(text)]
        killed = not self.kill_named.isdisjoint(found)
        if killed:  # an exit 137 after the platform's own kill is that kill, not the OOM killer
            found = [i for i in found if i not in self.kill_readers]
        cut = len(self.platforms)
        return (tuple(self.wording[i][1] for i in found if i < cut),
                tuple(self.wording[i][1] for i in found if i >= cut), killed)


@lru_cache(maxsize=1)
def knowledge() -> Knowledge:
    import yaml

    directory = knowledge_dir()
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml: 0.04 s instead of 0.4 s for these tables
    table = yaml.load((directory / "exceptions.yaml").read_text(encoding="utf-8"), Loader=loader)["exceptions"]
    codes = yaml.load((directory / "codes.yaml").read_text(encoding="utf-8"), Loader=loader)
    platforms = yaml.load((directory / "platforms.yaml").read_text(encoding="utf-8"), Loader=loader)["platforms"]
    modules = yaml.load((directory / "modules.yaml").read_text(encoding="utf-8"), Loader=loader)
    extra = _extra_tables(directory, loader)
    # a topic's own table may hold platform entries too (lifecycle.yaml): read after platforms.yaml's, same rules
    platforms = [*platforms, *(entry for named in extra for entry in named.get("platforms") or ())]
    exceptions = {name: entry["class"] for name, entry in table.items()}
    for named in [codes, *extra]:
        exceptions.update({name: cls for name, cls in (named.get("exceptions") or {}).items() if cls})
    by_short: dict[str, set] = {}
    for name, cls in exceptions.items():
        by_short.setdefault(name.rsplit(".", 1)[-1], set()).add(cls)
    import builtins

    shadowing = {name for name in dir(builtins) if name not in ("TimeoutError", "ConnectionError", "MemoryError")}
    short = {name: next(iter(classes)) for name, classes in by_short.items()
             if len(classes) == 1 and (name not in shadowing or f"builtins.{name}" in exceptions)}
    return Knowledge(
        exceptions=exceptions, short=short,
        errno={str(k): v for k, v in codes["errno"].items()}, sqlstate={str(k): v for k, v in codes["sqlstate"].items()},
        mysql={int(k): v for k, v in codes["mysql"].items()}, grpc=dict(codes["grpc"]),
        http={int(k): v for k, v in codes["http"].items()}, exit_codes={int(k): v for k, v in codes["exit_codes"].items()},
        signals=dict(codes["signals"]), stdlib=frozenset(sys.stdlib_module_names),
        phrases=[_wording(p) for p in [*codes["phrases"], *(p for named in extra for p in named.get("phrases") or ())]],
        platforms=[_wording(p) for p in platforms],
        modules=frozenset(sys.stdlib_module_names) | frozenset(modules["modules"]) | frozenset(modules["aliases"]),
        kill_named=frozenset(i for i, entry in enumerate(platforms) if entry.get("kills")),
        kill_readers=frozenset(i for i, entry in enumerate(platforms) if entry.get("reads_kill")),
        own_proxy=frozenset(i for i, entry in enumerate(platforms) if entry.get("own_proxy")),
    )


BASE_TABLES = ("exceptions.yaml", "codes.yaml", "platforms.yaml", "modules.yaml")


def _extra_tables(directory: Path, loader) -> list[dict]:
    """The other tables of `rules/knowledge/` (one file per topic, e.g. stacks.yaml): each may hold
    `exceptions:` and `phrases:` shaped as codes.yaml's, read after it in file-name order. A file of its own
    per topic lets a new table land without editing the shared codes.yaml."""
    import yaml

    return [yaml.load(path.read_text(encoding="utf-8"), Loader=loader) or {}
            for path in sorted(directory.glob("*.yaml")) if path.name not in BASE_TABLES]


def _wording(entry: dict) -> tuple:
    return re.compile(entry["pattern"], re.IGNORECASE), entry["class"], anchors_of(entry["pattern"])


# What an alternative's literal start may hold: letters, digits, punctuation that is no regular-expression
# syntax outside a group, and an escaped character that is no class (`\(`, `\.`, `\x28`, not `\d`).
LITERAL_CHAR = re.compile(r"""[A-Za-z0-9 _:'=,"/<>!@%&;~-]|\\x([0-9A-Fa-f]{2})|\\([^A-Za-z0-9])""")


def anchors_of(pattern: str) -> tuple[str, ...] | None:
    """The literal start of each top-level alternative, lower-cased; None when one has none."""
    anchors = [_literal_start(alternative) for alternative in _top_level_alternatives(pattern)]
    return None if any(len(anchor) < 3 for anchor in anchors) else tuple(anchor.lower() for anchor in anchors)


def _top_level_alternatives(pattern: str) -> list[str]:
    """The pattern split at each `|` outside groups and classes; an escaped character (`\\(`, `\\|`, `\\]`)
    is no syntax, and a `]` first in a class is one of its characters."""
    alternatives: list[str] = []
    current: list[str] = []
    depth, position, in_class = 0, 0, False
    while position < len(pattern):
        char = pattern[position]
        step = 2 if char == "\\" else 1
        if char == "[" and not in_class:
            in_class = True
            first = position + 1 + (pattern[position + 1:position + 2] == "^")
            step = first - position + (pattern[first:first + 1] == "]")
        elif char == "]" and in_class:
            in_class = False
        elif not in_class and char in "()":
            depth += 1 if char == "(" else -1
        elif not in_class and char == "|" and depth == 0:
            alternatives.append("".join(current))
            current, position = [], position + 1
            continue
        current.append(pattern[position:position + step])
        position += step
    alternatives.append("".join(current))
    return alternatives


def _literal_start(alternative: str) -> str:
    literal, position = [], 0
    while (found := LITERAL_CHAR.match(alternative, position)) is not None:
        code, escaped = found.groups()
        literal.append(chr(int(code, 16)) if code else escaped or found.group(0))
        position = found.end()
    if alternative[position:position + 1] in ("?", "*", "{") and literal:
        literal.pop()  # its last character is optional (`Time-?out`): not part of every match
    return "".join(literal)


def exception_class(name: str, table: Knowledge | None = None, own_modules: tuple[str, ...] = ()) -> str | None:
    """The class the table gives a qualified exception name: exact, then by its short name, unless the name
    is qualified by one of `own_modules` (the application's own frames): an application's own
    `api.open_live.TransportError`, raised in its own `api/open_live.py`, is no library's TransportError, and
    its class is what it wraps, not the family of a library that happens to share the short name."""
    table = table or knowledge()
    if name in table.exceptions:
        return table.exceptions[name]
    if own_modules and "." in name and _is_own(name.rsplit(".", 1)[0], own_modules):
        return None
    return table.short.get(name.rsplit(".", 1)[-1])


def _is_own(module: str, own_modules: tuple[str, ...]) -> bool:
    return any(path == module or path.endswith("." + module) for path in own_modules)


STRONG_HTTP = (401, 407, 429)
STRONG_ERRNOS = ("EDQUOT", "ENOSPC", "EMFILE", "ENFILE", "ENOMEM")


Decision = tuple[str, str] | None


@lru_cache(maxsize=4096)
def decide(signals: Signals) -> Decision:
    """(class, why) from the signals and the tables, or None: the codes that decide a class wherever
    they appear first, then the innermost exception the tables know, then the codes that need context."""
    table = knowledge()
    database = bool(set(signals.packages) & DB_PACKAGES) or signals.database
    for step in (_by_failed_assertion, _by_platform_or_wording, _by_innermost_time_limit, _by_decisive_codes, _by_exceptions,
                 _by_contextual_codes):
        answer = step(signals, table, database)
        if answer is not UNDECIDED:
            return cast(Decision, answer)
    # an exception no table knows is a plain bug, and a plain bug explains the exit it caused
    return None if signals.exceptions else _platform_symptom(signals)


# What a step of `decide` answers when it leaves the decision to the next (None is a decision: unknown).
UNDECIDED = object()


def _by_failed_assertion(signals: Signals, table: Knowledge, database: bool) -> Decision | object:
    """An innermost AssertionError is a check that failed, a plain bug (docs/CLASSES.md): the statuses and words in
    it are what the check expected or saw (a test's `assert 401 == 200`), not an answer the service was given."""
    if signals.exceptions and signals.exceptions[0].rsplit(".", 1)[-1] == "AssertionError":
        return None
    return UNDECIDED


def _by_platform_or_wording(signals: Signals, table: Knowledge, database: bool) -> Decision | object:
    # A platform's code that names a cause (Heroku's H12 or R14, the OOM killer) decides first; one
    # that names a symptom (H10 App crashed) only when nothing else in the text names a cause.
    for named in signals.platform:
        if named not in SYMPTOM_CLASSES:
            return named, "a platform's own code"
    if signals.symptom and not signals.exceptions:
        # the service's own state: a cause's wording in the same text still comes first
        cause = next((p for p in signals.phrases if p not in SYMPTOM_CLASSES), None)
        return (cause, "a known wording") if cause else _platform_symptom(signals)
    if signals.phrases:  # a dependency's wording (a name that does not resolve) about a database is the database's
        if signals.phrases[0] == "dependency_connection_failure" and database:
            return "db_session_failure", "a known wording, about a database"
        return signals.phrases[0], _exception_of(signals, signals.phrases[0], table) or "a known wording"
    return UNDECIDED


def _by_innermost_time_limit(signals: Signals, table: Knowledge, database: bool) -> Decision | object:
    """An innermost exception that is a time limit (by the tables, or for a type they do not know, by its own
    name) decides before the codes its wrappers carry: netty's `ConnectTimeoutException` under gRPC's
    `UNAVAILABLE` is the connect attempt running out of time (docs/CLASSES.md: time limits are timeouts)."""
    if not signals.exceptions:
        return UNDECIDED
    innermost = signals.exceptions[0]
    cls = exception_class(innermost, table) or _alias_class(innermost, signals.exceptions[1:], table)
    if cls == "timeout" or (cls is None and names_a_time_limit(innermost)):
        return "timeout", innermost
    return UNDECIDED


def _alias_class(name: str, others: tuple[str, ...], table: Knowledge) -> str | None:
    """The class the tables give another name the text prints for the same error, one that ends in its short
    name (Node's `ConnectionAcquireTimeoutError [SequelizeConnectionAcquireTimeoutError]`: a pool's wait, the
    database's, not a time limit by its name)."""
    short = name.rsplit(".", 1)[-1]
    return next((cls for other in others if other.rsplit(".", 1)[-1].endswith(short)
                 and (cls := exception_class(other, table))), None)


def _by_decisive_codes(signals: Signals, table: Knowledge, database: bool) -> Decision | object:
    """The codes that decide wherever they appear: strong HTTP statuses and errnos, MySQL errors,
    SQLSTATEs, signals, exit codes, gRPC codes and the errno an exception carries."""
    for status in signals.http:
        if status in STRONG_HTTP:
            return table.http[status], f"HTTP {status}"
    for name in signals.errnos:
        if name in STRONG_ERRNOS:
            return table.errno[name], f"errno {name}"
    for number in signals.mysql:
        if number in table.mysql:
            return table.mysql[number], f"MySQL error {number}"
    if signals.mysql:
        return None  # a MySQL error the table does not know: its words decide, not the driver's class
    for state in signals.sqlstates:
        cls = table.sqlstate.get(state) or table.sqlstate.get(state[:2])
        if cls:
            return cls, f"SQLSTATE {state}"
    for name in signals.signals:
        if name in table.signals:
            return table.signals[name], f"signal {name}"
    for code in signals.exit_codes:
        if code in table.exit_codes:
            return table.exit_codes[code], f"exit code {code}"
    for grpc_code in signals.grpc:
        if grpc_code in table.grpc:
            return table.grpc[grpc_code], f"gRPC {grpc_code}"
    for name in signals.reported:  # the errno an exception carries is its own cause (Node's `TypeError: fetch failed`)
        cls = table.errno.get(name)
        if cls:
            return ("db_session_failure", f"errno {name} from a database") if cls == "dependency_connection_failure" and database \
                else (cls, f"errno {name}")
    return UNDECIDED


def _by_exceptions(signals: Signals, table: Knowledge, database: bool) -> Decision | object:
    """The innermost exception the tables know; an environment read or a module used but never
    imported decides before its type's class."""
    for name in signals.exceptions:
        short = name.rsplit(".", 1)[-1]
        if short in ("KeyError", "ValueError", "TypeError") and (signals.environ or signals.env_key):
            return "config_error", f"{short} reading the environment"
        if short == "NameError" and signals.undefined in table.modules and signals.used_as_module is not False:
            kind = "standard module" if signals.undefined in table.stdlib else "module"
            return "missing_import", f"NameError for the {kind} {signals.undefined}"
        # a type no table knows, by its own name's last words (rca.classify.type_words)
        if signals.own_modules and "." not in name and any(other.endswith("." + name) for other in signals.exceptions):
            continue  # a short name that the text also prints qualified (`raise TransportError(…)`): the qualified one decides
        cls = exception_class(name, table, signals.own_modules) or class_by_type_name(name)
        if cls is None:
            continue
        if cls == "dependency_connection_failure" and database:
            return "db_session_failure", f"{name} in a database driver"
        return cls, name
    return UNDECIDED


def _by_contextual_codes(signals: Signals, table: Knowledge, database: bool) -> Decision | object:
    """Any errno the table knows, then the HTTP status a client's error carries from its upstream."""
    for name in signals.errnos:
        cls = table.errno.get(name)
        if cls:
            if cls == "dependency_connection_failure" and database:
                return "db_session_failure", f"errno {name} from a database driver"
            return cls, f"errno {name}"
    if signals.exceptions or signals.client:  # a client's error (or its wording) carrying the status an upstream answered
        for status in signals.http:
            if status in table.http:
                return table.http[status], f"HTTP {status}"
    return UNDECIDED


def _exception_of(signals: Signals, cls: str, table: Knowledge) -> str | None:
    """The innermost exception the tables give `cls`, to name what decided when a wording agrees with it
    (structure before words: `UnrecognizedClientException` says more than its message)."""
    return next((name for name in signals.exceptions if exception_class(name, table) == cls), None)


def _platform_symptom(signals: Signals) -> tuple[str, str] | None:
    """The symptom a platform's code names (H10 App crashed: service_unavailable), when no cause did; of
    two, the start-up failure, which explains the other (a proxy's 502 page beside a container's exit)."""
    if not signals.platform:
        return None
    return ("startup_failure" if "startup_failure" in signals.platform else signals.platform[0]), "a platform's own code"
