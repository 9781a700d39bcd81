"""A change on record answers the rule's prompts that ask what changed (issue 25); the whys around them
must still hold: the facts the logs give written under a prompt still asked, the pointer to them
numbered as the report numbers its whys, and the rule's remedy kept (review of issue 23's whys)."""

from __future__ import annotations

import re
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from rca.analyze.analysis import analyze
from rca.analyze.whys import five_whys

SCENARIOS = Path(__file__).resolve().parents[2] / "fixtures" / "scenarios"
sys.path.insert(0, str(SCENARIOS))

import generate as scenarios  # noqa: E402

ASKS = "Which change put {variable} in the code?"  # a question a change answers
OTHER = "Is {variable} read anywhere else?"  # one it does not


@pytest.fixture(scope="module")
def env_change(tmp_path_factory):
    """config-env-change: an operator's env update leaves INVOICE_SIGNING_KEY out; the config rule's
    second question ("Which change started reading …") is the one the change answers."""
    path, _ = scenarios.write("config-env-change", 7, tmp_path_factory.mktemp("env"))
    result = analyze(str(path), model=None)
    (incident,) = result.incidents
    assert incident.change is not None and incident.root_cause.classification.rule is not None
    return result


def whys_asking(result, questions: list[str]):
    """The incident's whys again, its root cause's rule asking `questions` (a copy of the rule: the
    shipped one is shared by every analysis of the process)."""
    (incident,) = result.incidents
    root = incident.root_cause
    event, classification = root.sample[0]
    rule = replace(classification.rule, questions=questions)
    root.sample[0] = (event, replace(classification, rule=rule))
    try:
        return five_whys(incident, None)
    finally:
        root.sample[0] = (event, classification)


def check_pointers(whys) -> None:
    """Each "what the logs say is under why N" names a why that says it; it is said exactly once."""
    said = [number for number, why in enumerate(whys, 1) if "What the logs say:" in why.answer]
    assert len(said) == 1, [why.answer for why in whys]
    for why in whys:
        for number in re.findall(r"what the logs say is under why (\d+)", why.answer):
            assert int(number) == said[0], [why.answer for why in whys]
    assert whys[said[0] - 1].prompt  # the facts help a person answer a prompt: not under an answered why


@pytest.mark.parametrize("questions", [[ASKS, OTHER], [OTHER, ASKS], [OTHER, OTHER]],
                         ids=["first-answered", "second-answered", "none-answered"])
def test_what_the_logs_say_is_under_the_why_the_pointer_names(env_change, questions):
    """First answered: the facts were replaced with the change, the second prompt pointed at them.
    None answered: the change came first as a why of its own and the pointer was one short."""
    whys = whys_asking(env_change, questions)
    answered = [why for why in whys if why.answer.startswith("Yes: configuration of service billing-api")]
    assert len(answered) == 1 and not answered[0].prompt
    check_pointers(whys)


def test_a_change_answering_the_last_prompt_keeps_the_rules_remedy(env_change):
    """The remedy ends the last why; the change's answer replaced it whole, so the shipped config rule's
    remedy was gone from the whys of every env change it explained."""
    last = env_change.whys[0][-1]
    assert last.answer.startswith("Yes: configuration of service billing-api") and not last.prompt
    assert last.answer.endswith(" Remedy: Set INVOICE_SIGNING_KEY for the service, or read it with a default "
                                "(`os.environ.get`) if it is optional.")
    check_pointers(env_change.whys[0])


def test_a_change_answers_only_the_prompts_about_what_it_can_alter(env_change):
    """An env update of the service cannot have changed a password or a role binding: a prompt asking
    that stays a prompt, and the change comes first as a why of its own (before, any prompt with the
    word "change" in it took the env update as its answer)."""
    whys = whys_asking(env_change, ["Did the credentials, the role bindings or the token's lifetime change?", OTHER])
    changed = [why for why in whys if why.question.startswith("What changed before")]
    assert len(changed) == 1 and changed[0].answer.startswith("Yes: configuration of service"), [w.question for w in whys]
    credentials = next(why for why in whys if why.question.startswith("Did the credentials"))
    assert credentials.prompt and not credentials.answer.startswith("Yes:")
    check_pointers(whys)


@pytest.mark.parametrize(("kind", "question", "expected"), [
    ("iam", "Was the database reachable and accepting connections at the time (restarts, failover, maintenance)?", False),
    ("database", "Was the database reachable and accepting connections at the time (restarts, failover, maintenance)?", True),
    ("iam", "Did the credentials, the role bindings or the token's lifetime change?", True),
    ("config", "Did the credentials, the role bindings or the token's lifetime change?", False),
    ("secret", "Which user does the service connect as, and did its password or grants change?", True),
    ("iam", "Did the Redis host or port in the configuration change?", False),
    ("config", "Did the Redis host or port in the configuration change?", True),
    ("job", "Which change added the use of redis without its import?", True),
    ("iam", "Which change added the use of redis without its import?", True),
    ("deploy", "Is INVOICE_SIGNING_KEY read anywhere else?", False),
    ("config", "Were the changes' exchanges reviewed?", True),  # "change" as a word, not inside "exchanges"
    ("config", "Were the exchanges reviewed?", False),
])
def test_which_prompts_a_kind_of_change_answers(kind, question, expected):
    from rca.analyze.whys import answers

    assert answers(kind, question) is expected
