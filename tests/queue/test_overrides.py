"""Keyword list management and thresholds: admin-only changes that every worker picks up."""

import time

import pytest

from service import create_app
from service.db import get_db_of
from service.keywords import DEFAULT_KEYWORD_DIR, KeywordEntry, load_denials
from service.overrides import ServingLists, ServingRefresher, apply_overrides
from tests.queue.conftest import ROLES, QueueApi, both_backends
from tests.servers import wait_until

NEW_TERM_TEXT = "واحد بخوش كيهضر"  # "بخوش" is in no list at first


def test_admin_adds_a_term_and_new_comments_match_it(site, admin):
    assert site.submit("c-1", NEW_TERM_TEXT)["status"] == "published"
    status, body = admin.post("/v1/keywords", {"rule": "insult", "level": "block", "term": "بخوش",
                                               "note": "Darija insult"})
    assert status == 201 and body["created_by"] == "adil" and body["action"] == "add"
    created = site.submit("c-2", NEW_TERM_TEXT)
    assert created["status"] == "rejected"
    [match] = created["matches"]
    assert NEW_TERM_TEXT[match["start"]:match["end"]] == "بخوش"
    assert site.get("/v1/comments/c-1")[1]["status"] == "published"  # stored comments stay


def test_admin_hides_a_file_term_and_deleting_the_override_restores_it(site, admin):
    status, body = admin.post("/v1/keywords", {"rule": "insult", "level": "suspect",
                                               "term": "مكلخ", "action": "remove"})
    assert status == 201
    assert site.submit("c-1", "هاد الوزير مكلخ")["status"] == "published"
    response = admin.client.delete(f"/v1/keywords/{body['id']}", headers=admin.headers)
    assert response.status_code == 204
    assert site.submit("c-2", "الوزير مكلخ بزاف")["status"] == "pending"


def test_allow_entries_apply_to_every_rule(site, admin):
    status, body = admin.post("/v1/keywords", {"rule": "insult", "level": "allow", "term": "حماري"})
    assert status == 201 and body["rule"] == "*"
    listing = admin.get("/v1/keywords")[1]
    assert {"rule": "insult", "level": "block", "term": "حمار"} in listing["files"]
    assert listing["overrides"][0]["term"] == "حماري" and listing["version"] >= 1


def test_an_allowed_phrase_hides_a_term_inside_it_only(site, admin):
    assert admin.post("/v1/keywords", {"rule": "insult", "level": "block", "term": "enfoiré",
                                       "note": "fr: bastard"})[0] == 201
    status, body = admin.post("/v1/keywords", {"rule": "insult", "level": "allow",
                                               "term": "concert des Enfoirés"})
    assert status == 201 and body["rule"] == "*"
    concert = "J'ai adoré le concert des Enfoirés hier soir"
    assert site.submit("c-1", concert)["status"] == "published"
    assert site.submit("c-2", "Ces enfoirés de ministres nous volent")["status"] != "published"


CALLED = "الوزير قرد"  # "{person} قرد" in the test lists: rejected
DENIED = "ما غاديش نقول الوزير قرد، غادي نقول بلي المخطط فشل"  # after a denial: only suspect


def test_admin_hides_a_file_denial_and_adds_one(site, admin):
    assert site.submit("c-1", CALLED)["status"] == "rejected"
    assert site.submit("c-2", DENIED)["status"] == "pending"
    status, hidden = admin.post("/v1/keywords", {"rule": "*", "level": "denial",
                                                 "term": "ما غاديش نقول", "action": "remove",
                                                 "note": "used to slip insults past"})
    assert status == 201 and hidden["rule"] == "*"
    assert site.submit("c-3", DENIED)["status"] == "rejected"
    # A denial an admin adds works as the file's do, and is stored for every rule.
    status, added = admin.post("/v1/keywords", {"rule": "insult", "level": "denial",
                                                "term": "ما بغيتش نقول"})
    assert status == 201 and added["rule"] == "*"
    assert site.submit("c-4", "ما بغيتش نقول الوزير قرد")["status"] == "pending"
    listing = admin.get("/v1/keywords")[1]
    assert listing["file_denials"] == ["ما غاديش نقول"] and listing["file_allow"] == ["حمارة"]
    assert [(o["level"], o["term"], o["action"]) for o in listing["overrides"]] == [
        ("denial", "ما بغيتش نقول", "add"), ("denial", "ما غاديش نقول", "remove")]
    assert admin.client.delete(f"/v1/keywords/{hidden['id']}",
                               headers=admin.headers).status_code == 204
    assert site.submit("c-5", DENIED)["status"] == "pending"


