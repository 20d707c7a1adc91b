"""Choosing a rule's thresholds on validation scores: each level does what ThresholdTargets says,
checked against a brute-force sweep with scikit-learn's metrics."""

import numpy as np
import pytest
from sklearn.metrics import f1_score, precision_score, recall_score

from training.thresholds import ThresholdTargets, best_macro_f1_threshold, choose_thresholds


@pytest.fixture
def validation() -> tuple[np.ndarray, np.ndarray]:
    """Scores of 400 validation comments, 100 breaking the rule, ranked well but not perfectly,
    with ties (scores at two decimals) as a calibrated model's often are."""
    rng = np.random.default_rng(7)
    labels = np.r_[np.ones(100, int), np.zeros(300, int)]
    scores = np.clip(np.r_[rng.normal(0.7, 0.15, 100), rng.normal(0.3, 0.15, 300)], 0, 1)
    return np.round(scores, 2), labels


def sweep(scores, labels, metric) -> dict[float, float]:
    """The metric of flagging "score >= t", for every distinct score t."""
    return {t: metric(labels, scores >= t) for t in np.unique(scores)}


def test_the_decision_threshold_gives_the_best_macro_f1(validation):
    scores, labels = validation
    by_threshold = sweep(scores, labels, lambda y, p: f1_score(y, p, average="macro"))
    exact = best_macro_f1_threshold(scores, labels)
    assert by_threshold[exact] == max(by_threshold.values())
    assert choose_thresholds(scores, labels, ThresholdTargets())["decision"] == round(exact, 4)


def test_the_exact_threshold_keeps_the_comment_it_was_chosen_at():
    # Rounding to four digits would lift 0.50004 over the one comment that breaks the rule.
    scores, labels = np.array([0.50004, 0.50001, 0.2]), np.array([1, 0, 0])
    assert best_macro_f1_threshold(scores, labels) == 0.50004
    assert f1_score(labels, scores >= 0.50004, average="macro") == 1.0


def test_rejection_is_the_lowest_threshold_precise_over_enough_comments(validation):
    scores, labels = validation
    uncapped = ThresholdTargets(reject_precision=0.95, review_max_fpr=1.0)
    levels = choose_thresholds(scores, labels, uncapped)

    def precise(t):
        return (scores >= t).sum() >= 5 and precision_score(labels, scores >= t) >= 0.95

    assert precise(levels["reject"])
    assert levels["reject"] > levels["review"]  # not lifted to review's level
    assert not any(precise(t) for t in np.unique(scores) if t < levels["reject"])


def test_review_reaches_the_recall_unless_that_holds_too_many_clean_comments(validation):
    scores, labels = validation
    loose = choose_thresholds(scores, labels, ThresholdTargets(review_max_fpr=1.0))["review"]
    assert recall_score(labels, scores >= loose) >= 0.85
    # the highest threshold that still reaches the recall
    higher = [t for t in np.unique(scores) if t > loose]
    assert recall_score(labels, scores >= higher[0]) < 0.85
    capped = choose_thresholds(scores, labels, ThresholdTargets(review_max_fpr=0.01))["review"]
    false_positive_rate = ((scores >= capped) & (labels == 0)).sum() / (labels == 0).sum()
    assert capped > loose and false_positive_rate <= 0.01


def test_levels_are_ordered(validation):
    scores, labels = validation
    levels = choose_thresholds(scores, labels, ThresholdTargets())
    assert levels["suspect"] <= levels["review"] <= levels["reject"]


@pytest.mark.parametrize("labels", [[0, 0, 0], [1, 1, 1], []])
def test_without_both_classes_there_is_nothing_to_choose_on(labels):
    scores = np.linspace(0.1, 0.9, len(labels))
    assert np.isnan(best_macro_f1_threshold(scores, labels))
    assert choose_thresholds(scores, labels, ThresholdTargets()) == {
        "suspect": 0.25, "review": 0.5, "reject": 0.99, "decision": 0.5}
