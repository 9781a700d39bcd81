"""The one error line (`rca: error: …`) quotes what it is about: a path, an object's name in a
bucket, a server's answer. A control character there is shown as its escape, as in every report and
in the summary line, never sent to the terminal (review of issue 29: main() printed it raw)."""

from __future__ import annotations

import re

from conftest import run_rca

CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def test_a_path_with_escapes_is_named_with_them_shown(tmp_path):
    name = tmp_path / "logs\x1b]0;owned\x07\x1b[2J.jsonl"
    done = run_rca("analyze", str(name), "--model", "none")
    err = done.stderr.decode()
    assert done.returncode == 2, err
    assert not CONTROL.search(err), repr(err)
    assert err.startswith("rca: error: ") and err.count("\n") == 1
    assert "logs\\x1b]0;owned\\x07\\x1b[2J.jsonl" in err


def test_an_out_path_with_escapes_is_named_with_them_shown(tmp_path):
    name = tmp_path / "logs\x1b[31m.jsonl"
    name.mkdir()  # a directory where --out wants a file
    done = run_rca("analyze", "fixtures/incidents/missing-import/logs.jsonl", "--model", "none", "--out", str(name))
    err = done.stderr.decode()
    assert done.returncode == 2, err
    assert not CONTROL.search(err), repr(err)
    assert "logs\\x1b[31m.jsonl" in err.splitlines()[-1]
