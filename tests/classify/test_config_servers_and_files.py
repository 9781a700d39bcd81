"""Issue 28, classify15: the kinds of configuration error the earlier packs left unknown or called a missing
import: a server's own configuration file rejected at start (Redis, PostgreSQL, MySQL, squid-like
`file.conf(N):`), an infrastructure-as-code plan refusing an argument at a file and line, a configuration or
environment file that is not there (a dotenv file, a settings file required as a module, a configuration
directory with nothing in it), and os.environ's KeyError whatever the variable is called. Before the change
every text of CONFIG_NOW_RECOGNISED came back unknown, startup_failure or missing_import. The plain bugs that
share their words must stay out of config_error. The texts are written for the tests, not copied."""

import time

import pytest

from rca.classify.hybrid import classify_text
from rca.classify.rules import RuleSet
from rca.events.error_event import ErrorEvent
from rca.ingest.record import LogRecord

NEW_RULES = ("config-files.server-config-line-rejected", "config-files.iac-argument-rejected",
             "config-files.env-file-missing", "config-files.settings-module-missing",
             "config-files.os-environ-key-missing", "config-files.named-config-file-not-found",
             "config-files.kubernetes-object-not-found")


def rules_say(text: str) -> str:
    return classify_text(text, model=None).cls


def event_of(text: str) -> ErrorEvent:
    return ErrorEvent([LogRecord(time=None, severity="ERROR", text=text, source="test", position=1)])


CONFIG_NOW_RECOGNISED = [
    # a server's configuration file: the line it refuses, then the abort (the symptom)
    "*** FATAL CONFIG FILE ERROR ***\nReading the configuration file, at line 40\n>>> 'save 900'\n"
    "Bad directive or wrong number of arguments",
    "2023-01-09 07:00:00.001 UTC [1] LOG:  unrecognized configuration parameter \"wal_keep_segments\" in file "
    "\"/var/lib/postgresql/data/postgresql.conf\" line 250\n2023-01-09 07:00:00.001 UTC [1] FATAL:  configuration "
    "file \"/var/lib/postgresql/data/postgresql.conf\" contains errors",
    "2019-04-02 11:00:00 7001 [ERROR] /usr/sbin/mysqld: unknown variable 'query_cache_typ=1'\n"
    "2019-04-02 11:00:00 7001 [ERROR] Aborting",
    "Config parse error in file gateway.conf on line 3: syntax error",
    "[ALERT] (7) : parsing [/etc/haproxy/haproxy.cfg:9] : unknown keyword 'maxconnn' in 'global' section",
    "[07-Dec-2026 10:00:00] ERROR: [/etc/php/8.2/fpm/pool.d/www.conf:20] unknown entry 'pm.max_childs'",
    "Starting PostgreSQL 15 database server: main The PostgreSQL server failed to start. Please check the log "
    "output: FATAL:  unrecognized configuration parameter \"listen_adresses\" ... failed!",
    # an infrastructure plan refusing an argument of a module or resource
    "Error: Missing required argument\n\n  on main.tf line 3, in module \"bucket\":\n   3: module \"bucket\" {\n\n"
    "The argument \"region\" is required, but no definition was found.",
    "Error: Reference to undeclared input variable\n\n  on main.tf line 7, in resource \"aws_s3_bucket\" \"b\":\n"
    "   7:   bucket = var.bucket_nam",
    "│ Error: Unsupported argument\n│\n│   on infra\\network.tf line 12, in resource \"aws_subnet\" \"a\":\n"
    "│   12:   zone = \"eu-west-1a\"\n│\n│ An argument named \"zone\" is not expected here.",
    # a configuration or environment file that is not there
    "{ Error: ENOENT: no such file or directory, open '/home/app/.env'\n    at Object.openSync (fs.js:440:3) errno: -2 }",
    "2023/03/01 10:00:00 Error loading .env file: open .env: no such file or directory",
    "Errno::ENOENT: No such file or directory @ rb_sysopen - .env.production",
    "FileNotFoundError: [Errno 2] No such file or directory: '/srv/job/.env'",
    'Unable to read the "/srv/api/.env" environment file.',
    "Error: Cannot find module './config/settings.json'\nRequire stack:\n- /srv/bot/index.js",
    "WARNING: No configurations found in configuration directory:/srv/api/config",
    "ERROR: GETDEFAULTCONFIG: Default configuration file could not be found\nExiting...",
    # a pod's ConfigMap, as a kubelet event worded without a space after `Error:`
    'Warning  Failed  3s (x4 over 30s)  kubelet  Error:configmap "orders-conf" not found',
    # os.environ, whatever the key is called
    "Traceback (most recent call last):\n  File \"/srv/job/main.py\", line 4, in <module>\n    token = os.environ['']\n"
    "  File \"/usr/lib/python3.10/os.py\", line 680, in __getitem__\n    raise KeyError(key) from None\nKeyError: ''",
    "Traceback (most recent call last):\n  File \"/srv/job/main.py\", line 4, in <module>\n"
    "    token = os.environ['api-token']\n  File \"<frozen os>\", line 714, in __getitem__\nKeyError: 'api-token'",
]


