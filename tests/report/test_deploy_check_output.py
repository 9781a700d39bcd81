"""The reports of `rca diff` (and `rca verify`, rendered by the same code): redacted once, when the dict
is made, so that `redacted=False` and `--no-redact` reach the Markdown and HTML too; control characters
of a group's label shown as escapes in every text, the line on stderr included."""

from __future__ import annotations

import json

import pytest
from conftest import run_rca

import rca
from rca.report.deploy_checks import diff_to_dict, to_html, to_markdown

SECRET = "ya29.a0AfH6SMBsecretsecretsecret"
LABEL = f"cache \x1b[31mred\x1b[0m failed token={SECRET}"
SIDES = ("--before", "..2025-09-12T14:30Z", "--after", "2025-09-12T14:30Z..", "--model", "none")


@pytest.fixture(scope="module")
def logs(generator, tmp_path_factory):
    entries = generator.deploy_check(0.10)
    for entry in entries:
        if entry.get("jsonPayload", {}).get("logger") == "netra_backend.app.cache":
            entry["jsonPayload"]["message"] = LABEL
    path = tmp_path_factory.mktemp("check") / "hostile.jsonl"
    path.write_text("".join(json.dumps(entry) + "\n" for entry in entries))
    return path


@pytest.fixture(scope="module")
def found(logs):
    return rca.diff(logs, before="..2025-09-12T14:30Z", after="2025-09-12T14:30Z..", model=None)


def test_the_renderers_show_the_dict_as_redacted_as_it_is(found):
    masked, shown = diff_to_dict(found), diff_to_dict(found, redacted=False)
    for render in (to_markdown, to_html):
        text = render(masked)
        assert SECRET not in text and "REDACTED" in text
        assert SECRET in render(shown)  # the renderers used to redact again, whatever the dict said
        assert "\x1b" not in text and "red\\x1b" in text


def test_no_redact_and_escapes_reach_the_command_line(logs):
    shown = run_rca("diff", str(logs), *SIDES, "--no-redact")
    assert SECRET in shown.stdout.decode()
    masked = run_rca("diff", str(logs), *SIDES)
    out, err = masked.stdout.decode(), masked.stderr.decode()
    assert masked.returncode == 1, err  # regressed: the cache's label doubled
    assert SECRET not in out + err and "\x1b" not in out + err
    assert "red\\x1b" in out and "red\\x1b" in err.splitlines()[-2] + err.splitlines()[-1]


def test_a_check_read_from_a_cut_source_says_it_is_partial_in_every_format(found):
    from rca.ingest import CUT_SHORT

    whole = diff_to_dict(found)
    assert all("partial" not in render(whole) for render in (to_markdown, to_html))
    cut = diff_to_dict(found)
    cut["stats"]["notes"][CUT_SHORT] = 1
    cut["stats"]["errors"] = ["gs://bucket/logs.json: the storage server stopped answering after 1,024 of 9,000 bytes"]
    for render in (to_markdown, to_html):
        text = render(cut)
        assert "This report is partial" in text and "stopped answering after 1,024 of 9,000 bytes" in text
