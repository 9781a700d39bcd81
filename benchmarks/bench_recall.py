"""Causes left unknown on text the model never saw: leave one dev batch out, refit, and replay decisions.

    python benchmarks/bench_recall.py collect [--variant NAME] [--batches 2-20]   # refit without each batch, cache
    python benchmarks/bench_recall.py then-rules [--variant NAME]                  # 7-16 with the rules as when sealed
    python benchmarks/bench_recall.py report [--variant NAME] [--then] [--confirm] # choose on 2-16, then confirm on 17-24

`collect` scores each dev batch (`fixtures/fresh-corpus/batchN.jsonl`) as `rca eval` does: the model
refitted without the batch's texts (rca.classify.evaluate.without_rows_of), the rules fixed. Per row it
keeps the rules' decision and the model's probabilities; per refit it also keeps what the threshold was
tuned on (the real training rows scored out of fold, their labels and the rules' claims), so that a
decision that changes what the model answers can have its threshold tuned again exactly as
rca.classify.model.train would. A variant changes how the model is fitted (`VARIANTS`).

`report` replays decisions on the cached rows: the one shared threshold (as before classes had their
own), a threshold per cause class (rca.classify.model.class_thresholds, as shipped), and the model's
answer with its `unknown` probability scaled by a factor (a prior against `unknown`), the threshold
tuned again per refit under the plain-bug cap. Choices are made on batches 2-16 pooled; `--confirm`
then scores 17-24, without choosing again. Batches 25 and 26 are sealed: never scored here (21, 22, 27 and 28
were gathered to be trained on; 23 and 24 were measured while sealed and are spent).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import numpy as np  # noqa: E402

from rca.classify import model as text_model  # noqa: E402
from rca.classify.classes import CAUSE_CLASSES, UNKNOWN  # noqa: E402
from rca.classify.evaluate import rule_decisions, scores, without_rows_of  # noqa: E402
from rca.classify.hybrid import overrides_rule  # noqa: E402
from rca.classify.model import read_corpus, training_rows  # noqa: E402
from rca.classify.rules import RuleSet  # noqa: E402

FRESH = ROOT / "fixtures" / "fresh-corpus"
CHOOSE_ON = tuple(range(2, 17))
CONFIRM_ON = tuple(range(17, 25))
SEALED = text_model.SEALED_FRESH_BATCHES
DEFAULT_CACHE = Path("/tmp/rca-recall")


def _generated_every(k: int) -> Callable[[list[dict]], list[dict]]:
    """Keep one generated row in k (every real row): fewer template rows against the real ones."""
    def keep(rows: list[dict]) -> list[dict]:
        generated = [r for r in rows if not text_model.is_real(r)]
        kept = {id(r) for r in generated[::k]}
        return [r for r in rows if text_model.is_real(r) or id(r) in kept]
    return keep


def _everything(rows: list[dict]) -> list[dict]:
    return rows


# name -> (REAL_WEIGHT, a filter of the training rows, the Pipeline's parameters set otherwise)
VARIANTS: dict[str, tuple[float, Callable[[list[dict]], list[dict]], dict]] = {
    "shipped": (text_model.REAL_WEIGHT, _everything, {}),
    "real-weight-4": (4.0, _everything, {}),
    "generated-half": (text_model.REAL_WEIGHT, _generated_every(2), {}),
    "svm-c-1": (text_model.REAL_WEIGHT, _everything, {"classify__estimator__C": 1.0}),
    "svm-c-0.25": (text_model.REAL_WEIGHT, _everything, {"classify__estimator__C": 0.25}),
}


# ---- collect ------------------------------------------------------------------------------------------


def collect_batch(number: int, variant: str, rules: RuleSet, cache: Path) -> Path:
    if number in SEALED:
        raise SystemExit(f"batches {', '.join(map(str, SEALED))} are sealed: never scored here")
    out = cache / variant / f"batch{number}.json"
    if out.is_file():
        return out
    out.parent.mkdir(parents=True, exist_ok=True)
    weight, keep, parameters = VARIANTS[variant]
    rows = read_corpus(FRESH / f"batch{number}.jsonl")
    training, dropped = without_rows_of(training_rows(), rows)
    training = keep(training)
    tuned: dict = {}
    shipped_tuning, shipped_weight, shipped_pipeline = text_model.best_threshold, text_model.REAL_WEIGHT, text_model.make_pipeline

    def remember(classes, labels, probabilities, claimed):  # what train() tunes the threshold on
        tuned.update(classes=classes, labels=labels, probabilities=np.round(probabilities, 5).tolist(), claimed=claimed)
        return shipped_tuning(classes, labels, probabilities, claimed)

    started = time.process_time()
    text_model.best_threshold, text_model.REAL_WEIGHT = remember, weight
    text_model.make_pipeline = lambda: shipped_pipeline().set_params(**parameters)
    try:
        fitted = text_model.train(training, rules=rules)
    finally:
        text_model.best_threshold, text_model.REAL_WEIGHT = shipped_tuning, shipped_weight
        text_model.make_pipeline = shipped_pipeline
    decided = rule_decisions(rows, rules)
    probabilities = fitted.predict_proba([r["text"] for r in rows])
    records = [{"id": r.get("id"), "label": r["label"],
                "rule_class": d.cls if d.method == "rule" else None,
                "probabilities": [round(float(p), 6) for p in ps]} for r, d, ps in zip(rows, decided, probabilities)]
    out.write_text(json.dumps({"classes": fitted.classes, "threshold": float(fitted.threshold), "tuning": tuned,
                               "training_rows": len(training), "dropped": dropped, "rows": records}))
    print(f"{variant} batch{number}: {len(rows)} rows, {len(training):,} training rows, threshold "
          f"{fitted.threshold:.2f}, {time.process_time() - started:.0f} CPU-s", file=sys.stderr)
    return out


def collect_then_rules(number: int, variant: str, cache: Path) -> Path:
    """Batch `number` as `collect` cached it, with the rules' claims replaced by those of the rules as they
    stood when the batch was still sealed (bench_arbitration.RULES_WHEN_SEALED), run from that commit's
    tree in a process of their own: today's rules were partly written from the dev batches' misses, and
    flatter them; a change to what the model answers is measured where the rules leave it room."""
    import subprocess

    from bench_arbitration import RULES_WHEN_SEALED, THEN_RULES, rules_tree

    out = cache / variant / f"then-batch{number}.json"
    if out.is_file():
        return out
    commit = RULES_WHEN_SEALED[number]
    tree = rules_tree(commit, cache)
    claims = cache / f"claims-{number}-{commit}.json"
    if not claims.is_file():
        claims.write_text(subprocess.run([sys.executable, "-c", THEN_RULES, str(FRESH / f"batch{number}.jsonl")], cwd=tree,
                                         env={"PYTHONPATH": str(tree), "PATH": "/usr/bin:/bin"},
                                         check=True, capture_output=True, text=True).stdout)
    batch = json.loads((cache / variant / f"batch{number}.json").read_text())
    for row, (cls, _, _) in zip(batch["rows"], json.loads(claims.read_text()), strict=True):
        row["rule_class"] = cls
    out.write_text(json.dumps(batch))
    return out


# ---- decisions ----------------------------------------------------------------------------------------


def model_answers(classes: list[str], probabilities: np.ndarray, threshold: float, unknown_factor: float) -> list[str]:
    """The model's answers with `unknown`'s probability scaled by `unknown_factor` and the row made to sum
    to 1 again (a prior against `unknown`; 1.0: rca.classify.model.answers as shipped); the likeliest
    class is then taken when it clears `threshold`."""
    scaled = probabilities.copy()
    scaled[:, classes.index(UNKNOWN)] *= unknown_factor
    scaled /= scaled.sum(axis=1, keepdims=True)
    best = scaled.argmax(axis=1)
    top = scaled[np.arange(len(best)), best]
    return np.where(top >= threshold, np.asarray(classes)[best], UNKNOWN).tolist()


def hybrid_answers(classes: list[str], probabilities: np.ndarray, claimed: list[str | None], threshold: float,
                   unknown_factor: float) -> list[str]:
    """rca.classify.hybrid's decision: a rule's claim unless the model overrides it, else the model's answer."""
    best = probabilities.argmax(axis=1)
    model = model_answers(classes, probabilities, threshold, unknown_factor)
    out = []
    for i, rule in enumerate(claimed):
        top, p = classes[best[i]], float(probabilities[i, best[i]])
        if rule is not None:
            out.append(top if overrides_rule(rule, top, p) else rule)
        else:
            out.append(model[i])
    return out


