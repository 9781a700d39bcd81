"""Issue 24: `redact` finds the needles with one search over a tree of their letters, runs a pattern
only on a text holding a character every match of it needs, and the NAME=value pattern only where a
secret name and its separator read backwards are found; what it masks is unchanged."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from test_redact_walk import redact_pattern_by_pattern

from rca.events import redact as module
from rca.events.redact import ALL_NEEDLES, EACH_NEEDLE, EACH_SECRET_NEEDLE, SECRET_NEEDLES, redact

GATE_PIECES = sorted(EACH_NEEDLE) + [
    "@", "=", ":", "%", "%3D", "%253D", "%26", "%3F", "?", "&", "#", ";", "&amp;", "&quot;", "\\\"", "'", " ", "\t",
    "https://u:p@host/x", "db://user:pa ss@h", "?api_key=", "%3Fsig%253Dabc", "Password : hunter2", "token\t=\tx",
    "X-Goog-Signature=", "abcdefgh12", "K", "İ", "ſ", "API-KEY", "api_key", "Private_Key-Id", "SESSION-id", "pwd",
    "Credentials", "AUTHORIZATION", "&#39;", "&#x27;", "\\'", "KeyError: "]
texts = st.lists(st.sampled_from(GATE_PIECES) | st.text(max_size=4), max_size=10).map("".join)



@settings(max_examples=600, deadline=None)
@given(texts, st.booleans())
def test_the_gates_mask_what_every_pattern_masks(text, pii):
    assert redact(text, pii) == redact_pattern_by_pattern(text, pii)


@settings(max_examples=400, deadline=None)
@given(texts)
def test_the_tree_of_needles_finds_one_where_a_needle_is(text):
    lowered = text.lower()
    assert bool(SECRET_NEEDLES.search(lowered)) == any(needle in lowered for needle in EACH_SECRET_NEEDLE)
    assert bool(ALL_NEEDLES.search(lowered)) == any(needle in lowered for needle in EACH_NEEDLE)


class _Counting:
    """A pattern that counts the texts it is run on."""

    def __init__(self, pattern, runs: list):
        self.pattern, self.runs = pattern, runs

    def sub(self, replacement, text):
        self.runs.append(self.pattern.pattern)
        return self.pattern.sub(replacement, text)


def test_a_url_without_user_or_query_runs_no_pattern(monkeypatch):
    """A request's URL holds `://` and `auth`: with no `@`, `=` or `%`, the password-in-URL and the
    query patterns cannot match, and with no secret name before its `:`, the NAME=value one: none is run."""
    runs: list[str] = []
    counted = tuple((needles, _Counting(pattern, runs), replacement, needed, backwards)
                    for needles, pattern, replacement, needed, backwards in module.SECRET_RULES)
    monkeypatch.setattr(module, "SECRET_RULES", counted)
    url = "POST https://netra-auth.run.app/auth/validate 403"
    assert redact(url) == url
    assert runs == []
    assert redact("GET https://db.example/auth?token=abc123") == "GET https://db.example/auth?token=[REDACTED]"
    assert len(runs) == 2  # the query pattern and the secret-name pattern (`token=`); not the URL's password
