"""Evaluate models on labelled data, per dataset, split, rule and script.

    python -m training.evaluate --model models/ [--model baselines/naive] --data PATH ... [--corpus]
                                [--dev-thresholds] [--report JSON] [--plot PNG]

For each model it prints precision, recall and macro-F1 of the classifier at its decision
threshold ("model") and, for our models, of the whole service — keyword lists plus thresholds, a
rule counts as flagged when the verdict holds or rejects the comment for it ("service"). It also
prints the share of clean comments the service holds. With ``--dev-thresholds`` it also scores
each dataset's other splits at the threshold that is best on that dataset's own dev split
("dev_threshold"): the protocol of per-dataset published figures, and what a site that labels
a sample of its own comments can set (``MODERATION_THRESHOLDS``). The full figures go to a JSON
report, and with ``--plot`` to a picture: macro-F1 per dataset and split, one bar per model, a
tick where the service's flags put it."""

from __future__ import annotations

import json
import re
import sys
from collections import defaultdict
from pathlib import Path

import joblib
import numpy as np
from matplotlib.figure import Figure

from service.keywords import DEFAULT_KEYWORD_DIR, KeywordMatcher
from service.model import METADATA_FILE, ArtifactError, check_thresholds, load_artifact
from service.rules import RULES
from service.scoring import APPROVE, Moderator
from training.baseline import BASELINE_FILE
from training.cli import command_parser, reports_user_errors, split_names
from training.data import (
    SPLITS,
    DataError,
    Example,
    label_kind,
    read_corpus,
    read_paths,
    refuse_empty,
)
from training.thresholds import best_macro_f1_threshold, binary_metrics

_ARABIC_LETTER = re.compile(r"[\u0600-\u06FF]")
_LATIN_LETTER = re.compile(r"[A-Za-z\u00C0-\u024F]")


def script_of(text: str) -> str:
    """Return "arabic" or "latin": the script most of a comment's letters are in."""
    return (
        "latin"
        if len(_LATIN_LETTER.findall(text)) > len(_ARABIC_LETTER.findall(text))
        else "arabic"
    )


class Evaluated:
    """A model under evaluation: scores, and verdicts when it is a full service model."""

    def __init__(self, path: Path, keyword_dir: Path):
        self.path = path
        if (path / BASELINE_FILE).is_file():
            try:
                self.metadata = json.loads((path / METADATA_FILE).read_text(encoding="utf-8"))
            except (OSError, ValueError) as error:
                raise ArtifactError(f"cannot read {path / METADATA_FILE}: {error}") from error
            # A baseline stores the decision threshold only, which is all it is scored at.
            check_thresholds(self.metadata, path, levels=("decision",))
            self.scorer = joblib.load(path / BASELINE_FILE)
            self.moderator = None
        else:
            # load_artifact checks the thresholds, decision included (service/model.py).
            bundle = load_artifact(path)
            self.scorer, self.metadata = bundle.classifier, bundle.metadata
            self.moderator = Moderator(bundle, KeywordMatcher.from_directory(keyword_dir))
        self.name = self.metadata["model_version"]

    def decision_thresholds(self) -> np.ndarray:
        return np.array([self.metadata["thresholds"][rule]["decision"] for rule in RULES])


def group_examples(
    examples: list[Example], splits: set[str]
) -> dict[tuple[str, str], list[Example]]:
    """Group evaluation rows by (dataset, split)."""
    groups = defaultdict(list)
    for example in examples:
        if example.split in splits:
            groups[(example.source, example.split)].append(example)
    return dict(sorted(groups.items()))


def dev_thresholds(rows: list[Example], scores: np.ndarray) -> np.ndarray:
    """Return the decision threshold of each rule chosen on one dataset's dev rows and their
    scores (the best macro-F1, as training chooses on its validation split): NaN for a rule its
    dev rows do not show both ways."""
    chosen = np.full(len(RULES), np.nan)
    for index, rule in enumerate(RULES):
        known = [i for i, e in enumerate(rows) if e.label(rule) is not None]
        chosen[index] = best_macro_f1_threshold(
            scores[known, index], [rows[i].label(rule) for i in known])
    return chosen


def evaluate_group(
    model: Evaluated, examples: list[Example], scores: np.ndarray,
    own_thresholds: np.ndarray | None = None,
) -> dict:
    """Return one (dataset, split) group's metrics by slice and rule, from the classifier's
    ``scores`` and the service's verdicts, and with ``own_thresholds`` (per rule, NaN for none)
    the metrics at those thresholds too."""
    texts = [e.text for e in examples]
    flagged = None
    held = None
    if model.moderator is not None:
        decisions = model.moderator.score_batch(texts)
        flagged = np.array([[rule in d.flags for rule in RULES] for d in decisions])
        held = np.array([d.verdict != APPROVE for d in decisions])
    scripts = np.array([script_of(t) for t in texts])
    clean = np.array([label_kind(e) == "clean" for e in examples], dtype=bool)
    result = {}
    for slice_name in ("all", "arabic", "latin"):
        mask = np.ones(len(texts), bool) if slice_name == "all" else scripts == slice_name
        if not mask.any():
            continue
        result[slice_name] = slice_metrics(
            model, examples, scores, flagged, held, clean, mask, own_thresholds)
    return result


