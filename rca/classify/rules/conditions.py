"""The `match:` part of a rule: leaves that test one fact of an event, combined with all/any/not.

Every regular expression runs through the `regex` package with a time-out, so a catastrophic
pattern costs its rule (the engine counts and reports it), never the run.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import cached_property, lru_cache

import regex

from rca.classify import signals as signal_reader
from rca.classify.rules.literals import Needles, all_of, any_of, needles
from rca.events.frames import application_frame, module_of
from rca.events.tracebacks import ParsedException
from rca.ingest.record import SEVERITY_RANK

REGEX_TIMEOUT_SECONDS = 0.05
BUILTIN_REGEX_TIMEOUT_SECONDS = 1.0
SCOPES = ("root", "last", "any")
PROSE_SOURCES = ("snippet", "example")  # rca.classify.rules.snippets: never a log file read by ingestion


class ConditionError(Exception):
    """Every problem of a `match:` tree, as (path, problem) pairs: `.exception.in`, `one of root, last, any`."""

    def __init__(self, path: str, problem: str, more: Iterable[tuple[str, str]] = ()):
        super().__init__(problem)
        self.path = path
        self.problems = [(path, problem), *more]


def _compile_each(specs: list[tuple[object, str]]) -> list[Condition]:
    """Compile every child, so that one bad child does not hide the problems of its siblings."""
    children, problems = [], []
    for spec, path in specs:
        try:
            children.append(compile_condition(spec, path))
        except ConditionError as error:
            problems.extend(error.problems)
    if problems:
        raise ConditionError(*problems[0], problems[1:])
    return children


# An exception named in a line without a traceback around it: `... sqlalchemy.exc.OperationalError: (...) ...`
BARE_EXCEPTION = regex.compile(
    r"(?m)(?:^|(?<=[\s:\]]))("
    r"(?:[A-Za-z_]\w*\.)*(?:errors|exceptions|exc|err)\.[A-Za-z_]\w*"  # pkg.errors.DeadlockDetected
    r"|socket\.(?:gaierror|herror|timeout)"
    r"|(?:[A-Za-z_]\w*\.)*_?[A-Z]\w*?(?:Error|Exception|Exit|Interrupt|Timeout|Denied|Failure|Exceeded|Configured"
    r"|Unavailable|Forbidden|Unauthenticated|Exhausted|Unauthorized|Expired|NotFound)"
    r")(?::[ \t]?(.*))?$"
)


# What BARE_EXCEPTION cannot match without: a name of its first or second kind, or an ending of its
# third kind right before a colon or the end of a line. Looked for first: the slower pattern is tried
# only at the start of the names that hold one (most excerpts without a traceback hold none).
BARE_EXCEPTION_NEEDS = ("errors.", "exceptions.", "exc.", "err.", "socket.")
BARE_EXCEPTION_ENDING = re.compile(r"(?:Error|Exception|Exit|Interrupt|Timeout|Denied|Failure|Exceeded|Configured"
                                   r"|Unavailable|Forbidden|Unauthenticated|Exhausted|Unauthorized|Expired|NotFound)(?::|$)",
                                   re.MULTILINE)


def bare_exceptions(text: str) -> list[ParsedException]:
    """The first exception named in loose text, as a frameless exception, when there is no traceback."""
    try:  # our own pattern on at most 20,000 characters: the timeout (wall clock) only guards a loaded machine
        match = _first_bare_exception(text[:20000])
    except TimeoutError:
        return []  # the event is still classified, by what the rest of its text says
    return [ParsedException(match.group(1), (match.group(2) or "").strip(), [])] if match else []


def _first_bare_exception(text: str):
    """BARE_EXCEPTION.search(text), tried only where a match can start. Its name is a run of word
    characters and dots holding something the pattern needs (_next_needed), and it starts where
    that run does (after a space, a colon, a `]` or a line break, none of them in a run): so the
    pattern is tried at the start of each such run, in order, and the first match is the search's."""
    at, backwards = 0, ""
    while (needed := _next_needed(text, at)) >= 0:
        backwards = backwards or text[::-1]
        start = signal_reader.run_start(backwards, needed, NAME_RUN)
        match = BARE_EXCEPTION.match(text, start, timeout=BUILTIN_REGEX_TIMEOUT_SECONDS)
        if match is not None:
            return match
        at = max(_run_end(text, needed), needed + 1)  # (a needed string starts with a letter: the run is never empty)
    return None


