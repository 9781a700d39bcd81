"""Every entry of a knowledge table (`rules/knowledge/*.yaml`) that carries an example and a near miss:
the rules decide its example as the entry says, and its near miss keeps another class. One test for
all tables, so that a new table is checked the day it lands."""

import pytest
import yaml

from rca.classify import signals
from rca.classify.hybrid import classify_text


def entries_with_near_misses() -> list[tuple[str, dict]]:
    found = []
    for path in sorted(signals.knowledge_dir().glob("*.yaml")):
        table = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for section in table.values():
            if isinstance(section, list):
                found += [(path.name, entry) for entry in section if isinstance(entry, dict) and "near_miss" in entry]
    return found


ENTRIES = entries_with_near_misses()


def rules_say(text: str) -> str:
    return classify_text(text, model=None).cls


def test_the_tables_hold_entries_with_near_misses():
    assert {name for name, _ in ENTRIES} >= {"lifecycle.yaml", "loaders.yaml", "logins.yaml", "proxies.yaml",
                                             "server_configs.yaml", "stacks.yaml", "tools.yaml"}


@pytest.mark.parametrize("name, entry", ENTRIES, ids=[f"{name}:{entry.get('id') or entry['pattern'][:40]}" for name, entry in ENTRIES])
def test_an_entry_decides_its_example_and_not_its_near_miss(name, entry):
    assert rules_say(entry["example"]) == entry["class"]
    assert rules_say(entry["near_miss"]["text"]) == entry["near_miss"]["class"] != entry["class"]
    assert entry["source"].startswith("https://")


def test_every_wording_has_an_anchor_so_that_no_text_runs_it_in_vain():
    """A phrase runs only on texts that hold one of its anchors (the literal start of each alternative).
    One without anchors ran on every text: three of them cost more than all the others together."""
    table = signals.knowledge()
    assert not table.unanchored, [table.wording[index][0].pattern[:60] for index in table.unanchored]


def test_an_anchor_reads_escaped_and_quoting_characters_as_the_text_holds_them():
    assert signals.anchors_of(r"\x28root\x29 ?Additional property|services\.[\w.-]{1,100} Additional") == ("(root)", "services.")
    assert signals.anchors_of(r"""'error': '(?:invalid_auth)|"error": ?"(?:invalid_auth)|==> Exited with status [1-9]""") == (
        "'error': '", '"error":', "==> exited with status ")
    assert signals.anchors_of(r"\d+ connections|x") is None  # a class is no literal, nor is a start under three characters


def test_an_escaped_bracket_or_a_class_does_not_hide_the_alternatives_after_it():
    """The splitter counted `\\(` and `[(]` as opening a group, so the `|` after them split nothing: Rust's
    `VarError(NotPresent)` (the last of four alternatives) never ran its pattern unless the text also held
    the first alternative's anchor."""
    assert signals.anchors_of(r"value: NotPresent|EnvVar\(NotPresent|value: NotUnicode\(|VarError\(NotPresent") == (
        "value: notpresent", "envvar(notpresent", "value: notunicode(", "varerror(notpresent")
    assert signals.anchors_of(r"abc[(]x|def[]|]|ghi\|jkl") == ("abc", "def", "ghi|jkl")
    assert rules_say("thread 'main' panicked at src/main.rs:9:45: DATABASE_URL: VarError(NotPresent)") == "config_error"
