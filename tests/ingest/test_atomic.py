"""Issue 17: output is written to a temporary name and renamed on success, so a failure never damages
an existing file; an unwritable target is one clear error (OutputError), never a traceback."""

import gzip
import json
import os
import stat

import pytest
from conftest import INCIDENT, run_rca
from logging_server import LoggingServer, _Handler

from rca.ingest.atomic import OutputError, atomic_write, partial_path, write_text_atomically
from rca.ingest.live import PullError, build_filter, pull_entries, save_entries
from rca.ingest.times import parse_moment

ENTRIES = [json.loads(line) for line in (INCIDENT / "logs.jsonl").read_text().splitlines()]
QUERY = build_filter(parse_moment("2025-09-12T14:00Z"), parse_moment("2025-09-12T15:00Z"))


def test_success_replaces_the_file_and_keeps_its_permissions(tmp_path):
    target = tmp_path / "report.md"
    target.write_text("old")
    target.chmod(0o600)
    write_text_atomically(target, "new report\n")
    assert target.read_text() == "new report\n" and stat.S_IMODE(target.stat().st_mode) == 0o600
    assert os.listdir(tmp_path) == ["report.md"]  # no temporary file left


def test_a_failure_midway_leaves_the_old_file_and_no_temporary(tmp_path):
    target = tmp_path / "report.md"
    target.write_text("old")
    with pytest.raises(RuntimeError):
        with atomic_write(target) as handle:
            handle.write("half a rep")
            raise RuntimeError("the analysis failed")
    assert target.read_text() == "old" and os.listdir(tmp_path) == ["report.md"]


def test_keep_partial_leaves_the_partial_file(tmp_path):
    target = tmp_path / "pull.jsonl"
    with pytest.raises(RuntimeError):
        with atomic_write(target, binary=True, keep_partial=True) as handle:
            handle.write(b"{}\n")
            raise RuntimeError
    assert not target.exists() and partial_path(target).read_bytes() == b"{}\n"


def test_a_link_is_followed_not_replaced(tmp_path):
    real = tmp_path / "real.md"
    real.write_text("old")
    (tmp_path / "link.md").symlink_to(real)
    write_text_atomically(tmp_path / "link.md", "new")
    assert (tmp_path / "link.md").is_symlink() and real.read_text() == "new"


@pytest.mark.parametrize("where,reason", [
    ("missing/report.md", "No such file or directory"),
    (".", "it is a directory"),
])
def test_an_unwritable_target_is_one_clear_error(tmp_path, where, reason):
    with pytest.raises(OutputError, match=reason) as caught:
        write_text_atomically(tmp_path / where, "x")
    assert str(caught.value).startswith(f"cannot write {tmp_path / where}")


def test_a_read_only_directory_is_one_clear_error(tmp_path):
    if os.geteuid() == 0:
        pytest.skip("root writes to read-only directories")
    tmp_path.chmod(0o500)
    try:
        with pytest.raises(OutputError, match="Permission denied"):
            write_text_atomically(tmp_path / "report.md", "x")
    finally:
        tmp_path.chmod(0o700)


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="no /dev/full here")
def test_a_full_disk_is_one_clear_error_and_the_device_is_not_replaced():
    with pytest.raises(OutputError, match="cannot write /dev/full: No space left on device"):
        write_text_atomically("/dev/full", "x" * 100_000)
    assert stat.S_ISCHR(os.stat("/dev/full").st_mode)


def test_a_special_file_is_written_directly(tmp_path):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
    try:
        write_text_atomically(fifo, "through the pipe")
        assert os.read(reader, 100) == b"through the pipe"
    finally:
        os.close(reader)
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)


# --- rca pull --------------------------------------------------------------------------------------

class RepeatingHandler(_Handler):
    """A server whose every page says that the next one is the first again."""

    def _send(self, code, payload):
        if "nextPageToken" in payload:
            payload["nextPageToken"] = "0"
        super()._send(code, payload)


@pytest.fixture
def repeating_server():
    with LoggingServer(ENTRIES) as server:
        server.httpd.RequestHandlerClass = type("Handler", (RepeatingHandler,), {"logging_server": server})
        yield server


def test_a_repeated_page_token_stops_the_pull_with_a_clear_error(repeating_server):
    pulled = []
    with pytest.raises(PullError, match="sent an earlier page token again after 2 pages") as caught:
        for entry in pull_entries("p", QUERY, endpoint=repeating_server.endpoint, page_size=100, sleep=lambda s: None):
            pulled.append(entry)
    assert len(pulled) == caught.value.pulled == 100  # the repeated page is not kept
    assert len(repeating_server.requests) == 2


def test_a_failed_pull_never_touches_an_existing_out_file(repeating_server, tmp_path):
    out = tmp_path / "incident.jsonl.gz"
    out.write_bytes(b"yesterday's pull")
    result = run_rca("pull", "--project", "p", "--since", "2025-09-12T14:00Z", "--until", "2025-09-12T15:00Z",
                     "--page-size", "100", "--endpoint", repeating_server.endpoint, "--out", str(out))
    err = result.stderr.decode()
    assert result.returncode == 1 and "sent an earlier page token again" in err and "Traceback" not in err
    assert out.read_bytes() == b"yesterday's pull"
    with gzip.open(partial_path(out)) as partial:
        assert len(partial.read().splitlines()) == 100


def test_a_pull_that_cannot_even_start_leaves_the_out_file(tmp_path):
    out = tmp_path / "x.jsonl"
    out.write_text("kept\n")
    result = run_rca("pull", "--project", "p", "--since", "2025-09-12T14:00Z", "--endpoint", "http://127.0.0.1:9",
                     "--out", str(out))
    assert result.returncode == 1 and out.read_text() == "kept\n"


def test_a_completed_pull_renames_the_partial_file(tmp_path):
    with LoggingServer(ENTRIES) as server:
        out = tmp_path / "done.jsonl"
        count = save_entries(pull_entries("p", QUERY, endpoint=server.endpoint, page_size=500), out)
    assert count == len(out.read_text().splitlines()) > 0 and not partial_path(out).exists()
