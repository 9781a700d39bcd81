"""Issue 28, classify12: configuration errors recognised by structure in any runtime and tool: a validator's field
paths with the constraints they break, a malformed interpolation, a parser's location in a configuration file,
a value that will not convert into a configuration type or out of the environment, a provider or connection
string never configured, a configuration file that is not there, a server's own configuration test. Before the
change the rules left every text of CONFIG_BY_STRUCTURE unknown; the plain bugs that carry the same words (a
request's payload failing validation, a response body that is not JSON, data that does not parse) must stay
unknown. The texts are written for the tests, not copied."""

import time

import pytest

from rca.classify.hybrid import classify_text
from rca.classify.rules import RuleSet
from rca.events.error_event import ErrorEvent
from rca.ingest.record import LogRecord


def rules_say(text: str) -> str:
    return classify_text(text, model=None).cls


CONFIG_BY_STRUCTURE = [
    # a validator's report about a document: a field path, then the constraint it breaks
    "config.yaml: server.port: Invalid type. Expected: integer, given: string",
    "Error: values don't meet the specifications of the schema(s):\n- ingress.hosts[0]: Additional property paths_ is not allowed",
    'error validating data: ValidationError(StatefulSet.spec): missing required field "serviceName" in io.k8s.api.apps.v1.StatefulSetSpec',
    # a malformed interpolation, and a parser's location in a configuration file
    "Error: malformed interpolation in pipeline.yml: ${{ env.REGION }",
    'level=fatal msg="cannot read config" error="hcl: line 12, column 3: expected a string after key"',
    "error: invalid config.staging.yaml: did not find expected key at line 9",
    # values that will not convert into a configuration type, or out of the environment
    "yaml: unmarshal errors:\n  line 3: cannot unmarshal !!str `ten` into settings.Limits",
    "Field error in object 'payments' on field 'gateways[stripe].timeouts.read': rejected value [soon]",
    'startup: env LEDGER_WORKERS: strconv.ParseInt: parsing "many": invalid syntax',
    # a provider never configured, a configuration file that is not there
    "Error: no datasource configured for environment 'staging'",
    "FATAL could not locate configuration file in /etc/ledger or $HOME/.ledger",
    "panic: open /srv/ledger/settings.production.toml: no such file or directory",
]


@pytest.mark.parametrize("text", CONFIG_BY_STRUCTURE, ids=lambda text: text[:40])
def test_configuration_errors_by_structure_are_config_errors(text):
    assert rules_say(text) == "config_error"


PLAIN_BUGS = [
    # a request's payload failing validation is the caller's input
    '422 Unprocessable Entity {"detail":[{"loc":["body","quantity"],"msg":"field required","type":"value_error.missing"}]}',
    "HTTP 400 Bad Request: payload.items[2].price: Invalid type. Expected: number, given: string",
    # a response body that is not JSON, data that does not fit a struct or does not parse
    "SyntaxError: Unexpected token < in JSON at position 0\n    at JSON.parse (<anonymous>)",
    "json: cannot unmarshal string into Go struct field Invoice.total of type float64",
    'strconv.Atoi: parsing "12a": invalid syntax',
    "ValueError: invalid literal for int() with base 10: 'abc'",
    # a key of a dict, a property read on undefined, a connection object the code never assigned
    "KeyError: 'shipping_address'",
    "TypeError: Cannot read properties of undefined (reading 'config')",
    "System.InvalidOperationException: ExecuteReader: Connection property has not been initialized.",
    "open /var/data/uploads/report.json: no such file or directory",
    "./deploy.sh: line 12: ${TARGET//:/}: bad substitution",
]


@pytest.mark.parametrize("text", PLAIN_BUGS, ids=lambda text: text[:40])
def test_the_same_words_about_data_or_code_stay_unknown(text):
    assert rules_say(text) == "unknown"


def test_a_server_refusing_its_configuration_is_the_cause_of_its_failed_start():
    """docs/CLASSES.md: a symptom is never the root cause when a cause explains it."""
    result = classify_text(
        "systemd[1]: Starting nginx.service...\n"
        "nginx[812]: nginx: [emerg] unknown directive \"proxy_passs\" in /etc/nginx/conf.d/api.conf:9\n"
        "nginx[812]: nginx: configuration file /etc/nginx/nginx.conf test failed\n"
        "systemd[1]: nginx.service: Control process exited, code=exited, status=1/FAILURE\n"
        "systemd[1]: Failed to start nginx.service.", model=None)
    assert result.cls == "config_error"


def event_of(text: str) -> ErrorEvent:
    return ErrorEvent([LogRecord(time=None, severity="ERROR", text=text, source="test", position=1)])


# where each new pattern starts a search and then scans on (a path's segments, a verb before a window)
ADVERSARIAL = ["a.", "Config.a", "cannot unmarshal into ", "Error loading config ", "parsing config.", "env var ",
               "Field error in object 'a' on field 'a.", "Binding to target "]


def test_every_new_pattern_stays_within_the_rule_budget_on_a_long_line():
    rules = RuleSet.load()
    ours = [rule.id for _, rule, _ in rules.matches(event_of("config.yaml: a.b: Invalid type. Expected: x"))]
    assert "config-structure.document-field-violation" in ours
    for seed in ADVERSARIAL:
        started = time.process_time()
        rules.classify(event_of(seed * (100_000 // len(seed))))
        spent = {rule: count for rule, count in rules.timeouts.items() if count and rule.startswith("config-structure.")}
        assert spent == {}, seed
        assert time.process_time() - started < 1.0, seed
