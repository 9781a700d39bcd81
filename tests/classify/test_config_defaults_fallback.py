"""A program that says it goes on with its defaults has not failed: classify18's config kinds (setting not
provided, named config file absent, configuration would not load) read such a start-up warning as a
config_error, which then competed with the incident's real cause. The same wordings without the fallback stay
config_error."""

from __future__ import annotations

import pytest

from rca.classify.hybrid import classify_text
from rca.classify.rules import RuleSet


@pytest.fixture(scope="module")
def rules() -> RuleSet:
    return RuleSet.load()


FALLBACKS = [
    "WARNING: No configuration provided, using default settings",
    "No config specified, falling back to defaults",
    "INFO no setting provided for LOG_LEVEL, defaulting to INFO",
    "Config file 'app.yaml' not found, using defaults",
    "Failed to load configuration file for plugin cache, falling back to defaults",
]

FAILURES = [
    "ERROR: Strict hostname resolution configured but no hostname setting provided",
    "Config File \"config\" Not Found in \"[/app]\"",
    "Failed to load configuration file: /etc/ledger/ledger.toml",
]


@pytest.mark.parametrize("text", FALLBACKS)
def test_a_fallback_to_defaults_is_no_config_error(rules, text):
    assert classify_text(text, rules=rules, model=None).cls == "unknown"


@pytest.mark.parametrize("text", FAILURES)
def test_the_same_kinds_without_a_fallback_stay_config_errors(rules, text):
    assert classify_text(text, rules=rules, model=None).cls == "config_error"
