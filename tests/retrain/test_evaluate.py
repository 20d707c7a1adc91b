"""training.evaluate on real models: the figures it prints, writes and draws are each model's
own, recomputed here with scikit-learn from the models' scores and the service's verdicts."""

from __future__ import annotations

import json
from pathlib import Path

import joblib
import numpy as np
import pytest
from matplotlib.image import imread
from sklearn.metrics import f1_score, precision_score, recall_score

from service.keywords import DEFAULT_KEYWORD_DIR, KeywordMatcher
from service.model import load_artifact
from service.rules import RULES
from service.scoring import Moderator
from training import evaluate
from training.baseline import BASELINE_FILE, fit_baseline, write_baseline
from training.data import read_corpus, read_paths
from training.train import TrainingParams, split_examples


@pytest.fixture(scope="module")
def datasets(tmp_path_factory, hand_rows) -> Path:
    """Two datasets from the hand corpus's dev and test rows: "handset" labels every rule,
    "insultonly" labels insult only (the others null: unknown, so never counted)."""
    folder = tmp_path_factory.mktemp("datasets")
    held_out = [row for row in hand_rows if row["split"] != "train"]
    for name, rows in (("handset", held_out[::2]), ("insultonly", held_out[1::2])):
        with (folder / f"{name}.jsonl").open("w", encoding="utf-8") as handle:
            for row in rows:
                labels = row["labels"] if name == "handset" else {
                    "insult": row["labels"]["insult"], "incitement": None, "religion": None}
                handle.write(json.dumps({**row, "source": name, "labels": labels},
                                        ensure_ascii=False) + "\n")
    return folder


@pytest.fixture(scope="module")
def baseline_dir(tmp_path_factory, corpus_dir) -> Path:
    corpus, sources = read_corpus(corpus_dir)
    out = tmp_path_factory.mktemp("baseline")
    write_baseline(out, fit_baseline(split_examples(corpus, [], TrainingParams()), False), sources)
    return out


def run_evaluate(argv: list[str], report: Path) -> tuple[dict, str]:
    """Run the command (module-scoped fixtures cannot take capsys): (its JSON report, what it
    printed)."""
    capture = pytest.MonkeyPatch()
    printed = []
    capture.setattr("builtins.print", lambda *args, **kw: printed.append(" ".join(map(str, args))))
    try:
        status = evaluate.main([*argv, "--report", str(report)])
    finally:
        capture.undo()
    assert status == 0
    return json.loads(report.read_text(encoding="utf-8")), "\n".join(printed)


@pytest.fixture(scope="module")
def evaluated(tmp_path_factory, models, baseline_dir, datasets):
    """One run of the command: (its JSON report, what it printed, the plot's path)."""
    out = tmp_path_factory.mktemp("evaluation")
    plot = out / "plots" / "macro_f1.png"
    report, printed = run_evaluate(["--model", str(models["good"]), "--model", str(models["weak"]),
                                    "--model", str(baseline_dir), "--data", str(datasets),
                                    "--plot", str(plot)], out / "evaluation.json")
    return report, printed, plot


def scorer_of(model_dir: Path):
    """The classifier of a model folder or a baseline's pipelines, loaded as evaluate loads them."""
    metadata = json.loads((model_dir / "metadata.json").read_text(encoding="utf-8"))
    if metadata.get("kind") == "naive-baseline":
        return joblib.load(model_dir / BASELINE_FILE)
    return load_artifact(model_dir).classifier


def reference(model_dir: Path, datasets: Path) -> dict:
    """The figures recomputed without training.evaluate: {(group, rule): (model, service)}."""
    examples, _ = read_paths([datasets])
    metadata = json.loads((model_dir / "metadata.json").read_text(encoding="utf-8"))
    scorer = scorer_of(model_dir)
    moderator = None if metadata.get("kind") == "naive-baseline" else Moderator(
        load_artifact(model_dir), KeywordMatcher.from_directory(DEFAULT_KEYWORD_DIR))
    figures = {}
    for group in sorted({f"{e.source}/{e.split}" for e in examples}):
        rows = [e for e in examples if f"{e.source}/{e.split}" == group]
        texts = [e.text for e in rows]
        scores = scorer.predict_proba(texts)
        verdicts = moderator.score_batch(texts) if moderator else None
        for index, rule in enumerate(RULES):
            known = [i for i, e in enumerate(rows) if e.labels[rule] is not None]
            if not known:
                continue
            labels = np.array([rows[i].labels[rule] for i in known])
            predicted = scores[known, index] >= metadata["thresholds"][rule]["decision"]
            model = (precision_score(labels, predicted, zero_division=0),
                     recall_score(labels, predicted, zero_division=0),
                     f1_score(labels, predicted, average="macro"))
            service = None
            if verdicts:
                flagged = np.array([rule in verdicts[i].flags for i in known])
                service = f1_score(labels, flagged, average="macro")
            figures[(group, rule)] = (model, service)
        if verdicts:
            clean = [all(v in (0, None) for v in e.labels.values()) for e in rows]
            held = [v.verdict != "approve" for v in verdicts]
            figures[(group, "clean held")] = np.mean(
                [h for h, c in zip(held, clean, strict=True) if c])
    return figures


