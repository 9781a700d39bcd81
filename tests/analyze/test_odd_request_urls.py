"""A request log's URL whose host urlsplit refuses (an unclosed `[`): the analysis names its route
from the text after the host, and never stops on a ValueError."""

from __future__ import annotations

import json

from conftest import run_rca

from rca.analyze.fingerprint import route

ODD_URL = "http://[oops/api/users/u-1842?x=1"


def test_a_route_of_a_url_with_an_unclosed_bracket_is_its_path():
    assert route(ODD_URL) == "/api/users/{id}"
    assert route("https://[::1/") == "/" and route("http://[bad") == "/"


def test_an_analysis_of_request_logs_with_such_a_url_names_the_route(tmp_path):
    entry = {"severity": "ERROR", "httpRequest": {"requestMethod": "GET", "requestUrl": ODD_URL, "status": 500},
             "resource": {"type": "cloud_run_revision", "labels": {"service_name": "api"}}}
    lines = [json.dumps({**entry, "timestamp": f"2026-01-01T00:00:0{i}Z"}) for i in range(3)]
    (tmp_path / "logs.jsonl").write_text("\n".join(lines) + "\n")
    done = run_rca("analyze", str(tmp_path / "logs.jsonl"), "--format", "json")
    assert done.returncode == 0 and b"Traceback" not in done.stderr, done.stderr
    assert b"/api/users/{id}" in done.stdout
