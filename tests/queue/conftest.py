"""Fixtures for the moderation queue: databases (SQLite and a real PostgreSQL), an app wired to
one, accounts for every role, and a keyword list whose matches the tests can predict.

The tiny test model is kept out of the verdicts: thresholds are raised near 1 so that the
keyword lists alone decide (a block term rejects, a suspect term holds, anything else
publishes). Storage tests take ``db_url``; mark a test with ``both_backends`` to run it on
SQLite and PostgreSQL.
"""

from __future__ import annotations

import os
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import create_engine, insert, text
from sqlalchemy.engine import make_url
from werkzeug.security import generate_password_hash

from service import create_app
from service.accounts import hash_token
from service.db import get_db_of, upgrade
from service.rules import RULES
from service.storage import api_tokens, users, utcnow

SITE_KEY = "site-key-0123456789-abcdef"
PASSWORD = "correct horse battery"
MODERATOR, ADMIN = "mona", "adil"
MODERATOR_TOKEN = "mod_test-moderator-token-0123456789abcdef"
ADMIN_TOKEN = "mod_test-admin-token-0123456789abcdef"
# Scores never reach these, so verdicts come from the keyword lists alone.
# A suspect term always holds a comment (suspect threshold 0).
KEYWORDS_ONLY = {rule: {"suspect": 0.0, "review": 0.999, "reject": 0.9999} for rule in RULES}

# Texts whose fate the keyword lists below decide.
CLEAN = "مقال مزيان، شكرا على المعلومات"
SUSPECT = "هاد الوزير مكلخ بزاف"        # insult/suspect: held for review
BLOCKED = "سير تقود يا حمار"             # insult/block: rejected

KEYWORD_FILES = {
    "insult.tsv": "block\tحمار\t\nsuspect\tمكلخ\t\nblock\tconnard\tfr\nblock\t{person} قرد\t\n",
    "incitement.tsv": "suspect\tالعروبية\t\n",
    "religion.tsv": "block\tنعل دين\t\n",
    "allow.txt": "حمارة\n",
    "people.txt": "arabic\tالوزير\tthe minister\n",
    "denials.txt": "ما غاديش نقول\n",
}

both_backends = pytest.mark.parametrize(
    "db_url", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True)


@pytest.fixture(scope="session")
def keyword_dir(tmp_path_factory) -> Path:
    """A keyword directory with a few predictable entries per rule."""
    directory = tmp_path_factory.mktemp("keywords")
    for name, content in KEYWORD_FILES.items():
        (directory / name).write_text(content, encoding="utf-8")
    return directory


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    """A SQLite file migrated once; each test gets a copy."""
    path = tmp_path_factory.mktemp("sqlite") / "template.db"
    upgrade(f"sqlite:///{path}")
    return path


def postgres_admin_url() -> str | None:
    """The server scripts/test.sh started, or None outside it (then postgres tests skip)."""
    url = os.environ.get("MODERATION_TEST_POSTGRES_URL")
    if not url and os.environ.get("MODERATION_TEST_REQUIRE_REAL"):
        pytest.fail("MODERATION_TEST_POSTGRES_URL is not set but real components are required")
    return url


def _admin_engine(url: str):
    return create_engine(url, isolation_level="AUTOCOMMIT")


@pytest.fixture(scope="session")
def postgres_template():
    """A PostgreSQL database migrated once, used as the template of each test's database."""
    url = postgres_admin_url()
    if not url:
        pytest.skip("no PostgreSQL: run the suite with `make test` (scripts/test.sh starts one)")
    name = f"moderation_template_{uuid.uuid4().hex[:8]}"
    engine = _admin_engine(url)
    with engine.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    template_url = make_url(url).set(database=name).render_as_string(hide_password=False)
    upgrade(template_url)
    yield name
    with engine.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


@pytest.fixture
def fresh_postgres(request):
    """Return a function that creates an empty migrated PostgreSQL database and gives its URL."""
    url = postgres_admin_url()
    if not url:
        pytest.skip("no PostgreSQL: run the suite with `make test` (scripts/test.sh starts one)")
    template = request.getfixturevalue("postgres_template")
    engine = _admin_engine(url)
    created = []

    def make() -> str:
        name = f"moderation_test_{uuid.uuid4().hex[:12]}"
        with engine.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
        created.append(name)
        return make_url(url).set(database=name).render_as_string(hide_password=False)

    yield make
    with engine.connect() as connection:
        for name in created:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


@pytest.fixture
def fresh_sqlite(tmp_path, sqlite_template):
    """Return a function that copies the migrated SQLite template and gives its URL."""
    def make() -> str:
        path = tmp_path / f"moderation-{uuid.uuid4().hex[:8]}.db"
        shutil.copyfile(sqlite_template, path)
        return f"sqlite:///{path}"
    return make


@pytest.fixture
def db_url(request) -> str:
    """A migrated, empty database: SQLite unless parametrized with "postgres"."""
    backend = getattr(request, "param", "sqlite")
    return request.getfixturevalue(f"fresh_{backend}")()


