"""A comment the site deleted: DELETE /v1/comments/<id> takes it out of the queue for good and
erases what the reader wrote and who they are, keeping what the audit needs."""

import datetime as dt
import json
import runpy
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.engine import make_url

from service import create_app
from service.db import get_db_of
from service.errors import APIError
from service.queue import WITHDRAWAL, Actor, search_key, withdraw_comment
from service.storage import WITHDRAWN, audit_log, comment_rules, comment_search, comments
from tests.queue.conftest import BLOCKED, CLEAN, SITE_KEY, SUSPECT, both_backends, comment
from tests.queue.test_comments_api import assert_error
from tests.queue.test_under_gunicorn import service_env
from tests.servers import ROOT, Gunicorn, http, wait_until
from training.export import write_export

SITE_ACTOR = Actor("site", "site")
# A held comment with a name and words of its own, to look for once they should be gone.
PRIVATE = SUSPECT + "، وأنا ساكن فزنقة الياسمين رقم 17"
NAME = "Samir Bennani"
NOTE = "قال: زنقة الياسمين رقم 17"


def stored(app, comment_id: str):
    """The comment's row, its rule and search rows, and its audit entries, oldest first."""
    with get_db_of(app).reading() as connection:
        row = connection.execute(select(comments).where(comments.c.id == comment_id)).one()
        rules = connection.execute(select(comment_rules).where(
            comment_rules.c.comment_pk == row.pk)).all()
        search = connection.execute(select(comment_search).where(
            comment_search.c.comment_pk == row.pk)).all()
        audit = connection.execute(select(audit_log).where(audit_log.c.comment_pk == row.pk)
                                   .order_by(audit_log.c.id)).all()
    return row, rules, search, audit


def held_and_decided(site, moderator):
    """c-1: held, then rejected by a moderator with a note quoting it; the row keeps it all."""
    site.submit("c-1", PRIVATE, author_id="u-7", author_name=NAME, article_title="الماء",
                parent_id="c-0")
    moderator.decide("c-1", "reject", rules=["insult"], note=NOTE)


# --- The API -----------------------------------------------------------------------------------

@both_backends
def test_a_withdrawn_comment_is_gone_for_the_site_and_the_moderators(site, moderator, admin):
    held_and_decided(site, moderator)
    assert site.delete("/v1/comments/c-1") == (204, None)
    for caller in (site, moderator, admin):
        body = assert_error(caller.get("/v1/comments/c-1"), 410)
        assert body["message"] == "Gone"
        assert "withdrawn by the site" in body["description"] and "erased" in body["description"]


@both_backends
def test_a_repeated_delete_is_204_and_records_nothing_more(site, moderator, queue_app):
    held_and_decided(site, moderator)
    for _ in range(3):
        assert site.delete("/v1/comments/c-1") == (204, None)
    audit = stored(queue_app, "c-1")[3]
    assert [entry.action for entry in audit].count(WITHDRAWAL) == 1


def test_an_unknown_id_is_404(site):
    site.submit("c-1", SUSPECT)
    body = assert_error(site.delete("/v1/comments/nope"), 404)
    assert "nope" in body["description"]
    assert site.get("/v1/comments/c-1")[1]["status"] == "pending"


def test_only_the_site_withdraws(site, moderator, admin, queue_client):
    site.submit("c-1", SUSPECT)
    response = queue_client.delete("/v1/comments/c-1")
    assert response.status_code == 401 and response.headers["WWW-Authenticate"].startswith("Bearer")
    assert response.get_json()["code"] == 401
    for staff in (moderator, admin):
        body = assert_error(staff.delete("/v1/comments/c-1"), 403)
        assert "site" in body["description"]
    assert site.get("/v1/comments/c-1")[1]["status"] == "pending"


# --- What is erased and what stays -------------------------------------------------------------

