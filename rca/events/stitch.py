"""Stitch tracebacks that Cloud Run and GKE split one line per entry back into one block.

Records are grouped by `LogRecord.stitch_key` (stream: a file, or a sink's shards of one log and
hour; service, revision, instance, log), so two instances crashing at once never interleave. Within a key, records close in time form a run; a
run is put in time order (exports may be newest-first) and cut into units: a traceback block with
every record it spans, or a single record. Every record ends up in exactly one unit.

A block follows CPython's layout (see `tracebacks.py`): while in the frames, a line that cannot be
part of a traceback ends it; after the first exception line, what comes next may be message, notes
or the rest of a chain, so every line of the same burst belongs to the block until a record that
opens a log record of its own (a log prefix, a request, or a severity of its own: Cloud Run gives
one to a write's first line and to a line that starts `Traceback`, not to the others) or a pause
longer than the burst's. Right after a chain marker only a log prefix or a pause ends the block.
What was printed just before the traceback in the same burst (the log message that announced it,
a cause printed without a `Traceback` header) is taken into the block too.

Java and Node stack traces (`rca.events.runtimes`) are split the same way by a JVM or Node process
writing plain lines: the exception line, then one entry per `\tat …` / `    at …` frame, `... N more`,
`Caused by: …`, and Node's `{ code: 'ECONNREFUSED' … }` properties. Their first frame opens a block
(state `runtime`) whose lead-in is the exception line and the log line that announced it; frames,
`... N more` and cause lines keep it open as a Python frame does, and indented lines of the same
burst (Node's properties, `Suppressed:` frames) join it; anything else ends it.

A Go panic or fatal error is split the same way: `panic: …` (or `fatal error: …`), `[signal …]`, a
blank line, then `goroutine 1 [running]:` and one entry per function line and per file line. Its
`goroutine N [state]:` line opens the block (a function line alone, `main.main()`, is too plain to);
the panic line and what follows it in the same burst are its lead-in; function lines, file lines,
further goroutines and `runtime stack:` keep it open, and a blank line between goroutines joins it
within the burst.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from rca.events.remember import remembered
from rca.events.runtimes import (
    GO_FILE,
    GO_FUNCTION,
    GO_GOROUTINE,
    GO_HEAD,
    GO_SECTION,
    JAVA_FRAME,
    JAVA_HEAD,
    JAVA_MORE,
    NODE_FRAME,
    NODE_HEAD,
)
from rca.events.runtimes import HINTS as RUNTIME_HINTS
from rca.events.tracebacks import (
    CHAIN_LINES,
    FRAME_LINE,
    GROUP_BOX,
    TRACEBACK_HEADER,
    is_exception_line,
    is_familiar_exception_line,
)
from rca.ingest.record import ERROR_RANK, LogRecord, has_log_prefix, level_in_text
from rca.ingest.stats import ReadStats

RUN_GAP_SECONDS = 2.0  # a longer silence on one key ends its run
BLOCK_GAP_SECONDS = 1.0  # lines of one traceback are printed within this of each other
BURST_GAP_SECONDS = 0.01  # lines of one write are this close, or as close as the block's own lines
MAX_LEAD_IN = 500  # records looked back at for the start of a traceback printed without a header
NEWEST_FIRST_RATIO = 3  # steps back per step forward before a run is read as newest first
SETTLE_EVERY = 256  # a key that never falls silent gives out its settled units this often (see _settle)
MAX_RUN_RECORDS = 10_000  # a run that nothing settles in (not in time order) is cut here
STALE_CHECK_EVERY = 4096
MAX_TIED = 64  # records of one stamp looked through for the end of a traceback cut short (see _untie)
_BOX = re.compile(r"^ +[|+] ")  # an exception group's box around a line
RUNTIME = "runtime"  # the state of a Java or Node stack trace's block
_RUNTIME_CAUSES = ("Caused by: ", "Suppressed: ", "[cause]: ", "cause: ")
MAX_HEAD_LOOKAHEAD = 8  # lines after an exception line within which its first frame must come
_CHAIN_MARKER = re.compile(r"^[ |+]*(?:" + "|".join(map(re.escape, CHAIN_LINES)) + r")\s*$", re.MULTILINE)
# What a text or a line is depends on it alone, and a flood repeats its texts and lines (the same
# frames, messages and exception lines thousands of times): each is classified once, while it is
# among this many recent ones, if small (rca.events.remember, in bytes: each cache's strings 4 MB at most;
# strings only, never a record).
KNOWN_TEXTS, KNOWN_TEXT_BYTES = 1 << 12, 1024
KNOWN_LINES, KNOWN_LINE_BYTES = 1 << 14, 256

Unit = list[LogRecord]


def stitch(records: Iterable[LogRecord], stats: ReadStats | None = None) -> Iterator[Unit]:
    """Units (lists of records) in the order their runs close; see the module docstring. A key that
    never falls silent (a flood) is settled every SETTLE_EVERY records: the units that nothing later
    can change are given out, and the rest of the run goes on (`_settle`), so memory stays bounded.
    A run that is not in time order settles nothing and is cut at MAX_RUN_RECORDS, noted in `stats`:
    what spans the cut is read as two events."""
    runs: dict[tuple, list[LogRecord]] = {}
    streams: dict[object, _Stream] = {}
    for count, record in enumerate(records, 1):
        key = record.stitch_key
        run = runs.get(key)
        if run is not None and len(run) % SETTLE_EVERY == 0 and _gap(run[-1].time, record.time) <= RUN_GAP_SECONDS:
            settled, pending = _settle(run)
            yield from settled
            if len(pending) >= MAX_RUN_RECORDS:  # nothing settled (a newest-first or unordered run): cut it
                if stats is not None:
                    stats.note(f"a run of {MAX_RUN_RECORDS:,} lines cut: a traceback across the cut reads as two events",
                               record.source, record.position)
                yield from segment(pending)
                pending = []
            run = runs[key] = pending
        elif run is not None and _gap(run[-1].time, record.time) > RUN_GAP_SECONDS:
            yield from segment(runs.pop(key))
            run = None
        if run is None:
            run = runs[key] = []
        run.append(record)
        stream = streams.get(key[0])
        if stream is None:
            stream = streams[key[0]] = _Stream()
        stream.saw(record.time, count)
        if count % STALE_CHECK_EVERY == 0:
            for stale in [k for k, r in runs.items() if streams[k[0]].left_behind(r[-1].time, count)]:
                yield from segment(runs.pop(stale))
            for name in [name for name, stream in streams.items() if count - stream.count >= STALE_CHECK_EVERY]:
                del streams[name]
    for run in runs.values():
        yield from segment(run)


@dataclass
class _Stream:
    """What `stitch` knows of one stream (a file, or a sink's shards of one hour; the first part of
    the stitch key): its latest time, and the record count when it was last seen. Streams are read
    one after another, each in its own time, so a run is judged silent against its own stream's
    time only (a file of an earlier hour read after a later one is not all silent), and a stream that
    gave nothing for STALE_CHECK_EVERY records has ended: its runs are given out."""

    latest: float | None = None
    count: int = 0

    def saw(self, moment: float | None, count: int) -> None:
        if moment is not None and (self.latest is None or moment > self.latest):
            self.latest = moment
        self.count = count

    def left_behind(self, last: float | None, count: int) -> bool:
        if count - self.count >= STALE_CHECK_EVERY:
            return True
        return last is not None and self.latest is not None and self.latest - last > RUN_GAP_SECONDS


@dataclass
class _Block:
    records: list[LogRecord]
    state: str  # "frames", "message" or "chain": see _advance; RUNTIME for Java and Node
    widest_gap: float = 0.0

    def add(self, record: LogRecord, state: str) -> None:
        self.widest_gap = max(self.widest_gap, _gap(self.records[-1].time, record.time))
        self.records.append(record)
        self.state = state


def _settle(run: list[LogRecord]) -> tuple[list[Unit], list[LogRecord]]:
    """The units of an oldest-first run that the records still to come cannot change, and the
    records that must wait for them: the block still open (it may go on), or the loose records at the
    end that a later traceback may take as its lead-in, with the two before either (the lead-in's
    look-back tests them). Nothing settles in a run that is not in time order."""
    if _in_time_order(run) is not run:
        return [], run
    units, pending_from = _segment(run)  # in time order already
    cut = max(0, pending_from - 2)
    settled, count = [], 0
    for unit in units:
        if count + len(unit) > cut:
            break
        settled.append(unit)
        count += len(unit)
    return settled, run[count:]


def segment(run: list[LogRecord]) -> Iterator[Unit]:
    """Cut one key's run into traceback blocks and single records."""
    return iter(_segment(_in_time_order(run))[0])


