"""One view, three renderings: Markdown, HTML and JSON name the same root cause, symptoms and ruled-out
groups; the HTML leads with the verdict; times are short, in the zone asked for; log text stays text."""

import html
import json
import re

import pytest
from conftest import INCIDENT

from rca.analyze.analysis import analyze
from rca.classify.rules import Classification
from rca.report.html import to_html
from rca.report.markdown import to_dict, to_markdown
from rca.report.view import shorten, span_text

ROOT_LABEL = "NameError: name 'redis' is not defined"
MICROSECOND_STAMP = re.compile(r"\d\d:\d\d:\d\d\.\d{6}")


@pytest.fixture(scope="module")
def seed():
    return analyze(INCIDENT / "logs.jsonl")


def sections(markdown: str) -> dict[str, str]:
    """Markdown by its `## ` headings (the part before the first under "")."""
    parts = re.split(r"^## (.+)$", markdown, flags=re.M)
    return {"": parts[0], **dict(zip(parts[1::2], parts[2::2]))}


def html_section(page: str, title: str) -> str:
    return re.split(rf"<h2[^>]*>{title}</h2>", page, maxsplit=1)[1].split("<h2", 1)[0]


def test_markdown_html_and_json_name_the_same_root_cause_symptoms_and_ruled_out(seed):
    report = to_dict(seed)
    (incident,) = report["incidents"]
    root = incident["root_cause"]["label"]
    symptoms = [s["label"] for s in incident["symptoms"]]
    ruled_out = [r["label"] for r in incident["ruled_out"]]
    assert root == ROOT_LABEL and len(symptoms) == 8 and len(ruled_out) == 2

    markdown = sections(to_markdown(seed))
    assert f"**Root cause:** `{root}`" in markdown[""]
    rows = [line.split(" | ")[0].lstrip("| ") for line in markdown["Symptoms"].splitlines() if line.startswith("| ")][1:]
    assert [html.unescape(r.replace("\\", "")) for r in rows] == symptoms
    bullets = [line[2:] for line in markdown["Ruled out"].splitlines() if line.startswith("- ")]
    assert [b.replace("\\", "") for b in bullets] == [r["reason"] for r in incident["ruled_out"]]
    assert all(b.replace("\\", "").startswith(label) for b, label in zip(bullets, ruled_out))

    page = to_html(seed)
    verdict = page.split('<section class="verdict"', 1)[1].split("</section>", 1)[0]
    assert html.unescape(verdict.split('<div class="headline">', 1)[1].split("</div>", 1)[0]) == root
    assert [html.unescape(t) for t in re.findall(r'<td class="l" title="([^"]*)"', html_section(page, "Symptoms"))] == symptoms
    items = [html.unescape(i) for i in re.findall(r"<li>(.*?)</li>", html_section(page, "Ruled out"))]
    assert items == [r["reason"] for r in incident["ruled_out"]]


def test_html_is_led_by_the_verdict_then_the_traceback(seed):
    page = to_html(seed)
    order = [page.index(marker) for marker in ('class="verdict"', ">Root cause traceback</h2>", ">Timeline</h2>",
                                               "<h2>Symptoms</h2>", "<h2>Ruled out</h2>", "<h2>Candidates</h2>",
                                               "<h2>Five whys</h2>", "<h2>Error groups</h2>")]
    assert order == sorted(order)
    strip = page.split('<div class="strip">', 1)[1].split("</section>", 1)[0]
    assert "netra-backend-staging-00042-q9m" in strip and "+1.7 s after the deploy" in strip
    assert "1,030 failed requests on 6 routes" in strip and "50 instances" in strip and "29 min 57 s" in strip
    traceback = html_section(page, "Root cause traceback")
    assert traceback.count("<details>") == 1 and "13 library frames: uvicorn, click, importlib" in traceback
    failing = traceback.split('class="failing"', 1)[1].split("</div>", 1)[0]
    assert "rate_limiter.py\", line 22, in __init__" in failing and "redis.Redis.from_url" in failing
    assert "<script" not in page  # no JavaScript needed, none present


