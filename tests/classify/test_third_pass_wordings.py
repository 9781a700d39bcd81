"""Issue 28, third pass: wordings read from new real texts (Node, Go, Java, Telegram, Spring), each
with a near miss that must not take the class."""

import pytest

from rca.classify.hybrid import classify_text


def rules_say(text: str) -> str:
    return classify_text(text, model=None).cls


@pytest.mark.parametrize("text, cls", [
    # Node's and Go's name-resolution failures, Go's and the JVM's certificate checks
    ("Error: getaddrinfo ENOTFOUND payments.internal\n    at GetAddrInfoReqWrap.onlookupall [as oncomplete] (node:dns:118:26)",
     "dependency_connection_failure"),
    ("{ [Error: getaddrinfo ENOTFOUND] code: 'ENOTFOUND', errno: 'ENOTFOUND', syscall: 'getaddrinfo' }",
     "dependency_connection_failure"),
    ('2025/03/01 10:00:00 Post "https://hooks.example.com/x": dial tcp: lookup hooks.example.com on 10.0.0.10:53: no such host',
     "dependency_connection_failure"),
    ('2025/03/01 10:00:00 Get "https://billing.example.com/v1": x509: certificate signed by unknown authority',
     "dependency_connection_failure"),
    ("javax.net.ssl.SSLHandshakeException: PKIX path building failed: sun.security.provider.certpath."
     "SunCertPathBuilderException: unable to find valid certification path to requested target", "dependency_connection_failure"),
    # Node's module loader and the dynamic linker
    ("node:internal/modules/cjs/loader:1080\n  throw err;\n  ^\n\nError: Cannot find module 'express'\nRequire stack:\n"
     "- /srv/app/server.js\n    at Module._resolveFilename (node:internal/modules/cjs/loader:1077:15)", "missing_import"),
    ("/usr/local/bin/worker: error while loading shared libraries: libpq.so.5: cannot open shared object file: No such file or directory",
     "missing_import"),
    # Telegram's flood control
    ("telethon.errors.rpcerrorlist.FloodWaitError: A wait of 3600 seconds is required (caused by SendMessageRequest)", "rate_limited"),
    ('pyrogram.errors.exceptions.flood_420.FloodWait: Telegram says: [420 FLOOD_WAIT_X] - A wait of 12 seconds is required',
     "rate_limited"),
    # Spring's unresolved placeholder and DataSource, Go envconfig, Django without settings
    ("java.lang.IllegalArgumentException: Could not resolve placeholder 'stripe.key' in value \"${stripe.key}\"", "config_error"),
    ("Failed to configure a DataSource: 'url' attribute is not specified and no embedded datasource could be configured.",
     "config_error"),
    ("panic: required key DATABASE_DSN missing value\n\ngoroutine 1 [running]:\nmain.main()\n\t/src/cmd/api/main.go:21 +0x1a5",
     "config_error"),
    ("django.core.exceptions.ImproperlyConfigured: Requested setting INSTALLED_APPS, but settings are not configured. You must "
     "either define the environment variable DJANGO_SETTINGS_MODULE or call settings.configure() before accessing settings.",
     "config_error"),
    # Kubernetes without its Secret, viper without its file, Spring's unbindable properties, Node without its config file
    ('  Warning  Failed     5s (x4 over 40s)  kubelet            Error: couldn\'t find key API_TOKEN in Secret prod/api-env',
     "config_error"),
    ("Error: failed to load configuration: Config File \"settings\" Not Found in \"[/etc/api /srv/api]\"", "config_error"),
    ("org.springframework.boot.context.properties.bind.BindException: Failed to bind properties under 'app.cache' to "
     "com.example.CacheProperties", "config_error"),
    ("Error: ENOENT: no such file or directory, open '/srv/api/config/production.json'\n    at Object.openSync (node:fs:601:3)",
     "config_error"),
])
def test_a_new_wording_takes_its_class(text, cls):
    assert rules_say(text) == cls


@pytest.mark.parametrize("text", [
    # a lower-case word before `is required` is no setting (before: config_error, `seconds` read as a variable)
    "ValueError: a wait of more seconds is required before retrying",
    # the words outside their structure
    "KeyError: 'no such host'",
    "AssertionError: expected module 'express' to be found",
    # a missing file that is no configuration
    "Error: ENOENT: no such file or directory, open '/srv/api/uploads/avatar-17.png'",
])
def test_a_near_miss_stays_unknown(text):
    assert rules_say(text) == "unknown"


def test_spring_names_its_cause_and_the_cause_decides():
    text = ("***************************\nAPPLICATION FAILED TO START\n***************************\n\nDescription:\n\n"
            "Failed to configure a DataSource: 'url' attribute is not specified and no embedded datasource could be configured.")
    assert rules_say(text) == "config_error"
    assert rules_say(text.replace("Failed to configure a DataSource: 'url' attribute is not specified and no embedded "
                                  "datasource could be configured.", "Web server failed to start. Port 9090 was already in use.")
                     ) == "startup_failure"


def test_an_anchor_stops_before_an_optional_character():
    """A phrase runs only when its anchor is in the text; `Time-?out`'s anchor held the optional `-`,
    so `504 Gateway Timeout` (and `exited with exit code 137`) never ran their patterns."""
    from rca.classify.signals import anchors_of

    assert anchors_of("504 Gateway Time-?out|exited with exit code -?137") == ("504 gateway time", "exited with exit code ")
    assert rules_say("api-1 exited with exit code 137") == "resource_exhaustion"


def test_an_abbreviated_logger_name_is_no_exception():
    """Spring's `o.s.b.d.LoggingFailureAnalysisReporter:` is a logger, not an exception: read as one, it
    was an unknown exception that kept the start-up symptom from deciding."""
    text = ("2025-04-02 10:00:00.000 ERROR 1 --- [           main] o.s.b.d.LoggingFailureAnalysisReporter   : \n\n"
            "***************************\nAPPLICATION FAILED TO START\n***************************\n\nDescription:\n\n"
            "Web server failed to start. Port 9090 was already in use.")
    assert rules_say(text) == "startup_failure"
    assert rules_say("org.springframework.boot.web.server.PortInUseException: Port 9090 is already in use") == "startup_failure"