_TUNED: dict[tuple[int, float], float] = {}


def tuned_threshold(tuning: dict, unknown_factor: float) -> float:
    """rca.classify.model.best_threshold's choice, with the model's answers scaled as `model_answers` does."""
    key = (id(tuning), unknown_factor)
    if key not in _TUNED:
        _TUNED[key] = _tuned_threshold(tuning, unknown_factor)
    return _TUNED[key]


def _tuned_threshold(tuning: dict, unknown_factor: float) -> float:
    from sklearn.metrics import f1_score

    classes, labels, claimed = tuning["classes"], tuning["labels"], tuning["claimed"]
    probabilities = np.asarray(tuning["probabilities"])
    bugs = [i for i, label in enumerate(labels) if label == UNKNOWN]
    found, within = {}, set()
    for threshold in np.arange(0.2, 0.9, 0.05):
        predicted = hybrid_answers(classes, probabilities, claimed, float(threshold), unknown_factor)
        key = round(float(threshold), 2)
        found[key] = f1_score(labels, predicted, average="macro", zero_division=0)
        if sum(predicted[i] in CAUSE_CLASSES for i in bugs) <= text_model.MAX_BUGS_GIVEN_A_CAUSE * len(bugs):
            within.add(key)
    return max(within, key=lambda t: found[t]) if within else max(found)


