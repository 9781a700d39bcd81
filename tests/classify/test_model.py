"""The classifier: held-out (whole libraries) figures stay above the floor, persistence is safe,
and the CLI trains, evaluates and classifies with it."""

import json

import pytest
from conftest import run_rca

from rca.classify.classes import UNKNOWN
from rca.classify.evaluate import evaluate
from rca.classify.model import UntrustedModelError, default_model, load, read_corpus, save, shipped_corpus_dir, train
from rca.classify.rules import RuleSet

CORPUS = shipped_corpus_dir()
# Measured (hybrid 0.914 on cause classes, model alone 0.580 macro-F1), less a margin.
HYBRID_CAUSES_FLOOR = 0.89
MODEL_FLOOR = 0.55


@pytest.fixture(scope="module")
def holdout():
    return read_corpus(CORPUS / "holdout.jsonl")


@pytest.fixture(scope="module")
def model():
    """Trained as `rca train` does: the threshold tuned out of fold, never on the held-out rows."""
    return train(read_corpus(CORPUS / "train.jsonl"))


def test_holdout_holds_whole_libraries_out():
    train_libraries = {r["library"] for r in read_corpus(CORPUS / "train.jsonl")}
    held = {r["library"] for r in read_corpus(CORPUS / "holdout.jsonl")}
    assert held and not held & train_libraries


def test_grouped_holdout_figures_stay_above_the_floor(model, holdout):
    rules = RuleSet.load()
    hybrid = evaluate(holdout, "hybrid", rules, model)
    alone = evaluate(holdout, "model", rules, model)
    only_rules = evaluate(holdout, "rules", rules, model)
    assert hybrid["macro_f1_causes"] >= HYBRID_CAUSES_FLOOR
    assert alone["macro_f1"] >= MODEL_FLOOR
    # The model never costs the hybrid anything here. Since the knowledge rules (issue 16) the rules
    # alone cover the generated holdout's causes, so the model adds on the real excerpts instead
    # (`rca eval fixtures/real-corpus/excerpts.jsonl --cv-groups repo`), which this test cannot afford.
    assert hybrid["macro_f1"] >= only_rules["macro_f1"]
    assert hybrid["unknown_given_a_cause"] <= 0.05


def test_save_load_round_trip_and_size(model, tmp_path, holdout):
    path = save(model, tmp_path / "model.skops")
    assert path.stat().st_size < 20 * 1024 * 1024
    again = load(path)
    texts = [r["text"] for r in holdout[:50]]
    assert (again.predict_proba(texts) == model.predict_proba(texts)).all()
    assert again.threshold == model.threshold


def test_untrusted_or_foreign_files_are_refused(tmp_path):
    import datetime

    import skops.io as sio

    odd = tmp_path / "odd.skops"
    sio.dump({"pipeline": datetime.datetime(2025, 1, 1), "threshold": 0.5, "format": "rca-text-model-1"}, odd)
    with pytest.raises(UntrustedModelError, match="refused, it holds types rca does not expect: datetime.datetime"):
        load(odd)
    junk = tmp_path / "junk.skops"
    junk.write_bytes(b"not a zip file")
    with pytest.raises(UntrustedModelError, match="not a model file rca can read"):
        load(junk)
    result = run_rca("classify", "--snippets", str(junk), "--model", str(junk))
    assert result.returncode == 2 and b"not a model file rca can read" in result.stderr


