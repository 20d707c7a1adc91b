"""The queue API: the site posts comments and polls them; moderators list and decide.

Routes parse, call service.queue, and serialize; docs/queue.md documents every one.
"""

from flask import Blueprint, current_app, g, jsonify, request, url_for

from service import outbox, queue
from service.api import json_body
from service.auth import ADMIN, MODERATOR, SITE, STAFF, require_api
from service.db import get_db
from service.moderation import get_moderator
from service.queue_input import (
    parse_bulk_decision,
    parse_changes_query,
    parse_comment,
    parse_comment_id,
    parse_decision,
    parse_queue_query,
)
from service.storage import utcnow

bp = Blueprint("comments", __name__, url_prefix="/v1")


@bp.post("/comments")
@require_api(SITE)
def post_comment():
    """Store and score a comment; 201 when new, 200 with the stored record on a retry."""
    submission = parse_comment(json_body(), current_app.config["MAX_TEXT_CHARS"])
    record, created = queue.receive_comment(get_db(), submission, get_moderator().score)
    if not created:
        return jsonify(record), 200
    location = url_for("comments.get_comment", comment_id=record["id"])
    return jsonify(record), 201, {"Location": location}


@bp.get("/comments/<comment_id>")
@require_api(SITE, MODERATOR, ADMIN)
def get_comment(comment_id: str):
    """Return a comment's current status and its decision history (the polling fallback)."""
    with get_db().reading() as connection:
        row = queue.get_comment(connection, parse_comment_id(comment_id))
        history = queue.comment_history(connection, row.pk)
    return jsonify({**queue.comment_record(row), "history": history})


@bp.delete("/comments/<comment_id>")
@require_api(SITE)
def delete_comment(comment_id: str):
    """Withdraw a comment the site deleted: out of the queue, its text and author erased.

    204 on a retry too, so the site can repeat a DELETE it is unsure of."""
    queue.withdraw_comment(get_db(), parse_comment_id(comment_id), g.principal.actor)
    return "", 204


@bp.get("/changes")
@require_api(SITE, MODERATOR, ADMIN)
def get_changes():
    """List people's status changes after a given one: the webhooks' events, for polling."""
    query = parse_changes_query(request.args)
    database = get_db()
    settled_before = None if database.is_sqlite else utcnow() - queue.CHANGES_SETTLE
    with database.reading() as connection:
        changes = queue.list_changes(connection, query, settled_before)
    return jsonify({"changes": changes,
                    "next_after": changes[-1]["change"] if changes else query.after})


@bp.post("/comments/<comment_id>/decision")
@require_api(*STAFF)
def post_decision(comment_id: str):
    """Approve or reject a comment (or reverse an earlier decision)."""
    comment_id, decision = parse_comment_id(comment_id), parse_decision(json_body())
    outcome = queue.decide(get_db(), comment_id, decision, g.principal.actor,
                           notify=outbox.webhooks_enabled())
    if outcome.event_id:
        outbox.notify_worker()
    return jsonify({**outcome.record, "result": outcome.result})


@bp.post("/decisions")
@require_api(*STAFF)
def post_bulk_decision():
    """Apply one decision to many comments; each id gets its own result."""
    ids, decision = parse_bulk_decision(json_body(), current_app.config["MAX_BULK"])
    results = queue.decide_many(get_db(), ids, decision, g.principal.actor,
                                notify=outbox.webhooks_enabled())
    outbox.notify_worker()
    return jsonify({"results": results})


@bp.get("/queue")
@require_api(*STAFF)
def get_queue():
    """List comments by status and filters, with counts and a cursor to the next page."""
    query = parse_queue_query(request.args, current_app.config["QUEUE_PAGE_SIZE"])
    with get_db().reading() as connection:
        page = queue.list_queue(connection, query)
    return jsonify({
        "items": [queue.comment_record(row) for row in page.rows],
        "next_cursor": page.next_cursor,
        "counts": page.counts,
    })
