"""Commands an operator runs, the schema migrations, and startup settings."""

import datetime as dt
import os
import stat
import subprocess
import sys

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, insert, inspect, select

from service import create_app
from service.accounts import parse_api_keys
from service.db import alembic_config, current_revision, get_db_of, upgrade
from service.storage import (
    is_search_index,
    login_addresses,
    login_failures,
    metadata,
    users,
    utcnow,
)
from tests.queue.conftest import CLEAN, Browser, both_backends
from tests.servers import ROOT

# The newest migration (service/migrations/versions).
HEAD = "0006"


def test_users_add_then_token_gives_working_api_access(queue_app, queue_client):
    runner = queue_app.test_cli_runner()
    result = runner.invoke(args=["users", "add", "salma", "--role", "admin",
                                 "--password", "a very long password"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=["users", "token", "salma"])
    assert result.exit_code == 0
    token = result.stdout.strip()
    assert result.stdout == token + "\n" and token.startswith("mod_")  # the token alone
    response = queue_client.get("/v1/thresholds", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    assert "salma\tadmin" in runner.invoke(args=["users", "list"]).output


def test_users_add_reads_the_password_from_the_environment_or_a_prompt(queue_app):
    runner = queue_app.test_cli_runner()
    result = runner.invoke(args=["users", "add", "env-user"],
                           env={"MODERATION_USER_PASSWORD": "password from env"})
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=["users", "add", "prompted"],
                           input="typed password\ntyped password\n")
    assert result.exit_code == 0, result.output
    client = queue_app.test_client()
    from tests.queue.conftest import Browser

    for name, password in [("env-user", "password from env"), ("prompted", "typed password")]:
        assert Browser(client).login(name, password).status_code == 302


@pytest.mark.parametrize(("args", "message"), [
    (["users", "add", "mona", "--password", "long enough pw"], "exists already"),
    (["users", "add", "bad name", "--password", "long enough pw"], "user name"),
    (["users", "add", "x", "--password", "short"], "at least"),
    (["users", "add", "x", "--role", "owner", "--password", "long enough pw"], "owner"),
    (["users", "token", "nobody"], "no user"),
    # The names the history and the webhooks give what no person did.
    (["users", "add", "system", "--password", "long enough pw"], "the service itself"),
    (["users", "add", "Site", "--password", "long enough pw"], "the service itself"),
    (["users", "password", "nobody", "--password", "long enough pw"], "no user"),
])
def test_users_commands_refuse_bad_input(queue_app, args, message):
    result = queue_app.test_cli_runner().invoke(args=args)
    assert result.exit_code != 0 and message in result.output


def test_a_deactivated_account_is_listed_named_and_activated_with_a_new_password(queue_app):
    from tests.queue.conftest import PASSWORD, Browser

    runner = queue_app.test_cli_runner()
    assert runner.invoke(args=["users", "deactivate", "mona"]).exit_code == 0
    assert "mona\tmoderator\tdeactivated" in runner.invoke(args=["users", "list"]).output
    # Each of these used to say "no user", or report a password changed on a locked account.
    for args, message in [
            (["users", "add", "mona", "--password", "long enough pw"],
             "exists already, deactivated: `users activate mona` brings it back"),
            (["users", "token", "mona"], "'mona' is deactivated"),
            (["users", "password", "mona", "--password", "long enough pw"],
             "'mona' is deactivated")]:
        result = runner.invoke(args=args)
        assert result.exit_code != 0 and message in result.output, result.output
    result = runner.invoke(args=["users", "activate", "mona"],
                           input="back at work 2026\nback at work 2026\n")
    assert result.exit_code == 0, result.output
    assert "mona\tmoderator\n" in runner.invoke(args=["users", "list"]).output
    browser = Browser(queue_app.test_client())
    assert browser.login("mona", PASSWORD).status_code == 401  # the old password stays out
    assert browser.login("mona", "back at work 2026").status_code == 302
    result = runner.invoke(args=["users", "activate", "mona", "--password", "long enough pw"])
    assert result.exit_code != 0 and "active already" in result.output
    assert runner.invoke(args=["users", "activate", "nobody", "--password",
                               "long enough pw"]).exit_code != 0


def test_password_change_takes_effect(queue_app):
    from tests.queue.conftest import Browser

    runner = queue_app.test_cli_runner()
    result = runner.invoke(args=["users", "password", "mona", "--password", "brand new password"])
    assert result.exit_code == 0
    browser = Browser(queue_app.test_client())
    assert browser.login("mona").status_code == 401
    assert browser.login("mona", "brand new password").status_code == 302


@both_backends
def test_migrations_match_the_tables(db_url):
    engine = create_engine(db_url)
    outside_metadata = {"include_name": lambda name, type_, parents: not is_search_index(name)}
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts=outside_metadata)
        differences = compare_metadata(context, metadata)
        tables = set(inspect(connection).get_table_names())
        indexes = {i["name"] for i in inspect(connection).get_indexes("comment_search")}
    engine.dispose()
    assert differences == []
    # The substring-search index the migration creates beside the metadata.
    assert "comment_search_fts" in tables or "ix_comment_search_trgm" in indexes
    assert current_revision(db_url) is not None


