"""Every endpoint, walked with every role: nobody, the site's key, a moderator, an admin.

The JSON API takes bearer credentials only; the review pages take a login session only (a
bearer header on a page is ignored, so the site's key gets the login page like nobody).
"""

import pytest

from tests.queue.conftest import ROLES, SUSPECT, Browser, comment

NONE, SITE, MOD, ADMIN = "none", "site", "moderator", "admin"

# (method, path, JSON body, expected status for none, site, moderator, admin)
API = [
    ("POST", "/v1/comments", comment("c-new", SUSPECT), (401, 201, 403, 403)),
    ("GET", "/v1/comments/c-1", None, (401, 200, 200, 200)),
    ("DELETE", "/v1/comments/c-1", None, (401, 204, 403, 403)),
    ("POST", "/v1/comments/c-1/decision", {"decision": "approve"}, (401, 403, 200, 200)),
    ("POST", "/v1/decisions", {"ids": ["c-1"], "decision": "reject"}, (401, 403, 200, 200)),
    ("GET", "/v1/changes", None, (401, 200, 200, 200)),
    ("GET", "/v1/queue", None, (401, 403, 200, 200)),
    ("GET", "/v1/keywords", None, (401, 403, 200, 200)),
    ("POST", "/v1/keywords", {"rule": "insult", "level": "suspect", "term": "بخوش"},
     (401, 403, 403, 201)),
    ("DELETE", "/v1/keywords/{override}", None, (401, 403, 403, 204)),
    ("GET", "/v1/thresholds", None, (401, 403, 200, 200)),
    ("PUT", "/v1/thresholds", {"insult": {"review": 0.5}}, (401, 403, 403, 200)),
    ("GET", "/metrics", None, (401, 200, 200, 200)),
    # The scoring API and the probes are open to all (owned by the scoring issue).
    ("POST", "/v1/moderate", {"text": "مقال مزيان"}, (200, 200, 200, 200)),
    ("POST", "/v1/moderate/batch", {"texts": ["مقال مزيان"]}, (200, 200, 200, 200)),
    ("GET", "/v1/model", None, (200, 200, 200, 200)),
    ("GET", "/healthz", None, (200, 200, 200, 200)),
    ("GET", "/readyz", None, (200, 200, 200, 200)),
]

# (method, path, form, expected status for none, site, moderator, admin); 302 to the login page
# for visitors, and for the staff a 302 means the action was done and the page redirected.
PAGES = [
    ("GET", "/review/", None, (302, 302, 302, 302)),
    ("GET", "/review/login", None, (200, 200, 200, 200)),
    ("GET", "/review/queue", None, (302, 302, 200, 200)),
    ("GET", "/review/comments/c-1", None, (302, 302, 200, 200)),
    ("POST", "/review/comments/c-1/decision", {"decision": "approve"}, (302, 302, 302, 302)),
    ("POST", "/review/decisions", {"ids": "c-1", "decision": "reject"}, (302, 302, 302, 302)),
    ("GET", "/review/keywords", None, (302, 302, 200, 200)),
    ("POST", "/review/keywords", {"rule": "insult", "level": "block", "term": "بخوش"},
     (302, 302, 403, 302)),
    ("POST", "/review/keywords/{override}/delete", {}, (302, 302, 403, 302)),
    ("GET", "/review/settings", None, (302, 302, 200, 200)),
    ("POST", "/review/settings/thresholds", {"insult.review": "0.5"}, (302, 302, 403, 302)),
    ("POST", "/review/logout", {}, (302, 302, 302, 302)),
]

ROLE_NAMES = (NONE, SITE, MOD, ADMIN)


@pytest.fixture
def seeded(site, admin):
    """A pending comment c-1 and one keyword override; returns the override's id."""
    site.submit("c-1", SUSPECT)
    status, body = admin.post("/v1/keywords", {"rule": "religion", "level": "suspect",
                                               "term": "كافر"})
    assert status == 201
    return body["id"]


@pytest.mark.parametrize(("method", "path", "body", "expected"), API,
                         ids=[f"{m} {p}" for m, p, _, _ in API])
@pytest.mark.parametrize("role", ROLE_NAMES)
def test_api_answers_each_role(queue_client, seeded, method, path, body, expected, role):
    response = queue_client.open(path.format(override=seeded), method=method, json=body,
                                 headers=ROLES[role])
    assert response.status_code == expected[ROLE_NAMES.index(role)], response.get_data(as_text=True)
    if response.status_code >= 400:
        assert response.get_json()["code"] == response.status_code
    if response.status_code == 401:
        assert response.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("credential", [
    "Bearer wrong-key-wrong-key-wrong", "Bearer mod_not-a-real-token", "Basic bW9uYTpwdw==",
    "Bearer", "bearer ", ROLES.site["Authorization"] + "x"])
def test_bad_credentials_are_401(queue_client, credential):
    response = queue_client.get("/v1/queue", headers={"Authorization": credential})
    assert response.status_code == 401


@pytest.mark.parametrize(("method", "path", "form", "expected"), PAGES,
                         ids=[f"{m} {p}" for m, p, _, _ in PAGES])
@pytest.mark.parametrize("role", ROLE_NAMES)
def test_pages_answer_each_role(queue_app, seeded, method, path, form, expected, role):
    browser = Browser(queue_app.test_client())
    if role in (MOD, ADMIN):
        browser.login({MOD: "mona", ADMIN: "adil"}[role])
    headers = {"Accept": "text/html", **ROLES[role]} if role == SITE else {"Accept": "text/html"}
    url = path.format(override=seeded)
    if method == "GET":
        response = browser.client.get(url, headers=headers)
    else:
        data = {**form, "csrf_token": browser.csrf()}
        response = browser.client.post(url, data=data, headers=headers)
    assert response.status_code == expected[ROLE_NAMES.index(role)], response.get_data(as_text=True)
    if role in (NONE, SITE) and response.status_code == 302 and "/login" not in path \
            and path != "/review/":
        assert "/review/login" in response.headers["Location"]