def slice_metrics(model, examples, scores, flagged, held, clean, mask, own_thresholds) -> dict:
    """Metrics of one slice (``mask``) of a group: per rule, and the clean comments held."""
    out = {"n": int(mask.sum()), "rules": {}}
    if held is not None and (clean & mask).any():
        out["clean_held_rate"] = float(held[clean & mask].mean())
        out["clean_n"] = int((clean & mask).sum())
    thresholds = model.decision_thresholds()
    for index, rule in enumerate(RULES):
        rows = np.array(
            [i for i, e in enumerate(examples) if mask[i] and e.label(rule) is not None], dtype=int
        )
        if len(rows) == 0:
            continue
        labels = np.array([examples[i].label(rule) for i in rows])
        entry = {"model": binary_metrics(scores[rows, index], labels, thresholds[index])}
        if own_thresholds is not None and not np.isnan(own_thresholds[index]):
            entry["dev_threshold"] = binary_metrics(
                scores[rows, index], labels, own_thresholds[index])
        if flagged is not None:
            entry["service"] = binary_metrics(flagged[rows, index].astype(float), labels, 0.5)
            del entry["service"]["average_precision"], entry["service"]["roc_auc"]
        out["rules"][rule] = entry
    return out


def evaluate(
    models: list[Evaluated], examples: list[Example], splits: set[str], by_dev: bool = False
) -> dict:
    """Return {model: {"dataset/split": metrics}} for every model and group; with ``by_dev``,
    every split but dev is also scored at its dataset's own dev thresholds."""
    # Dev rows are scored once, for their thresholds and, when asked for, their own figures.
    groups = group_examples(examples, splits | ({"dev"} if by_dev else set()))
    report = {}
    for model in models:
        scores = {key: model.scorer.predict_proba([e.text for e in rows])
                  for key, rows in groups.items()}
        own = {dataset: dev_thresholds(rows, scores[(dataset, split)])
               for (dataset, split), rows in groups.items() if by_dev and split == "dev"}
        report[model.name] = {
            # A dev split scored at thresholds chosen on itself would flatter the model.
            f"{dataset}/{split}": evaluate_group(
                model, rows, scores[(dataset, split)],
                None if split == "dev" else own.get(dataset))
            for (dataset, split), rows in groups.items() if split in splits
        }
    return report


def format_table(report: dict) -> str:
    """Render the 'all' slice of a report as a plain-text table."""
    lines = [
        f"{'model':34s} {'dataset/split':32s} {'rule':10s} {'n':>6s} {'pos':>5s} "
        f"{'P':>6s} {'R':>6s} {'mF1':>6s} {'svc mF1':>7s} {'dev-thr mF1':>11s}"
    ]
    for name, groups in report.items():
        for group, slices in groups.items():
            metrics = slices.get("all", {})
            for rule, entry in metrics.get("rules", {}).items():
                m = entry["model"]
                service = entry.get("service", {}).get("macro_f1")
                at_dev = entry.get("dev_threshold", {}).get("macro_f1")
                lines.append(
                    f"{name[:34]:34s} {group[:32]:32s} {rule:10s} {m['n']:6d} {m['positives']:5d} "
                    f"{m['precision']:6.3f} {m['recall']:6.3f} {m['macro_f1']:6.3f} "
                    f"{'' if service is None else format(service, '7.3f'):>7s} "
                    f"{'' if at_dev is None else format(at_dev, '11.3f'):>11s}".rstrip()
                )
            if "clean_held_rate" in metrics:
                lines.append(
                    f"{name[:34]:34s} {group[:32]:32s} {'clean held':10s} {metrics['clean_n']:6d} "
                    f"{'':5s} {metrics['clean_held_rate']:6.3f}"
                )
    return "\n".join(lines)


