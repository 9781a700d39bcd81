"""Clean stops (issue 29, item 6): SIGTERM (`kill`) and SIGINT (Ctrl-C, which the terminal sends to
every process of its group) while `rca analyze` reads with worker processes or a local Dask cluster
end the workers and the cluster, leave no process behind, print one line and exit 130 / 143.

Today SIGTERM ends the parent alone: its pool workers go on reading, holding its stdout and
stderr; Ctrl-C prints a KeyboardInterrupt traceback from every worker, and with Dask the
cluster's own at exit."""

from __future__ import annotations

import signal
import time

import psutil
import pytest
from stopping import EXIT, busy_workers, end_group, send, start_rca, still_running


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
@pytest.mark.parametrize("workers", [["--workers", "2"], ["--dask", "local:2"]], ids=["workers", "dask"])
def test_a_stop_ends_every_worker_with_one_line(flood, workers, stop):
    rca = start_rca("analyze", str(flood), "--model", "none", *workers,
                    env={"RCA_ENGINE": "python"})  # cut in byte ranges: two busy workers
    children: list[psutil.Process] = []
    try:
        children = busy_workers(psutil.Process(rca.pid), 2)
        send(rca, stop)
        out, err = rca.communicate(timeout=120)  # workers left holding the pipes would block this
        time.sleep(0.5)  # a child ended by the parent's exit is gone within moments, or never
        left = still_running(children)
    finally:  # whatever is left of the group (today: the workers) is ended here, not left to the test run
        end_group(rca)
    assert rca.returncode == EXIT[stop], err.decode()
    assert err.decode().splitlines() == [f"rca: analysis stopped by {stop.name}; no report written"]
    assert out == b""
    assert left == []
