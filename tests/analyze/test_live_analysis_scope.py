"""`rca analyze --project` reaches the conclusion the exported logs give: the live scope pulls what the
decision needs (every request, App Engine's and GKE's stderr, 1st-gen functions' executions, the admin
activity audit log), checked with the real client against the local Logging server on scenario shapes
whose conclusions need each of them. With the failures alone, each of these came out otherwise:
a dropped route's or a denied service's outage unseen (no healthy requests: no breadth), a function's
timeouts unseen (their outcome is a DEBUG line), App Engine's traceback cut (its lines have no severity),
the audit log's changes missing."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from conftest import run_rca
from logging_server import LoggingServer

SCENARIOS = Path(__file__).resolve().parents[2] / "fixtures" / "scenarios"
sys.path.insert(0, str(SCENARIOS))

import generate as scenarios  # noqa: E402
from score import score  # noqa: E402

# shape -> what the failures alone lose
SHAPES = {
    "route-removed-404": "the healthy requests a dropped route's 404s are a share of",
    "forbidden-outage": "the healthy requests that make 403s to every user an outage",
    "cloud-function-gen1": "the DEBUG lines that say an execution timed out",
    "app-engine": "a traceback's lines in App Engine's stderr, which carry no severity",
    "healthy-audit-changes": "the audit log's IAM, secret and database changes",
}


def essence(report: dict) -> dict:
    """What a live pull and an export must agree on (record positions differ: the pull holds fewer lines)."""
    return {
        "incidents": [(i["service"], i.get("root_cause") and (i["root_cause"]["class"], i["root_cause"]["label"]),
                       [s.get("label") for s in i.get("symptoms", [])]) for i in report["incidents"]],
        "changes": [(c["kind"], c["time"], c["service"], c["resource"], c["summary"]) for c in report["changes"]],
        "deploys": [(d.get("service"), d.get("revision"), d.get("time")) for d in report["deploys"]],
    }


@pytest.mark.parametrize("shape", list(SHAPES))
def test_a_live_analysis_concludes_what_the_export_does(shape, tmp_path):
    path, truth = scenarios.write(shape, 0, tmp_path)
    entries = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    window = ["--since", truth["window"]["start"], "--until", _after(truth["window"]["end"])]
    exported = run_rca("analyze", str(path), *window, "--format", "json", "--model", "none")
    with LoggingServer(entries) as server:
        live = run_rca("analyze", "--project", "orbit-live", *window, "--endpoint", server.endpoint,
                       "--format", "json", "--model", "none")
        pulled = len(server.select(server.requests[0]["filter"]))
    assert exported.returncode == live.returncode == 0, live.stderr
    export_report, live_report = json.loads(exported.stdout), json.loads(live.stdout)
    assert score(truth, export_report)["ok"]
    assert score(truth, live_report)["ok"], f"lost {SHAPES[shape]}: {score(truth, live_report)['problems']}"
    assert essence(live_report) == essence(export_report)
    assert pulled < len(entries) or shape == "cloud-function-gen1"  # a scope, not every entry


def _after(stamp: str) -> str:
    """A moment just past `stamp`, so that the window's last entry is in it."""
    from datetime import datetime, timedelta

    moment = datetime.fromisoformat(stamp.replace("Z", "+00:00")) + timedelta(seconds=1)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def test_rca_watch_follows_the_failures_alone():
    """Following live, rates are per minute (rca.analyze.watch): the healthy requests are not pulled."""
    from rca.ingest.live import ANALYSIS_SCOPE, FAILURE_SCOPE, build_filter

    assert "httpRequest.status>0" in ANALYSIS_SCOPE and "httpRequest.status>0" not in FAILURE_SCOPE
    assert FAILURE_SCOPE[1:-1] in ANALYSIS_SCOPE
    assert build_filter(0, None, scope=FAILURE_SCOPE).endswith(FAILURE_SCOPE)
    from urllib.parse import quote

    from rca.analyze.watch import logs_link

    assert quote(FAILURE_SCOPE) in logs_link("orbit-live", "accounts-api", 1.7e9)
