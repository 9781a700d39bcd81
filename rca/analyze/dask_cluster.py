"""Past one machine: the map of every part on a Dask cluster's workers, merged on the client.

Each worker runs `rca.analyze.mapping.map_part` on the parts it is given and opens their sources itself
(a bucket's objects, or files on a file system the workers share), so that only the small partial
summaries cross the network. Classification stays on the client, after the merge: workers never
load the model. dask.distributed is imported only when a cluster is asked for.
"""

from __future__ import annotations

import contextlib
import logging
import signal
import threading
from collections.abc import Iterator

from rca.analyze.mapping import Part, Partial, Scope, map_part
from rca.errors import RcaError
from rca.ingest.engine import share_cores

LOCAL = "local:"  # `--dask local:N`: a LocalCluster of N worker processes on this machine
CONNECT_SECONDS = 30


def _distributed():
    try:
        import distributed
    except ImportError:
        raise RcaError("--dask needs dask.distributed: pip install 'rca[dask]'") from None
    return distributed


@contextlib.contextmanager
def connect(address: str) -> Iterator:
    """A Dask client of the scheduler at `address` (tcp://HOST:8786, …), or of a LocalCluster for
    `local:N`, closed (the local cluster stopped) on leaving."""
    count = address[len(LOCAL):] if address.startswith(LOCAL) else None
    if count is not None and (not count.isdigit() or int(count) < 1):
        raise RcaError(f"--dask {address}: expected local:N with N workers, e.g. local:4")
    distributed = _distributed()
    if count is not None:
        # Its processes' logs are silenced: a stop (Ctrl-C, SIGTERM) while tasks run makes each worker
        # log its cancelled tasks and lost heartbeats; what fails a task reaches rca as its exception.
        with _children_deaf_to_ctrl_c():
            cluster = distributed.LocalCluster(n_workers=int(count), threads_per_worker=1, processes=True,
                                               dashboard_address=":0", silence_logs=logging.CRITICAL)
        with cluster, distributed.Client(cluster) as client:
            yield client
        return
    try:
        client = distributed.Client(address, timeout=CONNECT_SECONDS)
    except (OSError, TimeoutError, ValueError) as error:
        raise RcaError(f"--dask {address}: cannot reach the Dask scheduler ({error})") from None
    with client:
        yield client


@contextlib.contextmanager
def _children_deaf_to_ctrl_c() -> Iterator[None]:
    """Ctrl-C ignored while the local cluster starts its worker processes, which inherit that (a
    spawned Python leaves an ignored SIGINT ignored): Ctrl-C reaches every process of the terminal's
    group, and each worker would print its KeyboardInterrupt traceback; rca alone decides on it and
    closes the cluster (rca.cli). Only the main thread may change a signal's handler."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def cluster_size(client) -> int:
    """The threads the cluster's workers run tasks on: what the parts are cut for."""
    return max(1, sum(client.nthreads().values()))


def run_on_cluster(client, parts: list[Part], scope: Scope) -> list[Partial]:
    """The map of every part on the cluster, its partials returned in part order (as the merge
    wants them). `pure=False`: a bucket's objects may have changed since an earlier run."""
    futures = client.map(map_part_sharing_cores, parts, scope=scope, sharing=tasks_per_host(client), pure=False)
    return client.gather(futures)


def tasks_per_host(client) -> dict[str, int]:
    """How many tasks run at once on each host of the cluster: its workers' threads together."""
    sharing: dict[str, int] = {}
    for address, info in client.scheduler_info().get("workers", {}).items():
        host = info.get("host") or address
        sharing[host] = sharing.get(host, 0) + int(info.get("nthreads") or 1)
    return sharing


def map_part_sharing_cores(part: Part, scope: Scope, sharing: dict[str, int]) -> Partial:
    """`map_part` on a worker, its DuckDB on the worker's share of its host's cores (`sharing`: the
    tasks that run at once on each host), not on all of them."""
    share_cores(_tasks_here(sharing))
    return map_part(part, scope)


def _tasks_here(sharing: dict[str, int]) -> int:
    """The tasks that run at once on this worker's host; every task of the cluster when it cannot tell."""
    everywhere = sum(sharing.values()) or 1
    try:
        from distributed import get_worker

        address = get_worker().address
    except (ImportError, ValueError):  # not in a worker
        return everywhere
    return sharing.get(address.rsplit("://", 1)[-1].rsplit(":", 1)[0], everywhere)