def _model_file_calling(path, module: str, name: str, argument: str) -> None:
    """A skops file whose loading calls `module.name(argument)`, as a crafted model file would."""
    import json
    import zipfile

    def text(value):
        return {"__class__": "str", "__module__": "builtins", "__loader__": "JsonNode",
                "content": json.dumps(value), "is_json": True, "__id__": id(value)}

    call = {"__class__": name, "__module__": module, "__loader__": "ConstructorFromReduceNode", "__id__": 1,
            "content": {"__class__": "tuple", "__module__": "builtins", "__loader__": "TupleNode",
                        "content": [text(argument)], "__id__": 2}}
    schema = {"__class__": "dict", "__module__": "builtins", "__loader__": "DictNode", "__id__": 3,
              "content": {"format": text("rca-text-model-1"), "pipeline": call, "threshold": text(0.5)},
              "key_types": {"__class__": "list", "__module__": "builtins", "__loader__": "ListNode", "__id__": 4,
                            "content": [{"__class__": "str", "__module__": "builtins", "__loader__": "TypeNode",
                                         "__id__": 5}] * 3},
              "protocol": 2, "_skops_version": "0.16.0"}
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("schema.json", json.dumps(schema))


@pytest.mark.parametrize("module, name", [("builtins", "exec"), ("builtins", "eval"), ("os", "system")])
def test_a_model_file_never_runs_code(tmp_path, module, name):
    witness = tmp_path / "ran"
    payload = {"exec": f"open({str(witness)!r}, 'w').write('x')",
               "eval": f"open({str(witness)!r}, 'w').write('x')",
               "system": f"touch {witness}"}[name]
    crafted = tmp_path / f"{name}.skops"
    _model_file_calling(crafted, module, name, payload)
    with pytest.raises(UntrustedModelError, match=f"refused, it holds types rca does not expect: {module}.{name}"):
        load(crafted)
    result = run_rca("classify", "--snippets", str(crafted), "--model", str(crafted))
    assert result.returncode == 2 and f"{module}.{name}".encode() in result.stderr
    assert not witness.exists()


def test_default_model_is_built_once_then_cached(monkeypatch, tmp_path):
    monkeypatch.setenv("RCA_CACHE_DIR", str(tmp_path))
    first = default_model()
    cached = list(tmp_path.glob("model-*.skops"))
    assert len(cached) == 1
    assert default_model().classes == first.classes and list(tmp_path.glob("model-*.skops")) == cached


def test_cli_train_eval_and_classify_with_the_model(tmp_path):
    out = tmp_path / "model.skops"
    trained = run_rca("train", "--out", str(out))
    assert trained.returncode == 0 and out.is_file() and b"threshold" in trained.stdout
    report = run_rca("eval", str(CORPUS / "holdout.jsonl"), "--model", str(out), "--format", "jsonl")
    results = [json.loads(line) for line in report.stdout.splitlines()]
    assert [r["method"] for r in results] == ["rules", "model", "hybrid"]
    assert {"macro_f1", "macro_f1_causes", "coverage", "unknown_given_a_cause", "report", "confusion", "labels"} <= set(results[0])
    text = run_rca("eval", str(CORPUS / "holdout.jsonl"), "--model", str(out), "--method", "hybrid").stdout.decode()
    assert text.startswith("== hybrid: macro-F1") and "precision    recall  f1-score" in text and "confusion" in text
    snippets = tmp_path / "s.jsonl"
    snippets.write_text("\n".join(json.dumps({"id": i, "text": t}) for i, t in enumerate([
        "asyncpg.exceptions.TooManyConnectionsError: sorry, too many clients already",  # a rule decides
        "nats.errors.NoServersError: nats: no servers available for connection",         # no rule: the model
        "RecursionError: maximum recursion depth exceeded",                               # an application bug
    ])) + "\n")
    classified = [json.loads(line) for line in run_rca("classify", "--snippets", str(snippets), "--model", str(out),
                                                        "--format", "jsonl").stdout.splitlines()]
    assert [c["method"] for c in classified] == ["rule", "model", "none"]
    assert classified[1]["class"] == "dependency_connection_failure" and classified[2]["class"] == UNKNOWN


