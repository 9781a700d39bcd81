"""The Python reader against the DuckDB engine (rca/ingest/engine.py), side by side on the exports
of bench_flood.py: `rca analyze` with RCA_ENGINE=python and =duckdb, on both cores and on one
(`taskset -c 0`), runs alternated so that the neighbours' load hits both alike; beside a bare
`orjson.loads` loop over every line. Prints a markdown table (best of the repeats) and the load.

    python benchmarks/bench_engine.py [--entries N] [--repeats R] [--only flood|quiet|quiet.gz]
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_flood import bare_loop, count_lines, exports, run_cli  # noqa: E402

# (label, engine, workers, one core)
SETUPS = [
    ("python, --workers 2", "python", 2, False),
    ("default (duckdb, read whole), --workers 2", "", 2, False),
    ("python, --workers 1", "python", 1, False),
    ("duckdb, --workers 1", "duckdb", 1, False),
    ("python, one core", "python", 1, True),
    ("duckdb, one core", "duckdb", 1, True),
]


def run(path: Path, engine: str, workers: int, one_core: bool) -> tuple[float, float, int]:
    """(CPU seconds of the process tree, wall seconds, peak summed RSS) of one `rca analyze`."""
    return run_cli(["analyze", str(path), "--format", "json", "--workers", str(workers)],
                   env={**os.environ, "RCA_ENGINE": engine}, prefix=("taskset", "-c", "0") if one_core else ())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--only", choices=("flood", "quiet", "quiet.gz"), action="append")
    args = parser.parse_args()
    paths = exports(args.entries)
    kinds = args.only or ["flood", "quiet", "quiet.gz"]
    loads = [os.getloadavg()]
    bare = {kind: float("inf") for kind in kinds}
    best: dict[tuple[str, str], tuple[float, float, int]] = {}
    for repeat in range(args.repeats):
        for kind in kinds:
            bare[kind] = min(bare[kind], bare_loop(paths[kind]))
            for label, engine, workers, one_core in SETUPS:
                cpu, wall, rss = run(paths[kind], engine, workers, one_core)
                old = best.get((kind, label), (float("inf"), float("inf"), 0))
                best[kind, label] = (min(old[0], cpu), min(old[1], wall), max(old[2], rss))
                print(f"  [{repeat + 1}/{args.repeats}] {kind} {label}: cpu {cpu:.1f}s wall {wall:.1f}s rss {rss / 1e6:.0f} MB "
                      f"(load {os.getloadavg()[0]:.1f})", file=sys.stderr, flush=True)
        loads.append(os.getloadavg())
    print(f"machine: {os.cpu_count()} cores, shared; best of {args.repeats}; load averages (1, 5, 15 min) during "
          f"the runs: " + "; ".join(f"{a:.1f} {b:.1f} {c:.1f}" for a, b, c in loads))
    for kind in kinds:
        lines = count_lines(paths[kind])
        print(f"bare orjson loop on {kind} ({lines:,} entries, {paths[kind].stat().st_size / 1e6:.0f} MB): {bare[kind]:.2f}s")
    print("\n| export | setup | cpu s | wall s | × bare loop (wall) | peak RSS (tree) |\n|---|---|---|---|---|---|")
    for (kind, label), (cpu, wall, rss) in best.items():
        print(f"| {kind} | {label} | {cpu:.1f} | {wall:.1f} | {wall / bare[kind]:.2f}× | {rss / 1e6:.0f} MB |")


if __name__ == "__main__":
    main()
