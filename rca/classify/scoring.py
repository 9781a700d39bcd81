"""The fitted model's arithmetic, read with numpy alone: what `predict_proba` computes, without
importing scikit-learn.

`rca analyze` asks the model about a handful of distinct events, yet importing scikit-learn and
skops to load it cost 2.5 s and 150 MB on every such run: more than reading a quiet day's export.
The default model is a fixed shape (rca.classify.model.make_pipeline): bags of words weighted by TF-IDF and
a binary bag of signals, a linear SVM, and a sigmoid calibrated per class. `LinearScorer.export`
reads those fitted numbers out of the Pipeline (and declines any other shape); `predict_proba`
applies them as scikit-learn does, to within floating-point rounding, which a test checks against
the Pipeline on the whole corpus. Training, evaluation and user models stay with scikit-learn.
"""

from __future__ import annotations

import json
import zipfile
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

FORMAT = "rca-linear-scorer-1"


@dataclass
class Block:
    """One bag of features: `prepare` (the Pipeline's FunctionTransformer) then `analyzer` give each
    text's tokens; counted over `vocabulary`, optionally binary, log-scaled, IDF-weighted and
    normalised as the vectorizer was fitted."""

    prepare: str  # names of functions in the caller's registry
    analyzer: str
    vocabulary: dict[str, int]
    idf: np.ndarray | None
    binary: bool
    sublinear: bool
    l2: bool
    weight: float

    def cells(self, texts: Sequence[str], functions: dict[str, Callable]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The (row, column, value) of each counted cell. The arithmetic runs on these alone: a few dozen a
        row, where the block has thousands of columns (6,625 in all since the model learns the real
        corpus) whose other cells are 0 and stay 0."""
        analyze, find = functions[self.analyzer], self.vocabulary.get
        rows: list[int] = []
        columns: list[int] = []
        counts: list[int] = []
        for row, document in enumerate(functions[self.prepare](texts)):
            # counted in C, each distinct token then looked up once
            found = [(index, count) for token, count in Counter(analyze(document)).items()
                     if (index := find(token)) is not None]
            rows += [row] * len(found)
            columns += [index for index, _ in found]
            counts += [count for _, count in found]
        at_rows, at_columns = np.asarray(rows, dtype=np.intp), np.asarray(columns, dtype=np.intp)
        values = np.ones(len(counts)) if self.binary else np.asarray(counts, dtype=float)
        if self.sublinear:
            values = np.log(values) + 1.0  # tf = 1 + log(count), as TfidfTransformer(sublinear_tf=True)
        if self.idf is not None:
            values *= self.idf[at_columns]
        if self.l2:  # a row with a counted cell has a norm above 0 (tf >= 1, idf >= 1)
            values /= np.sqrt(np.bincount(at_rows, weights=values * values, minlength=len(texts)))[at_rows]
        return at_rows, at_columns, values * self.weight


@dataclass
class LinearScorer:
    """Feature blocks, a linear decision per class and a sigmoid per class, normalised across classes."""

    classes_: list[str]
    blocks: list[Block]
    coef: np.ndarray  # classes x features
    intercept: np.ndarray
    sigmoid_a: np.ndarray
    sigmoid_b: np.ndarray
    functions: dict[str, Callable]
    notes: dict  # what the caller keeps with it (rca.classify.model: the threshold), saved as JSON

    def predict_proba(self, texts) -> np.ndarray:
        texts = [str(text) for text in texts]
        # the decision summed over the counted cells alone: a dense matrix as wide as the vocabulary
        # multiplied thousands of zeros per row (the same figures to 1e-9, tests/classify/test_model.py)
        decision = np.tile(self.intercept, (len(texts), 1))
        start = 0
        for block in self.blocks:
            rows, columns, values = block.cells(texts, self.functions)
            weights = self.coef[:, start + columns] * values  # classes x cells
            for index in range(len(self.classes_)):
                decision[:, index] += np.bincount(rows, weights=weights[index], minlength=len(texts))
            start += len(block.vocabulary)
        probabilities = 1.0 / (1.0 + np.exp(self.sigmoid_a * decision + self.sigmoid_b))
        total = probabilities.sum(axis=1, keepdims=True)
        uniform = np.full_like(probabilities, 1.0 / len(self.classes_))
        probabilities = np.divide(probabilities, total, out=uniform, where=total != 0)
        probabilities[(probabilities > 1.0) & (probabilities <= 1.0 + 1e-5)] = 1.0
        return probabilities

    # ---- from a fitted Pipeline, to and from a file ----------------------------------------------

    @classmethod
    def export(cls, pipeline: Any, functions: dict[str, Callable], notes: dict | None = None) -> LinearScorer | None:
        """The scorer of a fitted Pipeline of rca's default shape, or None for any other shape
        (that model is then used through scikit-learn)."""
        try:
            blocks = [_block(name, part, weight, functions) for name, part, weight in _parts(pipeline)]
            calibrated = _calibrated(pipeline.steps[-1][1])
        except _Unsupported:
            return None
        svm, sigmoids = calibrated
        return cls([str(c) for c in pipeline.classes_], blocks, np.asarray(svm.coef_, dtype=float),
                   np.asarray(svm.intercept_, dtype=float), np.array([s.a_ for s in sigmoids], dtype=float),
                   np.array([s.b_ for s in sigmoids], dtype=float), functions, dict(notes or {}))

    def save(self, path: Path) -> None:
        """An .npz archive (no pickle): the arrays, and the vocabularies and settings as JSON."""
        meta = {"format": FORMAT, "classes": self.classes_, "notes": self.notes,
                "blocks": [{"prepare": b.prepare, "analyzer": b.analyzer, "vocabulary": b.vocabulary,
                            "binary": b.binary, "sublinear": b.sublinear, "l2": b.l2, "weight": b.weight,
                            "idf": b.idf is not None} for b in self.blocks]}
        arrays: dict[str, Any] = {f"idf{i}": b.idf for i, b in enumerate(self.blocks) if b.idf is not None}
        arrays.update(meta=np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8), coef=self.coef,
                      intercept=self.intercept, sigmoid_a=self.sigmoid_a, sigmoid_b=self.sigmoid_b)
        with open(path, "wb") as handle:
            np.savez(handle, **arrays)

    @classmethod
    def load(cls, path: Path, functions: dict[str, Callable]) -> LinearScorer | None:
        """The scorer saved at `path`, or None if there is none. One that is damaged, of another
        format, or whose numbers do not fit together raises DamagedScorer, saying why."""
        try:
            with np.load(path, allow_pickle=False) as archive:
                meta = json.loads(archive["meta"].tobytes())
                if not isinstance(meta, dict) or meta.get("format") != FORMAT:
                    raise DamagedScorer(f"not of the format {FORMAT}")
                blocks = [Block(b["prepare"], b["analyzer"], b["vocabulary"], archive[f"idf{i}"] if b["idf"] else None,
                                b["binary"], b["sublinear"], b["l2"], b["weight"]) for i, b in enumerate(meta["blocks"])]
                scorer = cls(meta["classes"], blocks, archive["coef"], archive["intercept"], archive["sigmoid_a"],
                             archive["sigmoid_b"], functions, meta.get("notes") or {})
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError, AttributeError, zipfile.BadZipFile) as error:
            first = str(error).split(". ")[0][:120]  # numpy explains pickles at length
            raise DamagedScorer(f"unreadable ({type(error).__name__}: {first})") from None
        scorer.check()
        return scorer

    def check(self) -> None:
        """Raise DamagedScorer unless every number fits the others: a wrong-shaped array, an index
        past its block or a name outside the registry would fail (or mislead) only when scoring."""
        classes = len(self.classes_) if isinstance(self.classes_, list) else 0
        width = sum(len(block.vocabulary) for block in self.blocks if isinstance(block.vocabulary, dict))
        problems = [problem for block in self.blocks for problem in _block_problems(block, self.functions)]
        if not classes or not all(isinstance(name, str) for name in self.classes_):
            problems.append("no class names")
        if not isinstance(self.notes, dict):
            problems.append("notes are not a table")
        for name, array, shape in (("coef", self.coef, (classes, width)), ("intercept", self.intercept, (classes,)),
                                   ("sigmoid_a", self.sigmoid_a, (classes,)), ("sigmoid_b", self.sigmoid_b, (classes,))):
            problems += _array_problems(name, array, shape)
        if problems:
            raise DamagedScorer("; ".join(problems[:3]))


class DamagedScorer(ValueError):
    """A saved scorer that cannot be used as it is; the message says why."""


def _array_problems(name: str, array, shape: tuple[int, ...]) -> list[str]:
    if not isinstance(array, np.ndarray) or array.dtype.kind != "f":
        return [f"{name} is not an array of numbers"]
    if array.shape != shape:
        return [f"{name} has the shape {array.shape}, not {shape}"]
    return [] if np.isfinite(array).all() else [f"{name} holds a value that is not a finite number"]


def _block_problems(block: Block, functions: dict[str, Callable]) -> list[str]:
    if block.prepare not in functions or block.analyzer not in functions:
        return [f"a block names functions rca does not know ({block.prepare}, {block.analyzer})"]
    vocabulary = block.vocabulary if isinstance(block.vocabulary, dict) else {}
    indices = [index for token, index in vocabulary.items() if isinstance(token, str) and type(index) is int]
    if not vocabulary or sorted(indices) != list(range(len(vocabulary))):
        return ["a vocabulary whose indices are not 0 to its size"]
    width = len(vocabulary)
    if not all(isinstance(flag, bool) for flag in (block.binary, block.sublinear, block.l2)):
        return ["a block's settings are not true or false"]
    if not isinstance(block.weight, (int, float)) or isinstance(block.weight, bool):
        return ["a block's weight is not a number"]
    return _array_problems("idf", block.idf, (width,)) if block.idf is not None else []


class _Unsupported(Exception):
    pass


def _require(condition: bool) -> None:
    if not condition:
        raise _Unsupported


def _parts(pipeline) -> list[tuple[str, Any, float]]:
    """(name, sub-pipeline, weight) of the FeatureUnion that is the Pipeline's first step."""
    _require(type(pipeline).__name__ == "Pipeline" and len(pipeline.steps) == 2)
    union = pipeline.steps[0][1]
    _require(type(union).__name__ == "FeatureUnion")
    weights = union.transformer_weights or {}
    return [(name, part, float(weights.get(name, 1.0))) for name, part in union.transformer_list]


def _block(name: str, part, weight: float, functions: dict[str, Callable]) -> Block:
    _require(type(part).__name__ == "Pipeline" and len(part.steps) == 2)
    prepare, vectorizer = part.steps[0][1], part.steps[1][1]
    _require(type(prepare).__name__ == "FunctionTransformer" and prepare.kw_args is None)
    prepare_name = _registered(prepare.func, functions)
    kind = type(vectorizer).__name__
    _require(kind in ("TfidfVectorizer", "CountVectorizer") and callable(vectorizer.analyzer))
    analyzer_name = _registered(vectorizer.analyzer, functions)
    tfidf = kind == "TfidfVectorizer"
    _require(not tfidf or vectorizer.norm in ("l2", None))
    idf = np.asarray(vectorizer.idf_, dtype=float) if tfidf and vectorizer.use_idf else None
    vocabulary = {str(token): int(index) for token, index in vectorizer.vocabulary_.items()}
    return Block(prepare_name, analyzer_name, vocabulary, idf, bool(vectorizer.binary),
                 bool(tfidf and vectorizer.sublinear_tf), bool(tfidf and vectorizer.norm == "l2"), weight)


def _registered(function, functions: dict[str, Callable]) -> str:
    name = next((key for key, known in functions.items() if known is function), None)
    _require(name is not None)
    return str(name)


def _calibrated(classifier):
    """The linear SVM and its per-class sigmoids of a CalibratedClassifierCV(ensemble=False)."""
    _require(type(classifier).__name__ == "CalibratedClassifierCV" and classifier.method == "sigmoid")
    _require(len(classifier.calibrated_classifiers_) == 1 and len(classifier.classes_) > 2)
    calibrated = classifier.calibrated_classifiers_[0]
    svm = calibrated.estimator
    _require(type(svm).__name__ == "LinearSVC" and len(calibrated.calibrators) == len(classifier.classes_))
    return svm, calibrated.calibrators
