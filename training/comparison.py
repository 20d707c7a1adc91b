"""One fixed evaluation set, two models scored on it, and the rule-by-rule comparison that decides
a promotion. The evaluation report (training/report.py) shows the same numbers.

The fixed evaluation set is the corpus's held-out ``test`` split plus the ``dev`` and ``test`` rows
of the datasets given by path. None of these rows is ever trained on (training.train holds them
and their near copies out), and the corpus's ``dev`` split is left out because it calibrates the
model and picks its thresholds."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tqdm import tqdm

from service.rules import RULES
from service.scoring import APPROVE, Moderator
from training.data import Example, deduplicate, read_corpus, read_paths
from training.evaluate import Evaluated, script_of
from training.thresholds import binary_metrics

EVAL_SPLITS = ("dev", "test")
METRICS = ("f1", "macro_f1")
DEFAULT_TOLERANCE = 0.02
_CHUNK = 2000  # comments per scoring call: large enough to be fast, small enough for a progress bar


def evaluation_rows(corpus: Iterable[Example], external: Iterable[Example]) -> list[Example]:
    """Return the corpus's test rows and the external dev/test rows, near-duplicates removed
    (corpus rows first)."""
    rows = [e for e in corpus if e.split == "test"]
    rows += [e for e in external if e.split in EVAL_SPLITS]
    return deduplicate(rows)


def evaluation_set(
    data_paths: Iterable[Path] = (), corpus_dir: Path | None = None
) -> list[Example]:
    """Read the fixed evaluation set: the corpus's test rows and the dev/test rows of
    ``data_paths`` (unified JSONL files or folders)."""
    corpus, _ = read_corpus(corpus_dir) if corpus_dir else read_corpus()
    external, _ = read_paths(list(data_paths))
    return evaluation_rows(corpus, external)


def label_matrix(examples: Sequence[Example]) -> np.ndarray:
    """Return labels as floats, shape (n, rules), NaN where a row says nothing about a rule."""
    return np.array(
        [[np.nan if e.label(r) is None else e.label(r) for r in RULES] for e in examples],
        dtype=float,
    ).reshape(len(examples), len(RULES))


@dataclass(frozen=True)
class Side:
    """One comment's verdict and flagged rules under one model and its lists."""

    verdict: str
    flags: tuple[str, ...]

    @property
    def held(self) -> bool:
        return self.verdict != APPROVE


def service_sides(moderator: Moderator, texts: Sequence[str], desc: str = "scoring",
                  progress: bool = False) -> list[Side]:
    """Score ``texts`` as the service does (lists, thresholds, long comments passage by
    passage), in chunks so a progress bar can move."""
    chunks = [texts[i : i + _CHUNK] for i in range(0, len(texts), _CHUNK)]
    result = []
    for chunk in tqdm(chunks, desc=desc[:32], unit="chunk", disable=not progress):
        result += [Side(d.verdict, tuple(d.flags)) for d in moderator.score_batch(chunk)]
    return result


@dataclass
class Scored:
    """A model's scores (and the service's flags: keywords plus thresholds) on an evaluation set."""

    name: str
    metadata: dict
    examples: list[Example]
    labels: np.ndarray  # (n, rules), NaN = unlabelled
    scores: np.ndarray  # (n, rules)
    flagged: np.ndarray | None  # (n, rules) bool; None for a baseline without keyword lists
    decision: np.ndarray  # (rules,) each rule's decision threshold
    sides: list[Side] | None = None  # each comment's verdict and flags; None for a baseline

    @property
    def scripts(self) -> np.ndarray:
        return np.array([script_of(e.text) for e in self.examples])

    @property
    def sources(self) -> np.ndarray:
        return np.array([e.source for e in self.examples])


