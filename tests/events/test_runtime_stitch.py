"""Java and Node stack traces that Cloud Run and GKE write one line per entry are stitched into one
event, as Python's are, and read into the same chain (innermost cause first)."""


from rca.events.error_event import events_from_records
from rca.events.stitch import stitch
from rca.ingest.record import LogRecord

# As a Spring Boot service prints an uncaught failure on stdout (one entry per line on Cloud Run).
JAVA = [
    "2026-12-06 10:15:02.114 ERROR 1 --- [nio-8080-exec-3] o.a.c.c.C.[.[.[/].[dispatcherServlet]    : "
    "Servlet.service() for servlet [dispatcherServlet] threw exception",
    "org.springframework.dao.DataAccessResourceFailureException: Unable to acquire JDBC Connection",
    "\tat org.springframework.orm.jpa.vendor.HibernateJpaDialect.convertHibernateAccessException(HibernateJpaDialect.java:277)",
    "\tat com.example.orders.OrderService.place(OrderService.java:41)",
    "Caused by: org.postgresql.util.PSQLException: Connection to 10.8.0.3:5432 refused. Check that the hostname "
    "and port are correct and that the postmaster is accepting TCP/IP connections.",
    "\tat org.postgresql.core.v3.ConnectionFactoryImpl.openConnectionImpl(ConnectionFactoryImpl.java:319)",
    "\tat org.postgresql.Driver.connect(Driver.java:253)",
    "\t... 48 common frames omitted",
    "Caused by: java.net.ConnectException: Connection refused",
    "\tat java.base/sun.nio.ch.Net.pollConnect(Native Method)",
    "\tat java.base/java.net.Socket.connect(Socket.java:633)",
    "\t... 60 common frames omitted",
]
NEXT_LOG_LINE = "2026-12-06 10:15:02.310  INFO 1 --- [nio-8080-exec-4] c.e.orders.OrderController : GET /orders"

# As Node prints an unhandled error with its properties (one entry per line on Cloud Run).
NODE = [
    "Error: connect ECONNREFUSED 10.8.0.5:6379",
    "    at TCPConnectWrap.afterConnect [as oncomplete] (node:net:1555:16)",
    "    at Socket.connect (/app/node_modules/ioredis/built/Redis.js:121:15)",
    "    at Worker.start (/app/src/worker.js:18:11) {",
    "  errno: -111,",
    "  code: 'ECONNREFUSED',",
    "  syscall: 'connect',",
    "  address: '10.8.0.5',",
    "  port: 6379",
    "}",
]


def per_line(lines, start=100.0, step=0.00002, severities=None, instance="a"):
    """One record per line, as Cloud Run writes a process's plain output: the first line of the write
    carries the severity, the others none (GKE: `severities` gives every line one)."""
    severities = severities or ["ERROR"] + [None] * (len(lines) - 1)
    return [LogRecord(time=start + i * step, severity=severity, text=text, source="s", position=i,
                      service="api", revision="api-1", instance=instance)
            for i, (text, severity) in enumerate(zip(lines, severities))]


def test_a_java_trace_written_one_line_per_entry_is_one_event_with_its_innermost_cause():
    records = per_line(JAVA + [NEXT_LOG_LINE], severities=["ERROR"] + [None] * (len(JAVA) - 1) + ["INFO"])
    events = list(events_from_records(records))
    assert len(events) == 1
    (event,) = events
    assert len(event.records) == len(JAVA) and NEXT_LOG_LINE not in event.text
    chain = event.traceback.exceptions
    assert [e.type for e in chain] == ["java.net.ConnectException", "org.postgresql.util.PSQLException",
                                       "org.springframework.dao.DataAccessResourceFailureException"]
    assert event.traceback.root.frames[-1].function == "sun.nio.ch.Net.pollConnect"  # innermost last


def test_a_java_trace_on_gke_where_every_stderr_line_has_the_same_severity_still_stitches():
    (event,) = events_from_records(per_line(JAVA[1:], severities=["ERROR"] * (len(JAVA) - 1)))
    assert event.traceback.root.type == "java.net.ConnectException"
    assert len(event.records) == len(JAVA) - 1


def test_a_node_error_with_its_properties_is_one_event_with_the_errno_it_reports():
    records = per_line(NODE + ["listening on 8080"], severities=["ERROR"] + [None] * (len(NODE) - 1) + ["INFO"])
    events = list(events_from_records(records))
    assert len(events) == 1
    (event,) = events
    assert len(event.records) == len(NODE)
    assert event.traceback.root.type == "Error" and event.traceback.root.status == "ECONNREFUSED"
    assert event.traceback.root.frames[-1].file == "node:net"


def test_two_java_traces_printed_back_to_back_stay_two():
    first = per_line(JAVA[1:4])
    second = per_line(["java.lang.IllegalStateException: queue closed",
                       "\tat com.example.orders.Queue.take(Queue.java:12)"], start=100.5)
    events = list(events_from_records(first + second))
    assert [e.traceback.root.type for e in events] == [
        "org.springframework.dao.DataAccessResourceFailureException", "java.lang.IllegalStateException"]
    assert [len(e.records) for e in events] == [3, 2]


def test_frames_far_apart_in_time_are_not_stitched():
    records = per_line(JAVA[1:3]) + per_line(JAVA[3:4], start=110.0)
    assert [len(unit) for unit in stitch(records)] == [2, 1]


def test_a_trace_arriving_whole_in_one_entry_is_not_joined_to_the_log_lines_around_it():
    whole = LogRecord(time=100.0, severity="ERROR", text="\n".join(JAVA[1:]), source="s", position=0, instance="a")
    after = LogRecord(time=100.00001, severity="INFO", text="request done", source="s", position=1, instance="a")
    before = LogRecord(time=99.99999, severity="INFO", text="handling request", source="s", position=2, instance="a")
    units = list(stitch([before, whole, after]))
    assert [[r.text for r in unit] for unit in units] == [["handling request"], [whole.text], ["request done"]]


def test_node_style_lines_in_prose_do_not_open_a_block():
    lines = ["worker ready", "    at least one queue is empty", "done"]
    assert [len(unit) for unit in stitch(per_line(lines, severities=["INFO"] * 3))] == [1, 1, 1]
