"""Parse Python tracebacks: chained exceptions, exception groups, SyntaxError carets, cut-short text.

The parser never raises on arbitrary text: what it cannot read it leaves out, and it flags a
traceback whose start or end is missing as `truncated`.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field

TRACEBACK_HEADER = re.compile(r"^(?:Exception Group )?Traceback \(most recent call last\):\s*$")
FRAME_LINE = re.compile(r'^\s*File "(?P<file>[^"]*)", line (?P<line>\d+)(?:, in (?P<function>.+?))?\s*$')
ANY_FRAME_LINE = re.compile(r'^\s*File "[^"]*", line \d+', re.MULTILINE)
EXCEPTION_LINE = re.compile(r"^(?P<type>[A-Za-z_][\w]*(?:\.[A-Za-z_][\w]*)*)(?:: ?(?P<message>.*))?$")
CARET_LINE = re.compile(r"^\s*[\^~]+[\^~\s]*$")
CAUSE_LINE = "The above exception was the direct cause of the following exception:"
CONTEXT_LINE = "During handling of the above exception, another exception occurred:"
CHAIN_LINES = {CAUSE_LINE: "cause", CONTEXT_LINE: "context"}
# Exception-group box drawing: `  | ` prefixes and `+-+---- 1 ----` separators.
GROUP_PREFIX = re.compile(r"^(\s*)([|+]) ?")
GROUP_SEPARATOR = re.compile(r"^\s*\+?[-+]+(?: [\d.]+ [-]+| \.\.\.)?\s*$|^\s*\+-+ \d+ -+$")
# Words that mark a bare name as an exception type even without a dotted path or message.
EXCEPTION_SUFFIXES = ("Error", "Exception", "Exit", "Interrupt", "Warning", "Group", "Timeout", "Denied", "Failure")


@dataclass
class Frame:
    file: str
    line: int
    function: str | None
    source: str | None = None


@dataclass
class ParsedException:
    type: str
    message: str
    frames: list[Frame] = field(default_factory=list)
    relation: str | None = None  # how this one follows the previous: "cause", "context" or "group-member"


@dataclass
class Traceback:
    exceptions: list[ParsedException]
    truncated: bool = False

    @property
    def root(self) -> ParsedException | None:
        """The first exception of the chain: the original cause."""
        return self.exceptions[0] if self.exceptions else None

    @property
    def last(self) -> ParsedException | None:
        """The exception that was finally raised (printed last)."""
        return self.exceptions[-1] if self.exceptions else None

    def as_dict(self) -> dict:
        return {"truncated": self.truncated, "exceptions": [asdict(e) for e in self.exceptions]}


def has_traceback(text: str) -> bool:
    return "Traceback (most recent call last)" in text or ANY_FRAME_LINE.search(text) is not None


def is_exception_line(line: str) -> bool:
    """`pkg.Error: message` or a bare `KeyboardInterrupt` at column 0."""
    if not line or line[0].isspace():
        return False
    match = EXCEPTION_LINE.match(line.rstrip())
    if not match:
        return False
    name = match.group("type")
    return match.group("message") is not None or "." in name or name.endswith(EXCEPTION_SUFFIXES)


def parse_traceback(text: str) -> Traceback | None:
    """The exceptions of a traceback text, oldest cause first; None when there is no traceback."""
    lines = [_strip_group_box(line) for line in text.splitlines()]
    exceptions: list[ParsedException] = []
    frames: list[Frame] = []
    relation: str | None = None
    seen_header = False
    started_mid_traceback = False
    current: ParsedException | None = None
    for raw in lines:
        line = raw.rstrip()
        stripped = line.strip()
        if TRACEBACK_HEADER.match(stripped):
            if not exceptions and not frames:
                seen_header = True
            frames, current = [], None
            continue
        if stripped in CHAIN_LINES:
            relation, current = CHAIN_LINES[stripped], None
            continue
        frame = FRAME_LINE.match(line)
        if frame:
            if not seen_header and not exceptions and not frames:
                started_mid_traceback = True
            frames.append(Frame(frame["file"], int(frame["line"]), frame["function"]))
            current = None
            continue
        if GROUP_SEPARATOR.match(stripped) and "-" in stripped:
            relation, current = "group-member", None  # the next member of an exception group
            continue
        if not stripped or CARET_LINE.match(line):
            continue
        if frames and frames[-1].source is None and line.startswith(" ") and current is None:
            frames[-1].source = stripped
            continue
        if current is None and (frames or seen_header or relation) and is_exception_line(stripped):
            match = EXCEPTION_LINE.match(stripped)
            current = ParsedException(match["type"], match["message"] or "", frames, relation)
            exceptions.append(current)
            frames, relation = [], None
            continue
        if current is not None:  # a multi-line message goes on until the next structural line
            current.message = f"{current.message}\n{stripped}" if current.message else stripped
    if not exceptions and not frames:
        return None
    truncated = started_mid_traceback or bool(frames) or relation in ("cause", "context")
    if frames:  # frames with no exception line after them: the end was cut off
        exceptions.append(ParsedException("<truncated>", "", frames, relation))
    return Traceback(exceptions, truncated=truncated)


def _strip_group_box(line: str) -> str:
    """Undo the `| ` indentation of exception groups so their members parse like any traceback."""
    while True:
        match = GROUP_PREFIX.match(line)
        if not match or GROUP_SEPARATOR.match(line.strip()):
            return line
        rest = line[match.end():]
        if match.group(2) == "+" and not rest.startswith(("Exception Group", "Traceback")):
            return line
        line = rest
