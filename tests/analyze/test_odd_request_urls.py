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


def test_a_load_balancer_failure_with_such_a_url_is_grouped_by_its_path(tmp_path):
    """A group with no service of its own is tied by its URL's host (groups._named_service)."""
    lines = []
    for i in range(3):
        lines.append({"timestamp": f"2026-01-01T00:00:0{i}Z", "severity": "ERROR", "textPayload": "ConnectionError: db down",
                      "resource": {"type": "cloud_run_revision", "labels": {"service_name": "api"}}})
        lines.append({"timestamp": f"2026-01-01T00:00:0{i}.5Z", "severity": "ERROR",
                      "httpRequest": {"requestMethod": "GET", "requestUrl": "http://[api/x", "status": 502},
                      "resource": {"type": "http_load_balancer", "labels": {}},
                      "jsonPayload": {"statusDetails": "failed_to_connect_to_backend"}})
    (tmp_path / "logs.jsonl").write_text("\n".join(json.dumps(line) for line in lines) + "\n")
    done = run_rca("analyze", str(tmp_path / "logs.jsonl"), "--format", "json")
    assert done.returncode == 0 and b"Traceback" not in done.stderr, done.stderr
    labels = {group["label"]: group["count"] for group in json.loads(done.stdout)["groups"]}
    assert labels == {"ConnectionError: db down": 3, "GET /x 502": 3}
