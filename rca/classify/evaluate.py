"""`rca eval`: how well rules, the model and the hybrid classify a labelled corpus.

Two ways: against one model (`evaluate`), or by grouped cross-validation (`cross_validate`): the
corpus is split into folds by a grouping field (for the real corpus, `repo`, so that no
repository's wording is both trained and tested); for each fold the model is refitted on a base
training corpus plus the other folds' rows, and scores the held-out fold. The rules stay fixed.

Either way no row is scored by a model that was fitted on its text: the shipped model learns from
real excerpts too (rca.classify.model.TRAINING_FILES), and a file of them scored by it would flatter
itself. `leak_free_model` gives the model a file is scored by, and the base of a cross-validation
loses every row whose text the evaluated file holds.
"""

from __future__ import annotations

from rca.classify.classes import CAUSE_CLASSES, UNKNOWN
from rca.classify.hybrid import _with_model
from rca.classify.model import TextModel, answers, default_model, train, training_rows
from rca.classify.rules import RuleSet, event_from_text

METHODS = ("rules", "model", "hybrid")


def rule_decisions(rows: list[dict], rules: RuleSet) -> list:
    return [rules.classify(event_from_text(r["text"])) for r in rows]


def combine(method: str, decided: list, model, probabilities) -> list[str]:
    """The answers of one method from the rules' decisions and the model's probabilities."""
    if method == "rules":
        return [d.cls for d in decided]
    if method == "model":
        return answers(model.classes, probabilities, model.threshold, getattr(model, "class_thresholds", None))
    return [_with_model(d, model, p).cls for d, p in zip(decided, probabilities)]


def predict(rows: list[dict], method: str, rules: RuleSet, model) -> list[str]:
    decided = rule_decisions(rows, rules) if method != "model" else [None] * len(rows)
    probabilities = model.predict_proba([r["text"] for r in rows]) if method != "rules" else [None] * len(rows)
    return combine(method, decided, model, probabilities)


def scores(truth: list[str], predicted: list[str], method: str) -> dict:
    """Every figure `rca eval` reports, from scikit-learn's metrics."""
    from sklearn.metrics import classification_report, confusion_matrix, f1_score

    labels = sorted(set(truth) | set(predicted))
    causes = [c for c in CAUSE_CLASSES if c in labels]
    unknown_rows = [p for t, p in zip(truth, predicted) if t == UNKNOWN]
    cause_rows = [p for t, p in zip(truth, predicted) if t in CAUSE_CLASSES]
    per_class = f1_score(truth, predicted, labels=labels, average=None, zero_division=0)
    return {
        "method": method,
        "rows": len(truth),
        "macro_f1": f1_score(truth, predicted, average="macro", zero_division=0),
        "macro_f1_causes": f1_score(truth, predicted, labels=causes, average="macro", zero_division=0),
        "f1": {label: float(value) for label, value in zip(labels, per_class)},
        "coverage": sum(p != UNKNOWN for p in predicted) / len(predicted) if predicted else 0.0,
        "unknown_given_a_cause": (sum(p in CAUSE_CLASSES for p in unknown_rows) / len(unknown_rows)) if unknown_rows else None,
        "causes_left_unknown": (sum(p == UNKNOWN for p in cause_rows) / len(cause_rows)) if cause_rows else None,
        "report": classification_report(truth, predicted, labels=labels, zero_division=0, output_dict=True),
        "report_text": classification_report(truth, predicted, labels=labels, zero_division=0),
        "labels": labels,
        "confusion": confusion_matrix(truth, predicted, labels=labels).tolist(),
    }


def evaluate(rows: list[dict], method: str, rules: RuleSet, model) -> dict:
    return scores([r["label"] for r in rows], predict(rows, method, rules, model), method)


def without_rows_of(training: list[dict], rows: list[dict]) -> tuple[list[dict], int]:
    """`training` less every row whose text one of `rows` holds, and how many went. Texts are compared
    with their whitespace runs made one space: the model's words do not see indentation or line breaks,
    and the real corpora hold the same excerpt indented differently (19 rows of the spent batches and
    the real corpus, e.g. a pod's `Reason: OOMKilled` block from two repositories)."""
    scored = {_words_of(r["text"]) for r in rows}
    kept = [r for r in training if _words_of(r["text"]) not in scored]
    return kept, len(training) - len(kept)


def _words_of(text: str) -> str:
    return " ".join(text.split())


