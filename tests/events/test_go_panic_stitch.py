"""A Go panic or fatal error that Cloud Run and GKE write one line per entry is stitched into one
event, read into its type, message, status and the frames of the goroutine that failed."""

from pathlib import Path

import orjson
from conftest import run_rca
from hypothesis import given, settings
from hypothesis import strategies as st

from rca.events.error_event import events_from_records
from rca.events.runtimes import parse_runtime_trace
from rca.events.stitch import stitch
from rca.ingest.record import LogRecord

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "runtimes" / "go-panic-split.jsonl"

# The layout of Go's runtime output for a nil dereference (a signal line, a blank line, the goroutine).
NIL_PANIC = [
    "panic: runtime error: invalid memory address or nil pointer dereference",
    "[signal SIGSEGV: segmentation violation code=0x1 addr=0x28 pc=0x1385f7c]",
    "",
    "goroutine 1 [running]:",
    "main.readStats(0xc000228000, 0xa1, 0x200)",
    "\t/go/src/github.com/acme/stats/parse.go:76 +0x19c",
    "main.refresh(...)",
    "\t/go/src/github.com/acme/stats/main.go:38",
    "main.main()",
    "\t/go/src/github.com/acme/stats/main.go:202 +0xe7",
]
# A fatal error under GOTRACEBACK=system: the runtime's own stack first, then each goroutine, with
# frame and stack pointers on the file lines and a blank line between goroutines.
FATAL = [
    "fatal error: unexpected signal during runtime execution",
    "[signal SIGSEGV: segmentation violation code=0x1 addr=0x63 pc=0x7f6fa803a298]",
    "",
    "runtime stack:",
    "runtime.throw({0x10e5520?, 0x7f6f60000d53?})",
    "\t/usr/local/go/src/runtime/panic.go:992 +0x71",
    "",
    "goroutine 15 [syscall]:",
    "runtime.cgocall(0xd45130, 0xc000071598)",
    "\t/usr/local/go/src/runtime/cgocall.go:157 +0x5c fp=0xc000071570 sp=0xc000071538 pc=0x405a9c",
    "net.cgoLookupIP.func1()",
    "\t/usr/local/go/src/net/cgo_unix.go:227 +0x36 fp=0xc0000717e0 sp=0xc0000717a8 pc=0x5dcb56",
    "created by net.cgoLookupIP",
    "\t/usr/local/go/src/net/cgo_unix.go:217 +0x15b",
    "",
    "goroutine 1 [select]:",
    "main.main()",
    "\t/app/cmd/server/main.go:40 +0x2d1",
]
NEXT_LOG_LINE = "2026/11/30 09:41:09 ledger starting, version 3.14.2"


def per_line(lines, start=100.0, step=0.00002, severities=None, instance="a"):
    """One record per line, as Cloud Run writes a process's stderr: the first line of the write
    carries the severity, the others none (GKE: `severities` gives every line one)."""
    severities = severities or ["ERROR"] + [None] * (len(lines) - 1)
    return [LogRecord(time=start + i * step, severity=severity, text=text, source="s", position=i,
                      service="api", revision="api-1", instance=instance)
            for i, (text, severity) in enumerate(zip(lines, severities))]


def test_a_go_panic_written_one_line_per_entry_is_one_event_with_its_frames():
    records = per_line(NIL_PANIC) + per_line([NEXT_LOG_LINE], start=100.5, severities=["INFO"])
    (event,) = events_from_records(records)
    assert len(event.records) == len(NIL_PANIC) and NEXT_LOG_LINE not in event.text
    root = event.traceback.root
    assert root.type == "runtime.Error"
    assert root.message == "runtime error: invalid memory address or nil pointer dereference"
    assert [f.function for f in root.frames] == ["main.main", "main.refresh", "main.readStats"]  # innermost last
    assert root.frames[-1].line == 76 and root.frames[1].line == 38  # an inlined frame has no offset


def test_a_go_panic_on_gke_where_every_stderr_line_has_the_same_severity_still_stitches():
    (event,) = events_from_records(per_line(NIL_PANIC, severities=["ERROR"] * len(NIL_PANIC)))
    assert len(event.records) == len(NIL_PANIC) and event.traceback.root.type == "runtime.Error"


def test_a_fatal_error_with_the_runtime_stack_and_several_goroutines_is_one_event():
    (event,) = events_from_records(per_line(FATAL))
    assert len(event.records) == len(FATAL)
    root = event.traceback.root
    assert (root.type, root.message) == ("fatal error", "unexpected signal during runtime execution")
    # the goroutine that failed (the first printed), not the runtime's own stack
    assert [f.function for f in root.frames] == ["net.cgoLookupIP", "net.cgoLookupIP.func1", "runtime.cgocall"]
    assert root.frames[-1].line == 157


def test_a_panic_over_a_grpc_error_reports_its_status():
    text = ("panic: rpc error: code = Unavailable desc = error reading from server: read tcp "
            "10.1.4.2:43588->10.1.4.9:2379: read: connection timed out\n\ngoroutine 1 [running]:\n"
            "github.com/acme/ops/pkg/operator.New({0x3bf3790, 0x40004c2bd0})\n"
            "\tgithub.com/acme/ops/pkg/operator/operator.go:108 +0x11c\nmain.main()\n\tgithub.com/acme/ops/cmd/main.go:31 +0x28")
    root = parse_runtime_trace(text).root
    assert (root.type, root.status) == ("panic", "UNAVAILABLE")
    assert root.frames[-1].file == "github.com/acme/ops/pkg/operator/operator.go"  # built with -trimpath


def test_go_shaped_lines_without_a_goroutine_header_open_no_block():
    lines = ["main.main()", "\t/src/main.go:3 +0x1", "retrying(3)", "done"]
    assert [len(unit) for unit in stitch(per_line(lines, severities=["INFO"] * 4))] == [1, 1, 1, 1]


def test_a_panic_far_from_its_goroutine_is_not_stitched_to_it():
    records = per_line(NIL_PANIC[:2]) + per_line(NIL_PANIC[3:], start=110.0, severities=["INFO"] + [None] * 6)
    units = list(stitch(records))
    assert [len(u) for u in units][:2] == [1, 1] and len(units[-1]) == len(NIL_PANIC) - 3


def test_cli_analyze_reads_a_split_go_panic_as_one_dependency_failure():
    done = run_rca("analyze", str(FIXTURE), "--format", "json")
    assert done.returncode == 0, done.stderr
    (group,) = orjson.loads(done.stdout)["groups"]
    assert group["count"] == 1 and group["class"] == "dependency_connection_failure"
    assert group["exception"] == "panic" and group["location"]["function"] == "main.mustConnect"
    events = run_rca("events", str(FIXTURE), "--format", "jsonl")
    assert events.returncode == 0, events.stderr
    (event,) = [orjson.loads(line) for line in events.stdout.splitlines()]
    assert event["traceback"]["exceptions"][0]["status"] == "UNAVAILABLE"


line_choices = st.sampled_from(NIL_PANIC + FATAL + ["INFO ok", "main.main()", "   indented print"])


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(line_choices, st.sampled_from(["a", "b"]), st.one_of(st.none(), st.floats(0, 3)),
                          st.sampled_from([None, "INFO", "ERROR"])), max_size=50))
def test_go_lines_are_never_lost_or_duplicated(specs):
    records = [LogRecord(time=t, severity=sev, text=text, source="s", position=i, instance=inst)
               for i, (text, inst, t, sev) in enumerate(specs)]
    out = [id(r) for unit in stitch(records) for r in unit]
    assert sorted(out) == sorted(id(r) for r in records)
