"""Settings checked when the app is created: a value a component would misread stops startup."""

import pytest

from service import create_app
from service.config import sqlite_synchronous


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
