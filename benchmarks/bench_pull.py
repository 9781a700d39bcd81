"""Benchmark: `rca pull --out` of 100,000 entries from the local Logging API server (tests/).

    python benchmarks/bench_pull.py [--entries 100000]

Reports how fast the server alone serves the pages (a bare loop of page requests), how fast
`rca pull` pulls and saves them, and the pull's peak memory for 10,000 and for all entries: with
--out it should not grow with the number of entries.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
from logging_server import LoggingServer  # noqa: E402

QUERY_WINDOW = ("2025-09-01T00:00Z", "2025-10-01T00:00Z")


def make_entries(count: int) -> list[dict]:
    template = json.loads((ROOT / "fixtures" / "incidents" / "missing-import" / "logs.jsonl").open().readline())
    entries = []
    for index in range(count):
        entry = dict(template, insertId=f"{index:012x}", severity="ERROR",
                     timestamp=f"2025-09-12T{index // 3600000 % 24:02d}:{index // 60000 % 60:02d}:{index // 1000 % 60:02d}.{index % 1000:03d}000Z")
        entries.append(entry)
    return entries


def serve_only(endpoint: str, page_size: int) -> float:
    """Seconds for a bare client to page through everything (the server's own speed)."""
    started, token = time.perf_counter(), None
    from rca.ingest.live import build_filter
    from rca.ingest.times import parse_moment

    query = build_filter(parse_moment(QUERY_WINDOW[0]), parse_moment(QUERY_WINDOW[1]), everything=True)
    while True:
        body = {"resourceNames": ["projects/bench"], "filter": query, "orderBy": "timestamp asc", "pageSize": page_size}
        if token:
            body["pageToken"] = token
        request = urllib.request.Request(f"{endpoint}/v2/entries:list", json.dumps(body).encode(),
                                         {"Content-Type": "application/json"})
        answer = json.loads(urllib.request.urlopen(request).read())
        token = answer.get("nextPageToken")
        if not token:
            return time.perf_counter() - started


def pull(endpoint: str, out: Path, limit: int | None) -> tuple[float, float]:
    args = [sys.executable, "-m", "rca", "pull", "--project", "bench", "--since", QUERY_WINDOW[0], "--until",
            QUERY_WINDOW[1], "--all", "--endpoint", endpoint, "--out", str(out)] + (["--limit", str(limit)] if limit else [])
    script = ("import resource, subprocess, sys, time; t = time.perf_counter(); subprocess.run(sys.argv[1:], check=True, "
              "stderr=subprocess.DEVNULL); print(time.perf_counter() - t, "
              "resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)")
    seconds, peak = subprocess.run([sys.executable, "-c", script, *args], capture_output=True, text=True,
                                   check=True).stdout.split()
    return float(seconds), float(peak)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--entries", type=int, default=100_000)
    args = parser.parse_args()
    entries = make_entries(args.entries)
    with LoggingServer(entries) as server, tempfile.TemporaryDirectory() as scratch:
        served = serve_only(server.endpoint, 1000)
        small_seconds, small_peak = pull(server.endpoint, Path(scratch) / "small.jsonl.gz", args.entries // 10)
        seconds, peak = pull(server.endpoint, Path(scratch) / "all.jsonl.gz", None)
    print(f"server alone:        {args.entries / served:,.0f} entries/s")
    print(f"rca pull --out:      {args.entries / seconds:,.0f} entries/s ({seconds:.1f}s, {seconds / served:.2f}x the server alone)")
    print(f"peak memory:         {small_peak:,.0f} MB for {args.entries // 10:,} entries, {peak:,.0f} MB for {args.entries:,}")


if __name__ == "__main__":
    main()
