"""A group's label is cut (300 characters) when the analysis names the group, long before an output
redacts it; a sample (4000) too. A secret the cut split in two is one no pattern knows: the first
part of a URL's password, without its `@`, reached every report and the line on stderr (review of
issue 23's "redaction once, on whole texts, before any cut"). Cuts fall between words now."""

from __future__ import annotations

import json

import pytest
from conftest import INCIDENT, run_rca

from rca.events.redact import cut_between_words

MESSAGE = "name 'redis' is not defined"
URL = "postgres://app:Sup3rS3cretPw@db:5432/orders"


def message_with_a_url_across(cut: int) -> str:
    """The seed's NameError message, padded so that the label's cut falls in the URL's password."""
    label = f"NameError: {MESSAGE} "
    padding = cut - len(label) - len("postgres://app:Sup3r") - 1
    return f"{MESSAGE} {'x' * padding} {URL}"


@pytest.fixture(scope="module")
def logs(tmp_path_factory):
    path = tmp_path_factory.mktemp("cut") / "logs.jsonl"
    long = json.dumps(message_with_a_url_across(300))[1:-1]
    path.write_text((INCIDENT / "logs.jsonl").read_text().replace(MESSAGE, long))
    return path


@pytest.mark.parametrize("output_format", ["json", "md", "html"])
def test_no_part_of_a_password_is_left_by_the_labels_cut(logs, output_format):
    done = run_rca("analyze", str(logs), "--model", "none", "--format", output_format)
    assert done.returncode == 0, done.stderr.decode()
    assert b"Sup3r" not in done.stdout and b"Sup3r" not in done.stderr
    assert b"xxxxxxxxxx" in done.stdout and b"incident on netra-backend-staging" in done.stderr  # the label is there


def test_a_cut_falls_between_words():
    text = "ValueError: bad " + URL + " given"
    assert cut_between_words(text, len(text)) == text
    assert cut_between_words(text, 40) == "ValueError: bad"  # not "... postgres://app:Sup3rS3c"
    assert cut_between_words("x" * 50, 10) == "x" * 10  # no word boundary: where the limit falls
