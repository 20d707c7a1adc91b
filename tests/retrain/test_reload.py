"""Reloading a promoted model in a running process: the reloader on its own (a fake clock, real
artifacts), then inside the Flask app."""

from __future__ import annotations

import json
import logging
import os
import shutil
import threading
from pathlib import Path

import pytest

from service import create_app
from service.keywords import KeywordMatcher
from service.model import ARTIFACT_FILE, METADATA_FILE, load_artifact
from service.reload import EXTENSION_KEY, ModelReloader
from service.scoring import Moderator
from training.registry import set_current

KEYWORDS = Path(__file__).resolve().parents[2] / "service" / "keywords"


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class CountingLoader:
    def __init__(self):
        self.calls: list[Path] = []

    def __call__(self, path):
        self.calls.append(Path(path))
        return load_artifact(path)


@pytest.fixture
def setup(make_registry, models):
    """A registry serving "weak", a Moderator on it, and a reloader checking every 2 s."""
    registry = make_registry("weak", "good")
    moderator = Moderator(load_artifact(registry), KeywordMatcher.from_directory(KEYWORDS))
    clock, loader = Clock(), CountingLoader()
    reloader = ModelReloader(moderator, registry, 2.0, background=False, loader=loader, clock=clock)
    return registry, moderator, reloader, clock, loader


def damage(version_dir: Path) -> None:
    artifact = version_dir / ARTIFACT_FILE
    artifact.write_bytes(artifact.read_bytes()[:-64] + b"\0" * 64)


def test_a_promoted_version_is_swapped_in(setup, models):
    registry, moderator, reloader, clock, loader = setup
    assert reloader.watching
    assert reloader.maybe_reload() is False  # first look: the pointer names what already serves
    set_current(registry, models["good"].name)
    assert reloader.maybe_reload() is False  # within the interval: not even a stat
    clock.now += 2.0
    assert reloader.maybe_reload() is True
    assert moderator.bundle.version == models["good"].name
    assert moderator.score("مقال زوين").model_version == models["good"].name
    assert loader.calls == [registry / models["good"].name]


def test_a_background_load_lets_requests_go_on_with_the_old_model(make_registry, models):
    registry = make_registry("weak", "good")
    moderator = Moderator(load_artifact(registry), KeywordMatcher.from_directory(KEYWORDS))
    started, release = threading.Event(), threading.Event()

    def slow_loader(path):
        started.set()
        release.wait(10)
        return load_artifact(path)

    clock = Clock()
    reloader = ModelReloader(moderator, registry, 2.0, loader=slow_loader, clock=clock)
    set_current(registry, models["good"].name)
    assert reloader.maybe_reload() is False and started.wait(10)
    clock.now += 2.0
    assert reloader.maybe_reload() is False  # still loading: no second load, old model serves
    assert moderator.score("مقال").model_version == models["weak"].name
    release.set()
    reloader.wait(10)
    assert reloader.maybe_reload() is True  # the next request swaps the loaded model in
    assert moderator.bundle.version == models["good"].name


def test_a_model_loaded_after_the_pointer_moved_on_is_not_swapped_in(setup, models):
    registry, moderator, reloader, clock, _loader = setup
    reloader.background = True
    release = threading.Event()
    reloader._loader = lambda path: (release.wait(10), load_artifact(path))[1]
    set_current(registry, models["good"].name)
    clock.now += 2.0
    reloader.maybe_reload()
    set_current(registry, models["weak"].name)  # rolled back while "good" was loading
    release.set()
    reloader.wait(10)
    assert reloader.maybe_reload() is False
    assert moderator.bundle.version == models["weak"].name


def test_an_unchanged_pointer_costs_no_load(setup):
    _registry, _moderator, reloader, clock, loader = setup
    for _ in range(5):
        clock.now += 2.0
        assert reloader.maybe_reload() is False
    assert loader.calls == []


@pytest.mark.parametrize(
    "breakage",
    [
        "truncated artifact",
        "other scikit-learn",
        "missing folder",
        "metadata of another version",
        "empty pointer",
    ],
)
def test_a_bad_version_is_refused_and_the_old_model_keeps_serving(setup, models, breakage, caplog):
    registry, moderator, reloader, clock, loader = setup
    bad = registry / "20991231T000000Z-deadbeef"
    if breakage != "missing folder":
        shutil.copytree(registry / models["good"].name, bad)
    if breakage == "truncated artifact":
        damage(bad)
    elif breakage in ("other scikit-learn", "metadata of another version"):
        metadata = json.loads((bad / METADATA_FILE).read_text())
        if breakage == "other scikit-learn":
            metadata["sklearn_version"] = "0.24.2"
            metadata["model_version"] = bad.name
        (bad / METADATA_FILE).write_text(json.dumps(metadata))
    set_current(registry, "" if breakage == "empty pointer" else bad.name)
    clock.now += 2.0
    with caplog.at_level(logging.ERROR, logger="service.reload"):
        assert reloader.maybe_reload() is False
    assert moderator.bundle.version == models["weak"].name
    assert moderator.score("مقال زوين").model_version == models["weak"].name
    assert reloader.refused is not None and "refusing model" in caplog.text
    calls = len(loader.calls)
    clock.now += 2.0
    assert reloader.maybe_reload() is False and len(loader.calls) == calls  # no retry, no log spam

    # Pointing back at a good version (a rollback) is picked up as usual.
    set_current(registry, models["good"].name)
    clock.now += 2.0
    assert reloader.maybe_reload() is True and reloader.refused is None


def test_a_missing_pointer_keeps_the_old_model(setup, models):
    registry, moderator, reloader, clock, _loader = setup
    os.unlink(registry / "current")
    clock.now += 2.0
    assert reloader.maybe_reload() is False
    assert moderator.bundle.version == models["weak"].name


def test_an_artifact_folder_or_zero_interval_is_not_watched(make_registry, models):
    registry = make_registry("weak")
    moderator = Moderator(load_artifact(registry), KeywordMatcher.from_directory(KEYWORDS))
    assert not ModelReloader(moderator, registry / models["weak"].name, 2.0).watching
    assert not ModelReloader(moderator, registry, 0).watching


def test_the_app_switches_model_between_requests(make_registry, models):
    registry = make_registry("weak", "good")
    app = create_app({"TESTING": True, "MODEL_DIR": str(registry), "MODEL_RELOAD_SECONDS": 1e-6})
    client = app.test_client()
    reloader = app.extensions[EXTENSION_KEY]
    assert client.get("/v1/model").get_json()["model_version"] == models["weak"].name
    set_current(registry, models["good"].name)
    # The request that notices the change starts the load and is answered by the old model.
    body = client.post("/v1/moderate", json={"text": "مقال زوين"}).get_json()
    assert body["model_version"] == models["weak"].name
    reloader.wait(30)
    body = client.post("/v1/moderate", json={"text": "مقال زوين"}).get_json()
    assert body["model_version"] == models["good"].name
    assert client.get("/v1/model").get_json()["model_version"] == models["good"].name

    damage(registry / models["weak"].name)
    set_current(registry, models["weak"].name)
    for _ in range(2):
        response = client.post("/v1/moderate", json={"text": "مقال زوين"})
        assert response.status_code == 200
        assert response.get_json()["model_version"] == models["good"].name
        reloader.wait(30)
    assert reloader.refused["version"] == models["weak"].name


def test_the_reload_interval_is_a_setting(make_registry):
    app = create_app({"TESTING": True, "MODEL_DIR": str(make_registry("weak"))})
    assert app.extensions[EXTENSION_KEY].interval == 2.0
