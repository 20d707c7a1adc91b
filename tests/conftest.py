"""Fixtures shared by every suite: a tiny model trained once per session, the app and a client.

Unit and API tests never depend on the committed corpus or the default model: the tiny model is
fitted on tests/fixtures/tiny_corpus.jsonl, written as a real artifact and loaded the way
production loads one."""

from pathlib import Path

import pytest

from service import create_app
from training.train import TrainingParams, train

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="session")
def model_dir(tmp_path_factory) -> Path:
    """A model registry holding one tiny model as its current version."""
    registry = tmp_path_factory.mktemp("models")
    corpus = tmp_path_factory.mktemp("corpus")
    (corpus / "tiny.jsonl").write_bytes((FIXTURES / "tiny_corpus.jsonl").read_bytes())
    train(
        [],
        registry,
        TrainingParams(min_df=1, max_features=20_000),
        progress=False,
        corpus_dir=corpus,
    )
    return registry


@pytest.fixture
def app_config(model_dir) -> dict:
    """The test configuration; tests may change it before asking for ``app``."""
    return {"TESTING": True, "MODEL_DIR": str(model_dir)}


@pytest.fixture
def app(app_config):
    return create_app(app_config)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def pytest_addoption(parser):
    parser.addoption(
        "--model-dir",
        default=None,
        help="candidate model (folder or registry) for tests/model; default: models/",
    )
