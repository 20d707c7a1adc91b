"""The per-rule comment classifier: char n-gram and word TF-IDF over normalized text, one linear
model per rule, each with a Platt calibration so scores read as probabilities.

Fitting uses scikit-learn (see training/train.py). Scoring builds the TF-IDF rows itself, from
each word's vocabulary ids cached across comments, and one comment skips scikit-learn's per-call
validation, which costs more than the arithmetic for a single short text. Both paths compute
scikit-learn's numbers (tests/unit/test_model_artifact.py holds them to that)."""

from __future__ import annotations

import math
import unicodedata
from bisect import bisect_left, bisect_right
from collections import Counter, defaultdict
from collections.abc import Sequence
from itertools import chain, repeat

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer

from service.text.arabic import join_cut_word, normalize_for_model
from service.text.passages import LONG_COMMENT_CHARS, passages

CHAR_NGRAM_SIZES = (2, 3, 4, 5)

# A long comment's passage is scored on its own margin blended with a little of the whole
# comment's: a sentence inside a long reasonable comment is more often reported speech, a story
# or a concession than the same sentence alone. Chosen on round 18's first long probe and the
# long corpus part, both scored by round 17's model (1.0 / 0.85 / 0.7: clean held 12 / 6 / 5 of
# 435, violations missed 44 / 54 / 81 of 295), then six re-drawn splits of round 18's corpus
# (long comments: 11 / 6 of 195 clean held, 123 / 119 of 137 violations caught; docs/evaluation.md).
PASSAGE_WEIGHT = 0.85


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
    return _word_bounded(normalize_for_model(text).split())


def extract_features_across_words(text: str) -> list[str]:
    """Return extract_features(text) plus the char 5-grams that span two words.

    A word-bounded n-gram sees "religion" the same in "religion de paix" and "religion de
    merde"; 5-grams across the spaces see " de p" and " de m". For the corpus-sized
    default model: on twelve re-drawn corpus splits, 76.3% of violations caught instead of
    74.9% for the same share of clean comments held (measured with 3-5-grams, which catch no
    more than 5-grams alone; docs/evaluation.md)."""
    words = normalize_for_model(text).split()
    return _word_bounded(words) + cross_word_grams(words)


def _word_bounded(words: list[str]) -> list[str]:
    return [f for word in words for f in word_features(word)] + pair_features(words)


def word_features(word: str) -> list[str]:
    """The word itself and the char n-grams of the word padded with spaces; for a word cut by a
    mark or emoji glued between its letters ("beni_mellal", a hashtag), those of the joined word
    too, and only those when one mark leaves one or two letters on a side ("ق.حبه", "gh_ir"): a
    disguise then reads as the word it hides, where the written word's own n-grams moved the
    scores of one flagged comment in twenty (docs/evaluation.md, round 23)."""
    joined = join_cut_word(word)
    if _is_one_word_cut(word, joined):
        return word_features(joined)
    padded = f" {word} "
    features = ["w:" + word] + [padded[i : i + size] for size in CHAR_NGRAM_SIZES
                                for i in range(len(padded) - size + 1)]
    return features + word_features(joined) if joined != word else features


def _is_one_word_cut(word: str, joined: str) -> bool:
    """Whether one mark, glued once inside the word, leaves one or two letters on a side
    ("9a7.ba", "mai😡s", "قحب.ه"): a disguise of one word. A hashtag, a run of marks ("لحالك...يا")
    and a figure ("3/4") are words or numbers joined, read both as written and joined."""
    if len(word) - len(joined) != 1 or word.startswith("#"):
        return False
    cut = next(i for i, (written, kept) in enumerate(zip(word, joined, strict=False))
               if written != kept)
    sides = ["".join(filter(str.isalnum, side)) for side in (word[:cut], word[cut + 1:])]
    return min(map(len, sides)) <= 2 and not all(side.isdigit() for side in sides)


