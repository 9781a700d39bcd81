"""Parse the error output of other runtimes (Java, Go, Node) into the shape of a Python traceback.

A service's logs hold more than Python: a Java client library's stack trace, a Go sidecar's panic, a
Node worker's uncaught error. Each is read into the same `Traceback` of `ParsedException`s (oldest
cause first, so `root` is the innermost cause, as for Python), so that the rules, the knowledge
tables and grouping read them as they read Python's. Each exception also carries a `status`: the
gRPC code or the errno name it reports (`DEADLINE_EXCEEDED`, `ECONNREFUSED`), in one spelling
whatever the runtime wrote (Go's `code = DeadlineExceeded`, Java's `DEADLINE_EXCEEDED: …`, Node's
`code: 'ECONNREFUSED'`).

The layouts, as the runtimes print them:

- Java (`Throwable.printStackTrace`): `Exception in thread "main" pkg.Type: message`, or the type
  line alone after a logger's line; frames `\\tat pkg.Class.method(File.java:12)` (`(Native Method)`,
  `(Unknown Source)`, a module prefix `java.base/`); `\\t... 5 more`; then `Caused by: pkg.Type: …`
  for each deeper cause, and `Suppressed:` blocks indented one tab. A wrapper built from its cause
  (`new X(cause)`) prints the cause's `type: message` as its own message.
- Go: `panic: message` (`[recovered]`), `fatal error: message`, then `goroutine 1 [running]:` and
  pairs of lines: `pkg.Func(args)` and `\\t/path/file.go:12 +0x1d`.
- Node: `Error: message` (any `XxxError`, `[UnhandledPromiseRejection: …]`) and frames
  `    at fn (/app/x.js:1:2)` or `    at /app/x.js:1:2`; the error's own properties follow in
  braces (`code: 'ECONNREFUSED'`), and a `cause:` / `[cause]:` there is the deeper error.

Only a text with the structure of one of these is parsed: a stack frame of the runtime, or a header
no other text prints (`Exception in thread`, `goroutine N [`, `Caused by:` before a frame). The
parser never raises on arbitrary text.
"""

from __future__ import annotations

import re

from rca.events.tracebacks import Frame, ParsedException, Traceback

# Substrings without which no pattern below can match: most texts hold none, and are passed over.
HINTS = ("\tat ", "    at ", "  at ", "\nat ", "Exception in thread", "Caused by: ", "panic: ", "goroutine ",
         "fatal error: ", "UnhandledPromiseRejection")

# ---- Java ---------------------------------------------------------------------------------------
JAVA_FRAME = re.compile(r"^\s*at (?:[\w.$-]+(?:@[\w.-]*)?/)?(?P<function>[\w$.<>\[\]/-]+)"
                        r"\((?P<file>[^():]*)(?::(?P<line>\d+))?\)\s*(?:~?\[[^\]]*\])?\s*$")
JAVA_MORE = re.compile(r"^\s*\.\.\. \d+ (?:more|common frames omitted)\s*$")
_JAVA_NAME = r"[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)+"  # qualified: at least one dot
JAVA_HEAD = re.compile(rf"^(?:Exception in thread \"[^\"]*\" |\s*(?P<caused>Caused by|Suppressed): )?(?P<type>{_JAVA_NAME})"
                       r"(?::\s?(?P<message>.*))?$")
# The message of a wrapper built from its cause: `io.grpc.StatusRuntimeException: DEADLINE_EXCEEDED: …`
MAX_IMPLIED = 4  # causes named one inside another's message, read at most
JAVA_IMPLIED = re.compile(rf"^(?P<type>{_JAVA_NAME}(?:Exception|Error|Throwable))(?::\s?(?P<message>.*))?$", re.DOTALL)

# ---- Go -----------------------------------------------------------------------------------------
GO_HEAD = re.compile(r"^(?P<kind>panic|fatal error): (?P<message>.*?)(?: \[recovered\])?\s*$")
GO_GOROUTINE = re.compile(r"^goroutine \d+ \[[^\]]+\]:\s*$")
GO_FUNCTION = re.compile(r"^(?:created by (?P<creator>\S+)(?: in goroutine \d+)?|(?P<function>\S+?)\([^()]*\))\s*$")
# a frame's file line; a fatal error's (GOTRACEBACK=system) also gives the frame and stack pointers
GO_FILE = re.compile(r"^\s+(?P<file>\S+\.(?:go|s)):(?P<line>\d+)(?: \+0x[0-9a-f]+)?(?: fp=0x[0-9a-f]+ sp=0x[0-9a-f]+ pc=0x[0-9a-f]+)?\s*$")
# between a fatal error and its goroutines: the runtime's own stack (`runtime stack:`) and the signal
GO_SECTION = re.compile(r"^(?:runtime stack:|\[signal [^\]]*\])\s*$")

# ---- Node ---------------------------------------------------------------------------------------
NODE_FRAME = re.compile(r"^\s*at (?:async )?(?:(?P<function>.+?) \((?P<file>[^()]+?)(?::(?P<line>\d+):\d+)?\)"
                        r"|(?P<bare>[^\s()][^()]*?):(?P<bare_line>\d+):\d+)\s*\{?\s*$")  # `{`: its properties follow