NAME_RUN = regex.compile(r"[\w.]*")  # by the engine BARE_EXCEPTION runs on, so that \w means the same


def _run_end(text: str, at: int) -> int:
    run = NAME_RUN.match(text, at)  # (it matches the empty run, so always: the check narrows the Optional)
    return run.end() if run is not None else at


def _next_needed(text: str, at: int) -> int:
    """The first place from `at` on of something BARE_EXCEPTION cannot match without, or -1."""
    found = [i for i in (text.find(name, at) for name in BARE_EXCEPTION_NEEDS) if i >= 0]
    ending = BARE_EXCEPTION_ENDING.search(text, at)
    if ending is not None:
        found.append(ending.start())
    return min(found, default=-1)


@dataclass
class Facts:
    """What the rules can test about one event, extracted once."""

    exceptions: list[ParsedException]
    text: str
    http_status: int | None
    http_url: str | None
    severity_rank: int
    service: str | None
    log_name: str | None
    resource_type: str | None
    has_traceback: bool
    prose: bool = False  # a pasted excerpt or a rule example: exceptions quoted in sentences count too
    _signals: signal_reader.Signals | None = field(default=None, repr=False)

    @property
    def signals(self) -> signal_reader.Signals:
        """The text's structure (rca.classify.signals), read once, on first use."""
        if self._signals is None:
            self._signals = signal_reader.parse(self.text, self.exceptions, prose=self.prose)
        return self._signals

    @classmethod
    def of(cls, event) -> Facts:
        request = event.request
        first = event.first
        tb = event.traceback
        return cls(
            exceptions=[e for e in tb.exceptions if e.type != "<truncated>"] if tb else bare_exceptions(event.text),
            text=event.text,
            http_status=request.http_status if request else None,
            http_url=request.http_url if request else None,
            severity_rank=max(r.severity_rank for r in event.records),
            service=first.service, log_name=first.log_name, resource_type=first.resource_type,
            has_traceback=tb is not None,
            prose=first.source in PROSE_SOURCES,
        )

    @cached_property
    def decided(self) -> tuple[str, str] | None:
        """The class the knowledge tables give the signals, and why (read by every `knowledge:` rule)."""
        return signal_reader.decide(self.signals)

    @cached_property
    def type_names(self) -> frozenset[str]:
        """Every name an exception of the chain goes by: `a.b.Error`, `b.Error`, `Error`."""
        parts = (exception.type.split(".") for exception in self.exceptions)
        return frozenset(".".join(names[i:]) for names in parts for i in range(len(names)))

    def scoped(self, scope: str) -> list[tuple[int, ParsedException]]:
        if not self.exceptions:
            return []
        if scope == "root":
            return [(0, self.exceptions[0])]
        if scope == "last":
            return [(len(self.exceptions) - 1, self.exceptions[-1])]
        return list(enumerate(self.exceptions))


@dataclass
class Hit:
    specificity: int
    depth: int | None = None  # index in the chain of the exception that matched (0 = root)


class Condition:
    def evaluate(self, facts: Facts, fields: dict) -> Hit | None:  # pragma: no cover - interface
        raise NotImplementedError

    def needles(self) -> Needles | None:
        """Strings one of which the event's text holds whenever this condition can hit (None: no
        such strings), so that the engine skips a rule on a text that holds none of them."""
        return None


# A traceback's exception types, messages, files and functions are pieces of the event's text, one
# line at most (rca.events.tracebacks: a message's lines are joined with "\n", a CRLF line loses its "\r",
# and a group's box is taken off lines split at these characters): a needle with none of them in it
# found in a message is found in the text.
LINE_BREAKS = "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"


