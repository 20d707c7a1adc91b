"""Liveness, readiness and the OpenAPI document."""

import json
from functools import cache
from pathlib import Path

from flask import Blueprint, current_app, jsonify

from service.moderation import EXTENSION_KEY

bp = Blueprint("health", __name__)
OPENAPI_PATH = Path(__file__).parent / "openapi.json"


@cache
def _openapi() -> dict:
    return json.loads(OPENAPI_PATH.read_text(encoding="utf-8"))


@bp.get("/healthz")
def healthz():
    """Answer while the process is alive."""
    return jsonify({"status": "ok"})


@bp.get("/readyz")
def readyz():
    """Answer 200 once a model is loaded and can score, 503 otherwise."""
    moderator = current_app.extensions.get(EXTENSION_KEY)
    if moderator is None:
        return jsonify({"status": "not ready", "reason": "no model loaded"}), 503
    return jsonify({"status": "ready", "model_version": moderator.bundle.version})


@bp.get("/openapi.json")
def openapi():
    """Serve the OpenAPI document of the API."""
    return jsonify(_openapi())
