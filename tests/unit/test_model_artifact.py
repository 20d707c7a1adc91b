"""Loading artifacts: the real thing loads, anything damaged or foreign is refused clearly."""

import json
import shutil

import joblib
import numpy as np
import pytest

from service import create_app
from service.classifier import (
    CommentClassifier,
    cross_word_gram_words,
    cross_word_grams,
    evidence_scale,
    extract_features,
    extract_features_across_words,
)
from service.model import ArtifactError, load_artifact, resolve_model_dir
from service.rules import RULES
from service.text.arabic import join_cut_word, normalize_for_model
from tests.conftest import FIXTURES
from training.train import TrainingParams, train


@pytest.fixture
def artifact_copy(model_dir, tmp_path):
    """A writable copy of the tiny model's artifact folder."""
    source = resolve_model_dir(model_dir)
    return shutil.copytree(source, tmp_path / source.name)


def edit_metadata(directory, **changes):
    path = directory / "metadata.json"
    metadata = json.loads(path.read_text(encoding="utf-8"))
    metadata.update(changes)
    path.write_text(json.dumps(metadata), encoding="utf-8")


def test_registry_pointer_resolves_to_a_loadable_artifact(model_dir):
    bundle = load_artifact(model_dir)
    assert bundle.version == (model_dir / "current").read_text().strip()
    assert set(bundle.thresholds) == set(RULES)


def test_metadata_records_what_the_loader_checks(model_dir):
    metadata = load_artifact(model_dir).metadata
    for key in ("model_version", "created_at", "sklearn_version", "python_version", "data_sources",
                "metrics", "thresholds", "artifact_sha256", "rules"):
        assert key in metadata
    assert metadata["data_sources"][0]["rows"] > 0
    assert len(metadata["data_sources"][0]["sha256"]) == 64


def test_other_sklearn_version_is_refused(artifact_copy):
    edit_metadata(artifact_copy, sklearn_version="0.24.2")
    with pytest.raises(ArtifactError, match="scikit-learn 0.24.2"):
        load_artifact(artifact_copy)


def test_damaged_artifact_is_refused(artifact_copy):
    with (artifact_copy / "model.joblib").open("r+b") as handle:
        handle.seek(100)
        handle.write(b"\x00garbage\x00")
    with pytest.raises(ArtifactError, match="damaged"):
        load_artifact(artifact_copy)


def test_truncated_artifact_with_matching_hash_is_refused(artifact_copy):
    from service.model import sha256_of

    path = artifact_copy / "model.joblib"
    path.write_bytes(path.read_bytes()[:500])
    edit_metadata(artifact_copy, artifact_sha256=sha256_of(path))
    with pytest.raises(ArtifactError, match="cannot load"):
        load_artifact(artifact_copy)


def _resave(directory, obj):
    """Write ``obj`` as the artifact with a matching hash: only the loader's own checks can
    refuse it."""
    from service.model import sha256_of

    joblib.dump(obj, directory / "model.joblib")
    edit_metadata(directory, artifact_sha256=sha256_of(directory / "model.joblib"))


def _nan_scores(directory):
    classifier = joblib.load(directory / "model.joblib")
    classifier.coef = np.full_like(classifier.coef, np.nan)
    _resave(directory, classifier)


def _without_thresholds(directory):
    metadata = json.loads((directory / "metadata.json").read_text(encoding="utf-8"))
    del metadata["thresholds"]
    (directory / "metadata.json").write_text(json.dumps(metadata), encoding="utf-8")


@pytest.mark.parametrize(("damage", "message"), [
    (lambda d: (d / "metadata.json").write_text("{not json", encoding="utf-8"),
     r"cannot read .*metadata\.json"),
    (_without_thresholds, r"metadata\.json lacks thresholds"),
    (lambda d: edit_metadata(d, rules=["insult", "spam", "religion"]), r"model rules .* are not"),
    (lambda d: (d / "model.joblib").unlink(), r"model\.joblib is missing"),
    (lambda d: _resave(d, {"coef": [1, 2, 3]}), "does not hold a CommentClassifier"),
    (_nan_scores, "invalid scores on a probe comment"),
    (lambda d: edit_metadata(d, thresholds={rule: {"review": 0.5, "reject": 1.5}
                                            for rule in RULES}),
     r"bad insult\.reject threshold"),
    (lambda d: edit_metadata(d, thresholds={rule: {"review": "high", "reject": 0.9}
                                            for rule in RULES}),
     r"bad insult\.review threshold"),
    # Metadata edited by hand: each of these crashed training.evaluate or registry promote.
    (lambda d: edit_metadata(d, thresholds={rule: 0.8 for rule in RULES}),
     r"thresholds\.insult must be an object of levels"),
    (lambda d: edit_metadata(d, thresholds=[0.5, 0.9]), "thresholds must be an object"),
    (lambda d: edit_metadata(d, thresholds={rule: {"review": 0.5, "reject": 0.9}
                                            for rule in RULES}),
     r"bad insult\.decision threshold"),
    (lambda d: edit_metadata(d, thresholds={rule: {"review": 0.5, "reject": 0.9, "decision": 0.4,
                                                   "suspect": True} for rule in RULES}),
     r"bad insult\.suspect threshold"),
    (lambda d: edit_metadata(d, thresholds={rule: {"review": 0.9, "reject": 0.5, "decision": 0.4}
                                            for rule in RULES}),
     r"insult\.review is above insult\.reject"),
], ids=["unreadable-metadata", "metadata-lacks-a-key", "other-rules", "no-artifact",
        "not-a-classifier", "nan-scores", "threshold-above-1", "threshold-not-a-number",
        "rule-not-an-object", "thresholds-not-an-object", "no-decision-threshold",
        "suspect-not-a-number", "review-above-reject"])
