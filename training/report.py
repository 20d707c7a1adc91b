"""The evaluation report of a model version: one static HTML page a person opens in a browser.

``models/<version>/report.html`` is written at training time (before the version folder is
published) and again by ``python -m training.registry report VERSION``. It holds, on the fixed
evaluation set (training/comparison.py): per-rule precision/recall/F1 overall, per dataset and per
script; precision-recall curves, confusion matrices and F1 per dataset as PNG images embedded in
the page (base64, so the page is one file); the threshold table; the comparison with the current
model; and the worst errors with their scores. Comment text is untrusted and always escaped
(Jinja autoescape); text cells are ``dir="auto"`` so Arabic reads right to left.

Next to it, ``evaluation.json`` keeps the same figures for machines (``registry list`` reads
them)."""

from __future__ import annotations

import base64
import datetime as dt
import io
import json
import os
import tempfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from jinja2 import Environment, FileSystemLoader, select_autoescape
from matplotlib.figure import Figure
from sklearn.metrics import precision_recall_curve

from service.keywords import DEFAULT_KEYWORD_DIR
from service.model import ArtifactError
from service.rules import RULES
from training.comparison import (
    DEFAULT_TOLERANCE,
    RuleComparison,
    Scored,
    compare,
    rule_metrics,
    score,
    summary,
)
from training.data import Example
from training.evaluate import Evaluated
from training.verdicts import CHANGES, VerdictDiff, diff_sides

REPORT_FILE = "report.html"
EVALUATION_FILE = "evaluation.json"
TEMPLATES = Path(__file__).resolve().parent / "templates"
WORST_ERRORS = 10
VERDICT_EXAMPLES = 10  # comments shown per kind of verdict change
LEVELS = ("suspect", "review", "reject", "decision")  # the thresholds a model may store
_ENV = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)
_CANDIDATE_COLOR, _CURRENT_COLOR = "#1f6f8b", "#c0392b"


def _num(value) -> str:
    return "–" if value is None or value != value else f"{value:.3f}"


def _pct(value) -> str:
    return "–" if value is None or value != value else f"{value:.1%}"


def _signed(value) -> str:
    return "–" if value is None or value != value else f"{value:+.3f}"


_ENV.filters.update(num=_num, pct=_pct, signed=_signed)


@dataclass(frozen=True)
class Error:
    """A misclassified comment, for the worst-errors tables."""

    id: str
    source: str
    text: str
    score: float


def _png(figure: Figure) -> str:
    buffer = io.BytesIO()
    figure.savefig(
        buffer, format="png", dpi=100, metadata={"Software": None}
    )  # no version stamp: same figures, same bytes
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def pr_curves_png(candidate: Scored, current: Scored | None) -> str:
    """Precision-recall curve per rule, the current model dashed; dots at the chosen thresholds."""
    figure = Figure(figsize=(4.2 * len(RULES), 3.9))
    for index, rule in enumerate(RULES):
        axes = figure.add_subplot(1, len(RULES), index + 1)
        for scored, style, color in (
            (candidate, "-", _CANDIDATE_COLOR),
            (current, "--", _CURRENT_COLOR),
        ):
            if scored is None:
                continue
            rows = ~np.isnan(scored.labels[:, index])
            labels = scored.labels[rows, index].astype(int)
            if labels.min(initial=1) == labels.max(initial=0):
                continue
            precision, recall, _ = precision_recall_curve(labels, scored.scores[rows, index])
            axes.plot(recall, precision, style, color=color, label=scored.name[:24])
            thresholds = scored.metadata["thresholds"][rule]
            for level, marker in (
                ("suspect", "v"),
                ("review", "o"),
                ("reject", "s"),
                ("decision", "^"),
            ):
                if level not in thresholds:
                    continue
                predicted = scored.scores[rows, index] >= thresholds[level]
                if predicted.any():
                    p = labels[predicted].mean()
                    r = predicted[labels == 1].mean()
                    axes.plot(
                        [r],
                        [p],
                        marker,
                        color=color,
                        markersize=6,
                        label=f"{level} ≥ {thresholds[level]:.2f}" if scored is candidate else None,
                    )
        axes.set_title(rule)
        axes.set_xlabel("recall")
        axes.set_ylabel("precision")
        axes.set_xlim(0, 1.02)
        axes.set_ylim(0, 1.02)
        axes.grid(alpha=0.3)
        if axes.lines:
            axes.legend(fontsize=7, loc="lower left")
    figure.subplots_adjust(left=0.06, right=0.98, bottom=0.16, top=0.9, wspace=0.28)
    return _png(figure)