def _segment(run: list[LogRecord]) -> tuple[list[Unit], int]:
    """The units of a run in time order, and where its unfinished part begins: the open
    block's first record, else the first of the loose records at its end that a traceback still to
    come could take as its lead-in (at most MAX_LEAD_IN)."""
    units: list[Unit] = []
    loose: list[LogRecord] = []  # records since the last block that belong to none (yet)
    block: _Block | None = None
    done = 0  # records in units that nothing later can change
    for index in range(len(run)):
        if block is not None and block.state == "frames":
            _untie(run, index, block)
        record = run[index]
        if block is not None:
            state = _continue(block, record)
            if state:
                block.add(record, state)
                continue
            units.append(block.records)
            done += len(block.records)
            block = None
        state = _opening(record)
        if not state:
            loose.append(record)
            continue
        lead = _lead_in(loose, record, state == RUNTIME)
        units.extend([r] for r in loose[:len(loose) - len(lead)])
        done += len(loose) - len(lead)
        loose = []
        block = _Block(lead + [record], state)
    if block is not None:
        units.append(block.records)
        return units, done
    units.extend([r] for r in loose)
    return units, max(done, len(run) - _waiting(loose))


def _untie(run: list[LogRecord], index: int, block: _Block) -> None:
    """Put back in printed order a traceback's end and the next one's start that share a stamp.
    Cloud Run stamps each line to the microsecond, and an export orders equal stamps by insertId,
    whose last digits are random: in a burst of tracebacks, the next one's `Traceback` entry can come
    before the exception line that ends this one, cutting this one short (`<truncated>`). So when
    an entry would end the open block's frames, the records of its stamp after it, up to the first
    exception line that could end the block, are moved before it (what opens a record of its own
    among them kept after it), in place."""
    record = run[index]
    moment = record.time
    if moment is None or index + 1 >= len(run) or run[index + 1].time != moment or _continue(block, record):
        return
    end = index + 1
    while end < len(run) and run[end].time == moment and end - index <= MAX_TIED:
        if not _opening(run[end]) and _line_kind(run[end].text.split("\n", 1)[0]) == "exception":
            tied = run[index:end + 1]
            ending = [r for r in tied if not _opening(r) and not _opens_record(r, None)]
            run[index:end + 1] = ending + [r for r in tied if not any(r is e for e in ending)]
            return
        end += 1