def test_each_kind_of_damage_is_refused_with_its_reason(artifact_copy, damage, message):
    damage(artifact_copy)
    with pytest.raises(ArtifactError, match=message):
        load_artifact(artifact_copy)
    with pytest.raises(ArtifactError, match=message):  # at startup, not at the first comment
        create_app({"TESTING": True, "MODEL_DIR": str(artifact_copy)})


def test_missing_model_names_the_fix(tmp_path):
    with pytest.raises(ArtifactError, match="no model at"):
        load_artifact(tmp_path)


def test_pointer_to_missing_version_is_refused(tmp_path):
    (tmp_path / "current").write_text("nope\n")
    with pytest.raises(ArtifactError, match="not a model"):
        load_artifact(tmp_path)


def test_app_refuses_to_start_on_a_bad_artifact(artifact_copy):
    edit_metadata(artifact_copy, sklearn_version="0.24.2")
    with pytest.raises(ArtifactError):
        create_app({"TESTING": True, "MODEL_DIR": str(artifact_copy)})


TEXTS = ["انت حمار", "مقال رائع شكرا", "n3al din mok", "le ministre doit partir", "؟؟؟", "x"]
# words repeated within a comment, a comment of no known feature, an empty one
ODD_TEXTS = ["حمار حمار ولد الحمار حمار", "din din mok din", "🤬🤬", "", "   "]


def scikit_learn_probabilities(classifier, texts):
    """The classifier's probabilities from scikit-learn's own TF-IDF rows: the reference both
    of its scoring paths, which build the rows themselves, must equal."""
    matrix = classifier.vectorizer.transform(texts)
    scale = evidence_scale(np.diff(matrix.indptr), classifier.full_evidence)
    return classifier._calibrate(
        scale * np.asarray(matrix @ classifier.coef) + classifier.intercept
    )


def assert_same_rows(ours, reference):
    assert ours.shape == reference.shape
    np.testing.assert_array_equal(np.diff(ours.indptr), np.diff(reference.indptr))
    np.testing.assert_allclose(ours.toarray(), reference.toarray(), rtol=0, atol=1e-12)


def test_tfidf_rows_are_scikit_learns(model_dir):
    """The batch path builds its TF-IDF rows from cached word ids, not with the vectorizer."""
    classifier = load_artifact(model_dir).classifier
    corpus = [json.loads(line)["text"]
              for line in (FIXTURES / "tiny_corpus.jsonl").read_text(encoding="utf-8").splitlines()]
    texts = [*TEXTS, *ODD_TEXTS, *corpus]
    assert_same_rows(classifier.tfidf(texts), classifier.vectorizer.transform(texts))
    assert_same_rows(classifier.tfidf(texts), classifier.tfidf(texts))  # cached words alike
    assert classifier.tfidf([]).shape == (0, classifier.n_features)


def test_both_scoring_paths_equal_scikit_learns(model_dir):
    classifier = load_artifact(model_dir).classifier
    texts = [*TEXTS, *ODD_TEXTS]
    reference = scikit_learn_probabilities(classifier, texts)
    np.testing.assert_allclose(classifier.predict_proba(texts), reference, rtol=1e-9, atol=1e-12)
    single = np.vstack([classifier.predict_proba_one(t) for t in texts])
    np.testing.assert_allclose(single, reference, rtol=1e-9, atol=1e-12)