def score(model: Evaluated, examples: list[Example], progress: bool = False) -> Scored:
    """Score ``examples`` with ``model``: the classifier's scores on each whole comment, and the
    service's verdicts and flags as it answers them (as training.evaluate counts them)."""
    texts = [e.text for e in examples]
    chunks = [texts[i : i + _CHUNK] for i in range(0, len(texts), _CHUNK)]
    scores = np.zeros((0, len(RULES)))
    if chunks:
        scores = np.vstack(
            [
                model.scorer.predict_proba(chunk)
                for chunk in tqdm(
                    chunks, desc=f"scoring {model.name[:24]}", unit="chunk", disable=not progress
                )
            ]
        )
    flagged, sides = None, None
    if model.moderator is not None:
        sides = service_sides(model.moderator, texts, f"verdicts {model.name}", progress)
        flagged = np.array([[rule in side.flags for rule in RULES] for side in sides],
                           dtype=bool).reshape(len(texts), len(RULES))
    return Scored(
        model.name,
        model.metadata,
        list(examples),
        label_matrix(examples),
        scores,
        flagged,
        model.decision_thresholds(),
        sides,
    )


def rule_metrics(scored: Scored, mask: np.ndarray | None = None) -> dict[str, dict]:
    """Per rule, on the labelled rows (within ``mask``): the model at its decision threshold,
    plus precision/recall/F1 of the service's flags. Rules with no labelled row are left out."""
    result = {}
    for index, rule in enumerate(RULES):
        rows = ~np.isnan(scored.labels[:, index])
        if mask is not None:
            rows &= mask
        if not rows.any():
            continue
        labels = scored.labels[rows, index].astype(int)
        metrics = binary_metrics(scored.scores[rows, index], labels, scored.decision[index])
        if scored.flagged is not None:
            service = binary_metrics(scored.flagged[rows, index].astype(float), labels, 0.5)
            metrics["service"] = {k: service[k] for k in ("precision", "recall", "f1", "macro_f1")}
        result[rule] = metrics
    return result


@dataclass(frozen=True)
class RuleComparison:
    """One rule's metric for the candidate and the current model, and whether it may go live."""

    rule: str
    metric: str
    candidate: float | None
    current: float | None
    tolerance: float
    n: int = 0
    positives: int = 0

    @property
    def delta(self) -> float | None:
        if self.candidate is None or self.current is None:
            return None
        return self.candidate - self.current

    @property
    def passed(self) -> bool:
        """True unless the candidate falls more than ``tolerance`` below the current model."""
        return self.delta is None or self.delta >= -self.tolerance - 1e-12

    def to_dict(self) -> dict:
        return {
            "rule": self.rule,
            "metric": self.metric,
            "candidate": self.candidate,
            "current": self.current,
            "delta": self.delta,
            "tolerance": self.tolerance,
            "passed": self.passed,
            "n": self.n,
            "positives": self.positives,
        }


def compare(
    candidate: dict[str, dict],
    current: dict[str, dict] | None,
    tolerance: float,
    metric: str = "f1",
) -> list[RuleComparison]:
    """Compare per-rule metrics (from ``rule_metrics``) of a candidate and the current model."""
    if metric not in METRICS:
        raise ValueError(f"unknown metric {metric!r}; use one of {', '.join(METRICS)}")
    comparisons = []
    for rule in RULES:
        mine = candidate.get(rule)
        theirs = (current or {}).get(rule)
        comparisons.append(
            RuleComparison(
                rule,
                metric,
                None if mine is None else mine[metric],
                None if theirs is None else theirs[metric],
                tolerance,
                n=0 if mine is None else mine["n"],
                positives=0 if mine is None else mine["positives"],
            )
        )
    return comparisons


def summary(metrics: dict[str, dict]) -> dict[str, dict]:
    """Keep the figures worth recording in history and `list`: n, positives, P, R, F1, macro-F1."""
    keys = ("n", "positives", "threshold", "precision", "recall", "f1", "macro_f1")
    return {rule: {k: values[k] for k in keys} for rule, values in metrics.items()}