NODE_HEAD = re.compile(r"^\s*(?:\(node:\d+\) \w+Warning: )?(?:\{ |\[)?(?:(?P<cause>\[?cause\]?): )?"
                       r"(?P<type>(?:[A-Z]\w*)?(?:Error|Exception|Rejection)|Error)(?: \[(?P<code>[\w-]+)\])?"
                       r"(?:: (?P<message>.*?))?\]?(?: \{)?\s*$")

# ---- the status an exception reports -------------------------------------------------------------
GRPC_NAMES = ("OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND", "ALREADY_EXISTS",
              "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE",
              "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED")  # by number, 0-16
_CAMEL = {name.replace("_", "").lower(): name for name in GRPC_NAMES}
_CAMEL["canceled"] = "CANCELLED"  # Go spells it with one l
# Go's `rpc error: code = DeadlineExceeded desc = …` (old releases print the number), Node's `4 DEADLINE_EXCEEDED: …`,
# Java's `Status{code=UNAVAILABLE, …}` and a status exception's message that starts with the code.
STATUS_PATTERN = re.compile(r"rpc error: code = (?P<go>\w+)|Status\{code=(?P<java>[A-Z_]+)"
                            r"|^(?:(?P<number>1[0-6]|[0-9]) )?(?P<lead>[A-Z][A-Z_]{3,}[A-Z])(?::|$)")
GO_STATUS_HINT = "rpc error: code = "
# Statuses a Go or Node message says only in words, in the runtimes' own (lower-case) spelling: Go prints
# an errno by its strerror (`connect: connection refused`) and a context's deadline, which gRPC reports
# as DEADLINE_EXCEEDED; Node's http client names its ECONNRESET `socket hang up`. A code the message
# prints (`rpc error: code = …`, `connect ECONNREFUSED`) comes first.
WORDED_STATUSES = (("connection refused", "ECONNREFUSED"), ("connection reset by peer", "ECONNRESET"),
                   ("socket hang up", "ECONNRESET"), ("broken pipe", "EPIPE"),
                   ("context deadline exceeded", "DEADLINE_EXCEEDED"))
ERRNO_CODE = re.compile(r"\bcode: '(?P<quoted>E[A-Z]{3,14})'|\b(?:connect|getaddrinfo|read|write|open|spawn) (?P<call>E[A-Z]{3,14})\b")


def has_runtime_trace(text: str) -> bool:
    """Whether the text may hold a Java, Go or Node stack trace (a cheap test; parse to be sure). A loop,
    not any() over a generator: asked of most records and events of a flood, and a generator's steps cost
    more than the substring tests."""
    for hint in HINTS:
        if hint in text:
            return True
    return False


def parse_runtime_trace(text: str) -> Traceback | None:
    """The exceptions of a Java, Go or Node error output, innermost cause first; None when the text
    has the structure of none of them."""
    if not has_runtime_trace(text):
        return None
    lines = [line.removesuffix("\r") for line in text.split("\n")]
    for parser in (_java, _go, _node):
        exceptions = parser(lines)
        if exceptions:
            return Traceback(exceptions)
    return None


def status_of(message: str) -> str | None:
    """The gRPC code (canonical name) or errno name a message reports, else None."""
    found = STATUS_PATTERN.search(message)
    if found is not None:
        name = grpc_name(found["go"] or found["java"] or found["lead"] or "")
        if name is not None:
            return name
    errno = ERRNO_CODE.search(message)
    if errno is not None:
        return errno["quoted"] or errno["call"]
    return next((status for words, status in WORDED_STATUSES if words in message), None)


def grpc_name(code: str) -> str | None:
    """A gRPC code as its canonical name, from `DEADLINE_EXCEEDED`, `DeadlineExceeded` or `4`."""
    if code.isdigit():
        return GRPC_NAMES[int(code)] if int(code) < len(GRPC_NAMES) else None
    if code in GRPC_NAMES:
        return code
    return _CAMEL.get(code.lower())


def _exception(kind: str, message: str, frames: list[Frame], relation: str | None) -> ParsedException:
    return ParsedException(kind, message, frames, relation, status_of(message))


# ---- Java ---------------------------------------------------------------------------------------

def _java(lines: list[str]) -> list[ParsedException]:
    """Each printed exception (the top one, then each `Caused by:`), read back to front."""
    printed: list[tuple[str, str, list[Frame]]] = []
    index = 0
    while index < len(lines):
        head = JAVA_HEAD.match(lines[index])
        if head is None or head["caused"] == "Suppressed" or not _java_frames_follow(lines, index + 1, printed, head):
            index += 1
            continue
        message_lines = [head["message"] or ""]
        index += 1
        while index < len(lines) and not JAVA_FRAME.match(lines[index]) and not JAVA_MORE.match(lines[index]):
            message_lines.append(lines[index])  # a message of several lines runs to the first frame
            index += 1
        frames, index = _java_frame_block(lines, index)
        printed.append((head["type"], "\n".join(message_lines).rstrip(), frames))
        index = _skip_suppressed(lines, index)
    return _java_chain(printed)


