"""Issue 29, item 13: a cached scorer whose numbers do not fit together (a wrong-shaped array, an index
past its block, a value that is not a number) is rebuilt from the cached model with a one-line note,
never an IndexError when the first event is scored; the rebuilt one is then read as before."""

import io
import json
import shutil
import zipfile

import numpy as np
import pytest
from conftest import INCIDENT, run_rca

from rca.classify.model import default_model, default_model_path, scorer_path

TEXT = "redis.exceptions.ConnectionError: Error 111 connecting to localhost:6379. Connection refused."


@pytest.fixture
def cache(tmp_path, monkeypatch):
    """A copy of the session's cached default model and its scorer, in a cache of this test's own."""
    default_model()  # built once per session, in the session's cache
    model = default_model_path()
    monkeypatch.setenv("RCA_CACHE_DIR", str(tmp_path))
    shutil.copy(model, tmp_path / model.name)
    shutil.copy(scorer_path(model), tmp_path / scorer_path(model).name)
    return tmp_path / scorer_path(model).name


def rewrite(path, change) -> None:
    """The scorer archive at `path` with `change(arrays, meta)` applied, saved as rca saves it."""
    with np.load(path, allow_pickle=False) as archive:
        arrays = {name: archive[name] for name in archive.files}
    meta = json.loads(arrays["meta"].tobytes())
    change(arrays, meta)
    arrays["meta"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
    with open(path, "wb") as handle:
        np.savez(handle, **arrays)


def shorter_idf(arrays, meta):
    arrays["idf0"] = arrays["idf0"][:100]


def narrower_coef(arrays, meta):
    arrays["coef"] = arrays["coef"][:, :-7]


def longer_intercept(arrays, meta):
    arrays["intercept"] = np.append(arrays["intercept"], 0.5)


def index_past_the_block(arrays, meta):
    vocabulary = meta["blocks"][0]["vocabulary"]
    vocabulary[next(iter(vocabulary))] = 10 ** 6


def not_a_number(arrays, meta):
    arrays["sigmoid_a"] = arrays["sigmoid_a"].copy()
    arrays["sigmoid_a"][0] = np.nan


def integers(arrays, meta):
    arrays["coef"] = arrays["coef"].astype(np.int64)


def classes_not_a_list(arrays, meta):
    meta["classes"] = 11


def blocks_not_tables(arrays, meta):
    meta["blocks"] = [["normalise_texts"]]


@pytest.mark.parametrize("change, reason", [
    (shorter_idf, "idf has the shape (100,)"), (narrower_coef, "coef has the shape"),
    (longer_intercept, "intercept has the shape"), (index_past_the_block, "a vocabulary whose indices"),
    (not_a_number, "sigmoid_a holds a value that is not a finite number"), (integers, "coef is not an array of numbers"),
    (classes_not_a_list, "no class names"), (blocks_not_tables, "unreadable (TypeError"),
])
def test_a_damaged_scorer_is_rebuilt_with_a_note(cache, capsys, change, reason):
    expected = default_model().top(TEXT)
    capsys.readouterr()
    rewrite(cache, change)
    model = default_model()
    note = capsys.readouterr().err
    assert note.startswith(f"rca: note: the cached classifier {cache} cannot be used (") and reason in note
    assert note.endswith("): rebuilding it\n") and note.count("\n") == 1
    assert same_answers(model.top(TEXT), expected)
    again = default_model()  # the rebuilt scorer is read, with no note
    assert type(again.pipeline).__name__ == "LinearScorer" and capsys.readouterr().err == ""
    assert same_answers(again.top(TEXT), expected)


def same_answers(top, expected) -> bool:
    return [name for name, _ in top] == [name for name, _ in expected] and \
        np.allclose([p for _, p in top], [p for _, p in expected], atol=1e-9)


def test_the_cli_rebuilds_a_damaged_scorer_instead_of_a_traceback(cache):
    before = run_rca("classify", str(INCIDENT / "logs.jsonl"), "--format", "jsonl")
    rewrite(cache, shorter_idf)
    result = run_rca("classify", str(INCIDENT / "logs.jsonl"), "--format", "jsonl")
    err = result.stderr.decode()
    assert result.returncode == 0 and "Traceback" not in err and "IndexError" not in err
    assert err.startswith(f"rca: note: the cached classifier {cache} cannot be used (idf has the shape (100,)")
    assert result.stdout == before.stdout


def test_a_scorer_that_is_not_an_archive_is_rebuilt_with_a_note(cache, capsys):
    cache.write_bytes(b"not an archive")
    default_model()
    err = capsys.readouterr().err
    assert "cannot be used (unreadable (" in err and err.count("\n") == 1
    assert zipfile.is_zipfile(io.BytesIO(cache.read_bytes()))
