"""A Cloud Storage server that fails mid-read, for the bounded-wait tests: a proxy in front of the
local storage emulator that passes every request through, except the download of an object whose
name holds `target` from byte `start` on (a ranged request from there, as a reader asks for its
second block), for which it sends the headers and the first `sent` bytes of the body and then
either falls silent (`stall`: the connection stays open, nothing more comes) or drops the connection
(`die`). Listing, metadata and earlier blocks pass, so the failure comes mid-read, as it would from a
real bucket.
"""

from __future__ import annotations

import http.client
import time
from http.server import BaseHTTPRequestHandler
from urllib.parse import unquote, urlsplit

from local_server import LocalServer


class FaultyStorage(LocalServer):
    def __init__(self, upstream: str, target: str, mode: str, start: int = 0, sent: int = 200):
        assert mode in ("stall", "die")
        self.upstream = urlsplit(upstream)
        self.target, self.mode, self.start, self.sent = target, mode, start, sent
        self.downloads = 0  # downloads of the target that were cut
        super().__init__(type("Handler", (_Handler,), {"storage": self}))


class _Handler(BaseHTTPRequestHandler):
    storage: FaultyStorage
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):  # keep test output quiet
        pass

    def do_GET(self):
        self._forward("GET")

    def do_POST(self):
        self._forward("POST")

    def do_PUT(self):
        self._forward("PUT")

    def do_DELETE(self):
        self._forward("DELETE")

    def _forward(self, method: str) -> None:
        storage = self.storage
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        upstream = http.client.HTTPConnection(storage.upstream.hostname, storage.upstream.port, timeout=30)
        headers = {key: value for key, value in self.headers.items() if key.lower() not in ("host", "connection")}
        upstream.request(method, self.path, body=body or None, headers=headers)
        answer = upstream.getresponse()
        data = answer.read()
        upstream.close()
        cut = (method == "GET" and "alt=media" in self.path and storage.target in unquote(self.path)
               and _range_start(self.headers.get("Range")) >= storage.start)
        self.send_response(answer.status)
        for key, value in answer.getheaders():
            if key.lower() not in ("content-length", "transfer-encoding", "connection"):
                self.send_header(key, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if not cut:
            self.wfile.write(data)
            return
        storage.downloads += 1
        self.wfile.write(data[:storage.sent])
        self.wfile.flush()
        if storage.mode == "stall":
            storage.released.wait()  # silent, the connection open, until the test ends
        self.close_connection = True


def _range_start(header: str | None) -> int:
    """The first byte a `Range: bytes=FIRST-LAST` header asks for; 0 without one."""
    if not header or not header.startswith("bytes="):
        return 0
    first = header[len("bytes="):].split("-", 1)[0]
    return int(first) if first.isdigit() else 0


def run_through(proxy: FaultyStorage, monkeypatch, *args: str):
    """`rca ARGS` with the storage emulator behind `proxy`; the finished run and its seconds."""
    from conftest import run_rca

    monkeypatch.setenv("STORAGE_EMULATOR_HOST", proxy.address)
    started = time.monotonic()
    done = run_rca(*args)
    return done, time.monotonic() - started


def assert_one_cut_and_partial(done, stats: dict, whole_records: int, url: str) -> str:
    """A run cut by the proxy: exit 2, no library traceback, one error line naming the object `url`,
    and `stats` (the JSON report's) saying the report is partial, with the records of the blocks
    read before the cut. Returns the error line."""
    from rca.ingest import CUT_SHORT

    stderr = done.stderr.decode()
    errors = [line for line in stderr.splitlines() if line.startswith("rca: error:")]
    assert done.returncode == 2, stderr
    assert "Traceback" not in stderr and "gcsfs" not in stderr and "aiohttp" not in stderr, stderr
    assert len(errors) == 1 and errors[0].startswith(f"rca: error: {url}: "), stderr
    assert stats["notes"].get(CUT_SHORT) == 1
    assert stats["errors"] == [errors[0].removeprefix("rca: error: ")]
    assert 0 < stats["records"] < whole_records  # the first block's records, no more
    assert "this report is partial" in stderr  # the summary line
    return errors[0]