def _java_frames_follow(lines: list[str], start: int, printed: list, head: re.Match) -> bool:
    """A Java exception line is one followed by frames (its message may take a few lines first), or a
    `Caused by:` line after an exception already read (its frames may all be `... N more`)."""
    if head["caused"] and printed:
        return True
    return any(JAVA_FRAME.match(line) for line in lines[start:start + 8])


def _java_frame_block(lines: list[str], index: int) -> tuple[list[Frame], int]:
    frames: list[Frame] = []
    while index < len(lines):
        frame = JAVA_FRAME.match(lines[index])
        if frame is not None:  # printed innermost first; kept outermost first, as Python prints them
            line = int(frame["line"]) if frame["line"] else 0
            frames.insert(0, Frame(frame["file"] or "Unknown Source", line, frame["function"]))
        elif not JAVA_MORE.match(lines[index]):
            break
        index += 1
    return frames, index


def _skip_suppressed(lines: list[str], index: int) -> int:
    """Past `Suppressed:` blocks (printed indented, before the next `Caused by:`): they are not the chain."""
    while index < len(lines) and lines[index].lstrip().startswith("Suppressed: "):
        index += 1
        while index < len(lines) and (JAVA_FRAME.match(lines[index]) or JAVA_MORE.match(lines[index])
                                      or lines[index].startswith("\t\t")):
            index += 1
    return index


def _java_chain(printed: list[tuple[str, str, list[Frame]]]) -> list[ParsedException]:
    """Innermost cause first. The deepest printed exception's message may name its own cause (a wrapper
    built from it, `ExecutionException: PermissionDeniedException: StatusRuntimeException: …`): that cause
    is the innermost. Its own frames were not printed; it failed where its wrapper was raised, so it is
    given the wrapper's frames (grouping and the report read the innermost cause's frames)."""
    if not printed:
        return []
    chain = [_exception(kind, message, frames, "cause") for kind, message, frames in reversed(printed)]
    for _ in range(MAX_IMPLIED):
        implied = JAVA_IMPLIED.match(chain[0].message)
        if implied is None:
            break
        chain.insert(0, _exception(implied["type"], (implied["message"] or "").strip(), list(chain[0].frames), "cause"))
    chain[0].relation = None
    return chain


# ---- Go -----------------------------------------------------------------------------------------

def _go(lines: list[str]) -> list[ParsedException]:
    """A panic or fatal error, with the frames of the goroutine that raised it (the first one printed)."""
    head = next((found for found in map(GO_HEAD.match, lines) if found is not None), None)
    if head is None:
        return []
    goroutine = next((i for i, line in enumerate(lines) if GO_GOROUTINE.match(line)), None)
    message = head["message"]
    kind = "runtime.Error" if message.startswith("runtime error: ") else head["kind"]
    frames = _go_frames(lines, goroutine + 1) if goroutine is not None else []
    return [_exception(kind, message, frames, None)]


def _go_frames(lines: list[str], index: int) -> list[Frame]:
    frames: list[Frame] = []
    while index + 1 < len(lines):
        function, where = GO_FUNCTION.match(lines[index].strip()), GO_FILE.match(lines[index + 1])
        if function is None or where is None:
            break
        frames.insert(0, Frame(where["file"], int(where["line"]), function["function"] or function["creator"]))
        index += 2
    return frames


# ---- Node ---------------------------------------------------------------------------------------

def _node(lines: list[str]) -> list[ParsedException]:
    """Each error that a frame follows, or that a `cause:` names; outermost printed first."""
    printed: list[ParsedException] = []
    for index, line in enumerate(lines):
        head = NODE_HEAD.match(line)
        if head is None:
            continue
        frames, _ = _node_frames(lines, index + 1)
        if not frames and not head["cause"] and not head["type"].startswith("UnhandledPromiseRejection"):
            continue
        exception = _exception(head["type"], head["message"] or "", frames, "cause")
        exception.status = exception.status or _node_code(lines, index + 1) or head["code"]
        printed.append(exception)
    if not printed:
        return []
    printed.reverse()
    printed[0].relation = None
    return printed


def _node_frames(lines: list[str], index: int) -> tuple[list[Frame], int]:
    frames: list[Frame] = []
    while index < len(lines):
        frame = NODE_FRAME.match(lines[index])
        if frame is None:
            break
        file = frame["file"] or frame["bare"]
        line = frame["line"] or frame["bare_line"]
        frames.insert(0, Frame(file, int(line) if line else 0, frame["function"]))
        index += 1
    return frames, index


def _node_code(lines: list[str], index: int) -> str | None:
    """The `code: 'ECONNREFUSED'` among the error's own properties (the braces after its frames)."""
    for line in lines[index:index + 30]:
        found = ERRNO_CODE.search(line)
        if found is not None and found["quoted"]:
            return found["quoted"]
        if NODE_HEAD.match(line) and "cause" in line:
            return None  # the properties of a deeper error
    return None