def macro_f1_figure(report: dict) -> Figure:
    """Draw a report's "all" slices: per rule, macro-F1 of each model on each dataset/split
    (bars), and of the service's flags for models that have a service (black ticks)."""
    models = list(report)
    rows = {
        rule: sorted({group for groups in report.values() for group in groups
                      if _rule_entry(groups, group, rule)})
        for rule in RULES
    }
    rules = [rule for rule in RULES if rows[rule]] or list(RULES[:1])
    per_row = max(0.3, 0.17 * len(models))  # inches: every bar readable, whatever the count
    panel_rows = [max(len(rows[rule]), 1) for rule in rules]
    height = 1.0 + 0.75 * len(rules) + per_row * sum(panel_rows)
    figure = Figure(figsize=(9.0, height))
    panels = figure.subplots(len(rules), 1, sharex=True, squeeze=False,
                             gridspec_kw={"height_ratios": panel_rows})[:, 0]
    colors = ["#1f6f8b", "#c0392b", "#7f8c8d", "#d68910", "#27ae60", "#8e44ad"]
    bar = 0.8 / max(len(models), 1)
    tick_label = "its service's flags"  # once in the legend, whichever model has a service
    for axes, rule in zip(panels, rules, strict=True):
        groups = rows[rule]
        y = np.arange(len(groups))
        for index, name in enumerate(models):
            entries = [_rule_entry(report[name], group, rule) for group in groups]
            offset = y - 0.4 + bar * (index + 0.5)
            model_f1 = [e["model"]["macro_f1"] if e else np.nan for e in entries]
            axes.barh(offset, np.nan_to_num(model_f1), height=bar * 0.9,
                      color=colors[index % len(colors)], label=name[:40])
            service_f1 = [e.get("service", {}).get("macro_f1", np.nan) if e else np.nan
                          for e in entries]
            if not np.isnan(service_f1).all():
                axes.plot(service_f1, offset, "|", color="black", markersize=6,
                          markeredgewidth=1.5, label=tick_label)
                tick_label = None
        axes.set_yticks(y, [f"{g} ({_positives(report, g, rule)})" for g in groups], fontsize=8)
        axes.set_ylim(len(groups) - 0.5, -0.5)
        axes.set_xlim(0, 1)
        axes.tick_params(labelbottom=True)
        axes.set_title(f"{rule}: macro-F1 per dataset/split (positives)", fontsize=10, loc="left")
        axes.grid(axis="x", alpha=0.3)
    handles, labels = panels[0].get_legend_handles_labels()
    figure.legend(handles, labels, loc="upper center", ncol=min(len(labels), 4), fontsize=8,
                  frameon=False)
    figure.subplots_adjust(left=0.27, right=0.98, bottom=0.45 / height, top=1 - 0.55 / height,
                           # 0.7 inch between panels, for the axis labels and the next title
                           hspace=0.7 / (per_row * sum(panel_rows) / len(rules)))
    return figure


def _rule_entry(groups: dict, group: str, rule: str) -> dict:
    """One model's figures for ``rule`` on ``group`` ("dataset/split"), {} if it has none."""
    return groups.get(group, {}).get("all", {}).get("rules", {}).get(rule, {})


def _positives(report: dict, group: str, rule: str) -> int:
    """The positives of ``rule`` on ``group``: the same for every model that has the row."""
    return next(entry["model"]["positives"] for groups in report.values()
                if (entry := _rule_entry(groups, group, rule)))


def evaluation_examples(data: list[Path], corpus: bool) -> list[Example]:
    """Rows of the ``data`` paths, and with ``corpus`` the corpus's held-out split."""
    examples, sources = read_paths(data)
    refuse_empty(sources)
    if corpus:
        examples += [e for e in read_corpus()[0] if e.split == "test"]
    return examples


def refuse_unwritable(option: str, path: Path | None) -> None:
    """Refuse an output path that is a folder, before the models are loaded and scored."""
    if path is not None and path.is_dir():
        raise DataError(f"{option} {path} is a folder: name the file to write")


@reports_user_errors
def main(argv: list[str] | None = None) -> int:
    """Evaluate each --model on each --data path (and the corpus hold-out with --corpus)."""
    parser = command_parser("training.evaluate", __doc__)
    parser.add_argument(
        "--model",
        type=Path,
        action="append",
        required=True,
        help="a model folder or registry (its current model), or a baseline folder",
    )
    parser.add_argument("--data", type=Path, action="append", default=[])
    parser.add_argument(
        "--corpus", action="store_true", help="also the corpus's held-out test split"
    )
    parser.add_argument("--splits", type=split_names, default="dev,test",
                        help=f"comma-separated splits to evaluate ({', '.join(SPLITS)}; "
                        "default: %(default)s)")
    parser.add_argument(
        "--dev-thresholds", action="store_true",
        help="also score each dataset's other splits at the thresholds best on its own dev split",
    )
    parser.add_argument("--keywords", type=Path, default=DEFAULT_KEYWORD_DIR)
    parser.add_argument("--report", type=Path, default=Path("reports/evaluation.json"))
    parser.add_argument(
        "--plot", type=Path, help="also draw macro-F1 per dataset, rule and model into this PNG"
    )
    args = parser.parse_args(argv)
    refuse_unwritable("--report", args.report)
    refuse_unwritable("--plot", args.plot)
    if not args.data and not args.corpus:
        parser.error("nothing to evaluate: give --data PATH or --corpus")
    if args.dev_thresholds and args.splits <= {"dev"}:
        parser.error("--dev-thresholds scores the splits other than dev: name one in --splits")
    examples = evaluation_examples(args.data, args.corpus)
    if not any(example.split in args.splits for example in examples):
        raise DataError(f"no comment given is in the {', '.join(sorted(args.splits))} split"
                        f"{'s' if len(args.splits) > 1 else ''} (--splits)")
    models = [Evaluated(path, args.keywords) for path in args.model]
    report = evaluate(models, examples, args.splits, args.dev_thresholds)
    args.report.parent.mkdir(parents=True, exist_ok=True)
    args.report.write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")
    print(format_table(report))
    print(f"report written to {args.report}")
    if args.plot:
        args.plot.parent.mkdir(parents=True, exist_ok=True)
        macro_f1_figure(report).savefig(args.plot, format="png", dpi=100,
                                        metadata={"Software": None})
        print(f"plot written to {args.plot}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
