"""Is one model really better than another on a dataset, or is the difference noise?

For each dataset/split and rule, the difference in macro-F1 (each model at its own decision
threshold) between a model and a reference, with a 95% interval from a paired bootstrap: the
rows are resampled with replacement, the same resample for both models, many times. A difference
whose interval excludes 0 is marked as outside noise. The small dev/test splits of the public
datasets (100-300 rows) move by several points from one resample to the next.

    python -m training.significance --model /tmp/m --reference baselines/naive \\
        --data ../shared/data/unified [--corpus] [--resamples 1000]
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from service.keywords import DEFAULT_KEYWORD_DIR
from service.rules import RULES
from training.cli import command_parser, reports_user_errors, split_names
from training.data import Example
from training.evaluate import Evaluated, evaluation_examples, group_examples


def macro_f1_counts(weights: np.ndarray, labels: np.ndarray, predicted: np.ndarray) -> np.ndarray:
    """Macro-F1 of ``predicted`` for each row of ``weights`` (how often each example is drawn)."""
    positive, flagged = labels.astype(bool), predicted.astype(bool)
    tp = weights[:, positive & flagged].sum(axis=1)
    fp = weights[:, ~positive & flagged].sum(axis=1)
    fn = weights[:, positive & ~flagged].sum(axis=1)
    tn = weights[:, ~positive & ~flagged].sum(axis=1)
    f1_positive = 2 * tp / np.maximum(2 * tp + fp + fn, 1)
    f1_negative = 2 * tn / np.maximum(2 * tn + fn + fp, 1)
    return (f1_positive + f1_negative) / 2


def paired_bootstrap(
    labels: np.ndarray, ours: np.ndarray, theirs: np.ndarray, resamples: int, seed: int = 0
) -> dict:
    """Return the macro-F1 difference (ours - theirs) and its 95% paired-bootstrap interval."""
    rng = np.random.default_rng(seed)
    n = len(labels)
    weights = np.stack([np.bincount(rng.integers(0, n, n), minlength=n) for _ in range(resamples)])
    # A resample with one class only has no macro-F1 to compare.
    drawn_positives = weights[:, labels.astype(bool)].sum(axis=1)
    usable = (drawn_positives > 0) & (drawn_positives < n)
    weights = weights[usable]
    everything = np.ones((1, n), dtype=int)
    difference = float(
        macro_f1_counts(everything, labels, ours)[0]
        - macro_f1_counts(everything, labels, theirs)[0]
    )
    resampled = macro_f1_counts(weights, labels, ours) - macro_f1_counts(weights, labels, theirs)
    low, high = np.percentile(resampled, [2.5, 97.5])
    return {
        "n": int(n),
        "positives": int(labels.sum()),
        "difference": round(difference, 4),
        "low": round(float(low), 4),
        "high": round(float(high), 4),
        "outside_noise": bool(low > 0 or high < 0),
    }


def compare(
    model: Evaluated,
    reference: Evaluated,
    examples: list[Example],
    splits: set[str],
    resamples: int,
) -> list[dict]:
    """One entry per dataset/split and rule that has both classes."""
    rows = []
    for (dataset, split), group in group_examples(examples, splits).items():
        texts = [e.text for e in group]
        ours = model.scorer.predict_proba(texts) >= model.decision_thresholds()
        theirs = reference.scorer.predict_proba(texts) >= reference.decision_thresholds()
        for index, rule in enumerate(RULES):
            labelled = [i for i, e in enumerate(group) if e.label(rule) is not None]
            labels = np.array([group[i].label(rule) for i in labelled], dtype=int)
            if len(set(labels.tolist())) < 2:
                continue
            result = paired_bootstrap(
                labels, ours[labelled, index], theirs[labelled, index], resamples
            )
            rows.append({"group": f"{dataset}/{split}", "rule": rule, **result})
    return rows


def format_rows(rows: list[dict]) -> str:
    lines = [f"{'dataset / split':32s} {'rule':11s} {'n':>5s}  difference  95% interval"]
    for row in rows:
        mark = "  outside noise" if row["outside_noise"] else ""
        lines.append(
            f"{row['group']:32s} {row['rule']:11s} {row['n']:5d}  {row['difference']:+.3f}     "
            f"[{row['low']:+.3f}, {row['high']:+.3f}]{mark}"
        )
    better = sum(r["difference"] > 0 for r in rows)
    worse = [r for r in rows if r["difference"] < 0]
    lines.append(
        f"better on {better} of {len(rows)}; worse on {len(worse)}, "
        f"{sum(r['outside_noise'] for r in worse)} of them outside noise"
    )
    return "\n".join(lines)


@reports_user_errors
def main(argv: list[str] | None = None) -> int:
    parser = command_parser("training.significance", __doc__)
    parser.add_argument("--model", type=Path, required=True, help="the model to judge")
    parser.add_argument("--reference", type=Path, required=True, help="what it is compared with")
    parser.add_argument("--data", type=Path, action="append", default=[])
    parser.add_argument("--corpus", action="store_true", help="also the corpus's held-out split")
    parser.add_argument("--splits", type=split_names, default="dev,test")
    parser.add_argument("--resamples", type=int, default=1000)
    args = parser.parse_args(argv)
    if args.resamples < 100:
        parser.error("--resamples must be at least 100")
    examples = evaluation_examples(args.data, args.corpus)
    if not examples:
        parser.error("nothing to compare on: give --data PATH or --corpus")
    model = Evaluated(args.model, DEFAULT_KEYWORD_DIR)
    reference = Evaluated(args.reference, DEFAULT_KEYWORD_DIR)
    rows = compare(model, reference, examples, args.splits, args.resamples)
    print(format_rows(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