def _within_a_line(found: Needles | None) -> Needles | None:
    if found is None or any(char in string for string in found.strings for char in LINE_BREAKS):
        return None
    return found


# Whether a pattern is compiled as its pack is read. A user's pack is, so that a mistake is reported with
# its line before any log is read. The shipped packs are compiled when a pattern is first searched: the
# tests and `rca rules test` compile every one of them, and a run whose logs hold no error (or errors
# none of a rule's words appear in) then never pays for compiling it (~0.1 CPU-s for all of them).
COMPILE_AT_LOAD: ContextVar[bool] = ContextVar("COMPILE_AT_LOAD", default=True)


class RulePattern:
    """A rule's compiled regex, searched only in texts holding one of its literals (rca.classify.rules.literals):
    most texts hold none of the words a rule looks for, and a substring test is cheap beside a search."""

    __slots__ = ("source", "_compiled", "_needles")

    def __init__(self, source: str):
        self.source = source
        self._compiled: regex.Pattern | None = regex.compile(source) if COMPILE_AT_LOAD.get() else None
        self._needles: Needles | None | bool = False  # False: not worked out yet

    @property
    def compiled(self) -> regex.Pattern:
        if self._compiled is None:
            self._compiled = regex.compile(self.source)
        return self._compiled

    @property
    def needles(self) -> Needles | None:
        if self._needles is False:
            self._needles = needles(self.source)
        return self._needles  # type: ignore[return-value]

    def search(self, text: str, start: int = 0):
        found = self.needles
        if found is not None and not found.may_match(text):
            return None
        return self.compiled.search(text, start, timeout=REGEX_TIMEOUT_SECONDS)


MAX_SPAN_TRIES = 4  # matches tried past ones inside a URL or an identifier, before giving up


def search(pattern: RulePattern, text: str | None, fields: dict, spans: bool = True) -> bool:
    """Whether the pattern matches the text, its named groups captured into `fields`. With `spans`
    (every message and text pattern), a match lying inside a URL or joined to an identifier by an
    underscore does not count: `timeout` in `connect_timeout=`, `429` in `…/errors/429` are names,
    not evidence (docs/CLASSES.md); the search goes on past it."""
    if text is None:
        return False
    match = pattern.search(text)
    tries = 0
    while match is not None and spans and not counts(text, match.start(), match.end()) and tries < MAX_SPAN_TRIES:
        match, tries = pattern.search(text, match.start() + 1), tries + 1
    if match is None or (spans and not counts(text, match.start(), match.end())):
        return False
    fields.update({k: v for k, v in match.groupdict().items() if v is not None})
    return True


TOKEN_BREAKS = " \t\n\"'<>()[]{},;"


def counts(text: str, start: int, end: int) -> bool:
    """False for a span inside a URL (`scheme://` earlier in the same token) or glued to an identifier
    by an underscore on either side (`connect_timeout`, `rate_limit_per_minute`)."""
    if start == end:
        return True  # an empty (optional) match says nothing about where it is
    token_start = start
    while token_start > 0 and text[token_start - 1] not in TOKEN_BREAKS:
        token_start -= 1
    if "://" in text[token_start:start]:
        return False
    before = text[start - 1] if start > 0 else ""
    after = text[end] if end < len(text) else ""
    if (before == "_" and text[start].isalnum()) or (after == "_" and text[end - 1].isalnum()):
        return False
    return not _in_assertion(text, start)


ASSERTION = re.compile(r"(?<![\w.])assert\s")
PYTEST_DIFF_LINE = re.compile(r"E\s+[-+] ")  # pytest's diff of the two sides of a failed comparison


