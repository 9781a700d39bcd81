"""The rule engine: load packs, classify events, run every rule's examples."""

from __future__ import annotations

import string
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from rca.classify.classes import KNOWN_CLASSES, UNKNOWN, role_of
from rca.classify.rules.cascades import Cascade, cascade_files, load_cascades, unknown_classes
from rca.classify.rules.conditions import COMPILE_AT_LOAD, Facts
from rca.classify.rules.literals import Screen
from rca.classify.rules.loader import Rule, RuleError, load_pack, pack_files
from rca.classify.rules.snippets import event_from_example
from rca.classify.shipped import shipped_dir
from rca.events.error_event import ErrorEvent

MAX_TIMEOUTS_PER_RULE = 3  # after this many time-outs a rule is switched off for the run


def shipped_rules_dir() -> Path:
    """`rules/` of a source checkout, or the copy installed inside the package."""
    return shipped_dir("rca.packs")


@dataclass
class Classification:
    cls: str
    confidence: float
    method: str  # "rule", "model", "model-over-rule" (rca.classify.hybrid) or "none"
    rule: Rule | None = None
    fields: dict = field(default_factory=dict)
    alternatives: list[dict] = field(default_factory=list)
    # what the text also shows but does not explain: the symptom a cause in the same text beat
    secondary: list[dict] = field(default_factory=list)
    # no rule matched, and the text's structure names a plain bug: the exception the knowledge tables read
    # as an application's own mistake (`TypeError`, a unique-key violation); rca.classify.hybrid keeps it unknown
    plain_bug: str | None = None

    @property
    def role(self) -> str:
        return role_of(self.cls, self.rule.declared_role if self.rule else None)

    @property
    def explanation(self) -> str | None:
        if self.rule is None:
            return None
        return fill_template(self.rule.explanation, self.fields)

    def __repr__(self) -> str:
        """One line a person reads: class, confidence, how it was decided, captured fields, the runners-up."""
        fields = ", ".join(f"{name}={_short(value)!r}" for name, value in self.fields.items()
                           if name not in ("exception", "message", "file", "line", "function"))
        also = "; ".join(_alternative(a) for a in self.runners_up())
        if self.fields.get("file"):
            where = f"{str(self.fields['file']).rsplit('/', 1)[-1]}:{self.fields.get('line', '?')}"
            fields = f"{fields}, at {where}" if fields else f"at {where}"
        return (f"<Classification {self.cls} {self.confidence:.2f} by {self.decided_by}" + (f" | {fields}" if fields else "")
                + (f" | also: {also}" if also else "") + ">")

    @property
    def decided_by(self) -> str:
        """Who decided, as a person reads it: `rule …`, `the model`, `the model over rule …`."""
        if self.rule is not None:
            return f"rule {self.rule.id}"
        if self.method == "model":
            return "the model"
        return f"the model over rule {self.overruled.get('rule')}" if self.overruled else "neither rule nor model"

    @property
    def overruled(self) -> dict | None:
        """The rule's claim the model decided over (method `model-over-rule`), kept among the alternatives."""
        return next((item for item in self.alternatives if item.get("overruled")), None)

    def runners_up(self, top: int = 3) -> list[dict]:
        """The best alternative of each other class, best first."""
        seen, out = {self.cls}, []
        ranked = sorted(self.alternatives, key=lambda a: -float(a.get("model", a.get("confidence", 0)) or 0))
        for item in ranked:
            if str(item["class"]) not in seen:
                seen.add(str(item["class"]))
                out.append(item)
        return out[:top]

    def _repr_html_(self) -> str:
        import html

        rows = [("class", f"<b>{html.escape(self.cls)}</b> ({html.escape(self.role)})"),
                ("confidence", f"{self.confidence:.2f}"),
                ("decided by", html.escape(self.decided_by)),
                ("explanation", html.escape(self.explanation or "")),
                ("captured", html.escape(", ".join(f"{k}={_short(v)!r}" for k, v in self.fields.items()))),
                ("alternatives", html.escape("; ".join(_alternative(a) for a in self.runners_up())))]
        body = "".join(f"<tr><th style='text-align:left'>{name}</th><td style='text-align:left'>{value}</td></tr>"
                       for name, value in rows if value)
        return f"<table>{body}</table>"

    def as_dict(self) -> dict:
        return {
            "class": self.cls, "confidence": round(self.confidence, 4), "method": self.method,
            "rule": self.rule.id if self.rule else None, "role": self.role,
            "fields": {k: v for k, v in self.fields.items()}, "explanation": self.explanation,
            "alternatives": self.alternatives,
            **({"secondary": self.secondary} if self.secondary else {}),
        }


