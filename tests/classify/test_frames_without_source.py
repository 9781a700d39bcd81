"""A frame that shows no source line (`<string>`, `<frozen runpy>`, a .pyc-only module) is followed
directly by the next frame's `File "…"` line: that line is no source line, and the failing frame's own
source line still tells how the undefined name is used."""

from __future__ import annotations

import pytest

from rca import classify_text
from rca.classify.signals import parse

FRAMES = ['  File "<string>", line 1, in <module>\n', '  File "<frozen runpy>", line 88, in _run_code\n', ""]


@pytest.mark.parametrize("before", FRAMES, ids=["string", "frozen", "none"])
@pytest.mark.parametrize("name,use", [("yaml", "yaml.safe_load(f)"), ("boto3", "boto3.client('s3')")])
def test_a_module_used_but_not_imported_after_a_frame_without_source(before, name, use):
    text = (f'Traceback (most recent call last):\n{before}  File "/app/main.py", line 3, in <module>\n'
            f"    cfg = {use}\nNameError: name '{name}' is not defined")
    assert parse(text).used_as_module is True
    decided = classify_text(text, model=None)
    assert (decided.cls, decided.rule.id if decided.rule else None) == ("missing_import", "missing-import.name-used-as-module")


def test_a_status_in_the_failing_frames_code_is_still_left_out_after_such_a_frame():
    text = ('Traceback (most recent call last):\n  File "<string>", line 1, in <module>\n'
            '  File "/app/api.py", line 9, in get\n    raise HTTPException(status_code=503)\nTypeError: bad')
    assert parse(text).http == ()


def test_an_indented_exception_line_after_such_a_frame_is_not_its_source():
    # an excerpt pasted indented: the exception line follows the last frame, which shows no source
    text = ('   File "/venv/site-packages/requests/models.py", line 940, in raise_for_status\n'
            '   File "/venv/site-packages/client.py", line 130, in _execute_download\n'
            ' requests.exceptions.HTTPError: 404 Client Error: Not Found for url: https://example.com/x')
    assert parse(text).http == (404,)
