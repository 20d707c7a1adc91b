"""training.resplit: the corpus-only model measured on fresh draws of the corpus split."""

import json

from service.rules import RULES
from tests.retrain.conftest import PARAMS
from tests.retrain.corpus import write_corpus
from training import resplit
from training.data import hash_split, read_corpus


def test_each_draw_holds_out_another_tenth(corpus_dir):
    examples, _ = read_corpus(corpus_dir)
    tests = [
        {e.text for e in resplit.resplit(examples, f"#draw{n}") if e.split == "test"}
        for n in (1, 2)
    ]
    assert all(0.03 * len(examples) < len(t) < 0.2 * len(examples) for t in tests)
    assert tests[0] != tests[1]
    # No salt: the split a corpus row without one of its own gets (training/data.py).
    assert [e.split for e in resplit.resplit(examples, "")] == [
        hash_split(e.text) for e in examples
    ]


def test_figures_add_up_over_the_draws(corpus_dir):
    result = resplit.run(2, PARAMS, corpus_dir, jobs=1, progress=False)
    draws, total = result["draws"], result["pooled"]
    examples, _ = read_corpus(corpus_dir)
    for draw in draws:
        held_out = [e for e in resplit.resplit(examples, draw["salt"]) if e.split == "test"]
        assert draw["clean"] + draw["violating"] == len(held_out)
        assert 0 <= draw["clean_held"] <= draw["clean"] and 0 <= draw["caught"] <= draw["violating"]
        assert set(draw["macro_f1"]) == set(RULES)
    assert total["clean"] == sum(d["clean"] for d in draws)
    for counts in draws + [total]:  # every clean comment held has one cause
        assert sum(counts["clean_held_by"].values()) == counts["clean_held"]
        assert set(counts["clean_held_by"]) <= {"keyword"} | {f"model:{r}" for r in RULES}
    # The mistakes are the clean comments held and the violations let through, no more.
    mistakes = result["mistakes"]
    clean_held = [m for m in mistakes if not any(m["labels"].values())]
    assert all(m["verdict"] != "approve" for m in clean_held)
    assert len(clean_held) == total["clean_held"]
    missed = [m for m in mistakes if any(m["labels"].values())]
    assert all(m["verdict"] == "approve" for m in missed)
    assert len(missed) == total["violating"] - total["caught"]
    assert total["clean_held_rate"] == total["clean_held"] / total["clean"]
    # The hand-made corpus is easy: a model that learned anything catches most violations.
    assert total["caught_rate"] > 0.5


def test_figures_are_split_by_language(tmp_path, hand_rows):
    # The corpus's "lang"; a row without one is counted as "unknown".
    languages = ("darija", "fr", None)
    rows = [{**row, "lang": languages[i % 3]} if languages[i % 3] else row
            for i, row in enumerate(hand_rows)]
    result = resplit.run(1, PARAMS, write_corpus(tmp_path, rows), jobs=1, progress=False)
    (draw,), total = result["draws"], result["pooled"]
    assert set(draw["by_language"]) == {"darija", "fr", "unknown"}
    for key in resplit.COUNTS:
        assert sum(counts[key] for counts in total["by_language"].values()) == total[key]
    assert total["by_language"] == draw["by_language"]
    assert "darija   clean held" in resplit.format_result(result)


def test_the_command_prints_and_writes_the_figures(corpus_dir, tmp_path, capsys):
    out = tmp_path / "resplit.json"
    argv = [
        "--splits",
        "2",
        "--jobs",
        "2",
        "--corpus-dir",
        str(corpus_dir),
        "--min-df",
        "1",
        "--max-features",
        "20000",
        "--json",
        str(out),
        "--mistakes",
        str(tmp_path / "mistakes.jsonl"),
        "--no-progress",
    ]
    assert resplit.main(argv) == 0
    printed = capsys.readouterr().out
    written = json.loads(out.read_text(encoding="utf-8"))
    assert len(written["draws"]) == 2 and written["params"]["min_df"] == 1
    assert f"{100 * written['pooled']['clean_held_rate']:.2f}%" in printed
    assert "clean held because of" in printed and "mistakes" not in written
    lines = (tmp_path / "mistakes.jsonl").read_text(encoding="utf-8").splitlines()
    pooled = written["pooled"]
    assert len(lines) == pooled["clean_held"] + pooled["violating"] - pooled["caught"]
    for line in map(json.loads, lines):
        assert line["draw"] in ("#draw1", "#draw2") and line["text"]
        held = line["verdict"] != "approve"
        assert held != any(line["labels"].values())  # a clean comment held, or a violation missed
        assert not held or line["reasons"]
