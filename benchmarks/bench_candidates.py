"""Benchmark (issue 24): a flood's candidates decoded by Python, against their record's fields taken in SQL.

    python benchmarks/bench_candidates.py                  # the 200k flood of bench_flood.py
    python benchmarks/bench_candidates.py --entries 1000000 --repeats 3

The engine (rca.ingest.engine) hands Python every line it cannot pass over, and Python decodes each
(orjson, then logentry.entry_to_record). The issue's design takes the fields a LogRecord needs in
DuckDB instead and builds records from columns. This script holds that design as it was built and
measured (branch engine9; see benchmarks/results/engine9-issue24.md): for each candidate DuckDB
parsed strictly and whose shape the SQL reads exactly as entry_to_record reads the decoded entry, the
fields come from SQL; the other lines would still go to Python. It times both ways in one process
(CPU seconds, best of --repeats, DuckDB's threads included) and checks that they give equal records,
field by field, so that it can be measured again on a later DuckDB.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from pathlib import Path

import orjson

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from rca.ingest import engine  # noqa: E402
from rca.ingest.deployment import deployment_details  # noqa: E402
from rca.ingest.engine_passes import Passes  # noqa: E402
from rca.ingest.jsonlog import choose_prefilter, read_line  # noqa: E402
from rca.ingest.logentry import (  # noqa: E402
    LEVEL_KEYS,
    LEVEL_SEARCH_SPAN,
    NUMERIC_LEVELS,
    _latency_ms,
    _level_named,
    first_of,
    json_payload_text,
    malformed_reason,
)
from rca.ingest.record import MALFORMED, LogRecord, normalise_severity  # noqa: E402
from rca.ingest.stats import ReadStats  # noqa: E402
from rca.ingest.times import parse_timestamp  # noqa: E402


def json_payload_reading(payload: dict) -> tuple[str, str | None]:
    """logentry._payload_text's reading of a structured payload: its text and the level it names."""
    level = first_of(payload, LEVEL_KEYS)
    return json_payload_text(payload), NUMERIC_LEVELS.get(level, level) if level is not None else None


def severity_of(named: str | None, text: str, payload_level) -> str | None:
    """logentry._severity for a resource whose text does not decide (not a GKE container's stream)."""
    if named in (None, "DEFAULT"):
        return normalise_severity(payload_level) if payload_level else _level_named(text[:LEVEL_SEARCH_SPAN])
    return named


SERVICE_LABELS = ("service_name", "module_id", "function_name", "job_name", "container_name")  # logentry's order
REVISION_LABELS = ("revision_name", "version_id")
INSTANCE_LABELS = ("pod_name", "instance_id")
PLACE_LABELS = ("location", "region", "namespace_name")  # what deployment_details reads of resource.labels
# The fields read, as JSON text (`json_transform` to JSON leaves: one parse of the line, each field's
# type told by its first character). The objects read from are transformed again from their text
# (small), so that an object of the wrong type (a string `resource`) is seen as such, not read as empty.
ENTRY = ("severity", "timestamp", "receiveTimestamp", "textPayload", "jsonPayload", "protoPayload", "split",
         "logName", "trace", "insertId", "resource", "labels", "httpRequest")
RESOURCE = ("type", "labels")
RESOURCE_LABELS = SERVICE_LABELS + REVISION_LABELS + INSTANCE_LABELS + PLACE_LABELS
LABELS = ("instanceId", "k8s-pod/app")
REQUEST = ("requestMethod", "requestUrl", "status", "latency")
# Resource types whose records logentry completes from other fields (workloads.py, the function's
# outcome, the load balancer's backend): their lines are read by Python.
OTHER_TYPES = ("k8s_container", "k8s_pod", "k8s_cluster", "cloud_function", "http_load_balancer")
BENIGN = r'"severity":"(?:INFO|DEBUG|NOTICE)"'  # prefilter.make_prefilter(b":")'s first test, as bytes
# A number a double cannot hold, which DuckDB keeps and orjson refuses: an exponent of three digits, or
# 300 digits. Looked for where a value begins, in the same searches as DuckDB's lenient tokens (a
# search per leading character, found by memchr), not in hex ids (`9e123`) anywhere.
TOO_BIG = r"-?(?:[0-9]+(?:\.[0-9]*)?[eE][+-]?[0-9]{3}|[0-9]{300})"
ORJSON_DEPTH = 1024  # orjson refuses deeper nesting: a line with fewer brackets cannot reach it


