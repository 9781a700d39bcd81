"""Load rule packs from YAML and check them, naming file, line, rule id and field in every error."""

from __future__ import annotations

import re
import string
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from rca.classify.classes import KNOWN_CLASSES, ROLES, role_of
from rca.classify.rules.conditions import Condition, ConditionError, compile_condition
from rca.classify.rules.snippets import ASSERTIONS, EXAMPLE_FIELDS
from rca.errors import RcaError

CASCADES_FILE = "cascades.yaml"  # cascade relations (see rca.classify.rules.cascades), not a rule pack
EXAMPLE_KINDS = ("match", "no_match", "todo")  # todo: what the rule should match but does not yet
RULE_ID = re.compile(r"^[a-z0-9][a-z0-9_.-]*$")
CLASS_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
REQUIRED = ("id", "class", "title", "confidence", "match", "explanation", "questions", "remedy", "examples")
OPTIONAL = ("priority", "description", "references", "role")  # role: only for a class rca does not know
PACK_FIELDS = ("pack", "description", "rules")


class RuleError(RcaError):
    """Rule packs that cannot be used. `problems` has one line per problem, each naming
    file:line, rule id and field; the message lists them all."""

    def __init__(self, problems: str | list[str]):
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        if len(self.problems) == 1:
            super().__init__(self.problems[0])
        else:
            super().__init__(f"{len(self.problems)} problems in the rule packs:\n" + "\n".join(self.problems))


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
    examples_todo: list
    pack: str
    source: str  # file:line where the rule starts
    priority: int = 0
    raw: dict = field(default_factory=dict)  # the rule as written, to save it in a pack

    @property
    def role(self) -> str:
        return role_of(self.cls, self.declared_role)

    @classmethod
    def from_yaml(cls, text: str, source: str = "<text>") -> Rule:
        """One rule from YAML text (a single rule mapping, or a pack holding one rule)."""
        problems: list[str] = []
        document = _load_bounded(text, source, problems)
        if problems:
            raise RuleError(problems)
        if isinstance(document, dict) and isinstance(document.get("rules"), list):
            if len(document["rules"]) != 1:
                raise RuleError(f"{source}: Rule.from_yaml takes one rule; load a pack with RuleSet.load")
            document = document["rules"][0]
        rule = _rule(document, "notebook", Path(source), problems)
        if rule is None:
            raise RuleError(problems)
        return rule


# libyaml's parser when PyYAML was built with it: the packs and knowledge tables load ~8x faster,
# which every run pays at start-up.
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _LineLoader(SAFE_LOADER):  # type: ignore[valid-type, misc]
    """A safe loader that remembers the line of every mapping, so errors can point at it."""


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


KNOWLEDGE_DIR = "knowledge"  # rules/knowledge/: tables read by rca.classify.signals, not rule packs


def pack_files(path: Path) -> list[Path]:
    """The rule packs at `path`: the file itself, or every YAML file under a directory except the
    cascade files (cascades.yaml holds cascade relations, not rules)."""
    path = Path(path)
    if path.is_file():
        return [] if path.name == CASCADES_FILE else [path]
    return sorted(p for p in path.rglob("*")
                  if p.suffix in (".yaml", ".yml") and p.is_file() and p.name != CASCADES_FILE
                  and KNOWLEDGE_DIR not in p.relative_to(path).parts[:-1])


def read_yaml(path: Path, problems: list[str]):
    """A YAML document whose mappings carry `__line__` ({} for an empty file), or None with the problem added."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        problems.append(f"{path}: cannot read: {error}")
        return None
    known = len(problems)
    document = _load_bounded(text, str(path), problems)
    if len(problems) > known:
        return None
    return {} if document is None else document


# A pack's tree with every alias expanded, in nodes: the largest shipped file (knowledge/exceptions.yaml)
# has about 4,900. Aliases share a subtree where YAML is read, but every later step (checks, compiling,
# saving) walks the tree as if copied: a "billion laughs" of nine nested aliases ended in a
# MemoryError after 16 s.
MAX_EXPANDED_NODES = 100_000


def _load_bounded(text: str, source: str, problems: list[str]):
    """The document of `text`, or None with the problem added: YAML that is not valid, nested past
    Python's recursion limit, aliased in a loop, or larger than MAX_EXPANDED_NODES once expanded."""
    try:
        document = yaml.load(text, Loader=_LineLoader)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"{source}:{mark.line + 1}" if mark else source
        problems.append(f"{where}: not valid YAML: {getattr(error, 'problem', error)}")
        return None
    except RecursionError:
        problems.append(f"{source}: not valid YAML for rca: nested too deeply")
        return None
    size = expanded_size(document)
    if size is None or size > MAX_EXPANDED_NODES:
        problems.append(f"{source}: refused: its aliases " + ("refer to themselves" if size is None else
                        f"expand to {size:,} nodes (at most {MAX_EXPANDED_NODES:,})"))
        return None
    return document