def _short(value, limit: int = 40):
    """A captured value for a one-line repr: plain str or int (not np.str_), cut."""
    value = value if isinstance(value, (int, float)) else str(value)
    return value if not isinstance(value, str) or len(value) <= limit else value[: limit - 1] + "…"


def _alternative(item: dict) -> str:
    """`db_session_failure 0.03 (model)` or `timeout 0.80 (rule timeout.x)`."""
    if "model" in item:
        return f"{item['class']} {float(item['model']):.2f} (model)"
    return f"{item['class']} {float(item.get('confidence', 0)):.2f} (rule {item.get('rule')})"


def read_packs(extra: Iterable[str | Path], shipped: bool, check_shipped: bool = False) -> tuple[list[Rule], list[Cascade], list[str]]:
    """The valid rules of the shipped packs (first) and of `extra`, their cascades (the last
    directory's first), and every problem found. `extra` is held to the schema, and the shipped packs
    too with `check_shipped`."""
    paths = ([shipped_rules_dir()] if shipped else []) + [Path(p) for p in extra]
    trusted = shipped_rules_dir() if shipped and not check_shipped else None
    rules: list[Rule] = []
    cascades: list[Cascade] = []
    problems: list[str] = []
    seen: set[Path] = set()  # a file named twice (`rca rules validate rules/x.yaml`) is read once
    for path in paths:
        if not path.is_dir() and not (path.is_file() and path.suffix in (".yaml", ".yml")):
            problems.append(f"{path}: no such rules directory or YAML pack file")
            continue
        compiling = COMPILE_AT_LOAD.set(path != trusted)
        try:
            for pack in _unseen(pack_files(path), seen):
                rules.extend(load_pack(pack, problems, structure=path != trusted))
        finally:
            COMPILE_AT_LOAD.reset(compiling)
        # A later directory's cascades come first: the first cascade that links a cause to a
        # symptom says why in the five whys, so a team's own words win over the shipped ones.
        cascades[:0] = [c for file in _unseen(cascade_files(path), seen) for c in load_cascades(file, problems)]
    problems += duplicate_ids(rules)
    problems += unknown_classes(cascades, set(KNOWN_CLASSES) | {rule.cls for rule in rules})
    return rules, cascades, problems


def _unseen(paths: list[Path], seen: set[Path]) -> list[Path]:
    fresh = [p for p in paths if p.resolve() not in seen]
    seen.update(p.resolve() for p in fresh)
    return fresh


def duplicate_ids(rules: list[Rule]) -> list[str]:
    """A problem for each rule whose id an earlier one (a shipped one, when loading a user's pack) has."""
    seen: dict[str, Rule] = {}
    problems = []
    for rule in rules:
        if rule.id in seen:
            problems.append(f"{rule.source}: rule {rule.id}: field `id`: already defined at {seen[rule.id].source}")
        seen.setdefault(rule.id, rule)
    return problems


@lru_cache(maxsize=1)
def shipped_cascades() -> tuple[Cascade, ...]:
    """The shipped cascades, for a RuleSet built from rules alone (RuleSet([rule]))."""
    return tuple(RuleSet.load().cascades)


def fill_template(template: str, fields: dict) -> str:
    """A rule's text with captured fields filled in; a field not captured shows as <name?>."""
    return string.Formatter().vformat(template, (), _Blank(fields))


class _Blank(dict):
    def __missing__(self, key):
        return f"<{key}?>"


def unfilled(template: str, fields: dict) -> list[str]:
    """The fields a template names that were not captured: each would show as <name?>."""
    names = {name.split(".")[0].split("[")[0] for _, name, _, _ in string.Formatter().parse(template) if name}
    return sorted(names - set(fields))