def _waiting(loose: list[LogRecord]) -> int:
    """How many of the loose records at the end of a run a traceback still to come could take as
    its lead-in (see _lead_in): the burst they end with, and the record before it, which may
    announce it. A flood's lines are seldom a burst: few wait."""
    if not loose:
        return 0
    start, _ = _burst(loose, len(loose) - 1, loose[-1])  # the last one may join whatever comes
    return min(len(loose), len(loose) - start + 1)


def _in_time_order(run: list[LogRecord]) -> list[LogRecord]:
    times = [r.time for r in run if r.time is not None]
    descending = sum(a > b for a, b in zip(times, times[1:]))
    ascending = sum(a < b for a, b in zip(times, times[1:]))
    # Newest first throughout: reversed, so that records sharing a stamp keep their printed order.
    # Steps back among steps forward do not say so: a text log stamps its request line to the second
    # (14:17:40) just after the traceback it ends (14:17:40,839), one step back per request, and
    # reversing would turn every traceback over. A newest-first export steps back nearly always.
    if descending >= 2 and descending > NEWEST_FIRST_RATIO * ascending:
        return run[::-1]
    if descending:  # neither way throughout: a stable sort keeps ties in place
        return sorted(run, key=lambda r: r.time if r.time is not None else float("-inf"))
    return run


def _opening(record: LogRecord) -> str:
    """The block state after this record if it opens a traceback block, else ''."""
    text = record.text
    return _opening_text(text) if _may_open(text) else ""


def _may_open(text: str) -> bool:
    """Whether the text holds what every text that opens a block holds (see _opening_text): a header, a
    frame's `File "`, a chain marker's "exception", a Java or Node frame's "at ", a goroutine. Two thirds
    of a flood's records hold none, and are passed over without a look in the cache of texts they
    would only fill (they are nearly all distinct)."""
    return ("at " in text or 'File "' in text or "Traceback (most recent call last)" in text or "exception" in text
            or "goroutine " in text)


@remembered(KNOWN_TEXTS, KNOWN_TEXT_BYTES)
def _opening_text(text: str) -> str:
    if "Traceback (most recent call last)" in text or FRAME_LINE.match(text.split("\n", 1)[0]):
        return _advance("frames", text.split("\n"))
    if "exception" in text and _CHAIN_MARKER.search(text):  # the exception before it had no header
        return _advance("chain", text.split("\n"))
    return RUNTIME if _opens_runtime_trace(text) or _opens_go_trace(text) else ""


