"""Settings checked when the app is created: a value a component would misread stops startup."""

import datetime as dt
import gc
import re
import runpy
from pathlib import Path

import pytest
from flask import request
from werkzeug.middleware.proxy_fix import ProxyFix

from service import create_app
from service.config import batch_seconds, proxy_count, sqlite_synchronous


@pytest.mark.parametrize("value", ["BOGUS", "", "FULLY", "4", True])
def test_an_unknown_sqlite_synchronous_level_stops_app_creation(app_config, value):
    app_config["SQLITE_SYNCHRONOUS"] = value
    with pytest.raises(RuntimeError, match="MODERATION_SQLITE_SYNCHRONOUS") as raised:
        create_app(app_config)
    assert "OFF, NORMAL, FULL or EXTRA" in str(raised.value)
    assert repr(value) in str(raised.value)


def test_the_environment_variable_is_checked_too(app_config, monkeypatch):
    # SQLite itself would take BOGUS as NORMAL without a word: weaker durability than asked for.
    monkeypatch.setenv("MODERATION_SQLITE_SYNCHRONOUS", "BOGUS")
    with pytest.raises(RuntimeError, match="MODERATION_SQLITE_SYNCHRONOUS must be"):
        create_app(app_config)


@pytest.mark.parametrize(
    ("value", "level"),
    [("FULL", "FULL"), ("normal", "NORMAL"), (" Extra ", "EXTRA"), ("off", "OFF"), (2, "FULL")],
)
def test_sqlite_synchronous_levels_are_read_as_sqlite_names_them(value, level):
    assert sqlite_synchronous(value) == level


def test_the_app_keeps_the_normalized_level(app_config):
    app_config["SQLITE_SYNCHRONOUS"] = "normal"
    assert create_app(app_config).config["SQLITE_SYNCHRONOUS"] == "NORMAL"


@pytest.mark.parametrize("value", [-1, "-1", "one", "", 1.5, "1.0", True, None, [1]])
def test_a_bad_proxy_count_stops_app_creation(app_config, value):
    app_config["PROXY_COUNT"] = value
    with pytest.raises(RuntimeError, match="MODERATION_PROXY_COUNT must be a whole") as raised:
        create_app(app_config)
    assert "0 trusts no X-Forwarded-For" in str(raised.value)
    assert repr(value) in str(raised.value)


def test_the_proxy_count_environment_variable_is_checked_too(app_config, monkeypatch):
    monkeypatch.setenv("MODERATION_PROXY_COUNT", "true")  # JSON: True, which is no count
    with pytest.raises(RuntimeError, match="MODERATION_PROXY_COUNT must be"):
        create_app(app_config)
    monkeypatch.setenv("MODERATION_PROXY_COUNT", "2")
    app = create_app(app_config)
    assert app.config["PROXY_COUNT"] == 2
    assert (app.wsgi_app.x_for, app.wsgi_app.x_proto) == (2, 2)


@pytest.mark.parametrize(("value", "count"), [(0, 0), (1, 1), ("1", 1), (" 3 ", 3)])
def test_proxy_counts_are_read_as_whole_numbers(value, count):
    assert proxy_count(value) == count


def test_only_a_proxy_count_makes_the_app_trust_forwarded_headers(app_config):
    assert not isinstance(create_app(app_config).wsgi_app, ProxyFix)  # the default, 0
    app = create_app({**app_config, "PROXY_COUNT": 1})
    assert isinstance(app.wsgi_app, ProxyFix)
    assert (app.wsgi_app.x_for, app.wsgi_app.x_proto, app.wsgi_app.x_host) == (1, 1, 0)
    # X-Forwarded-Proto from the proxy tells the app the browser spoke HTTPS.
    seen = {}
    app.before_request(lambda: seen.update(scheme=request.scheme, address=request.remote_addr))
    app.test_client().get("/healthz", environ_base={"REMOTE_ADDR": "10.0.0.5"}, headers={
        "X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https"})
    assert seen == {"scheme": "https", "address": "203.0.113.7"}


def test_a_gunicorn_worker_freezes_what_the_factory_loaded():
    settings = runpy.run_path(str(Path(__file__).resolve().parents[2] / "gunicorn.conf.py"))
    try:
        settings["post_worker_init"](worker=None)
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()


@pytest.mark.parametrize("value", [0, -1, "0", "soon", "", True, None, "inf", float("nan"), [20]])
def test_a_bad_batch_time_limit_stops_app_creation(app_config, value):
    app_config["BATCH_SECONDS"] = value
    with pytest.raises(RuntimeError, match="MODERATION_BATCH_SECONDS must be a number") as raised:
        create_app(app_config)
    assert "under gunicorn's 30 s worker timeout" in str(raised.value)


