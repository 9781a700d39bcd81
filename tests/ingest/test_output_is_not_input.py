"""Issue 29, item 4: `--out` that names one of the inputs, by its own name, a relative path, a link, a
hard link, or as a file found under an input directory or glob, is one error before anything is read
or written, and the input is left byte for byte as it was."""

import os
import shutil

import pytest
from conftest import INCIDENT, run_rca


@pytest.fixture
def logs(tmp_path):
    folder = tmp_path / "exports"
    folder.mkdir()
    path = folder / "logs.jsonl"
    shutil.copy(INCIDENT / "logs.jsonl", path)
    os.symlink(path, tmp_path / "link.jsonl")
    os.link(path, tmp_path / "hard.jsonl")
    return path


@pytest.mark.parametrize("inputs,out", [
    (["exports/logs.jsonl"], "exports/logs.jsonl"),
    (["exports/logs.jsonl"], "exports/../exports/./logs.jsonl"),
    (["exports/logs.jsonl"], "link.jsonl"),             # a link to the input
    (["link.jsonl"], "exports/logs.jsonl"),             # the input read through a link
    (["exports/logs.jsonl"], "hard.jsonl"),             # another name of the same file
    (["exports"], "exports/logs.jsonl"),                # a file the directory input holds
    (["exports/*.jsonl"], "exports/logs.jsonl"),        # a file the glob matches
    (["missing.jsonl", "exports/logs.jsonl"], "link.jsonl"),
])
def test_out_naming_an_input_is_one_error_and_the_input_is_untouched(logs, inputs, out):
    before = logs.read_bytes()
    for output_format in ("md", "json"):
        result = run_rca("analyze", *inputs, "--format", output_format, "--out", out, cwd=logs.parent.parent)
        err = result.stderr.decode()
        assert result.returncode == 2 and err.startswith("rca: error: --out ") and err.count("\n") == 1, err
        assert "is the input" in err and "Traceback" not in err
        assert logs.read_bytes() == before and (logs.parent.parent / "link.jsonl").is_symlink()


def test_out_beside_the_input_is_written(logs):
    """A new file in an input directory is no input: the run reads the logs and writes it."""
    result = run_rca("analyze", "exports", "--out", "exports/report.md", cwd=logs.parent.parent)
    assert result.returncode == 0 and (logs.parent / "report.md").read_text().startswith("# Incident")