def _in_assertion(text: str, start: int) -> bool:
    """Whether the span starting at `start` is on a line of a test's assertion: after an `assert` on its line
    (`assert response.status == '403 FORBIDDEN'`, pytest's `AssertionError: assert '200 OK' == '403 FORBIDDEN'`)
    or on pytest's diff of the comparison (`E   + 403 FORBIDDEN`). It says what the test wanted, not what a
    service did; a failed assertion is a plain bug (docs/CLASSES.md)."""
    line_start = text.rfind("\n", 0, start) + 1
    if text.startswith("E", line_start) and PYTEST_DIFF_LINE.match(text, line_start):
        return True
    return "assert" in text[line_start:start] and ASSERTION.search(text, line_start, start) is not None


# ---- leaves -------------------------------------------------------------------------------------


class ExceptionLeaf(Condition):
    def __init__(self, types, message, source, frame, scope):
        self.types = tuple(types)
        self.message, self.source, self.frame, self.scope = message, source, frame, scope

    def evaluate(self, facts, fields):
        for depth, exception in facts.scoped(self.scope):
            if self.types and not _type_matches(exception.type, self.types):
                continue
            captured = dict(fields)
            if self.message is not None and not search(self.message, exception.message, captured):
                continue
            frame = application_frame(exception)
            if self.source is not None:
                source = frame.source if frame else None
                if not search(_templated(self.source, captured), source, captured, spans=False):
                    continue
            if self.frame is not None and not any(self.frame.matches_frame(f, captured) for f in exception.frames):
                continue
            fields.clear()
            fields.update(captured)
            fields.setdefault("exception", exception.type)
            fields.setdefault("message", exception.message.split("\n", 1)[0])
            if frame is not None:
                fields.setdefault("file", frame.file)
                fields.setdefault("line", frame.line)
                fields.setdefault("function", frame.function)
            specificity = 2 + (self.message is not None) + (self.source is not None) + (self.frame is not None)
            return Hit(specificity, depth)
        return None

    def needles(self):
        # a type matches by its full name, its short name or a dotted tail: each is in the text
        types = Needles(self.types, types=True) if self.types else None
        message = _within_a_line(self.message.needles) if self.message is not None else None
        return all_of([types, message, self.frame.needles() if self.frame is not None else None])


def _type_matches(qualified: str, wanted: tuple[str, ...]) -> bool:
    short = qualified.rsplit(".", 1)[-1]
    return any(qualified == w or short == w or qualified.endswith("." + w) for w in wanted)


def _templated(source: str, fields: dict) -> RulePattern:
    """A `source:` pattern may name fields captured before it: `\\b{name}\\.` (values are escaped)."""
    values = tuple(sorted((k, str(v)) for k, v in fields.items()))
    return _compile_templated(source, values)


@lru_cache(maxsize=4096)
def _compile_templated(source: str, values: tuple) -> RulePattern:
    escaped = {k: regex.escape(v) for k, v in values}
    try:
        return RulePattern(source.format_map(_Missing(escaped)))
    except (regex.error, ValueError, IndexError):
        return RulePattern(r"(?!)")  # a field it names was not captured: never matches


class _Missing(dict):
    def __missing__(self, key):
        return "(?!)"


class MessageLeaf(Condition):
    """The message of the root exception (or `in:` last/any); for an event with no traceback, its text."""

    def __init__(self, pattern, scope):
        self.pattern, self.scope = pattern, scope

    def evaluate(self, facts, fields):
        if not facts.exceptions:
            return Hit(1) if search(self.pattern, facts.text, fields) else None
        for depth, exception in facts.scoped(self.scope):
            if search(self.pattern, exception.message, fields):
                return Hit(1, depth)
        return None

    def needles(self):
        return _within_a_line(self.pattern.needles)


class FrameLeaf(Condition):
    def __init__(self, file, function, module):
        self.file, self.function, self.module = file, function, module

    def matches_frame(self, frame, fields) -> bool:
        return (
            (self.file is None or search(self.file, frame.file, fields, spans=False))
            and (self.function is None or search(self.function, frame.function or "", fields, spans=False))
            and (self.module is None or search(self.module, module_of(frame.file), fields, spans=False))
        )

    def evaluate(self, facts, fields):
        for depth, exception in facts.scoped("any"):
            if any(self.matches_frame(frame, fields) for frame in exception.frames):
                return Hit(1, depth)
        return None

    def needles(self):  # a frame's module is made from its file's path: not a piece of the text
        return all_of([_within_a_line(p.needles) for p in (self.file, self.function) if p is not None])


