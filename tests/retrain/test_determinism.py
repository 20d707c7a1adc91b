"""Same data, same parameters: the same model, byte for byte."""

import json
from dataclasses import replace

import numpy as np

from service.model import ARTIFACT_FILE, METADATA_FILE, load_artifact, sha256_of
from service.rules import RULES
from tests.retrain.conftest import PARAMS
from tests.retrain.corpus import CLEAN, INSULT, RELIGION
from training.train import train


def test_two_runs_on_the_same_data_give_the_same_model(tmp_path, corpus_dir):
    first = train([], tmp_path / "one", PARAMS, progress=False, corpus_dir=corpus_dir, report=False)
    second = train(
        [], tmp_path / "two", PARAMS, progress=False, corpus_dir=corpus_dir, report=False
    )

    assert sha256_of(first / ARTIFACT_FILE) == sha256_of(second / ARTIFACT_FILE)
    meta = [json.loads((d / METADATA_FILE).read_text(encoding="utf-8")) for d in (first, second)]
    for key in ("data_sha256", "thresholds", "metrics", "rows", "n_features"):
        assert meta[0][key] == meta[1][key], key
    # The version is the training time plus the data digest: only the time part may differ.
    assert first.name.split("-")[1] == second.name.split("-")[1]

    texts = CLEAN + INSULT + RELIGION + ["نص ما شافو النموذج", "lol"]
    a, b = (load_artifact(d).classifier for d in (first, second))
    assert (a.predict_proba(texts) == b.predict_proba(texts)).all()


def test_each_rule_is_fitted_with_its_own_C(tmp_path, corpus_dir):
    """A stronger penalty on one rule shrinks that rule's weights and leaves the others' alone."""
    weak_religion = replace(PARAMS, C=(*PARAMS.C, ("religion", 0.01)))
    models = {
        name: load_artifact(train([], tmp_path / name, params, progress=False,
                                  corpus_dir=corpus_dir, report=False)).classifier
        for name, params in (("default", PARAMS), ("weak_religion", weak_religion))
    }
    norms = {name: np.abs(model.coef).sum(axis=0) for name, model in models.items()}
    religion, others = RULES.index("religion"), [RULES.index(r) for r in ("insult", "incitement")]
    assert norms["weak_religion"][religion] < norms["default"][religion] / 10
    assert (norms["weak_religion"][others] == norms["default"][others]).all()
