"""`rca eval`: how well rules, the model and the hybrid classify a labelled corpus."""

from __future__ import annotations

from .classes import CAUSE_CLASSES, UNKNOWN
from .classify import hybrid
from .model import answers
from .rules import RuleSet, event_from_text

METHODS = ("rules", "model", "hybrid")


def predict(rows: list[dict], method: str, rules: RuleSet, model) -> list[str]:
    if method == "model":
        return answers(model.classes, model.predict_proba([r["text"] for r in rows]), model.threshold)
    chosen = model if method == "hybrid" else None
    return [hybrid(rules, chosen, event_from_text(r["text"])).cls for r in rows]


def evaluate(rows: list[dict], method: str, rules: RuleSet, model) -> dict:
    from sklearn.metrics import classification_report, confusion_matrix, f1_score

    truth = [r["label"] for r in rows]
    predicted = predict(rows, method, rules, model)
    labels = sorted(set(truth) | set(predicted))
    unknown_rows = [p for t, p in zip(truth, predicted) if t == UNKNOWN]
    return {
        "method": method,
        "rows": len(rows),
        "macro_f1": f1_score(truth, predicted, average="macro", zero_division=0),
        "macro_f1_causes": f1_score(truth, predicted, labels=[c for c in CAUSE_CLASSES if c in labels],
                                    average="macro", zero_division=0),
        "coverage": sum(p != UNKNOWN for p in predicted) / len(predicted) if predicted else 0.0,
        "unknown_given_a_cause": (sum(p in CAUSE_CLASSES for p in unknown_rows) / len(unknown_rows)) if unknown_rows else None,
        "report": classification_report(truth, predicted, labels=labels, zero_division=0, output_dict=True),
        "report_text": classification_report(truth, predicted, labels=labels, zero_division=0),
        "labels": labels,
        "confusion": confusion_matrix(truth, predicted, labels=labels).tolist(),
    }
