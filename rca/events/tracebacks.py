"""Parse Python tracebacks the way CPython prints them (`traceback.TracebackException.format`, 3.8-3.13).

One chain, oldest exception first; each element is printed as

    Traceback (most recent call last):          absent when the exception was never raised
      File "app.py", line 3, in handler         frames; source and caret lines are indented 4
        source line
      [Previous line repeated 996 more times]
    pkg.Type: first line of str(exc)            the exception line comes right after the frames,
    more lines of str(exc), then the notes      and everything after it is printed raw, so it
                                                runs to the end of the element
    (blank) The above exception was the direct cause of the following exception: (blank)
    (or "During handling of the above exception, another exception occurred:")

An exception group is drawn in a box: a line at group depth d starts with "  " * d + "| ", the
members follow "+-+---- 1 ----" separators one level deeper, and each member is a chain itself.

What the parser returns: `message` is everything printed after `Type: ` — str(exc) and then each
note on a line of its own (the text cannot tell them apart). Only "\\n" (and "\\r\\n") end a line:
U+2028, form feeds and the like stay inside a message. Where the text allows two readings, the
one CPython could have printed wins: lines after an exception line are its message, even when
they look like a traceback, because CPython starts a new traceback of a chain only after a chain
marker. The parser never raises on arbitrary text; a traceback whose start or end is missing is
flagged `truncated`.
"""

from __future__ import annotations

import builtins
import re
from dataclasses import dataclass, field

from rca.events.remember import remembered

HEADER = "Traceback (most recent call last):"
GROUP_HEADER = "Exception Group Traceback (most recent call last):"
TRACEBACK_HEADER = re.compile(r"^(?:Exception Group )?Traceback \(most recent call last\):\s*$")
FRAME_LINE = re.compile(r'^\s*File "(?P<file>.*)", line (?P<line>\d+)(?:, in (?P<function>.+?))?\s*$')
ANY_FRAME_LINE = re.compile(r'^\s*File "[^"]*", line \d+', re.MULTILINE)
CARET_LINE = re.compile(r"^\s*[\^~]+[\^~\s]*$")
CAUSE_LINE = "The above exception was the direct cause of the following exception:"
CONTEXT_LINE = "During handling of the above exception, another exception occurred:"
CHAIN_LINES = {CAUSE_LINE: "cause", CONTEXT_LINE: "context"}
# A class name as CPython prints it: module path and qualname, `<locals>` included.
_NAME = r"(?:[^\W\d]\w*|<[^\W\d]\w*>)"
EXCEPTION_TYPE = re.compile(rf"{_NAME}(?:\.{_NAME})*")
# A box line at the top level of a group: "  + Exception Group Traceback…" or "  | …".
GROUP_BOX = re.compile(r"^  [|+] ")
# textwrap.indent (which draws the box) splits at every str.splitlines() break, not only "\n".
_SPLITLINES_BREAKS = "\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"
# Only used where position cannot tell (a cause printed without a header, before the traceback).
_FAMILIAR_SUFFIXES = ("Error", "Exception", "Exit", "Interrupt", "Warning", "Group", "Timeout", "Traceback")
_BUILTIN_EXCEPTIONS = frozenset(
    name for name, value in vars(builtins).items() if isinstance(value, type) and issubclass(value, BaseException))


@dataclass
class Frame:
    file: str
    line: int
    function: str | None
    source: str | None = None


@dataclass
class ParsedException:
    type: str
    message: str  # str(exc) as printed, then its notes, one per line
    frames: list[Frame] = field(default_factory=list)
    relation: str | None = None  # how this one follows the previous: "cause", "context" or "group-member"
    status: str | None = None  # another runtime's gRPC code or errno name (rca.events.runtimes); Python's: None

    def as_dict(self) -> dict:
        """The fields in their declared order, as `dataclasses.asdict` gives them, built by hand: every
        event `rca events` writes asks for it, and asdict's deep copy cost a flood ~2 CPU-s. A status
        only where one was read: Python's tracebacks keep the keys they always had."""
        item = {"type": self.type, "message": self.message,
                "frames": [{"file": f.file, "line": f.line, "function": f.function, "source": f.source}
                           for f in self.frames],
                "relation": self.relation}
        if self.status is not None:
            item["status"] = self.status
        return item


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
        return {"truncated": self.truncated, "exceptions": [e.as_dict() for e in self.exceptions]}


def has_traceback(text: str) -> bool:
    # the substring test first: scanning every line start for a frame is slow, and most texts have none
    return "Traceback (most recent call last)" in text or ('File "' in text and ANY_FRAME_LINE.search(text) is not None)


def exception_parts(line: str) -> tuple[str, str] | None:
    """(type, first line of message) of a line shaped like CPython's exception line, else None."""
    name, colon, message = line.partition(": ")
    if not colon:
        name = line.rstrip().removesuffix(":")  # a bare type, maybe with its trailing space trimmed
    return (name, message) if EXCEPTION_TYPE.fullmatch(name) else None