UNCLASSIFIED = Classification(UNKNOWN, 0.0, "none")


@lru_cache(maxsize=256)
def plain_bug(why: str) -> Classification:
    """UNCLASSIFIED, with the exception that makes the text a plain bug (one object per exception name)."""
    return Classification(UNKNOWN, 0.0, "none", plain_bug=why)


class RuleSet:
    def __init__(self, rules: list[Rule], cascades: Iterable[Cascade] | None = None):
        """`cascades`: the relations the analysis links causes to symptoms with; None for the shipped ones."""
        problems = duplicate_ids(rules)
        if problems:
            raise RuleError(problems)
        self.rules = rules
        self.cascades = list(shipped_cascades() if cascades is None else cascades)
        self.timeouts: Counter = Counter()
        self._screen: tuple[tuple[Rule, ...], Screen] | None = None

    def screen(self) -> Screen:
        """Which rules may match a text, from the literals each rule needs (rca.classify.rules.literals);
        built again when `rules` has changed in any way: replaced, grown, or a rule swapped in place.
        (Comparing the tuples costs an identity test per rule when nothing changed.)"""
        current = tuple(self.rules)
        if self._screen is None or self._screen[0] != current:
            self._screen = (current, Screen([rule.match.needles() for rule in current]))
        return self._screen[1]

    def start_run(self) -> None:
        """A new analysis: every rule gets its time-out budget back. A rule switched off after
        MAX_TIMEOUTS_PER_RULE time-outs is off for one run, not for the life of the RuleSet."""
        self.timeouts.clear()

    @classmethod
    def load(cls, extra: Iterable[str | Path] = (), shipped: bool = True) -> RuleSet:
        """The shipped packs plus every pack (and cascades.yaml) in `extra`, directories or files;
        RuleError lists every problem found."""
        rules, cascades, problems = read_packs(extra, shipped)
        if problems:
            raise RuleError(problems)
        return cls(rules, cascades)

    @staticmethod
    def validate(extra: Iterable[str | Path] = (), shipped: bool = True) -> list[str]:
        """Every problem of the packs, as file:line: rule ID: field `F`: problem; empty when all is well."""
        return read_packs(extra, shipped, check_shipped=True)[2]

    def matches(self, event: ErrorEvent, facts: Facts | None = None) -> list[tuple[tuple, Rule, dict]]:
        """Every rule that matches, best first: (rank, rule, captured fields)."""
        facts = facts or Facts.of(event)
        found = []
        rules = self.rules
        for index in self.screen().candidates(facts.text, facts.type_names):
            rule = rules[index]
            if self.timeouts.get(rule.id, 0) >= MAX_TIMEOUTS_PER_RULE:  # (not [ ]: Counter.__missing__ is a Python call per rule)
                continue
            fields: dict = {}
            try:
                hit = rule.match.evaluate(facts, fields)
            except TimeoutError:
                self.timeouts[rule.id] += 1
                continue
            if hit is not None:
                # The class of an event is its root exception's: a match deeper in the chain ranks lower.
                on_root = hit.depth in (None, 0)
                found.append(((rule.priority, on_root, hit.specificity, rule.confidence), rule, fields))
        found.sort(key=lambda item: item[0], reverse=True)
        return found

    def classify(self, event: ErrorEvent) -> Classification:
        facts = Facts.of(event)
        found = self.matches(event, facts)
        if not found:
            # the knowledge rules read facts.decided for every text, so asking for it here costs nothing
            decided = facts.decided
            return plain_bug(decided[1]) if decided is not None and decided[0] == UNKNOWN else UNCLASSIFIED
        chosen = cause_first(found)
        _, best, fields = found[chosen]
        alternatives = [{"class": r.cls, "rule": r.id, "confidence": r.confidence}
                        for index, (_, r, _) in enumerate(found) if index != chosen]
        secondary = [{"class": r.cls, "rule": r.id, "role": "symptom"} for _, r, _ in found[:chosen]]
        return Classification(best.cls, best.confidence, "rule", best, fields, alternatives, secondary)

    def test_examples(self) -> list[str]:
        """One line per failing example: a `match:` example the rule misses, or whose captured fields,
        rendered explanation or unfilled placeholders are wrong; a `no_match:` example it takes."""
        failures = []
        for rule in self.rules:
            for kind, examples in (("match", rule.examples_match), ("no_match", rule.examples_no_match)):
                for index, example in enumerate(examples, 1):
                    problems = _check_example(rule, example, kind == "match")
                    if problems:
                        failures.append(f"{rule.source}: rule {rule.id}: {kind} example {index} " + "; ".join(problems))
        return failures

    def todo_examples(self) -> list[str]:
        """One line per `todo:` example (a known gap, never a failure): not matched yet, or matched now."""
        lines = []
        for rule in self.rules:
            single = RuleSet([rule], ())
            for index, example in enumerate(rule.examples_todo, 1):
                state = "matched now: move it to `match:`" if single.matches(event_from_example(example)) else "not matched yet"
                lines.append(f"{rule.source}: rule {rule.id}: todo example {index} {state}: {_first_line(example)}")
        return lines