class StatusLeaf(Condition):
    def __init__(self, statuses: frozenset[int]):
        self.statuses = statuses

    def evaluate(self, facts, fields):
        if facts.http_status in self.statuses:
            fields.setdefault("status", facts.http_status)
            return Hit(1)
        return None


class AttributeLeaf(Condition):
    """A regex on one attribute of the event: text, url, service, log_name, resource_type."""

    def __init__(self, attribute: str, pattern):
        self.attribute, self.pattern = attribute, pattern

    def evaluate(self, facts, fields):
        return Hit(1) if search(self.pattern, getattr(facts, self.attribute), fields) else None

    def needles(self):
        return self.pattern.needles if self.attribute == "text" else None


class SeverityLeaf(Condition):
    def __init__(self, minimum: int):
        self.minimum = minimum

    def evaluate(self, facts, fields):
        return Hit(1) if facts.severity_rank >= self.minimum else None


class KnowledgeLeaf(Condition):
    """The class rca.classify.signals decides from the text's structure and the knowledge tables."""

    def __init__(self, cls: str):
        self.cls = cls

    def evaluate(self, facts, fields):
        decided = facts.decided
        if decided is None or decided[0] != self.cls:
            return None
        fields["signal"] = decided[1]
        return Hit(1)


class TracebackLeaf(Condition):
    def __init__(self, wanted: bool):
        self.wanted = wanted

    def evaluate(self, facts, fields):
        return Hit(1) if facts.has_traceback == self.wanted else None


# ---- combinators --------------------------------------------------------------------------------


class AllOf(Condition):
    def __init__(self, children):
        self.children = children

    def evaluate(self, facts, fields):
        captured, total, depth = dict(fields), 0, None
        for child in self.children:
            hit = child.evaluate(facts, captured)
            if hit is None:
                return None
            total += hit.specificity
            depth = hit.depth if depth is None else (depth if hit.depth is None else min(depth, hit.depth))
        fields.update(captured)
        return Hit(total, depth)

    def needles(self):
        return all_of([child.needles() for child in self.children])


class AnyOf(Condition):
    def __init__(self, children):
        self.children = children

    def evaluate(self, facts, fields):
        for child in self.children:
            captured = dict(fields)
            hit = child.evaluate(facts, captured)
            if hit is not None:
                fields.update(captured)
                return hit
        return None

    def needles(self):
        return any_of([child.needles() for child in self.children])


class Not(Condition):
    def __init__(self, child):
        self.child = child

    def evaluate(self, facts, fields):
        return None if self.child.evaluate(facts, dict(fields)) is not None else Hit(0)


# ---- compiling the YAML form --------------------------------------------------------------------

ATTRIBUTE_LEAVES = {"text": "text", "url": "http_url", "service": "service", "log_name": "log_name",
                    "resource_type": "resource_type"}
LEAVES = ("exception", "message", "frame", "http_status", "severity", "has_traceback", "knowledge") + tuple(ATTRIBUTE_LEAVES)


