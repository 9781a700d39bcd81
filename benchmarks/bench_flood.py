"""Benchmark (issue 15): `rca` on an error flood, beside the quiet export, against a bare orjson loop.

    python benchmarks/bench_flood.py                        # 1M entries, 1 worker and every core
    python benchmarks/bench_flood.py --entries 200000 --workers 1 --repeats 1
    python benchmarks/bench_flood.py --only flood           # skip the quiet and small exports

Exports (generated once under benchmarks/out/, deterministically):
- flood: benchmarks/flood.py, ≥ 20% error entries of thousands of kinds around the seed incident;
- quiet: fixtures/generate.py's benchmark writer (0.7% error entries), and the same gzipped;
- small: 99 healthy entries, for the start-up line (compared with importing rca's light dependencies).

Each command runs as the CLI in a child process (output to /dev/null), the commands interleaved and
repeated (best of --repeats), because this machine is shared: for each it prints CPU seconds (user +
system of the whole process tree) and wall seconds, entries/s (by wall time), the ratio of its time
to a bare `orjson.loads` loop over the same file timed in the same run (the loop is one process, so
its CPU and wall times agree; with several workers wall time is what the target compares), and the
peak RSS summed over the process tree (sampled every 20 ms from /proc).
"""

from __future__ import annotations

import argparse
import gzip
import os
import resource
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import orjson

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import flood  # noqa: E402

OUT = HERE / "out"


def exports(entries: int) -> dict[str, Path]:
    OUT.mkdir(parents=True, exist_ok=True)
    tag = f"{entries // 1000}k"
    paths = {"flood": OUT / f"flood-{tag}.jsonl", "quiet": OUT / f"sink-{tag}.jsonl",
             "quiet.gz": OUT / f"sink-{tag}.jsonl.gz", "small": OUT / "healthy-99.jsonl"}
    if not paths["flood"].exists():
        started = time.perf_counter()
        counts = flood.write_flood(paths["flood"], entries)
        print(f"generated {paths['flood']} {counts} in {time.perf_counter() - started:.0f}s", flush=True)
    if not paths["quiet"].exists():
        flood._generator().write_benchmark(paths["quiet"], entries)
    if not paths["quiet.gz"].exists():
        with open(paths["quiet"], "rb") as source, gzip.open(paths["quiet.gz"], "wb", compresslevel=6) as target:
            shutil.copyfileobj(source, target, 1 << 20)
    if not paths["small"].exists():
        flood.write_healthy(paths["small"])
    return paths


def cpu_self() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def bare_loop(path: Path) -> float:
    """CPU seconds of decoding every line with orjson, in this process (gzip undone on the way)."""
    loads = orjson.loads
    started = cpu_self()
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as stream:
        for line in stream:
            loads(line)
    return cpu_self() - started


def tree_rss(pid: int) -> int:
    """Resident bytes of a process and all its descendants, from /proc."""
    total, waiting = 0, [pid]
    while waiting:
        current = waiting.pop()
        try:
            with open(f"/proc/{current}/statm") as statm:
                total += int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children") as children:
                    waiting.extend(int(child) for child in children.read().split())
        except (OSError, ValueError):
            continue
    return total


