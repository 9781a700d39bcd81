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