def test_grouped_cross_validation_keeps_groups_apart_and_reports_every_figure():
    from rca.classify.evaluate import cross_validate, fold_indices
    from rca.classify.rules import RuleSet

    rows = [{"text": f"ModuleNotFoundError: No module named 'm{i}'", "label": "missing_import", "repo": f"o/r{i % 7}"}
            for i in range(14)]
    rows += [{"text": f"TypeError: f() got an unexpected keyword argument 'x{i}'", "label": "unknown", "repo": f"o/r{i % 7}"}
             for i in range(14)]
    folds = fold_indices(rows, "repo", 5)
    assert sorted(i for fold in folds for i in fold) == list(range(len(rows)))
    for fold in folds:
        assert not {rows[i]["repo"] for i in fold} & {r["repo"] for j, r in enumerate(rows) if j not in fold}
    seen = []

    def fit(training, rules):
        seen.append(len(training))
        return _ConstantModel()

    results = cross_validate(rows, [{"text": "x", "label": "unknown"}], RuleSet.load(), "repo", 5, fit=fit)
    assert len(seen) == 5 and all(n > 1 for n in seen)
    by_method = {r["method"]: r for r in results}
    assert by_method["rules"]["causes_left_unknown"] == 0.0
    assert by_method["model"]["causes_left_unknown"] == 1.0
    assert set(by_method["hybrid"]["f1"]) == {"missing_import", "unknown"}


class _ConstantModel:
    classes = ["missing_import", "unknown"]
    threshold = 0.5

    def predict_proba(self, texts):
        import numpy as np

        return np.tile([0.0, 1.0], (len(texts), 1))


def test_a_model_file_with_the_marker_but_no_classifier_is_one_error(tmp_path):
    import skops.io as sio
    from conftest import run_rca

    bad = tmp_path / "bad.skops"
    sio.dump({"format": "rca-text-model-1", "pipeline": "not a pipeline", "threshold": 0.5}, bad)
    snippets = tmp_path / "s.jsonl"
    snippets.write_text('{"id": 1, "text": "KeyError: x"}\n')
    result = run_rca("classify", "--snippets", str(snippets), "--model", str(bad))
    assert result.returncode == 2 and b"not a fitted classifier" in result.stderr and b"Traceback" not in result.stderr


def test_the_scorer_gives_the_pipelines_probabilities_on_every_corpus_text(model, holdout):
    """rca.classify.scoring reads the fitted numbers out of the Pipeline and applies them with numpy: on every
    text of the shipped and real corpora it must give scikit-learn's predict_proba."""
    import numpy as np

    from rca.classify.model import SCORER_FUNCTIONS
    from rca.classify.scoring import LinearScorer

    real = [json.loads(line)["text"] for line in (CORPUS.parents[1] / "fixtures" / "real-corpus" / "excerpts.jsonl")
            .read_text().splitlines() if line.strip()] if (CORPUS.parents[1] / "fixtures" / "real-corpus").is_dir() else []
    texts = [r["text"] for r in read_corpus(CORPUS / "train.jsonl") + holdout] + real + ["", "\x00 binary \udcff junk"]
    scorer = LinearScorer.export(model.pipeline, SCORER_FUNCTIONS)
    assert scorer is not None and scorer.classes_ == model.classes
    assert np.abs(scorer.predict_proba(texts) - model.pipeline.predict_proba(texts)).max() < 1e-9


def test_the_default_model_is_then_read_without_scikit_learn(tmp_path):
    """Once cached, the default model loads through its numbers alone: a run that reaches the model
    imports neither scikit-learn nor skops (2.5 s and 150 MB saved). A damaged scorer file is rebuilt."""
    import os
    import subprocess
    import sys

    script = ("import sys; from rca.classify.model import default_model; m = default_model(); "
              "print(type(m.pipeline).__name__, any(n.startswith(('sklearn', 'skops')) for n in sys.modules), "
              "m.top('redis.exceptions.ConnectionError: Error 111 connecting to localhost:6379.')[0][0])")
    env = {**os.environ, "RCA_CACHE_DIR": str(tmp_path)}
    copy_the_session_cache(tmp_path, scorer=False)  # a cached model whose scorer is not exported yet

    def run() -> str:
        return subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True).stdout.split()

    assert run() == ["Pipeline", "True", "dependency_connection_failure"]  # read through scikit-learn, its scorer exported
    assert run() == ["LinearScorer", "False", "dependency_connection_failure"]
    (scorer,) = tmp_path.glob("model-*.scorer.npz")
    scorer.write_bytes(b"not an archive")
    assert run() == ["Pipeline", "True", "dependency_connection_failure"]
    assert run() == ["LinearScorer", "False", "dependency_connection_failure"]


