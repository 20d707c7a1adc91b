"""training.significance: paired-bootstrap intervals for the difference between two models."""

import numpy as np
import pytest
from sklearn.metrics import f1_score

from training import significance


def test_macro_f1_from_counts_is_sklearns():
    rng = np.random.default_rng(3)
    labels, predicted = rng.integers(0, 2, 300), rng.integers(0, 2, 300)
    weights = np.ones((1, 300), dtype=int)
    expected = f1_score(labels, predicted, average="macro")
    assert significance.macro_f1_counts(weights, labels, predicted)[0] == pytest.approx(expected)
    # A resample counts a drawn row as often as it is drawn.
    twice = np.r_[np.full(150, 2), np.zeros(150, dtype=int)][None, :]
    assert significance.macro_f1_counts(twice, labels, predicted)[0] == pytest.approx(
        f1_score(labels[:150], predicted[:150], average="macro")
    )


def test_the_same_predictions_differ_by_nothing():
    labels = np.r_[np.ones(40, dtype=int), np.zeros(160, dtype=int)]
    predicted = np.r_[np.ones(30), np.zeros(170)].astype(bool)
    result = significance.paired_bootstrap(labels, predicted, predicted, resamples=200)
    assert result["difference"] == result["low"] == result["high"] == 0
    assert result["outside_noise"] is False


def test_a_clearly_better_model_is_outside_noise_and_a_slightly_better_one_is_not():
    rng = np.random.default_rng(5)
    labels = rng.integers(0, 2, 400)
    perfect = labels.astype(bool)
    coin = rng.integers(0, 2, 400).astype(bool)
    clear = significance.paired_bootstrap(labels, perfect, coin, resamples=300)
    assert clear["difference"] > 0.3 and clear["low"] > 0 and clear["outside_noise"]
    one_more = perfect.copy()
    one_more[np.flatnonzero(labels)[0]] = False  # one mistake more than perfect
    close = significance.paired_bootstrap(labels, perfect, one_more, resamples=300)
    assert 0 < close["difference"] < 0.01 and close["low"] <= 0 and not close["outside_noise"]


def test_the_command_compares_two_models_per_dataset(models, corpus_dir, capsys):
    argv = [
        "--model",
        str(models["good"]),
        "--reference",
        str(models["shuffled"]),
        "--data",
        str(corpus_dir),
        "--resamples",
        "200",
    ]
    assert significance.main(argv) == 0
    out = capsys.readouterr().out
    rows = [line for line in out.splitlines() if line.startswith("hand/")]
    assert {line.split()[1] for line in rows} == {"insult", "incitement", "religion"}
    # The good model beats the one trained on shuffled labels everywhere, beyond noise.
    assert all("outside noise" in line and "+" in line.split()[3] for line in rows), out
