"""GET /metrics: what an operator watches, read from the database when scraped, in Prometheus's
text format, parsed here by prometheus_client's own parser."""

from __future__ import annotations

import datetime as dt

import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import update

from service.db import get_db_of
from service.moderation import EXTENSION_KEY
from service.storage import comments, utcnow
from tests.queue.conftest import BLOCKED, CLEAN, ROLES, SUSPECT, both_backends


def scrape(client, headers) -> dict[tuple[str, tuple], float]:
    """Every sample as {(name, sorted labels): value}."""
    response = client.get("/metrics", headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "text/plain" and "version=" in response.content_type
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(response.get_data(as_text=True))
            for sample in family.samples}


def recent(samples, verdict, status, decided_by) -> float:
    labels = (("decided_by", decided_by), ("status", status), ("verdict", verdict))
    return samples.get(("moderation_recent_comments", labels), 0.0)


@pytest.mark.parametrize("role, status", [("none", 401), ("site", 200), ("moderator", 200),
                                          ("admin", 200)])
def test_metrics_need_an_api_credential(queue_client, roles, role, status):
    assert queue_client.get("/metrics", headers=roles[role]).status_code == status


@both_backends
def test_metrics_count_the_queue_and_the_last_days_verdicts_and_decisions(
        site, moderator, queue_app, queue_client, roles):
    site.submit("clean", CLEAN)
    site.submit("held-1", SUSPECT)
    site.submit("held-2", SUSPECT + " 2")
    site.submit("blocked", BLOCKED)
    site.submit("missed", CLEAN + " 2")
    assert moderator.decide("held-1", "approve")[0] == 200  # a false alarm
    assert moderator.decide("missed", "reject")[0] == 200  # a miss a moderator caught
    samples = scrape(queue_client, roles.site)

    version = queue_app.extensions[EXTENSION_KEY].bundle.version
    assert samples[("moderation_model_info", (("version", version),))] == 1
    assert {status: samples[("moderation_comments", (("status", status),))]
            for status in ("pending", "published", "rejected")} == {
        "pending": 1, "published": 2, "rejected": 2}
    assert recent(samples, "approve", "published", "service") == 1
    assert recent(samples, "approve", "rejected", "person") == 1
    assert recent(samples, "review", "published", "person") == 1
    assert recent(samples, "review", "pending", "service") == 1
    assert recent(samples, "reject", "rejected", "service") == 1
    assert sum(value for (name, _), value in samples.items()
               if name == "moderation_recent_comments") == 5
    assert samples[("moderation_webhook_events_waiting", ())] == 0


def test_a_comment_older_than_a_day_leaves_the_recent_figures_not_the_queue(
        site, queue_app, queue_client, roles):
    site.submit("old", SUSPECT)
    site.submit("new", SUSPECT + " 2")
    two_days_ago = utcnow() - dt.timedelta(days=2)
    with get_db_of(queue_app).transaction() as connection:
        connection.execute(update(comments).where(comments.c.id == "old")
                           .values(received_at=two_days_ago))
    samples = scrape(queue_client, roles.moderator)
    assert samples[("moderation_comments", (("status", "pending"),))] == 2
    assert recent(samples, "review", "pending", "service") == 1
    # The oldest pending comment is the one from two days ago.
    waited = samples[("moderation_oldest_pending_seconds", ())]
    assert 2 * 86400 <= waited < 2 * 86400 + 600


def test_withdrawn_comments_are_counted_nowhere(site, queue_client, roles):
    site.submit("gone", SUSPECT)
    assert site.delete("/v1/comments/gone")[0] == 204
    samples = scrape(queue_client, roles.site)
    assert samples[("moderation_comments", (("status", "pending"),))] == 0
    assert samples[("moderation_oldest_pending_seconds", ())] == 0
    assert not [key for key in samples if key[0] == "moderation_recent_comments"]


def test_waiting_webhook_events_are_counted(queue_config, request):
    # A receiver no one listens on, and no delivery thread: the decision's event waits.
    queue_config.update(WEBHOOK_URL="http://127.0.0.1:9/hook", WEBHOOK_SECRET="s" * 32,
                        OUTBOX_WORKER=False)
    site, moderator = request.getfixturevalue("site"), request.getfixturevalue("moderator")
    site.submit("c-1", SUSPECT)
    assert moderator.decide("c-1", "reject")[0] == 200
    samples = scrape(request.getfixturevalue("queue_client"), ROLES.admin)
    assert samples[("moderation_webhook_events_waiting", ())] == 1
    assert samples[("moderation_webhook_events_failing", ())] == 0
    assert samples[("moderation_webhook_oldest_waiting_seconds", ())] >= 0