def expanded_size(document) -> int | None:
    """The nodes of `document` with every alias expanded (a shared subtree counted each time it is
    used), or None when one contains itself. Each distinct subtree is walked once, without recursion."""
    sizes: dict[int, int] = {}
    active: set[int] = set()
    waiting: list[tuple[object, bool]] = [(document, False)]
    while waiting:
        value, finished = waiting.pop()
        if not isinstance(value, (dict, list)):
            continue
        key = id(value)
        items = list(value.values()) if isinstance(value, dict) else value
        if finished:
            active.discard(key)
            sizes[key] = 1 + sum(sizes.get(id(item), 1) if isinstance(item, (dict, list)) else 1 for item in items)
        elif key in active:
            return None  # a pending entry met again while its own subtree is walked: a loop
        elif key not in sizes:
            active.add(key)
            waiting.append((value, True))
            waiting.extend((item, False) for item in items)
    return sizes.get(id(document), 1)


def load_pack(path: Path, problems: list[str]) -> list[Rule]:
    """The valid rules of one pack file; every problem found is added to `problems`."""
    document = read_yaml(path, problems)
    if document is None:
        return []
    if not isinstance(document, dict) or not isinstance(document.get("rules"), list):
        problems.append(f"{path}:1: a rule pack is a mapping with a `rules:` list")
        return []
    for name in sorted(set(document) - set(PACK_FIELDS) - {"__line__"}):
        problems.append(f"{path}:{document['__line__']}: field `{name}`: unknown pack field (allowed: {', '.join(PACK_FIELDS)})")
    pack = str(document.get("pack") or path.stem)
    rules = [_rule(raw, pack, path, problems) for raw in document["rules"]]
    return [rule for rule in rules if rule is not None]


def _rule(raw, pack: str, path: Path, problems: list[str]) -> Rule | None:
    """The rule, or None when it has problems: all of them are added, each naming its line and field."""
    if not isinstance(raw, dict):
        problems.append(f"{path}: each item of `rules:` must be a mapping")
        return None
    line, rule_id = raw.get("__line__", 1), raw.get("id", "?")
    condition, found = _condition(raw)
    found = list(_field_problems(raw)) + found
    problems.extend(f"{path}:{at or line}: rule {rule_id}: field `{name}`: {problem}" for at, name, problem in found)
    if found or condition is None:
        return None
    examples = strip_lines(raw["examples"])
    return Rule(
        id=rule_id, cls=raw["class"], declared_role=raw.get("role"), title=raw["title"].strip(),
        confidence=float(raw["confidence"]), match=condition, explanation=raw["explanation"].strip(),
        questions=list(raw["questions"]), remedy=raw["remedy"].strip(), examples_match=examples["match"],
        examples_no_match=examples.get("no_match") or [], examples_todo=examples.get("todo") or [],
        pack=pack, source=f"{path}:{line}", priority=raw.get("priority", 0), raw=strip_lines(raw),
    )


def _condition(raw) -> tuple[Condition | None, list[tuple]]:
    if "match" not in raw:
        return None, []  # reported as a missing field
    try:
        return compile_condition(strip_lines(raw["match"])), []
    except ConditionError as error:
        return None, [(None, f"match{where}", problem) for where, problem in error.problems]


def _field_problems(raw):
    """(line or None, field, problem) for each field of a rule that is missing, unknown or malformed."""
    for name in REQUIRED:
        if name not in raw:
            yield None, name, "missing"
    for name in sorted(set(raw) - set(REQUIRED) - set(OPTIONAL) - {"__line__"}):
        yield None, name, f"unknown field (allowed: {', '.join(REQUIRED + OPTIONAL)})"
    checks = {"id": _id_problem, "class": _class_problem, "role": _role_problem, "confidence": _confidence_problem,
              "title": _text_problem, "explanation": _template_problem, "remedy": _template_problem,
              "description": _text_problem, "questions": _questions_problem, "references": _references_problem,
              "priority": _priority_problem}
    for name, check in checks.items():
        problem = check(raw[name], raw) if name in raw else None
        if problem:
            yield None, name, problem
    if isinstance(raw.get("examples"), dict):
        yield from example_problems(raw["examples"])
    elif "examples" in raw:
        yield None, "examples", "a mapping with a non-empty `match:` list, a `no_match:` list and a `todo:` list"


