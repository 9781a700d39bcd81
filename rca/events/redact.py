"""Secrets that logs leak (keys, tokens, passwords, private keys), masked in every output; with `pii`,
also e-mail addresses, IP addresses and user ids, for reports pasted into public issues.

Redact a whole text before cutting it: a cut can split a secret into pieces that no pattern knows.
A private key block whose END was cut off anyway is still masked, to the end of its field.
"""

from __future__ import annotations

import re
from functools import lru_cache

REDACTED = "[REDACTED]"

# Names whose value is a secret: *_KEY, *_SECRET, *_PASSWORD, *_TOKEN and friends. The name is
# matched by its end, whatever comes before: `\b` cannot mark where a name starts, since `_` is a
# word character (`\bpassword` never matched inside DB_PASSWORD or aws_secret_access_key).
SECRET_NAME = (r"(?:password|passwd|passphrase|pwd|secret|token|api[_-]?key|[_-]key|private[_-]?key[_-]?id"
               r"|credentials?|session[_-]?id|authorization|auth)")
# Query parameter names that say secret: whole words that are only ever secrets in a URL, and names
# ending in one after `_` or `-` (`access_token`, `X-Goog-Signature`, `X-Amz-Credential`).
QUERY_NAME = (r"(?:key|apikey|code|sig|signature|token|jwt|auth|session|sessionid|assertion|secret|password"
              r"|(?:[\w-]*[_-])?(?:key|token|secret|signature|sig|credential|password|passwd|pwd|assertion))")
QUERY_NEEDLES = ("key", "code", "sig", "token", "jwt", "auth", "session", "assertion", "secret", "credential",
                 "pass", "pwd")
# `=` or `:`, with the quotes around it of JSON, YAML, env files, JSON escaped inside a string, or
# HTML-escaped text (a redaction that comes after escaping must still work).
QUOTE = r"""(?:\\?["']|&quot;|&#x27;|&#39;)"""
SEPARATOR = QUOTE + r"""?[ \t]*[=:][ \t]*"""
# A quoted value runs to its quote (an entity-quoted one to the next `&` or tag); a bare one to a
# space, quote or list separator.
VALUE = (r"""(?:(\\?["'])[^"'\\\r\n]+|(&quot;|&#x27;|&#39;)[^&"'<\r\n]+"""
         r"""|(?!\[REDACTED|(?i:bearer|basic)\b)[^\s"'\\&,;<>]{2,})""")