def is_exception_line(line: str) -> bool:
    """`pkg.Error: message` or a bare `StopIteration` at column 0: any name Python takes as a class."""
    return bool(line) and not line[0].isspace() and exception_parts(line) is not None


def is_familiar_exception_line(line: str) -> bool:
    """An exception line whose type reads as one even out of position: dotted, built in, or a usual ending."""
    parts = exception_parts(line) if is_exception_line(line) else None
    name = parts[0] if parts else ""
    return "." in name or name in _BUILTIN_EXCEPTIONS or name.endswith(_FAMILIAR_SUFFIXES)


# A flood prints the same traceback again and again (a crash loop, one failing handler): a text among
# the last KNOWN_TEXTS parsed is not parsed again, and its frame lines, which recur across texts, are
# read once while among the last KNOWN_FRAME_LINES (each if not larger than its limit in bytes:
# rca.events.remember). A parsed text is kept with its Traceback, about four times the text's size (its
# frames and strings), so 512 texts of up to 8 kB hold ~20 MB at most, a crash loop's few texts ~nothing.
KNOWN_TEXTS, KNOWN_TEXT_BYTES = 1 << 9, 8192
KNOWN_FRAME_LINES, KNOWN_LINE_BYTES = 1 << 14, 256


@remembered(KNOWN_TEXTS, KNOWN_TEXT_BYTES)
def parse_traceback(text: str) -> Traceback | None:
    """The exceptions of a traceback text, oldest cause first; None when there is no traceback.
    The same text gives the same Traceback object (shared: read it, do not change it)."""
    lines = [line.removesuffix("\r") for line in text.split("\n")]
    start = _start(lines)
    if start is None:
        return None
    exceptions: list[ParsedException] = []
    truncated = _chain(lines[start:], 0, None, exceptions)
    return Traceback(exceptions, truncated=truncated) if exceptions else None


# A line that may open a traceback (`_opens_traceback` decides): a header, a group's box, a frame.
_OPENER = re.compile(r'^(?:Traceback \(most recent call last\):|  [|+] |  File ")', re.MULTILINE)
# The end of the indented lines that follow a traceback's first line: its exception line comes next.
_UNINDENTED = re.compile(r"\n(?!  )")


def root_head(text: str) -> str | None:
    """What decides the root exception's type and frames of a traceback without a chain: its lines from
    where it starts (as `_start` finds it) up to its exception line, and that line cut to its type ("" if
    it is no exception line). `parse_traceback(root_head(text))` gives the root type and frames of
    `parse_traceback(text)`, as `_plain` reads only indented lines before the exception line; what differs
    from event to event (the lines logged before, the message with its ids) is left out, so that a flood's
    texts share a few heads. None when the text holds a chain marker, starts its traceback with a group's
    box, or has none: parse it whole."""
    if CAUSE_LINE in text or CONTEXT_LINE in text:  # a chain: the root is its first element, parsed whole
        return None
    start = _first_opener(text)
    if start is None or text.startswith(("  | ", "  + "), start):  # a group's box (GROUP_BOX)
        return None
    end = _UNINDENTED.search(text, start)
    if end is None:
        return text[start:]
    stop = text.find("\n", end.end())
    parts = exception_parts(text[end.end():stop if stop >= 0 else len(text)].removesuffix("\r"))
    return text[start:end.start()] + "\n" + (parts[0] if parts is not None else "")


def _first_opener(text: str) -> int | None:
    """Where the first line that opens a traceback (`_opens_traceback`) begins, else None."""
    for found in _OPENER.finditer(text):
        stop = text.find("\n", found.start())
        if _opens_traceback(text[found.start():stop if stop >= 0 else len(text)].removesuffix("\r")):
            return found.start()
    return None


def _start(lines: list[str]) -> int | None:
    """Where the traceback begins, after whatever was logged before it."""
    marker = next((i for i, line in enumerate(lines) if line.rstrip() in CHAIN_LINES), len(lines))
    anchor = next((i for i in range(marker) if _opens_traceback(lines[i])), None)
    if marker == len(lines):
        return anchor
    # A chain follows, so its first exception may have been printed alone, with no header
    # (a cause that was never raised; a process pool's _RemoteTraceback, whose message holds a traceback).
    lead = marker if anchor is None else anchor
    headerless = next((i for i in range(lead) if is_familiar_exception_line(lines[i])), None)
    if headerless is None and anchor is None:
        headerless = next((i for i in range(lead) if is_exception_line(lines[i])), None)
    return headerless if headerless is not None else anchor if anchor is not None else marker


def _opens_traceback(line: str) -> bool:
    """A header, a group's box, or a frame (when the start was cut off)."""
    if line.rstrip() == HEADER or GROUP_BOX.match(line):
        return True
    return line.startswith('  File "') and FRAME_LINE.match(line) is not None