@both_backends
def test_withdrawal_erases_the_text_the_author_and_the_notes_and_keeps_the_audit(
        site, moderator, queue_app):
    held_and_decided(site, moderator)
    before = stored(queue_app, "c-1")[0]
    at = dt.datetime(2026, 12, 3, 9, 30, tzinfo=dt.UTC)
    assert withdraw_comment(get_db_of(queue_app), "c-1", SITE_ACTOR, now=at) is True
    row, rules, search, audit = stored(queue_app, "c-1")

    # Erased in the row, not hidden: what the reader wrote, who they are, pieces of the text.
    assert (row.status, row.text, row.author_id, row.author_name) == (WITHDRAWN, "", "", None)
    assert row.matches == [] and row.reasons == []
    # Out of the rule and search indexes.
    assert rules == [] and search == []
    # What the audit needs stays: which comment, where, when, how it was scored and decided.
    for kept in ("id", "article_id", "article_title", "parent_id", "received_at", "verdict",
                 "scores", "flags", "model_version", "decided_by", "decided_at", "rules"):
        assert getattr(row, kept) == getattr(before, kept), kept

    # Every status change stays, notes erased (the moderator's quoted the address), and the
    # withdrawal is the last entry: the site, when, from which status.
    assert [(e.actor, e.actor_role, e.action, e.from_status, e.to_status) for e in audit] == [
        ("system", "system", "system.review", None, "pending"),
        ("mona", "moderator", "decision.reject", "pending", "rejected"),
        ("site", "site", WITHDRAWAL, "rejected", WITHDRAWN),
    ]
    assert [e.note for e in audit] == [None, None, None]
    assert audit[1].rules == ["insult"] and audit[-1].at == at

    # A second call finds it withdrawn and changes nothing.
    assert withdraw_comment(get_db_of(queue_app), "c-1", SITE_ACTOR) is False
    assert stored(queue_app, "c-1")[3] == audit


def test_withdrawing_an_unknown_comment_is_a_404(queue_app):
    with pytest.raises(APIError) as raised:
        withdraw_comment(get_db_of(queue_app), "nope", SITE_ACTOR)
    assert raised.value.code == 404


def test_the_text_and_name_leave_the_sqlite_file(site, moderator, db_url):
    # SQLite marks a deleted record's space free and leaves its bytes; secure_delete (service/db.py)
    # overwrites them, so the text is gone from the file, not only from the queries.
    held_and_decided(site, moderator)
    path = Path(make_url(db_url).database)
    secrets = [PRIVATE.encode(), search_key(PRIVATE).encode(), NAME.encode(), NOTE.encode()]

    def file_bytes() -> bytes:
        connection = sqlite3.connect(path)
        try:  # the write-ahead log's pages into the file, and the log emptied
            assert connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0] == 0
        finally:
            connection.close()
        wal = path.with_name(path.name + "-wal")
        return path.read_bytes() + (wal.read_bytes() if wal.exists() else b"")

    assert all(secret in file_bytes() for secret in secrets)  # the check can see them
    assert site.delete("/v1/comments/c-1")[0] == 204
    content = file_bytes()
    assert [secret in content for secret in secrets] == [False] * len(secrets)


# A text with trigrams no other test comment has ("qzx", "zxw", "xwv"), to look for in the raw
# pages of SQLite's search index, which stores each trigram of a text once per segment.
RARE = "رقم الهاتف ديالي qzxwv 0612345678"
RARE_TRIGRAMS = [b"qzx", b"zxw", b"xwv"]


def search_index_bytes(path: Path) -> bytes:
    connection = sqlite3.connect(path)
    try:
        return b"".join(block for (block,) in connection.execute(
            "SELECT block FROM comment_search_fts_data") if block)
    finally:
        connection.close()


def test_db_purge_takes_the_text_out_of_the_search_index_and_the_log(
        site, moderator, queue_app, db_url, tmp_path):
    # FTS5 marks a deleted text's trigrams deleted and keeps them, with their positions, until
    # it merges its segments: the text could be rebuilt from the file. Comments arriving after
    # make more segments, as on a site.
    site.submit("rare", RARE, author_id="u-9", author_name=NAME)
    for number in range(30):
        site.submit(f"after-{number}", f"{CLEAN} {number}")
    assert site.delete("/v1/comments/rare")[0] == 204
    path = Path(make_url(db_url).database)
    assert any(gram in search_index_bytes(path) for gram in RARE_TRIGRAMS)  # the check can see

    # A backup made now is clean already: it merges its own copy's index and vacuums it.
    runner = queue_app.test_cli_runner()
    backup = tmp_path / "after-withdrawal.db"
    assert runner.invoke(args=["db", "backup", str(backup)]).exit_code == 0
    assert not any(gram in backup.read_bytes() for gram in RARE_TRIGRAMS + [NAME.encode()])

    result = runner.invoke(args=["db", "purge"])
    assert result.exit_code == 0, result.output
    assert "search index merged" in result.output and "write-ahead log" in result.output
    assert not any(gram in search_index_bytes(path) for gram in RARE_TRIGRAMS)
    wal = path.with_name(path.name + "-wal")
    assert not wal.exists() or wal.stat().st_size == 0
    content = path.read_bytes()
    assert not any(secret in content for secret in RARE_TRIGRAMS + [NAME.encode(), b"u-9"])
    # The search still finds the comments that stay, and not the withdrawn one.
    assert len(queue_ids(moderator, status="all", q=CLEAN.split()[0])[0]) == 30
    assert queue_ids(moderator, status="all", q="qzxwv")[0] == []


