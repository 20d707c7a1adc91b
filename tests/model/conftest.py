"""Behavioural tests run against a real candidate artifact, not the tiny fixture model:
``pytest tests/model --model-dir models/<version>`` (default: the project's current model).
`python -m training.registry promote` runs them as a gate before a model serves."""

from pathlib import Path

import pytest

from service.keywords import KeywordMatcher
from service.model import ArtifactError, load_artifact
from service.scoring import Moderator

DEFAULT_MODELS = Path(__file__).resolve().parents[2] / "models"


@pytest.fixture(scope="session")
def candidate(request):
    """The candidate model, loaded as the service loads it."""
    path = request.config.getoption("--model-dir") or DEFAULT_MODELS
    try:
        return load_artifact(path)
    except ArtifactError as error:
        pytest.fail(f"no candidate model to test: {error} (run `make model` first)")


@pytest.fixture(scope="session")
def moderator(candidate):
    return Moderator(
        candidate,
        KeywordMatcher.from_directory(Path(__file__).resolve().parents[2] / "service" / "keywords"),
    )


@pytest.fixture(scope="session")
def verdict(moderator):
    def _verdict(text: str) -> str:
        return moderator.score(text).verdict

    return _verdict
