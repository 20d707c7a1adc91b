"""training.feedback: what moderators' decisions on half of some labelled comments teach the
model about the other half, with the hand-made corpus and small models."""

import json

import pytest

from service.rules import RULES
from service.scoring import Decision
from tests.retrain.conftest import PARAMS
from training import feedback
from training.decisions import decision_labels
from training.feedback import Labelled


def decision(verdict: str, score: float) -> Decision:
    return Decision(verdict, dict.fromkeys(RULES, score), [], [], [], "test")


def test_probe_files_and_unified_rows_are_read_once_each(tmp_path):
    (tmp_path / "probe.tsv").write_text(
        "# a probe\nok\tمقال مزيان\tnote\ninsult+religion\tnta 7mar\tnote\n"
        "ok\tمقال مزيان\tthe same text again\n", encoding="utf-8")
    unified = tmp_path / "site.jsonl"
    rows = [({"insult": 0, "incitement": 0, "religion": 0}, "merci"),
            ({"insult": None, "incitement": 1, "religion": None}, "dehors tous"),
            ({"insult": 0, "incitement": None, "religion": None}, "unknown for two rules")]
    unified.write_text("".join(json.dumps({"id": str(i), "text": text, "source": "s",
                                           "split": "test", "labels": labels}) + "\n"
                               for i, (labels, text) in enumerate(rows)), encoding="utf-8")
    assert feedback.read_labelled([tmp_path / "probe.tsv"]) == [
        Labelled("مقال مزيان", frozenset()),
        Labelled("nta 7mar", frozenset({"insult", "religion"})),
    ]
    assert feedback.read_labelled([unified]) == [
        Labelled("merci", frozenset()), Labelled("dehors tous", frozenset({"incitement"}))]


def test_a_bad_probe_line_is_named(tmp_path):
    (tmp_path / "probe.tsv").write_text("ok\tfine\nspam\tbuy now\n", encoding="utf-8")
    with pytest.raises(feedback.DataError, match=r"probe.tsv:2"):
        feedback.read_labelled([tmp_path])


def test_decisions_are_written_as_the_export_writes_them():
    approved = feedback.decision_row(0, Labelled("مقال مزيان", frozenset()))
    rejected = feedback.decision_row(1, Labelled("nta 7mar", frozenset({"insult"})))
    assert approved["source"] == rejected["source"] == "site"
    assert decision_labels(approved["labels"]) == dict.fromkeys(RULES, 0)
    assert decision_labels(rejected["labels"]) == {"insult": 1, "incitement": None,
                                                   "religion": None}


def test_each_strategy_decides_what_a_moderator_would_be_shown():
    rows = [Labelled(f"c{i}", frozenset()) for i in range(6)]
    scored = [decision("reject", 0.9), decision("approve", 0.2), decision("review", 0.7),
              decision("approve", 0.6), decision("approve", 0.1), decision("approve", 0.4)]
    assert feedback.chosen_for_decision(rows, scored, "held", 0.5) == [0, 2]
    # Half of the four published comments, highest score first.
    assert feedback.chosen_for_decision(rows, scored, "held+top", 0.5) == [0, 2, 3, 5]
    drawn = feedback.chosen_for_decision(rows, scored, "held+random", 0.5)
    assert drawn[:2] == [0, 2] and len(drawn) == 4 and set(drawn[2:]) <= {1, 3, 4, 5}
    assert feedback.chosen_for_decision(rows, scored, "all", 0.5) == list(range(6))


def test_reading_the_published_comments_highest_score_first_counts_the_misses():
    rows = [Labelled("a", frozenset({"insult"})), Labelled("b", frozenset()),
            Labelled("c", frozenset({"insult"})), Labelled("d", frozenset())]
    scored = [decision("approve", 0.9), decision("approve", 0.8), decision("approve", 0.1),
              decision("reject", 0.95)]
    lines = {line["share"]: line for line in feedback.misses_by_reading(rows, scored)}
    assert lines[0.3] == {"share": 0.3, "read": 1, "misses": 1, "of_misses": 2,
                          "lowest_score": 0.9}


def test_figures_add_up_over_the_halves_and_draws(tmp_path, corpus_dir, hand_rows):
    probe = tmp_path / "probe.tsv"
    labelled = [row for row in hand_rows if row["split"] == "test"]
    probe.write_text("".join(
        f"{'+'.join(r for r in RULES if row['labels'][r] == 1) or 'ok'}\t{row['text']}\tn\n"
        for row in labelled), encoding="utf-8")
    result = feedback.run([probe], share=0.5, draws=2, corpus_dir=corpus_dir, jobs=1,
                          progress=False, params=PARAMS)
    texts = {row["text"] for row in labelled}
    assert result["labelled"] == len(texts)
    by_name = {s["strategy"]: s for s in result["strategies"]}
    assert list(by_name) == list(feedback.STRATEGIES)
    for strategy in by_name.values():  # two draws: every comment counted once per draw
        a, b = strategy["A"], strategy["B"]
        assert a["clean"] + a["violating"] + b["clean"] + b["violating"] == 2 * len(texts)
        assert a["clean"] == by_name["before"]["A"]["clean"]
        assert [d["draw"] for d in strategy["by_draw"]] == [1, 2]
        assert sum(d["B"]["caught"] for d in strategy["by_draw"]) == b["caught"]
    before, held = by_name["before"]["A"], by_name["held"]["decisions"]
    assert held == {"approved": before["clean_held"], "rejected": before["caught"]}
    everything = by_name["all"]["decisions"]
    assert everything["approved"] == before["clean"]
    assert everything["rejected"] == before["violating"]
    assert by_name["before"]["decisions"] == {"approved": 0, "rejected": 0}
    reading = result["reading"]
    assert [line["misses"] for line in reading] == sorted(line["misses"] for line in reading)


@pytest.mark.parametrize("argv", [["--labelled", "x", "--share", "0"],
                                  ["--labelled", "x", "--draws", "0"]])
def test_bad_options_are_usage_errors(argv, capsys):
    with pytest.raises(SystemExit) as stop:
        feedback.main(argv)
    assert stop.value.code == 2 and "--share must be" in capsys.readouterr().err


def test_a_missing_file_is_one_line(tmp_path, capsys):
    assert feedback.main(["--labelled", str(tmp_path / "none.tsv")]) == 2
    assert capsys.readouterr().err.startswith("error: ")
