"""How `rca analyze` does on scenario shapes it has never seen (issue 14). A measurement: exit 0 always.

    python benchmarks/bench_scenarios.py --seeds 5                 # every shape x 5 seeds, plus fixtures/incidents/*
    python benchmarks/bench_scenarios.py --seeds 5 --shape weak-vs-strong --shape healthy-gke
    python benchmarks/bench_scenarios.py --seeds 5 --json > scores.json
    python benchmarks/bench_scenarios.py --cli                     # through the `rca analyze FILE --format json` command
    python benchmarks/bench_scenarios.py --live --seeds 2          # pulled live: `rca analyze --project` from a local server

Each shape x seed is written by fixtures/scenarios/generate.py to a temporary directory (or --keep
DIR), analysed, and scored by fixtures/scenarios/score.py against its truth: incidents expected /
found / paired / spurious, root cause right (class, exception, service, revision, file:line, first
seen within 2 s), symptoms right. In-process by default (`rca.analyze(path).to_dict()`: what the
CLI prints, without paying the model's load per file); `--cli` runs the command as a user would;
`--live` serves each JSON-lines export from a local server that speaks the Logging API
(tests/logging_server.py) and runs `rca analyze --project` against it: the real client, the live
scope, what a live analysis concludes (text-log shapes have no live form and are left out).
"""

from __future__ import annotations

import argparse
import json
import signal
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "fixtures" / "scenarios"
sys.path.insert(0, str(SCENARIOS))

import generate as scenarios  # noqa: E402
from score import legacy_truth, score  # noqa: E402

ROOT_FIELDS = ("class", "exception", "service", "revision", "location", "first_seen")


class Timeout(Exception):
    pass


