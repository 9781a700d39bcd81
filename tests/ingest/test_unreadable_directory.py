"""Issue 29, item 7: a directory inside a directory input (or under a `**` glob) that cannot be listed
is an error naming it, counted in ReadStats.errors (exit 2), while everything readable is still read;
it is never skipped in silence."""

import os
import shutil
import subprocess
import sys

import pytest
from conftest import INCIDENT, ROOT

import rca


@pytest.fixture
def tree(tmp_path):
    """exports/ok/logs.jsonl, readable, and exports/locked/, which holds a file nobody can list."""
    root = tmp_path / "exports"
    (root / "ok").mkdir(parents=True)
    shutil.copy(INCIDENT / "logs.jsonl", root / "ok" / "logs.jsonl")
    (root / "locked").mkdir()
    shutil.copy(INCIDENT / "logs.jsonl", root / "locked" / "more.jsonl")
    (root / "locked").chmod(0)
    yield root
    (root / "locked").chmod(0o755)


def as_a_user(*args: str) -> subprocess.CompletedProcess:
    """The CLI without the power to read what its mode forbids: root keeps its user id but loses the
    capabilities that let it read any directory (a user without them needs nothing)."""
    prefix: list[str] = []
    if os.geteuid() == 0:
        if shutil.which("setpriv") is None:
            pytest.skip("running as root without setpriv to drop the read override")
        prefix = ["setpriv", "--bounding-set=-dac_override,-dac_read_search"]
    return subprocess.run([*prefix, sys.executable, "-m", "rca", *args], capture_output=True, cwd=ROOT, timeout=300)


@pytest.mark.parametrize("pattern", ["{root}", "{root}/**/*.jsonl"])
@pytest.mark.parametrize("command", ["events", "analyze"])
def test_an_unreadable_directory_is_an_error_naming_it(tree, pattern, command):
    result = as_a_user(command, pattern.format(root=tree), *(["--format", "json"] if command == "analyze" else []))
    err = result.stderr.decode()
    assert result.returncode == 2
    assert f"rca: error: {tree / 'locked'}: cannot read this directory: Permission denied" in err.splitlines()
    assert "5,789 records read from 1 source(s)" in err  # the readable file is read all the same
    assert "Traceback" not in err


def test_the_walk_failing_is_counted_in_the_stats(tree, monkeypatch):
    """The same through the API, with the listing made to fail as it does for a user (root can list it)."""
    real = os.scandir
    locked = str(tree / "locked")

    def scandir(path="."):
        if os.fspath(path) == locked:
            raise PermissionError(13, "Permission denied", locked)
        return real(path)

    monkeypatch.setattr(os, "scandir", scandir)
    stats = rca.ReadStats()
    records = list(rca.iter_records(tree, stats))
    assert records and stats.sources == [str(tree / "ok" / "logs.jsonl")]
    assert stats.errors == [f"{locked}: cannot read this directory: Permission denied"]
    with pytest.raises(rca.InputError, match="locked: cannot read this directory"):
        list(rca.iter_records(tree))  # with no stats to count it in, it cannot pass unseen
