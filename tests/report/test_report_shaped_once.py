"""Issue 23, "shaped once": the whys carry typed moments, the view is read from the analysis objects
(and agrees with the JSON report on every moment), and redaction happens once, where the report is
written, for every format; the renderers themselves never redact."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
from conftest import INCIDENT, run_rca

import rca.events.redact as redaction
from rca.analyze.analysis import analyze
from rca.analyze.whys import At
from rca.report.html import render_html, to_html
from rca.report.markdown import render_markdown, to_dict, to_markdown
from rca.report.view import build_view

SCENARIOS = Path(__file__).resolve().parents[2] / "fixtures" / "scenarios"
sys.path.insert(0, str(SCENARIOS))

import generate as scenarios  # noqa: E402

STAMP_IN_LOG = "2024-01-02T03:04:05Z"  # a moment a log message writes: log text, shown as written
SECRET = "hunter2-correct-horse"
JSON_STAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z")


def rewritten_incident(tmp_path, addition: str) -> Path:
    """The bundled incident with `addition` after its root cause's message, wherever the logs write it."""
    path = tmp_path / "logs.jsonl"
    text = (INCIDENT / "logs.jsonl").read_text()
    path.write_text(text.replace("name 'redis' is not defined", f"name 'redis' is not defined {addition}"))
    return path


@pytest.fixture(scope="module")
def seed():
    return analyze(INCIDENT / "logs.jsonl", model=None)


def test_whys_carry_their_moments_typed_and_the_json_writes_them_as_stamps(seed):
    whys = seed.whys[0]
    report = to_dict(seed, redacted=False)["incidents"][0]["five_whys"]
    moments = [part for why in whys for part in why.parts if isinstance(part, At)]
    root = seed.incidents[0].root_cause
    assert len(moments) >= 5 and all(m.epoch is not None for m in moments)
    assert At(root.first_seen) in whys[2].parts and At(root.last_seen) in whys[2].parts
    assert not [part for why in whys for part in why.parts if isinstance(part, str) and JSON_STAMP.search(part)]
    assert [why["answer"] for why in report] == [why.answer for why in whys]
    assert "first at 2025-09-12T14:20:02.894120Z, last at " in report[2]["answer"]


def test_a_stamp_in_log_text_stays_as_written_and_the_whys_moments_follow_the_zone(tmp_path):
    """The view used to find timestamps in the whys' sentences with a regex, log text included, and
    rewrite every one it found in the report's zone."""
    result = analyze(rewritten_incident(tmp_path, f"(config of {STAMP_IN_LOG})"), model=None)
    whys = to_markdown(result, tz="Europe/Paris").split("## Five whys", 1)[1]
    cause = next(line for line in whys.splitlines() if "(config of" in line and "Raised" in line)
    assert f"(config of {STAMP_IN_LOG})" in cause
    assert "first at 16:20:02 (2025-09-12T16:20:02.894120+02:00)" in cause  # 14:20:02Z in Paris, summer time
    assert f"(config of {STAMP_IN_LOG})" in to_dict(result)["incidents"][0]["five_whys"][2]["answer"]
    page = to_html(result, tz="Europe/Paris").split("<h2>Five whys</h2>", 1)[1]
    assert f"(config of {STAMP_IN_LOG})" in page and '<time datetime="2025-09-12T16:20:02.894120+02:00"' in page


@pytest.mark.parametrize("shape, number", [("secret-disabled", 8), ("cross-service", 1), ("route-removed-404", 2)])
def test_the_view_and_the_json_report_agree_on_every_moment(tmp_path, shape, number):
    path, _ = scenarios.write(shape, number, tmp_path)
    result = analyze(str(path), model=None)
    view, report = build_view(result), to_dict(result, redacted=False)
    assert view["incidents"] and len(view["incidents"]) == len(report["incidents"])
    for shown, data in zip(view["incidents"], report["incidents"]):
        assert shown["onset"]["exact"] == data["onset"]
        if data["deploy"]:
            assert shown["deploy"]["time"]["exact"] == data["deploy"]["time"]
        if data["root_cause"]:
            root = data["root_cause"]
            assert (shown["root"]["first_seen"]["exact"], shown["root"]["last_seen"]["exact"]) == (root["first_seen"], root["last_seen"])
            assert shown["root"]["headline"].endswith(root["message"]) and shown["root"]["label"] == root["label"]
        assert [(s["label"], s["first_seen"]["exact"], s["last_seen"]["exact"]) for s in shown["symptoms"]] == \
            [(s["label"], s["first_seen"], s["last_seen"]) for s in data["symptoms"][:len(shown["symptoms"])]]
        assert [c["time"]["exact"] for c in shown["changes"]] == [c["time"] for c in data["changes"]]
        assert [r["reason"] for r in shown["ruled_out"]] == [r["reason"] for r in data["ruled_out"][:len(shown["ruled_out"])]]
    by_key = {g["group"]: g for g in report["groups"]}
    assert all(row["first_seen"]["exact"] == by_key[row["group"]]["first_seen"] for row in view["groups"]["rows"])


def test_the_renderers_redact_nothing_and_no_text_is_redacted_twice(tmp_path, monkeypatch):
    """Markdown and HTML used to redact their whole text again after the view was built from the redacted
    JSON report (and redacted again); now the view is redacted once and the renderers show what they get."""
    result = analyze(rewritten_incident(tmp_path, f"(DB_PASSWORD={SECRET})"), model=None)
    assert SECRET in render_markdown(build_view(result)) and SECRET in render_html(build_view(result))
    seen: list[str] = []
    original = redaction.redact

    def counted(text: str, pii: bool = False) -> str:
        seen.append(text)
        return original(text, pii)

    monkeypatch.setattr(redaction, "redact", counted)
    markdown, page = to_markdown(result), to_html(result)
    assert SECRET not in markdown and "DB\\_PASSWORD=\\[REDACTED\\]" in markdown
    assert SECRET not in page and "DB_PASSWORD=[REDACTED]" in page
    assert seen and not [text for text in seen if redaction.REDACTED in text]  # nothing masked twice
    shown = to_markdown(result, redacted=False) + to_html(result, redacted=False)
    assert shown.count(SECRET) >= 4 and redaction.REDACTED not in shown


def test_no_redact_reaches_the_report_and_the_summary_on_stderr(tmp_path):
    path = rewritten_incident(tmp_path, f"(DB_PASSWORD={SECRET})")
    shown = run_rca("analyze", str(path), "--format", "md", "--no-redact")
    assert shown.returncode == 0, shown.stderr
    assert SECRET in shown.stdout.decode()
    assert any(SECRET in line for line in shown.stderr.decode().splitlines() if line.startswith("incident on "))
    masked = run_rca("analyze", str(path), "--format", "md")
    assert masked.returncode == 0 and SECRET not in masked.stdout.decode() + masked.stderr.decode()
    assert "DB_PASSWORD=[REDACTED]" in masked.stderr.decode()
