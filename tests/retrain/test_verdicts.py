"""training.verdicts: which comments a switch of model or lists would decide differently, scored
by the real service path (model, lists, thresholds) of real models trained on the hand-made
corpus."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from service.keywords import DEFAULT_KEYWORD_DIR, KeywordMatcher
from service.model import load_artifact
from service.scoring import Moderator
from training import verdicts
from training.baseline import fit_baseline, write_baseline
from training.data import DataError, Example, label_kind, read_corpus, read_probe
from training.train import TrainingParams, split_examples

# A word no list holds and no hand-made comment uses, added as a block term in the "after" lists.
NEW_TERM = "زرزوري"
PROBE = (
    "# a probe of two comments with the new term, labelled as a reviewer would\n"
    f"ok\tشفت طير {NEW_TERM} فوق الشجرة\tdarija\n"
    f"insult\tالكاتب {NEW_TERM}\tdarija\n"
    "ok\tالماتش ديال البارح كان زوين\tdarija\n"
)


def moderator(model: Path, lists: Path = DEFAULT_KEYWORD_DIR) -> Moderator:
    return Moderator(load_artifact(model), KeywordMatcher.from_directory(lists))


@pytest.fixture(scope="module")
def after_lists(tmp_path_factory) -> Path:
    """The shipped lists with one block insult term more."""
    folder = tmp_path_factory.mktemp("lists") / "keywords"
    shutil.copytree(DEFAULT_KEYWORD_DIR, folder)
    with (folder / "insult.tsv").open("a", encoding="utf-8") as handle:
        handle.write(f"block\t{NEW_TERM}\ttest: a word no list holds\n")
    return folder


@pytest.fixture(scope="module")
def probes(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("probes")
    (folder / "made_up_probe.tsv").write_text(PROBE, encoding="utf-8")
    return folder


def test_a_model_compared_with_itself_changes_nothing(models, corpus_dir):
    examples = read_corpus(corpus_dir)[0]
    same = moderator(models["good"])
    diff = verdicts.diff_verdicts(same, same, examples)
    assert diff.changed == [] and diff.by_source == {}
    assert diff.held["before"] == diff.held["after"]
    assert sum(diff.totals.values()) == len(examples)
    assert sum(n for (old, new), n in diff.transitions.items() if old != new) == 0


def test_every_change_is_what_the_service_answers_on_each_side(models, corpus_dir):
    examples = read_corpus(corpus_dir)[0]
    weak, good = moderator(models["weak"]), moderator(models["good"])
    diff = verdicts.diff_verdicts(weak, good, examples)
    assert diff.changed, "a third of the training rows should decide some comments differently"
    for changed in diff.changed:
        assert changed.before.verdict == weak.score(changed.example.text).verdict
        assert changed.after.verdict == good.score(changed.example.text).verdict
        assert changed.before.verdict != changed.after.verdict
    # The held counts and the changes agree: what is held after is what was held, plus what is
    # newly held, minus what is newly released.
    for kind, (newly_held, released) in verdicts.CHANGES.items():
        assert diff.held["after"][kind] == (diff.held["before"][kind] + diff.count(kind, newly_held)
                                            - diff.count(kind, released))
    assert sum(diff.transitions.values()) == len(examples)


def test_a_new_block_term_is_counted_by_the_label_of_each_comment_it_holds(
        models, after_lists, probes):
    probe = read_probe(probes / "made_up_probe.tsv")
    before = moderator(models["good"])
    assert [before.score(e.text).verdict for e in probe] == ["approve"] * 3
    diff = verdicts.diff_verdicts(before, moderator(models["good"], after_lists), probe)
    # The innocent comment is held too: the cost the diff exists to show before a list edit
    # ships. The comment without the term keeps its verdict.
    assert [(c.example.text, c.kind, c.change, c.after.verdict, c.after.flags)
            for c in diff.changed] == [
        (probe[0].text, "clean", "newly held", "reject", ("insult",)),
        (probe[1].text, "violating", "newly caught", "reject", ("insult",))]
    assert diff.held == {"before": {"clean": 0, "violating": 0},
                         "after": {"clean": 1, "violating": 1}}
    assert diff.transitions == {("approve", "reject"): 2, ("approve", "approve"): 1}
    assert diff.source_counts == {"made_up_probe": {
        "clean": 2, "clean held before": 0, "clean held after": 1,
        "violating": 1, "violating held before": 0, "violating held after": 1}}


def test_the_command_prints_the_counts_and_writes_every_change(
        models, corpus_dir, after_lists, probes, tmp_path, capsys):
    report = tmp_path / "diff.json"
    status = verdicts.main([
        "--before", str(models["good"]), "--after", str(models["good"]),
        "--after-keywords", str(after_lists), "--corpus-dir", str(corpus_dir),
        "--probes", str(probes), "--json", str(report), "--no-progress"])
    out = capsys.readouterr().out
    assert status == 0
    written = json.loads(report.read_text(encoding="utf-8"))
    test_rows = sum(e.split == "test" for e in read_corpus(corpus_dir)[0])
    assert sum(written["comments"].values()) == test_rows + 3
    newly = {(row["kind"], row["change"]) for row in written["changed"]}
    assert newly <= {("clean", "newly held"), ("violating", "newly caught")}
    assert {row["source"] for row in written["changed"]} == {"made_up_probe"}
    assert f"with the lists in {after_lists}" in out.splitlines()[1]
    assert "clean, newly held (1):" in out and "violating, newly caught (1):" in out
    assert f"[made_up_probe] شفت طير {NEW_TERM} فوق الشجرة" in out
    # The probe's own figures on each side, as test_blind_audit bounds them.
    probe_line = next(line for line in out.splitlines()
                      if line.strip().startswith("made_up_probe") and "clean held" in line)
    assert probe_line.split() == ["made_up_probe", "clean", "held", "0/2", "->", "1/2", "violating",
                                  "missed", "1/1", "->", "0/1"]
    assert written["per_source"]["made_up_probe"]["clean held after"] == 1
    newly_held = {row["text"] for row in written["changed"] if row["change"] == "newly held"}
    assert newly_held == {f"شفت طير {NEW_TERM} فوق الشجرة"}


def test_splits_choose_the_rows_of_every_source(models, corpus_dir, tmp_path):
    report = tmp_path / "diff.json"
    verdicts.main(["--before", str(models["weak"]), "--after", str(models["good"]),
                   "--corpus-dir", str(corpus_dir), "--splits", "train,dev,test",
                   "--json", str(report), "--no-progress"])
    written = json.loads(report.read_text(encoding="utf-8"))
    assert sum(written["comments"].values()) == len(read_corpus(corpus_dir)[0])


def test_a_malformed_probe_names_its_file_and_line(tmp_path):
    probe = tmp_path / "bad.tsv"
    probe.write_text("# header\nok\tتعليق\tnote\ninsulte\tتعليق آخر\tnote\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"bad.tsv:3"):
        read_probe(probe)


def test_a_probe_names_every_rule_not_only_the_broken_one(tmp_path):
    probe = tmp_path / "p.tsv"
    probe.write_text("insult+religion\tتعليق\tdarija\nok\tآخر\tfr\n", encoding="utf-8")
    first, second = read_probe(probe)
    assert first.labels == {"insult": 1, "incitement": 0, "religion": 1}
    assert second.labels == {"insult": 0, "incitement": 0, "religion": 0}
    assert (first.source, first.split) == ("p", "probe")


@pytest.mark.parametrize("labels, kind", [
    ({"insult": 1, "incitement": None, "religion": None}, "violating"),
    ({"insult": 0, "incitement": None, "religion": None}, "clean"),
    ({"insult": 0, "incitement": 1, "religion": 0}, "violating"),
    ({"insult": None, "incitement": None, "religion": None}, "unlabelled"),
])
def test_a_comment_is_clean_only_for_the_rules_it_is_labelled_for(labels, kind):
    assert label_kind(Example("", "x", labels, "s", "test")) == kind


def test_a_baseline_is_refused_in_one_line(models, corpus_dir, tmp_path, capsys):
    corpus, sources = read_corpus(corpus_dir)
    baseline = tmp_path / "naive"
    write_baseline(baseline, fit_baseline(split_examples(corpus, [], TrainingParams()),
                                          progress=False), sources)
    status = verdicts.main(["--before", str(models["good"]), "--after", str(baseline),
                            "--corpus-dir", str(corpus_dir), "--no-progress"])
    err = capsys.readouterr().err
    assert status == 2 and "is a baseline" in err and "Traceback" not in err


def test_broken_lists_are_a_one_line_error(models, corpus_dir, tmp_path, capsys):
    broken = tmp_path / "broken"
    shutil.copytree(DEFAULT_KEYWORD_DIR, broken)
    (broken / "insult.tsv").write_text("blok\tكلب\n", encoding="utf-8")
    status = verdicts.main(["--before", str(models["good"]), "--after", str(models["good"]),
                            "--after-keywords", str(broken), "--corpus-dir", str(corpus_dir)])
    err = capsys.readouterr().err
    assert status == 2 and "insult.tsv:1" in err and "Traceback" not in err