def confusion_png(candidate: Scored) -> str:
    """2×2 confusion matrix per rule at the decision threshold, counts and row shares."""
    figure = Figure(figsize=(3.6 * len(RULES), 3.4))
    for index, rule in enumerate(RULES):
        axes = figure.add_subplot(1, len(RULES), index + 1)
        rows = ~np.isnan(candidate.labels[:, index])
        labels = candidate.labels[rows, index].astype(int)
        predicted = (candidate.scores[rows, index] >= candidate.decision[index]).astype(int)
        matrix = np.array(
            [[np.sum((labels == a) & (predicted == b)) for b in (0, 1)] for a in (0, 1)]
        )
        shares = matrix / np.maximum(matrix.sum(axis=1, keepdims=True), 1)
        axes.imshow(shares, cmap="Blues", vmin=0, vmax=1)
        for a in (0, 1):
            for b in (0, 1):
                axes.text(
                    b,
                    a,
                    f"{matrix[a, b]}\n{shares[a, b]:.0%}",
                    ha="center",
                    va="center",
                    color="white" if shares[a, b] > 0.6 else "black",
                    fontsize=10,
                )
        axes.set_xticks([0, 1], ["clean", rule])
        axes.set_yticks([0, 1], ["clean", rule])
        axes.set_xlabel("predicted")
        axes.set_ylabel("labelled")
        axes.set_title(f"{rule} (threshold {candidate.decision[index]:.2f})")
    figure.subplots_adjust(left=0.09, right=0.98, bottom=0.16, top=0.9, wspace=0.55)
    return _png(figure)


def dataset_f1_png(by_dataset: dict[str, dict], current_by_dataset: dict[str, dict] | None) -> str:
    """Horizontal bars: the candidate's F1 per dataset and rule, the current model's as a tick."""
    height = 0.45 * max(len(by_dataset), 2) + 1.2
    figure = Figure(figsize=(4.2 * len(RULES), height))
    names = list(by_dataset)
    for index, rule in enumerate(RULES):
        axes = figure.add_subplot(1, len(RULES), index + 1)
        values = [by_dataset[n].get(rule, {}).get("f1", np.nan) for n in names]
        y = np.arange(len(names))
        axes.barh(y, np.nan_to_num(values), color=_CANDIDATE_COLOR, alpha=0.85, label="candidate")
        if current_by_dataset:
            theirs = [current_by_dataset.get(n, {}).get(rule, {}).get("f1", np.nan) for n in names]
            axes.plot(
                theirs,
                y,
                "|",
                color=_CURRENT_COLOR,
                markersize=14,
                markeredgewidth=2,
                label="current",
            )
        axes.set_yticks(y, names if index == 0 else [""] * len(names), fontsize=8)
        axes.invert_yaxis()
        axes.set_xlim(0, 1)
        axes.set_title(f"{rule}: F1 per dataset")
        axes.grid(axis="x", alpha=0.3)
        if index == 0:
            axes.legend(fontsize=7, loc="lower right")
    figure.subplots_adjust(
        left=0.13, right=0.98, bottom=0.45 / height, top=1 - 0.4 / height, wspace=0.12
    )
    return _png(figure)


def worst_errors(scored: Scored, k: int = WORST_ERRORS) -> dict[str, dict[str, list[Error]]]:
    """Per rule, the k most confident false positives and the k most missed false negatives."""
    result = {}
    for index, rule in enumerate(RULES):
        threshold = scored.decision[index]
        labels, scores = scored.labels[:, index], scored.scores[:, index]
        false_pos = np.flatnonzero((labels == 0) & (scores >= threshold))
        false_neg = np.flatnonzero((labels == 1) & (scores < threshold))
        false_pos = false_pos[np.argsort(-scores[false_pos], kind="stable")][:k]
        false_neg = false_neg[np.argsort(scores[false_neg], kind="stable")][:k]

        result[rule] = {
            "false_positives": _errors(scored, false_pos, scores),
            "false_negatives": _errors(scored, false_neg, scores),
        }
    return result


def _errors(scored: Scored, rows: np.ndarray, scores: np.ndarray) -> list[Error]:
    examples = scored.examples
    return [
        Error(examples[i].id, examples[i].source, examples[i].text, float(scores[i])) for i in rows
    ]


def threshold_table(scored: Scored) -> list[dict]:
    """Per rule and level: the stored threshold and what it does on the evaluation set."""
    table = []
    for index, rule in enumerate(RULES):
        rows = ~np.isnan(scored.labels[:, index])
        labels = scored.labels[rows, index].astype(int)
        scores = scored.scores[rows, index]
        stored = scored.metadata["thresholds"][rule]
        for level in [level for level in LEVELS if level in stored]:
            threshold = stored[level]
            predicted = scores >= threshold
            positives, negatives = labels.sum(), len(labels) - labels.sum()
            table.append(
                {
                    "rule": rule,
                    "level": level,
                    "threshold": threshold,
                    "n": int(len(labels)),
                    "flagged_share": float(predicted.mean()) if len(labels) else None,
                    "precision": float(labels[predicted].mean()) if predicted.any() else None,
                    "recall": float(predicted[labels == 1].mean()) if positives else None,
                    "fpr": float(predicted[labels == 0].mean()) if negatives else None,
                }
            )
    return table


def breakdown(scored: Scored) -> tuple[dict[str, dict], dict[str, dict]]:
    """Return per-rule metrics per dataset and per script."""
    sources, scripts = scored.sources, scored.scripts
    by_dataset = {
        name: rule_metrics(scored, sources == name) for name in sorted(set(sources.tolist()))
    }
    by_script = {
        name: rule_metrics(scored, scripts == name)
        for name in ("arabic", "latin")
        if (scripts == name).any()
    }
    return by_dataset, by_script