@pytest.mark.parametrize(("payload", "code"), [
    ({"rule": "spam", "level": "block", "term": "x"}, 422),
    ({"rule": "insult", "level": "nuke", "term": "x"}, 422),
    ({"rule": "insult", "level": "block", "term": ""}, 422),
    ({"rule": "insult", "level": "block", "term": 5}, 422),
    ({"rule": "insult", "level": "block", "term": "ب" * 201}, 422),
    ({"rule": "insult", "level": "block", "term": "!!!"}, 422),
    ({"rule": "insult", "level": "block", "term": "{person} حمار"}, 422),  # files only
    ({"rule": "insult", "level": "allow", "term": "=two words"}, 422),
    ({"rule": "*", "level": "denial", "term": "مانقولش"}, 422),  # a denial is two words or more
    ({"rule": "spam", "level": "denial", "term": "ما غاديش نقول"}, 422),
    # An allow entry is stored under "*", but the rule sent must still be one (schemathesis).
    ({"rule": "AAA", "level": "allow", "term": "حماري"}, 422),
    ({"level": "allow", "term": "حماري"}, 422),
    ({"rule": ["insult"], "level": "allow", "term": "حماري"}, 422),
    ({"rule": "insult", "level": "block", "term": "x", "action": "purge"}, 422),
    ({"rule": "insult", "level": "block", "term": "xyz", "note": ["n"]}, 422),
    ({"rule": "insult", "level": "block", "term": "\u200b\u200f"}, 422),  # nothing visible
    # A removal hides a file entry: one the files do not have at that level would hide nothing.
    ({"rule": "insult", "level": "block", "term": "مكلخ", "action": "remove"}, 422),
    ({"rule": "insult", "level": "suspect", "term": "بخوش", "action": "remove"}, 422),
    ({"rule": "incitement", "level": "suspect", "term": "مكلخ", "action": "remove"}, 422),
    ({"rule": "*", "level": "allow", "term": "بغلة", "action": "remove"}, 422),
    ({"rule": "*", "level": "denial", "term": "ما بغيتش نقول", "action": "remove"}, 422),
])
def test_bad_keyword_changes_are_refused(admin, payload, code):
    status, body = admin.post("/v1/keywords", payload)
    assert status == code and body["code"] == code
    assert admin.get("/v1/keywords")[1]["overrides"] == []


def test_removing_a_term_at_another_level_says_where_the_files_list_it(admin):
    status, body = admin.post("/v1/keywords", {"rule": "insult", "level": "block",
                                               "term": "مكلخ", "action": "remove"})
    assert status == 422
    assert body["description"] == ("'مكلخ' is not a block entry of the files for insult, so "
                                   "there is nothing to hide (the files list it for insult as "
                                   "suspect)")


def test_the_same_override_twice_is_409_and_unknown_delete_is_404(admin):
    payload = {"rule": "insult", "level": "block", "term": "بخوش"}
    assert admin.post("/v1/keywords", payload)[0] == 201
    assert admin.post("/v1/keywords", payload)[0] == 409
    # Invisible characters do not make it another term.
    status, body = admin.post("/v1/keywords", {**payload, "term": "بخوش\u200b"})
    assert status == 409 and len(admin.get("/v1/keywords")[1]["overrides"]) == 1
    assert admin.client.delete("/v1/keywords/999", headers=admin.headers).status_code == 404
    # Past any database's 64-bit ids: still an unknown override, not an overflow.
    assert admin.client.delete(f"/v1/keywords/{2**64}", headers=admin.headers).status_code == 404


@both_backends
def test_another_worker_picks_up_a_change_within_the_refresh_interval(queue_config, queue_app,
                                                                      admin):
    # A second app on the same database is another gunicorn worker: its own Moderator.
    other = create_app({**queue_config, "LISTS_REFRESH_SECONDS": 0.5})
    other_site = QueueApi(other.test_client(), ROLES.site)
    assert other_site.submit("c-1", NEW_TERM_TEXT)["status"] == "published"
    changed_at = time.monotonic()
    admin.post("/v1/keywords", {"rule": "insult", "level": "suspect", "term": "بخوش"})
    counter = iter(range(2, 1000))

    def held():
        return other_site.submit(f"c-{next(counter)}", NEW_TERM_TEXT)["status"] == "pending"

    wait_until(held, 5, 0.05, "the other worker to use the new list")
    assert time.monotonic() - changed_at < 2.5
    get_db_of(other).dispose()