def compile_condition(spec, path: str = "") -> Condition:
    if not isinstance(spec, dict) or not spec:
        raise ConditionError(path, f"a mapping with one of all, any, not, {', '.join(LEAVES)}")
    if len(spec) > 1:  # several keys in one mapping mean all of them
        return AllOf(_compile_each([({k: v}, path) for k, v in spec.items()]))
    (key, value), = spec.items()
    where = f"{path}.{key}"
    if key in ("all", "any"):
        if not isinstance(value, list) or not value:
            raise ConditionError(where, "a non-empty list of conditions")
        children = _compile_each([(child, f"{where}[{i}]") for i, child in enumerate(value)])
        return AllOf(children) if key == "all" else AnyOf(children)
    if key == "not":
        return Not(compile_condition(value, where))
    if key == "exception":
        return _exception_leaf(value, where)
    if key == "message":
        if isinstance(value, dict):
            return MessageLeaf(_regex(value.get("regex"), f"{where}.regex"), _scope(value.get("in", "root"), where))
        return MessageLeaf(_regex(value, where), "root")
    if key == "frame":
        return _frame_leaf(value, where)
    if key == "http_status":
        return StatusLeaf(_statuses(value, where))
    if key == "severity":
        if str(value).upper() not in SEVERITY_RANK:
            raise ConditionError(where, f"a severity name such as ERROR, not {value!r}")
        return SeverityLeaf(SEVERITY_RANK[str(value).upper()])
    if key == "has_traceback":
        if not isinstance(value, bool):
            raise ConditionError(where, "true or false")
        return TracebackLeaf(value)
    if key == "knowledge":
        if not isinstance(value, str) or not value:
            raise ConditionError(where, "a class name: the class the knowledge tables must decide")
        return KnowledgeLeaf(value)
    if key in ATTRIBUTE_LEAVES:
        return AttributeLeaf(ATTRIBUTE_LEAVES[key], _regex(value, where))
    raise ConditionError(where, f"unknown condition (allowed: all, any, not, {', '.join(LEAVES)})")


def _exception_leaf(value, where) -> ExceptionLeaf:
    if isinstance(value, (str, list)):
        value = {"type": value}
    if not isinstance(value, dict):
        raise ConditionError(where, "a type name, a list of them, or a mapping of type/message/source/frame/in")
    unknown = set(value) - {"type", "message", "source", "frame", "in"}
    if unknown:
        raise ConditionError(f"{where}.{sorted(unknown)[0]}", "unknown key (allowed: type, message, source, frame, in)")
    types = value.get("type", [])
    types = [types] if isinstance(types, str) else types
    if not isinstance(types, list) or not all(isinstance(t, str) for t in types):
        raise ConditionError(f"{where}.type", "an exception type name or a list of them")
    message = _regex(value["message"], f"{where}.message") if "message" in value else None
    source = value.get("source")
    if source is not None:
        if not isinstance(source, str):
            raise ConditionError(f"{where}.source", "a regular expression (it may name captured fields: {name})")
        _regex(source.format_map(_Missing()), f"{where}.source")
    frame = _frame_leaf(value["frame"], f"{where}.frame") if "frame" in value else None
    return ExceptionLeaf(types, message, source, frame, _scope(value.get("in", "root"), where))


def _frame_leaf(value, where) -> FrameLeaf:
    if not isinstance(value, dict) or not set(value) <= {"file", "function", "module"} or not value:
        raise ConditionError(where, "a mapping of file, function and/or module regular expressions")
    return FrameLeaf(*(_regex(value[k], f"{where}.{k}") if k in value else None for k in ("file", "function", "module")))


def _scope(value, where) -> str:
    if value not in SCOPES:
        raise ConditionError(f"{where}.in", f"one of {', '.join(SCOPES)}")
    return value


def _statuses(value, where) -> frozenset[int]:
    items = value if isinstance(value, list) else [value]
    statuses: set[int] = set()
    for item in items:
        text = str(item).strip().lower()
        if text.endswith("xx") and text[0].isdigit():
            base = int(text[0]) * 100
            statuses.update(range(base, base + 100))
        elif "-" in text and all(part.strip().isdigit() for part in text.split("-", 1)):
            low, _, high = text.partition("-")
            statuses.update(range(int(low), int(high) + 1))
        elif text.isdigit():
            statuses.add(int(text))
        else:
            raise ConditionError(where, f"an HTTP status, a list, a range such as 500-599 or 5xx, not {item!r}")
    return frozenset(statuses)


def _regex(pattern, where) -> RulePattern:
    if not isinstance(pattern, str) or not pattern:
        raise ConditionError(where, "a regular expression (a non-empty string)")
    try:
        return RulePattern(pattern)
    except regex.error as error:
        raise ConditionError(where, f"invalid regular expression: {error}") from None
