"""Issue 28, classify13: refused logins, start-up failures and unavailability in any runtime, read from
structure (a library's error code or type, a SQLSTATE, a service manager's or container runtime's own
line, the service's own proxy) through rules/knowledge/logins.yaml and lifecycle.yaml. Before the change
every text of the lists below that names a class was left unknown (or given another class) by the rules;
the plain bugs must stay unknown. The texts are written for the tests, not copied."""

import re
import time

import pytest
import yaml

from rca.classify import signals
from rca.classify.hybrid import classify_text


def rules_say(text: str) -> str:
    return classify_text(text, model=None).cls


def table(name: str) -> dict:
    return yaml.safe_load((signals.knowledge_dir() / name).read_text(encoding="utf-8"))


ENTRIES = [*table("logins.yaml")["phrases"], *table("lifecycle.yaml")["platforms"]]


AUTH = [
    # token libraries of other runtimes: a signature that does not verify, a token whose lifetime is over
    "io.jsonwebtoken.security.SignatureException: JWT signature does not match locally computed signature.",
    "com.auth0.jwt.exceptions.TokenExpiredException: The Token has expired on 2025-03-07T08:00:00Z.",
    "PHP Fatal error:  Uncaught Firebase\\JWT\\ExpiredException: Expired token in /var/www/vendor/firebase/php-jwt/src/JWT.php:181",
    "Microsoft.IdentityModel.Tokens.SecurityTokenInvalidLifetimeException: IDX10230: Lifetime validation failed.",
    "Bearer error=\"invalid_token\", error_description=\"IDX10223: Lifetime validation failed. The token is expired.\"",
    "auth: verify: Error(ExpiredSignature)",
    "2025/03/07 08:00:01 middleware: parse token: signature is invalid",
    # a chat, bot or broker client refused at login
    "discord.errors.LoginFailure: Improper token has been passed.",
    "telethon.errors.rpcerrorlist.AuthKeyUnregisteredError: The key is not registered in the system (caused by GetDialogsRequest)",
    "spotipy.oauth2.SpotifyOauthError: error: invalid_client, error_description: Invalid client",
    "amqp.exceptions.AccessRefused: (0, 0): (403) ACCESS_REFUSED - Login was refused using authentication mechanism PLAIN.",
    # databases refusing credentials in other drivers and in translated server messages
    "MongoServerError: bad auth : Authentication failed.",
    "pymongo.errors.OperationFailure: Authentication failed., full error: {'ok': 0.0, 'errmsg': 'Authentication failed.', 'code': 18, 'codeName': 'AuthenticationFailed'}",
    "Error: Accès refusé pour l'utilisateur: 'shop'@'172.18.0.4' (mot de passe: OUI)\n    at Packet.asError (/srv/node_modules/mysql2/lib/packets/packet.js:728:17) {\n  code: 'ER_ACCESS_DENIED_ERROR',\n  errno: 1045,\n  sqlState: '28000'\n}",
    "SQLSTATE[HY000] [1045] Acceso denegado para el usuario: 'shop'@'localhost' (Usando clave: SI)",
    "2025-03-07 08:00:01 WARN  o.h.e.j.s.SqlExceptionHelper - SQL Error: 0, SQLState: 28P01",
    "FATAL:  Passwort-Authentifizierung für Benutzer »shop« fehlgeschlagen",
    "** (Postgrex.Error) FATAL 28P01 (invalid_password) la autentificación password falló para el usuario «shop»",
    "Microsoft.Data.SqlClient.SqlException (0x80131904): Fehler bei der Anmeldung für den Benutzer 'shop'.\nError Number:18456,State:1,Class:14",
    "cx_Oracle.DatabaseError: ORA-01017: invalid username/password; logon denied",
]


@pytest.mark.parametrize("text", AUTH, ids=lambda text: text[:40])
def test_a_refused_credential_in_any_runtime_is_auth(text):
    assert rules_say(text) == "auth_rejection"