def _spec(names: tuple[str, ...]) -> str:
    return "'{" + ", ".join(f'"{name}": "JSON"' for name in names) + "}'"


def _is_text(value: str) -> str:
    return f"({value} IS NULL OR starts_with({value}, '\"'))"


def _is_object(value: str) -> str:
    return f"({value} IS NULL OR starts_with({value}, '{{'))"


def _text(value: str) -> str:
    """A JSON string's value: its text between the quotes, unless it holds an escape."""
    return (f"CASE WHEN contains({value}, '\\') THEN json_extract_string({value}, '$') "
            f"ELSE substr({value}, 2, length({value}) - 2) END")


def _once(keys: str) -> str:
    return f"({keys} IS NULL OR len({keys}) = len(list_distinct({keys})))"


def _first_named(names: list[str], then: str | None = None) -> str:
    """The first of the fields that is not empty, as `logentry.first_of` takes it; `then` (kept even
    when empty) after them, as `first_of(...) or labels.get(...)` gives it."""
    return f"coalesce({', '.join([f'nullif({name}, {chr(39) * 2})' for name in names] + ([then] if then else []))})"


# The objects whose keys must each be there once: the entry's own, and those the fields are read from.
KEYED = ["$", "$.resource", "$.resource.labels", "$.labels", "$.httpRequest"]
ENTRY_KEYS, RESOURCE_KEYS, RESOURCE_LABEL_KEYS, LABEL_KEYS, REQUEST_KEYS = (f"keys[{at}]" for at in range(1, 6))


def _shape_holds() -> str:
    """Every field read has the type the columns carry; no key twice in an object read; a request's
    method, URL and status not null (a bare request log's text writes null as "None"), its status 0-999."""
    tests = [_is_text(f"v.{name}") for name in ("severity", "timestamp", "receiveTimestamp", "textPayload",
                                               "logName", "trace", "insertId")]
    tests += [_is_object(f"v.{name}") for name in ("jsonPayload", "resource", "labels", "httpRequest")]
    tests += ["v.protoPayload IS NULL", "v.split IS NULL", _is_text("r.type"), _is_object("r.labels"),
              f"coalesce(json_extract_string(r.type, '$'), '') NOT IN {OTHER_TYPES}"]
    tests += [_is_text(f'rl."{name}"') for name in RESOURCE_LABELS] + [_is_text(f'l."{name}"') for name in LABELS]
    tests += [_is_text("h.latency"), _is_text("h.requestMethod"), _is_text("h.requestUrl"),
              "(h.status IS NULL OR regexp_full_match(h.status, '[0-9]{1,3}'))"]
    for name in ("requestMethod", "requestUrl", "status"):
        tests.append(f"(h.{name} IS NOT NULL OR NOT coalesce(list_contains({REQUEST_KEYS}, '{name}'), false))")
    tests += [_once(keys) for keys in (ENTRY_KEYS, RESOURCE_KEYS, RESOURCE_LABEL_KEYS, LABEL_KEYS, REQUEST_KEYS)]
    return "\n           AND ".join(tests)


# Each field's value, taken once (the columns below read some twice).
VALUES = {
    "severity": "v.severity", "timestamp": "v.timestamp", "received": "v.receiveTimestamp",
    "text_payload": "v.textPayload", "log_name": "v.logName", "trace": "v.trace", "insert_id": "v.insertId",
    "resource_type": "r.type", "method": "h.requestMethod", "url": "h.requestUrl", "latency": "h.latency",
    **{f"rl_{name}": f'rl."{name}"' for name in RESOURCE_LABELS}, "instance_id": 'l."instanceId"',
    "app": 'l."k8s-pod/app"',
}