def test_db_upgrade_command_creates_the_schema_and_is_idempotent(tmp_path, model_dir, keyword_dir):
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    env = {**os.environ, "MODERATION_DATABASE_URL": url, "MODERATION_MODEL_DIR": str(model_dir),
           "MODERATION_KEYWORD_DIR": str(keyword_dir), "MODERATION_SECRET_KEY": "k" * 40}
    # The first run says where it came from; the second has nothing to do.
    for said in (f"database at revision {HEAD} (was empty)\n", f"database at revision {HEAD}\n"):
        command = [sys.executable, "-m", "flask", "--app", "service", "db", "upgrade"]
        result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True,
                                timeout=120)
        assert result.returncode == 0, result.stderr
        assert result.stdout.endswith(said)
    engine = create_engine(url)
    tables = set(inspect(engine).get_table_names())
    engine.dispose()
    assert {"comments", "audit_log", "outbox", "users", "api_tokens", "keyword_overrides",
            "settings", "alembic_version"} <= tables


def test_sqlite_runs_in_wal_mode_with_a_busy_timeout(queue_app):
    database = get_db_of(queue_app)
    with database.reading() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 15000
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_secret_key_is_generated_once_and_kept(model_dir, keyword_dir, tmp_path, monkeypatch):
    monkeypatch.delenv("MODERATION_SECRET_KEY", raising=False)
    instance = tmp_path / "instance"
    config = {"MODEL_DIR": str(model_dir), "KEYWORD_DIR": str(keyword_dir),
              "DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}"}

    def build():
        from flask import Flask

        original = Flask.__init__

        def with_instance(self, *args, **kwargs):
            kwargs["instance_path"] = str(instance)
            original(self, *args, **kwargs)

        monkeypatch.setattr(Flask, "__init__", with_instance)
        try:
            return create_app(config)
        finally:
            monkeypatch.setattr(Flask, "__init__", original)

    first, second = build(), build()
    key_file = instance / "secret_key"
    assert first.secret_key == second.secret_key == key_file.read_text().strip()
    assert len(first.secret_key) >= 64
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(instance.stat().st_mode) == 0o700  # the database lives there too
    assert create_app({**config, "TESTING": True, "SECRET_KEY": "configured-key"}).secret_key == \
        "configured-key"


@pytest.mark.parametrize(("value", "keys"), [
    ("k1-aaaaaaaaaaaaaaaa,k2-bbbbbbbbbbbbbbbb", ("k1-aaaaaaaaaaaaaaaa", "k2-bbbbbbbbbbbbbbbb")),
    (["one-cccccccccccccccc", " "], ("one-cccccccccccccccc",)),
    (1234567890123456789, ("1234567890123456789",)),
    (None, ()), ("", ()),
])
def test_api_keys_are_read_from_a_list_or_a_comma_separated_string(value, keys):
    assert parse_api_keys(value) == keys


def test_a_short_api_key_stops_startup(queue_config):
    with pytest.raises(RuntimeError, match="at least 16"):
        create_app({**queue_config, "API_KEYS": "short"})


def test_upgrade_helper_on_an_existing_database_is_a_no_op(db_url):
    upgrade(db_url)
    assert current_revision(db_url) == HEAD


def test_a_database_made_before_login_sessions_upgrades_and_keeps_its_users(
        tmp_path, queue_config, password_hash):
    url = f"sqlite:///{tmp_path / 'old.db'}"
    upgrade(url, "0001")
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(insert(users).values(name="mona", role="moderator", active=True,
                                                password_hash=password_hash, created_at=utcnow()))
    engine.dispose()
    upgrade(url)
    assert current_revision(url) == HEAD
    app = create_app({**queue_config, "DATABASE_URL": url})
    browser = Browser(app.test_client())
    assert browser.login("mona").status_code == 302
    assert browser.get("/review/queue").status_code == 200


@both_backends
def test_a_database_made_before_the_decider_index_upgrades_and_lists_by_decider(
        db_url, site, moderator):
    site.submit("c-1", CLEAN)
    site.submit("c-2", CLEAN + " 2")
    moderator.decide("c-2", "approve")
    command.downgrade(alembic_config(db_url), "0005")
    engine = create_engine(db_url)
    assert "ix_comments_status_decider_score" not in {
        i["name"] for i in inspect(engine).get_indexes("comments")}
    engine.dispose()
    upgrade(db_url)
    engine = create_engine(db_url)
    indexes = {i["name"]: i["column_names"] for i in inspect(engine).get_indexes("comments")}
    engine.dispose()
    assert indexes["ix_comments_status_decider_score"] == [
        "status", "human_decided", "max_score", "pk"]
    body = moderator.get("/v1/queue", status="published", decided_by="system")[1]
    assert [c["id"] for c in body["items"]] == ["c-1"]