def per_class(batch: dict) -> dict[str, float]:
    """The thresholds per cause class rca.classify.model.train tunes after the shared one (cached refits made
    before it did hold what it is tuned on)."""
    tuning = batch["tuning"]
    return text_model.class_thresholds(tuning["classes"], tuning["labels"], np.asarray(tuning["probabilities"]),
                                       tuning["claimed"], batch["threshold"])


def decide(batch: dict, method: str, unknown_factor: float, retune: bool, by_class: bool = False) -> list[str]:
    classes = batch["classes"]
    probabilities = np.asarray([r["probabilities"] for r in batch["rows"]])
    threshold = tuned_threshold(batch["tuning"], unknown_factor) if retune else batch["threshold"]
    if by_class:  # as shipped: the shared threshold, then one per cause class; the answer as rca.classify.hybrid gives it
        thresholds = per_class(batch)
        model = text_model.answers(classes, probabilities, threshold, thresholds)
        if method == "model":
            return model
        best = probabilities.argmax(axis=1)
        return [(classes[b] if overrides_rule(rule, classes[b], float(probabilities[i, b])) else rule)
                if rule is not None else model[i] for i, (rule, b) in enumerate(zip((r["rule_class"] for r in batch["rows"]), best))]
    if method == "model":
        return model_answers(classes, probabilities, threshold, unknown_factor)
    return hybrid_answers(classes, probabilities, [r["rule_class"] for r in batch["rows"]], threshold, unknown_factor)


# ---- report -------------------------------------------------------------------------------------------


def load(cache: Path, variant: str, numbers, then: bool = False) -> dict[int, dict]:
    """The cached batches; with `then`, a batch's rules as when it was sealed where `then-rules` cached them."""
    def path(n: int) -> Path:
        earlier = cache / variant / f"then-batch{n}.json"
        return earlier if then and earlier.is_file() else cache / variant / f"batch{n}.json"
    return {n: json.loads(path(n).read_text()) for n in numbers if path(n).is_file()}


