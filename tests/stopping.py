"""Helpers of the clean-stop tests (issue 29, item 6): `rca` started as a shell starts a job, a signal
sent as a terminal or `kill` sends it, and the processes it started looked for afterwards."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time

import psutil
from conftest import ROOT

EXIT = {signal.SIGINT: 130, signal.SIGTERM: 143}


def start_rca(*args: str, env: dict | None = None, **options) -> subprocess.Popen:
    """`rca ARGS` in a session of its own, as a shell's job is: Ctrl-C then goes to its whole group,
    `kill` to rca alone (see `send`)."""
    options.setdefault("stdout", subprocess.PIPE)
    options.setdefault("stderr", subprocess.PIPE)
    return subprocess.Popen([sys.executable, "-m", "rca", *args], cwd=ROOT, start_new_session=True,
                            env={**os.environ, **(env or {})}, **options)


def send(rca: subprocess.Popen, stop: signal.Signals) -> None:
    """SIGINT as Ctrl-C sends it, to every process of the terminal's group; SIGTERM as `kill` does, to rca alone."""
    if stop == signal.SIGINT:
        os.killpg(rca.pid, stop)
    else:
        os.kill(rca.pid, stop)


def end_group(rca: subprocess.Popen) -> None:
    """Whatever is left of rca's group, ended, so that no test leaves a process to the test run."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(rca.pid, signal.SIGKILL)
    if rca.poll() is None or rca.stdout and not rca.stdout.closed:
        rca.communicate()


def busy_workers(rca: psutil.Process, count: int, seconds: float = 120) -> list[psutil.Process]:
    """rca's descendants, once `count` of them have spent CPU time (the workers run, not just start)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        children = rca.children(recursive=True)
        if sum(cpu_seconds(child) > 0.5 for child in children) >= count:
            return children
        time.sleep(0.2)
    raise AssertionError(f"no {count} busy workers within {seconds} s")


def busy(rca: subprocess.Popen, seconds_of_cpu: float, seconds: float = 120) -> None:
    """Returns once rca has spent `seconds_of_cpu` of CPU time (past its start-up, into the work)."""
    process = psutil.Process(rca.pid)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if cpu_seconds(process) >= seconds_of_cpu:
            return
        assert rca.poll() is None, rca.communicate()[1].decode()
        time.sleep(0.1)
    raise AssertionError(f"rca did not spend {seconds_of_cpu} s of CPU within {seconds} s")


def cpu_seconds(process: psutil.Process) -> float:
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
