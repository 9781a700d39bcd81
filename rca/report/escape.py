"""Log text inside Markdown and HTML reports: shown as text, never run as markup.

A log line can hold `<script>`, `<img src=x onerror=…>`, a Markdown image that loads a tracking
pixel, a `|` that breaks a table row, or three backticks that close a code fence. Each function fits
one place in a report. None of them redacts: redact the whole text first, then escape; a `limit`
cuts the text before it is escaped, so that a cut never splits an escape (`&am`).
"""

from __future__ import annotations

import html
import re

# Markdown punctuation that can start markup inline: emphasis, code, links and images, tables,
# strikethrough, and the backslash itself. (`<`, `>` and `&` become HTML entities instead.)
MARKDOWN_PUNCTUATION = re.compile(r"([\\`*_\[\]|!~])")
NEWLINES = re.compile(r"\r\n|\r|\n")
BACKTICKS = re.compile(r"`+")


def md_text(text: str, limit: int | None = None) -> str:
    """One line of plain text in Markdown: a heading, a list item or a table cell."""
    one_line = NEWLINES.sub(" ", _cut(str(text), limit))
    return MARKDOWN_PUNCTUATION.sub(r"\\\1", html.escape(one_line, quote=False))


def md_code(text: str, limit: int | None = None, in_table: bool = False) -> str:
    """One line of text as an inline code span. Code spans show HTML as it is written, but a table
    splits its row at every `|`, even inside one, so `in_table` escapes them (GitHub then shows `|`)."""
    one_line = NEWLINES.sub(" ", _cut(str(text), limit))
    if in_table:
        one_line = one_line.replace("|", "\\|")
    fence = "`" * (_longest_backticks(one_line) + 1)
    pad = " " if one_line.startswith("`") or one_line.endswith("`") or not one_line.strip() else ""
    return f"{fence}{pad}{one_line}{pad}{fence}"


def md_fence(text: str, info: str = "text", indent: str = "") -> list[str]:
    """The lines of a fenced code block holding `text`, with a fence longer than any run of
    backticks inside it, so that the text cannot close it early. `indent` nests it in a list item."""
    fence = "`" * max(3, _longest_backticks(text) + 1)
    body = NEWLINES.split(str(text))
    return [f"{indent}{fence}{info}", *(f"{indent}{line}" if line else line for line in body), f"{indent}{fence}"]


def html_text(text: str, limit: int | None = None) -> str:
    """Text inside HTML, such as a Markdown report's `<details><summary>`: every tag shown, none run."""
    return html.escape(_cut(str(text), limit), quote=True)


# Characters a terminal acts on rather than shows: C0 controls but tab and newline (ESC starts CSI
# sequences and OSC 52, which writes the clipboard; BEL ends an OSC), a carriage return that is not
# part of CRLF (it overwrites the line), DEL, the C1 controls (U+009B is a one-character CSI), and the
# bidirectional overrides and isolates that reorder what is shown (Trojan Source).
CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]|\r(?!\n)")
# The same characters in UTF-8, less those JSON escapes itself (orjson writes every C0 control as \uXXXX).
JSON_CONTROLS = re.compile(b"\x7f|\xc2[\x80-\x9f]|\xe2\x80[\x8e\x8f\xaa-\xae]|\xe2\x81[\xa6-\xa9]")


def printable(text: str) -> str:
    """`text` with every control character shown as its escape (`\\x1b`, `\\r`, `\\u202e`) instead of
    acted on: for whatever reaches a terminal or a file, applied last, once the text is rendered."""
    return CONTROLS.sub(_shown, text) if CONTROLS.search(text) else text


def json_printable(data: bytes) -> bytes:
    """JSON text with the control characters that JSON leaves raw (DEL, C1, bidi) written as `\\uXXXX`
    escapes: the same document once parsed, but nothing a terminal acts on when it is printed."""
    if not JSON_CONTROLS.search(data):
        return data
    return JSON_CONTROLS.sub(lambda found: f"\\u{ord(found.group().decode()):04x}".encode(), data)


def _shown(found: re.Match) -> str:
    return repr(found.group())[1:-1]


def _cut(text: str, limit: int | None) -> str:
    return text if limit is None or len(text) <= limit else text[: max(limit - 1, 0)] + "…"


def _longest_backticks(text: str) -> int:
    return max((len(run) for run in BACKTICKS.findall(text)), default=0)