def pooled(batches: dict[int, dict], numbers, method: str, factor: float, retune: bool, by_class: bool = False) -> dict:
    truth, predicted = [], []
    for n in numbers:
        truth += [r["label"] for r in batches[n]["rows"]]
        predicted += decide(batches[n], method, factor, retune, by_class)
    return scores(truth, predicted, method)


def line(result: dict) -> str:
    recall = {label: result["report"][label]["recall"] for label in result["labels"] if label in result["report"]}
    weak = " ".join(f"{label[:7]} {recall.get(label, 0):.2f}" for label in
                    ("config_error", "timeout", "dependency_connection_failure", "db_session_failure",
                     "service_unavailable", "auth_rejection", "missing_import"))
    return (f"{result['macro_f1_causes']:.3f} / {result['unknown_given_a_cause']:.1%} / "
            f"{result['causes_left_unknown']:.1%}   recall: {weak}")


FACTORS = (1.0, 0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3)


def report(cache: Path, variant: str, then: bool, confirmed: bool) -> None:
    batches = load(cache, variant, (*CHOOSE_ON, *CONFIRM_ON), then)
    choose = [n for n in CHOOSE_ON if n in batches]
    confirm = [n for n in CONFIRM_ON if n in batches]
    print(f"variant {variant}{', rules as when sealed (7-16)' if then else ''}: {len(choose)} batches to choose on, {len(confirm)} to confirm on")
    print("macro-F1 over causes / plain bugs given a cause / causes left unknown")
    results = {}
    for method in ("hybrid", "model"):
        for factor in FACTORS:
            result = pooled(batches, choose, method, factor, retune=factor != 1.0)
            results[method, factor] = result
            print(f"  2-16 {method:6} unknown x{factor:.1f}: {line(result)}")
    for method in ("hybrid", "model"):
        print(f"  2-16 {method:6} class thresholds: {line(pooled(batches, choose, method, 1.0, False, True))}")
    baseline = results["hybrid", 1.0]
    allowed = [f for f in FACTORS if results["hybrid", f]["unknown_given_a_cause"] <= max(0.03, baseline["unknown_given_a_cause"])]
    chosen = max(allowed, key=lambda f: (round(results["hybrid", f]["macro_f1_causes"], 4), -f))
    print(f"chosen on 2-16 (best hybrid macro-F1 with plain bugs given a cause <= 3% or the baseline's): x{chosen:.1f}")
    if confirm and confirmed:
        for method in ("hybrid", "model"):
            for factor in sorted({1.0, chosen}, reverse=True):
                print(f"  17-24 {method:6} unknown x{factor:.1f}: {line(pooled(batches, confirm, method, factor, factor != 1.0))}")
            print(f"  17-24 {method:6} class thresholds: {line(pooled(batches, confirm, method, 1.0, False, True))}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("step", choices=("collect", "then-rules", "report"))
    parser.add_argument("--variant", default="shipped", choices=sorted(VARIANTS))
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    parser.add_argument("--confirm", action="store_true", help="report: score batches 17-24 too, once a choice is fixed")
    parser.add_argument("--then", action="store_true", help="report: batches 7-16 with the rules as when sealed")
    parser.add_argument("--batches", default="2-20", help="collect: which dev batches (a-b), never a sealed one")
    args = parser.parse_args()
    if args.step == "collect":
        first, last = (int(x) for x in args.batches.split("-"))
        rules = RuleSet.load()
        for number in range(first, last + 1):
            collect_batch(number, args.variant, rules, args.cache)
    elif args.step == "then-rules":
        from bench_arbitration import RULES_WHEN_SEALED

        for number in RULES_WHEN_SEALED:
            collect_then_rules(number, args.variant, args.cache)
    else:
        report(args.cache, args.variant, args.then, args.confirm)


if __name__ == "__main__":
    main()
