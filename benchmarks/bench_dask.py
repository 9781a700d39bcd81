"""Benchmark (issue 15): `rca analyze` on a Dask LocalCluster and straight from a log sink's bucket.

    python benchmarks/bench_dask.py                          # 200,000 entries, flood and quiet, best of 2
    python benchmarks/bench_dask.py --entries 1000000 --repeats 1 --only flood

The flood and quiet exports of bench_flood.py (generated once under benchmarks/out/) are analysed
through the Python API (`model=None`: the workers' map is what is measured; classification runs once
on the client after the merge), each way in turn:

- from the local file: one process, then a LocalCluster of 1 and of 2 worker processes (the file cut
  in byte ranges, as `--workers` cuts it);
- from a local Cloud Storage emulator (`gcp-storage-emulator`, in memory, started here): the same
  entries written as a sink writes them, one object per log and hour, read through gcsfs by one
  process, then by the LocalCluster's workers (one task per log and hour).

The clusters are started before the clock runs, as a team's cluster already runs; their start-up
is printed apart. Entries/s are by wall time; "per worker" divides by the worker count; entries
per CPU second count the CPU of this process and of the workers (not the emulator's). Everything
(the emulator too, which serves every byte from one Python process) shares this machine's cores,
so the emulator rows measure the whole path on one box, not Cloud Storage's throughput.
"""

from __future__ import annotations

import argparse
import logging
import os
import resource
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT / "tests"))

from bench_flood import count_lines, exports  # noqa: E402
from storage_emulator import filesystem, running_emulator, sink_layout, upload  # noqa: E402

BUCKET = "bench-sink"


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def workers_cpu(client) -> float:
    """CPU seconds the cluster's worker processes have used so far (this process's, without one)."""
    if client is None:
        return 0.0
    return sum(client.run(lambda: sum(__import__("resource").getrusage(0)[:2])).values())


def timed(inputs, client=None, **options) -> tuple[float, float, int]:
    """(wall seconds, CPU seconds of this process and the workers, error events) of one analysis."""
    from rca.analyze.analysis import analyze

    cpu_before, workers_before = cpu_seconds(), workers_cpu(client)
    started = time.perf_counter()
    result = analyze(inputs, model=None, client=client, **options)
    wall = time.perf_counter() - started
    return wall, cpu_seconds() - cpu_before + workers_cpu(client) - workers_before, result.stats.events


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--entries", type=int, default=200_000)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--only", choices=("flood", "quiet"), action="append")
    parser.add_argument("--cluster-sizes", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()
    from distributed import Client, LocalCluster

    logging.getLogger("distributed").setLevel(logging.ERROR)  # its INFO lines when the clusters close
    paths = exports(args.entries)
    kinds = args.only or ["flood", "quiet"]
    rows: list[tuple[str, str, int, float, float, int]] = []  # (export, where, workers, wall, cpu, events)
    with running_emulator(BUCKET):
        fs = filesystem()
        objects = {}
        for kind in kinds:
            layout = sink_layout(paths[kind].open("rb"))
            objects[kind] = upload(fs, BUCKET, {f"{kind}/{name}": body for name, body in layout.items()})
            print(f"{kind}: {len(objects[kind])} sink objects in the emulator", file=sys.stderr, flush=True)
        clusters = {}
        for size in args.cluster_sizes:  # after the emulator: the workers inherit STORAGE_EMULATOR_HOST
            started = time.perf_counter()
            cluster = LocalCluster(n_workers=size, threads_per_worker=1, processes=True, dashboard_address=":0",
                                   silence_logs=logging.ERROR)
            clusters[size] = (cluster, Client(cluster))
            print(f"LocalCluster of {size} worker process(es) started in {time.perf_counter() - started:.1f}s",
                  file=sys.stderr, flush=True)
        try:
            for kind in kinds:
                sources = {"local file": [str(paths[kind])], "emulator (gs://)": [f"gs://{BUCKET}/{kind}"]}
                for where, inputs in sources.items():
                    runs = [("one process", 1, {"workers": 1})]
                    runs += [(f"LocalCluster, {size} worker{'s' if size > 1 else ''}", size, {"client": client})
                             for size, (_, client) in clusters.items()]
                    for label, workers, options in runs:
                        best, best_cpu, events = float("inf"), float("inf"), 0
                        for _ in range(args.repeats):
                            wall, cpu, events = timed(inputs, **options)
                            best, best_cpu = min(best, wall), min(best_cpu, cpu)
                        print(f"  {kind} from {where}, {label}: wall {best:.2f}s cpu {best_cpu:.2f}s", file=sys.stderr, flush=True)
                        rows.append((kind, f"{where}, {label}", workers, best, best_cpu, events))
        finally:
            for cluster, client in clusters.values():
                client.close()
                cluster.close()
    counts = {kind: count_lines(paths[kind]) for kind in kinds}
    print(f"\nmachine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}; best of {args.repeats}; "
          f"model none; clusters started beforehand")
    print("| export | read from, by | wall s | cpu s | entries/s (wall) | entries/s (wall) per worker | entries per cpu s | error events |")
    print("|---|---|---|---|---|---|---|---|")
    for kind, label, workers, wall, cpu, events in rows:
        rate = counts[kind] / wall
        print(f"| {kind} ({counts[kind]:,} entries) | {label} | {wall:.2f} | {cpu:.2f} | {rate:,.0f} | {rate / workers:,.0f} "
              f"| {counts[kind] / cpu:,.0f} | {events:,} |")


if __name__ == "__main__":
    main()