# (needles, pattern, replacement): see `redact`.
SECRETS = (
    # Private keys (PEM, OpenSSH, PGP), whole or cut short: with no END, up to the end of the field
    # (a quote, or the `<` or `&` that ends text in HTML; base64 has none of them).
    (("-----begin",), re.compile(r"-----BEGIN[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----"
                                 r"(?:.*?-----END[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----|[^\"<&]*)", re.S), REDACTED),
    # Whole JWTs (header.payload.signature; the signature may be empty).
    (("eyj",), re.compile(r"\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*"), REDACTED),
    (("bearer",), re.compile(r"(?i)\b(bearer)\s+[A-Za-z0-9._~+/=-]{8,}"), r"\1 " + REDACTED),
    # HTTP basic auth: base64 of user:password (a word such as "Basic setup" has no digit, capital or =).
    (("basic",), re.compile(r"\b((?i:basic))\s+(?=[A-Za-z0-9+/]*[0-9A-Z+/=])[A-Za-z0-9+/]{8,}={0,2}"),
     r"\1 " + REDACTED),
    # Passwords in URLs and DSNs: scheme://user:password@host. A password may hold any character but
    # a space or `"` (`/` and `@` included, as DSNs written by hand do), so it runs to the last `@`
    # that a host name follows; at most 256 characters, which keeps the search linear. A port and a
    # path (`host:443/users/bob@example.com`) is no password. Anchored on the literal `://`: a scheme
    # pattern before it made the search quadratic on "a.a.a…".
    (("://",), re.compile(r"(://[^:/\s@\"']*:)(?!\d{1,5}/)[^\s\"]{1,256}@"
                          r"(?=[A-Za-z0-9._-]{0,253}(?:[:/?#\s\"',;)\]]|$)|\[)"), r"\1" + REDACTED + "@"),
    # Query parameters whose name says secret (`?key=`, `&sig=`, `X-Goog-Signature=`, OAuth's `code`),
    # plain or URL-encoded (`%26sig%3D…`, `%3Fkey%3D…`), and after `&amp;` in HTML-escaped text.
    (QUERY_NEEDLES, re.compile(r"(?i)((?:[?&;#]|%(?:25)?(?:3F|26))" + QUERY_NAME + r"(?:=|%(?:25)?3D))"
                               r"(?!\[REDACTED\])(?:(?!%(?:25)?26)[^&\s\"'#<>,;\\])+"), r"\1" + REDACTED),
    # AWS access key ids
    (("akia", "asia", "agpa", "aida", "aroa", "anpa"), re.compile(r"\b(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA)[0-9A-Z]{16}\b"),
     REDACTED),
    # Google: OAuth access tokens (ya29.c.… has dots too), refresh tokens, API keys, OAuth client secrets
    (("ya29.",), re.compile(r"\bya29\.[0-9A-Za-z_.-]{20,}"), REDACTED),
    (("1//0",), re.compile(r"\b1//0[0-9A-Za-z_-]{20,}"), REDACTED),
    (("aiza",), re.compile(r"\bAIza[0-9A-Za-z_-]{35}(?![0-9A-Za-z_-])"), REDACTED),
    (("gocspx-",), re.compile(r"\bGOCSPX-[0-9A-Za-z_-]{20,}"), REDACTED),
    # GitHub tokens, classic and fine-grained
    (("ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"),
     re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,})"), REDACTED),
    # Slack tokens and webhooks
    (("xox",), re.compile(r"\bxox[abposrce]-[A-Za-z0-9-]{10,}"), REDACTED),
    (("hooks.slack.com",), re.compile(r"(hooks\.slack\.com/services/)[A-Za-z0-9/]+"), r"\1" + REDACTED),
    # OpenAI and Stripe style keys
    (("sk-", "pk-", "rk-"), re.compile(r"\b(?:sk|pk|rk)-(?:live-|test-|proj-)?[A-Za-z0-9_-]{20,}"), REDACTED),
    (("_live_", "_test_"), re.compile(r"\b(?:sk|pk|rk)_(?:live|test)_[A-Za-z0-9]{16,}"), REDACTED),
    # NAME=value, "name": "value", name: value, for every secret-looking name (last: the value may
    # already be masked by a shape above; `Authorization: Bearer …` keeps its scheme word).
    (("pass", "pwd", "secret", "token", "key", "credential", "session", "auth"),
     re.compile(r"(?i)(" + SECRET_NAME + SEPARATOR + r")" + VALUE), r"\1\2\3" + REDACTED),
)

# Personal data, masked only on request (`pii=True`).
IPV4 = r"(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
HEX = r"[0-9A-Fa-f]{1,4}"
IPV6 = (rf"(?:(?:{HEX}:){{7}}{HEX}"  # full
        rf"|(?=[0-9A-Fa-f:]*[0-9A-Fa-f])(?:{HEX}(?::{HEX}){{0,6}})?::(?:{HEX}(?::{HEX}){{0,6}})?)"  # compressed
        rf"(?::{IPV4}|(?<=:){IPV4})?")
USER_NAME = (r"(?:user[_-]?id|userid|user[_-]?name|username|user|uid|login|account[_-]?id|customer[_-]?id"
             r"|principal[_-]?email|principal[_-]?subject)")
PII = (
    (("@",), re.compile(r"(?<![\w.+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b"),
     "[EMAIL]"),
    ((":",), re.compile(rf"(?<![\w:.])(?:{IPV6})(?![\w:])"), "[IP]"),
    ((".",), re.compile(rf"(?<![\w.]){IPV4}(?!\.?\d)"), "[IP]"),
    (("user", "uid", "login", "account", "customer", "principal"),
     re.compile(r"(?i)\b(" + USER_NAME + SEPARATOR + r")" + VALUE), r"\1\2\3[USER]"),
)


def _needles(patterns) -> tuple[str, ...]:
    return tuple(sorted({needle for group, _, _ in patterns for needle in group}))


def _any_needle(needles: tuple[str, ...]) -> re.Pattern:
    """A search for any of the needles, written as a tree of their letters (`a(?:uth|kia|…)`): the
    regex engine then tries one branch where a needle may begin, not each needle (~2x faster)."""
    return re.compile(_letter_tree(needles))