def _chain(lines: list[str], depth: int, relation: str | None, out: list[ParsedException]) -> bool:
    """Parse the elements of one chain (at group depth `depth`) into `out`; True if something was cut off."""
    parts: list[list[str]] = [[]]
    relations = [relation]
    for line in lines:
        content = _content(line, depth)
        if content is not None and content.rstrip() in CHAIN_LINES:
            parts.append([])
            relations.append(CHAIN_LINES[content.rstrip()])
        else:
            parts[-1].append(line)
    for index, part in enumerate(parts):  # the marker is printed as "\n" + marker + "\n\n"
        if index + 1 < len(parts) and part and _content(part[-1], depth) == "":
            part.pop()
        if index > 0 and part and _content(part[0], depth) == "":
            part.pop(0)
    if depth == 0:  # trailing blank lines at the very end are taken as spacing, not message
        while parts[-1] and not parts[-1][-1].strip():
            parts[-1].pop()
    truncated = False
    for part, follows in zip(parts, relations, strict=True):
        truncated |= _element(part, depth, follows, out)
    return truncated


def _element(lines: list[str], depth: int, relation: str | None, out: list[ParsedException]) -> bool:
    """One exception, or one exception group with its members; True if something was cut off."""
    box = max(depth, 1)  # a top-level group is drawn one level in
    separator = re.compile(rf"^ {{{2 * box}}}(?:\+-|  )\+-+ (?P<title>\d+|\.\.\.) -+\s*$")
    if depth == 0:  # at the top a message is raw text: only a box on the first line makes a group
        grouped = bool(lines) and GROUP_BOX.match(lines[0]) is not None
    else:  # inside a box every message line is prefixed, so a bare separator is structure
        grouped = any(separator.match(line) for line in lines)
    if not grouped:
        return _plain([_content_or_line(line, depth) for line in lines], relation, out)
    first = next((i for i, line in enumerate(lines) if separator.match(line)), len(lines))
    truncated = _plain([_content_or_line(line, box) for line in lines[:first]], relation, out)
    close = re.compile(rf"^ {{{2 * box + 2}}}\+-+\s*$")
    member: list[str] | None = None
    for line in lines[first:] + [None]:
        if line is None or separator.match(line):
            if member is not None:
                truncated |= _chain(member, box + 1, "group-member", out)
            # "and 3 more exceptions" (past max_group_width) names no exception
            found = separator.match(line) if line is not None else None
            member = [] if found is not None and found["title"] != "..." else None
        elif member is not None and not close.match(line):
            member.append(line)
    return truncated


def _plain(lines: list[str], relation: str | None, out: list[ParsedException]) -> bool:
    """Header, frames, exception line, message: one exception as CPython prints it."""
    header = bool(lines) and lines[0].rstrip() in (HEADER, GROUP_HEADER)
    index = int(header)
    frames: list[Frame] = []
    while index < len(lines):
        line = lines[index]
        frame = _frame_line(line) if line.startswith("  ") else None
        if frame:
            frames.append(Frame(*frame))
        elif line.startswith("    ") and (frames or header):  # source lines and carets
            if frames and frames[-1].source is None and not CARET_LINE.match(line):
                frames[-1].source = line.strip()
        elif not line.startswith("  [Previous line repeated "):
            break
        index += 1
    parts = exception_parts(lines[index]) if index < len(lines) else None
    if parts is None:  # no exception line where CPython prints one: the text was cut
        if frames or header:
            out.append(ParsedException("<truncated>", "", frames, relation))
        return True
    message = "\n".join([parts[1], *lines[index + 1:]])
    out.append(ParsedException(parts[0], message, frames, relation))
    return bool(frames) and not header  # frames without their header: the start was cut


@remembered(KNOWN_FRAME_LINES, KNOWN_LINE_BYTES)
def _frame_line(line: str) -> tuple[str, int, str | None] | None:
    """(file, line number, function) of a frame line, else None."""
    frame = FRAME_LINE.match(line)
    return None if frame is None else (frame["file"], int(frame["line"]), frame["function"])


def _content(line: str, depth: int) -> str | None:
    """The text of a line drawn at group depth `depth`, without its box; None if drawn elsewhere."""
    if depth == 0:
        return line
    indent = "  " * depth
    if not line.startswith(indent) or line[len(indent):len(indent) + 1] not in ("|", "+"):
        return None
    rest = line[len(indent) + 1:]
    if not rest.strip():
        return ""  # a blank line in the box, maybe with its trailing space trimmed
    if not rest.startswith(" "):
        return None  # a separator or closing line
    text = rest[1:]
    if any(char in text for char in _SPLITLINES_BREAKS):
        text = re.sub(f"([{_SPLITLINES_BREAKS}]){re.escape(indent)}\\| ", r"\1", text)
    return text


def _content_or_line(line: str, depth: int) -> str:
    content = _content(line, depth)
    return line if content is None else content