def test_a_model_decided_root_cause_says_model_and_its_probability(seed):
    analysis = analyze(INCIDENT / "logs.jsonl")
    root = analysis.incidents[0].root_cause
    event, _ = root.sample[0]
    root.sample[0] = (event, Classification("missing_import", 0.8712, "model"))
    page, markdown = to_html(analysis), to_markdown(analysis)
    assert "by the model (probability 0.87; no rule matched)" in page
    assert "by the model (probability 0.87; no rule matched)" in markdown
    assert "rule <code></code>" not in page and "by rule" not in page.split('class="verdict"', 1)[1].split("</section>")[0]


def _overruled_analysis():
    """The incident analysed afresh, its root cause decided by the model over a connection rule's claim."""
    analysis = analyze(INCIDENT / "logs.jsonl")
    root = analysis.incidents[0].root_cause
    event, _ = root.sample[0]
    claim = {"class": "dependency_connection_failure", "confidence": 0.8, "rule": "dependency.http-connect-failure",
             "overruled": True}
    root.sample[0] = (event, Classification("timeout", 0.9512, "model-over-rule", None, {}, [claim]))
    return analysis, root


def test_a_root_cause_the_model_decided_over_a_rule_names_both(seed):
    analysis, _ = _overruled_analysis()
    page, markdown = to_html(analysis), to_markdown(analysis)
    said = "by the model (probability 0.95) over rule"
    assert said in page and said in markdown
    assert "dependency.http-connect-failure" in markdown and "`dependency_connection_failure`" in markdown
    assert to_dict(analysis)["incidents"][0]["root_cause"]["method"] == "model-over-rule"


def test_the_json_report_keeps_the_claim_the_model_decided_over(seed):
    """`rule` is null when the model decided: the overruled rule and its class are in `overruled`, so that
    the JSON says what the Markdown and the HTML say; a group the rule or the model decided alone has no such key."""
    analysis, root = _overruled_analysis()
    report = to_dict(analysis)
    said = report["incidents"][0]["root_cause"]
    assert (said["method"], said["rule"]) == ("model-over-rule", None)
    assert said["overruled"] == {"class": "dependency_connection_failure", "confidence": 0.8,
                                 "rule": "dependency.http-connect-failure"}
    assert [g["overruled"] for g in report["groups"] if g["group"] == root.key] == [said["overruled"]]
    assert all("overruled" not in g for g in report["groups"] if g["group"] != root.key)
    assert "which claimed `dependency_connection_failure` (confidence 0.80)" in to_markdown(analysis)


def test_whys_four_and_five_end_differently(seed):
    for text in (to_markdown(seed), to_html(seed)):
        whys = re.findall(r"^4\. .*?(?=^5\. )|^5\. .*?(?=^## )", text, flags=re.M | re.S) if "## " in text else \
            re.findall(r"<li><span class=\"q\">(.*?)</li>", text, flags=re.S)[3:5]
        assert len(whys) == 2
        four, five = (re.sub(r"<[^>]+>", "", w).strip() for w in whys)
        assert four.rstrip(".)").split(". ")[-1] != five.rstrip(".)").split(". ")[-1]
        assert "Remedy: Add" in five and "what the logs say is under why 4" in five
        assert "revision netra-backend-staging-00042-q9m first appears at" in four


def test_tables_use_short_times_and_the_zone_asked_for(seed):
    markdown = to_markdown(seed)
    for name in ("Symptoms", "Error groups"):
        assert not MICROSECOND_STAMP.search(sections(markdown)[name])
    assert "| GET /ws 503 | service_unavailable | 179 | 14:20:04 | 14:49:42 |" in markdown
    assert "**first seen** 14:20:02, +1.7 s after the deploy (2025-09-12T14:20:02.894120Z)" in markdown
    paris = to_markdown(seed, tz="Europe/Paris")
    assert "| GET /ws 503 | service_unavailable | 179 | 16:20:04 | 16:49:42 |" in paris
    assert "(2025-09-12T16:20:02.894120+02:00)" in paris and "Times in Europe/Paris" in paris
    page = to_html(seed, tz="Europe/Paris")
    assert '<time datetime="2025-09-12T16:20:02.894120+02:00" title="2025-09-12T16:20:02.894120+02:00">16:20:02</time>' in page
    assert ">16:20<" in page and not MICROSECOND_STAMP.search(re.sub(r'(title|datetime)="[^"]*"', "", html_section(page, "Symptoms")))