@pytest.mark.parametrize(
    ("value", "seconds"), [(20, 20.0), (7.5, 7.5), ("12", 12.0), (" 3.5 ", 3.5)]
)
def test_batch_time_limits_are_read_as_seconds(value, seconds):
    assert batch_seconds(value) == seconds


OBJECT_OF_THRESHOLDS = 'a JSON object like {"insult": {"review": 0.4}}, of numbers from 0 to 1'


@pytest.mark.parametrize(("name", "value", "wanted"), [
    ("MAX_TEXT_CHARS", "abc", "a whole number of characters, 1 or more"),
    ("MAX_TEXT_CHARS", 0, "a whole number of characters, 1 or more"),
    ("MAX_BATCH", 2.5, "a whole number of comments, 1 or more"),
    ("MAX_BULK", "abc", "a whole number of comments, 1 or more"),
    ("MAX_CONTENT_LENGTH", -1, "a whole number of bytes, 1 or more"),
    ("QUEUE_PAGE_SIZE", 500, "a whole number from 1 to 200"),
    ("SESSION_COOKIE_SAMESITE", "bogus", "Lax, Strict or None"),
    ("SESSION_COOKIE_SECURE", "maybe", "true or false"),
    ("OUTBOX_WORKER", 2, "true or false"),
    ("SESSION_LIFETIME_HOURS", "abc", "a number of hours above 0"),
    ("MODEL_RELOAD_SECONDS", "abc", "a number of seconds, 0 or more"),
    ("LISTS_REFRESH_SECONDS", -1, "a number of seconds, 0 or more"),
    ("OUTBOX_POLL_SECONDS", 0, "a number of seconds above 0"),
    ("WEBHOOK_TIMEOUT_SECONDS", "nan", "a number of seconds above 0"),
    ("SQLITE_BUSY_TIMEOUT_MS", True, "a whole number of milliseconds, 0 or more"),
    ("THRESHOLDS", "notjson", OBJECT_OF_THRESHOLDS),
    ("THRESHOLDS", {"insult": 0.5}, OBJECT_OF_THRESHOLDS),
    ("THRESHOLDS", {"insult": {"review": "high"}}, OBJECT_OF_THRESHOLDS),
    ("THRESHOLDS", {"insult": {"review": 1.5}}, OBJECT_OF_THRESHOLDS),
])
def test_a_setting_of_the_wrong_type_stops_app_creation_naming_it(app_config, name, value,
                                                                    wanted):
    # Each of these used to start, answer /readyz, and fail with a 500 on the first request
    # that read it, or stop with a Python error that named no variable.
    app_config[name] = value
    with pytest.raises(RuntimeError) as raised:
        create_app(app_config)
    assert str(raised.value) == f"MODERATION_{name} must be {wanted}, not {value!r}"


@pytest.mark.parametrize(("variable", "value", "name", "read"), [
    # JSON reads "false" as false, but "False" is a string, which Python takes as true.
    ("MODERATION_OUTBOX_WORKER", "False", "OUTBOX_WORKER", False),
    ("MODERATION_OUTBOX_WORKER", "off", "OUTBOX_WORKER", False),
    ("MODERATION_SESSION_COOKIE_SECURE", "False", "SESSION_COOKIE_SECURE", False),
    ("MODERATION_SESSION_COOKIE_SECURE", "TRUE", "SESSION_COOKIE_SECURE", True),
    ("MODERATION_SESSION_COOKIE_SAMESITE", "strict", "SESSION_COOKIE_SAMESITE", "Strict"),
    ("MODERATION_MAX_TEXT_CHARS", "8000", "MAX_TEXT_CHARS", 8000),
    ("MODERATION_SESSION_LIFETIME_HOURS", "0.5", "SESSION_LIFETIME_HOURS", 0.5),
])
def test_environment_values_are_read_as_their_settings_type(app_config, monkeypatch, variable,
                                                            value, name, read):
    app_config.pop(name, None)
    monkeypatch.setenv(variable, value)
    app = create_app(app_config)
    assert app.config[name] == read and type(app.config[name]) is type(read)


def test_outbox_worker_false_in_capitals_starts_no_delivery_thread(app_config, monkeypatch):
    import threading

    monkeypatch.setenv("MODERATION_OUTBOX_WORKER", "False")
    before = {t.name for t in threading.enumerate()}
    create_app({**app_config, "WEBHOOK_URL": "http://127.0.0.1:9/hook", "WEBHOOK_SECRET": "s"})
    assert {t.name for t in threading.enumerate()} - before == set()


