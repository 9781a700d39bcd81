"""Issue 28: the real corpus's rows from other runtimes (rc-1300 to rc-1349), gathered as training rows for the
model's part of classification. Only the file is checked: the ids stay in their range, every row comes from a
repository no fresh-corpus batch uses (so a model trained on them is still measured on unseen text), no row is a
Python traceback, and plain bugs that carry class words are a large share (they teach what is not a cause)."""

import json
import re
from pathlib import Path

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
ID_RANGE = range(1300, 1350)
PYTHON_TRACE = re.compile(r'Traceback \(most recent call last\)|^\s*File "[^"]+", line \d+', re.MULTILINE)


def read(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def other_runtime_rows() -> list[dict]:
    return [row for row in read(FIXTURES / "real-corpus" / "excerpts.jsonl") if int(row["id"][3:]) in ID_RANGE]


def test_the_rows_are_there_one_repository_each():
    rows = other_runtime_rows()
    assert len(rows) >= 30
    assert len({row["repo"].lower() for row in rows}) == len(rows)


def test_no_row_comes_from_a_repository_a_fresh_batch_uses():
    fresh = {row["repo"].lower() for path in (FIXTURES / "fresh-corpus").glob("*.jsonl") for row in read(path)}
    assert not [row["id"] for row in other_runtime_rows() if row["repo"].lower() in fresh]


def test_the_rows_are_other_runtimes_and_a_third_are_plain_bugs():
    rows = other_runtime_rows()
    assert not [row["id"] for row in rows if PYTHON_TRACE.search(row["text"])]
    assert sum(row["label"] == "unknown" for row in rows) * 3 >= len(rows)
