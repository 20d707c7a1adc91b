"""The promotion gate where pytest is not installed: it says so plainly, before any scoring,
instead of reporting the behavioural tests as failed with "pytest exited 1"."""

from __future__ import annotations

import importlib.util
import sys
import tomllib

import pytest

from service.config import PROJECT_ROOT
from tests.retrain.conftest import GATE
from training.registry import (
    PYTEST_MISSING,
    main,
    pytest_installed,
    read_current,
    read_history,
    run_gate,
)


@pytest.fixture
def no_pytest(monkeypatch):
    """This interpreter as if pytest were not installed in it."""
    find_spec = importlib.util.find_spec

    def without_pytest(name, *args, **kwargs):
        return None if name == "pytest" else find_spec(name, *args, **kwargs)

    monkeypatch.setattr(importlib.util, "find_spec", without_pytest)


def promote_args(registry, corpus_dir, version, *extra) -> list[str]:
    return ["promote", version, "--models", str(registry), "--corpus-dir", str(corpus_dir),
            "--gate", str(GATE), "--no-progress", *extra]


def test_the_message_says_what_is_missing_and_how_to_install_it():
    assert PYTEST_MISSING.startswith("pytest is not installed: ")
    assert f"{sys.executable} -m pip install pytest" in PYTEST_MISSING


def test_the_gate_reports_pytest_missing_without_running_it(no_pytest, models):
    assert not pytest_installed()
    result = run_gate(models["good"], [GATE])
    assert not result.passed and result.returncode is None
    assert result.summary == PYTEST_MISSING


def test_promote_stops_at_once_and_says_why(no_pytest, make_registry, models, corpus_dir,
                                            capsys):
    registry = make_registry("weak", "good")
    assert main(promote_args(registry, corpus_dir, models["good"].name)) == 2
    captured = capsys.readouterr()
    assert captured.err == f"error: {PYTEST_MISSING}\n"
    assert "candidate" not in captured.out  # stopped before scoring either model
    assert read_current(registry) == models["weak"].name
    assert read_history(registry) == []


def test_a_forced_promotion_records_the_plain_reason(no_pytest, make_registry, models,
                                                     corpus_dir, capsys):
    registry = make_registry("weak", "good")
    args = promote_args(registry, corpus_dir, models["good"].name, "--force", "--reason", "test")
    assert main(args) == 0
    out = capsys.readouterr().out
    assert f"behavioural tests: FAILED ({PYTEST_MISSING})" in out
    assert "pytest exited" not in out
    (entry,) = read_history(registry)
    assert entry["gate"]["summary"] == PYTEST_MISSING


def test_the_install_the_retraining_docs_rely_on_carries_pytest():
    # `make run` and `make retrain` install the train extra (Makefile), and promote needs pytest.
    makefile = (PROJECT_ROOT / "Makefile").read_text(encoding="utf-8")
    assert "pip install --quiet -e '.[train,postgres]'" in makefile
    project = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    extra = project["project"]["optional-dependencies"]["train"]
    assert any(requirement.startswith("pytest") for requirement in extra)
