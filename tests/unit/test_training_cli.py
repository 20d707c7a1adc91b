"""The training commands on a mistake in their input: `error: <why>` on stderr, exit status 2,
no traceback. A bug still raises."""

from __future__ import annotations

import importlib
import os
import signal
import subprocess
import sys

import pytest

from service.config import PROJECT_ROOT
from service.rules import RULES
from tests.cli_output import error_line
from training import baseline, evaluate, export, registry, resplit, significance, train
from training.cli import reports_user_errors
from training.data import Example

COMMANDS = ["train", "evaluate", "baseline", "export", "resplit", "significance", "registry"]


def test_train_with_a_missing_data_path(tmp_path, capsys):
    missing = tmp_path / "nowhere.jsonl"
    assert train.main(["--out", str(tmp_path / "models"), "--data", str(missing)]) == 2
    assert error_line(capsys) == f"error: {missing} does not exist"
    assert not (tmp_path / "models").exists()


def test_train_with_a_missing_decisions_file(tmp_path, capsys):
    missing = tmp_path / "labels.jsonl"
    assert train.main(["--out", str(tmp_path / "models"), "--decisions", str(missing)]) == 2
    assert error_line(capsys) == f"error: cannot read {missing}: No such file or directory"


@pytest.mark.parametrize(("line", "message"), [
    (b'{"text": "caf\xe9", "labels": {}}', "data.jsonl:2: not UTF-8 (byte 0xe9)"),
    (b'{"text": "x", "labels": "insult"}', "data.jsonl:2: 'labels' must be an object"),
    (b'{"text": "x", "labels": null}', "data.jsonl:2: 'labels' must be an object"),
    (b'{"text": "x", "labels": {"insult": true}}', "data.jsonl:2: label insult=True is not 0"),
])
@pytest.mark.parametrize("option", ["--data", "--decisions"])
def test_train_names_the_bad_line_of_a_file(tmp_path, capsys, option, line, message):
    path = tmp_path / "data.jsonl"
    path.write_bytes(b'{"text": "ok", "labels": {"insult": 0}}\n' + line + b"\n")
    assert train.main(["--out", str(tmp_path / "models"), option, str(path)]) == 2
    assert message in error_line(capsys)


def test_train_refuses_an_empty_data_file(tmp_path, capsys):
    path = tmp_path / "empty.jsonl"
    path.write_text("\n", encoding="utf-8")
    assert train.main(["--out", str(tmp_path / "models"), "--data", str(path)]) == 2
    assert error_line(capsys) == f"error: {path} holds no comments"


def test_train_warns_of_a_data_file_without_labels(tmp_path, capsys):
    path = tmp_path / "unlabelled.jsonl"
    path.write_text('{"text": "تعليق بلا تصنيف", "labels": {}}\n', encoding="utf-8")
    train.gather([path])
    assert "has a label (every rule null): they teach the model nothing" in capsys.readouterr().err


def test_train_refuses_decisions_given_as_data(tmp_path, capsys):
    # Read as data, a decision loses to the corpus's copy of the same text; as decisions it wins.
    path = tmp_path / "site_labels.jsonl"
    path.write_text('{"id": "site:c1", "text": "tawa9o3ati: raja 2-1", "source": "site", '
                    '"labels": {"insult": 1, "incitement": null, "religion": null}}\n',
                    encoding="utf-8")
    assert train.main(["--out", str(tmp_path / "models"), "--data", str(path)]) == 2
    assert "pass that file with --decisions instead" in error_line(capsys)
    assert not (tmp_path / "models").exists()


def test_train_with_a_missing_table(tmp_path, capsys):
    missing = tmp_path / "sample.csv"
    args = ["--out", str(tmp_path / "models"), "--table", str(missing), "--label", "insult=x"]
    assert train.main(args) == 2
    assert error_line(capsys).startswith(f"error: cannot read {missing}")


