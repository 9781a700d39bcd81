"""Issue 28, classify20: the shipped model learns from real excerpts (the real corpus and the spent fresh
batches, each file named), and `rca eval` never scores a row with a model that was fitted on its text."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest
from conftest import run_rca

from rca.classify import model
from rca.classify.evaluate import cross_validate, leak_free_model, without_rows_of
from rca.classify.rules import RuleSet

ROOT = Path(__file__).resolve().parents[2]
SEALED = {25, 26}  # the sealed sets the model is measured on: never trained on
NEWEST = 28


def _batch_number(name: str) -> int:
    return int(name.removeprefix("batch").removesuffix(".jsonl"))


def test_the_training_files_are_the_generated_corpus_the_real_corpus_and_the_spent_batches_only():
    files = dict.fromkeys(model.TRAINING_FILES)
    assert ("rca.corpus", "train.jsonl") in files and ("rca.realcorpus", "excerpts.jsonl") in files
    batches = sorted(_batch_number(name) for package, name in files if package == "rca.freshcorpus")
    assert batches == [number for number in range(2, NEWEST + 1) if number not in SEALED]
    assert set(model.SEALED_FRESH_BATCHES) == SEALED
    # the wheel ships exactly those fresh files, named one by one: a glob would ship a sealed batch
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    assert config["package-data"]["rca.freshcorpus"] == [name for _, name in files if _ == "rca.freshcorpus"]
    assert config["package-data"]["rca.realcorpus"] == ["excerpts.jsonl"]
    assert config["package-dir"]["rca.freshcorpus"] == "fixtures/fresh-corpus"


def test_every_real_row_is_a_training_row_once_and_weighs_more_than_a_generated_one():
    rows = model.training_rows()
    texts = {row["text"] for row in rows}
    real = [json.loads(line) for line in (ROOT / "fixtures/real-corpus/excerpts.jsonl").read_text().splitlines() if line]
    batch = [json.loads(line) for line in (ROOT / "fixtures/fresh-corpus/batch28.jsonl").read_text().splitlines() if line]
    assert all(row["text"] in texts for row in real + batch)
    real_rows = [row for row in rows if model.is_real(row)]
    assert len({row["text"] for row in real_rows}) == len(real_rows)  # a text two files hold is taken once
    weights = dict(zip((row["text"] for row in rows), model.sample_weights(rows)))
    assert weights[real[0]["text"]] == model.REAL_WEIGHT > 1.0
    assert min(model.sample_weights([{"text": "x", "label": "timeout", "library": "redis"}])) == 1.0


def test_a_changed_real_file_is_a_new_default_model(tmp_path, monkeypatch):
    """The cache key reads the real rows too: a real row added by another branch must retrain the model."""
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    for name in model.SPENT_FRESH_BATCHES:
        (fresh / name).write_bytes((ROOT / "fixtures/fresh-corpus" / name).read_bytes())
    shipped = model.shipped_dir
    monkeypatch.setattr(model, "shipped_dir", lambda package: fresh if package == "rca.freshcorpus" else shipped(package))
    before = model.default_model_path()
    with (fresh / "batch2.jsonl").open("a") as out:
        out.write(json.dumps({"text": "redis.exceptions.TimeoutError: Timeout reading from socket", "label": "timeout",
                              "repo": "o/r"}) + "\n")
    assert model.default_model_path() != before


class _RecordingFit:
    """A fit that remembers the texts each model was trained on, and models that remember what they scored."""

    def __init__(self):
        self.models: list[_RecordingModel] = []

    def __call__(self, training, rules):
        self.models.append(_RecordingModel({row["text"] for row in training}))
        return self.models[-1]


class _RecordingModel:
    classes = ["missing_import", "unknown"]
    threshold = 0.5

    def __init__(self, trained_on: set[str]):
        self.trained_on, self.scored = trained_on, set()

    def predict_proba(self, texts):
        import numpy as np

        self.scored |= set(texts)
        return np.tile([0.0, 1.0], (len(texts), 1))


def _rows(count: int, repo_of=lambda i: f"o/r{i % 7}") -> list[dict]:
    return [{"text": f"ModuleNotFoundError: No module named 'classify20_m{i}'", "label": "missing_import",
             "repo": repo_of(i)} for i in range(count)]


def test_no_row_of_the_evaluated_file_reaches_the_model_it_is_scored_by():
    from rca.classify.evaluate import evaluate

    rows = _rows(10)
    training = rows[:4] + [{"text": "KeyError: 'x'", "label": "unknown"}] * 3
    fit = _RecordingFit()
    scorer, note = leak_free_model(rows, RuleSet.load(), training, fit=fit, say=lambda line: None)
    evaluate(rows, "model", RuleSet.load(), scorer)
    assert scorer.scored == {row["text"] for row in rows} and not scorer.trained_on & scorer.scored
    assert scorer.trained_on == {"KeyError: 'x'"}
    assert "without the 4 whose text the evaluated file holds" in note


def test_cross_validation_never_trains_a_fold_on_its_own_texts():
    rows = _rows(14)
    rows[13]["text"] = rows[0]["text"]  # one text under two repositories: it must not leak across folds
    base = rows[:3] + [{"text": "KeyError: 'y'", "label": "unknown"}]
    fit = _RecordingFit()
    cross_validate(rows, base, RuleSet.load(), "repo", 5, methods=("model",), fit=fit)
    assert len(fit.models) == 5
    for scorer in fit.models:
        assert scorer.scored and not scorer.trained_on & scorer.scored
    assert without_rows_of(base, rows) == ([base[3]], 3)


def test_a_file_the_shipped_model_never_trained_on_is_scored_by_it():
    def no_fit(training, rules):
        raise AssertionError("refitted, though the shipped model holds none of these rows")

    rows = [{"text": "classify20: a text in no training file", "label": "unknown"}]
    scorer, note = leak_free_model(rows, RuleSet.load(), fit=no_fit, shipped=lambda: "the shipped model")
    assert scorer == "the shipped model" and note.startswith("model: the shipped model; none of its")


@pytest.fixture
def tiny_training(tmp_path) -> Path:
    rows = [{"text": f"ModuleNotFoundError: No module named 'classify20_t{i}'", "label": "missing_import"} for i in range(12)]
    rows += [{"text": f"TypeError: f() got an unexpected keyword argument 'k{i}'", "label": "unknown"} for i in range(12)]
    path = tmp_path / "train.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return path


def test_rca_eval_refits_without_the_files_rows_and_says_so(tmp_path, tiny_training):
    scored = tmp_path / "scored.jsonl"
    scored.write_text("".join(line + "\n" for line in tiny_training.read_text().splitlines()[:3]))
    result = run_rca("eval", str(scored), "--train", str(tiny_training), "--method", "model")
    out = result.stdout.decode()
    assert result.returncode == 0, result.stderr
    assert out.rstrip().splitlines()[-1] == "model: refitted on 21 training rows, without the 3 whose text the evaluated file holds"
    assert b"3 left out" in result.stderr
    shown = " ".join(run_rca("eval", "--help").stdout.decode().replace("│", " ").split())
    assert "refitted without any row whose text CORPUS holds" in shown and "No row is scored by a model fitted on its text" in shown


def test_rca_eval_with_an_unreadable_training_file_is_one_error(tmp_path):
    scored = tmp_path / "scored.jsonl"
    scored.write_text(json.dumps({"text": "KeyError: 'x'", "label": "unknown"}) + "\n")
    result = run_rca("eval", str(scored), "--train", str(tmp_path / "absent.jsonl"))
    assert result.returncode == 2 and result.stderr.decode().startswith("rca: error:") and b"Traceback" not in result.stderr


def test_rca_eval_refuses_to_both_refit_and_take_a_model_file(tmp_path, tiny_training):
    result = run_rca("eval", str(tiny_training), "--train", str(tiny_training), "--model", str(tmp_path / "m.skops"))
    assert result.returncode == 2 and result.stderr.decode().startswith("rca: error: --train refits the model")


def test_the_threshold_never_buys_recall_with_more_plain_bugs_given_a_cause_than_the_cap(monkeypatch):
    """Twenty timeouts the model is 0.6 sure of, and one plain bug in ten it is as sure is a timeout: the
    best macro-F1 takes the bug with the timeouts (10% of bugs given a cause); the cap refuses that."""
    import numpy as np

    labels = ["timeout"] * 20 + ["unknown"] * 10
    probabilities = np.array([[0.6, 0.4]] * 21 + [[0.01, 0.99]] * 9)  # columns: timeout, unknown
    claimed = [None] * len(labels)
    monkeypatch.setattr(model, "MAX_BUGS_GIVEN_A_CAUSE", 1.0)
    assert model.best_threshold(["timeout", "unknown"], labels, probabilities, claimed) <= 0.6
    monkeypatch.setattr(model, "MAX_BUGS_GIVEN_A_CAUSE", 0.025)
    assert model.best_threshold(["timeout", "unknown"], labels, probabilities, claimed) > 0.6
