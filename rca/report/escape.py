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


def _cut(text: str, limit: int | None) -> str:
    return text if limit is None or len(text) <= limit else text[: max(limit - 1, 0)] + "…"


def _longest_backticks(text: str) -> int:
    return max((len(run) for run in BACKTICKS.findall(text)), default=0)