@pytest.mark.postgres
@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
def test_db_purge_vacuums_on_postgresql(site, queue_app):
    site.submit("rare", RARE)
    assert site.delete("/v1/comments/rare")[0] == 204
    result = queue_app.test_cli_runner().invoke(args=["db", "purge"])
    assert result.exit_code == 0, result.output
    assert "vacuumed" in result.output


def test_db_purge_on_a_database_never_migrated_says_to_migrate(tmp_path, model_dir, keyword_dir):
    app = create_app({"TESTING": True, "MODEL_DIR": str(model_dir),
                      "KEYWORD_DIR": str(keyword_dir),
                      "DATABASE_URL": f"sqlite:///{tmp_path / 'new.db'}"})
    result = app.test_cli_runner().invoke(args=["db", "purge"])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "db upgrade` first" in result.output


class RecordingLog:
    """What gunicorn's logger is given by the maintenance: (level, message) pairs."""

    def __init__(self):
        self.lines = []

    def info(self, message, *args):
        self.lines.append(("info", message % args))

    def error(self, message, *args):
        self.lines.append(("error", message % args))


@pytest.fixture(scope="module")
def gunicorn_settings() -> dict:
    return runpy.run_path(str(ROOT / "gunicorn.conf.py"))


def test_the_daily_maintenance_purges_withdrawn_comments(site, db_url, model_dir, keyword_dir,
                                                         gunicorn_settings, monkeypatch):
    site.submit("rare", RARE)
    for number in range(30):
        site.submit(f"after-{number}", f"{CLEAN} {number}")
    assert site.delete("/v1/comments/rare")[0] == 204
    path = Path(make_url(db_url).database)
    assert any(gram in search_index_bytes(path) for gram in RARE_TRIGRAMS)
    # The commands run as the master runs them: child processes configured by the environment.
    for name, value in service_env(db_url, model_dir, keyword_dir).items():
        monkeypatch.setenv(name, value)
    log = RecordingLog()
    assert gunicorn_settings["run_maintenance"](log) == []
    assert not any(gram in search_index_bytes(path) for gram in RARE_TRIGRAMS)
    assert [level for level, _ in log.lines] == ["info", "info"]
    assert "db purge: search index merged" in log.lines[0][1]
    assert "outbox purge --days 30: deleted 0 delivered events" in log.lines[1][1]


def test_a_failed_maintenance_command_is_logged_as_an_error_and_returned(
        tmp_path, model_dir, keyword_dir, gunicorn_settings, monkeypatch):
    never_migrated = f"sqlite:///{tmp_path / 'new.db'}"
    for name, value in service_env(never_migrated, model_dir, keyword_dir).items():
        monkeypatch.setenv(name, value)
    log = RecordingLog()
    failed = gunicorn_settings["run_maintenance"](log, (("db", "purge"),))
    assert failed == [("db", "purge")]
    [(level, line)] = log.lines
    assert level == "error" and "exited 1" in line and "db upgrade` first" in line


@pytest.mark.slow
def test_the_server_runs_the_maintenance_on_its_own_at_the_time_set(db_url, model_dir,
                                                                    keyword_dir, tmp_path):
    # A time of day a few seconds ahead: the master waits for it, then purges, with no cron.
    lead = 30
    at = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=lead)
    server = Gunicorn(service_env(db_url, model_dir, keyword_dir,
                                  MAINTENANCE_AT=at.strftime("%H:%M:%S")),
                      log_path=tmp_path / "gunicorn.log").start()
    try:
        submit = {"Authorization": f"Bearer {SITE_KEY}"}
        for comment_id, text in [("rare", RARE)] + [
                (f"after-{number}", f"{CLEAN} {number}") for number in range(30)]:
            status, body = http("POST", server.base + "/v1/comments", comment(comment_id, text),
                                submit)
            assert status == 201, body
        assert http("DELETE", server.base + "/v1/comments/rare", None, submit)[0] == 204
        path = Path(make_url(db_url).database)
        assert any(gram in search_index_bytes(path) for gram in RARE_TRIGRAMS)
        assert dt.datetime.now(dt.UTC) < at, "the setup took longer than the lead"
        wait_until(lambda: not any(gram in search_index_bytes(path) for gram in RARE_TRIGRAMS),
                   timeout=lead + 60, interval=1, message="the maintenance's purge")
    finally:
        server.stop()