def test_train_with_a_label_mapped_to_a_column_the_table_lacks(tmp_path, capsys):
    table = tmp_path / "sample.csv"
    table.write_text("comment,offensive\nسلام,0\n", encoding="utf-8")
    args = ["--out", str(tmp_path / "models"), "--table", str(table), "--text-column", "comment",
            "--label", "insult=is_offensive"]
    assert train.main(args) == 2
    assert "no column 'is_offensive'" in error_line(capsys)


def test_evaluate_with_a_folder_holding_no_model(tmp_path, capsys):
    assert evaluate.main(["--model", str(tmp_path), "--corpus"]) == 2
    assert error_line(capsys).startswith(f"error: no model at {tmp_path}")


def test_significance_with_a_folder_holding_no_model(tmp_path, capsys):
    args = ["--model", str(tmp_path), "--reference", str(tmp_path), "--corpus"]
    assert significance.main(args) == 2
    assert error_line(capsys).startswith(f"error: no model at {tmp_path}")


def test_evaluate_with_a_missing_data_path(tmp_path, capsys, model_dir):
    missing = tmp_path / "unified"
    assert evaluate.main(["--model", str(model_dir), "--data", str(missing)]) == 2
    assert error_line(capsys) == f"error: {missing} does not exist"


def test_baseline_with_a_missing_data_path(tmp_path, capsys):
    missing = tmp_path / "unified"
    assert baseline.main(["--out", str(tmp_path / "b"), "--data", str(missing)]) == 2
    assert error_line(capsys) == f"error: {missing} does not exist"


def test_resplit_with_a_missing_corpus(tmp_path, capsys):
    missing = tmp_path / "corpus"
    args = ["--corpus-dir", str(missing), "--splits", "1", "--jobs", "1", "--no-progress"]
    assert resplit.main(args) == 2
    assert error_line(capsys) == f"error: {missing} does not exist"


def test_registry_report_with_a_missing_data_path(tmp_path, capsys, model_dir):
    version = (model_dir / "current").read_text(encoding="utf-8").strip()
    missing = tmp_path / "unified"
    args = ["report", version, "--models", str(model_dir), "--data", str(missing),
            "--no-progress"]
    assert registry.main(args) == 2
    assert error_line(capsys) == f"error: {missing} does not exist"


def test_export_from_a_database_file_that_does_not_exist(tmp_path, capsys):
    missing = tmp_path / "moderation.db"
    args = ["--out", str(tmp_path / "labels.jsonl"), "--database-url", f"sqlite:///{missing}"]
    assert export.main(args) == 2
    assert error_line(capsys).startswith(f"error: no database at {missing}")
    assert not missing.exists()  # SQLite would have left an empty file there
    assert list(tmp_path.iterdir()) == []


def test_export_from_a_database_without_the_queue_tables(tmp_path, capsys):
    empty = tmp_path / "other.db"
    subprocess.run([sys.executable, "-c", f"import sqlite3; sqlite3.connect({str(empty)!r})"
                    ".execute('create table t (x)')"], check=True)
    args = ["--out", str(tmp_path / "labels.jsonl"), "--database-url", f"sqlite:///{empty}"]
    assert export.main(args) == 2
    assert "no such table: comments" in error_line(capsys)
    assert not (tmp_path / "labels.jsonl").exists()


def test_a_bug_still_raises(tmp_path, monkeypatch):
    def broken(*args, **kwargs):
        raise KeyError("a bug, not a user error")

    monkeypatch.setattr(train, "train", broken)
    with pytest.raises(KeyError):
        train.main(["--out", str(tmp_path)])


def test_a_user_error_through_python_m_prints_no_traceback(tmp_path):
    missing = tmp_path / "nowhere"
    result = subprocess.run(
        [sys.executable, "-m", "training.evaluate", "--model", str(missing), "--corpus"],
        cwd=PROJECT_ROOT, capture_output=True, text=True, check=False,
    )
    assert result.returncode == 2
    assert result.stderr.startswith(f"error: no model at {missing}")
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("name", COMMANDS)
def test_every_command_names_itself_as_it_is_run(name, capsys):
    module = importlib.import_module(f"training.{name}")
    with pytest.raises(SystemExit) as exited:
        module.main(["--help"])
    assert exited.value.code == 0
    assert capsys.readouterr().out.startswith(f"usage: python -m training.{name} ")