def run_cli(args: list[str], env: dict | None = None, prefix: tuple[str, ...] = ()) -> tuple[float, float, int]:
    """(CPU seconds of the process tree, wall seconds, peak summed RSS in bytes) of one CLI run, in
    `env` (default: this process's), after `prefix` (e.g. `taskset -c 0`)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    with open("/dev/null", "wb") as sink:
        child = subprocess.Popen([*prefix, sys.executable, "-m", "rca", *args], stdout=sink, stderr=subprocess.PIPE,
                                 env=env)
        peak = [0]

        def sample():
            while child.poll() is None:
                peak[0] = max(peak[0], tree_rss(child.pid))
                time.sleep(0.02)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        _, err = child.communicate()
        sampler.join()
    wall = time.perf_counter() - started
    if child.returncode not in (0, 1):
        raise RuntimeError(f"rca {' '.join(args)}: exit {child.returncode}: {err.decode()[-500:]}")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return cpu, wall, peak[0]


def import_time() -> float:
    """CPU seconds of a Python that imports rca's light dependencies and exits."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run([sys.executable, "-c", "import typer, rich, orjson, regex, yaml"], check=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def count_lines(path: Path) -> int:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as stream:
        return sum(1 for _ in stream)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--workers", type=int, action="append",
                        help="worker counts to run (repeatable); default 1 and the machine's cores; 0: no --workers option")
    parser.add_argument("--only", choices=("flood", "quiet", "small"), action="append")
    args = parser.parse_args()
    paths = exports(args.entries)
    workers = args.workers or sorted({1, os.cpu_count() or 1})
    only = set(args.only or ("flood", "quiet", "small"))

    def option(n: int) -> list[str]:
        return [] if n == 0 else ["--workers", str(n)]

    runs: list[tuple[str, str, list[str]]] = []  # (export, label, args)
    # `rca events` has no --workers (yet): it runs once, in one process.
    if "flood" in only:
        runs.append(("flood", "rca events --format jsonl", ["events", str(paths["flood"]), "--format", "jsonl"]))
    if "quiet" in only:
        runs.append(("quiet", "rca events --format jsonl", ["events", str(paths["quiet"]), "--format", "jsonl"]))
    for n in workers:
        tag = "" if n == 0 else f" --workers {n}"
        if "flood" in only:
            runs += [("flood", f"rca analyze --format json --model none{tag}",
                      ["analyze", str(paths["flood"]), "--format", "json", "--model", "none", *option(n)]),
                     ("flood", f"rca analyze --format json{tag}", ["analyze", str(paths["flood"]), "--format", "json", *option(n)])]
        if "quiet" in only:
            runs += [("quiet", f"rca analyze --format json{tag}", ["analyze", str(paths["quiet"]), "--format", "json", *option(n)])]
    if "quiet" in only:  # gzip is one decompression stream: never cut in ranges
        runs.append(("quiet.gz", "rca analyze --format json", ["analyze", str(paths["quiet.gz"]), "--format", "json"]))
    if "small" in only:
        runs.append(("small", "rca analyze --format json", ["analyze", str(paths["small"]), "--format", "json"]))

    kinds = sorted({export for export, _, _ in runs} - {"small"})
    bare = {kind: float("inf") for kind in kinds}
    best = [(float("inf"), float("inf"), 0)] * len(runs)
    imports = float("inf")
    for repeat in range(args.repeats):  # interleaved, so that the neighbours' noise hits every command alike
        for kind in kinds:
            bare[kind] = min(bare[kind], bare_loop(paths[kind]))
        for index, (_, label, cli) in enumerate(runs):
            cpu, wall, rss = run_cli(cli)
            old = best[index]
            best[index] = (min(old[0], cpu), min(old[1], wall), max(old[2], rss))
            print(f"  [{repeat + 1}/{args.repeats}] {label} on {runs[index][0]}: cpu {cpu:.1f}s wall {wall:.1f}s "
                  f"rss {rss / 1e6:.0f} MB", file=sys.stderr, flush=True)
        imports = min(imports, import_time())

    counts = {kind: count_lines(paths[kind]) for kind in kinds}
    print(f"\nmachine: {os.cpu_count()} cores; best of {args.repeats}; bare loop = one-process orjson.loads over every line")
    for kind in kinds:
        print(f"bare orjson loop on {kind} ({counts[kind]:,} entries, {paths[kind].stat().st_size / 1e6:.0f} MB): "
              f"{bare[kind]:.2f}s = {counts[kind] / bare[kind]:,.0f} entries/s")
    print()
    print("| export | command | cpu s | wall s | entries/s (wall) | × bare loop (cpu) | × bare loop (wall) | peak RSS (tree) |")
    print("|---|---|---|---|---|---|---|---|")
    for (kind, label, _), (cpu, wall, rss) in zip(runs, best):
        if kind == "small":
            print(f"| small (99 entries, no error) | {label} | {cpu:.2f} | {wall:.2f} | | "
                  f"{cpu / imports:.1f}× the import of typer, rich, orjson, regex, yaml ({imports:.2f}s cpu) | | {rss / 1e6:.0f} MB |")
            continue
        print(f"| {kind} | {label} | {cpu:.1f} | {wall:.1f} | {counts[kind] / wall:,.0f} | {cpu / bare[kind]:.2f}× "
              f"| {wall / bare[kind]:.2f}× | {rss / 1e6:.0f} MB |")


if __name__ == "__main__":
    main()