# --- Out of the queue ----------------------------------------------------------------------------

def queue_ids(moderator, **params) -> tuple[list[str], dict]:
    status, body = moderator.get("/v1/queue", **params)
    assert status == 200, body
    return [item["id"] for item in body["items"]], body["counts"]


@both_backends
def test_a_withdrawn_comment_leaves_every_tab_count_filter_and_search(site, moderator):
    site.submit("held", SUSPECT + " 1")
    site.submit("gone-held", PRIVATE)
    site.submit("gone-published", CLEAN + " 2")
    site.submit("gone-rejected", BLOCKED + " 3")
    site.submit("gone-decided", SUSPECT + " 4")
    moderator.decide("gone-decided", "approve")
    everything = {"pending": 2, "published": 2, "rejected": 1}
    assert queue_ids(moderator, status="all")[1] == everything
    for gone in ("gone-held", "gone-published", "gone-rejected", "gone-decided"):
        assert site.delete(f"/v1/comments/{gone}")[0] == 204

    left = {"pending": 1, "published": 0, "rejected": 0}
    for params in ({}, {"status": "all"}, {"status": "all", "sort": "newest"},
                   {"status": "all", "sort": "score"}, {"status": "all", "rule": "insult"},
                   {"status": "all", "article": "a1"}, {"status": "all", "author": "u1"},
                   {"status": "all", "decided_by": "system"}):
        assert queue_ids(moderator, **params) == (["held"], left), params
    none = {"pending": 0, "published": 0, "rejected": 0}
    assert queue_ids(moderator, status="published") == ([], left)
    assert queue_ids(moderator, status="all", decided_by="person") == ([], none)
    # Searched by its own words, or by words every comment here shares.
    assert queue_ids(moderator, status="all", q="زنقة الياسمين") == ([], none)
    assert queue_ids(moderator, status="all", q="مكلخ")[0] == ["held"]


def test_the_review_pages_forget_it_and_its_author_count(site, moderator_browser):
    site.submit("c-1", PRIVATE, author_id="u-7", author_name=NAME)
    site.submit("c-2", SUSPECT, author_id="u-7")
    page = moderator_browser.get("/review/queue", status="all").get_data(as_text=True)
    assert 'data-id="c-1"' in page and "2 تعليق، 0 مرفوض" in page
    detail = moderator_browser.get("/review/comments/c-2").get_data(as_text=True)
    assert 'href="/review/comments/c-1"' in detail
    assert site.delete("/v1/comments/c-1")[0] == 204
    page = moderator_browser.get("/review/queue", status="all").get_data(as_text=True)
    assert 'data-id="c-2"' in page and 'data-id="c-1"' not in page and NAME not in page
    assert "1 تعليق، 0 مرفوض" in page and 'class="count">1<' in page
    # The author's later comment no longer lists it among their earlier comments, or counts it.
    detail = moderator_browser.get("/review/comments/c-2").get_data(as_text=True)
    assert "/review/comments/c-1" not in detail and "1 تعليق، 0 مرفوض" in detail
    # Its own page (an old link) is a translated 410 with a way back, not a 500.
    response = moderator_browser.get("/review/comments/c-1")
    assert response.status_code == 410 and "حذف الموقع هذا التعليق" in response.get_data(
        as_text=True)
    response = moderator_browser.get("/review/comments/c-1", lang="fr")
    assert response.status_code == 410 and "Commentaire retiré par le site" in response.get_data(
        as_text=True)


# --- Decisions refused -------------------------------------------------------------------------

@both_backends
def test_a_decision_on_a_withdrawn_comment_is_410_and_changes_nothing(site, moderator, admin,
                                                                     queue_app):
    held_and_decided(site, moderator)
    site.delete("/v1/comments/c-1")
    before = stored(queue_app, "c-1")
    for caller, payload in [(moderator, {"decision": "approve"}),
                            (admin, {"decision": "reject", "rules": ["religion"], "note": "x"}),
                            (moderator, {"decision": "reject", "rules": ["insult"]}),
                            (moderator, {"decision": "approve", "expect_status": "rejected"})]:
        body = assert_error(caller.post("/v1/comments/c-1/decision", payload), 410)
        assert "withdrawn by the site" in body["description"]
    assert stored(queue_app, "c-1") == before


