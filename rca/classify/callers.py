"""Two structures that say what a service's own code ran into, whatever tool printed them (issue 28, classify19):

- a **client's wording of the status it was answered**: .NET's HttpClient, axios, Java's HttpURLConnection,
  Guzzle, urllib and a client's `Error 429` print the status an API they called answered, each in words of its
  own. The status is then that dependency's answer (docs/CLASSES.md: a client's own wording is the dependency's
  answer), read by the `http:` table as an exception carrying it is, also when no exception type is printed.
- an **exception type named as a time limit**, in any runtime (`Rack::Timeout::RequestTimeoutException`,
  netty's `ConnectTimeoutException`, `ReadTimeout`, `DeadlineExceededError`): docs/CLASSES.md makes every time
  limit a timeout whatever library raised it, so a type the tables do not know is read by its name's last word.
  Only the type's own name counts: `timeout` in an argument, a config key or a message is not a type.
"""

from __future__ import annotations

import re

# Each alternative starts with a literal (see rca/classify/signals.py, Speed); the status is its only group.
# (`HTTP Error 503: …` as urllib words it; `Error 429:` as API clients word a throttled call.)
CLIENT_STATUS = re.compile(
    r"does not indicate success: ([1-5]\d\d)\b"  # .NET HttpClient.EnsureSuccessStatusCode
    r"|failed with status code ([1-5]\d\d)\b"  # axios (`Request failed with status code 503`)
    r"|returned HTTP response code: ([1-5]\d\d)\b"  # Java's HttpURLConnection (`Server returned …`)
    r"|resulted in a `([1-5]\d\d) "  # Guzzle (`Server error: `GET …` resulted in a `503 Service Unavailable` response`)
    r"|HTTP Error ([1-5]\d\d): "  # urllib's HTTPError and clients that copy its wording (IIS's own page has `503.0 -`)
    r"|Error (429)\b")
# the lower-cased literals without which CLIENT_STATUS cannot match: a text holding none is not searched
CLIENT_HINTS = ("does not indicate success: ", "failed with status code ", "returned http response code: ",
                "resulted in a `", "http error ", "error 429")

# The last word of a time limit's type: `…Timeout`, `…TimeoutError`, `…TimeoutException`, `…TimedOut…`,
# `…DeadlineExceeded…`; case-sensitive, so `Timeout` starts a CamelCase word of the name (not `Stimeout`)
TIME_LIMIT_TYPE = re.compile(r"(?:Timeout|TimedOut|DeadlineExceeded)(?:Error|Exception|Expired)?$")


def client_statuses(text: str, held: set[str]) -> list[int]:
    """The statuses the text's clients say they were answered; `held`: the lower-cased literals the text
    holds (rca.classify.signals.literals), so that most texts are not searched at all."""
    if held.isdisjoint(CLIENT_HINTS):
        return []
    return [int(next(group for group in match.groups() if group)) for match in CLIENT_STATUS.finditer(text)]


def names_a_time_limit(exception: str) -> bool:
    """Whether an exception type's own name says it is a time limit (its short name's last word)."""
    return TIME_LIMIT_TYPE.search(exception.rsplit(".", 1)[-1]) is not None
