"""The configuration-family rule (config-stacks.exception-family) on a long dotted name. Its search once
tried every segment of a name as a start and every shorter chain from each: quadratic in the name's length,
so a 50 kB `Misconfiguration.Misconfiguration.…` ran past the rule's time budget and the rule was switched
off for the text (and, after three such texts, for the run)."""

import time

import pytest

from rca.classify.rules import RuleSet
from rca.events.error_event import ErrorEvent
from rca.ingest.record import LogRecord

RULE = "config-stacks.exception-family"


def event_of(text: str) -> ErrorEvent:
    return ErrorEvent([LogRecord(time=None, severity="ERROR", text=text, source="test", position=1)])


@pytest.mark.flaky(reruns=2)  # a time-out is wall time: load can trip a linear search once, not thrice
def test_a_long_dotted_name_stays_within_the_rule_budget():
    rules = RuleSet.load()
    for segment in ("Misconfiguration.", "a.", "Config::", "a\\"):
        chain = segment * (50_000 // len(segment))
        started = time.process_time()
        result = rules.classify(event_of("boot failed: " + chain + " then ConfigError: smtp.host is not set"))
        assert rules.timeouts[RULE] == 0, segment
        assert (result.rule.id, result.fields.get("exception")) == (RULE, "ConfigError"), segment
        assert time.process_time() - started < 1.0, segment


def test_the_type_is_found_where_it_was_before():
    """A start inside a name, a digit-led segment breaking the chain, a separator after the type."""
    rules = RuleSet.load()

    def captured(text: str) -> str | None:
        return next((fields.get("exception") for _, rule, fields in rules.matches(event_of(text)) if rule.id == RULE), None)

    assert [captured(text) for text in (
        "org.apache.kafka.common.config.ConfigException: Missing required configuration",
        "lib 1.ConfigError: bad value", "see a.b.InvalidConfigurationError) above",
        "x.ConfigError.y: not a type", "App::ConfigError:: nothing")] == [
        "ConfigException", "ConfigError", "InvalidConfigurationError", None, None]


@pytest.mark.flaky(reruns=2)  # a time-out is wall time: load can trip a linear search once, not thrice
def test_a_long_line_of_config_file_opens_stays_within_the_rule_budget():
    """config-shape.config-file-unloadable once scanned lazily from every `: open ` to the reason: 15 s on
    100 kB of `config file: open `, so the rule timed out and was switched off."""
    rules = RuleSet.load()
    started = time.process_time()
    # the reason on the next line: every `: open ` is a start that fails at the line's end
    rules.classify(event_of("config file: open " * 6000 + "\nno such file or directory"))
    assert rules.timeouts["config-shape.config-file-unloadable"] == 0
    assert time.process_time() - started < 1.0
    result = rules.classify(event_of("config file: open /srv/a.yaml: no such file or directory"))
    assert result.rule.id == "config-shape.config-file-unloadable"


@pytest.mark.flaky(reruns=2)  # a time-out is wall time: load can trip a linear search once, not thrice
def test_a_long_line_of_config_file_names_stays_within_the_rule_budget():
    """config-structure.config-file-parse-location tried, from every `invalid `, each file name a keyword and
    an extension could end (a dozen keywords, each with several extensions after it) and a 40-character
    window after each: ~90 ms of CPU on 100 kB of `invalid config.ini.config.ini.…`, past the 50 ms budget.
    The shortest file is now taken once; a real parse error is still found, with its file and location."""
    rule = "config-structure.config-file-parse-location"
    rules = RuleSet.load()
    unit = "invalid " + "config.ini." * 18 + " "
    started = time.process_time()
    for _ in range(3):  # three time-outs switch the rule off for the run
        rules.classify(event_of(unit * (100_000 // len(unit))))
    assert rules.timeouts[rule] == 0
    assert time.process_time() - started < 1.0
    found = {r.id: fields for _, r, fields in rules.matches(event_of(
        "error: invalid settings.toml: expected `=`, found newline at line 7 column 9"))}
    assert found[rule] == {"file": "settings.toml", "location": "line 7"}
