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