@pytest.mark.parametrize("text", CONFIG_NOW_RECOGNISED, ids=lambda text: text[:40])
def test_the_kinds_left_unknown_are_config_errors(text):
    assert rules_say(text) == "config_error"


PLAIN_BUGS_AND_OTHER_CAUSES = [
    # a function given a wrong argument, a dict's missing key, a syntax error in code
    ("TypeError: create_bucket() got an unexpected keyword argument 'zone'", "unknown"),
    ("Traceback (most recent call last):\n  File \"/srv/app/cart.py\", line 20, in total\n    return row['price']\n"
     "KeyError: 'price'", "unknown"),
    ("PHP Parse error:  syntax error, unexpected '}' in /var/www/html/index.php on line 12", "unknown"),
    ("  File \"/srv/app/api.py\", line 3\n    def handler(request\n                  ^\nSyntaxError: '(' was never closed",
     "unknown"),
    # an unknown variable in a template or a script, a client's SET of an unknown parameter
    ("jinja2.exceptions.UndefinedError: unknown variable 'customer' in template invoice.html", "unknown"),
    ("psycopg2.errors.UndefinedObject: unrecognized configuration parameter \"app.tenant\"", "unknown"),
    # a file the user asked for, a module of code
    ("Error: ENOENT: no such file or directory, open 'exports/2024-01.csv'", "unknown"),
    ("Error: Cannot find module './routes/users'\nRequire stack:\n- /srv/api/app.js", "missing_import"),
    # a person asking the API server for an object by name
    ('Error from server (NotFound): secrets "orders-db" not found', "unknown"),
]


@pytest.mark.parametrize(("text", "expected"), PLAIN_BUGS_AND_OTHER_CAUSES, ids=lambda v: str(v)[:40])
def test_the_same_words_in_code_keep_their_class(text, expected):
    assert rules_say(text) == expected


# each new pattern's own fragments, repeated on one 100 kB line so that every start fails late
ADVERSARIAL = [
    "in file " + "a.conf " * 14_000 + "\nunknown directive",
    "proxy.conf(" * 9_000,
    "on " + "main.tf line " * 8_000 + "\nis not expected here",
    "on " + "a/" * 50_000,
    "ENOENT, open '" + "a/" * 50_000,
    ".env" * 25_000 + ": no such file",
    "Cannot find module '" + "config" * 16_000 + "\n",
    "os.py\", line 1, in __getitem__\n" * 3_000,
    "configuration file " * 5_000,
    'pod secret "' + "a" * 100_000,
    "syntax error [" + "a.cfg" * 20_000,
    "unknown entry in " + "a.ini " * 16_000,
    "Caddyfile:" * 10_000,
    # classify18 let a Caddyfile's name run on (`Caddyfile.prod:12`): a start at every `Caddyfile` of one long
    # run of name characters re-read the rest of it (quadratic, over the 50 ms budget)
    "syntax error " + "Caddyfile" * 11_000,
    "unknown directive " + "Caddyfile." * 10_000,
    'Unable to read "' + "a" * 100_000,
    "No such file or directory: '" + "a/" * 50_000,
    'kubelet ' + 'secrets \\"a' * 10_000,
]


@pytest.mark.flaky(reruns=2)  # a time-out is wall time: load can trip a linear search once, not thrice
@pytest.mark.parametrize("line", ADVERSARIAL, ids=lambda line: line[:20])
def test_a_long_line_of_a_patterns_fragments_stays_within_the_budget(line):
    rules = RuleSet.load()
    started = time.process_time()
    rules.classify(event_of(line))
    assert [rule for rule in NEW_RULES if rules.timeouts[rule]] == []
    assert time.process_time() - started < 1.0
