"""A Go panic or fatal error that Cloud Run and GKE write one line per entry is stitched into one
event, read into its type, message, status and the frames of the goroutine that failed."""

from pathlib import Path

import orjson
from conftest import run_rca
from hypothesis import given, settings
from hypothesis import strategies as st
from test_runtime_stitch import JAVA, NODE, per_line

from rca.events.error_event import events_from_records
from rca.events.runtimes import parse_runtime_trace
from rca.events.stitch import stitch
from rca.ingest.record import LogRecord

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "runtimes" / "go-panic-split.jsonl"

# The layout of Go's runtime output for a nil dereference (a signal line, a blank line, the goroutine).
NIL_PANIC = [
    "panic: runtime error: invalid memory address or nil pointer dereference",
    "[signal SIGSEGV: segmentation violation code=0x1 addr=0x40 pc=0x9c21e4]",
    "",
    "goroutine 1 [running]:",
    "main.loadRates(0xc00011e0c0, 0x3)",
    "\t/go/src/github.com/acme/stats/rates.go:143 +0x2b7",
    "main.refresh(...)",
    "\t/go/src/github.com/acme/stats/main.go:57",
    "main.main()",
    "\t/go/src/github.com/acme/stats/main.go:119 +0x5d",
]
# A fatal error under GOTRACEBACK=system: the runtime's own stack first, then each goroutine, with
# frame and stack pointers on the file lines and a blank line between goroutines.
FATAL = [
    "fatal error: unexpected signal during runtime execution",
    "[signal SIGSEGV: segmentation violation code=0x80 addr=0x0 pc=0x7f3c1e2a4b10]",
    "",
    "runtime stack:",
    "runtime.throw({0xb7d3a1?, 0x7f3c00000a12?})",
    "\t/usr/local/go/src/runtime/panic.go:1023 +0x5c",
    "",
    "goroutine 23 [syscall]:",
    "runtime.cgocall(0x9a0f40, 0xc0000b3e28)",
    "\t/usr/local/go/src/runtime/cgocall.go:168 +0x4b fp=0xc0000b3e00 sp=0xc0000b3dc8 pc=0x40613b",
    "net.cgoLookupIP.func1()",
    "\t/usr/local/go/src/net/cgo_unix.go:231 +0x2e fp=0xc0000b3fe0 sp=0xc0000b3fa8 pc=0x6a81d2",
    "created by net.cgoLookupIP",
    "\t/usr/local/go/src/net/cgo_unix.go:220 +0x11d",
    "",
    "goroutine 1 [select]:",
    "main.main()",
    "\t/app/cmd/server/main.go:40 +0x2d1",
]
NEXT_LOG_LINE = "2026/11/30 09:41:09 ledger starting, version 3.14.2"


def test_a_go_panic_written_one_line_per_entry_is_one_event_with_its_frames():
    records = per_line(NIL_PANIC) + per_line([NEXT_LOG_LINE], start=100.5, severities=["INFO"])
    (event,) = events_from_records(records)
    assert len(event.records) == len(NIL_PANIC) and NEXT_LOG_LINE not in event.text
    root = event.traceback.root
    assert root.type == "runtime.Error"
    assert root.message == "runtime error: invalid memory address or nil pointer dereference"
    assert [f.function for f in root.frames] == ["main.main", "main.refresh", "main.loadRates"]  # innermost last
    assert root.frames[-1].line == 143 and root.frames[1].line == 57  # an inlined frame has no offset


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
    assert root.frames[-1].line == 168


def test_a_panic_over_a_grpc_error_reports_its_status():
    text = ("panic: rpc error: code = Unavailable desc = connection error: desc = \"transport: Error while dialing: "
            "dial tcp 10.40.2.9:9090: connect: connection refused\"\n\ngoroutine 1 [running]:\n"
            "github.com/acme/ledger/internal/client.MustDial({0x1a2b3c0, 0xc000190a50})\n"
            "\tgithub.com/acme/ledger/internal/client/dial.go:47 +0x1e4\nmain.main()\n\tgithub.com/acme/ledger/cmd/main.go:19 +0x3a")
    root = parse_runtime_trace(text).root
    assert (root.type, root.status) == ("panic", "UNAVAILABLE")
    assert root.frames[-1].file == "github.com/acme/ledger/internal/client/dial.go"  # built with -trimpath


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


line_choices = st.sampled_from(JAVA + NODE + NIL_PANIC + FATAL + ["INFO ok", "main.main()", "   indented print", ""])


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(line_choices, st.sampled_from(["a", "b"]), st.one_of(st.none(), st.floats(0, 3)),
                          st.sampled_from([None, "INFO", "ERROR"])), max_size=60))
def test_runtime_lines_are_never_lost_or_duplicated(specs):
    """Java, Node and Go lines, mixed with others on two instances: each record in exactly one unit."""
    records = [LogRecord(time=t, severity=sev, text=text, source="s", position=i, instance=inst)
               for i, (text, inst, t, sev) in enumerate(specs)]
    out = [id(r) for unit in stitch(records) for r in unit]
    assert sorted(out) == sorted(id(r) for r in records)
