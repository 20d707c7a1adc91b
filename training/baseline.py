"""The naive baseline every figure is compared with: per rule, char n-gram TF-IDF on the raw text
and a logistic regression at its default threshold. No normalization, no keyword lists; trained
on exactly the rows the real model trains on.

    python -m training.baseline [--data PATH ...] --out DIR
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import joblib
import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from tqdm import tqdm

from service.rules import RULES
from training.cli import command_parser, reports_user_errors
from training.data import DataSource, read_corpus, read_paths
from training.train import SEED, Splits, TrainingParams, split_examples

BASELINE_FILE = "baseline.joblib"


class NaiveBaseline:
    """Three independent scikit-learn pipelines, one per rule."""

    def __init__(self, pipelines: dict[str, Pipeline]):
        self.pipelines = pipelines
        self.rules = RULES

    def predict_proba(self, texts) -> np.ndarray:
        return np.column_stack([self.pipelines[rule].predict_proba(texts)[:, 1] for rule in RULES])

    def predict_proba_one(self, text: str) -> np.ndarray:
        return np.array([self.pipelines[rule].predict_proba([text])[0, 1] for rule in RULES])


def fit_baseline(splits: Splits, progress: bool = True) -> NaiveBaseline:
    """Fit one char n-gram pipeline per rule on the training rows that label it."""
    pipelines = {}
    for rule in tqdm(RULES, desc="baseline rules", disable=not progress):
        rows = [e for e in splits.train if e.label(rule) is not None]
        pipeline = Pipeline(
            [
                (
                    "tfidf",
                    TfidfVectorizer(
                        analyzer="char_wb",
                        ngram_range=(2, 5),
                        min_df=2,
                        max_features=300_000,
                        sublinear_tf=True,
                    ),
                ),
                ("lr", LogisticRegression(max_iter=1000, random_state=SEED)),
            ]
        )
        pipeline.fit([e.text for e in rows], [e.label(rule) for e in rows])
        if hasattr(pipeline.named_steps["tfidf"], "stop_words_"):  # gone in newer scikit-learn
            del pipeline.named_steps["tfidf"].stop_words_
        pipelines[rule] = pipeline
    return NaiveBaseline(pipelines)


@reports_user_errors
def main(argv: list[str] | None = None) -> int:
    """Train the naive baseline on the same rows as training.train and save it to --out."""
    parser = command_parser("training.baseline", __doc__)
    parser.add_argument("--data", type=Path, action="append", default=[])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--no-progress", action="store_true")
    args = parser.parse_args(argv)
    corpus, _ = read_corpus()
    external, sources = read_paths(args.data)
    baseline = fit_baseline(
        split_examples(corpus, external, TrainingParams()), not args.no_progress
    )
    write_baseline(args.out, baseline, sources)
    print(f"baseline written to {args.out}")
    return 0


def write_baseline(out: Path, baseline: NaiveBaseline, sources: list[DataSource]) -> None:
    """Save ``baseline`` in ``out`` with the metadata training.evaluate reads (its threshold,
    logistic regression's default 0.5, and the data it was fitted on)."""
    out.mkdir(parents=True, exist_ok=True)
    joblib.dump(baseline, out / BASELINE_FILE, compress=3)
    (out / "metadata.json").write_text(
        json.dumps(
            {
                "kind": "naive-baseline",
                "model_version": "naive-baseline",
                "thresholds": {rule: {"decision": 0.5} for rule in RULES},
                "data_sources": [s.to_dict() for s in sources],
            },
            indent=2,
        ),
        encoding="utf-8",
    )


if __name__ == "__main__":
    # Run through the importable module so pickles name training.baseline.NaiveBaseline,
    # not __main__.NaiveBaseline, and load from any other program.
    from training.baseline import main as importable_main

    sys.exit(importable_main())
