"""Liveness, readiness, the operator's metrics and the OpenAPI document."""

import json
from functools import cache
from pathlib import Path

from flask import Blueprint, current_app, jsonify
from prometheus_client import CONTENT_TYPE_LATEST

from service import metrics as operator_metrics
from service.auth import ADMIN, MODERATOR, SITE, require_api
from service.db import get_db
from service.moderation import EXTENSION_KEY, get_moderator
from service.storage import utcnow

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


@bp.get("/metrics")
@require_api(SITE, MODERATOR, ADMIN)
def metrics():
    """The queue, the last day's verdicts and decisions, webhooks and the model, for Prometheus."""
    with get_db().reading() as connection:
        body = operator_metrics.exposition(connection, get_moderator().bundle.version, utcnow())
    return body, 200, {"Content-Type": CONTENT_TYPE_LATEST}


@bp.get("/openapi.json")
def openapi():
    """Serve the OpenAPI document of the API."""
    return jsonify(_openapi())
