"""Issue 29, item 12: YAML aliases in a rule pack are expanded within a bound everywhere in the pack:
a "billion laughs" inside a rule's `match:` tree, or an alias that contains itself, is one clear
problem naming the file, found in a second, instead of a MemoryError traceback after 16 s. A pack
that reuses a condition by an alias, within the bound, still loads."""

import time

import pytest
from conftest import INCIDENT, run_rca

from rca.classify.rules import RuleSet
from rca.classify.rules.loader import MAX_EXPANDED_NODES, Rule, RuleError, expanded_size

RULE = """rules:
  - id: team.{name}
    class: timeout
    title: A made-up rule
    confidence: 0.9
    match:
{match}
    explanation: "it timed out"
    questions: [What timed out?]
    remedy: Raise the deadline.
    examples:
      match: ["grpc: deadline exceeded"]
      no_match: ["all good"]
"""
LAUGHS = "\n".join(["      all:", "        - message: &a0 'lol'"]
                   + [f"        - &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 10)])
LOOP = "      any: &loop\n        - message: 'x'\n        - any: *loop"
LIST_LOOP = "      any: &loop\n        - message: 'x'\n        - *loop"
REUSED = ("      any:\n        - &slow {message: 'deadline exceeded'}\n        - all: [*slow, {http_status: 504}]")


def pack(tmp_path, match: str, name: str = "bomb"):
    folder = tmp_path / "packs"
    folder.mkdir(exist_ok=True)
    path = folder / f"{name}.yaml"
    path.write_text(RULE.format(name=name, match=match))
    return folder, path


def test_the_expanded_size_counts_every_use_of_a_shared_subtree():
    shared = [1, 2, 3]
    assert expanded_size({"a": shared, "b": [shared, shared]}) == 1 + 4 + (1 + 4 + 4)
    looped: list = []
    looped.append(looped)
    assert expanded_size(looped) is None and expanded_size("text") == 1


@pytest.mark.parametrize("command", [["rules", "validate"], ["rules", "test", "--rules"], ["analyze", str(INCIDENT / "logs.jsonl"), "--rules"]])
def test_a_billion_laughs_in_a_match_tree_is_one_clear_problem(tmp_path, command):
    folder, path = pack(tmp_path, LAUGHS)
    started = time.monotonic()
    result = run_rca(*command, str(folder))
    err = result.stderr.decode()
    assert result.returncode == 2 and "Traceback" not in err and "MemoryError" not in err
    assert f"{path}: refused: its aliases expand to " in err and f"(at most {MAX_EXPANDED_NODES:,})" in err
    assert time.monotonic() - started < 60  # the run stops at once (the interpreter's start-up aside)


@pytest.mark.parametrize("match", [LOOP, LIST_LOOP])
def test_an_alias_that_contains_itself_is_refused(tmp_path, match):
    folder, path = pack(tmp_path, match)
    problems = RuleSet.validate([folder])  # PyYAML refuses a mapping that holds itself; rca a list that does
    assert len(problems) == 1 and problems[0].startswith(str(path))
    assert "refused: its aliases refer to themselves" in problems[0] or "recursive node" in problems[0]


def test_rule_from_yaml_refuses_a_bomb():
    with pytest.raises(RuleError, match="refused: its aliases expand to"):
        Rule.from_yaml(RULE.format(name="bomb", match=LAUGHS).split("rules:\n  - ", 1)[1].replace("\n    ", "\n"))


def test_a_condition_reused_by_an_alias_still_loads(tmp_path):
    folder, _ = pack(tmp_path, REUSED, name="reuse")
    assert RuleSet.validate([folder]) == []
    rules = RuleSet.load([folder])
    assert "team.reuse" in [rule.id for rule in rules.rules]