def pair_features(words: list[str]) -> list[str]:
    return [f"b:{first} {second}" for first, second in zip(words, words[1:], strict=False)]


def cross_word_grams(words: list[str]) -> list[str]:
    """The char n-grams of the words joined by spaces that have a space strictly inside."""
    padded = " " + " ".join(words) + " "
    inner_spaces = [i for i, char in enumerate(padded) if char == " "][1:-1]
    grams = []
    for size in CROSS_WORD_NGRAM_SIZES:
        grams += [padded[start : start + size]
                  for start in _cross_word_starts(padded, inner_spaces, size)]
    return grams


def cross_word_gram_words(words: list[str]) -> list[tuple[str, range]]:
    """cross_word_grams(words), each with the indices of the words it takes letters from."""
    padded = " " + " ".join(words) + " "
    inner_spaces = [i for i, char in enumerate(padded) if char == " "][1:-1]
    # word k lies between the k-th and the (k+1)-th space of the padded text
    return [(padded[start : start + size], range(bisect_right(inner_spaces, start),
                                                 bisect_left(inner_spaces, start + size - 1) + 1))
            for size in CROSS_WORD_NGRAM_SIZES
            for start in _cross_word_starts(padded, inner_spaces, size)]


def _cross_word_starts(padded: str, inner_spaces: list[int], size: int) -> list[int]:
    """Where the ``size``-grams of ``padded`` with a space strictly inside start."""
    last_start = len(padded) - size
    # each start once: two spaces can be inside one gram
    return sorted({start for space in inner_spaces
                   for start in range(max(0, space - size + 2), min(space, last_start + 1))})


def _without_edge_punctuation(word: str) -> str:
    """Return the word without leading or trailing punctuation ("معطيات،" -> "معطيات"), as a
    moderator would quote it; unchanged if it is all punctuation."""
    start, end = 0, len(word)
    while start < end and unicodedata.category(word[start]).startswith("P"):
        start += 1
    while end > start and unicodedata.category(word[end - 1]).startswith("P"):
        end -= 1
    return word[start:end] or word