def _opens_go_trace(text: str) -> bool:
    """A goroutine's header (`goroutine 1 [running]:`) among an entry's first lines: a Go stack."""
    if "goroutine " not in text:
        return False
    return any(GO_GOROUTINE.match(line) for line in text.split("\n", MAX_HEAD_LOOKAHEAD + 1)[:MAX_HEAD_LOOKAHEAD + 1])


def _opens_runtime_trace(text: str) -> bool:
    """A Java or Node frame, or an exception line with its frames in the same entry."""
    if "at " not in text:  # every frame holds it: most records are passed over here
        return False
    lines = text.split("\n", MAX_HEAD_LOOKAHEAD + 1)
    if _runtime_kind(lines[0]) == "frame":
        return True
    return (len(lines) > 1 and any(hint in text for hint in RUNTIME_HINTS) and _is_runtime_head(lines[0])
            and any(_runtime_kind(line) == "frame" for line in lines[1:MAX_HEAD_LOOKAHEAD + 1]))


def _runtime_kind(line: str) -> str:
    """`frame` (`\tat …`, `    at …`), `more` (`... 5 more`), `cause` (`Caused by: …`, Node's
    `[cause]: …`), or '' for any other line."""
    stripped = line.lstrip()
    if stripped.startswith("at "):
        return "frame" if JAVA_FRAME.match(line) or NODE_FRAME.match(line) else ""
    if stripped.startswith("... "):
        return "more" if JAVA_MORE.match(line) else ""
    if stripped.startswith(_RUNTIME_CAUSES):
        return "cause" if _is_runtime_head(line) else ""
    return _go_kind(line, stripped)


def _go_kind(line: str, stripped: str) -> str:
    """`go` for a line of a Go stack: a goroutine's header, a function line (`pkg.(*T).M(0x0, …)`,
    `created by …`), a file line (`\t/src/main.go:12 +0x1d`) or `runtime stack:`; else ''. Never
    "frame": a function line alone does not open a block (see _opening)."""
    found = (GO_GOROUTINE.match(stripped) or GO_FUNCTION.match(stripped) or GO_FILE.match(line)
             or GO_SECTION.match(stripped))
    return "go" if found else ""


def _is_runtime_head(line: str) -> bool:
    """An exception line as Java or Node prints it (`Exception in thread "main" pkg.Type: …`,
    `Error: connect ECONNREFUSED …`), or one that reads as an exception anywhere."""
    return (JAVA_HEAD.match(line) is not None or NODE_HEAD.match(line) is not None or GO_HEAD.match(line) is not None
            or is_familiar_exception_line(line))


def _continue(block: _Block, record: LogRecord) -> str:
    """The block state after appending `record`, or '' when it does not belong."""
    previous = block.records[-1]
    gap = _gap(previous.time, record.time)
    if block.state == RUNTIME:
        return RUNTIME if _continues_runtime(block, record, previous, gap) else ""
    if block.state == "chain":  # CPython prints the next exception right after a chain marker;
        # Cloud Run gives its `Traceback` line a severity of its own, so only a log prefix counts
        fits = gap <= BLOCK_GAP_SECONDS and not _prefix_facts(_first_line(record.text))[0]
    elif _opens_record(record, previous):
        fits = False
    elif block.state == "frames":
        fits = gap <= BLOCK_GAP_SECONDS and _line_kind(_first_line(record.text)) != "other"
    else:
        fits = gap <= min(BLOCK_GAP_SECONDS, max(BURST_GAP_SECONDS, 2 * block.widest_gap))
    return _advanced(block.state, record.text) if fits else ""


def _first_line(text: str) -> str:
    return text.split("\n", 1)[0]


@remembered(KNOWN_TEXTS, KNOWN_TEXT_BYTES)
def _advanced(state: str, text: str) -> str:
    """`_advance` over a record's lines: the same text in the same state always ends in the same state."""
    return _advance(state, text.split("\n"))


def _continues_runtime(block: _Block, record: LogRecord, previous: LogRecord, gap: float) -> bool:
    """A frame, `... N more` or cause line within a block's gap; an indented line (Node's properties,
    a `Suppressed:` block's frames) or a closing brace only within the burst."""
    if _opens_record(record, previous):
        return False
    first = record.text.split("\n", 1)[0]
    if _runtime_kind(first):
        return gap <= BLOCK_GAP_SECONDS
    detail = first[:1].isspace() or first.strip() in ("}", "]", "")  # blank: between Go's goroutines
    return detail and gap <= min(BLOCK_GAP_SECONDS, max(BURST_GAP_SECONDS, 2 * block.widest_gap))


