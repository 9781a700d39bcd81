"""The learned half of classification: a small scikit-learn text classifier for what no rule knows.

A Pipeline: normalise the text (mask numbers, ids, hosts, paths and quoted values; keep exception
types and dotted module names as tokens) -> TF-IDF over words and character n-grams -> a linear
SVM calibrated (sigmoid, cross-validated) so that predict_proba means something. Saved with skops,
which does not execute code on load; a file holding any type this module does not expect is refused.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .classes import UNKNOWN

CORPUS_FILES = ("train.jsonl", "holdout.jsonl")
DEFAULT_THRESHOLD = 0.5
MAX_TEXT = 4000
MASKS = (
    (re.compile(r"https?://\S+"), " URL "),
    (re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b", re.I), " UUID "),
    (re.compile(r"\b\d{1,3}(?:\.\d{1,3}){3}\b"), " IP "),
    (re.compile(r"\b0x[0-9a-f]+\b|\b[0-9a-f]{10,}\b", re.I), " HEX "),
    (re.compile(r'File "[^"]*?([\w]+)\.py"'), r"File \1.py"),  # keep the module's file name, drop the path
    (re.compile(r"(?<![\w.])/[\w./-]+"), " PATH "),
    (re.compile(r"\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d[,.\d]*Z?"), " TIME "),
    (re.compile(r"\b\d+\b"), " N "),
)


def normalise(text: str) -> str:
    text = text[:MAX_TEXT]
    for pattern, replacement in MASKS:
        text = pattern.sub(replacement, text)
    return text


def normalise_texts(texts):
    """The Pipeline's first step (a module-level function, so that skops can name it on load)."""
    return [normalise(str(text)) for text in texts]


def make_pipeline():
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.pipeline import FeatureUnion, Pipeline
    from sklearn.preprocessing import FunctionTransformer
    from sklearn.svm import LinearSVC
    from sklearn.feature_extraction.text import TfidfVectorizer

    words = TfidfVectorizer(token_pattern=r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*", lowercase=False,
                            ngram_range=(1, 2), sublinear_tf=True, min_df=2, max_features=40_000)
    chars = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True, min_df=2, max_features=60_000)
    return Pipeline([
        ("normalise", FunctionTransformer(normalise_texts)),
        ("features", FeatureUnion([("words", words), ("chars", chars)])),
        ("classify", CalibratedClassifierCV(LinearSVC(C=0.5, class_weight="balanced"), method="sigmoid", cv=3,
                                            ensemble=False)),
    ])


@dataclass
class TextModel:
    """A fitted pipeline and the probability above which its answer is taken."""

    pipeline: object
    threshold: float = DEFAULT_THRESHOLD

    @property
    def classes(self) -> list[str]:
        return list(self.pipeline.classes_)

    def predict_proba(self, texts) -> np.ndarray:
        return self.pipeline.predict_proba(list(texts))

    def top(self, text: str, k: int = 3) -> list[tuple[str, float]]:
        probabilities = self.predict_proba([text])[0]
        order = np.argsort(probabilities)[::-1][:k]
        return [(self.classes[i], float(probabilities[i])) for i in order]


def read_corpus(path: str | Path) -> list[dict]:
    rows = []
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            row = json.loads(line)
            if "text" not in row or "label" not in row:
                raise ValueError(f"{path}:{number}: a corpus line needs text and label")
            rows.append(row)
    return rows


def train(rows: list[dict], holdout: list[dict] | None = None) -> TextModel:
    pipeline = make_pipeline()
    pipeline.fit([r["text"] for r in rows], [r["label"] for r in rows])
    model = TextModel(pipeline)
    if holdout:
        model.threshold = tune_threshold(model, holdout)
    return model


def tune_threshold(model: TextModel, rows: list[dict]) -> float:
    """The threshold that gives the best macro-F1 on held-out rows when below it the answer is unknown."""
    from sklearn.metrics import f1_score

    probabilities = model.predict_proba([r["text"] for r in rows])
    best = probabilities.argmax(axis=1)
    truth = [r["label"] for r in rows]
    scores = {}
    for threshold in np.arange(0.2, 0.9, 0.05):
        predicted = [model.classes[i] if p[i] >= threshold else UNKNOWN for i, p in zip(best, probabilities)]
        scores[round(float(threshold), 2)] = f1_score(truth, predicted, average="macro", zero_division=0)
    return max(scores, key=scores.get)


# ---- persistence ----------------------------------------------------------------------------------

EXPECTED_TYPES_PREFIXES = ("sklearn.", "numpy.", "scipy.", "rca.model.normalise_texts", "builtins.")


def save(model: TextModel, path: str | Path) -> Path:
    import skops.io as sio

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    sio.dump({"pipeline": model.pipeline, "threshold": model.threshold, "format": "rca-text-model-1"}, path)
    return path


class UntrustedModelError(Exception):
    """A model file that holds types rca does not expect: it is not loaded."""


def load(path: str | Path) -> TextModel:
    import skops.io as sio

    path = Path(path)
    try:
        unknown = sio.get_untrusted_types(file=path)
    except Exception as error:
        raise UntrustedModelError(f"{path}: not a model file rca can read ({type(error).__name__}: {error})") from None
    unexpected = [t for t in unknown if not t.startswith(EXPECTED_TYPES_PREFIXES)]
    if unexpected:
        raise UntrustedModelError(f"{path}: refused, it holds types rca does not expect: {', '.join(unexpected[:5])}")
    document = sio.load(path, trusted=unknown)
    if not isinstance(document, dict) or document.get("format") != "rca-text-model-1":
        raise UntrustedModelError(f"{path}: not an rca model (no format marker)")
    return TextModel(document["pipeline"], float(document["threshold"]))


# ---- the default model ----------------------------------------------------------------------------


def shipped_corpus_dir() -> Path:
    root = Path(__file__).resolve().parents[1]
    if (root / "pyproject.toml").is_file() and (root / "fixtures" / "corpus").is_dir():
        return root / "fixtures" / "corpus"
    return Path(__file__).resolve().parent / "corpus"


def cache_dir() -> Path:
    base = os.environ.get("RCA_CACHE_DIR") or os.path.join(os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "rca")
    return Path(base)


def default_model_path() -> Path:
    import sklearn

    from . import __version__

    digest = hashlib.sha256()
    for name in CORPUS_FILES:
        digest.update((shipped_corpus_dir() / name).read_bytes())
    digest.update(f"{sklearn.__version__}|{np.__version__}|{__version__}".encode())
    return cache_dir() / f"model-{digest.hexdigest()[:16]}.skops"


def default_model() -> TextModel:
    """The model built from the shipped corpus: trained on first use, then read from the cache."""
    path = default_model_path()
    if path.is_file():
        try:
            return load(path)
        except UntrustedModelError:
            path.unlink()  # a stale or damaged cache entry: build it again
    corpus = shipped_corpus_dir()
    model = train(read_corpus(corpus / "train.jsonl"), read_corpus(corpus / "holdout.jsonl"))
    save(model, path)
    return model
