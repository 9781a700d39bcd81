"""The rule engine, the shipped packs, user packs, and `rca classify`/`rca rules`."""

import collections
import json
import time

import pytest
import yaml

import rca
from rca.classify import classify_events
from rca.rules import RuleError, RuleSet
from rca.rules.snippets import event_from_example
from conftest import FIXTURES, INCIDENT, run_rca

GOOD_RULE = """
rules:
  - id: team.payment-webhook
    class: auth_rejection
    title: Payment webhooks fail their signature check
    confidence: 0.9
    match:
      text: "webhook rejected: (?P<reason>signature mismatch)"
    explanation: "a webhook was rejected: {reason}"
    questions: ["Was the signing secret rotated?"]
    remedy: Update the webhook signing secret.
    examples:
      match: ["ERROR:root:payment webhook rejected: signature mismatch", "webhook rejected: signature mismatch"]
      no_match: ["webhook accepted"]
"""


@pytest.fixture(scope="module")
def shipped():
    return RuleSet.load()


def test_every_shipped_rule_passes_its_examples(shipped):
    assert shipped.test_examples() == []


def test_every_shipped_rule_has_two_matching_and_one_non_matching_example(shipped):
    thin = [r.id for r in shipped.rules if len(r.examples_match) < 2 or len(r.examples_no_match) < 1]
    assert thin == []


def test_every_class_has_rules(shipped):
    assert {r.cls for r in shipped.rules} == set(rca.classes.KNOWN_CLASSES) - {"unknown"}


def test_seed_incident_classes(shipped):
    counts = collections.Counter()
    for event, result in classify_events(rca.read_events(INCIDENT / "logs.jsonl"), shipped):
        counts[(event.kind, event.first.service, result.cls)] += 1
        if event.message == "NameError: name 'redis' is not defined":
            assert result.fields["name"] == "redis"
            assert result.fields["file"].endswith("tool_permissions/rate_limiter.py") and result.fields["line"] == 22
            assert result.role == "cause" and result.method == "rule"
            assert result.explanation.startswith("redis is used in ") and result.explanation.endswith("but never imported")
    assert counts == {
        ("request", "netra-backend-staging", "service_unavailable"): 1030,
        ("request", "netra-auth-service", "auth_rejection"): 487,
        ("traceback", "netra-backend-staging", "missing_import"): 50,
        ("platform", "netra-backend-staging", "startup_failure"): 100,
        ("traceback", "netra-worker", "db_session_failure"): 17,
    }


def test_local_variable_name_error_is_not_a_missing_import(shipped):
    event = event_from_example('Traceback (most recent call last):\n  File "/app/a.py", line 3, in f\n'
                               '    return total + 1\nNameError: name \'total\' is not defined')
    assert shipped.classify(event).cls == "unknown"


def test_root_exception_decides_the_class(shipped):
    text = (FIXTURES / "tracebacks" / "chained-context.txt").read_text()
    result = shipped.classify(event_from_example(text))
    assert (result.cls, result.fields["variable"]) == ("config_error", "DATABASE_URL")


def test_alternatives_are_kept(shipped):
    result = shipped.classify(event_from_example(
        "sqlalchemy.exc.OperationalError: (psycopg2.OperationalError) server closed the connection unexpectedly"))
    assert result.rule.id == "db.connection-lost-or-refused"
    assert "db.driver-operational-error" in [a["rule"] for a in result.alternatives]


def test_catastrophic_regex_is_stopped_and_costs_only_its_rule(tmp_path):
    pack = tmp_path / "slow.yaml"
    rule = yaml.safe_load(GOOD_RULE)["rules"][0]
    rule.update(id="team.slow", match={"text": "(a|aa)+$"}, examples={"match": ["a"], "no_match": ["b"]})
    pack.write_text(yaml.safe_dump({"rules": [rule]}))
    rules = RuleSet.load([tmp_path])
    event = event_from_example("a" * 5000 + "!\nModuleNotFoundError: No module named 'redis'")
    started = time.perf_counter()
    result = rules.classify(event)
    assert time.perf_counter() - started < 2
    assert rules.timeouts["team.slow"] == 1
    assert result.cls == "missing_import"  # the other rules still ran


