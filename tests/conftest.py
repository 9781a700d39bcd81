import fcntl
import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))  # tests/logging_server.py
FIXTURES = ROOT / "fixtures"
INCIDENT = FIXTURES / "incidents" / "missing-import"
# Real Logs Explorer downloads live beside the repository and are read in place, never copied in.
# Fixtures that tests in several stage folders use, from their own modules.
pytest_plugins = ["gcs_sink"]
REAL_EXPORTS = Path(os.environ.get("RCA_REAL_EXPORTS", ROOT.parent / "shared" / "real-gcp-exports"))


@pytest.fixture(scope="session", autouse=True)
def model_cache(tmp_path_factory):
    """The default classifier is built once per test run, in a temporary cache, not the user's. Under
    pytest-xdist the workers share one cache in the run's folder, and the first worker builds it
    while the others wait: training it costs seconds of CPU, and a worker reading the cache while
    another replaced it could find the model without its scorer."""
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        os.environ["RCA_CACHE_DIR"] = str(tmp_path_factory.mktemp("rca-cache"))
        return
    shared = tmp_path_factory.getbasetemp().parent / "rca-cache"  # the parent of every worker's own folder
    shared.mkdir(exist_ok=True)
    os.environ["RCA_CACHE_DIR"] = str(shared)
    with open(shared / ".building", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        from rca.classify.model import default_model

        default_model()  # built by the first worker; read from the cache by the others


def load_generator():
    spec = importlib.util.spec_from_file_location("fixture_generator", FIXTURES / "generate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def generator():
    return load_generator()


@pytest.fixture(scope="session")
def flood(tmp_path_factory) -> Path:
    """300,000 entries (~230 MB, benchmarks/flood.py): a minute or more of reading for two workers, on
    any machine; for the tests that stop rca while it reads."""
    path = tmp_path_factory.mktemp("flood") / "flood.jsonl"
    subprocess.run([sys.executable, str(ROOT / "benchmarks" / "flood.py"), str(path), "--entries", "300000"],
                   check=True, capture_output=True)
    return path


@pytest.fixture(scope="session")
def real_exports() -> Path:
    if not REAL_EXPORTS.is_dir():
        pytest.skip(f"real exports not found at {REAL_EXPORTS}")
    return REAL_EXPORTS


def read_with_engine(path, engine_name: str, monkeypatch, mode: str = "deploys"):
    """Every record of `path` (as plain values) and the ReadStats, read with RCA_ENGINE=`engine_name`
    and the prefilter `mode`: what the engine tests compare between DuckDB and Python."""
    import dataclasses

    from rca.ingest import iter_records
    from rca.ingest.stats import ReadStats

    monkeypatch.setenv("RCA_ENGINE", engine_name)
    stats = ReadStats()
    records = [dataclasses.astuple(record) for record in iter_records([str(path)], stats, prefilter=mode)]
    return records, stats


def run_rca(*args: str, stdin: bytes | None = None, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    """Run the installed CLI as a user would."""
    return subprocess.run([sys.executable, "-m", "rca", *args], input=stdin, capture_output=True, cwd=cwd,
                          timeout=300)
