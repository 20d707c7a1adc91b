"""The Flask side of scoring: build the Moderator when the app is created, hand it to requests."""

from pathlib import Path

from flask import Flask, current_app

from service.keywords import KeywordMatcher
from service.model import load_artifact
from service.scoring import Moderator

EXTENSION_KEY = "moderation"


def init_app(app: Flask) -> None:
    """Load the model and keyword lists named by the config; fail startup if either is bad."""
    bundle = load_artifact(app.config["MODEL_DIR"])
    matcher = KeywordMatcher.from_directory(Path(app.config["KEYWORD_DIR"]))
    try:
        moderator = Moderator(bundle, matcher, app.config["THRESHOLDS"])
    except ValueError as error:  # the configured thresholds, read over the model's
        raise RuntimeError(f"MODERATION_THRESHOLDS: {error}") from None
    app.extensions[EXTENSION_KEY] = moderator
    app.logger.info("serving model %s from %s", bundle.version, bundle.directory)


def get_moderator() -> Moderator:
    """Return the running app's Moderator."""
    return current_app.extensions[EXTENSION_KEY]