def _letter_tree(words) -> str:
    if "" in words:  # a word ends here, and longer ones go on: the rest is optional
        rest = [word for word in words if word]
        return f"(?:{_letter_tree(rest)})?" if rest else ""
    following: dict[str, list[str]] = {}
    for word in words:
        following.setdefault(word[0], []).append(word[1:])
    branches = [re.escape(first) + _letter_tree(sorted(rest)) for first, rest in sorted(following.items())]
    return branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"


def _pattern_kind(needles: frozenset[str], pattern: re.Pattern) -> str:
    if needles in (frozenset({"bearer"}), frozenset({"basic"})):
        return next(iter(needles))
    if pattern.pattern.startswith("(://"):
        return "url"
    if QUERY_NAME in pattern.pattern:
        return "query"
    return "name" if SEPARATOR in pattern.pattern else "needles"


def _characters_needed(pattern: re.Pattern) -> tuple[str, ...]:
    """Strings of which a pattern's every match holds one: a text without any is not searched. A
    password in a URL has its `@`; a query parameter its `=` or its encoded `%3D`; a secret name its
    `=` or `:` (SEPARATOR)."""
    needed = {"url": ("@",), "query": ("=", "%"), "name": ("=", ":")}
    return needed.get(_pattern_kind(frozenset(), pattern), ())


# A secret's name and separator (SECRET_NAME + SEPARATOR) as they read backwards in lowercased text.
# Searched from the `=` or `:` that must end them, this finds in an ASCII text whether the NAME=value
# pattern can match ~3x faster than the case-blind pattern finds that it does not (the names begin
# with common letters; `=` and `:` are few): most texts holding `key` or `token` and a `:` hold no
# secret name before it (`KeyError: …`).
NAME_BACKWARDS = re.compile(
    r"""[=:][ \t]*(?:["']\\?|;touq&|;72x#&|;93#&)?"""
    r"(?:drowssap|dwssap|esarhpssap|dwp|terces|nekot|yek(?:[_-]?ipa|[_-])|di[_-]?yek[_-]?etavirp|s?laitnederc"
    r"|di[_-]?noisses|noitazirohtua|htua)")


# One search for every needle at once: most strings in a report hold none and are passed over whole.
EACH_SECRET_NEEDLE = _needles(SECRETS)
EACH_NEEDLE = _needles(SECRETS + PII)
SECRET_NEEDLES, ALL_NEEDLES = _any_needle(EACH_SECRET_NEEDLE), _any_needle(EACH_NEEDLE)
# (needles, pattern, replacement, strings one of which it needs, what an ASCII text read backwards
# must hold or None), the patterns in their order
SECRET_RULES = tuple((frozenset(needles), pattern, replacement, _characters_needed(pattern),
                      NAME_BACKWARDS if _pattern_kind(frozenset(needles), pattern) == "name" else None)
                     for needles, pattern, replacement in SECRETS)
ALL_RULES = SECRET_RULES + tuple((frozenset(needles), pattern, replacement, _characters_needed(pattern), None)
                                 for needles, pattern, replacement in PII)


# Stamps, hex ids, numbers: no secret needle can occur in a string of only these characters (each
# needle holds a letter past `f`, `/` or `_`), tested ~4x faster than searching it for the needles.
PLAIN = re.compile(r"[0-9A-Fa-f:.TZ+ -]*")


def redact(text: str, pii: bool = False) -> str:
    """`text` with every secret masked, and with `pii` every e-mail address, IP address and user id.
    Each pattern is tried only where one of its needles (lowercase words it cannot match without)
    occurs, and one of the characters it needs: most log text holds none, and a substring test is
    far cheaper than a regex search. The characters are looked for in the text as the patterns
    before left it, which is the text the pattern searches."""
    if not pii and PLAIN.fullmatch(text):
        return text
    lowered = text.lower()
    if not (ALL_NEEDLES if pii else SECRET_NEEDLES).search(lowered):
        return text
    present = {needle for needle in (EACH_NEEDLE if pii else EACH_SECRET_NEEDLE) if needle in lowered}
    for needles, pattern, replacement, needed, backwards in ALL_RULES if pii else SECRET_RULES:
        if not needles.isdisjoint(present) and (not needed or any(part in text for part in needed)):
            if backwards is not None and text.isascii() and not backwards.search(text.lower()[::-1]):
                continue  # on ASCII text, (?i) matches where the lowercase does: not here
            text = pattern.sub(replacement, text)
    return text


