"""The per-rule comment classifier: char n-gram and word TF-IDF over normalized text, one linear
model per rule, each with a Platt calibration so scores read as probabilities.

Fitting uses scikit-learn (see training/train.py); scoring one comment bypasses scikit-learn's
per-call validation, which costs more than the arithmetic for a single short text. Both paths
compute the same numbers (tests/unit/test_model_artifact.py holds them to that)."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from itertools import repeat

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer

from service.text.arabic import normalize_for_model

CHAR_NGRAM_SIZES = (2, 3, 4, 5)


def evidence_scale(features: np.ndarray, full_evidence: np.ndarray) -> np.ndarray:
    """Return, per comment and rule, how much of its unit length the comment's feature vector
    keeps: sqrt(n / full) for a comment with n known features, at most 1 (1 for a rule whose
    ``full_evidence`` is 0). Shape (len(features), len(full_evidence)).

    TF-IDF vectors all have length 1, so two words ("le Coran") put on one religious word the
    weight a paragraph spreads over its whole argument, and a topic word that attacks use more
    often than other comments reaches a confident score alone. A shorter vector leaves a short
    comment nearer the rule's prior. Only for rules whose evidence is topical: a short insult is
    no less an insult."""
    inverse, unscaled = _evidence_terms(full_evidence)
    return np.minimum(1.0, np.sqrt(np.outer(features, inverse) + unscaled))


def _evidence_terms(full_evidence) -> tuple[np.ndarray, np.ndarray]:
    """Return (1 / full, 1 where a rule is not scaled) per rule: sqrt(n / full + 1) is at least
    1 for an unscaled rule, so one expression serves both."""
    full = np.asarray(full_evidence, dtype=np.float64)
    scaled = full > 0
    return np.divide(1.0, full, out=np.zeros_like(full), where=scaled), (~scaled).astype(float)


# 3-5 as well caught no more than 5 alone (twelve draws: 3,868 against 3,869 of 5,041 caught) and
# cost twice the features to look up
CROSS_WORD_NGRAM_SIZES = (5,)


def extract_features(text: str) -> list[str]:
    """Return the features of a raw comment: word-bounded char n-grams, words and word pairs."""
    return _features(normalize_for_model(text).split())


def extract_features_across_words(text: str) -> list[str]:
    """Return extract_features(text) plus the char 5-grams that span two words.

    A word-bounded n-gram sees "religion" the same in "religion de paix" and "religion de
    merde"; 5-grams across the spaces see " de p" and " de m". For the corpus-sized
    default model: on twelve re-drawn corpus splits, 76.3% of violations caught instead of
    74.9% for the same share of clean comments held (measured with 3-5-grams, which catch no
    more than 5-grams alone; docs/evaluation.md)."""
    words = normalize_for_model(text).split()
    features = _features(words)
    padded = " " + " ".join(words) + " "
    inner_spaces = [i for i, char in enumerate(padded) if char == " "][1:-1]
    for size in CROSS_WORD_NGRAM_SIZES:
        last_start = len(padded) - size
        # the starts that put a space strictly inside the gram, each start once
        starts = sorted({start for space in inner_spaces
                         for start in range(max(0, space - size + 2), min(space, last_start + 1))})
        features += [padded[start : start + size] for start in starts]
    return features


def _features(words: list[str]) -> list[str]:
    """Words, word pairs and the char n-grams of each word padded with spaces (one flat
    comprehension: scoring one comment spends a fifth of its time here)."""
    padded = [f" {word} " for word in words]
    return (
        ["w:" + word for word in words]
        + [f"b:{first} {second}" for first, second in zip(words, words[1:], strict=False)]
        + [gram[i : i + size] for gram in padded for size in CHAR_NGRAM_SIZES
           for i in range(len(gram) - size + 1)]
    )


class CommentClassifier:
    """Scores comments for every rule at once: one vectorizer, one weight matrix."""

    def __init__(
        self,
        vectorizer: TfidfVectorizer,
        coef: np.ndarray,
        intercept: np.ndarray,
        calibration: np.ndarray,
        rules: Sequence[str],
        full_evidence: Sequence[int] | None = None,
    ):
        self.vectorizer = vectorizer
        self.coef = np.ascontiguousarray(coef, dtype=np.float64)  # (n_features, n_rules)
        self.intercept = np.asarray(intercept, dtype=np.float64)  # (n_rules,)
        self.calibration = np.asarray(calibration, dtype=np.float64)  # (n_rules, 2): slope, bias
        self.rules = tuple(rules)
        # per rule, the known features a comment needs for its full weight (0: no scaling)
        self.full_evidence = np.zeros(len(self.rules), dtype=np.int64) if full_evidence is None \
            else np.asarray(full_evidence, dtype=np.int64)
        self._init_fast_path()

    def _init_fast_path(self) -> None:
        self._analyzer = self.vectorizer.analyzer  # the extract_features* the model was fitted with
        self._vocabulary = self.vectorizer.vocabulary_
        self._idf = self.vectorizer.idf_.astype(np.float64)
        self._sublinear = bool(self.vectorizer.sublinear_tf)
        self._evidence = _evidence_terms(self.full_evidence)

    def __getstate__(self) -> dict:
        state = self.__dict__.copy()
        for name in ("_analyzer", "_vocabulary", "_idf", "_sublinear", "_evidence"):
            state.pop(name, None)
        return state

    def __setstate__(self, state: dict) -> None:
        # artifacts from before evidence scaling
        state.setdefault("full_evidence", np.zeros(len(state["rules"]), dtype=np.int64))
        self.__dict__.update(state)
        self._init_fast_path()

    @property
    def n_features(self) -> int:
        return self.coef.shape[0]

    def _calibrate(self, margins: np.ndarray) -> np.ndarray:
        slope, bias = self.calibration[:, 0], self.calibration[:, 1]
        return 1.0 / (1.0 + np.exp(-(margins * slope + bias)))

    def margins(self, texts: Sequence[str]) -> np.ndarray:
        """Return the uncalibrated linear scores, shape (len(texts), n_rules)."""
        matrix = self.vectorizer.transform(texts)
        scale = evidence_scale(np.diff(matrix.indptr), self.full_evidence)
        return scale * np.asarray(matrix @ self.coef) + self.intercept

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """Return calibrated probabilities, shape (len(texts), n_rules)."""
        if len(texts) == 0:
            return np.zeros((0, len(self.rules)))
        return self._calibrate(self.margins(texts))

    def predict_proba_one(self, text: str) -> np.ndarray:
        """Return calibrated probabilities for one comment, shape (n_rules,)."""
        counts = Counter(self._analyzer(text))  # counting everything first is faster in C
        ids = np.fromiter(map(self._vocabulary.get, counts, repeat(-1)), np.int64, len(counts))
        known = ids >= 0
        if not known.any():
            return self._calibrate(self.intercept)
        indices = ids[known]
        tf = np.fromiter(counts.values(), np.float64, len(counts))[known]
        if self._sublinear:
            tf = np.log(tf) + 1.0
        weights = tf * self._idf[indices]
        norm = math.sqrt(float(weights @ weights))
        inverse, unscaled = self._evidence
        scale = np.minimum(1.0, np.sqrt(len(indices) * inverse + unscaled))
        margins = scale * ((weights / norm) @ self.coef[indices]) + self.intercept
        return self._calibrate(margins)
