"""Benchmark: `rca watch`'s memory over a replayed day, against the local Logging API server (tests/).

    python benchmarks/bench_watch.py [--hours 24] [--speed 600]

The seed incident's 50 minutes (20 healthy, 30 crash-looping) are replayed back to back for --hours,
each copy with fresh insert ids, so that the watch opens and resolves an incident every 50 minutes
while the auth and worker noise runs all along. `rca watch` runs as a user runs it, in its own
process, on a replay clock --speed times faster than real time; its resident memory (VmRSS) is read
every second. With a 2-hour window it should be flat once the window is full: the summaries of
the buckets that leave the window are let go, and the state file forgets resolved incidents.
Results go to benchmarks/results/watch-memory.md.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
from logging_server import LoggingServer, _in_scope, shifted  # noqa: E402

from rca.ingest.follow import CLOCK_VARIABLE, ReplayClock  # noqa: E402
from rca.ingest.times import parse_timestamp  # noqa: E402

SEED = ROOT / "fixtures" / "incidents" / "missing-import" / "logs.jsonl"
PERIOD = 50 * 60.0  # the seed scenario's length
MARKS = (1, 2, 6, 12, 24)
LEAD = 3600.0  # replayed hours at which the memory is reported


def replayed_day(hours: float) -> list[dict]:
    """The seed's in-scope entries, copied every PERIOD for `hours`."""
    seed = [e for e in map(json.loads, SEED.read_text().splitlines()) if _in_scope(e)]
    entries = []
    for copy in range(int(hours * 3600 // PERIOD) + 1):
        for entry in shifted(seed, copy * PERIOD):
            entry["insertId"] = f"{copy:04x}{entry['insertId']}"
            entries.append(entry)
    return entries


def rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--hours", type=float, default=24.0)
    parser.add_argument("--speed", type=float, default=600.0)
    parser.add_argument("--events", type=Path, help="Also keep the events the watch wrote in this file.")
    args = parser.parse_args()
    start = parse_timestamp("2025-09-12T14:00:00Z")
    entries = replayed_day(args.hours)
    # The clock starts LEAD before the day: the watch process takes seconds of real time (many replayed
    # minutes) to import and start, which must not eat into the day.
    clock = ReplayClock(start - LEAD, time.time(), args.speed)
    samples: list[tuple[float, float]] = []
    with tempfile.TemporaryDirectory() as folder, LoggingServer(entries, clock=clock) as server:
        out = Path(folder) / "events.jsonl"
        process = subprocess.Popen(
            [sys.executable, "-m", "rca", "watch", "--project", "netra-staging", "--endpoint", server.endpoint,
             "--window", "2h", "--interval", "30s", "--state", str(Path(folder) / "state.json"), "--out", str(out)],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=ROOT,
            env=dict(os.environ, **{CLOCK_VARIABLE: clock.setting()}))
        errors: list[bytes] = []
        threading.Thread(target=lambda: errors.append(process.stderr.read()), daemon=True).start()
        end = start + args.hours * 3600
        while clock.now() < end and process.poll() is None:
            measured = rss_mb(process.pid)
            if measured is not None and clock.now() >= start:
                samples.append(((clock.now() - start) / 3600, measured))
            time.sleep(1.0)
        process.terminate()
        process.wait(timeout=60)
        events = [json.loads(line) for line in out.read_text().splitlines()]
        if args.events:
            args.events.write_text(out.read_text())
        requests = len(server.requests)
    kinds = Counter(event["event"] for event in events)
    delays = sorted(parse_timestamp(e["time"]) - parse_timestamp(e["onset"]) for e in events if e["event"] == "incident.opened")
    expected = sum(1 for copy in range(int(args.hours * 3600 // PERIOD) + 1) if copy * PERIOD + 20 * 60 < args.hours * 3600)
    kinds["occurrences replayed"] = expected
    if delays:
        kinds["opened after the onset, median / max (s)"] = f"{delays[len(delays) // 2]:.0f} / {delays[-1]:.0f}"
    report(args, entries, samples, kinds, requests, errors)


def at(samples: list[tuple[float, float]], hour: float) -> float | None:
    """The memory at the last sample at or before `hour`."""
    return next((rss for when, rss in reversed(samples) if when <= hour), None)


def report(args, entries, samples, kinds, requests, errors) -> None:
    lines = [f"# rca watch: memory over {args.hours:g} replayed hours", "",
             f"`python benchmarks/bench_watch.py --hours {args.hours:g} --speed {args.speed:g}`: {len(entries):,} in-scope "
             f"entries (the seed incident every 50 min, with the auth and worker noise), window 2h, interval 30s; "
             f"{requests:,} entries:list requests; events: {dict(kinds)}.", "",
             "| replayed hour | VmRSS (MB) |", "|---|---|"]
    for hour in MARKS:
        if hour <= args.hours:
            value = at(samples, hour)
            lines.append(f"| {hour} | {value:.1f} |" if value is not None else f"| {hour} | (not reached) |")
    peak = max((rss for _, rss in samples), default=0.0)
    first, last = at(samples, 1), at(samples, args.hours)
    if first and last:
        lines += ["", f"Peak {peak:.1f} MB; at the last hour {last:.1f} MB against {first:.1f} MB at hour 1 "
                      f"({(last / first - 1) * 100:+.1f}%)."]
    text = "\n".join(lines) + "\n"
    print(text)
    if errors and errors[0]:
        print(errors[0].decode()[-2000:], file=sys.stderr)
    results = ROOT / "benchmarks" / "results"
    results.mkdir(exist_ok=True)
    (results / "watch-memory.md").write_text(text)


if __name__ == "__main__":
    main()
