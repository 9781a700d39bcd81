"""How the engine's SQL judges a line (rca.ingest.engine.JUDGED) and what it hands to Python
(HANDED, SUMMARY, TALLY): decided as the Python reader decides, in fewer passes over the lines."""

import pytest
from conftest import read_with_engine as read


def _request(n: int, status: str = "200", tail: str = "") -> str:
    """A healthy request log as Cloud Run writes it, `tail` put inside its httpRequest as it is."""
    return (f'{{"insertId":"r{n}","timestamp":"2025-09-12T14:{n // 60 % 60:02d}:{n % 60:02d}.{n:06d}Z","severity":"INFO",'
            '"resource":{"type":"cloud_run_revision","labels":{"service_name":"api","revision_name":"api-00001-abc"}},'
            f'"httpRequest":{{"requestMethod":"GET","requestUrl":"https://api/items/{n}","status":{status}{tail}}}}}')


@pytest.mark.parametrize("tail", [",\t", ", \t ", " ,", ',"size":NaN', ',"size":Infinity', ',"size":nan', ',"size": -INF ',
                                  ',"sizes":[1,inf]', ',"sizes":[ iNfInItY,2]', ',"size":-nan'])
def test_json_only_duckdb_takes_is_broken_json_as_python_says(tmp_path, monkeypatch, tail):
    """DuckDB reads trailing commas (any blanks before the bracket) and NaN or infinities in any case;
    orjson does not: a request log Python decodes is counted as broken JSON, not tallied in SQL."""
    lines = [_request(n) for n in range(40)]
    lines[12] = _request(12, tail=tail)
    path = tmp_path / "lenient.jsonl"
    path.write_text("\n".join(lines) + "\n")
    engine_stats, python_stats = (read(path, name, monkeypatch, "requests")[1] for name in ("duckdb", "python"))
    assert engine_stats.skipped == python_stats.skipped and engine_stats.skipped["broken JSON"] == 1
    assert engine_stats.records == python_stats.records == 40


def test_the_lines_are_judged_on_every_thread_and_numbered_in_file_order(tmp_path):
    """No operator of the judging query keeps it on one thread (a streaming window did: row_number()
    OVER ()), and the view numbers the rows as the file orders its lines."""
    from rca.ingest import engine

    path = tmp_path / "requests.jsonl"
    path.write_text("\n".join(_request(n) for n in range(300)) + "\n")
    connection = engine.connect()
    try:
        select = engine.judged_sql(True, True).split(" AS\n", 1)[1]
        plan = "".join(text for _, text in connection.execute("EXPLAIN " + select, engine.read_arguments(str(path), False)).fetchall())
        assert "READ_CSV" in plan and "WINDOW" not in plan.upper()
        engine.judge(connection, str(path), False, True, True)
        rows = connection.execute("SELECT row, second FROM judged ORDER BY row").fetchall()
        assert [row for row, _ in rows] == list(range(1, 301))
        assert [second for _, second in rows] == sorted(second for _, second in rows)
    finally:
        connection.close()