STARTUP = [
    # a port already in use, in Windows' wording, and no free port in a range
    "listen tcp :8080: bind: Only one usage of each socket address (protocol/network address/port) is normally permitted.",
    "OSError: [WinError 10048] Only one usage of each socket address (protocol/network address/port) is normally permitted",
    "Error: No available ports found in range 3000-3010",
    "** (MatchError) no match of right hand side value: {:error, {:shutdown, {:failed_to_start_child, :ranch_acceptors_sup, {:listen_error, ShopWeb.Endpoint.HTTP, :eaddrinuse}}}}",
    # a service manager's unit, and a configuration-management tool relaying it
    "Job for shop-api.service failed because the control process exited with error code.\nSee \"systemctl status shop-api.service\" and \"journalctl -xeu shop-api.service\" for details.",
    "Error: /Stage[main]/Shop/Service[shop-api]/ensure: change from 'stopped' to 'running' failed: Systemd start for shop-api failed!",
    # a container runtime refusing to start a container
    "Error response from daemon: OCI runtime create failed: container_linux.go:380: starting container process caused: exec: \"gunicorn\": executable file not found in $PATH: unknown",
    "ERROR: for web  Cannot start service web: driver failed programming external connectivity on endpoint shop_web_1",
    # an application server's lifecycle failing while it initialises
    "org.apache.catalina.LifecycleException: Protocol handler initialization failed\nCaused by: java.net.BindException: Address already in use",
    "SEVERE [main] org.apache.catalina.core.StandardService.initInternal Failed to initialize connector [Connector[HTTP/1.1-8080]]",
    "crit: Microsoft.Extensions.Hosting.Internal.Host[11]\n      Hosting failed to start",
]


@pytest.mark.parametrize("text", STARTUP, ids=lambda text: text[:40])
def test_an_instance_that_did_not_start_is_a_startup_failure(text):
    assert rules_say(text) == "startup_failure"


UNAVAILABLE = [
    # the service's own proxy (nginx in any libc's wording, Apache's mod_proxy, HAProxy) about the app it fronts
    "2025/03/07 08:01:02 [error] 29#29: *41 connect() failed (111: Unknown error) while connecting to upstream, client: 203.0.113.7, server: _",
    "[Fri Mar 07 08:01:02 2025] [proxy:error] [pid 12] (111)Connection refused: AH00957: HTTP: attempt to connect to 127.0.0.1:8000 (127.0.0.1) failed",
    "[proxy:error] [pid 1234] AH00940: HTTP: disabled connection for (localhost)",
    "Server shop/app1 is DOWN, reason: Layer4 connection problem, info: \"Connection refused\", check duration: 0ms.",
    # a load balancer's target unhealthy, a bare 503 page, an uptime monitor
    "Target.FailedHealthChecks: Health checks failed",
    "<html><body><h1>503 Service Temporarily Unavailable</h1></body></html>",
    "Error 503 Backend fetch failed\nGuru Meditation:\nXID: 32770",
    "DOWN alert: shop.example.com (https://shop.example.com) is DOWN",
    "502 - Web server received an invalid response while acting as a gateway or proxy server.",
]


@pytest.mark.parametrize("text", UNAVAILABLE, ids=lambda text: text[:40])
def test_the_service_not_answering_is_service_unavailable(text):
    assert rules_say(text) == "service_unavailable"


MISSING_CODE = [
    "System.IO.FileNotFoundException: Impossible de charger le fichier ou l'assembly 'Npgsql, Version=8.0.0.0, Culture=neutral, PublicKeyToken=5d8b90d52f46fda7' ou une de ses dépendances.",
    "PHP Warning:  require(/var/www/html/vendor/autoload.php): Failed to open stream: No such file or directory in /var/www/html/artisan on line 18",
    # a class that is not there is still missing code
    "Exception in thread \"main\" java.lang.NoClassDefFoundError: org/slf4j/LoggerFactory",
]


@pytest.mark.parametrize("text", MISSING_CODE, ids=lambda text: text[:40])
def test_missing_code_in_other_languages_is_a_missing_import(text):
    assert rules_say(text) == "missing_import"