def _fit(training: list[dict], rules: RuleSet) -> TextModel:
    return train(training, rules=rules)


def leak_free_model(rows: list[dict], rules: RuleSet, training: list[dict] | None = None, fit=None, say=print,
                    shipped=None) -> tuple:
    """The model `rows` are scored by, fitted on no text they hold, and a line that says which it is.
    `training` defaults to the shipped model's rows: when none of them is in `rows`, the shipped model
    is that model (`shipped()`, default `rca.classify.model.default_model`: trained once, cached); else, and
    always for a `training` given, it is refitted (`fit(training_rows, rules)`, default
    `rca.classify.model.train`) on what is left, `say` told first."""
    kept, dropped = without_rows_of(training_rows() if training is None else training, rows)
    if training is None and not dropped:
        return (shipped or default_model)(), (f"model: the shipped model; none of its {len(kept):,} training rows "
                                              "is in the evaluated file")
    say(f"fitting the model on {len(kept):,} training rows ({dropped:,} left out: the evaluated file holds their text)")
    model = (fit or _fit)(kept, rules)
    return model, f"model: refitted on {len(kept):,} training rows, without the {dropped:,} whose text the evaluated file holds"


def fold_indices(rows: list[dict], group: str, folds: int) -> list[list[int]]:
    """The rows of each held-out fold, whole groups only (GroupKFold: deterministic, balanced sizes)."""
    from sklearn.model_selection import GroupKFold

    groups = [str(r.get(group)) for r in rows]
    if len(set(groups)) < folds:
        raise ValueError(f"--cv-groups {group}: {len(set(groups))} distinct groups, fewer than {folds} folds")
    return [list(test) for _, test in GroupKFold(folds).split(rows, groups=groups)]


def cross_validate(rows: list[dict], base: list[dict], rules: RuleSet, group: str = "repo", folds: int = 5,
                   methods=METHODS, fit=None) -> list[dict]:
    """Grouped cross-validation: for each fold the model is fitted on `base` plus the rows of the
    other folds (`fit(training_rows, rules)`; default `rca.classify.model.train`) and scores the fold; the rules
    are fixed. A row whose text the fold holds is never in its training, whether in `base` or in another
    fold (the same text under another group). Returns `scores` for each method over the pooled out-of-fold answers."""
    fit = fit or _fit
    decided = rule_decisions(rows, rules)
    predicted: dict[str, list[str | None]] = {method: [None] * len(rows) for method in methods}
    for test in fold_indices(rows, group, folds):
        held = set(test)
        training, _ = without_rows_of(base + [r for i, r in enumerate(rows) if i not in held], [rows[i] for i in test])
        model = fit(training, rules) if set(methods) != {"rules"} else None
        probabilities = model.predict_proba([rows[i]["text"] for i in test]) if model else [None] * len(test)
        for method in methods:
            for i, answer in zip(test, combine(method, [decided[i] for i in test], model, probabilities)):
                predicted[method][i] = answer
    truth = [r["label"] for r in rows]
    return [scores(truth, _every_answer(predicted[method]), method) for method in methods]


def _every_answer(predicted: list[str | None]) -> list[str]:
    """The pooled out-of-fold answers: GroupKFold's test folds cover every row once, so none is left None."""
    filled = [answer for answer in predicted if answer is not None]
    if len(filled) != len(predicted):
        raise TypeError(f"{len(predicted) - len(filled)} rows in no held-out fold")  # sorted() in scores failed on a None too
    return filled


def summary_line(result: dict) -> str:
    parts = [f"== {result['method']}: macro-F1 over cause classes {result['macro_f1_causes']:.3f} "
             f"(all classes {result['macro_f1']:.3f}), coverage {result['coverage']:.1%}"]
    if result["unknown_given_a_cause"] is not None:
        parts.append(f"plain bugs given a cause {result['unknown_given_a_cause']:.1%}")
    if result["causes_left_unknown"] is not None:
        parts.append(f"causes left unknown {result['causes_left_unknown']:.1%}")
    return ", ".join(parts)


def confusion_text(result: dict) -> str:
    width = max(len(label) for label in result["labels"])
    short = [label[:6] for label in result["labels"]]
    lines = ["confusion (rows: truth, columns: predicted)", " " * (width + 4) + " ".join(f"{s:>6}" for s in short)]
    for label, counts in zip(result["labels"], result["confusion"]):
        lines.append(f"  {label:>{width}}  " + " ".join(f"{c:6d}" for c in counts))
    return "\n".join(lines)