@both_backends
def test_a_bulk_decision_reports_a_withdrawn_comment_and_decides_the_others(site, moderator,
                                                                           queue_app):
    site.submit("c-1", SUSPECT + " 1")
    site.submit("c-2", SUSPECT + " 2")
    site.delete("/v1/comments/c-2")
    before = stored(queue_app, "c-2")
    status, body = moderator.post("/v1/decisions", {"ids": ["c-1", "c-2", "c-3"],
                                                    "decision": "reject",
                                                    "expect_status": "pending"})
    assert status == 200
    results = {r["id"]: r for r in body["results"]}
    assert results["c-1"] == {"id": "c-1", "result": "updated", "status": "rejected"}
    assert results["c-2"]["result"] == "withdrawn"
    assert "withdrawn by the site" in results["c-2"]["message"]
    assert results["c-3"]["result"] == "not_found"
    assert stored(queue_app, "c-2") == before


def test_the_card_of_a_withdrawn_comment_says_so_in_the_pages_language(site, moderator_browser):
    site.submit("c-1", SUSPECT)
    site.submit("c-2", SUSPECT + " 2")
    site.delete("/v1/comments/c-1")  # while the moderator's page still shows its card
    response = moderator_browser.post("/review/comments/c-1/decision", {
        "decision": "reject", "rules": ["insult"], "expect_status": "pending",
        "next": "/review/queue?status=pending"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/review/queue?status=pending"
    page = moderator_browser.get("/review/queue").get_data(as_text=True)
    assert "حذف الموقع هذا التعليق، فلم يعد هناك ما يُقرَّر فيه" in page
    assert "تم حفظ القرار" not in page
    moderator_browser.get("/review/queue", lang="fr")
    moderator_browser.post("/review/comments/c-1/decision", {"decision": "approve"})
    page = moderator_browser.get("/review/queue").get_data(as_text=True)
    assert "Le site a retiré ce commentaire : il n&#39;y a plus rien à décider" in page

    # Bulk: the other card is decided, the withdrawn one counted apart from conflicts.
    moderator_browser.get("/review/queue", lang="ar")
    response = moderator_browser.post("/review/decisions", {
        "ids": ["c-1", "c-2"], "decision": "approve", "seen:c-1": "pending",
        "seen:c-2": "pending"})
    assert response.status_code == 302
    page = moderator_browser.get("/review/queue").get_data(as_text=True)
    assert "تم تطبيق القرار على 1 تعليق" in page
    assert "1 تعليق حذفه الموقع، فلم يُطبَّق عليه القرار" in page
    assert "قرر فيه مشرف آخر" not in page
    assert site.get("/v1/comments/c-2")[1]["status"] == "published"
    assert site.get("/v1/comments/c-1")[0] == 410


# --- Posting the id again ------------------------------------------------------------------------

@both_backends
def test_posting_a_withdrawn_id_again_is_409_and_does_not_bring_it_back(site, queue_app):
    site.submit("c-1", PRIVATE, author_name=NAME)
    site.delete("/v1/comments/c-1")
    for text in (PRIVATE, CLEAN):  # a late retry of the first POST, or a new comment
        body = assert_error(site.post("/v1/comments", comment("c-1", text, author_name=NAME)),
                            409)
        assert "withdrawn" in body["description"] and "new id" in body["description"]
    row = stored(queue_app, "c-1")[0]
    assert (row.status, row.text, row.author_name) == (WITHDRAWN, "", None)


# --- Training and the site's feeds -------------------------------------------------------------

@both_backends
def test_the_export_leaves_withdrawn_comments_out(site, moderator, db_url, tmp_path):
    site.submit("kept", SUSPECT + " 1")
    site.submit("gone", PRIVATE)
    moderator.decide("kept", "reject", rules=["insult"])
    moderator.decide("gone", "approve")
    site.delete("/v1/comments/gone")
    out = tmp_path / "labels.jsonl"
    counts = write_export(db_url, out)
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [row["id"] for row in rows] == ["site:kept"]
    assert counts == {"rejected": 1}


@both_backends
def test_the_changes_feed_keeps_earlier_decisions_and_lists_no_withdrawal(site, moderator,
                                                                         monkeypatch):
    monkeypatch.setattr("service.queue.CHANGES_SETTLE", dt.timedelta(0))
    site.submit("c-1", SUSPECT)
    moderator.decide("c-1", "approve")
    site.delete("/v1/comments/c-1")
    status, body = site.get("/v1/changes")
    assert status == 200
    # The site made the withdrawal itself; what moderators changed before stays in order.
    assert [(c["id"], c["status"]) for c in body["changes"]] == [("c-1", "published")]
