"""A traceback's head (issue 24): the lines that decide its root exception's type and frames, so that
grouping keys a flood's traceback texts, which differ in what was logged before them and in their
messages' ids, without parsing each. The head's parse must give the whole text's root, whatever the text."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from rca.events.tracebacks import CAUSE_LINE, CONTEXT_LINE, parse_traceback, root_head

LINES = [
    "Traceback (most recent call last):",
    "Traceback (most recent call last):  ",
    "Traceback (most recent call last): not a header",
    "Exception Group Traceback (most recent call last):",
    '  File "/app/main.py", line 12, in handler',
    '  File "/usr/lib/python3.12/site-packages/x.py", line 7, in <module>',
    '  File "/app/main.py", line 12',
    '  File "/app/a"b.py", line 3, in quoted',
    '    File "/app/deeper.py", line 4, in indented_four',
    '  File "/app/main.py", line x, in not_a_number',
    "    return compute(x)",
    "    ^^^^^^^^^^",
    "  [Previous line repeated 996 more times]",
    "  not a frame",
    "   three spaces",
    "   ",
    "\t tab",
    "",
    "ValueError: bad value 1842",
    "KeyError: 'DATABASE_URL'",
    "pkg.errors.Failed: a: b",
    "StopIteration",
    "Err:",
    "not an exception line",
    "request failed for user 8853",
    CAUSE_LINE,
    CONTEXT_LINE,
    "  + Exception Group Traceback (most recent call last):",
    "  | ValueError: inner",
    "  +-+---------------- 1 ----------------",
]
TEXTS = st.lists(st.tuples(st.sampled_from(LINES), st.sampled_from(["", "\r"])), min_size=1, max_size=12).map(
    lambda lines: "\n".join(line + end for line, end in lines)) | st.text(
        alphabet=st.sampled_from(list('TF "\n\r:|+ eilnr1.Ey')), max_size=60)


def root_facts(text: str) -> tuple | None:
    parsed = parse_traceback(text)
    if parsed is None or parsed.root is None:
        return None
    root = parsed.root
    return root.type, [(f.file, f.line, f.function, f.source) for f in root.frames]


@settings(max_examples=3000, deadline=None)
@given(TEXTS, st.sampled_from(["", "\n", "\n\n", "\nTypeError: later 77\n    more"]))
def test_a_heads_root_is_the_whole_texts_root(text, tail):
    text += tail
    head = root_head(text)
    if head is not None:
        assert root_facts(text) is not None
        assert root_facts(head) == root_facts(text)


def test_texts_that_differ_only_before_and_after_share_a_head():
    frames = ('Traceback (most recent call last):\n  File "/app/svc/api.py", line 40, in get\n'
              '    return load(key)\n  File "/app/svc/store.py", line 9, in load\n    raise KeyError(key)\n')
    heads = {root_head(f"request {n} failed\n{frames}KeyError: 'user_{n}'\nnote {n}") for n in range(50)}
    assert len(heads) == 1
    (head,) = heads
    assert "user_" not in head and "request" not in head and head.endswith("\nKeyError")


def test_a_chain_or_a_group_is_parsed_whole():
    chained = ('Traceback (most recent call last):\n  File "/app/a.py", line 1, in f\nKeyError: 1\n\n'
               f'{CAUSE_LINE}\n\nTraceback (most recent call last):\n  File "/app/a.py", line 3, in g\nValueError: 2')
    grouped = ('  + Exception Group Traceback (most recent call last):\n  |   File "/app/a.py", line 1, in f\n'
               '  | ExceptionGroup: two (1 sub-exception)\n  +-+---------------- 1 ----------------\n'
               '    | ValueError: x\n    +------------------------------------')
    assert root_head(chained) is None and root_head(grouped) is None
    assert root_head("no traceback here") is None
