"""Same data, same parameters: the same model, byte for byte."""

import json

from service.model import ARTIFACT_FILE, METADATA_FILE, load_artifact, sha256_of
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