# the two symptom classes, named where one explains the other (cause_first)
STARTUP_FAILURE, SERVICE_UNAVAILABLE = "startup_failure", "service_unavailable"


def cause_first(found: list[tuple[tuple, Rule, dict]]) -> int:
    """Which match decides: the best, unless it names a symptom and a rule that names a cause matched
    the same text too. A symptom is never the root cause when a cause explains it (docs/CLASSES.md):
    a KeyError on os.environ beats the "Worker failed to boot" it caused, a refused password the probe
    it failed. A class the tables read off a bare HTTP status is no such cause: the status is the
    symptom's own wording. Between two symptoms, an instance that did not start explains a service that
    does not answer (a proxy's 502 beside `Worker failed to boot`): the start-up failure decides."""
    if found[0][1].role != "symptom":
        return 0
    cause = next((index for index, (_, rule, fields) in enumerate(found)
                  if rule.role == "cause" and not str(fields.get("signal", "")).startswith("HTTP ")), None)
    if cause is not None:
        return cause
    if found[0][1].cls != SERVICE_UNAVAILABLE:
        return 0
    return next((index for index, (_, rule, _) in enumerate(found) if rule.cls == STARTUP_FAILURE), 0)


def _check_example(rule: Rule, example, wanted: bool) -> list[str]:
    """What is wrong with one example of a rule, tried against that rule alone."""
    single = RuleSet([rule], ())
    try:
        found = single.matches(event_from_example(example))
    except ValueError as error:
        return [str(error)]
    if single.timeouts[rule.id]:
        return ["a regular expression timed out"]
    if bool(found) != wanted:
        return [f"{'not matched' if wanted else 'matched'}: {_first_line(example)}"]
    return _assertion_problems(rule, found[0][2], example) if found else []


def _assertion_problems(rule: Rule, fields: dict, example) -> list[str]:
    """Placeholders the match leaves unfilled, and the example's `fields` and `explanation` that do not hold."""
    texts = [("explanation", rule.explanation), ("remedy", rule.remedy)]
    texts += [(f"question {n}", question) for n, question in enumerate(rule.questions, 1)]
    problems = [f"{what} leaves {{{name}}} unfilled" for what, text in texts for name in unfilled(text, fields)]
    expected = example if isinstance(example, dict) else {}
    for name, value in (expected.get("fields") or {}).items():
        if name not in fields:
            problems.append(f"field `{name}` not captured (captured: {', '.join(sorted(fields))})")
        elif str(fields[name]) != str(value):
            problems.append(f"field `{name}`: captured {fields[name]!r}, expected {value!r}")
    rendered = fill_template(rule.explanation, fields)
    if "explanation" in expected and rendered != expected["explanation"].strip():
        problems.append(f"explanation: rendered {rendered!r}, expected {expected['explanation'].strip()!r}")
    return problems


def _first_line(example) -> str:
    return str(example if isinstance(example, str) else example.get("text", "")).split("\n")[0][:80]