def render(
    candidate: Scored,
    current: Scored | None,
    comparisons: list[RuleComparison] | None,
    *,
    current_note: str | None = None,
    tolerance: float = DEFAULT_TOLERANCE,
    verdict_diff: VerdictDiff | None = None,
) -> str:
    """Return the report page for ``candidate`` (compared with ``current`` when given, and with
    the comments whose verdict the switch would change)."""
    by_dataset, by_script = breakdown(candidate)
    current_by_dataset = current_by_script = None
    if current is not None:
        current_by_dataset, current_by_script = breakdown(current)
    overall = rule_metrics(candidate)
    return _ENV.get_template("report.html").render(
        rules=RULES,
        meta=candidate.metadata,
        generated_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        eval_n=len(candidate.examples),
        eval_sources=sorted(Counter(candidate.sources.tolist()).items()),
        eval_scripts=sorted(Counter(candidate.scripts.tolist()).items()),
        overall=overall,
        current_overall=None if current is None else rule_metrics(current),
        current_name=None if current is None else current.name,
        current_note=current_note,
        comparisons=comparisons,
        tolerance=tolerance,
        thresholds=threshold_table(candidate),
        by_dataset=by_dataset,
        current_by_dataset=current_by_dataset or {},
        by_script=by_script,
        current_by_script=current_by_script or {},
        errors=worst_errors(candidate),
        verdict_diff=verdict_diff,
        verdict_changes=None if verdict_diff is None else verdict_change_rows(verdict_diff),
        images={
            "pr_curves": pr_curves_png(candidate, current),
            "confusion": confusion_png(candidate),
            "datasets": dataset_f1_png(by_dataset, current_by_dataset),
        },
    )


def verdict_change_rows(diff: VerdictDiff, k: int = VERDICT_EXAMPLES) -> list[dict]:
    """Per kind of change (clean newly held, violations newly missed, ...): its count and the
    first ``k`` comments, for the report's table."""
    rows = []
    for kind in ("clean", "violating"):
        for change in CHANGES[kind]:
            changed = [c for c in diff.changed if c.kind == kind and c.change == change]
            rows.append({"kind": kind, "change": change, "count": len(changed),
                         "examples": changed[:k]})
    return rows


def write_atomically(path: Path, content: str) -> None:
    """Write ``path`` through a temporary file and os.replace: readers never see half a file."""
    with tempfile.NamedTemporaryFile(
        "w", encoding="utf-8", dir=path.parent, prefix=f".{path.name}.", delete=False
    ) as handle:
        handle.write(content)
        temporary = Path(handle.name)
    temporary.chmod(0o644)
    os.replace(temporary, path)


def write_report(
    version_dir: Path,
    examples: list[Example],
    current_dir: Path | None = None,
    keyword_dir: Path = DEFAULT_KEYWORD_DIR,
    tolerance: float = DEFAULT_TOLERANCE,
    metric: str = "f1",
    progress: bool = False,
) -> Path:
    """Evaluate the model in ``version_dir`` (and the current one) on ``examples``; write
    ``report.html`` and ``evaluation.json`` into ``version_dir``; return the report's path.

    :raise ArtifactError: when the model in ``version_dir`` cannot be loaded.
    """
    candidate = score(Evaluated(version_dir, keyword_dir), examples, progress)
    current, note = None, None
    if current_dir is not None and Path(current_dir).resolve() == Path(version_dir).resolve():
        note = "this version is the current model"
    elif current_dir is not None:
        try:
            current = score(Evaluated(current_dir, keyword_dir), examples, progress)
        except ArtifactError as error:
            note = f"the current model could not be loaded, so there is no comparison: {error}"
    verdict_diff = None
    if current is not None and current.sides and candidate.sides:  # neither is a baseline
        verdict_diff = diff_sides(examples, current.sides, candidate.sides, current.name,
                                  candidate.name)
    candidate_metrics = rule_metrics(candidate)
    comparisons = None
    if current is not None:
        comparisons = compare(candidate_metrics, rule_metrics(current), tolerance, metric)
    page = render(candidate, current, comparisons, current_note=note, tolerance=tolerance,
                  verdict_diff=verdict_diff)
    evaluation = {
        "model_version": candidate.name,
        "evaluated_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "n": len(examples),
        "sources": dict(sorted(Counter(candidate.sources.tolist()).items())),
        "rules": summary(candidate_metrics),
        "compared_with": None if current is None else current.name,
        "comparison": None if comparisons is None else [c.to_dict() for c in comparisons],
        "verdict_changes": None if verdict_diff is None else verdict_diff.counts(),
    }
    write_atomically(
        version_dir / EVALUATION_FILE, json.dumps(evaluation, ensure_ascii=False, indent=2)
    )
    write_atomically(version_dir / REPORT_FILE, page)
    return version_dir / REPORT_FILE