@pytest.mark.parametrize(
    ("module", "example"),
    [
        # A "\" ending a line of a plain docstring would join the next line on, indentation and
        # all; the help shows the continuation as written.
        (significance, "baselines/naive \\\n        --data ../shared/data/unified [--corpus]"),
        # Without the raw formatter argparse would flow the usage line into the prose.
        (baseline, "\n    python -m training.baseline [--data PATH ...] --out DIR\n"),
    ],
)
def test_help_shows_the_example_commands_as_written(module, example, capsys):
    with pytest.raises(SystemExit):
        module.main(["--help"])
    assert example in capsys.readouterr().out


def test_sigterm_while_a_model_is_written_leaves_no_staging_folder(tmp_path, capsys):
    # SIGTERM kills Python without running cleanup; a training command turns it into SystemExit,
    # so the half-written folder is removed. The signal is sent from inside the write.
    def terminate(staging):
        assert staging.name.startswith(".staging-") and any(staging.iterdir())
        os.kill(os.getpid(), signal.SIGTERM)

    @reports_user_errors
    def command(argv):
        train.write_artifact(tmp_path, classifier=[], metadata={"model_version": "v1",
                             "metrics": {}}, finish=terminate)
        return 0

    previous = signal.getsignal(signal.SIGTERM)
    with pytest.raises(SystemExit) as exited:
        command([])
    assert exited.value.code == 128 + signal.SIGTERM
    assert list(tmp_path.iterdir()) == []
    assert signal.getsignal(signal.SIGTERM) is previous  # put back after the command
    assert "terminated" in capsys.readouterr().err


def test_ctrl_c_prints_one_line_not_a_traceback(capsys):
    @reports_user_errors
    def command(argv):
        raise KeyboardInterrupt

    assert command([]) == 130
    err = capsys.readouterr().err
    assert "Traceback" not in err and err.startswith("interrupted")


def test_a_version_written_meanwhile_by_another_training_is_a_clear_error(tmp_path, capsys):
    # Two trainings of the same data finishing in the same second name the same version.
    def other_training_wins(staging):
        (tmp_path / "v1").mkdir()
        (tmp_path / "v1" / "model.joblib").write_text("theirs")

    @reports_user_errors
    def command(argv):
        train.write_artifact(tmp_path, classifier=[], metadata={"model_version": "v1",
                             "metrics": {}}, finish=other_training_wins)
        return 0

    assert command([]) == 2
    assert "written meanwhile by another training" in error_line(capsys)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["v1"]  # theirs, untouched
    assert (tmp_path / "v1" / "model.joblib").read_text() == "theirs"


@pytest.mark.parametrize(("argv", "expected"), [
    ([], (("incitement", 80), ("religion", 120))),
    (["--full-evidence", "religion=0"], (("religion", 0),)),
    (["--full-evidence", "religion=80", "--full-evidence", "insult=40"],
     (("religion", 80), ("insult", 40))),
])
def test_full_evidence_is_set_per_rule(argv, expected):
    args = train.parse_args(["--out", "x", *argv])
    params = train.params_from_args(args)
    assert params.full_evidence == expected
    assert params.to_dict()["full_evidence"] == dict(expected)


@pytest.mark.parametrize("value", ["religion", "spam=3", "religion=-1", "religion=1.5",
                                   "religion=\u0663"])  # ARABIC-INDIC DIGIT THREE
def test_a_bad_full_evidence_is_refused_by_the_parser(value, capsys):
    with pytest.raises(SystemExit) as exit_:
        train.parse_args(["--out", "x", "--full-evidence", value])
    assert exit_.value.code == 2
    assert "RULE=N" in capsys.readouterr().err


