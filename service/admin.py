"""The policy API: keyword list overrides and thresholds. Everyone on staff reads; admins change."""

from flask import Blueprint, current_app, g, jsonify

from service import overrides
from service.api import json_body
from service.auth import ADMIN, STAFF, require_api
from service.db import get_db
from service.moderation import get_moderator
from service.validation import require_object

bp = Blueprint("admin", __name__, url_prefix="/v1")


def refresh_now() -> None:
    """Apply a change in this process at once; the other workers follow within seconds."""
    current_app.extensions[overrides.EXTENSION_KEY].refresh_now(get_db())


def catch_up() -> None:
    """Bring this process's lists and thresholds up to the database's now, if they are behind:
    the page after a save may be served by a worker that did not take it."""
    current_app.extensions[overrides.EXTENSION_KEY].catch_up(get_db())


def serving_files() -> overrides.ServingLists:
    """The keyword lists as this process read them from KEYWORD_DIR, before any override."""
    return current_app.extensions[overrides.EXTENSION_KEY].files


def keyword_view() -> dict:
    """Return the file lists, the overrides and the version in force (for the API and pages)."""
    with get_db().reading() as connection:
        items = overrides.list_overrides(connection)
        version = overrides.current_version(connection)
    files = serving_files()
    return {"files": [{"rule": e.rule, "level": e.level, "term": e.term} for e in files.entries],
            "file_allow": list(files.allow), "file_denials": list(files.denials),
            "overrides": [o.to_dict() for o in items], "version": version}


def threshold_view() -> dict:
    """Return the thresholds at each layer and the ones in force."""
    moderator = get_moderator()
    with get_db().reading() as connection:
        admin_overrides = overrides.threshold_overrides(connection)
    return {
        "model_version": moderator.bundle.version,
        "stored": moderator.bundle.thresholds,
        "configured": current_app.config["THRESHOLDS"],
        "overrides": admin_overrides,
        "in_force": moderator.policy.to_dict(),
    }


@bp.get("/keywords")
@require_api(*STAFF)
def get_keywords():
    """List the keyword entries from the files and the admins' overrides."""
    return jsonify(keyword_view())


@bp.post("/keywords")
@require_api(ADMIN)
def post_keyword():
    """Add a keyword entry, or hide a file entry (action "remove")."""
    body = require_object(json_body())
    with get_db().transaction() as connection:
        item = overrides.add_override(
            connection, g.principal.actor, serving_files(), rule=body.get("rule"),
            level=body.get("level"), term=body.get("term"), action=body.get("action", "add"),
            note=body.get("note"))
    refresh_now()
    return jsonify(item.to_dict()), 201


@bp.delete("/keywords/<int:override_id>")
@require_api(ADMIN)
def delete_keyword(override_id: int):
    """Delete an override; the file lists apply again for that term."""
    with get_db().transaction() as connection:
        overrides.delete_override(connection, g.principal.actor, override_id)
    refresh_now()
    return "", 204


@bp.get("/thresholds")
@require_api(*STAFF)
def get_thresholds():
    """Show the thresholds: stored with the model, configured, set by admins, in force."""
    return jsonify(threshold_view())


@bp.put("/thresholds")
@require_api(ADMIN)
def put_thresholds():
    """Replace the admins' threshold overrides (an empty object clears them)."""
    new = overrides.parse_thresholds(json_body())
    with get_db().transaction() as connection:
        overrides.set_thresholds(connection, g.principal.actor, new,
                                 get_moderator().bundle.thresholds,
                                 current_app.config["THRESHOLDS"])
    refresh_now()
    return jsonify(threshold_view())
