"""Mistakes in what the training commands are given, found by review: each ends with one line
`error: <why>` and exit status 2, before any long work, and leaves nothing behind."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from service.keywords import DEFAULT_KEYWORD_DIR
from service.model import CURRENT_POINTER, METADATA_FILE, ArtifactError
from service.rules import RULES
from tests.cli_output import error_line
from tests.conftest import FIXTURES
from tests.retrain.conftest import GATE, PARAMS
from training import evaluate, export, registry, train
from training.baseline import BASELINE_FILE
from training.data import parse_row, read_jsonl
from training.registry import LOCK_FILE

TINY = FIXTURES / "tiny_corpus.jsonl"
ROW = '{"text": "مقال زوين", "labels": {"insult": 0}}\n'


@pytest.fixture
def tiny_corpus(tmp_path) -> Path:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(TINY, corpus / "tiny.jsonl")
    return corpus


def train_args(tmp_path, tiny_corpus, *args: str) -> list[str]:
    return ["--out", str(tmp_path / "models"), "--corpus-dir", str(tiny_corpus), "--no-report",
            "--no-progress", *args]


# --- training.export: --out and the temporary file ----------------------------------------------


def test_export_refuses_a_folder_as_out_at_once(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(export, "export_rows", lambda *a, **k: pytest.fail("read the database"))
    folder = tmp_path / "labels"
    folder.mkdir()
    args = ["--out", str(folder), "--database-url", f"sqlite:///{tmp_path / 'moderation.db'}"]
    assert export.main(args) == 2
    assert error_line(capsys) == f"error: --out {folder} is a folder: name the file to write"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["labels"]  # no temporary file


def test_export_leaves_no_temporary_file_when_the_rename_fails(tmp_path, monkeypatch):
    row = {"id": "site:1", "text": "مقال زوين", "labels": {}}
    monkeypatch.setattr(export, "export_rows", lambda *a, **k: iter([("approved", row)]))

    def refuse(source, target):
        raise PermissionError(13, "Permission denied", str(target))

    monkeypatch.setattr(export.os, "replace", refuse)
    with pytest.raises(PermissionError):
        export.write_export("sqlite:///unused.db", tmp_path / "labels.jsonl")
    assert list(tmp_path.iterdir()) == []


# --- malformed database URLs ---------------------------------------------------------------------

BAD_URLS = ["notaurl", "/var/lib/moderation.db", "postgres://salma:secret@db/moderation",
            "mysql://salma:secret@db/moderation"]


def assert_explains_urls(line: str, option: str) -> None:
    assert f"error: {option} " in line
    assert "sqlite:///PATH" in line and "postgresql+psycopg://" in line
    assert "secret" not in line  # the password is never echoed


@pytest.mark.parametrize("url", BAD_URLS)
def test_export_refuses_a_malformed_database_url(tmp_path, capsys, url):
    out = tmp_path / "labels.jsonl"
    assert export.main(["--out", str(out), "--database-url", url]) == 2
    assert_explains_urls(error_line(capsys), "--database-url")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("url", BAD_URLS)
def test_train_refuses_a_malformed_decisions_db_url(tmp_path, capsys, tiny_corpus, url):
    assert train.main(train_args(tmp_path, tiny_corpus, "--decisions-db", url)) == 2
    assert_explains_urls(error_line(capsys), "--decisions-db")
    assert not (tmp_path / "models").exists()


def test_a_postgres_url_is_told_its_spelling(tmp_path, capsys):
    args = ["--out", str(tmp_path / "l.jsonl"), "--database-url", "postgres://u@db/moderation"]
    assert export.main(args) == 2
    assert "for PostgreSQL write postgresql+psycopg://" in error_line(capsys)


# --- rows of the unified format -----------------------------------------------------------------


@pytest.mark.parametrize("split", ["Train", "training", "validation", 1])
@pytest.mark.parametrize("option", ["--data", "--decisions"])
def test_a_row_in_an_unknown_split_is_refused_with_its_line(tmp_path, capsys, tiny_corpus,
                                                            option, split):
    path = tmp_path / "data.jsonl"
    row = {"text": "تعليق", "split": split, "labels": {"insult": 1}}
    path.write_text(ROW + json.dumps(row, ensure_ascii=False) + "\n", encoding="utf-8")
    assert train.main(train_args(tmp_path, tiny_corpus, option, str(path))) == 2
    assert error_line(capsys) == (f"error: {path}:2: split {split!r} is not one of "
                                  "train, dev, test (or null: a stable hash split)")


@pytest.mark.parametrize("row", [{"text": "x"}, {"text": "x", "split": None},
                                 {"text": "x", "split": ""}])
def test_a_row_without_a_split_gets_the_hash_split(row):
    assert parse_row(row, default_source="d").split in ("train", "dev", "test")


@pytest.mark.parametrize(("line", "message"), [
    ('{"labels": {"insult": 1}}', "data.jsonl:2: 'text' is missing"),
    ('["text", "labels"]', "data.jsonl:2: the line is not a JSON object"),
    ('"just a string"', "data.jsonl:2: the line is not a JSON object"),
])
@pytest.mark.parametrize("option", ["--data", "--decisions"])
def test_a_malformed_line_is_named_plainly(tmp_path, capsys, tiny_corpus, option, line, message):
    path = tmp_path / "data.jsonl"
    path.write_text(ROW + line + "\n", encoding="utf-8")
    assert train.main(train_args(tmp_path, tiny_corpus, option, str(path))) == 2
    assert error_line(capsys) == f"error: {tmp_path / message}"


def test_a_jsonl_file_with_a_bom_is_read(tmp_path):
    # Notepad and spreadsheets write one; the CSV reader already accepts it.
    path = tmp_path / "data.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + (ROW * 2).encode())
    rows, source = read_jsonl(path)
    assert [r.text for r in rows] == ["مقال زوين"] * 2
    assert source.rows == 2


def test_an_empty_decisions_file_is_refused(tmp_path, capsys, tiny_corpus, monkeypatch):
    monkeypatch.setattr(train, "fit", lambda *a, **k: pytest.fail("trained"))
    path = tmp_path / "site_labels.jsonl"
    path.write_text("\n", encoding="utf-8")
    assert train.main(train_args(tmp_path, tiny_corpus, "--decisions", str(path))) == 2
    assert error_line(capsys) == f"error: {path} holds no comments"


# --- training.train --out ------------------------------------------------------------------------


@pytest.mark.parametrize("where", ["models", "models/registry"])
def test_train_refuses_a_file_as_out_before_reading_anything(tmp_path, capsys, monkeypatch, where):
    monkeypatch.setattr(train, "gather", lambda *a, **k: pytest.fail("read the data"))
    (tmp_path / "models").write_text("not a folder\n", encoding="utf-8")
    out = tmp_path / where
    assert train.main(["--out", str(out), "--no-progress"]) == 2
    assert error_line(capsys) == (f"error: --out {out}: {tmp_path / 'models'} is a file; --out "
                                  "is the registry folder (an existing one, or a new one to "
                                  "create)")


# --- training.evaluate ---------------------------------------------------------------------------


def test_evaluate_refuses_an_unknown_split_name(model_dir, capsys):
    with pytest.raises(SystemExit) as stopped:
        evaluate.main(["--model", str(model_dir), "--data", str(TINY), "--splits", "dev,tset"])
    assert stopped.value.code == 2
    assert "argument --splits: 'dev,tset': expected some of train, dev, test" in (
        capsys.readouterr().err)


def test_evaluate_says_an_empty_data_file_holds_no_comments(tmp_path, model_dir, capsys):
    path = tmp_path / "empty.jsonl"
    path.write_text("\n", encoding="utf-8")
    assert evaluate.main(["--model", str(model_dir), "--data", str(path)]) == 2
    assert error_line(capsys) == f"error: {path} holds no comments"


def test_evaluate_says_when_no_row_is_in_the_splits(tmp_path, model_dir, capsys):
    path = tmp_path / "train_only.jsonl"
    path.write_text(json.dumps({"text": "x", "split": "train", "labels": {}}) + "\n",
                    encoding="utf-8")
    args = ["--model", str(model_dir), "--data", str(path), "--report", str(tmp_path / "r.json")]
    assert evaluate.main(args) == 2
    assert error_line(capsys) == "error: no comment given is in the dev, test splits (--splits)"


@pytest.mark.parametrize("option", ["--report", "--plot"])
def test_evaluate_refuses_a_folder_as_output_up_front(tmp_path, model_dir, capsys, monkeypatch,
                                                      option):
    monkeypatch.setattr(evaluate, "Evaluated", lambda *a: pytest.fail("loaded a model"))
    args = ["--model", str(model_dir), "--data", str(TINY), "--report", str(tmp_path / "r.json"),
            option, str(tmp_path)]
    assert evaluate.main(args) == 2
    assert error_line(capsys) == f"error: {option} {tmp_path} is a folder: name the file to write"


# --- model metadata with broken thresholds -------------------------------------------------------


def break_insult_threshold(directory: Path, how: str) -> None:
    metadata = json.loads((directory / METADATA_FILE).read_text(encoding="utf-8"))
    if how == "number":
        metadata["thresholds"]["insult"] = 0.8
    else:
        del metadata["thresholds"]["insult"]["decision"]
    (directory / METADATA_FILE).write_text(json.dumps(metadata), encoding="utf-8")


BROKEN = ("number", "no decision")


@pytest.fixture
def broken_registry(tmp_path, model_dir):
    """A registry whose only version, current, has metadata with broken thresholds."""

    def _make(how: str) -> tuple[Path, str]:
        version = (model_dir / CURRENT_POINTER).read_text(encoding="utf-8").strip()
        models = tmp_path / "models"
        shutil.copytree(model_dir / version, models / version)
        (models / CURRENT_POINTER).write_text(version + "\n", encoding="utf-8")
        break_insult_threshold(models / version, how)
        return models, version

    return _make


@pytest.mark.parametrize("how", BROKEN)
def test_evaluate_refuses_a_model_with_broken_thresholds(broken_registry, capsys, how):
    models, version = broken_registry(how)
    assert evaluate.main(["--model", str(models), "--data", str(TINY)]) == 2
    line = error_line(capsys)
    # The wording is the loader's (service/model.py); the file and the rule are what matter.
    assert line.startswith(f"error: {models / version / METADATA_FILE}: ") and "insult" in line


@pytest.mark.parametrize("how", BROKEN)
def test_promote_refuses_a_candidate_with_broken_thresholds(broken_registry, capsys, how,
                                                            tiny_corpus):
    models, version = broken_registry(how)
    (models / CURRENT_POINTER).unlink()
    args = ["promote", version, "--models", str(models), "--corpus-dir", str(tiny_corpus),
            "--gate", str(GATE), "--no-progress"]
    assert registry.main(args) == 2
    line = error_line(capsys)
    assert line.startswith(f"error: {version} cannot serve, forced or not: "
                           f"{models / version / METADATA_FILE}: ") and "insult" in line


@pytest.mark.parametrize(("thresholds", "message"), [
    ({"insult": 0.5}, "thresholds.insult must be an object of levels"),
    ({"insult": {}}, "bad insult.decision threshold"),
    ({"insult": {"decision": "0.5"}}, "bad insult.decision threshold"),
])
def test_a_baseline_with_broken_thresholds_is_refused(tmp_path, thresholds, message):
    (tmp_path / BASELINE_FILE).write_bytes(b"never unpickled")
    thresholds = {rule: {"decision": 0.5} for rule in RULES} | thresholds
    metadata = {"model_version": "baseline", "thresholds": thresholds}
    (tmp_path / METADATA_FILE).write_text(json.dumps(metadata), encoding="utf-8")
    with pytest.raises(ArtifactError) as refused:
        evaluate.Evaluated(tmp_path, DEFAULT_KEYWORD_DIR)
    assert str(refused.value) == f"{tmp_path / METADATA_FILE}: {message}"


def test_training_beside_a_current_model_with_broken_thresholds_reports_without_it(
        broken_registry, tiny_corpus):
    models, version = broken_registry("number")
    target = train.train([], models, PARAMS, progress=False, corpus_dir=tiny_corpus)
    evaluation = json.loads((target / "evaluation.json").read_text(encoding="utf-8"))
    assert evaluation["compared_with"] is None
    assert "the current model could not be loaded" in (target / "report.html").read_text(
        encoding="utf-8")


# --- training.registry --models ------------------------------------------------------------------


@pytest.mark.parametrize("command", [["rollback"], ["history"], ["list"],
                                     ["promote", "20260101T000000Z-abc", "--force", "--reason",
                                      "x"]])
def test_a_mistyped_registry_is_refused_and_not_created(tmp_path, capsys, command):
    typo = tmp_path / "a" / "typo"
    assert registry.main([*command, "--models", str(typo)]) == 2
    assert error_line(capsys).startswith(f"error: no model registry at {typo} ")
    assert list(tmp_path.iterdir()) == []


def test_rollback_leaves_no_lock_file_in_a_folder_that_is_no_registry(tmp_path, capsys):
    assert registry.main(["rollback", "--models", str(tmp_path)]) == 2
    assert error_line(capsys).startswith(f"error: no model registry at {tmp_path}: ")
    assert not (tmp_path / LOCK_FILE).exists()