def test_groups_are_capped_and_not_repeated(tmp_path):
    words = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel"]
    lines = [json.dumps({"textPayload": f"ERROR {a} {b} failed", "severity": "ERROR",
                         "timestamp": f"2025-09-12T14:{i % 50:02d}:00Z"})
             for i, (a, b) in enumerate((a, b) for a in words for b in words[:4])]
    path = tmp_path / "many.jsonl"
    path.write_text("\n".join(lines) + "\n")
    analysis = analyze(path)
    assert len(analysis.groups) == 32
    markdown = sections(to_markdown(analysis))["Error groups"]
    assert markdown.count("\n| ") == 1 + 15 + 1 and "… 17 more (see the JSON report)" in markdown
    page = to_html(analysis)
    assert html_section(page, "Error groups").count("<tr>") == 1 + 15 and "17 more in the JSON report" in page
    seed_groups = sections(to_markdown(analyze(INCIDENT / "logs.jsonl")))["Error groups"]
    assert "All 11 error groups are shown above." in seed_groups and "GET /ws 503" not in seed_groups


def test_labels_are_shortened_at_word_boundaries():
    assert shorten("Default STARTUP TCP probe failed 1 time consecutively for container") == \
        "Default STARTUP TCP probe failed 1 time…"
    assert shorten("short") == "short"
    assert [span_text(s) for s in (1.7, 42, 29 * 60 + 57, 3 * 3600 + 300)] == ["1.7 s", "42 s", "29 min 57 s", "3 h 5 min"]


def hostile_seed(tmp_path):
    """The seed incident, with markup in the root cause's traceback and in a symptom's message."""
    text = (INCIDENT / "logs.jsonl").read_text()
    text = text.replace("decode_responses=True)", "decode_responses=True)  # <script>document.title='pwned'</script>")
    text = text.replace("Container called exit(1).", "Container called exit(1). <img src=x onerror=document.title=/pwned/.source>")
    path = tmp_path / "logs.jsonl"
    path.write_text(text)
    return path


def test_log_markup_is_escaped_in_every_rendering(tmp_path):
    analysis = analyze(hostile_seed(tmp_path))
    page = to_html(analysis)
    assert "<script" not in page and "<img" not in page
    assert "&lt;script&gt;document.title=&#39;pwned&#39;&lt;/script&gt;" in page
    from markdown_it import MarkdownIt

    rendered = MarkdownIt("commonmark", {"html": True}).enable("table").render(to_markdown(analysis))
    assert "<script" not in rendered and "<img" not in rendered and "&lt;img src=x" in rendered


def test_a_root_cause_not_named_shows_the_verdict_and_the_candidates():
    analysis = analyze(INCIDENT / "logs.jsonl")
    incident = analysis.incidents[0]
    incident.root_cause = None
    incident.verdict = "no candidate is convincing: the best scored 4.0 (at least 5 is needed)"
    markdown, page = to_markdown(analysis), to_html(analysis)
    assert markdown.startswith("# Incident 1: netra-backend-staging — cause not found\n")
    assert f"**Root cause not named:** {incident.verdict}." in markdown and "## Candidates" in markdown
    verdict = page.split('<section class="verdict none"', 1)[1].split("</section>", 1)[0]
    assert "Root cause not named" in verdict and "no candidate is convincing" in verdict and "1,030 failed requests" in verdict
    assert "<h2>Candidates</h2>" in page and "Root cause traceback" not in page
    assert re.search(r'<g class="row ([a-z-]+)"', page).group(1) == "symptom"


def test_no_redact_reaches_every_markdown_cell(tmp_path):
    """`redacted=False` is the reader's choice for the whole report: the error-group table's cells used
    to mask secrets on their own, so `--no-redact` still printed `DB_PASSWORD=[REDACTED]` there."""
    from rca.analyze.analysis import analyze
    from rca.report.markdown import to_markdown

    path = tmp_path / "secret.jsonl"
    path.write_text("".join(json.dumps({"textPayload": f"ERROR settings rejected: DB_PASSWORD=hunter2-correct-horse #{i}",
                                        "severity": "ERROR", "timestamp": f"2025-09-12T14:25:{i:02d}Z"}) + "\n"
                            for i in range(3)))
    result = analyze(path, model=None)
    shown, masked = to_markdown(result, redacted=False), to_markdown(result)
    table = [line for line in shown.splitlines() if line.startswith("| ") and "settings rejected" in line]
    assert table and all("hunter2-correct-horse" in line for line in table)
    assert "hunter2-correct-horse" not in masked and "settings rejected" in masked
