"""The checks CI runs on the code itself: imports flow one way, lint, and types."""

import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT


def run(*command: str) -> subprocess.CompletedProcess:
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600)


LINT_IMPORTS = str(Path(sys.executable).parent / "lint-imports")  # import-linter, beside this Python


@pytest.mark.parametrize("command", [
    (LINT_IMPORTS,),  # the layer contract in pyproject.toml
    (sys.executable, "-m", "ruff", "check", "rca"),
    (sys.executable, "-m", "mypy", "rca"),
], ids=["imports", "ruff", "mypy"])
def test_the_code_passes(command):
    if command[0] == LINT_IMPORTS and not Path(LINT_IMPORTS).exists():
        pytest.fail("lint-imports is not installed: pip install -e '.[test]'")
    result = run(*command)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