def test_user_rule_directory_is_picked_up(tmp_path):
    (tmp_path / "team.yaml").write_text(GOOD_RULE)
    result = run_rca("classify", str(FIXTURES / "formats" / "python-logging.log"), "--rules", str(tmp_path),
                     "--format", "jsonl")
    assert result.returncode == 0, result.stderr
    rules_used = [json.loads(line)["classification"]["rule"] for line in result.stdout.splitlines()]
    assert "team.payment-webhook" in rules_used
    listed = run_rca("rules", "list", "--rules", str(tmp_path)).stdout.decode()
    assert "team.payment-webhook" in listed


@pytest.mark.parametrize("mutation,expected", [
    (lambda r: r.pop("class"), "rule team.payment-webhook: field `class`: missing"),
    (lambda r: r.update(confidence=3), "field `confidence`: a number in (0, 1]"),
    (lambda r: r.update(match={"text": "(unclosed"}), "field `match.text`: invalid regular expression"),
    (lambda r: r.update(match={"exception": {"type": "X", "in": "middle"}}), "field `match.exception.in`: one of root, last, any"),
    (lambda r: r.update(colour="red"), "field `colour`: unknown field"),
])
def test_broken_rule_is_refused_with_file_line_rule_and_field(tmp_path, mutation, expected):
    rule = yaml.safe_load(GOOD_RULE)["rules"][0]
    mutation(rule)
    (tmp_path / "bad.yaml").write_text("# a comment\n" + yaml.safe_dump({"rules": [rule]}, sort_keys=False))
    result = run_rca("rules", "validate", str(tmp_path))
    assert result.returncode == 2
    message = result.stderr.decode().strip()
    assert message.startswith(f"rca: error: {tmp_path / 'bad.yaml'}:3: ") and expected in message, message
    classify = run_rca("classify", str(INCIDENT / "gcloud-read.json"), "--rules", str(tmp_path))
    assert classify.returncode == 2 and expected in classify.stderr.decode()


def test_invalid_yaml_names_the_line(tmp_path):
    (tmp_path / "broken.yaml").write_text("rules:\n  - id: x\n    title: [unclosed\n")
    with pytest.raises(RuleError, match=r"broken.yaml:\d+: not valid YAML"):
        RuleSet.load([tmp_path], shipped=False)


def test_rules_test_command_passes_and_counts():
    result = run_rca("rules", "test")
    assert result.returncode == 0
    assert b" passed, 0 failed" in result.stdout


def test_rules_test_command_fails_on_a_wrong_example(tmp_path):
    rule = yaml.safe_load(GOOD_RULE)
    rule["rules"][0]["examples"]["no_match"] = ["webhook rejected: signature mismatch"]
    (tmp_path / "team.yaml").write_text(yaml.safe_dump(rule))
    result = run_rca("rules", "test", "--rules", str(tmp_path))
    assert result.returncode == 1
    assert b"rule team.payment-webhook: no_match example 1 matched" in result.stderr


def test_snippets_output_shape_and_accuracy(tmp_path):
    """--snippets uses the hybrid by default (rules, then the model) and rules alone with --model none."""
    excerpts = yaml.safe_load((FIXTURES / "snippets" / "excerpts.yaml").read_text())
    lines, labels = [], {}
    for label, items in excerpts.items():
        for item in items:
            if isinstance(item, str):  # --snippets takes text; record-shaped items are covered above
                labels[len(lines)] = label
                lines.append(json.dumps({"id": len(lines), "text": item}))
    path = tmp_path / "snippets.jsonl"
    path.write_text("\n".join(lines) + "\n")
    for model, least_correct, methods in (("none", 0.9, {"rule", "none"}), ("default", 0.95, {"rule", "model", "none"})):
        result = run_rca("classify", "--snippets", str(path), "--format", "jsonl", "--model", model)
        assert result.returncode == 0, result.stderr
        outputs = [json.loads(line) for line in result.stdout.splitlines()]
        assert len(outputs) == len(lines) >= 130
        assert all(set(o) == {"id", "class", "confidence", "method", "rule", "fields"} for o in outputs)
        assert {o["method"] for o in outputs} == methods
        assert all((o["rule"] is not None) == (o["method"] == "rule") for o in outputs)
        correct = sum(o["class"] == labels[o["id"]] for o in outputs)
        wrong = sum(o["class"] != labels[o["id"]] and o["method"] != "none" for o in outputs)
        assert correct / len(outputs) >= least_correct and wrong <= 3, (model, correct, wrong)