def test_thresholds_view_and_admin_change(site, moderator, admin):
    view = moderator.get("/v1/thresholds")[1]
    assert set(view) == {"model_version", "stored", "configured", "overrides", "in_force"}
    assert view["in_force"]["insult"] == {"suspect": 0.0, "review": 0.999, "reject": 0.9999}
    status, view = admin.client.put("/v1/thresholds", headers=admin.headers,
                                    json={"insult": {"review": 0.0}}).status_code, None
    assert status == 200
    view = moderator.get("/v1/thresholds")[1]
    assert view["overrides"] == {"insult": {"review": 0.0}}
    assert view["in_force"]["insult"] == {"suspect": 0.0, "review": 0.0, "reject": 0.9999}
    assert site.submit("c-1", "مقال مزيان")["status"] == "pending"  # every comment now held
    assert admin.client.put("/v1/thresholds", headers=admin.headers, json={}).status_code == 200
    assert site.submit("c-2", "مقال مزيان")["status"] == "published"


@pytest.mark.parametrize("payload", [
    [], {"spam": {"review": 0.5}}, {"insult": {"block": 0.5}}, {"insult": {"review": 2}},
    {"insult": {"review": "high"}}, {"insult": {}}, {"insult": {"review": True}},
    {"insult": {"review": 0.9, "reject": 0.5}},
])
def test_bad_thresholds_are_422(admin, payload):
    response = admin.client.put("/v1/thresholds", headers=admin.headers, json=payload)
    assert response.status_code == 422 and response.get_json()["code"] == 422
    assert admin.get("/v1/thresholds")[1]["overrides"] == {}


def test_policy_changes_are_audited(queue_app, admin):
    from sqlalchemy import select

    from service.storage import audit_log

    admin.post("/v1/keywords", {"rule": "insult", "level": "block", "term": "بخوش"})
    admin.client.put("/v1/thresholds", headers=admin.headers, json={"religion": {"review": 0.5}})
    with get_db_of(queue_app).reading() as connection:
        entries = connection.execute(
            select(audit_log.c.actor, audit_log.c.action, audit_log.c.detail)
            .where(audit_log.c.comment_pk.is_(None))).all()
    assert [(e.actor, e.action) for e in entries] == [("adil", "keywords.add"),
                                                     ("adil", "thresholds.set")]
    assert entries[1].detail["to"] == {"religion": {"review": 0.5}}


def test_apply_overrides_layers_over_the_files():
    files = ServingLists([KeywordEntry("insult", "block", "حمار"),
                          KeywordEntry("insult", "suspect", "مكلخ")],
                         allow=["حمارة"], denials=["ما غاديش نقول", "je ne dis pas"])

    class Stored:  # a stored override, as list_overrides returns it
        def __init__(self, rule, level, term, action):
            self.rule, self.level, self.term, self.action = rule, level, term, action
            self.note, self.created_by = None, "adil"

    lists = apply_overrides(files, [
        Stored("insult", "suspect", "مكلخ", "remove"), Stored("religion", "block", "كافر", "add"),
        Stored("*", "allow", "حمارة", "remove"), Stored("*", "allow", "بغلة", "add"),
        Stored("*", "denial", "je ne dis pas", "remove"),
        Stored("*", "denial", "ما نقولش بلي", "add")])
    assert [(e.rule, e.level, e.term) for e in lists.entries] == [("insult", "block", "حمار"),
                                                                 ("religion", "block", "كافر")]
    assert lists.allow == ["بغلة"]
    assert lists.denials == ["ما غاديش نقول", "ما نقولش بلي"]
    assert files.denials == ["ما غاديش نقول", "je ne dis pas"]  # the files' lists stay as read


def test_lists_rebuilt_with_overrides_keep_the_files_denials():
    """A worker rebuilds its matcher from the files plus the admins' overrides: the denials of
    saying (denials.txt) must come along, or a refresh would reject again what the files'
    matcher leaves to the model."""

    class Recorder:  # the two calls ServingRefresher makes on the Moderator it keeps in step
        def swap_matcher(self, matcher):
            self.matcher = matcher

        def swap_thresholds(self, thresholds):
            self.thresholds = thresholds

    recorder = Recorder()
    refresher = ServingRefresher(recorder, str(DEFAULT_KEYWORD_DIR), {}, interval=60)
    refresher.apply([], {})
    assert recorder.matcher.denials == tuple(load_denials(DEFAULT_KEYWORD_DIR))
    [match] = recorder.matcher.find("ما غاديش نقول على الوزير حمار")
    assert (match.term, match.level) == ("الوزير حمار", "suspect")