def test_every_model_gets_the_figures_scikit_learn_gives(evaluated, models, baseline_dir,
                                                         datasets):
    report, _, _ = evaluated
    for model_dir in (models["good"], models["weak"], baseline_dir):
        name = json.loads((model_dir / "metadata.json").read_text())["model_version"]
        expected = reference(model_dir, datasets)
        groups = report[name]
        assert set(groups) == {"handset/dev", "handset/test", "insultonly/dev", "insultonly/test"}
        for (group, rule), figures in expected.items():
            written = groups[group]["all"]
            if rule == "clean held":
                assert written["clean_held_rate"] == pytest.approx(figures)
                continue
            (precision, recall, macro), service = figures
            entry = written["rules"][rule]
            assert (entry["model"]["precision"], entry["model"]["recall"],
                    entry["model"]["macro_f1"]) == pytest.approx((precision, recall, macro))
            if service is None:
                assert "service" not in entry and "clean_held_rate" not in written
            else:
                assert entry["service"]["macro_f1"] == pytest.approx(service)
        # null means unknown: the insult-only dataset has no incitement or religion figures
        assert set(groups["insultonly/dev"]["all"]["rules"]) == {"insult"}


def test_the_printed_table_shows_the_written_figures(evaluated):
    report, printed, _ = evaluated
    lines = printed.splitlines()
    for name, groups in report.items():
        for group, slices in groups.items():
            for rule, entry in slices["all"]["rules"].items():
                expected = f"{entry['model']['macro_f1']:6.3f}"
                assert any(line.startswith(name[:34]) and group in line and f" {rule} " in line
                           and expected in line for line in lines), (name, group, rule)
    assert printed.rstrip().endswith(".png")


def test_the_plot_draws_one_bar_per_model_and_dataset(evaluated):
    report, _, path = evaluated
    image = imread(path)
    assert image.shape[1] == 900 and image.shape[0] > 400
    assert image[..., :3].std() > 0.1  # drawn, not blank
    figure = evaluate.macro_f1_figure(report)
    panels = [axes for axes in figure.axes if axes.get_title(loc="left")]
    assert [axes.get_title(loc="left").split(":")[0] for axes in panels] == list(RULES)
    for axes, rule in zip(panels, RULES, strict=True):
        widths = sorted(round(bar.get_width(), 9) for bar in axes.patches)
        expected = sorted(round(slices["all"]["rules"][rule]["model"]["macro_f1"], 9)
                          for groups in report.values() for slices in groups.values()
                          if rule in slices["all"]["rules"])
        assert widths == expected
        ticks = [label.get_text() for label in axes.get_yticklabels()]
        groups = sorted({g for groups in report.values() for g, slices in groups.items()
                         if rule in slices["all"]["rules"]})
        assert [tick.split(" (")[0] for tick in ticks] == groups
    baseline_first = evaluate.macro_f1_figure({name: report[name] for name in reversed(report)})
    (legend,) = baseline_first.legends
    assert {text.get_text() for text in legend.get_texts()} == {*report, "its service's flags"}


@pytest.fixture(scope="module")
def by_dev(tmp_path_factory, models, baseline_dir, datasets):
    """One run with --dev-thresholds: (its JSON report, what it printed)."""
    return run_evaluate(["--model", str(models["good"]), "--model", str(baseline_dir),
                         "--data", str(datasets), "--dev-thresholds"],
                        tmp_path_factory.mktemp("by-dev") / "evaluation.json")


def scores_and_labels(model_dir: Path, rows, rule: str) -> tuple[np.ndarray, np.ndarray]:
    """One rule's scores and labels on the rows that label it."""
    known = [e for e in rows if e.labels[rule] is not None]
    scores = scorer_of(model_dir).predict_proba([e.text for e in known])[:, RULES.index(rule)]
    return scores, np.array([e.labels[rule] for e in known])


def test_dev_thresholds_are_the_best_on_each_dataset_s_own_dev_split(by_dev, models,
                                                                      baseline_dir, datasets):
    report, printed = by_dev
    examples, _ = read_paths([datasets])
    for model_dir in (models["good"], baseline_dir):
        name = json.loads((model_dir / "metadata.json").read_text())["model_version"]
        seen = 0
        for group, slices in report[name].items():
            dataset, split = group.split("/")
            for rule, entry in slices["all"]["rules"].items():
                if split == "dev":
                    # scored at thresholds chosen on itself, a dev split would flatter the model
                    assert "dev_threshold" not in entry
                    continue
                threshold = entry["dev_threshold"]["threshold"]
                dev_scores, dev_labels = scores_and_labels(
                    model_dir, [e for e in examples if e.source == dataset and e.split == "dev"],
                    rule)
                best = max(f1_score(dev_labels, dev_scores >= t, average="macro")
                           for t in np.unique(dev_scores))
                assert f1_score(dev_labels, dev_scores >= threshold,
                                average="macro") == pytest.approx(best)
                scores, labels = scores_and_labels(
                    model_dir, [e for e in examples if f"{e.source}/{e.split}" == group], rule)
                predicted = scores >= threshold
                assert (entry["dev_threshold"]["precision"], entry["dev_threshold"]["recall"],
                        entry["dev_threshold"]["macro_f1"]) == pytest.approx(
                    (precision_score(labels, predicted, zero_division=0),
                     recall_score(labels, predicted, zero_division=0),
                     f1_score(labels, predicted, average="macro")))
                line = next(line for line in printed.splitlines()
                            if line.startswith(name[:34]) and group in line and f" {rule} " in line)
                assert line.endswith(f"{entry['dev_threshold']['macro_f1']:.3f}")
                seen += 1
        # both datasets' test splits: every rule for "handset", insult only for "insultonly"
        assert seen == 4


def test_dev_thresholds_need_a_split_besides_dev(datasets, models, capsys):
    with pytest.raises(SystemExit) as stopped:
        evaluate.main(["--model", str(models["good"]), "--data", str(datasets),
                       "--dev-thresholds", "--splits", "dev"])
    assert stopped.value.code == 2
    assert "--dev-thresholds scores the splits other than dev" in capsys.readouterr().err