MEMO_CHARS = 1024  # strings remembered by redact_tree are at most this long, so that its memory stays small
SECRET_KEY = re.compile(SECRET_NAME + r"$", re.I)


@lru_cache(maxsize=1 << 12)  # a report's dicts repeat a few dozen keys; each event's records repeat theirs
def names_secret(key: str) -> bool:
    """A key named like a secret (`password`, `DB_TOKEN`): its string value is masked whole."""
    return SECRET_KEY.search(key) is not None


def redact_tree(value, pii: bool = False, done: dict[str, str] | None = None):
    """Every string in a JSON-like tree, redacted; the string value of a key named like a secret
    ({"password": "…"}) is masked whole, as its name is not in the string to tell. A report repeats
    its strings (a group's label in every incident that rules it out): each distinct one is redacted
    once, remembered in `done` (pass one dict to share it between trees)."""
    return _redact_tree(value, pii, {} if done is None else done)


# Values that hold no string: returned as they are, without a call. Exact types (a hash lookup of
# the type); a subclass takes the long way, through the isinstance tests of `_redact_tree`.
_SCALARS = frozenset({int, float, bool, type(None)})


def _redact_tree(value, pii: bool, done: dict[str, str]):
    if isinstance(value, str):
        return _redact_string(value, pii, done)
    if isinstance(value, dict):
        return _redact_dict(value, pii, done)
    if isinstance(value, (list, tuple)):
        return _redact_list(value, pii, done)
    return value


def _redact_string(value: str, pii: bool, done: dict[str, str]) -> str:
    if len(value) > MEMO_CHARS:
        return redact(value, pii)  # a long text (a traceback) is seldom repeated: not worth keeping
    known = done.get(value)
    if known is None:
        known = done[value] = redact(value, pii)
    return known


# The walks below are what a report's every value passes through (an event stream's 1.2M values on
# the 200k flood): a string already in `done` and a number are taken inline, without a call each.
def _redact_list(value, pii: bool, done: dict[str, str]) -> list:
    get, scalars = done.get, _SCALARS
    return [(get(item) or _redact_string(item, pii, done)) if type(item) is str
            else item if type(item) in scalars else _redact_tree(item, pii, done) for item in value]


def _redact_dict(value: dict, pii: bool, done: dict[str, str]) -> dict:
    if _any_secret_name(tuple(value)):
        return {key: REDACTED if isinstance(item, str) and isinstance(key, str) and names_secret(key)
                else _redact_tree(item, pii, done) for key, item in value.items()}
    get, scalars = done.get, _SCALARS
    return {key: (get(item) or _redact_string(item, pii, done)) if type(item) is str
            else item if type(item) in scalars else _redact_tree(item, pii, done) for key, item in value.items()}


@lru_cache(maxsize=1 << 12)  # the dicts of a report and of an event stream have a few shapes, repeated
def _any_secret_name(keys: tuple) -> bool:
    return any(isinstance(key, str) and names_secret(key) for key in keys)


MEMO_STRINGS = 20_000  # strings a scrubber remembers at most: a flood's texts do not pile up


def scrubber(redacted: bool = True, pii: bool = False):
    """The one redaction of an output, decided where the output is written (every report format, the
    event streams, the webhook, the summary line on stderr): a function that masks every string of a
    JSON-like tree or a text (redact_tree), remembering the strings it saw (at most MEMO_STRINGS, each
    at most MEMO_CHARS long); with `redacted` False, the identity (--no-redact)."""
    if not redacted:
        return unchanged
    done: dict[str, str] = {}  # strings repeat from event to event (services, frames, messages)

    def scrub(value):
        if len(done) > MEMO_STRINGS:
            done.clear()
        return redact_tree(value, pii, done)

    return scrub


def unchanged(value):
    """The scrub of an output written unredacted (--no-redact), and every scrub's default."""
    return value


def cut_between_words(text: str, limit: int) -> str:
    """`text` cut to at most `limit` characters at its last whitespace, for a text kept cut before any
    output redacts it (a group's label, a sample): a token cut in two is one no pattern knows (a URL's
    password without its `@`), so a secret is kept whole or left out. A text with no whitespace that
    early is cut where the limit falls."""
    if len(text) <= limit:
        return text
    space = max(text.rfind(blank, 0, limit + 1) for blank in " \n\t")
    return text[:space].rstrip() if space > 0 else text[:limit]