def _id_problem(value, raw):
    if not isinstance(value, str) or not RULE_ID.match(value):
        return "lower-case letters, digits, '.', '_' and '-' only"


def _class_problem(value, raw):
    if not isinstance(value, str) or not CLASS_NAME.match(value):
        return "a snake_case class name such as missing_import"


def _role_problem(value, raw):
    if value not in ROLES:
        return f"one of {', '.join(ROLES)}"
    if raw.get("class") in KNOWN_CLASSES and value != role_of(raw["class"]):
        return f"{raw['class']} is a {role_of(raw['class'])} class; drop `role:` (it is derived from the class)"


def _confidence_problem(value, raw):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value <= 1:
        return "a number in (0, 1]"


def _text_problem(value, raw):
    if not isinstance(value, str) or not value.strip():
        return "a non-empty string"


def _template_problem(value, raw):
    """A text with {placeholders} for captured fields: each must name a field ({} would fail at run time)."""
    if not isinstance(value, str) or not value.strip():
        return "a non-empty string"
    try:
        names = [name for _, name, _, _ in string.Formatter().parse(value) if name is not None]
    except ValueError as error:
        return f"{error} (write {{{{ and }}}} for literal braces)"
    if any(not name or name.isdigit() for name in names):
        return "a placeholder names a captured field, such as {name}"


def _questions_problem(value, raw):
    if not isinstance(value, list) or not value or not all(isinstance(q, str) for q in value):
        return "a non-empty list of strings"
    return next(filter(None, (_template_problem(q, raw) for q in value)), None)


def _references_problem(value, raw):
    if not isinstance(value, list) or not all(isinstance(r, str) for r in value):
        return "a list of links (strings)"


def _priority_problem(value, raw):
    if isinstance(value, bool) or not isinstance(value, int):
        return "an integer"


def example_problems(examples: dict):
    """(line or None, field, problem) for the `examples:` of a rule: `match:` (at least one),
    `no_match:` and `todo:` lists of excerpts or record mappings; only `match:` and `todo:`
    examples may assert the `fields` captured and the `explanation` rendered."""
    for name in sorted(set(examples) - set(EXAMPLE_KINDS) - {"__line__"}):
        yield examples.get("__line__"), f"examples.{name}", f"unknown kind of example (allowed: {', '.join(EXAMPLE_KINDS)})"
    if not examples.get("match"):
        yield examples.get("__line__"), "examples.match", "a non-empty list of examples the rule must match"
    for kind in EXAMPLE_KINDS:
        items = examples.get(kind) or []
        if not isinstance(items, list):
            yield examples.get("__line__"), f"examples.{kind}", "a list of examples"
            continue
        for index, item in enumerate(items, 1):
            for problem in _example_problems(item, asserts=kind != "no_match"):
                yield (item.get("__line__") if isinstance(item, dict) else None), f"examples.{kind}[{index}]", problem


def _example_problems(item, asserts: bool):
    if isinstance(item, str):
        return
    if not isinstance(item, dict):
        yield "a string (an excerpt) or a mapping of record fields"
        return
    allowed = EXAMPLE_FIELDS + (ASSERTIONS if asserts else ())
    for name in sorted(set(item) - set(allowed) - {"__line__"}):
        yield (f"`{name}` only in a `match:` or `todo:` example" if name in ASSERTIONS
               else f"unknown key `{name}` (allowed: {', '.join(allowed)})")
    if "fields" in item and not isinstance(item["fields"], dict):
        yield "`fields` is a mapping of captured field to expected value"
    if "explanation" in item and not isinstance(item["explanation"], str):
        yield "`explanation` is the text the rule must render"


def write_pack(rules: list[Rule], path: str | Path) -> Path:
    """Save rules as a pack file that `--rules DIR` and `RuleSet.load([DIR])` read back."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump({"rules": [r.raw for r in rules]}, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path
