"""The running part of the tests' local HTTP servers (the Logging API, the faulty storage proxy): a
server on a free port of 127.0.0.1, served from a thread while a `with` block runs. A handler that
holds a request (a server gone silent) waits on `released`, set on leaving, so that the block ends."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class LocalServer:
    def __init__(self, handler: type[BaseHTTPRequestHandler]):
        self.released = threading.Event()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)  # its request threads are daemons
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def address(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.released.set()
        self.httpd.shutdown()
        self.httpd.server_close()