def test_the_word_cache_changes_no_score_even_when_it_fills(model_dir):
    """Each word's vocabulary ids are cached for the next comment, and a full cache is emptied:
    scores stay scikit-learn's, cold or cached, words repeated in a comment included."""
    classifier = load_artifact(model_dir).classifier
    texts = [*TEXTS, *ODD_TEXTS]
    reference = scikit_learn_probabilities(classifier, texts)
    classifier.WORD_CACHE_SIZE = 3
    for _ in range(2):
        single = np.vstack([classifier.predict_proba_one(t) for t in texts])
        np.testing.assert_allclose(single, reference, rtol=1e-9, atol=1e-12)
        batch = classifier.predict_proba(texts)
        np.testing.assert_allclose(batch, reference, rtol=1e-9, atol=1e-12)
    assert 0 < len(classifier._word_ids_cache) <= 3


def test_an_artifact_fitted_on_other_features_is_refused(artifact_copy):
    """One comment is scored from our own feature functions, so a vectorizer with any other
    analyzer would score silently wrong."""
    from service.model import sha256_of

    path = artifact_copy / "model.joblib"
    classifier = joblib.load(path)
    classifier.vectorizer.analyzer = "char_wb"
    joblib.dump(classifier, path)
    edit_metadata(artifact_copy, artifact_sha256=sha256_of(path))
    with pytest.raises(ArtifactError, match="unknown feature extractor"):
        load_artifact(artifact_copy)


def test_evidence_scaling_shrinks_short_comments_toward_the_prior_on_both_paths(model_dir):
    loaded = load_artifact(model_dir).classifier
    plain = with_full_evidence(loaded, [0] * len(RULES)).margins(TEXTS) - loaded.intercept
    known = np.diff(loaded.vectorizer.transform(TEXTS).indptr)
    religion = RULES.index("religion")
    full = int(known.max()) * 4  # every comment here is short of it
    classifier = with_full_evidence(loaded, [full if r == "religion" else 0 for r in RULES])
    scaled = classifier.margins(TEXTS) - classifier.intercept
    expected = plain.copy()
    expected[:, religion] *= np.sqrt(known / full)
    np.testing.assert_allclose(scaled, expected)  # the other rules untouched
    reference = scikit_learn_probabilities(classifier, TEXTS)
    single = np.vstack([classifier.predict_proba_one(t) for t in TEXTS])
    np.testing.assert_allclose(single, reference, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(classifier.predict_proba(TEXTS), reference, rtol=1e-9, atol=1e-12)


def test_evidence_scale_is_per_rule_and_keeps_full_vectors_whole():
    scale = evidence_scale(np.array([0, 25, 100, 400]), np.array([0, 100]))
    assert scale.tolist() == [[1, 0], [1, 0.5], [1, 1], [1, 1]]


def test_an_artifact_from_before_evidence_scaling_scores_as_it_did(model_dir):
    classifier = load_artifact(model_dir).classifier
    state = classifier.__getstate__()
    state.pop("full_evidence")
    older = CommentClassifier.__new__(CommentClassifier)
    older.__setstate__(state)
    assert older.full_evidence.tolist() == [0] * len(RULES)
    plain = with_full_evidence(classifier, [0] * len(RULES))
    np.testing.assert_allclose(older.predict_proba(TEXTS), plain.predict_proba(TEXTS))


def with_full_evidence(classifier, full_evidence):
    """A copy of the classifier scaling short comments as ``full_evidence`` says."""
    changed = CommentClassifier.__new__(CommentClassifier)
    changed.__setstate__({**classifier.__getstate__(),
                          "full_evidence": np.asarray(full_evidence, dtype=np.int64)})
    return changed


def test_cross_word_ngrams_add_only_grams_that_span_a_space():
    text = "L'islam est une religion de paix"
    within, across = extract_features(text), extract_features_across_words(text)
    assert across[: len(within)] == within
    spanning = across[len(within):]
    assert {"n de ", " de p", "de p", "n de p"} & set(spanning) == {"n de ", " de p"}
    assert all(" " in gram[1:-1] and len(gram) == 5 for gram in spanning)
    assert extract_features_across_words("كلمة") == extract_features("كلمة")  # one word: none


def test_a_word_cut_by_a_glued_mark_adds_the_features_of_the_joined_word():
    cut = extract_features("beni_mellal w lhouma")  # two words joined, as hashtags join them
    assert {"w:beni_mellal", "i_mel", "w:benimellal", "imell"} <= set(cut)
    assert "w:9a7ba" not in extract_features("9a7ba.")  # a mark at the edge cuts nothing


@pytest.mark.parametrize("cut", ["9a7.ba", "9.a7ba", "mai😡s", "ق.حبة", "الأفارق-ة"])
def test_a_cut_that_leaves_a_part_of_one_or_two_letters_reads_as_the_joined_word(cut):
    """One mark that leaves one or two letters on a side disguises one word: the classifier
    reads the word as if uncut (round 23: the flagged held-out comments keep their verdict with
    one mark glued inside a word 97.5% of the time over twelve seeds, 95.2% when the parts were
    read too; docs/evaluation.md)."""
    cut_text, whole_text = f"ya {cut}", f"ya {join_cut_word(cut)}"
    pairs = {"b:" + normalize_for_model(text) for text in (cut_text, whole_text)}
    assert set(extract_features(cut_text)) - pairs == set(extract_features(whole_text)) - pairs


@pytest.mark.parametrize("written", ["#نصر_من_الله", "لحالك...يا", "ياقدير🤲🤲يا", "3/4"])
def test_hashtags_runs_of_marks_and_figures_keep_both_readings(written):
    """A hashtag joins words on purpose, a run of marks separates two words, a figure is no word:
    measured on the shared datasets, reading these joined only cost the shared-data model 0.004
    macro-F1 on average over the 36 public rows (docs/evaluation.md, round 23)."""
    features = extract_features(written)
    assert "w:" + normalize_for_model(written) in features
    assert "w:" + join_cut_word(normalize_for_model(written)) in features


def test_each_cross_word_ngram_knows_the_words_it_takes_letters_from():
    words = "abc de fghij k".split()
    spans = cross_word_gram_words(words)
    assert [gram for gram, _ in spans] == cross_word_grams(words)
    assert {gram: list(indices) for gram, indices in spans} == {
        "abc d": [0, 1], "bc de": [0, 1], "c de ": [0, 1], " de f": [1, 2], "de fg": [1, 2],
        "e fgh": [1, 2], "hij k": [2, 3], "ij k ": [2, 3]}


def test_the_served_model_uses_the_features_it_was_fitted_with(model_dir, tmp_path):
    """The default fits cross-word n-grams; a model fitted without them (as beside public
    datasets) keeps word-bounded features, and each scores the same on both paths."""
    assert load_artifact(model_dir).classifier.vectorizer.analyzer is extract_features_across_words
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "tiny.jsonl").write_bytes((FIXTURES / "tiny_corpus.jsonl").read_bytes())
    registry = tmp_path / "models"
    train([], registry, TrainingParams(min_df=1, max_features=20_000, cross_word_ngrams=False),
          progress=False, corpus_dir=corpus)
    classifier = load_artifact(registry).classifier
    assert classifier.vectorizer.analyzer is extract_features
    assert not any(" " in f[1:-1] and not f.startswith(("w:", "b:"))
                   for f in classifier.vectorizer.vocabulary_)
    single = np.vstack([classifier.predict_proba_one(t) for t in TEXTS])
    np.testing.assert_allclose(single, classifier.predict_proba(TEXTS), rtol=1e-9, atol=1e-12)
    assert_same_rows(classifier.tfidf(TEXTS), classifier.vectorizer.transform(TEXTS))


