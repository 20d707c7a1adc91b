"""The naive baseline is what issue 2 defines: per rule, char n-grams of the raw text and a
logistic regression at 0.5, fitted on exactly the rows the real model trains on."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer

from service.rules import RULES
from training.baseline import fit_baseline
from training.data import read_corpus
from training.train import TrainingParams, split_examples


@pytest.fixture(scope="module")
def splits(corpus_dir):
    corpus, _ = read_corpus(corpus_dir)
    return split_examples(corpus, [], TrainingParams())


@pytest.fixture(scope="module")
def naive(splits):
    return fit_baseline(splits, progress=False)


@pytest.mark.parametrize("rule", RULES)
def test_each_rule_is_fitted_on_the_training_rows_that_label_it(splits, naive, rule):
    rows = [e.text for e in splits.train if e.label(rule) is not None]
    alone = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), min_df=2,
                            max_features=300_000, sublinear_tf=True).fit(rows)
    fitted = naive.pipelines[rule].named_steps["tfidf"]
    assert fitted.vocabulary_ == alone.vocabulary_
    assert np.array_equal(fitted.idf_, alone.idf_)
    assert naive.pipelines[rule].named_steps["lr"].classes_.tolist() == [0, 1]


def test_the_baseline_reads_the_raw_text(naive):
    """No normalization: tatweel and diacritics change its features, where ours removes them."""
    vectorizer = naive.pipelines["insult"].named_steps["tfidf"]
    plain, disguised = vectorizer.transform(["يا الحمار", "يا الحــمـَار"]).toarray()
    assert not np.allclose(plain, disguised)


def test_one_comment_and_a_batch_score_alike(naive, splits):
    texts = [e.text for e in splits.validation[:20]]
    batch = naive.predict_proba(texts)
    assert batch.shape == (len(texts), len(RULES))
    for text, row in zip(texts, batch, strict=True):
        assert naive.predict_proba_one(text) == pytest.approx(row)