def columns_sql(lenient_token: str, strict_below: int) -> str:
    """The candidates (engine.judged's rows of kind 0), in file order: `row`, `raw` (the text of a line
    Python reads, else NULL), `simple` (whether the line is read from columns) and the record's fields.
    `lenient_token` is engine.py's pattern of the tokens DuckDB reads and orjson refuses, `strict_below`
    the length below which no line can nest past orjson's limit."""
    value = f"(?:{lenient_token}|{TOO_BIG})"
    strict = " OR ".join(f"regexp_matches(raw, '{pattern}')" for pattern in
                         (r":[ \t]*" + value, r",[ \t]*(?:[\]}]|" + value + ")", r"\[[ \t]*" + value))
    eligible = (f"raw IS NOT NULL AND regexp_matches(raw, '^[ \\t]*\\{{')"
                f" AND (NOT regexp_matches(raw, '{BENIGN}') OR contains(raw, '\"httpRequest\":'))"
                f" AND (strlen(raw) < {strict_below} OR strlen(raw) - strlen(regexp_replace(raw, '[\\[{{]', '', 'g'))"
                f" < {ORJSON_DEPTH}) AND NOT ({strict})")
    columns = [
        "severity", "coalesce(nullif(timestamp, ''), received)", "text_payload",
        "CASE WHEN text_payload IS NULL THEN json_payload END",
        _first_named([f"rl_{name}" for name in SERVICE_LABELS], "app"),
        _first_named([f"rl_{name}" for name in REVISION_LABELS]),
        _first_named(["instance_id"] + [f"rl_{name}" for name in INSTANCE_LABELS]),
        "resource_type", "log_name", "method", "url", "status::INTEGER", "latency", "trace", "insert_id",
        *(f"rl_{name}" for name in PLACE_LABELS),
        # labels other than instanceId may name a commit (deployment.py): those are handed over as JSON
        f"CASE WHEN len(list_filter({LABEL_KEYS}, lambda x: x <> 'instanceId')) > 0 THEN labels END",
        f"coalesce(len({REQUEST_KEYS}) > 0, false)",
    ]
    chosen = ",\n       ".join(f"CASE WHEN simple THEN {column} END" for column in columns)
    values = ",\n                   ".join(f"{_text(field)} AS {name}" for name, field in VALUES.items())
    return f"""SELECT row, CASE WHEN simple THEN NULL ELSE raw END AS raw, simple,
       {chosen}
FROM (SELECT row, raw, simple, keys, v.jsonPayload AS json_payload, v.labels AS labels, h.status AS status,
             {values}
      FROM (SELECT *, coalesce(v IS NOT NULL AND keys IS NOT NULL AND {_shape_holds()}, false) AS simple
            FROM (SELECT *, try(json_transform(r.labels, {_spec(RESOURCE_LABELS)})) AS rl
                  FROM (SELECT row, raw, v, try(json_transform(v.resource, {_spec(RESOURCE)})) AS r,
                               try(json_transform(v.labels, {_spec(LABELS)})) AS l,
                               try(json_transform(v.httpRequest, {_spec(REQUEST)})) AS h,
                               CASE WHEN v IS NOT NULL THEN try(json_keys(raw, {KEYED})) END AS keys
                        FROM (SELECT row, raw, CASE WHEN {eligible} THEN try(json_transform(raw, {_spec(ENTRY)})) END AS v
                              FROM judged WHERE kind = 0)))))"""


class ColumnReader:
    """Builds the records of the lines read from columns, for one file. What repeats from line to line
    (a severity's name, a revision's deployment details) is worked out once."""

    def __init__(self, source: str, stats: ReadStats):
        self.source, self.stats = source, stats
        self.severities: dict[str | None, str | None] = {}
        self.details: dict[tuple, dict] = {}

    def record(self, values: tuple, position: int) -> LogRecord | None:
        """The record of one line from its columns (`columns_sql` after `row`, `raw` and `simple`), as
        `jsonlog.read_line` reads the line: counted, and skipped with its reason if a value is malformed."""
        self.stats.records += 1
        try:
            return self._record(values, position)
        except MALFORMED as error:
            self.stats.skip(malformed_reason("LogEntry", error), self.source, position)
            return None

    def _record(self, values: tuple, position: int) -> LogRecord:
        (named, stamp, text_payload, json_payload, service, revision, instance, resource_type, log_name,
         method, url, status, latency, trace, insert_id, location, region, namespace, labels, request) = values
        payload_level = None
        if text_payload is not None:
            text = text_payload
        elif json_payload is not None:
            text, payload_level = json_payload_reading(orjson.loads(json_payload))
        elif request:  # a bare request log, as logentry._payload_text writes it
            text = f'{method or ""} {url or ""} {"" if status is None else status}'.strip()
        else:
            text = ""
        severity = self._severity(named)
        time = parse_timestamp(stamp)
        record = LogRecord(
            time, severity_of(severity, text, payload_level), text, self.source, position,
            _shared(service), _shared(revision), _shared(instance), _shared(resource_type), _shared(log_name),
            method, url, status, None if latency is None else _latency_ms(latency), trace, insert_id)
        if revision is not None:
            record.extra.update(self._details(location, region, namespace, labels))
        if time is None and stamp:
            self.stats.note("unreadable timestamp ignored", self.source, position)
        return record

    def _severity(self, named: str | None) -> str | None:
        known = self.severities.get(named, self)
        if known is self:
            known = self.severities[named] = normalise_severity(named)
        return known  # type: ignore[return-value]

    def _details(self, location, region, namespace, labels) -> dict:
        key = (location, region, namespace, labels)
        details = self.details.get(key)
        if details is None:
            if len(self.details) >= 4096:  # a bound: one entry per revision and place is the usual count
                self.details.clear()
            places = {"location": location, "region": region, "namespace_name": namespace}
            details = self.details[key] = deployment_details(places, orjson.loads(labels) if labels else {})
        return details


