"""The traceback parser: chains, groups, carets, frozen frames, cut-short text, arbitrary text."""

from conftest import FIXTURES
from hypothesis import given, settings
from hypothesis import strategies as st

from rca import parse_traceback

SAMPLES = FIXTURES / "tracebacks"


def parse(name):
    return parse_traceback((SAMPLES / name).read_text())


def test_context_chain_keeps_order_and_relation():
    chain = parse("chained-context.txt").exceptions
    assert [(e.type, e.relation) for e in chain] == [("KeyError", None), ("RuntimeError", "context")]
    assert chain[0].message == "'DATABASE_URL'"
    assert chain[0].frames[-1].file == "<frozen os>"
    assert chain[1].frames[-1].source == 'raise RuntimeError("DATABASE_URL is not set")'


def test_exception_group_members():
    group = parse("exception-group.txt")
    assert [(e.type, e.relation) for e in group.exceptions] == [
        ("ExceptionGroup", None), ("ConnectionError", "group-member"), ("TimeoutError", "group-member")]
    assert group.exceptions[0].frames[0].function == "main"
    assert group.exceptions[2].message == "ledger timed out after 30s"
    assert not group.truncated


def test_syntax_error_frame_without_function_and_caret_skipped():
    error = parse("syntax-error.txt").last
    assert error.type == "SyntaxError" and error.message == "'(' was never closed"
    assert (error.frames[-1].line, error.frames[-1].function) == (42, None)
    assert error.frames[-1].source == "def create_order(request:"


def test_cut_short_traceback_is_flagged_and_kept():
    cut = parse("truncated.txt")
    assert cut.truncated
    assert cut.last.type == "<truncated>" and cut.last.frames[-1].source == "import stripe"


def test_multiline_message_is_kept_whole():
    error = parse("multiline-message.txt").last
    assert error.type == "pydantic_core._pydantic_core.ValidationError"
    assert error.message.split("\n") == [  # indentation kept: it is part of str(exc)
        "1 validation error for Settings", "redis_url", "  Field required [type=missing, input_value={}, input_type=dict]"]


def test_frozen_importlib_frames_are_frames():
    text = (FIXTURES / "formats" / "pasted-traceback.txt").read_text()
    frames = parse_traceback(text).root.frames
    frozen = [f for f in frames if f.file.startswith("<frozen importlib")]
    assert len(frozen) == 6 and all(f.source is None for f in frozen)


def test_text_without_a_traceback_is_none():
    assert parse_traceback("INFO all good\nnothing to see") is None


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_parser_never_raises_on_arbitrary_text(text):
    result = parse_traceback(text)
    assert result is None or isinstance(result.exceptions, list)


traceback_lines = st.sampled_from([
    "Traceback (most recent call last):", '  File "/app/x.py", line 3, in f', "    f()", "    ^^^",
    "ValueError: bad", "KeyError", "", "The above exception was the direct cause of the following exception:",
    "During handling of the above exception, another exception occurred:", "  | ExceptionGroup: eg (1 sub-exception)",
    "  +-+---------------- 1 ----------------", "    | Traceback (most recent call last):", "random words: here",
])


@settings(max_examples=300, deadline=None)
@given(st.lists(traceback_lines, max_size=40))
def test_parser_never_raises_on_traceback_like_text(lines):
    result = parse_traceback("\n".join(lines))
    if result is not None:
        assert all(e.type for e in result.exceptions)


FRAMES = 'Traceback (most recent call last):\n  File "/app/a.py", line 3, in f\n    g()\n'


def test_any_class_name_after_the_frames_is_the_type_and_only_there():
    assert parse_traceback(FRAMES + "Abort").last.type == "Abort"
    assert parse_traceback(FRAMES + "app.case.\u00c4rgerError: kaputt").last.type == "app.case.\u00c4rgerError"
    cut = parse_traceback(FRAMES + "listening on port 8080")
    assert cut.truncated and cut.last.type == "<truncated>"
    logged = parse_traceback("request failed for user 7\n" + FRAMES + "KeyError: 'x'")
    assert [e.type for e in logged.exceptions] == ["KeyError"]


def test_only_real_line_breaks_split_a_message():
    message = "a\u2028b\x0cc\x85d"
    assert parse_traceback(FRAMES + "ValueError: " + message + "\r\nnext line").last.message == message + "\nnext line"


def test_traceback_shaped_text_after_an_exception_line_is_its_message():
    text = FRAMES + "RuntimeError: worker failed:\n" + FRAMES + "KeyError: 'x'"
    (error,) = parse_traceback(text).exceptions
    assert error.type == "RuntimeError" and error.message.endswith("KeyError: 'x'")


def test_a_cause_printed_without_a_header_is_kept():
    text = ("2025-09-12 14:20:03,123 ERROR app: failed\nValueError: bad rate\nsee config\n\n"
            "The above exception was the direct cause of the following exception:\n\n" + FRAMES + "RuntimeError: outer")
    chain = parse_traceback(text).exceptions
    assert [(e.type, e.message, e.relation) for e in chain] == [
        ("ValueError", "bad rate\nsee config", None), ("RuntimeError", "outer", "cause")]
    assert not parse_traceback(text).truncated
