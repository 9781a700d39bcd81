"""Issue 25, item 8 in the reports: a change before an incident is listed in the JSON (schema 4), drawn
on the Markdown and HTML timelines, and cited by the whys with its audit entry as evidence."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

from conftest import run_rca

SCENARIOS = Path(__file__).resolve().parents[2] / "fixtures" / "scenarios"
sys.path.insert(0, str(SCENARIOS))

import generate as scenarios  # noqa: E402


def test_a_disabled_secret_in_json_markdown_and_html(tmp_path):
    path, _ = scenarios.write("secret-disabled", 8, tmp_path)
    done = run_rca("analyze", str(path), "--format", "json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["schema_version"] == 4
    (incident,) = report["incidents"]
    secret = [c for c in report["changes"] if c["kind"] == "secret"]
    assert len(secret) == 1 and incident["change"] == secret[0] and incident["changes"] == secret
    assert re.fullmatch(r"version \d of secret ledger-api-key disabled", secret[0]["summary"])
    assert secret[0]["record"]["insert_id"] and secret[0]["principal"].startswith("secret-rotator@")

    done = run_rca("analyze", str(path), "--format", "md")
    assert done.returncode == 0, done.stderr
    text = done.stdout.decode()
    timeline = text.split("## Timeline", 1)[1].split("## Symptoms", 1)[0]
    moments = [line for line in timeline.splitlines() if line.startswith("- ")]
    assert f"{secret[0]['summary']} by secret-rotator@" in moments[0] and moments[0].endswith("(change)")
    assert "onset of the failure" in moments[1]  # the change comes first
    assert f"Yes: {secret[0]['summary']} at " in text
    assert "Evidence: 1× secret change: " in text

    out = tmp_path / "report.html"
    done = run_rca("analyze", str(path), "--format", "html", "--out", str(out))
    assert done.returncode == 0, done.stderr
    page = out.read_text()
    assert re.search(r'<line[^>]*stroke="#6f42c1"', page)  # the change's line on the timeline
    assert "secret change" in page
