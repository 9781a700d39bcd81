"""Cascade relations (`cascades.yaml` beside the rule packs): which failure can cause which symptom,
and how to say so in the five whys. They travel with the rule packs, so a team's `--rules`
directory can add its own, and are checked with the same file:line problems as the rules."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rca.classify.rules.loader import CASCADES_FILE, CLASS_NAME, read_yaml

SHARED = ("service", "revision", "trace")
WHEN = ("startup",)
FIELDS = ("symptom", "cause", "same", "when", "why")


@dataclass(frozen=True)
class Cascade:
    symptom: str
    causes: tuple[str, ...]
    same: str
    when: str | None
    why: str  # a clause that follows "because" in a five-whys answer; may name {service}
    source: str = ""  # file:line of the entry


def cascade_files(path: Path) -> list[Path]:
    """The cascade files at `path`: the file itself when it is one, or every one under a directory."""
    path = Path(path)
    if path.is_file():
        return [path] if path.name == CASCADES_FILE else []
    return sorted(p for p in path.rglob(CASCADES_FILE) if p.is_file())


def load_cascades(path: Path, problems: list[str]) -> list[Cascade]:
    """The valid cascades of one file; every problem is added to `problems` naming file:line and entry."""
    document = read_yaml(path, problems)
    if document is None:
        return []
    items = document.get("cascades") if isinstance(document, dict) else None
    if not isinstance(items, list):
        problems.append(f"{path}:1: a cascade file is a mapping with a `cascades:` list")
        return []
    cascades = []
    for index, item in enumerate(items, 1):
        line = item.get("__line__", 1) if isinstance(item, dict) else 1
        found = list(_problems(item))
        problems.extend(f"{path}:{line}: cascade {index}: field `{name}`: {problem}" for name, problem in found)
        if not found:
            causes = item["cause"]
            cascades.append(Cascade(item["symptom"], (causes,) if isinstance(causes, str) else tuple(causes),
                                    item.get("same", "service"), item.get("when"), item["why"].strip(),
                                    f"{path}:{line}"))
    return cascades


def _problems(item):
    """(field, problem) for each field of a cascade entry that is missing, unknown or malformed."""
    if not isinstance(item, dict):
        yield "cascades", "each entry is a mapping of symptom, cause, same, when and why"
        return
    for name in sorted(set(item) - set(FIELDS) - {"__line__"}):
        yield name, f"unknown field (allowed: {', '.join(FIELDS)})"
    for name in ("symptom", "cause", "why"):
        if not item.get(name):
            yield name, "missing"
    if item.get("symptom") and not _is_class(item["symptom"]):
        yield "symptom", "a class name such as service_unavailable"
    causes = item.get("cause")
    if causes and not (_is_class(causes) or isinstance(causes, list) and all(_is_class(c) for c in causes)):
        yield "cause", "a class name or a list of them"
    if item.get("same", "service") not in SHARED:
        yield "same", f"one of {', '.join(SHARED)}"
    if item.get("when") is not None and item["when"] not in WHEN:
        yield "when", f"one of {', '.join(WHEN)}, or left out"
    if item.get("why") and not isinstance(item["why"], str):
        yield "why", "a clause that follows 'because' in the five whys"


def _is_class(value) -> bool:
    return isinstance(value, str) and bool(CLASS_NAME.match(value))


def unknown_classes(cascades: list[Cascade], classes: set[str]) -> list[str]:
    """A problem for each class a cascade names that neither rca nor any loaded rule knows: a typo
    there would silently never link anything."""
    return [f"{cascade.source}: cascade: field `{name}`: `{cls}` is not a class rca knows nor one a rule names"
            for cascade in cascades for name, cls in [("symptom", cascade.symptom)] + [("cause", c) for c in cascade.causes]
            if cls not in classes]
