"""SQL over a log export from a notebook: rca.relation and rca.sql (rca.ingest.sqlview)."""

import gzip
import json
import re

import pytest
from conftest import INCIDENT, ROOT

import rca


def test_the_readme_example_prints_what_the_readme_shows():
    readme = (ROOT / "README.md").read_text()
    block = re.search(r"SQL over an export:.*?```python\n(.*?)```", readme, re.S).group(1)
    code, _, shown = block.partition("\n#")
    frame = eval(code.strip().replace('"fixtures/', f'"{ROOT}/fixtures/'), {"rca": rca})  # noqa: S307
    expected = [line.split()[2:] for line in ("#" + shown).splitlines()[1:]]  # without "#" and the index
    assert [[str(value) for value in row] for row in frame.itertuples(index=False)] == expected


def test_the_columns_are_typed(tmp_path):
    logs = rca.relation(INCIDENT / "logs.jsonl")
    types = dict(zip(logs.columns, map(str, logs.types)))
    assert types["timestamp"] == "TIMESTAMP" and types["status"] == "INTEGER" and types["jsonPayload"] == "JSON"
    assert types["httpRequest"].startswith("STRUCT(") and types["labels"] == "MAP(VARCHAR, VARCHAR)"
    failed = rca.sql("SELECT count(*) FROM logs WHERE status >= 500", INCIDENT / "logs.jsonl").fetchall()[0][0]
    frame = rca.read_logs(INCIDENT / "logs.jsonl")
    assert failed == int((frame["http_status"] >= 500).sum()) > 0  # the same requests the reader sees


@pytest.mark.parametrize("shape", ["jsonl.gz", "json"])
def test_gzip_and_array_exports_read_alike(tmp_path, shape):
    lines = (INCIDENT / "logs.jsonl").read_text().splitlines()[:200]
    path = tmp_path / f"export.{shape}"
    if shape == "json":
        path.write_text(json.dumps([json.loads(line) for line in lines], indent=2))
    else:
        path.write_bytes(gzip.compress(("\n".join(lines) + "\n").encode()))
    query = "SELECT service, count(*) FROM logs GROUP BY ALL ORDER BY ALL"
    plain = tmp_path / "plain.jsonl"
    plain.write_text("\n".join(lines) + "\n")
    assert rca.sql(query, path).fetchall() == rca.sql(query, plain).fetchall() != []


def test_a_line_duckdb_cannot_read_is_a_row_of_nulls(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"severity":"ERROR","textPayload":"boom"}\n{"severity": broken\n{"severity":"INFO"}\n')
    assert rca.sql("SELECT severity, text FROM logs", path).fetchall() == [("ERROR", "boom"), (None, None), ("INFO", None)]