@both_backends
def test_a_database_made_before_failure_addresses_upgrades_and_keeps_its_failures(
        db_url, queue_config, password_hash):
    command.downgrade(alembic_config(db_url), "0003")  # the schema as 0003 left it
    assert current_revision(db_url) == "0003"
    engine = create_engine(db_url)
    assert "address" not in {c["name"] for c in inspect(engine).get_columns("login_failures")}
    assert {i["name"] for i in inspect(engine).get_indexes("login_failures")} == {
        "ix_login_failures_name_at"}
    now = utcnow()
    with engine.begin() as connection:
        connection.execute(insert(users).values(name="mona", role="moderator", active=True,
                                                password_hash=password_hash, created_at=now))
        # Ten recent failures for mona refused her everywhere under 0003; one row is stale.
        connection.execute(insert(login_failures), [
            {"name": "mona", "at": now - dt.timedelta(minutes=minutes)} for minutes in range(10)])
        connection.execute(insert(login_failures).values(name="old",
                                                         at=now - dt.timedelta(hours=1)))
    engine.dispose()

    upgrade(db_url)
    assert current_revision(db_url) == HEAD
    engine = create_engine(db_url)
    indexes = {i["name"]: i["column_names"] for i in inspect(engine).get_indexes("login_failures")}
    assert indexes == {"ix_login_failures_name_address_at": ["name", "address", "at"]}
    with engine.connect() as connection:
        rows = connection.execute(select(login_failures.c.name, login_failures.c.address)).all()
    engine.dispose()
    assert sorted(rows) == [("mona", "")] * 10 + [("old", "")]
    # The old rows count towards the name's cap over every address, not towards any client's ten.
    app = create_app({**queue_config, "DATABASE_URL": db_url})
    try:
        assert Browser(app.test_client()).login("mona", "a guess").status_code == 401
        assert Browser(app.test_client()).login("mona").status_code == 302
        with get_db_of(app).reading() as connection:
            rows = connection.execute(select(login_failures.c.name, login_failures.c.address)).all()
            remembered = connection.execute(select(login_addresses.c.address)).scalars().all()
        assert sorted(rows) == [("mona", "")] * 10 + [("mona", "127.0.0.1")]  # "old" pruned
        assert remembered == ["127.0.0.1"]  # 0005's table, where her login is remembered
    finally:
        get_db_of(app).dispose()


@pytest.mark.parametrize("args", [["outbox", "status"], ["users", "list"],
                                  ["users", "add", "amina", "--password", "long enough pw"]])
def test_commands_on_a_database_never_migrated_say_to_migrate(tmp_path, model_dir, keyword_dir,
                                                              args):
    app = create_app({"TESTING": True, "MODEL_DIR": str(model_dir),
                      "KEYWORD_DIR": str(keyword_dir),
                      "DATABASE_URL": f"sqlite:///{tmp_path / 'new.db'}"})
    result = app.test_cli_runner().invoke(args=args)
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "run `flask --app service db upgrade` first" in result.output


def test_db_backup_copies_what_the_write_ahead_log_still_holds(tmp_path, model_dir, keyword_dir):
    import sqlite3

    from tests.queue.conftest import ROLES, SITE_KEY, comment

    database = tmp_path / "moderation.db"
    config = {"TESTING": True, "MODEL_DIR": str(model_dir), "KEYWORD_DIR": str(keyword_dir),
              "DATABASE_URL": f"sqlite:///{database}", "API_KEYS": [SITE_KEY]}
    upgrade(config["DATABASE_URL"])
    app = create_app(config)
    client = app.test_client()
    for number in range(5):
        response = client.post("/v1/comments", json=comment(f"c-{number}"), headers=ROLES.site)
        assert response.status_code == 201
    # The app still has the database open: the latest writes sit in moderation.db-wal, which a
    # copy of moderation.db alone would lose.
    assert (tmp_path / "moderation.db-wal").stat().st_size > 0
    runner = app.test_cli_runner()
    result = runner.invoke(args=["db", "backup", str(tmp_path / "backups" / "monday.db")])
    assert result.exit_code == 0, result.output
    assert "backed up 5 comments" in result.output
    assert list((tmp_path / "backups").iterdir()) == [tmp_path / "backups" / "monday.db"]
    copy = sqlite3.connect(tmp_path / "backups" / "monday.db")
    assert copy.execute("SELECT count(*) FROM comments").fetchone() == (5,)
    assert copy.execute("PRAGMA journal_mode").fetchone() == ("delete",)
    copy.close()
    again = runner.invoke(args=["db", "backup", str(tmp_path / "backups" / "monday.db")])
    assert again.exit_code == 1 and "exists already" in again.output


def test_db_backup_of_a_database_that_is_not_a_sqlite_file_says_what_to_use(
        tmp_path, model_dir, keyword_dir):
    app = create_app({"TESTING": True, "MODEL_DIR": str(model_dir),
                      "KEYWORD_DIR": str(keyword_dir)})  # a private in-memory database
    result = app.test_cli_runner().invoke(args=["db", "backup", str(tmp_path / "never.db")])
    assert result.exit_code == 1 and "pg_dump" in result.output
    assert not (tmp_path / "never.db").exists()