def test_word_shares_add_up_to_each_rules_score(model_dir):
    """Word n-grams go to their word, pairs and cross-word n-grams are split between theirs, and
    evidence scaling applies: the shares are the linear score, word by word."""
    loaded = load_artifact(model_dir).classifier
    scaled = with_full_evidence(loaded, [400 if r == "religion" else 0 for r in RULES])
    texts = [*TEXTS, "حمار حمار ولد الحمار", "L'islam est une religion de paix", ""]
    for classifier in (loaded, scaled):
        linear = classifier.margins(texts) - classifier.intercept
        for row, text in enumerate(texts):
            words, shares = classifier.word_shares(text)
            assert words == normalize_for_model(text).split()
            assert shares.shape == (len(words), len(RULES))
            np.testing.assert_allclose(shares.sum(axis=0), linear[row], atol=1e-12)


def test_weighing_words_are_the_words_that_raise_a_score_strongest_first(model_dir):
    classifier = load_artifact(model_dir).classifier
    text = "انت حمار، وولد الحمار، مقال رائع"  # each word once; two end with a comma
    words, shares = classifier.word_shares(text)
    column = shares[:, RULES.index("insult")]
    insult = {word.rstrip("،"): share for word, share in zip(words, column, strict=True)}
    weighing = classifier.weighing_words(text, ["insult"], top=2)["insult"]
    assert "حمار" in weighing  # shown without its comma
    raising = sorted((share for share in insult.values() if share > 0), reverse=True)
    assert [insult[word] for word in weighing] == raising[:2]
    assert classifier.weighing_words("", ["insult", "religion"]) == {"insult": [], "religion": []}
