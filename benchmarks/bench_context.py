"""Benchmark (issue 24): which of the lines DuckDB hands to Python become part of an event, and what each costs.

    python benchmarks/bench_context.py benchmarks/out/flood-200k.jsonl

The candidates (the lines `rca.ingest.engine` hands to Python) by the shape of their entry, and what
stitching makes of each: a line of a traceback block (an event of several records), an event alone,
a 404 answer, or nothing (a record stitching looked at and let go). Only the last could be spared a
record; the table says how many there are and what reading one costs (orjson, then `entry_to_record`,
best of --repeats in this process), so that the most a cheaper hand-over of them can save is known.
"""

from __future__ import annotations

import argparse
import collections
import time

import orjson

from rca.events.error_event import is_answer_unit, is_error_unit
from rca.events.stitch import stitch
from rca.ingest import engine
from rca.ingest.engine_passes import Passes
from rca.ingest.jsonlog import read_line
from rca.ingest.logentry import entry_to_record
from rca.ingest.stats import ReadStats


def shape(entry: dict) -> str:
    if "httpRequest" in entry:
        return "request log"
    if "jsonPayload" in entry:
        return "jsonPayload"
    severity = "no severity" if entry.get("severity") in (None, "", "DEFAULT") else "a severity"
    return f"textPayload, {severity}" if "textPayload" in entry else f"other, {severity}"


def candidates(path: str) -> dict[int, bytes]:
    """Line number -> bytes of every line SQL hands to Python (as `read_json_lines_in_engine` with "requests")."""
    connection = engine.connect()
    with open(path, "rb") as stream:
        passes = Passes(stream, path, False)
        judged = engine.judge(connection, path, False, True, True, passes)
        layout = engine.lay_out(passes.fresh(), engine.wanted_lines(judged))
        return {line: raw for line, raw, _ in engine.candidate_lines(connection, judged, layout) if raw is not None}


def fates(path: str, lines: dict[int, bytes]) -> dict[int, str]:
    stats = ReadStats()
    records = [record for line, raw in lines.items()
               if (record := read_line(raw, path, line, stats, lambda _: False)) is not None]
    fate = {}
    for unit in stitch(records):
        kind = ("in a traceback block" if len(unit) > 1 else "an event alone") if is_error_unit(unit) else (
            "a 404 answer" if is_answer_unit(unit) else "no event")
        fate.update((record.position, kind) for record in unit)
    return fate


def cost(raws: list[bytes], repeats: int) -> tuple[float, float]:
    """Best CPU seconds of orjson alone, and of orjson and entry_to_record, over `raws`."""
    def best(work) -> float:
        times = []
        for _ in range(repeats):
            started = time.process_time()
            work()
            times.append(time.process_time() - started)
        return min(times)

    def decode() -> None:
        for raw in raws:
            orjson.loads(raw)

    def build() -> None:
        for position, raw in enumerate(raws):
            entry_to_record(orjson.loads(raw), "x", position)
    return best(decode), best(build)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("path")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    lines = candidates(args.path)
    fate = fates(args.path, lines)
    table: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    by_shape: dict[str, list[bytes]] = collections.defaultdict(list)
    for line, raw in lines.items():
        kind = shape(orjson.loads(raw)) if raw.strip() else "blank"
        table[kind][fate.get(line, "skipped")] += 1
        by_shape[kind].append(raw)
    columns = ["in a traceback block", "an event alone", "a 404 answer", "no event", "skipped"]
    print(f"{len(lines):,} lines handed to Python\n")
    print("| shape | " + " | ".join(columns) + " | orjson µs | + entry_to_record µs |")
    print("|---|" + "---:|" * (len(columns) + 2))
    for kind, counts in sorted(table.items(), key=lambda item: -sum(item[1].values())):
        raws = [raw for raw in by_shape[kind] if raw.strip()]
        decode, build = cost(raws, args.repeats) if raws and kind != "blank" else (0.0, 0.0)
        each = 1e6 / max(1, len(raws))
        print(f"| {kind} | " + " | ".join(f"{counts[c]:,}" for c in columns)
              + f" | {decode * each:.1f} | {(build - decode) * each:.1f} |")


if __name__ == "__main__":
    main()