@pytest.fixture
def queue_config(model_dir, keyword_dir, db_url) -> dict:
    """Test configuration for the queue; tests may change it before asking for ``queue_app``."""
    return {
        "TESTING": True,
        "MODEL_DIR": str(model_dir),
        "KEYWORD_DIR": str(keyword_dir),
        "THRESHOLDS": KEYWORDS_ONLY,
        "DATABASE_URL": db_url,
        "API_KEYS": [SITE_KEY],
        "SECRET_KEY": "test-secret-key-not-for-production-0123456789",
        "LISTS_REFRESH_SECONDS": 0.0,
    }


@pytest.fixture(scope="session")
def password_hash() -> str:
    # Hash once: scrypt is deliberately slow, and every test needs two accounts.
    return generate_password_hash(PASSWORD)


@pytest.fixture
def queue_app(queue_config, password_hash):
    """The app on a fresh database, with a moderator and an admin who have API tokens."""
    app = create_app(queue_config)
    database = get_db_of(app)
    with database.transaction() as connection:
        for name, role, token in [(MODERATOR, "moderator", MODERATOR_TOKEN),
                                  (ADMIN, "admin", ADMIN_TOKEN)]:
            user_id = connection.execute(insert(users).values(
                name=name, role=role, password_hash=password_hash, active=True,
                created_at=utcnow()).returning(users.c.id)).scalar_one()
            connection.execute(insert(api_tokens).values(user_id=user_id,
                                                         token_hash=hash_token(token),
                                                         created_at=utcnow()))
    yield app
    database.dispose()


@pytest.fixture
def queue_client(queue_app):
    return queue_app.test_client()


@dataclass(frozen=True)
class Roles:
    """Authorization headers for each kind of caller."""

    none: dict
    site: dict
    moderator: dict
    admin: dict

    def __getitem__(self, role: str) -> dict:
        return getattr(self, role)


ROLES = Roles(
    none={},
    site={"Authorization": f"Bearer {SITE_KEY}"},
    moderator={"Authorization": f"Bearer {MODERATOR_TOKEN}"},
    admin={"Authorization": f"Bearer {ADMIN_TOKEN}"},
)


@pytest.fixture
def roles() -> Roles:
    return ROLES


def comment(comment_id: str, text: str = CLEAN, **extra) -> dict:
    """A POST /v1/comments body."""
    return {"id": comment_id, "text": text, "article_id": extra.pop("article_id", "a1"),
            "author_id": extra.pop("author_id", "u1"), **extra}


class QueueApi:
    """Calls to the queue API as one role, returning (status, json)."""

    def __init__(self, client, headers: dict):
        self.client = client
        self.headers = headers

    def post(self, url: str, payload) -> tuple[int, dict]:
        response = self.client.post(url, json=payload, headers=self.headers)
        return response.status_code, response.get_json()

    def get(self, url: str, **params) -> tuple[int, dict]:
        response = self.client.get(url, query_string=params, headers=self.headers)
        return response.status_code, response.get_json()

    def delete(self, url: str) -> tuple[int, dict | None]:
        """(status, the error's JSON or None: a 204 has no body)."""
        response = self.client.delete(url, headers=self.headers)
        return response.status_code, response.get_json(silent=True)

    def submit(self, comment_id: str, text: str = CLEAN, **extra) -> dict:
        status, body = self.post("/v1/comments", comment(comment_id, text, **extra))
        assert status in (200, 201), body
        return body

    def decide(self, comment_id: str, decision: str, **fields) -> tuple[int, dict]:
        return self.post(f"/v1/comments/{comment_id}/decision", {"decision": decision, **fields})


@pytest.fixture
def site(queue_client) -> QueueApi:
    return QueueApi(queue_client, ROLES.site)


@pytest.fixture
def moderator(queue_client) -> QueueApi:
    return QueueApi(queue_client, ROLES.moderator)


@pytest.fixture
def admin(queue_client) -> QueueApi:
    return QueueApi(queue_client, ROLES.admin)


class Browser:
    """A test client used like a browser on the review pages: login, forms with the CSRF token."""

    def __init__(self, client):
        self.client = client

    def csrf(self) -> str:
        self.client.get("/review/login")  # any page gives the session its token
        with self.client.session_transaction() as session:
            return session["csrf"]

    def login(self, name: str, password: str = PASSWORD):
        response = self.client.post("/review/login", data={
            "username": name, "password": password, "csrf_token": self.csrf()})
        assert response.status_code in (302, 401), response.status_code
        return response

    def get(self, url: str, **params):
        return self.client.get(url, query_string=params, headers={"Accept": "text/html"})

    def post(self, url: str, data: dict | None = None, csrf: bool = True, **kwargs):
        data = dict(data or {})
        if csrf:
            data.setdefault("csrf_token", self.csrf())
        return self.client.post(url, data=data, headers={"Accept": "text/html"}, **kwargs)


@pytest.fixture
def browser(queue_app) -> Browser:
    """An anonymous browser."""
    return Browser(queue_app.test_client())


@pytest.fixture
def moderator_browser(queue_app) -> Browser:
    """A browser logged in as the moderator."""
    browser = Browser(queue_app.test_client())
    assert browser.login(MODERATOR).status_code == 302
    return browser


@pytest.fixture
def admin_browser(queue_app) -> Browser:
    """A browser logged in as the admin."""
    browser = Browser(queue_app.test_client())
    assert browser.login(ADMIN).status_code == 302
    return browser