@pytest.mark.parametrize(("argv", "expected"), [
    ([], {"insult": 4.0, "incitement": 16.0, "religion": 16.0}),
    (["--C", "8"], {"insult": 8.0, "incitement": 8.0, "religion": 8.0}),
    (["--C", "religion=2"], {"insult": 4.0, "incitement": 16.0, "religion": 2.0}),
    (["--C", "8", "--C", "insult=0.5"], {"insult": 0.5, "incitement": 8.0, "religion": 8.0}),
    # beside public datasets incitement at 16 lost osact2022
    (["--data", "shared/unified"], {"insult": 4.0, "incitement": 4.0, "religion": 16.0}),
    (["--data", "shared/unified", "--C", "incitement=16"],
     {"insult": 4.0, "incitement": 16.0, "religion": 16.0}),
])
def test_C_is_set_for_every_rule_or_one(argv, expected):
    params = train.params_from_args(train.parse_args(["--out", "x", *argv]))
    assert {rule: params.C_of(rule) for rule in RULES} == expected
    assert params.to_dict()["C"] == expected


@pytest.mark.parametrize("value", ["0", "-1", "nan", "inf", "spam=3", "insult=", "insult=x"])
def test_a_bad_C_is_refused_by_the_parser(value, capsys):
    with pytest.raises(SystemExit) as exit_:
        train.parse_args(["--out", "x", "--C", value])
    assert exit_.value.code == 2
    assert "RULE=N" in capsys.readouterr().err


def test_hard_negatives_weigh_more_than_other_clean_comments():
    params = train.params_from_args(train.parse_args(["--out", "x", "--hard-negative-weight", "2"]))
    clean, attack = dict.fromkeys(RULES, 0), {**dict.fromkeys(RULES, 0), "insult": 1}

    def weight(source, labels, tags=()):
        return params.weight_of(Example("x", "نص", labels, source, "train", tags))

    assert weight("corpus", clean, ("hard_negative", "topic:jews")) == 2 * params.corpus_weight
    assert weight("corpus", clean, ("topic:football",)) == params.corpus_weight
    assert weight("corpus", attack, ("hard_negative",)) == params.corpus_weight  # a stray tag
    assert weight("kintaro_fine", clean) == 0.3
    assert weight("osact2020", clean, ("hard_negative",)) == 1.0  # not a corpus comment
    unknown = {**clean, "religion": None}  # unknown is not 0, but no label says it is an attack
    assert weight("corpus", unknown, ("hard_negative",)) == 2 * params.corpus_weight
    assert params.to_dict()["hard_negative_weight"] == 2.0



@pytest.mark.parametrize(("argv", "expected"), [
    ([], 3.0),                                                  # the corpus alone
    (["--data", "shared/unified"], 1.0),                        # public data brings its own
    (["--table", "site.csv", "--label", "insult=bad"], 1.0),
    (["--data", "shared/unified", "--hard-negative-weight", "2"], 2.0),
])
def test_the_hard_negative_weight_depends_on_the_data_unless_given(argv, expected):
    args = train.parse_args(["--out", "x", *argv])
    assert train.params_from_args(args).hard_negative_weight == expected


@pytest.mark.parametrize(("argv", "expected"), [
    ([], True),                                                 # the corpus alone
    (["--decisions", "labels.jsonl"], True),                    # the site's own comments
    (["--data", "shared/unified"], False),                      # lost incitement there
    (["--table", "site.csv", "--label", "insult=bad"], False),
    (["--data", "shared/unified", "--cross-word-ngrams"], True),
    (["--no-cross-word-ngrams"], False),
])
def test_cross_word_ngrams_depend_on_the_data_unless_asked(argv, expected):
    params = train.params_from_args(train.parse_args(["--out", "x", *argv]))
    assert params.cross_word_ngrams is expected
    assert params.to_dict()["cross_word_ngrams"] is expected  # recorded in the metadata


@pytest.mark.parametrize("value", ["0", "-1", "nan", "inf", "two"])
def test_a_bad_hard_negative_weight_is_refused_by_the_parser(value, capsys):
    with pytest.raises(SystemExit) as exit_:
        train.parse_args(["--out", "x", "--hard-negative-weight", value])
    assert exit_.value.code == 2
    assert "expected a number above 0" in capsys.readouterr().err
