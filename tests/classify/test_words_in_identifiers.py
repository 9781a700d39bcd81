"""Issue 28's new wordings are words of their own, not pieces of a longer identifier (review): a
camelCase field named in a message is no environment variable, an application's own constant that
starts with Node's error code is no missing module. Each near miss comes with the wording it must not
be taken for, which still decides."""

import pytest

from rca.classify.hybrid import classify_text


def decided(text: str):
    return classify_text(text, model=None)


@pytest.mark.parametrize("text, variable", [
    ("ValueError: DATABASE_URL is required", "DATABASE_URL"),
    ('ValueError: "DATABASE_URL" is required', "DATABASE_URL"),
    ("ValueError: settings.DATABASE_URL is required", "DATABASE_URL"),
    ("RuntimeError: missing setting: API_KEY", "API_KEY"),
])
def test_a_setting_named_whole_is_a_config_error(text, variable):
    classification = decided(text)
    assert classification.cls == "config_error" and classification.fields["variable"] == variable


@pytest.mark.parametrize("text", [
    "ValueError: accountUUID is required",  # was config_error, "setting UUID is not set"
    "ValueError: userEMAIL must be set",
    "RuntimeError: missing setting: URLprefix",  # was config_error, "setting URL is not set"
])
def test_the_upper_case_end_of_an_identifier_is_no_setting(text):
    classification = decided(text)
    assert classification.cls != "config_error", classification.fields


@pytest.mark.parametrize("text, cls", [
    ("Error: Cannot find package 'zod' imported from /app/index.js\n  code: 'ERR_MODULE_NOT_FOUND'", "missing_import"),
    ("{ code: 'MODULE_NOT_FOUND', requireStack: [ '/app/server.js' ] }", "missing_import"),
    ("Error: getaddrinfo ENOTFOUND redis.internal", "dependency_connection_failure"),
    ("  Warning  Failed  8s  kubelet  Error: CreateContainerConfigError", "config_error"),
])
def test_the_wordings_still_decide(text, cls):
    assert decided(text).cls == cls


@pytest.mark.parametrize("text, not_cls", [
    ("KeyError: 'MODULE_NOT_FOUND_HANDLER'", "missing_import"),
    ("ValueError: CreateContainerConfigErrorCount must be an int", "config_error"),
    ("RuntimeError: lookup table getaddrinfo ENOTFOUNDATION_CACHE is stale", "dependency_connection_failure"),
])
def test_a_wording_inside_a_longer_name_decides_nothing(text, not_cls):
    assert decided(text).cls != not_cls