def analyse(path: Path, use_cli: bool, timeout: int, live: bool = False) -> dict:
    if live:
        return analyse_live(path, timeout)
    if use_cli:
        done = subprocess.run([sys.executable, "-m", "rca", "analyze", str(path), "--format", "json"],
                              capture_output=True, text=True, timeout=timeout)
        if done.returncode != 0:
            raise RuntimeError(f"exit {done.returncode}: {done.stderr.strip()[-300:]}")
        return json.loads(done.stdout)
    import rca

    def expire(*_):
        raise Timeout(f"no answer in {timeout} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(timeout)
    try:
        return rca.analyze(str(path)).to_dict()
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def analyse_live(path: Path, timeout: int) -> dict:
    """The export pulled live by `rca analyze --project` from a local Logging API server that holds it."""
    if str(ROOT / "tests") not in sys.path:  # once, not once a case
        sys.path.insert(0, str(ROOT / "tests"))
    from logging_server import LoggingServer

    entries = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    stamps = sorted(entry["timestamp"] for entry in entries if isinstance(entry.get("timestamp"), str))
    last = datetime.fromisoformat(stamps[-1][:19]).replace(tzinfo=UTC) + timedelta(seconds=2)
    window = ["--since", stamps[0][:19] + "Z", "--until", last.strftime("%Y-%m-%dT%H:%M:%SZ")]
    with LoggingServer(entries) as server:
        done = subprocess.run([sys.executable, "-m", "rca", "analyze", "--project", "bench-live", *window,
                               "--endpoint", server.endpoint, "--format", "json"],
                              capture_output=True, text=True, timeout=timeout)
    if done.returncode != 0:
        raise RuntimeError(f"exit {done.returncode}: {done.stderr.strip()[-300:]}")
    return json.loads(done.stdout)


def run_case(shape: str, seed: int | None, path: Path, truth: dict, use_cli: bool, timeout: int,
             live: bool = False) -> dict:
    started = time.perf_counter()
    try:
        report = analyse(path, use_cli, timeout, live)
        error = None
    except Exception as exc:  # a measurement: an analysis that fails scores as finding nothing
        report, error = {"incidents": []}, f"{type(exc).__name__}: {exc}"
    result = score(truth, report)
    result.update(shape=shape, seed=seed, seconds=round(time.perf_counter() - started, 2), error=error)
    if error:
        result["problems"].insert(0, f"analysis failed: {error}")
    return result


def summarise(cases: list[dict]) -> dict:
    rows: dict[str, dict] = {}
    for case in cases:
        row = rows.setdefault(case["shape"], {"shape": case["shape"], "seeds": 0, "expected": 0, "found": 0,
                                              "matched": 0, "spurious": 0, "root_cause_right": 0, "symptoms_right": 0,
                                              "ok": 0, "errors": 0, "seconds": 0.0,
                                              "fields": {field: [0, 0] for field in ROOT_FIELDS}})
        row["seeds"] += 1
        for key in ("expected", "found", "matched", "spurious", "root_cause_right", "symptoms_right"):
            row[key] += case[key]
        row["ok"] += case["ok"]
        row["errors"] += bool(case["error"])
        row["seconds"] += case["seconds"]
        for detail in case["incidents"]:
            for field in ROOT_FIELDS:
                value = (detail.get("root_cause") or {}).get(field)
                if detail["found"] and value is not None:
                    row["fields"][field][0] += bool(value)
                    row["fields"][field][1] += 1
    total = {"shape": "TOTAL", "seeds": sum(r["seeds"] for r in rows.values())}
    for key in ("expected", "found", "matched", "spurious", "root_cause_right", "symptoms_right", "ok", "errors"):
        total[key] = sum(r[key] for r in rows.values())
    total["seconds"] = round(sum(r["seconds"] for r in rows.values()), 1)
    return {"shapes": list(rows.values()), "total": total}


def table(summary: dict) -> str:
    head = (f"{'shape':26} {'seeds':>5} {'exp':>4} {'found':>5} {'paired':>6} {'spur':>4} {'root ok':>7} "
            f"{'sympt ok':>8} {'pass':>5}  root-cause fields right (of paired)")
    lines = [head, "-" * len(head)]
    for row in summary["shapes"] + [summary["total"]]:
        fields = row.get("fields")
        detail = " ".join(f"{name[:4]} {right}/{of}" for name, (right, of) in fields.items() if of) if fields else ""
        if row.get("errors"):
            detail += f"  errors {row['errors']}"
        lines.append(f"{row['shape']:26} {row['seeds']:>5} {row['expected']:>4} {row['found']:>5} {row['matched']:>6} "
                     f"{row['spurious']:>4} {row['root_cause_right']:>3}/{row['expected']:<3} "
                     f"{row['symptoms_right']:>4}/{row['expected']:<3} {row['ok']:>2}/{row['seeds']:<2}  {detail}")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, default=5, help="seeds 0..N-1 per shape (default 5)")
    parser.add_argument("--shape", action="append", help="only this shape (repeatable); `existing` for fixtures/incidents")
    parser.add_argument("--no-existing", action="store_true", help="leave out fixtures/incidents/*")
    parser.add_argument("--json", action="store_true", help="print every case and the summary as JSON")
    parser.add_argument("--cli", action="store_true", help="run `python -m rca analyze FILE --format json` per file")
    parser.add_argument("--live", action="store_true",
                        help="pull each JSON-lines export live from a local Logging API server (`rca analyze --project`)")
    parser.add_argument("--keep", type=Path, help="write the generated exports here instead of a temporary directory")
    parser.add_argument("--timeout", type=int, default=600, help="seconds per analysis (default 600)")
    parser.add_argument("-v", "--verbose", action="store_true", help="print each case's problems as it goes")
    args = parser.parse_args(argv)
    shapes = args.shape or [*scenarios.SHAPES, "existing"]
    unknown = [name for name in shapes if name not in scenarios.SHAPES and name != "existing"]
    if unknown:
        parser.error(f"unknown shape(s) {unknown}; known: {', '.join(scenarios.SHAPES)}, existing")
    if args.no_existing and "existing" in shapes:
        shapes.remove("existing")
    if not args.cli:
        try:
            import rca  # noqa: F401
        except ImportError as exc:
            print(f"bench_scenarios: rca cannot be imported ({exc}); install it (pip install -e .) or use --cli",
                  file=sys.stderr)
            return 0
    cases = []
    with tempfile.TemporaryDirectory(prefix="rca-scenarios-") as temporary:
        out = args.keep or Path(temporary)
        for shape in shapes:
            if shape == "existing":
                for folder in sorted((ROOT / "fixtures" / "incidents").iterdir()):
                    truth_file = folder / "truth.json"
                    if truth_file.is_file() and (folder / "logs.jsonl").is_file():
                        truth = legacy_truth(json.loads(truth_file.read_text()))
                        cases.append(run_case(f"existing:{folder.name}", None, folder / "logs.jsonl", truth,
                                              args.cli, args.timeout, args.live))
                        _progress(cases[-1], args.verbose)
                continue
            for seed in range(args.seeds):
                path, truth = scenarios.write(shape, seed, out / shape / f"seed-{seed}")
                if args.live and path.suffix != ".jsonl":
                    continue  # a text log has no live form
                cases.append(run_case(shape, seed, path, truth, args.cli, args.timeout, args.live))
                _progress(cases[-1], args.verbose)
    summary = summarise(cases)
    if args.json:
        print(json.dumps({"cases": cases, "summary": summary}, indent=2, default=str))
    else:
        print(table(summary))
    return 0


def _progress(case: dict, verbose: bool) -> None:
    mark = "ok " if case["ok"] else "BAD"
    print(f"{mark} {case['shape']} seed={case['seed']} exp={case['expected']} found={case['found']} "
          f"spurious={case['spurious']} ({case['seconds']} s)", file=sys.stderr)
    if verbose:
        for problem in case["problems"]:
            print(f"      {problem}", file=sys.stderr)


if __name__ == "__main__":
    main()
    sys.exit(0)
