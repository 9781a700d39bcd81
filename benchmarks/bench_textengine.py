"""The Python reader against the DuckDB engine on plain-text logs (rca/ingest/textengine.py):
`rca analyze` of the text logs textlogs.py writes (an incident, a quarter of its lines errors with
tracebacks, and a quiet log), with RCA_ENGINE=python and =duckdb, `--workers 1` and `2`, runs
alternated so that the neighbours' load hits both alike. CPU seconds of the process tree, wall
seconds and peak RSS; the reports of both engines are compared (all but their run time).

    python benchmarks/bench_textengine.py [--lines N] [--repeats R] [--dir /tmp]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_flood import run_cli  # noqa: E402
from textlogs import write_text_log  # noqa: E402

SETUPS = [("python", 1), ("duckdb", 1), ("python", 2), ("duckdb", 2)]


def logs(lines: int, folder: Path) -> dict[str, Path]:
    """The incident and the quiet log of `lines` lines, written once."""
    paths = {"incident": folder / f"text-incident-{lines}.log", "quiet": folder / f"text-quiet-{lines}.log"}
    for kind, path in paths.items():
        if not path.exists():
            write_text_log(path, lines, 0.36 if kind == "incident" else 0.01, seed=1 if kind == "incident" else 2)
    return paths


def report(path: Path, engine: str) -> dict:
    done = subprocess.run([sys.executable, "-m", "rca", "analyze", str(path), "--format", "json"], capture_output=True,
                          env={**os.environ, "RCA_ENGINE": engine}, check=False)
    result = json.loads(done.stdout)
    result["stats"].pop("seconds", None)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--dir", type=Path, default=Path("/tmp"))
    parser.add_argument("--no-compare", action="store_true", help="skip comparing the two engines' reports")
    args = parser.parse_args()
    paths = logs(args.lines, args.dir)
    loads = [os.getloadavg()]
    best: dict[tuple[str, str, int], tuple[float, float, int]] = {}
    for repeat in range(args.repeats):
        for kind, path in paths.items():
            for engine, workers in SETUPS:
                cpu, wall, rss = run_cli(["analyze", str(path), "--format", "json", "--workers", str(workers)],
                                         env={**os.environ, "RCA_ENGINE": engine})
                old = best.get((kind, engine, workers), (float("inf"), float("inf"), 0))
                best[kind, engine, workers] = (min(old[0], cpu), min(old[1], wall), max(old[2], rss))
                print(f"  [{repeat + 1}] {kind} {engine} --workers {workers}: cpu {cpu:.1f}s wall {wall:.1f}s "
                      f"rss {rss / 1e6:.0f} MB (load {os.getloadavg()[0]:.1f})", file=sys.stderr, flush=True)
            loads.append(os.getloadavg())
    print(f"machine: {os.cpu_count()} cores, shared; best of {args.repeats}; load averages (1, 5, 15 min): "
          + "; ".join(f"{a:.1f} {b:.1f} {c:.1f}" for a, b, c in loads))
    print("\n| log | engine | workers | cpu s | wall s | peak RSS (tree) |\n|---|---|---|---|---|---|")
    for (kind, engine, workers), (cpu, wall, rss) in best.items():
        print(f"| {kind} | {engine} | {workers} | {cpu:.1f} | {wall:.1f} | {rss / 1e6:.0f} MB |")
    if not args.no_compare:
        for kind, path in paths.items():
            same = report(path, "python") == report(path, "duckdb")
            print(f"{kind}: reports {'identical' if same else 'DIFFER'}")


if __name__ == "__main__":
    main()
