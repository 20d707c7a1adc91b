"""Settings checked when the app is created: a value a component would misread stops startup."""

import gc
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