def _shared(name: str | None) -> str | None:
    """As logentry interns them: one string object per name that every entry repeats."""
    return None if name is None else sys.intern(name)


def judged(path: Path):
    connection = engine.connect()
    with open(path, "rb") as stream:
        passes = Passes(stream, str(path), False)
        verdict = engine.judge(connection, str(path), False, True, True, passes)
        layout = engine.lay_out(passes.fresh(), engine.wanted_lines(verdict))
    return connection, verdict, layout


def by_python(connection, verdict, layout, path: Path) -> dict[int, LogRecord | None]:
    """The candidates as the engine hands them to Python and Python reads them."""
    stats, cannot_matter, decode = ReadStats(), choose_prefilter("requests", indented=False), choose_prefilter("off", indented=False)
    return {line: read_line(raw, str(path), line, stats, cannot_matter if benign else decode)
            for line, raw, benign in engine.candidate_lines(connection, verdict, layout) if raw is not None}


def by_columns(connection, verdict, path: Path) -> tuple[dict[int, LogRecord | None], list[int]]:
    """The records of the candidates SQL reads, and the line numbers of those it leaves to Python."""
    reader, records, left = ColumnReader(str(path), ReadStats()), {}, []
    result = connection.execute(columns_sql(engine.LENIENT_TOKEN, engine.STRICT_BELOW))
    numbers = engine.LineNumbers(verdict.rejects)
    while rows := result.fetchmany(4096):
        for row in rows:
            line = numbers(row[0])
            if row[2]:
                records[line] = reader.record(row[3:], line)
            elif row[1] is not None:
                left.append(line)
    return records, left


def best(repeats: int, run) -> tuple[float, object]:
    fastest, value = float("inf"), None
    for _ in range(repeats):
        started = time.process_time()
        value = run()
        fastest = min(fastest, time.process_time() - started)
    return fastest, value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--entries", type=int, default=200_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--path", type=Path, help="another plain JSON-lines export (default: the flood)")
    args = parser.parse_args()
    import bench_flood

    path = args.path or bench_flood.exports(args.entries)["flood"]
    connection, verdict, layout = judged(path)
    python_s, python = best(args.repeats, lambda: by_python(connection, verdict, layout, path))
    columns_s, (columns, left) = best(args.repeats, lambda: by_columns(connection, verdict, path))
    unequal = [line for line, record in columns.items()
               if record is None or python.get(line) is None
               or dataclasses.astuple(record) != dataclasses.astuple(python[line])]  # type: ignore[arg-type]
    print(f"{path.name}: {len(python):,} candidates; {len(columns):,} read from columns, {len(left):,} left to Python")
    print(f"records equal field by field: {len(columns) - len(unequal):,}; unequal: {len(unequal):,} {unequal[:10]}")
    print(f"| candidates, CPU s (best of {args.repeats}) | Python decodes | fields in SQL (its share only) |")
    print("|---|---:|---:|")
    print(f"| fetch and records | {python_s:.3f} | {columns_s:.3f} |")


if __name__ == "__main__":
    main()