def copy_the_session_cache(folder, scorer: bool) -> None:
    """The session's cached default model (and its scorer, if `scorer`) copied into `folder`: what
    default_model() leaves in an empty cache, without training it again (tens of seconds of CPU;
    test_default_model_is_built_once_then_cached builds one from nothing)."""
    import shutil

    from rca.classify.model import default_model_path, scorer_path

    default_model()  # built once per test run, in the session's cache
    model = default_model_path()
    shutil.copy(model, folder / model.name)
    if scorer:
        shutil.copy(scorer_path(model), folder / scorer_path(model).name)


def test_a_pipeline_of_another_shape_is_not_exported():
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    from rca.classify.model import SCORER_FUNCTIONS
    from rca.classify.scoring import LinearScorer

    other = make_pipeline(TfidfVectorizer(), LogisticRegression()).fit(["alpha beta", "gamma delta", "epsilon zeta"], ["x", "y", "z"])
    assert LinearScorer.export(other, SCORER_FUNCTIONS) is None


def test_the_model_reads_the_shared_masks_exactly():
    """normalise runs rca.events.masks' patterns on another engine, skipping those whose shape cannot occur:
    the text out is still mask()'s on every corpus text."""
    from rca.classify.model import FRAME_FILE, MAX_TEXT, normalise
    from rca.events.masks import mask

    texts = [r["text"] for name in ("train.jsonl", "holdout.jsonl") for r in read_corpus(CORPUS / name)]
    texts += [r["text"] for r in read_corpus(CORPUS.parent / "real-corpus" / "excerpts.jsonl")]
    # the shapes the masks' guards look for, at their edges: case, other scripts' digits and spaces
    texts += ["id 0XAB and 0x1f", "ABCDEF0123 abcdef012 deadbeef0", "user_\u0663\u0664\u0665 run-8f3 x_1", "\u0663\u0664ms 5\u00a0s 7µs",
              "12 KiB, 3\u2003bytes, 4B 5 b", "request-id: req-7f3c9a after 250ms"]
    for text in texts:
        assert normalise(text) == mask(FRAME_FILE.sub(r"File \1.py", text[:MAX_TEXT]), " {} ", leave=("str",))


def test_a_model_trained_into_the_cache_is_the_one_the_default_reads(model, monkeypatch, tmp_path):
    """`rca train` without --out saves over the cached default model: the numbers exported from the
    model that was there before must not shadow it."""
    from rca.classify.model import TextModel, default_model_path, scorer_path

    copy_the_session_cache(tmp_path, scorer=True)  # a cached default model and its exported scorer
    monkeypatch.setenv("RCA_CACHE_DIR", str(tmp_path))
    assert scorer_path(default_model_path()).is_file()
    save(TextModel(model.pipeline, 0.42), default_model_path())
    assert default_model().threshold == 0.42


def test_the_cache_is_the_platforms_own_unless_rca_cache_dir_names_one(monkeypatch, tmp_path):
    from rca.classify.model import cache_dir

    monkeypatch.delenv("RCA_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_dir() == tmp_path / "xdg" / "rca"  # Linux: platformdirs follows XDG_CACHE_HOME
    monkeypatch.setenv("RCA_CACHE_DIR", str(tmp_path / "mine"))
    assert cache_dir() == tmp_path / "mine"
