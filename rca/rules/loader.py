"""Load rule packs from YAML and check them, naming file, line, rule id and field in every error."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from ..errors import RcaError
from ..classes import KNOWN_CLASSES, ROLES, role_of
from .conditions import Condition, ConditionError, compile_condition

RULE_ID = re.compile(r"^[a-z0-9][a-z0-9_.-]*$")
CLASS_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
REQUIRED = ("id", "class", "title", "confidence", "match", "explanation", "questions", "remedy", "examples")
OPTIONAL = ("priority", "description", "references", "role")  # role: only for a class rca does not know


class RuleError(RcaError):
    """A rule pack that cannot be used; the message names file:line, rule id and field."""


@dataclass
class Rule:
    id: str
    cls: str
    declared_role: str | None
    title: str
    confidence: float
    match: Condition
    explanation: str
    questions: list[str]
    remedy: str
    examples_match: list
    examples_no_match: list
    pack: str
    source: str  # file:line where the rule starts
    priority: int = 0
    raw: dict = field(default_factory=dict)  # the rule as written, to save it in a pack

    @property
    def role(self) -> str:
        return role_of(self.cls, self.declared_role)

    @classmethod
    def from_yaml(cls, text: str, source: str = "<text>") -> "Rule":
        """One rule from YAML text (a single rule mapping, or a pack holding one rule)."""
        try:
            document = yaml.load(text, Loader=_LineLoader)
        except yaml.YAMLError as error:
            raise RuleError(f"{source}: not valid YAML: {getattr(error, 'problem', error)}") from None
        if isinstance(document, dict) and isinstance(document.get("rules"), list):
            if len(document["rules"]) != 1:
                raise RuleError(f"{source}: Rule.from_yaml takes one rule; load a pack with RuleSet.load")
            document = document["rules"][0]
        return _rule(document, "notebook", Path(source))


class _LineLoader(yaml.SafeLoader):
    """A SafeLoader that remembers the line of every mapping, so errors can point at it."""


def _mapping_with_line(loader, node, deep=False):
    mapping = loader.construct_mapping(node, deep=True)
    mapping["__line__"] = node.start_mark.line + 1
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping_with_line)


def strip_lines(value):
    """The value without the loader's `__line__` bookkeeping."""
    if isinstance(value, dict):
        return {k: strip_lines(v) for k, v in value.items() if k != "__line__"}
    if isinstance(value, list):
        return [strip_lines(v) for v in value]
    return value


def pack_files(directory: Path) -> list[Path]:
    """Every rule pack under `directory`; cascades.yaml holds cascade relations, not rules."""
    return sorted(p for p in Path(directory).rglob("*")
                  if p.suffix in (".yaml", ".yml") and p.is_file() and p.name != "cascades.yaml")


def load_pack(path: Path) -> list[Rule]:
    """The rules of one pack file; raises RuleError on the first problem found."""
    try:
        document = yaml.load(path.read_text(encoding="utf-8"), Loader=_LineLoader)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        raise RuleError(f"{where}: not valid YAML: {getattr(error, 'problem', error)}") from None
    except (OSError, UnicodeDecodeError) as error:
        raise RuleError(f"{path}: cannot read: {error}") from None
    if not isinstance(document, dict) or not isinstance(document.get("rules"), list):
        raise RuleError(f"{path}:1: a rule pack is a mapping with a `rules:` list")
    pack = str(document.get("pack") or path.stem)
    return [_rule(raw, pack, path) for raw in document["rules"]]


def _rule(raw, pack: str, path: Path) -> Rule:
    if not isinstance(raw, dict):
        raise RuleError(f"{path}: each item of `rules:` must be a mapping")
    line = raw.get("__line__", 1)
    rule_id = raw.get("id", "?")

    def fail(field_name: str, problem: str):
        return RuleError(f"{path}:{line}: rule {rule_id}: field `{field_name}`: {problem}")

    for name in REQUIRED:
        if name not in raw:
            raise fail(name, "missing")
    unknown = set(raw) - set(REQUIRED) - set(OPTIONAL) - {"__line__"}
    if unknown:
        raise fail(sorted(unknown)[0], f"unknown field (allowed: {', '.join(REQUIRED + OPTIONAL)})")
    if not isinstance(rule_id, str) or not RULE_ID.match(rule_id):
        raise fail("id", "lower-case letters, digits, '.', '_' and '-' only")
    if not isinstance(raw["class"], str) or not CLASS_NAME.match(raw["class"]):
        raise fail("class", "a snake_case class name such as missing_import")
    declared = raw.get("role")
    if declared is not None and declared not in ROLES:
        raise fail("role", f"one of {', '.join(ROLES)}")
    if declared is not None and raw["class"] in KNOWN_CLASSES and declared != role_of(raw["class"]):
        raise fail("role", f"{raw['class']} is a {role_of(raw['class'])} class; drop `role:` (it is derived from the class)")
    confidence = raw["confidence"]
    if not isinstance(confidence, (int, float)) or not 0 < confidence <= 1:
        raise fail("confidence", "a number in (0, 1]")
    for name in ("title", "explanation", "remedy"):
        if not isinstance(raw[name], str) or not raw[name].strip():
            raise fail(name, "a non-empty string")
    questions = raw["questions"]
    if not isinstance(questions, list) or not questions or not all(isinstance(q, str) for q in questions):
        raise fail("questions", "a non-empty list of strings")
    examples = raw["examples"]
    if not isinstance(examples, dict) or not examples.get("match") or not isinstance(examples.get("no_match", []), list):
        raise fail("examples", "a mapping with a non-empty `match:` list and a `no_match:` list")
    try:
        condition = compile_condition(strip_lines(raw["match"]))
    except ConditionError as error:
        raise fail(f"match{error.path}", str(error)) from None
    priority = raw.get("priority", 0)
    if not isinstance(priority, int):
        raise fail("priority", "an integer")
    return Rule(
        id=rule_id, cls=raw["class"], declared_role=declared, title=raw["title"].strip(), confidence=float(confidence),
        match=condition, explanation=raw["explanation"].strip(), questions=list(questions),
        remedy=raw["remedy"].strip(), examples_match=strip_lines(examples["match"]),
        examples_no_match=strip_lines(examples.get("no_match") or []), pack=pack, source=f"{path}:{line}",
        priority=priority, raw=strip_lines(raw),
    )


def write_pack(rules: list[Rule], path: str | Path) -> Path:
    """Save rules as a pack file that `--rules DIR` and `RuleSet.load([DIR])` read back."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump({"rules": [r.raw for r in rules]}, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path