class CommentClassifier:
    """Scores comments for every rule at once: one vectorizer, one weight matrix."""

    WORD_CACHE_SIZE = 50_000  # distinct words; cleared when full, as the keyword matcher's

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
        analyzer = self.vectorizer.analyzer
        if analyzer not in (extract_features, extract_features_across_words):
            raise ValueError(f"unknown feature extractor {analyzer!r}")
        self._across_words = analyzer is extract_features_across_words
        self._vocabulary = self.vectorizer.vocabulary_
        self._idf = self.vectorizer.idf_.astype(np.float64)
        self._sublinear = bool(self.vectorizer.sublinear_tf)
        self._evidence = _evidence_terms(self.full_evidence)
        self._word_ids_cache: dict[str, list[int]] = {}

    def __getstate__(self) -> dict:
        state = self.__dict__.copy()
        for name in ("_across_words", "_vocabulary", "_idf", "_sublinear", "_evidence",
                     "_word_ids_cache"):
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
        matrix = self.tfidf(texts)
        scale = evidence_scale(np.diff(matrix.indptr), self.full_evidence)
        return scale * np.asarray(matrix @ self.coef) + self.intercept

    def tfidf(self, texts: Sequence[str]) -> sparse.csr_matrix:
        """Return the comments' TF-IDF rows, what ``self.vectorizer.transform(texts)`` returns.

        Built from the cached word ids instead: scikit-learn looks every n-gram of every
        comment up one by one, which was 1.1 of the 3.0 s a batch of 5,000 corpus comments
        took to score (docs/benchmarks.md)."""
        ids = [self._feature_ids(text) for text in texts]
        lengths = np.fromiter(map(len, ids), np.int64, len(ids))
        rows = np.repeat(np.arange(len(ids)), lengths)
        columns = np.fromiter(chain.from_iterable(ids), np.int64, int(lengths.sum()))
        # A feature's count in its comment: one sort of (row, feature) keys. scipy's COO-to-CSR
        # conversion and scikit-learn's normalize() with its input checks cost as much as the
        # arithmetic for a batch of a few long comments (a long comment's passages are one).
        keys, counts = np.unique(rows * self.n_features + columns, return_counts=True)
        rows, columns = np.divmod(keys, self.n_features)
        data = counts.astype(np.float64)
        if self._sublinear:
            np.log(data, out=data)
            data += 1.0
        data *= self._idf[columns]
        norms = np.sqrt(np.bincount(rows, weights=data * data, minlength=len(ids)))
        data /= norms[rows]  # unit length, as TfidfVectorizer's rows (a row with no feature: none)
        indptr = np.concatenate(([0], np.cumsum(np.bincount(rows, minlength=len(ids)))))
        return sparse.csr_matrix((data, columns, indptr), shape=(len(ids), self.n_features))

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """Return calibrated probabilities, shape (len(texts), n_rules): per rule, the higher of
        the whole comment's and, for a long comment, its passages' (one insulting sentence in
        ten is a tenth of the whole; service/text/passages.py)."""
        return self.explain_proba(texts)[0]

    def explain_proba(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """Return ``predict_proba(texts)`` and where each score comes from: per comment and
        rule the (start, end) of the passage that gave it, (0, len(text)) for the whole comment;
        shape (len(texts), n_rules, 2)."""
        whole = self.margins(texts) if len(texts) else np.zeros((0, len(self.rules)))
        probabilities = self._calibrate(whole)
        spans = np.zeros((len(texts), len(self.rules), 2), dtype=np.int64)
        spans[:, :, 1] = np.fromiter(map(len, texts), np.int64, len(texts))[:, None]
        owners, cuts = [], []
        for owner, text in enumerate(texts):
            if len(text) > LONG_COMMENT_CHARS:
                found = passages(text)
                owners += [owner] * len(found)
                cuts += found
        if cuts:
            pieces = [texts[owner][start:end]
                      for owner, (start, end) in zip(owners, cuts, strict=True)]
            # a passage read within its comment: mostly its own margin, a little the whole's
            margins = PASSAGE_WEIGHT * self.margins(pieces) + (1 - PASSAGE_WEIGHT) * whole[owners]
            for owner, cut, row in zip(owners, cuts, self._calibrate(margins), strict=True):
                higher = row > probabilities[owner]
                probabilities[owner, higher] = row[higher]
                spans[owner, higher] = cut
        return probabilities, spans

    def explain_proba_one(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """``explain_proba([text])`` for one comment: shapes (n_rules,) and (n_rules, 2)."""
        if len(text) > LONG_COMMENT_CHARS:
            probabilities, spans = self.explain_proba([text])
            return probabilities[0], spans[0]
        return self.predict_proba_one(text), np.tile((0, len(text)), (len(self.rules), 1))

    def predict_proba_one(self, text: str) -> np.ndarray:
        """Return calibrated probabilities for one comment, shape (n_rules,)."""
        if len(text) > LONG_COMMENT_CHARS:
            return self.predict_proba([text])[0]
        ids = self._feature_ids(text)
        if not ids:
            return self._calibrate(self.intercept)
        counts = Counter(ids)
        indices = np.fromiter(counts, np.int64, len(counts))
        tf = np.fromiter(counts.values(), np.float64, len(counts))
        if self._sublinear:
            tf = np.log(tf) + 1.0
        weights = tf * self._idf[indices]
        norm = math.sqrt(float(weights @ weights))
        inverse, unscaled = self._evidence
        scale = np.minimum(1.0, np.sqrt(len(indices) * inverse + unscaled))
        margins = scale * ((weights / norm) @ self.coef[indices]) + self.intercept
        return self._calibrate(margins)

    def word_shares(self, text: str) -> tuple[list[str], np.ndarray]:
        """Return the normalized comment's words and each word's share of every rule's linear
        score, shape (len(words), n_rules).

        A feature's weight goes to the word it comes from; a word pair's or a cross-word
        n-gram's is split evenly between the words it takes letters from. Each rule's shares
        add up to its margin less its intercept, so they say which words pushed the score up (a
        group's name, "all of them") and which held it down."""
        words = normalize_for_model(text).split()
        ids = [self._word_ids(word) for word in words]
        indices = [i for word_ids in ids for i in word_ids]
        owners = [k for k, word_ids in enumerate(ids) for _ in word_ids]
        fractions = [1.0] * len(indices)
        spanning = [(pair, range(k, k + 2)) for k, pair in enumerate(pair_features(words))]
        spanning += cross_word_gram_words(words) if self._across_words else []
        found = map(self._vocabulary.get, (feature for feature, _ in spanning), repeat(-1))
        for index, (_, spanned) in zip(found, spanning, strict=True):
            if index >= 0:
                share = 1.0 / len(spanned)
                for k in spanned:
                    indices.append(index)
                    owners.append(k)
                    fractions.append(share)
        if not indices:
            return words, np.zeros((len(words), len(self.rules)))
        # the comment's row as it is scored, then each feature's term of each rule's score
        row = self.tfidf([text])
        row.sort_indices()
        scale = evidence_scale(np.diff(row.indptr), self.full_evidence)
        terms = scale * row.data[:, None] * self.coef[row.indices]
        position = np.searchsorted(row.indices, np.array(indices, dtype=np.int64))
        fraction = np.array(fractions)
        occurrences = np.bincount(position, weights=fraction, minlength=row.nnz)  # whole ones
        per_share = terms[position] * (fraction / occurrences[position])[:, None]
        owner_ids = np.array(owners, dtype=np.int64)
        shares = np.column_stack([np.bincount(owner_ids, weights=column, minlength=len(words))
                                  for column in per_share.T])
        return words, shares

    def weighing_words(self, text: str, rules: Sequence[str], top: int = 3) -> dict[str, list[str]]:
        """Return, per rule, up to ``top`` distinct words (as normalized, without edge
        punctuation) that raise its score most, strongest first: what a moderator reads beside
        a hold the model alone asked for."""
        words, shares = self.word_shares(text)
        shown = [_without_edge_punctuation(word) for word in words]
        result = {}
        for rule in rules:
            totals: defaultdict[str, float] = defaultdict(float)
            for word, share in zip(shown, shares[:, self.rules.index(rule)], strict=True):
                totals[word] += float(share)
            ranked = sorted((share, word) for word, share in totals.items() if share > 0)
            result[rule] = [word for _, word in reversed(ranked[-top:])]
        return result

    def _feature_ids(self, text: str) -> list[int]:
        """The vocabulary ids of a comment's known features, once per occurrence."""
        words = normalize_for_model(text).split()
        ids = [i for word in words for i in self._word_ids(word)]
        others = pair_features(words) + (cross_word_grams(words) if self._across_words else [])
        ids += [i for i in map(self._vocabulary.get, others, repeat(-1)) if i >= 0]
        return ids

    def _word_ids(self, word: str) -> list[int]:
        """The vocabulary ids of one word's features, cached: most words of a comment were in
        an earlier one, and building and looking up their n-grams was half of a call (0.19 ->
        0.12 ms on corpus comments whose words are cached; docs/benchmarks.md)."""
        ids = self._word_ids_cache.get(word)
        if ids is None:
            ids = [i for i in map(self._vocabulary.get, word_features(word), repeat(-1)) if i >= 0]
            if len(self._word_ids_cache) >= self.WORD_CACHE_SIZE:
                self._word_ids_cache.clear()
            self._word_ids_cache[word] = ids
        return ids
