"""The one error type a user sees: a problem they can fix, said in one line.

Every stage raises a subclass of `RcaError` for bad input, bad rules, a bad model or corpus, or a
pull that stopped; the CLI has one handler that prints `rca: error: …` and exits with `exit_code`.
It lives at the bottom of the import graph so that every stage can raise it.
"""

from __future__ import annotations


class RcaError(Exception):
    """A problem the user can fix; its message is the whole story, one line."""

    exit_code = 2