@pytest.mark.parametrize(("thresholds", "message"), [
    ({"insult": {"review": 0.9, "reject": 0.5}},
     "MODERATION_THRESHOLDS: insult: need 0 <= suspect <= review <= reject <= 1"),
    ({"spam": {"review": 0.5}}, "MODERATION_THRESHOLDS: threshold overrides name unknown rules"),
])
def test_impossible_configured_thresholds_stop_app_creation_naming_the_variable(
        app_config, thresholds, message):
    app_config["THRESHOLDS"] = thresholds
    with pytest.raises(RuntimeError, match=re.escape(message)):
        create_app(app_config)


@pytest.mark.parametrize(("url", "message"), [
    ("/srv/moderation.db", "'/srv/moderation.db' is not a database URL: give sqlite:///PATH"),
    ("postgres://mod:s3cret@db.local/queue", "mod:***@db.local/queue: cannot read a postgres:// "
                                             "database"),
    ("mysql://mod:s3cret@db.local/queue", "cannot read a mysql:// database"),
])
def test_a_database_url_no_driver_reads_stops_app_creation_naming_the_variable(app_config, url,
                                                                                message):
    with pytest.raises(RuntimeError) as raised:
        create_app({**app_config, "DATABASE_URL": url})
    assert str(raised.value).startswith("MODERATION_DATABASE_URL ")
    assert message in str(raised.value) and "s3cret" not in str(raised.value)
    if url.startswith("postgres:"):
        assert "for PostgreSQL write postgresql+psycopg://" in str(raised.value)


def test_a_same_site_none_cookie_needs_the_secure_flag(app_config):
    with pytest.raises(RuntimeError, match="SAMESITE=None needs MODERATION_SESSION_COOKIE_SECURE"):
        create_app({**app_config, "SESSION_COOKIE_SAMESITE": "none"})
    app = create_app({**app_config, "SESSION_COOKIE_SAMESITE": "none",
                      "SESSION_COOKIE_SECURE": "true"})
    assert (app.config["SESSION_COOKIE_SAMESITE"], app.config["SESSION_COOKIE_SECURE"]) == (
        "None", True)


# --- Daily maintenance in gunicorn.conf.py ------------------------------------------------------

@pytest.fixture(scope="module")
def gunicorn_settings() -> dict:
    return runpy.run_path(str(Path(__file__).resolve().parents[2] / "gunicorn.conf.py"))


@pytest.mark.parametrize(("value", "expected"), [
    ("03:15", dt.time(3, 15)), ("3:15", dt.time(3, 15)), ("23:59:30", dt.time(23, 59, 30)),
    (" 00:00 ", dt.time(0, 0)), ("off", None), ("OFF", None), ("", None)])
def test_the_maintenance_time_is_a_utc_time_of_day_or_off(gunicorn_settings, value, expected):
    assert gunicorn_settings["parse_daily_time"](value) == expected


@pytest.mark.parametrize("value", ["3h15", "25:00", "03:60", "03:15:00:00", "0315", "soon", ":15",
                                   "003:15"])
def test_a_bad_maintenance_time_is_refused_naming_the_variable(gunicorn_settings, value):
    with pytest.raises(ValueError, match="MODERATION_MAINTENANCE_AT=.*HH:MM"):
        gunicorn_settings["parse_daily_time"](value)


@pytest.mark.parametrize(("now", "seconds"), [
    (dt.datetime(2026, 12, 3, 2, 0), 75 * 60),  # later today
    (dt.datetime(2026, 12, 3, 3, 15), 24 * 3600),  # just ran: tomorrow
    (dt.datetime(2026, 12, 3, 4, 0), 23 * 3600 + 15 * 60),
    (dt.datetime(2026, 12, 31, 23, 0), 4 * 3600 + 15 * 60)])  # over a year's end
def test_maintenance_waits_for_the_next_time_of_day(gunicorn_settings, now, seconds):
    now = now.replace(tzinfo=dt.UTC)
    assert gunicorn_settings["seconds_until"](now, dt.time(3, 15)) == seconds


def test_a_bad_maintenance_time_stops_gunicorn_in_one_line(monkeypatch):
    monkeypatch.setenv("MODERATION_MAINTENANCE_AT", "3h15")
    with pytest.raises(SystemExit) as stopped:
        runpy.run_path(str(Path(__file__).resolve().parents[2] / "gunicorn.conf.py"))
    assert str(stopped.value).startswith("error: MODERATION_MAINTENANCE_AT='3h15'")
