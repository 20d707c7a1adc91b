"""The JSON scoring API for the site's backend."""

import time
from pathlib import PurePath

from flask import Blueprint, current_app, jsonify, request

from service.errors import APIError
from service.moderation import get_moderator
from service.rules import RULE_DESCRIPTIONS
from service.scoring import BatchTimeLimit
from service.validation import parse_moderate, parse_moderate_batch, unstorable_character_at

bp = Blueprint("api", __name__, url_prefix="/v1")


def json_body():
    """Return the request's parsed JSON body, or raise 415/400 with a clear message."""
    if not request.is_json:
        raise APIError(415, "send the body as JSON with 'Content-Type: application/json'")
    limit = request.max_content_length
    if (request.content_length is None and limit is not None
            and len(request.get_data(cache=True)) >= limit):
        # A chunked body has no Content-Length to refuse it by, and werkzeug cuts it at the
        # limit without an error: parsed, it would be a puzzling "not valid JSON".
        raise APIError(413, f"the body is larger than the limit of {limit} bytes")
    try:
        payload = request.get_json(silent=True)
    except RecursionError:
        raise APIError(400, "the body nests arrays or objects too deeply") from None
    if payload is None and request.get_data(cache=True).strip() != b"null":
        raise APIError(400, "the body is not valid JSON (UTF-8)")
    where = unstorable_character_at(payload)
    if where is not None:
        raise APIError(400, f"the body is not valid text: a NUL character or a lone surrogate "
                            f"escape in {where}")
    return payload


@bp.post("/moderate")
def moderate():
    """Score one comment and answer approve, review or reject with the reasons."""
    text = parse_moderate(json_body(), current_app.config["MAX_TEXT_CHARS"])
    return jsonify(get_moderator().score(text).to_dict())


@bp.post("/moderate/batch")
def moderate_batch():
    """Score up to MAX_BATCH comments; results come back in the order sent."""
    config = current_app.config
    deadline = time.monotonic() + config["BATCH_SECONDS"]
    texts = parse_moderate_batch(json_body(), config["MAX_TEXT_CHARS"], config["MAX_BATCH"],
                                 config["MAX_BATCH_CHARS"])
    try:
        decisions = get_moderator().score_batch(texts, deadline)
    except BatchTimeLimit as late:
        raise APIError(413, f"this batch took over {config['BATCH_SECONDS']:g} s to score "
                            f"({late.scored} of {late.total} texts scored): send fewer or "
                            f"shorter texts per request", field="texts") from None
    return jsonify({"results": [d.to_dict() for d in decisions]})


def public_source(source: dict) -> dict:
    """Describe a training source by file name, hash and rows; its path on the server is private."""
    return {"name": PurePath(source["path"]).name, "sha256": source["sha256"],
            "rows": source["rows"]}


@bp.get("/model")
def model_info():
    """Describe the model in service: version, metrics, thresholds in force, and the rules
    it scores, so a client can tell a commenter what a flag means."""
    moderator = get_moderator()
    metadata = moderator.bundle.metadata
    return jsonify({
        "model_version": metadata["model_version"],
        "created_at": metadata["created_at"],
        "sklearn_version": metadata["sklearn_version"],
        "data_sources": [public_source(source) for source in metadata.get("data_sources", [])],
        "metrics": metadata.get("metrics", {}),
        "thresholds": moderator.policy.to_dict(),
        "stored_thresholds": metadata["thresholds"],
        "rules": RULE_DESCRIPTIONS,
    })
