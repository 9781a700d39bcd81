"""Load rule packs from YAML and check them, naming file, line, rule id and field in every error: their
structure against rules/schema.json (rca.classify.rules.structure), what only code can see here."""

from __future__ import annotations

import re
import string
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from rca.classify.classes import KNOWN_CLASSES, ROLES, role_of
from rca.classify.rules.conditions import Condition, ConditionError, compile_condition
from rca.classify.rules.structure import Problem, structure_problems
from rca.errors import RcaError

CASCADES_FILE = "cascades.yaml"  # cascade relations (see rca.classify.rules.cascades), not a rule pack
CLASS_NAME = re.compile(r"^[a-z][a-z0-9_]*$")  # a cascade's class (rules/schema.json says a rule's)


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
        pack = {"rules": [document]}  # held to the schema as a pack of one
        found = [p for p in structure_problems(pack, strip_lines(pack)) if p.rule == 0]
        rule = _rule(document, "notebook", Path(source), problems, found)
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


def load_pack(path: Path, problems: list[str], structure: bool = True) -> list[Rule]:
    """The valid rules of one pack file; every problem found is added to `problems`. With `structure`,
    the pack is first held to the published schema (rca.classify.rules.structure); the shipped packs
    are read without it (the tests hold them to it), to spare every run jsonschema's import."""
    document = read_yaml(path, problems)
    if document is None:
        return []
    found = structure_problems(document, strip_lines(document)) if structure else []
    problems.extend(f"{path}:{p.line or 1}: field `{p.field}`: {p.message}" for p in found if p.rule is None)
    if not isinstance(document, dict) or not isinstance(document.get("rules"), list):
        if not found:
            problems.append(f"{path}:1: a rule pack is a mapping with a `rules:` list")
        return []
    pack = str(document.get("pack") or path.stem)
    rules = [_rule(raw, pack, path, problems, [p for p in found if p.rule == index])
             for index, raw in enumerate(document["rules"])]
    return [rule for rule in rules if rule is not None]


def _rule(raw, pack: str, path: Path, problems: list[str], structural: list[Problem]) -> Rule | None:
    """The rule, or None when it has problems: its structural ones (the schema's) and those only code
    can see, each naming its line and field (the schema's word wins where both speak of one field)."""
    if not isinstance(raw, dict):
        problems.extend(f"{path}:{p.line or 1}: field `{p.field}`: {p.message}" for p in structural)
        return None
    line, rule_id = raw.get("__line__", 1), raw.get("id", "?")
    condition, found = _condition(raw)
    taken = {p.field for p in structural}
    found = [(p.line, p.field, p.message) for p in structural] + [
        (at, name, problem) for at, name, problem in found + list(_meaning_problems(raw)) if name not in taken]
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
        return None, [(None, "match", "missing")]
    try:
        return compile_condition(strip_lines(raw["match"])), []
    except ConditionError as error:
        return None, [(None, f"match{where}", problem) for where, problem in error.problems]


def _meaning_problems(raw):
    """(line or None, field, problem) for what the schema cannot check: the placeholders of the texts,
    and a role that contradicts a class rca knows."""
    for name in ("explanation", "remedy"):
        problem = _placeholder_problem(raw.get(name))
        if problem:
            yield None, name, problem
    questions = raw.get("questions")
    for index, question in enumerate(questions if isinstance(questions, list) else []):
        problem = _placeholder_problem(question)
        if problem:
            yield None, f"questions[{index}]", problem
    role, cls = raw.get("role"), raw.get("class")
    if role in ROLES and cls in KNOWN_CLASSES and role != role_of(cls):
        yield None, "role", f"{cls} is a {role_of(cls)} class; drop `role:` (it is derived from the class)"


def _placeholder_problem(value) -> str | None:
    """A text with {placeholders} for captured fields: each must name a field ({} would fail at run time)."""
    if not isinstance(value, str):
        return None  # the schema says what it should be
    try:
        names = [name for _, name, _, _ in string.Formatter().parse(value) if name is not None]
    except ValueError as error:
        return f"{error} (write {{{{ and }}}} for literal braces)"
    if any(not name or name.isdigit() for name in names):
        return "a placeholder names a captured field, such as {name}"
    return None


def write_pack(rules: list[Rule], path: str | Path) -> Path:
    """Save rules as a pack file that `--rules DIR` and `RuleSet.load([DIR])` read back."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump({"rules": [r.raw for r in rules]}, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path
