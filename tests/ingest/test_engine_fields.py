"""The engine decides on parsed fields (rca.ingest.engine): healthy request logs are counted per second
and service in SQL and never reach Python; what orjson refuses still does, and is counted as before."""

import functools
import json

import pytest
from conftest import read_with_engine

from rca.ingest import engine

BASE = 1757685600  # 2025-09-12T14:00:00Z


def request_line(n, service="api", revision="api-00001-abc", status=200, second=None, fraction=".250000"):
    second = BASE + (n // 3 if second is None else second)
    stamp = f"2025-09-12T14:{(second - BASE) // 60:02d}:{(second - BASE) % 60:02d}{fraction}Z"
    return json.dumps({"insertId": f"r{n}", "logName": "projects/p/logs/run.googleapis.com%2Frequests",
                       "resource": {"type": "cloud_run_revision", "labels": {"service_name": service, "revision_name": revision}},
                       "timestamp": stamp, "severity": "INFO", "labels": {"instanceId": "i1"},
                       "httpRequest": {"requestMethod": "GET", "requestUrl": f"https://{service}.run.app/items/{n}",
                                       "status": status, "latency": "0.020s"}}, separators=(",", ":"))


read = functools.partial(read_with_engine, mode="requests")  # the window whole: healthy requests counted in the engine


@pytest.fixture
def decoded(monkeypatch):
    """The lines Python's per-line code was handed (jsonlog.read_line, the engine's only way in)."""
    lines: list[bytes] = []
    original = engine.read_line

    def noting(raw, *args):
        lines.append(raw)
        return original(raw, *args)

    monkeypatch.setattr(engine, "read_line", noting)
    return lines


def test_healthy_requests_are_counted_per_second_in_sql(tmp_path, monkeypatch, decoded):
    lines = [request_line(n, status=200 if n % 4 else 404) for n in range(60)]
    lines += [request_line(n, service="web", revision="web-00003-xyz") for n in range(60, 90)]
    lines.insert(30, request_line(999, status=503, second=10))
    path = tmp_path / "requests.jsonl"
    path.write_text("\n".join(lines) + "\n")
    records, stats = read(path, "duckdb", monkeypatch)
    expected: dict = {}
    for n in range(90):
        key = (BASE + n // 3, "web", "web-00003-xyz") if n >= 60 else (BASE + n // 3, "api", "api-00001-abc")
        expected[key] = expected.get(key, 0) + 1
    revisions = {"api": "api-00001-abc", "web": "web-00003-xyz"}
    handed = [(int(record[0]), record[5], revisions[record[5]]) for record in records if record[12] != 503]
    for key in handed:  # the requests Python decoded (a revision's first, the window's ends) are not in SQL's count
        expected[key] -= 1
    assert stats.requests == {key: count for key, count in expected.items() if count}
    assert stats.records == 91
    assert [record[12] for record in records if record[12] == 503] == [503]  # a failed request is an event: Python's
    assert len(decoded) <= 5  # the 503, each (service, revision)'s earliest, the first and the last


def test_a_revision_is_dated_by_its_earliest_request_not_its_first_line(tmp_path, monkeypatch):
    """DeployTracker keeps a revision's earliest record: SQL hands over that one, wherever it stands."""
    lines = [request_line(n, second=100 - n) for n in range(20)]  # written newest first
    path = tmp_path / "late.jsonl"
    path.write_text("\n".join(lines) + "\n")
    records, _ = read(path, "duckdb", monkeypatch)
    assert sorted(record[0] for record in records) == [BASE + 81.25, BASE + 100.25]


def test_same_second_requests_hand_over_the_first_of_the_earliest(tmp_path, monkeypatch):
    """Stamps of one second ordered by their fraction (`.5` after `.25`, none before both), ties by line."""
    lines = [request_line(0, second=5, fraction=".5"), request_line(1, second=5, fraction=""),
             request_line(2, second=5, fraction=".25"), request_line(3, second=5, fraction="")]
    path = tmp_path / "ties.jsonl"
    path.write_text("\n".join(lines) + "\n")
    records, stats = read(path, "duckdb", monkeypatch)
    assert [record[4] for record in records] == [1, 2]  # the latest (.5), and the earliest (no fraction, first of its tie)
    assert stats.requests == {(BASE + 5, "api", "api-00001-abc"): 2}


@pytest.mark.parametrize("bad", [
    b',"extra":NaN}', b',"extra":-Infinity}', b',"extra":[1,]}', b',"extra":{"a":1,}}',
])
def test_what_orjson_refuses_in_a_healthy_request_is_still_a_reject(tmp_path, monkeypatch, bad):
    lines = [request_line(n).encode() for n in range(12)]
    lines[6] = lines[6][:-1] + bad  # DuckDB's parser takes these; orjson does not
    path = tmp_path / "lenient.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    by_engine = read(path, "duckdb", monkeypatch)
    by_python = read(path, "python", monkeypatch)
    assert by_engine[1].skipped == by_python[1].skipped == {"broken JSON": 1}
    assert by_engine[1].examples == by_python[1].examples
    assert by_engine[1].records == by_python[1].records == 12


def test_requests_are_decoded_when_the_reader_is_not_asked_to_count_them(tmp_path, monkeypatch, decoded):
    path = tmp_path / "requests.jsonl"
    path.write_text("\n".join(request_line(n) for n in range(30)) + "\n")
    records, stats = read(path, "duckdb", monkeypatch, mode="deploys")
    assert len(records) == 30 and stats.requests == {}
    assert (records, stats) == read(path, "python", monkeypatch, mode="deploys")


def healthy_line(stamp, payload):
    return json.dumps({"severity": "INFO", "timestamp": stamp, "jsonPayload": payload,
                       "resource": {"type": "cloud_run_revision", "labels": {"service_name": "api"}}}, separators=(",", ":"))


def test_fields_decide_where_bytes_decided_otherwise(tmp_path, monkeypatch, decoded):
    """A healthy entry whose payload holds a `"status":503` of its own was decoded for that byte pattern;
    on its fields it is a healthy INFO line, passed over. Neither gives an event. (Plain healthy lines
    before and after it: the lines of the window's first and last seconds go to Python, see below.)"""
    nested = healthy_line("2025-09-12T14:00:01Z", {"message": "upstream said", "status": 503})
    lines = [healthy_line("2025-09-12T14:00:00Z", {"message": "up"}), nested, healthy_line("2025-09-12T14:00:02Z", {})]
    path = tmp_path / "nested.jsonl"
    path.write_text("\n".join(lines) + "\n")
    by_python = read(path, "python", monkeypatch)
    by_engine = read(path, "duckdb", monkeypatch)
    assert len(by_python[0]) == 1 and by_engine[0] == [] and nested.encode() + b"\n" not in decoded
    assert by_engine[1].records == by_python[1].records == 3
    assert by_engine[1].passed_first == by_python[1].passed_first == b"2025-09-12T14:00:00"


def test_the_window_is_the_python_readers_to_the_nanosecond(tmp_path, monkeypatch):
    """The first and last lines are healthy lines the engine passes over on their fields but the Python
    reader decodes (a `"status":503` in the payload): its window is their exact stamps, and so is the
    engine's, which hands the lines of the first and last seconds to Python's per-line code. A plain
    healthy line in the first second, which both pass over, dates the start to its second in both."""
    failing = {"message": "upstream said", "status": 503}
    lines = [healthy_line("2025-09-12T14:00:00.030894Z", failing)]
    lines += [healthy_line(f"2025-09-12T14:00:{n:02d}.5Z", {"message": f"ok {n}"}) for n in range(1, 40)]
    lines += [healthy_line("2025-09-12T14:00:40.123456789Z", failing), healthy_line("2025-09-12T14:00:40.1Z", {})]
    path = tmp_path / "edges.jsonl"
    path.write_text("\n".join(lines) + "\n")
    windows = {name: window_of(path, name, monkeypatch) for name in ("python", "duckdb")}
    assert windows["duckdb"] == windows["python"] == (BASE + 0.030894, BASE + 40.123456)
    path.write_text("\n".join([healthy_line("2025-09-12T14:00:00.9Z", {}), *lines]) + "\n")
    windows = {name: window_of(path, name, monkeypatch) for name in ("python", "duckdb")}
    assert windows["duckdb"] == windows["python"] == (BASE, BASE + 40.123456)


def window_of(path, engine_name, monkeypatch):
    """The report's window (its start and end, as `rca analyze` dates them) of the file read by one engine."""
    from rca.analyze.analysis import _window
    from rca.analyze.mapping import Scope, map_inputs, tracker_of

    monkeypatch.setenv("RCA_ENGINE", engine_name)
    partial = map_inputs([str(path)], Scope())
    return _window(tracker_of(partial), partial.stats)


@pytest.mark.parametrize("chosen,size,reads", [
    ("", 100, False), ("", 4000, True), ("duckdb", 100, True), ("python", 4000, False), ("DuckDB ", 100, True),
])
def test_by_default_duckdb_reads_large_files_and_python_small_ones(tmp_path, monkeypatch, chosen, size, reads):
    """Unset, RCA_ENGINE leaves a file under ENGINE_MIN_BYTES to Python (importing DuckDB would cost more
    than reading it); RCA_ENGINE=python is the way back for any file."""
    monkeypatch.setattr(engine, "ENGINE_MIN_BYTES", 1000)
    monkeypatch.setenv("RCA_ENGINE", chosen)
    path = tmp_path / "export.jsonl"
    path.write_bytes(b"x" * size)
    assert engine.engine_reads(str(path)) is reads


def gke_line(n, replica_set, second, stamp_suffix="Z"):
    stamp = f"2025-09-12T14:{second // 60:02d}:{second % 60:02d}.100{stamp_suffix}"
    return json.dumps({"insertId": f"g{n}", "logName": "projects/p/logs/stdout", "timestamp": stamp, "severity": "INFO",
                       "resource": {"type": "k8s_container", "labels": {"namespace_name": "default", "pod_name": f"web-{replica_set}-x{n}",
                                                                       "container_name": "web"}},
                       "labels": {"k8s-pod/app": "web", "k8s-pod/pod-template-hash": replica_set},
                       "textPayload": f"served batch {n}"}, separators=(",", ":"))


@pytest.mark.parametrize("shape", ["replica-sets", "offsets", "newest-first"])
def test_the_engine_hands_python_what_the_byte_prefilter_keeps(tmp_path, monkeypatch, shape):
    """What the Python reader decodes of healthy lines, the engine hands over too: the first line of each
    GKE ReplicaSet (one already running is seen where the logs begin), a stamp with an offset (dated in
    UTC by Python), and a revision's earliest line in a newest-first file."""
    if shape == "replica-sets":
        lines = [gke_line(n, "5d9f7c" if n < 20 else "7b8e21", 10 + n) for n in range(40)]
    elif shape == "offsets":
        lines = [gke_line(n, "5d9f7c", 10 + n, "+02:00" if n % 2 else "Z") for n in range(20)]
    else:
        # healthy lines of a revision that are not request logs, written newest first
        lines = [request_line(n, second=100 - n).replace('"httpRequest"', '"request"') for n in range(20)]
    path = tmp_path / f"{shape}.jsonl"
    path.write_text("\n".join(lines) + "\n")
    by_engine, engine_stats = read(path, "duckdb", monkeypatch, mode="deploys")
    by_python, python_stats = read(path, "python", monkeypatch, mode="deploys")
    assert engine_stats.records == python_stats.records == len(lines)
    if shape == "newest-first":  # Python decodes each line earlier than all before it; the engine only the earliest
        assert min(record[0] for record in by_engine) == min(record[0] for record in by_python) == BASE + 81.25
    else:
        assert by_engine == by_python and by_python