def _advance(state: str, lines: list[str]) -> str:
    """The state after these lines: `frames` until the first exception line, `message` after it
    (CPython prints the rest raw), `chain` right after a chain marker."""
    for line in lines:
        kind = _line_kind(line)
        if kind == "chain":
            state = "chain"
        elif kind == "blank":
            continue
        elif state == "chain" or (state == "frames" and kind == "exception"):
            state = "frames" if kind in ("header", "frame") else "message"
    return state


@remembered(KNOWN_LINES, KNOWN_LINE_BYTES)
def _line_kind(line: str) -> str:
    content = _BOX.sub("", line, count=1)
    stripped = content.strip()
    if not stripped:
        return "blank"
    if TRACEBACK_HEADER.match(stripped):
        return "header"
    if stripped in CHAIN_LINES:
        return "chain"
    if FRAME_LINE.match(content):
        return "frame"
    if content[0].isspace():
        return "indented"
    if is_exception_line(content):
        return "exception"
    return "other"


def _opens_record(record: LogRecord, previous: LogRecord | None) -> bool:
    """A log prefix, or a severity of its own: the record is not the continuation of a printout.
    A level read from the text itself proves nothing; GKE gives every stderr line the same severity."""
    prefixed, level = _prefix_facts(_first_line(record.text))
    if prefixed or record.http_status is not None:  # a request log is never a message line
        return True
    own = record.severity is not None and record.severity != level
    return own and (previous is None or previous.severity != record.severity)


@remembered(KNOWN_LINES, KNOWN_LINE_BYTES)
def _prefix_facts(first: str) -> tuple[bool, str | None]:
    """Whether a first line opens with a log prefix, and the level it names."""
    return has_log_prefix(first), level_in_text(first)


def _lead_in(loose: list[LogRecord], record: LogRecord, runtime: bool = False) -> list[LogRecord]:
    """The records just before a traceback that belong to it: back to the record that announced it
    (an error line such as logging's message), or else to a cause printed without a header (for a
    Java or Node trace, `runtime`: its exception line, printed before its frames)."""
    start, later = _burst(loose, len(loose), record)
    if start > 0 and _announces(loose[start - 1], later):
        return loose[start - 1:]
    # Before a chain marker there must be an exception (any name, or a group's box); before a
    # `Traceback` line only a familiar name is worth taking (a _RemoteTraceback, say).
    if runtime:
        opens = _is_runtime_head
    else:
        opens = _opens_chain if _chain_before_header(record.text) else is_familiar_exception_line
    first = next((i for i in range(start, len(loose)) if opens(loose[i].text.split("\n", 1)[0])), None)
    return loose[first:] if first is not None else []


def _burst(loose: list[LogRecord], start: int, later: LogRecord) -> tuple[int, LogRecord]:
    """Where the burst that `later` continues begins among loose[:start], walked back record by
    record (at most MAX_LEAD_IN) until one opens a record of its own or a gap is wider than a burst's;
    and the burst's first record."""
    while start > 0 and len(loose) - start < MAX_LEAD_IN:
        candidate = loose[start - 1]
        if _opens_record(candidate, loose[start - 2] if start > 1 else None) or _gap(candidate.time, later.time) > BURST_GAP_SECONDS:
            break
        start, later = start - 1, candidate
    return start, later


def _opens_chain(line: str) -> bool:
    return is_exception_line(line) or GROUP_BOX.match(line) is not None


def _chain_before_header(text: str) -> bool:
    """A chain marker comes first: the exception printed before it had no `Traceback` header."""
    # Both chain lines say "exception": a text without the word (nearly every one) is not searched line by line.
    marker = _CHAIN_MARKER.search(text) if "exception" in text else None
    header = text.find("Traceback (most recent call last)")
    return marker is not None and (header < 0 or marker.start() < header)


def _announces(candidate: LogRecord, later: LogRecord) -> bool:
    """An error line printed just before a traceback ("Exception in ASGI application") is its header."""
    return candidate.severity_rank >= ERROR_RANK and _gap(candidate.time, later.time) <= BLOCK_GAP_SECONDS


def _gap(earlier: float | None, later: float | None) -> float:
    if earlier is None or later is None:
        return 0.0
    return abs(later - earlier)
