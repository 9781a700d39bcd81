"""Clean stops (issue 29, item 6): SIGTERM (`kill`) and SIGINT (Ctrl-C, which the terminal sends to
every process of its group) while `rca analyze` reads with worker processes or a local Dask cluster
end the workers and the cluster, leave no process behind, print one line and exit 130 / 143.

Today SIGTERM ends the parent alone: its pool workers go on reading, holding its stdout and
stderr; Ctrl-C prints a KeyboardInterrupt traceback from every worker, and with Dask the
cluster's own at exit."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time

import psutil
import pytest
from conftest import ROOT

EXIT = {signal.SIGINT: 130, signal.SIGTERM: 143}


@pytest.fixture(scope="module")
def flood(tmp_path_factory):
    """300,000 entries (~230 MB): a minute or more of reading for two workers, on any machine."""
    path = tmp_path_factory.mktemp("flood") / "flood.jsonl"
    subprocess.run([sys.executable, str(ROOT / "benchmarks" / "flood.py"), str(path), "--entries", "300000"],
                   check=True, capture_output=True)
    return path


def busy_workers(rca: psutil.Process, count: int, seconds: float = 120) -> list[psutil.Process]:
    """rca's descendants, once `count` of them have spent CPU time (the workers run, not just start)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        children = rca.children(recursive=True)
        if sum(_cpu(child) > 0.5 for child in children) >= count:
            return children
        time.sleep(0.2)
    raise AssertionError(f"no {count} busy workers within {seconds} s")


def _cpu(process: psutil.Process) -> float:
    try:
        return process.cpu_times().user
    except psutil.NoSuchProcess:
        return 0.0


def still_running(processes: list[psutil.Process]) -> list[psutil.Process]:
    left = []
    for process in processes:
        try:
            if process.is_running() and process.status() != psutil.STATUS_ZOMBIE:
                left.append(process)
        except psutil.NoSuchProcess:
            pass
    return left


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
@pytest.mark.parametrize("workers", [["--workers", "2"], ["--dask", "local:2"]], ids=["workers", "dask"])
def test_a_stop_ends_every_worker_with_one_line(flood, workers, stop):
    # A session of its own, as a shell's job is: Ctrl-C is sent to the whole group, kill to rca alone.
    rca = subprocess.Popen([sys.executable, "-m", "rca", "analyze", str(flood), "--model", "none", *workers],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT, start_new_session=True,
                           env={**os.environ, "RCA_ENGINE": "python"})  # cut in byte ranges: two busy workers
    children: list[psutil.Process] = []
    try:
        children = busy_workers(psutil.Process(rca.pid), 2)
        if stop == signal.SIGINT:
            os.killpg(rca.pid, stop)
        else:
            os.kill(rca.pid, stop)
        out, err = rca.communicate(timeout=120)  # workers left holding the pipes would block this
        time.sleep(0.5)  # a child ended by the parent's exit is gone within moments, or never
        left = still_running(children)
    finally:  # whatever is left of the group (today: the workers) is ended here, not left to the test run
        with contextlib.suppress(ProcessLookupError):
            os.killpg(rca.pid, signal.SIGKILL)
        if rca.poll() is None or rca.stdout and not rca.stdout.closed:
            rca.communicate()
    assert rca.returncode == EXIT[stop], err.decode()
    assert err.decode().splitlines() == [f"rca: analysis stopped by {stop.name}; no report written"]
    assert out == b""
    assert left == []