CAUSE_FIRST = [
    # a cause beside the start-up symptom decides (docs/CLASSES.md: a symptom is never the root cause)
    ("Job for api.service failed because the control process exited with error code.\nModuleNotFoundError: No module named 'flask'",
     "missing_import"),
    ("Job for api.service failed because the control process exited with error code.\n"
     "psycopg2.OperationalError: FATAL:  password authentication failed for user \"app\"", "auth_rejection"),
    ("docker: Error response from daemon: OCI runtime create failed: container init caused: cannot allocate memory: unknown.",
     "resource_exhaustion"),
    # an instance that did not start explains its proxy's refused connection
    ("[error] 9#9: *1 connect() failed (111: Unknown error) while connecting to upstream, client: 203.0.113.1\n[ERROR] Worker failed to boot.",
     "startup_failure"),
    # a time-out in the proxy's log stays a time-out; a database's refused login is auth, not a session failure
    ("[error] 9#9: *1 upstream timed out (110: Connection timed out) while reading response header from upstream, client: 203.0.113.1",
     "timeout"),
    ("Npgsql.NpgsqlException (0x80004005): Failed to connect to 10.0.0.5:5432\n ---> Npgsql.PostgresException (0x80004005): 28P01: "
     "authentification par mot de passe échouée pour l'utilisateur « shop »", "auth_rejection"),
]


@pytest.mark.parametrize("text,cls", CAUSE_FIRST, ids=lambda value: str(value)[:40])
def test_the_cause_in_the_text_decides(text, cls):
    assert rules_say(text) == cls


PLAIN_BUGS = [
    # a class initialiser that failed earlier: the cause is whatever failed there, not a missing class
    "java.lang.NoClassDefFoundError: Could not initialize class com.acme.shop.Pricing\n\tat com.acme.shop.Cart.total(Cart.java:41)",
    # "denied", "invalid", "expired" and "unavailable" about data
    "ValueError: coupon SPRING25 is expired",
    "Invalid argument: token must be a string of 32 characters",
    "Feature unavailable: exports are not enabled for the free plan",
    "RecordNotFound: Couldn't find Invoice with 'id'=4211",
    "TypeError: Cannot read properties of undefined (reading 'signature')",
    # an HTTP 401 a test expects, a port number in a plain bug, a health check a test asserts
    "    def test_me_requires_login(client):\n>       assert response.status_code == 401\nE       assert 200 == 401",
    "ValueError: invalid port 8080 for service shop-api, expected a port in range 3000-3010",
    "KeyError: 'upstream'",
    "FAILED tests/test_oauth.py::test_invalid_client_is_rejected - AssertionError: assert 200 == 400",
    "AssertionError: Target is unhealthy in the fixture, expected healthy",
    # a container entered with `docker exec`, and a job of the application's own named `service`
    "OCI runtime exec failed: exec failed: unable to start container process: exec: \"bash\": executable file not found in $PATH: unknown",
    "Job for invoice export failed because the customer has no billing address",
]


@pytest.mark.parametrize("text", PLAIN_BUGS, ids=lambda text: text[:40])
def test_plain_bugs_stay_unknown(text):
    assert rules_say(text) == "unknown"


def adversarial_lines(pattern: str) -> list[str]:
    """100 kB lines that repeat what each alternative starts with, so that a pattern that backtracks over
    its bounded gaps or lookarounds shows it."""
    starts = signals.anchors_of(pattern) or ("a",)
    lines = ["(" * 100_000, "a" * 100_000, " " * 100_000]
    for start in starts:
        lines += [(start * (100_000 // max(len(start), 1)))[:100_000], ((start + "x ") * 100_000)[:100_000]]
    return lines


PATTERNS = [entry["pattern"] for entry in ENTRIES] + [entry["pattern"] for entry in table("loaders.yaml")["phrases"][-2:]]


@pytest.mark.parametrize("pattern", PATTERNS, ids=lambda pattern: pattern[:40])
def test_every_new_pattern_is_linear_on_a_long_line(pattern):
    compiled = re.compile(pattern, re.IGNORECASE)  # as signals._wording compiles it
    for line in adversarial_lines(pattern):
        started = time.process_time()
        compiled.search(line)
        assert time.process_time() - started < 0.05, line[:30]


def test_the_proxy_lines_are_left_out_of_errnos_in_linear_time():
    for hint in ("AH00957: ", "is DOWN, reason: Layer4 connection problem ", "connect() failed (111: Unknown error) while connecting to upstream, client: "):
        line = (hint + "(111)Connection refused ") * (100_000 // (len(hint) + 25))
        started = time.process_time()
        assert signals.parse(line, prose=True).errnos == ()
        assert time.process_time() - started < 0.05 * 4, hint
