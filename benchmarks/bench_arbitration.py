"""Who decides when a rule and the model disagree: measured on the dev batches, never on a sealed one.

    python benchmarks/bench_arbitration.py collect            # the rules' and the model's say per row, cached
    python benchmarks/bench_arbitration.py policies           # choose on batches 2-12, confirm on 13-16
    python benchmarks/bench_arbitration.py real               # the real corpus held out by repository

`collect` scores each dev batch (`fixtures/fresh-corpus/batch2.jsonl` ... `batch16.jsonl`) as `rca eval`
does: with the model refitted without the batch's texts (rca.classify.evaluate.leak_free_model), the
rules fixed. Per row it keeps the rules' decision (class, rule id, the rule's confidence) and the
model's probabilities, in one JSON file per batch under the cache folder, so that policies are tried in
seconds. `real` does the same for the real corpus's grouped cross-validation (five folds by
repository, as `rca eval --cv-groups repo`), one cached file for all folds.

`policies` replays decision policies on the cached rows: the policy and its parameters are chosen on
batches 2-12 pooled (best hybrid macro-F1 over cause classes among the policies that give no more of
the plain bugs a cause than the rules-always-decide baseline does), then that one policy is scored on
batches 13-16 and on the real corpus's folds, without choosing again.
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from rca.classify.classes import CAUSE_CLASSES, KNOWN_CLASSES, UNKNOWN  # noqa: E402
from rca.classify.evaluate import fold_indices, leak_free_model, rule_decisions, scores, without_rows_of  # noqa: E402
from rca.classify.model import read_corpus, train, training_rows  # noqa: E402
from rca.classify.rules import RuleSet  # noqa: E402

FRESH = ROOT / "fixtures" / "fresh-corpus"
REAL = ROOT / "fixtures" / "real-corpus" / "excerpts.jsonl"
CHOOSE_ON = tuple(range(2, 13))
CONFIRM_ON = tuple(range(13, 17))
DEFAULT_CACHE = Path("/tmp/rca-arbitration")


# ---- collect ------------------------------------------------------------------------------------------


def _row_record(row: dict, decided, classes: list[str], probabilities, threshold: float) -> dict:
    return {
        "id": row.get("id"), "label": row["label"], "repo": row.get("repo"),
        "rule_class": decided.cls if decided.method == "rule" else None,
        "rule_id": decided.rule.id if decided.rule is not None else None,
        "rule_confidence": float(decided.confidence) if decided.method == "rule" else None,
        "classes": classes, "probabilities": [round(float(p), 6) for p in probabilities], "threshold": threshold,
    }


def collect_batch(number: int, rules: RuleSet, cache: Path) -> Path:
    out = cache / f"batch{number}.json"
    if out.is_file():
        return out
    rows = read_corpus(FRESH / f"batch{number}.jsonl")
    started = time.process_time()
    model, note = leak_free_model(rows, rules, say=lambda line: print(f"batch{number}: {line}", file=sys.stderr))
    decided = rule_decisions(rows, rules)
    probabilities = model.predict_proba([r["text"] for r in rows])
    records = [_row_record(r, d, model.classes, p, float(model.threshold)) for r, d, p in zip(rows, decided, probabilities)]
    out.write_text(json.dumps({"note": note, "rows": records}))
    print(f"batch{number}: {len(rows)} rows, threshold {model.threshold:.2f}, {time.process_time() - started:.0f} CPU-s",
          file=sys.stderr)
    return out


def collect_real(rules: RuleSet, cache: Path, folds: int = 5) -> Path:
    """The real corpus by grouped cross-validation, as rca.classify.evaluate.cross_validate folds it."""
    out = cache / "real.json"
    if out.is_file():
        return out
    rows = read_corpus(REAL)
    base, _ = without_rows_of(training_rows(), rows)
    decided = rule_decisions(rows, rules)
    records: list[dict | None] = [None] * len(rows)
    for fold, test in enumerate(fold_indices(rows, "repo", folds)):
        held = set(test)
        training, _ = without_rows_of(base + [r for i, r in enumerate(rows) if i not in held], [rows[i] for i in test])
        model = train(training, rules=rules)
        probabilities = model.predict_proba([rows[i]["text"] for i in test])
        for i, p in zip(test, probabilities):
            records[i] = {**_row_record(rows[i], decided[i], model.classes, p, float(model.threshold)), "fold": fold}
        print(f"real: fold {fold} done, threshold {model.threshold:.2f}", file=sys.stderr)
    out.write_text(json.dumps({"rows": records}))
    return out


# The rules as they stood when a batch was still unseen: the main commit that measured it sealed for
# the last time (benchmarks/results/classification-issue28-sealed.md). Today's rules were partly written
# from these batches' misses, so on them a rule is right more often than it will be on new text.
RULES_WHEN_SEALED = {7: "75e5598", 8: "ece649f", 9: "78e506d", 10: "5939cb8", 11: "85922d9", 12: "cb5d9b8",
                     13: "cb5d9b8", 14: "f510d63", 15: "f510d63", 16: "303503d"}
THEN_RULES = """
import json, sys
from rca.classify.evaluate import rule_decisions
from rca.classify.model import read_corpus
from rca.classify.rules import RuleSet
out = []
for d in rule_decisions(read_corpus(sys.argv[1]), RuleSet.load()):
    claimed = d.method == "rule"
    out.append([d.cls if claimed else None, d.rule.id if d.rule is not None else None, float(d.confidence) if claimed else None])
