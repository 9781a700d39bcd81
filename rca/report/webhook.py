"""Posting `rca watch` events to a chat webhook (Slack's and Google Chat's incoming webhooks read the
`text` field of a JSON body; the rest of the event rides along for other receivers).

A webhook that fails never stops the watch: each post has a time-out and a few tries with back-off,
and a post that still fails is reported to `on_failure` (one line) and dropped — the event itself
is already on standard output and in --out.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable

TIMEOUT_SECONDS = 5.0
ATTEMPTS = 3
BACKOFF_SECONDS = 1.0  # before the second try; doubled before each next


class Webhook:
    def __init__(self, url: str, on_failure: Callable[[str], None], *, timeout: float = TIMEOUT_SECONDS,
                 attempts: int = ATTEMPTS, sleep: Callable[[float], None] = time.sleep):
        if not url.startswith(("http://", "https://")):
            raise ValueError(f"{url!r} is not an http(s) URL")
        self.url, self.on_failure, self.timeout, self.attempts, self.sleep = url, on_failure, timeout, attempts, sleep

    def post(self, event: dict) -> bool:
        """Send one event; True when the receiver accepted it (2xx)."""
        body = json.dumps(event).encode()
        problem = ""
        for attempt in range(self.attempts):
            if attempt:
                self.sleep(BACKOFF_SECONDS * 2 ** (attempt - 1))
            try:
                request = urllib.request.Request(self.url, data=body, method="POST",
                                                 headers={"Content-Type": "application/json; charset=UTF-8"})
                with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310 - the user's URL
                    response.read()
                return True
            except urllib.error.HTTPError as error:
                problem = f"HTTP {error.code} {error.reason}"
                if 400 <= error.code < 500 and error.code not in (408, 429):
                    break  # the receiver refused this body: asking again will not help
            except (urllib.error.URLError, OSError) as error:
                problem = str(getattr(error, "reason", None) or error)
        self.on_failure(f"rca: warning: --notify {self.url}: {event.get('event')} {event.get('id')} not delivered "
                        f"({problem}); the watch goes on")
        return False