print(json.dumps(out))
"""


def rules_tree(commit: str, cache: Path) -> Path:
    """The package and rules of `commit`, unpacked once under the cache folder (`git archive`)."""
    import io
    import subprocess
    import tarfile

    tree = cache / f"tree-{commit}"
    if not tree.is_dir():
        tree.mkdir()
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", commit, "rca", "rules", "pyproject.toml"],
                                 check=True, capture_output=True).stdout
        tarfile.open(fileobj=io.BytesIO(archive)).extractall(tree, filter="data")
    return tree


def collect_then_rules(number: int, cache: Path) -> Path:
    """Batch `number`'s rows as cached by `collect` (today's model, refitted without the batch), with the
    rules' decisions replaced by those of the rules at RULES_WHEN_SEALED[number], run from that commit's
    tree (`git archive`, under the cache folder) in a process of their own."""
    import subprocess

    out = cache / f"then-batch{number}.json"
    if out.is_file():
        return out
    commit = RULES_WHEN_SEALED[number]
    tree = rules_tree(commit, cache)
    decided = json.loads(subprocess.run([sys.executable, "-c", THEN_RULES, str(FRESH / f"batch{number}.jsonl")],
                                        cwd=tree, env={"PYTHONPATH": str(tree), "PATH": "/usr/bin:/bin"},
                                        check=True, capture_output=True, text=True).stdout)
    rows = load_rows(cache, f"batch{number}")
    for row, (cls, rule_id, confidence) in zip(rows, decided, strict=True):
        row.update(rule_class=cls, rule_id=rule_id, rule_confidence=confidence)
    out.write_text(json.dumps({"note": f"rules at {commit}", "rows": rows}))
    print(f"batch{number}: rules at {commit}", file=sys.stderr)
    return out


def load_rows(cache: Path, name: str) -> list[dict]:
    return json.loads((cache / f"{name}.json").read_text())["rows"]


# ---- policies -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Policy:
    """When a rule claims a text: the model's top class replaces the rule's when it is another known class
    (`to_symptoms`: symptom classes too, else cause classes only) with probability >= `override`, and the
    rule's confidence is at most `rule_at_most`; the claim becomes `unknown` when the model gives `unknown`
    at least `to_unknown`. Unclaimed texts are the model's when its top class clears its threshold, as
    today. `override=None` and `to_unknown=None`: rules always decide (the baseline)."""

    override: float | None = None
    rule_at_most: float = 1.0
    to_symptoms: bool = False
    to_unknown: float | None = None
    rule_at_most_agrees: float = 1.0  # the model's own probability for the rule's class must be at most this
    families: tuple[str, ...] | None = None  # the rules' classes the model may override (None: any)

    def name(self) -> str:
        if self.override is None and self.to_unknown is None:
            return "rules always decide"
        parts = []
        if self.override is not None:
            parts.append(f"override p>={self.override:.2f}" + (" (any class)" if self.to_symptoms else " (causes)")
                         + (f" rule conf<={self.rule_at_most:.2f}" if self.rule_at_most < 1 else "")
                         + (f" p(rule class)<={self.rule_at_most_agrees:.2f}" if self.rule_at_most_agrees < 1 else ""))
        if self.to_unknown is not None:
            parts.append(f"to unknown p>={self.to_unknown:.2f}")
        if self.families is not None:
            parts.append("only over rules of " + "+".join(self.families))
        return ", ".join(parts)

    def decide(self, row: dict) -> str:
        classes, probabilities = row["classes"], row["probabilities"]
        best = max(range(len(classes)), key=probabilities.__getitem__)
        top, p = classes[best], probabilities[best]
        rule = row["rule_class"]
        if rule is None:
            return top if top != UNKNOWN and p >= row["threshold"] else UNKNOWN
        if top == rule or (self.families is not None and rule not in self.families):
            return rule
        agrees = probabilities[classes.index(rule)] if rule in classes else 0.0
        targets = KNOWN_CLASSES if self.to_symptoms else CAUSE_CLASSES
        if (self.override is not None and top in targets and top != UNKNOWN and p >= self.override
                and row["rule_confidence"] <= self.rule_at_most and agrees <= self.rule_at_most_agrees):
            return top
        if self.to_unknown is not None and top == UNKNOWN and p >= self.to_unknown and agrees <= self.rule_at_most_agrees:
            return UNKNOWN
        return rule


def score(policy: Policy, rows: list[dict]) -> dict:
    return scores([r["label"] for r in rows], [policy.decide(r) for r in rows], policy.name())


def quick(truth: list[str], predicted: list[str]) -> tuple[float, float, float]:
    """`scores`' three headline figures, counted directly (scikit-learn's reports are too slow for a grid
    of a thousand policies): macro-F1 over the cause classes present, plain bugs given a cause, causes
    left unknown."""
    present = set(truth) | set(predicted)
    f1s = []
    for cls in CAUSE_CLASSES:
        if cls not in present:
            continue
        tp = sum(t == cls and p == cls for t, p in zip(truth, predicted))
        fp = sum(t != cls and p == cls for t, p in zip(truth, predicted))
        fn = sum(t == cls and p != cls for t, p in zip(truth, predicted))
        f1s.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
    bugs = [p for t, p in zip(truth, predicted) if t == UNKNOWN]
    causes = [p for t, p in zip(truth, predicted) if t in CAUSE_CLASSES]
    return (sum(f1s) / len(f1s) if f1s else 0.0, sum(p in CAUSE_CLASSES for p in bugs) / max(len(bugs), 1),
            sum(p == UNKNOWN for p in causes) / max(len(causes), 1))


def quick_score(policy: Policy, rows: list[dict]) -> tuple[float, float, float]:
    return quick([r["label"] for r in rows], [policy.decide(r) for r in rows])


def figures(result) -> str:
    if isinstance(result, dict):
        result = (result["macro_f1_causes"], result["unknown_given_a_cause"] or 0, result["causes_left_unknown"] or 0)
    return f"{result[0]:.3f} / {result[1]:.1%} / {result[2]:.1%}"


def grid() -> list[Policy]:
    policies = [Policy()]
    overrides = [None, 0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95]
    rule_caps = [1.0, 0.9, 0.85, 0.8]
    agrees = [1.0, 0.2, 0.05]
    to_unknown = [None, 0.7, 0.8, 0.9]
    families = [None, *((cls,) for cls in KNOWN_CLASSES if cls != UNKNOWN)]
    for override, cap, symptoms, unknown, agree, family in itertools.product(overrides, rule_caps, (False, True), to_unknown,
                                                                             agrees, families):
        if override is None and unknown is None:
            continue
        if override is None and (cap < 1.0 or symptoms):
            continue
        policies.append(Policy(override, cap, symptoms, unknown, agree, family))
    return policies


def pooled(cache: Path, numbers, prefix: str = "") -> list[dict]:
    return [row for n in numbers for row in load_rows(cache, f"{prefix}batch{n}")]


def choose(rows: list[dict], label: str) -> Policy:
    """The policy with the best pooled macro-F1 over cause classes among those that give no more plain
    bugs a cause than the baseline; ties go to the fewer causes left unknown, then to the grid's order
    (the baseline first, then overrides from the lowest probability up)."""
    baseline = quick_score(Policy(), rows)
    results = [(policy, quick_score(policy, rows)) for policy in grid()]
    allowed = [(p, r) for p, r in results if r[1] <= baseline[1] + 1e-9]
    ranked = sorted(allowed, key=lambda pr: (-round(pr[1][0], 4), pr[1][2]))
    print(f"\nchosen on {label} pooled ({len(rows)} rows); baseline (rules always decide) {figures(baseline)}")
    print(f"{len(results)} policies, {len(allowed)} give no more plain bugs a cause than the baseline; the five best:")
    for policy, result in ranked[:5]:
        print(f"  {figures(result)}  {policy.name()}")
    return ranked[0][0]


def compare(policy: Policy, rows: list[dict], label: str) -> None:
    overridden = sum(_overridden(policy, r) for r in rows)
    right = sum(_overridden(policy, r) and policy.decide(r) == r["label"] for r in rows)
    wrong = sum(_overridden(policy, r) and r["rule_class"] == r["label"] for r in rows)
    print(f"  {label:34} {len(rows):5} rows   baseline {figures(quick_score(Policy(), rows))}   "
          f"policy {figures(quick_score(policy, rows))}   rule overridden {overridden} "
          f"(model right {right}, rule was right {wrong})")


def report(cache: Path) -> None:
    print("hybrid macro-F1 over cause classes / plain bugs given a cause / causes left unknown")
    today = choose(pooled(cache, CHOOSE_ON), f"batches {CHOOSE_ON[0]}-{CHOOSE_ON[-1]}, today's rules")
    then_choose = [n for n in CHOOSE_ON if n in RULES_WHEN_SEALED]
    then_confirm = [n for n in CONFIRM_ON if n in RULES_WHEN_SEALED]
    have_then = all((cache / f"then-batch{n}.json").is_file() for n in RULES_WHEN_SEALED)
    then = choose(pooled(cache, then_choose, "then-"), f"batches {then_choose[0]}-{then_choose[-1]}, rules as when sealed") \
        if have_then else None
    for policy, how in ((today, "chosen with today's rules"), (then, "chosen with the rules as when sealed")):
        if policy is None:
            continue
        print(f"\npolicy {how}: {policy.name()}")
        compare(policy, pooled(cache, CHOOSE_ON), "2-12, today's rules")
        compare(policy, pooled(cache, CONFIRM_ON), "13-16, today's rules (confirm)")
        if have_then:
            compare(policy, pooled(cache, then_choose, "then-"), f"{then_choose[0]}-{then_choose[-1]}, rules when sealed")
            compare(policy, pooled(cache, then_confirm, "then-"), "13-16, rules when sealed (confirm)")
        for n in (*CHOOSE_ON, *CONFIRM_ON):
            compare(policy, load_rows(cache, f"batch{n}"), f"  batch{n}, today's rules")
        if (cache / "real.json").is_file():
            rows = load_rows(cache, "real")
            compare(policy, rows, "real corpus CV by repo")
            before, after = score(Policy(), rows), score(policy, rows)
            for label in before["labels"]:
                b, a = before["f1"].get(label, 0.0), after["f1"].get(label, 0.0)
                if abs(a - b) >= 0.0005:
                    print(f"    {label:32} F1 {b:.3f} -> {a:.3f}")


def _overridden(policy: Policy, row: dict) -> bool:
    return row["rule_class"] is not None and policy.decide(row) != row["rule_class"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("step", choices=("collect", "real", "then-rules", "policies"))
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    parser.add_argument("--batches", default="2-16", help="collect: which dev batches (a-b), never a sealed one")
    args = parser.parse_args()
    args.cache.mkdir(parents=True, exist_ok=True)
    if args.step == "collect":
        first, last = (int(x) for x in args.batches.split("-"))
        if last > CONFIRM_ON[-1]:
            raise SystemExit(f"batch {CONFIRM_ON[-1] + 1} and later are sealed: never scored here")
        rules = RuleSet.load()
        for number in range(first, last + 1):
            collect_batch(number, rules, args.cache)
    elif args.step == "then-rules":
        for number in RULES_WHEN_SEALED:
            collect_then_rules(number, args.cache)
    elif args.step == "real":
        collect_real(RuleSet.load(), args.cache)
    else:
        report(args.cache)


if __name__ == "__main__":
    main()
