"""What training reads: CSV/TSV tables through a column mapping, moderators' decisions winning over
every other source, and de-duplication that keeps near-duplicate groups on one side."""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace

import pytest

from service.rules import RULES
from service.storage import PUBLISHED, REJECTED
from tests.retrain.conftest import PARAMS
from training import export
from training.data import DataError, Example, dedup_key, parse_row, read_corpus
from training.decisions import apply_decisions, latest_decisions, read_decision_database
from training.tables import TableSpec, parse_label_mapping, parse_label_value, read_table
from training.train import fit, gather, main, parse_args, split_examples

# --- CSV/TSV tables -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "value"),
    [
        ("1", 1),
        ("0", 0),
        ("true", 1),
        ("False", 0),
        ("YES", 1),
        ("no", 0),
        (" 1 ", 1),
        ("1.0", 1),
        ("", None),
        ("   ", None),
        (None, None),
    ],
)
def test_label_cells_read_as_one_zero_or_null(cell, value):
    assert parse_label_value(cell) == value


@pytest.mark.parametrize("cell", ["2", "maybe", "-1", "0.5"])
def test_other_label_cells_are_refused(cell):
    with pytest.raises(ValueError, match="not 1/0/true/false/yes/no"):
        parse_label_value(cell)


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_a_csv_is_read_through_its_mapping(tmp_path):
    path = write(
        tmp_path / "site.csv",
        "comment,is_offensive,hate,split\n"
        '"مقال زوين, شكرا",0,0,train\n'
        "سير تقود يا الحمار,yes,,dev\n"
        "les migrants dehors,false,1,\n",
    )
    spec = TableSpec(
        path,
        "comment",
        parse_label_mapping(["insult=is_offensive", "incitement=hate"]),
        split_column="split",
    )
    rows, source = read_table(spec)
    assert [r.text for r in rows] == [
        "مقال زوين, شكرا",
        "سير تقود يا الحمار",
        "les migrants dehors",
    ]
    assert [r.labels for r in rows] == [
        {"insult": 0, "incitement": 0, "religion": None},
        {"insult": 1, "incitement": None, "religion": None},  # empty cell: unknown, not 0
        {"insult": 0, "incitement": 1, "religion": None},  # religion is not mapped: unknown
    ]
    assert [r.split for r in rows[:2]] == ["train", "dev"]
    assert rows[2].split in ("train", "dev", "test")  # no split given: the stable hash split
    assert {r.source for r in rows} == {"site"}
    assert source.rows == 3 and len(source.sha256) == 64


def test_a_tsv_with_a_bom_is_read_with_tabs(tmp_path):
    path = tmp_path / "labels.tsv"
    path.write_bytes("\ufefftext\tabuse\nنعل دين مك\t1\n".encode())
    rows, _ = read_table(TableSpec(path, labels={"religion": "abuse"}))
    assert rows[0].text == "نعل دين مك" and rows[0].labels["religion"] == 1


def test_a_missing_column_is_named(tmp_path):
    path = write(tmp_path / "site.csv", "comment,offensive\nhello,1\n")
    with pytest.raises(DataError, match="no column 'is_offensive'.*'comment', 'offensive'"):
        read_table(TableSpec(path, "comment", {"insult": "is_offensive"}))


def test_a_bad_cell_is_refused_with_its_line(tmp_path):
    path = write(tmp_path / "site.csv", "text,off\nok,0\nbad,2\n")
    with pytest.raises(DataError, match=r"site\.csv:3: label value '2'"):
        read_table(TableSpec(path, labels={"insult": "off"}))


@pytest.mark.parametrize(
    ("items", "message"),
    [
        (["insult"], "expected RULE=COLUMN"),
        (["spam=x"], "unknown rule 'spam'"),
        (["insult=a", "insult=b"], "mapped twice"),
    ],
)
def test_bad_label_mappings_are_refused(items, message):
    with pytest.raises(ValueError, match=message):
        parse_label_mapping(items)


def test_column_options_describe_the_table_they_follow(tmp_path):
    args = parse_args(
        [
            "--out",
            str(tmp_path),
            "--table",
            "a.csv",
            "--text-column",
            "comment",
            "--label",
            "insult=is_offensive",
            "--label",
            "incitement=hate",
            "--table",
            "b.tsv",
            "--label",
            "religion=blasphemy",
            "--split-column",
            "part",
        ]
    )
    assert args.table_specs == [
        TableSpec(Path("a.csv"), "comment", {"insult": "is_offensive", "incitement": "hate"}),
        TableSpec(Path("b.tsv"), "text", {"religion": "blasphemy"}, split_column="part"),
    ]


@pytest.mark.parametrize(
    "argv",
    [
        ["--label", "insult=x"],  # before any --table
        ["--table", "a.csv"],  # no --label
        ["--table", "a.csv", "--label", "insult=x", "--text-column", "a", "--text-column", "b"],
    ],
)
def test_table_options_out_of_place_are_usage_errors(tmp_path, argv, capsys):
    with pytest.raises(SystemExit) as exit_info:
        parse_args(["--out", str(tmp_path), *argv])
    assert exit_info.value.code == 2


def test_the_command_trains_on_a_table_and_records_it(tmp_path, corpus_dir, capsys):
    table = write(
        tmp_path / "site.csv",
        "comment,is_offensive\n"
        + "".join(f"تعليق عادي رقم {w} على المقال,0\n" for w in ("واحد", "جوج", "تلاتة"))
        + "".join(f"يا {w} يا الحمار,1\n" for w in ("المكلخ", "الخانز", "الحقير")),
    )
    registry = tmp_path / "models"
    assert (
        main(
            [
                "--out",
                str(registry),
                "--corpus-dir",
                str(corpus_dir),
                "--no-progress",
                "--no-report",
                "--table",
                str(table),
                "--text-column",
                "comment",
                "--label",
                "insult=is_offensive",
            ]
        )
        == 0
    )
    (version,) = [p for p in registry.iterdir() if p.is_dir()]
    metadata = json.loads((version / "metadata.json").read_text(encoding="utf-8"))
    assert str(table) in [s["path"] for s in metadata["data_sources"]]
    assert metadata["tables"] == [
        {
            "path": str(table),
            "text_column": "comment",
            "labels": {"insult": "is_offensive"},
            "split_column": None,
            "id_column": None,
            "source": "site",
        }
    ]
    assert f"model {version.name} written" in capsys.readouterr().out


# --- Moderators' decisions -----------------------------------------------------------------------


def example(text, split="train", source="dataset", id="", **labels) -> Example:
    return Example(id, text, {rule: labels.get(rule) for rule in RULES}, source, split)


def decision(id, text, **labels) -> Example:
    return parse_row(
        {
            "id": id,
            "text": text,
            "split": "train",
            "source": "site",
            "labels": {rule: labels.get(rule) for rule in RULES},
        },
        "site",
    )


def test_decisions_give_per_rule_labels():
    rows, decided = latest_decisions(
        [
            decision("a", "مقال زوين بزاف", insult=0, incitement=0, religion=0),  # approved
            decision("b", "سير يا الحمار", insult=1, incitement=0, religion=0),  # rejected: insult
            decision("c", "كلام خايب بلا قاعدة", insult=None),  # rejected, no rule named
        ]
    )
    labels = {r.id: r.labels for r in rows}
    assert labels == {
        "a": {"insult": 0, "incitement": 0, "religion": 0},
        # The rules a rejection does not name are unknown, even when the export wrote 0.
        "b": {"insult": 1, "incitement": None, "religion": None},
    }
    assert len(decided) == 3  # the rule-less rejection still claims its text


def test_a_comments_latest_decision_wins():
    rows, _ = latest_decisions(
        [
            decision("a", "هاد الشي حشومة", insult=0, incitement=0, religion=0),
            decision("a", "هاد الشي حشومة", religion=1),  # reversed: rejected for religion
            decision("b", "واحد التعليق اخر", insult=1),
            decision(
                "c", "واحد التعليق آخر!!", insult=0, incitement=0, religion=0
            ),  # same text, later
        ]
    )
    assert {r.id: r.labels for r in rows} == {
        "a": {"insult": None, "incitement": None, "religion": 1},
        "c": {"insult": 0, "incitement": 0, "religion": 0},
    }


def test_decisions_replace_other_sources_training_rows_but_not_evaluation_rows():
    corpus = [example("الله يلعن دينك", split="train", source="corpus", religion=0, insult=0)]
    external = [
        example("سير يا الحمار", insult=0),  # decided below: replaced
        example("سيييير يا الحمااار!!", insult=0),  # a near copy of it: replaced too
        example("سير يا الحمار", split="test", insult=0),  # evaluation row: kept
        example("تعليق ما عندو حتى علاقة", insult=0),  # not decided: kept
        example("كلام خايب بلا قاعدة", insult=0),  # decided with no rule: dropped, no label
    ]
    decisions = [
        decision("s1", "سير يا الحمار", insult=1, incitement=0, religion=0),
        decision("s2", "الله يلعن دينك", religion=1),
        decision("s3", "كلام خايب بلا قاعدة"),
    ]
    kept_corpus, kept_external = apply_decisions(corpus, external, decisions)
    assert kept_corpus == []
    assert [(e.source, e.text, e.split) for e in kept_external] == [
        ("site", "سير يا الحمار", "train"),
        ("site", "الله يلعن دينك", "train"),
        ("dataset", "سير يا الحمار", "test"),
        ("dataset", "تعليق ما عندو حتى علاقة", "train"),
    ]
    # The evaluation row's text stays out of training, decided or not: the evaluation stays fair.
    splits = split_examples(kept_corpus, kept_external, PARAMS)
    trained = [(e.text, e.labels) for e in splits.train + splits.validation]
    assert all(text != "سير يا الحمار" for text, _ in trained)
    assert ("الله يلعن دينك", {"insult": None, "incitement": None, "religion": 1}) in trained


def test_a_decisions_file_wins_in_training(tmp_path, corpus_dir, hand_rows):
    decided = [r for r in hand_rows if r["split"] == "train"][:3]
    path = tmp_path / "site_labels.jsonl"
    path.write_text(
        "".join(
            json.dumps(
                {
                    "id": f"site:{i}",
                    "text": r["text"],
                    "source": "site",
                    "split": "train",
                    "labels": {"insult": 1, "incitement": 0, "religion": 0},
                },
                ensure_ascii=False,
            )
            + "\n"
            for i, r in enumerate(decided)
        ),
        encoding="utf-8",
    )
    corpus, external, sources = gather([], corpus_dir, decisions=[path])
    assert str(path) in [s.path for s in sources]
    texts = {r["text"] for r in decided}
    assert not [e for e in corpus if e.text in texts and e.split == "train"]
    assert [(e.source, e.labels) for e in external if e.text in texts] == [
        ("site", {"insult": 1, "incitement": None, "religion": None})
    ] * 3


def test_decisions_count_as_much_as_the_decision_weight_says():
    row = example("سير يا الحمار", source="site", insult=1)
    assert PARAMS.weight_of(row) == 1.0  # the default
    assert replace(PARAMS, decision_weight=3.0).weight_of(row) == 3.0
    # Only decisions: a dataset's rows and the corpus's keep their own weights.
    assert replace(PARAMS, decision_weight=3.0).weight_of(example("x", insult=1)) == 1.0
    args = parse_args(["--out", "m", "--decisions", "d.jsonl", "--decision-weight", "2.5"])
    assert args.decision_weight == 2.5
    with pytest.raises(SystemExit):
        parse_args(["--out", "m", "--decision-weight", "0"])


def test_decisions_are_read_from_the_queue_database_through_the_export(monkeypatch):
    # The queue's rows as training.export sees them; its own label_row turns them into labels.
    queue = [
        SimpleNamespace(id="c1", text="مقال زوين", status=PUBLISHED, rules=[], human_decided=True),
        SimpleNamespace(
            id="c2", text="سير يا الحمار", status=REJECTED, rules=["insult"], human_decided=True
        ),
        SimpleNamespace(
            id="c3", text="كلام بلا قاعدة", status=REJECTED, rules=[], human_decided=True
        ),  # no rule named: not a label
        SimpleNamespace(
            id="c4", text="تعليق ما شافو حد", status=PUBLISHED, rules=[], human_decided=False
        ),  # the system's decision: not a label
    ]
    calls = []

    def export_rows(url, unnamed_rules=0, split=None):
        calls.append((url, unnamed_rules))
        for row in queue:
            yield "row", export.label_row(row, unnamed_rules, split)

    monkeypatch.setattr(export, "export_rows", export_rows)
    examples, source = read_decision_database("postgresql+psycopg://mod:s3cret@db.local/queue")
    assert calls == [("postgresql+psycopg://mod:s3cret@db.local/queue", None)]
    assert {e.text: e.labels for e in examples} == {
        "مقال زوين": {"insult": 0, "incitement": 0, "religion": 0},
        "سير يا الحمار": {"insult": 1, "incitement": None, "religion": None},
    }
    assert source.rows == 2 and "s3cret" not in source.path  # no password in the metadata


# --- De-duplication and the train/validation split -------------------------------------------

# Spellings of one comment that training must treat as one: punctuation, elongation, tatweel,
# mentions, digits, case, diacritics (SHADDA), links.
NOISE = [
    lambda t: t,
    lambda t: t + "!!",
    lambda t: t.replace("ا", "ااا"),
    lambda t: "@user " + t,
    lambda t: t + " 2024",
    lambda t: t.upper(),
    lambda t: t.replace("ل", "ل\u0651"),
    lambda t: t.replace("ل", "لـ") + " http://x.ma/a",
]


def test_exact_and_near_duplicates_are_removed_and_groups_stay_on_one_side(hand_rows):
    # Each hand-made text comes in several spellings, in several sources; some groups also have a
    # row in an evaluation split.
    external = []
    for i, row in enumerate(hand_rows):
        for j, noise in enumerate(NOISE[: 2 + i % 7]):
            split = "test" if (i % 11 == 0 and j == 1) else "train"
            external.append(
                example(
                    noise(row["text"]),
                    split=split,
                    source=f"set{j % 3}",
                    id=f"{i}-{j}",
                    insult=row["labels"]["insult"],
                )
            )
    external += external[:40]  # exact duplicates too
    keys = {dedup_key(e.text) for e in external}
    assert len({e.text for e in external}) > 2 * len(keys) and len(keys) == len(hand_rows)
    splits = split_examples([], external, PARAMS)
    sides = defaultdict(list)
    for side, rows in (("train", splits.train), ("validation", splits.validation)):
        for row in rows:
            sides[dedup_key(row.text)].append(side)
    held_out = {dedup_key(e.text) for e in external if e.split != "train"}
    assert held_out and not held_out & set(sides)  # evaluation groups never reach training
    assert all(len(s) == 1 for s in sides.values())  # one row per group: duplicates removed
    assert len(sides) == len(keys) - len(held_out)
    assert {s[0] for s in sides.values()} == {"train", "validation"}  # both sides are used


def test_a_small_validation_split_is_replaced_by_cross_validation(corpus_dir):
    # What decides is the validation split's size, not the data's: a corpus grown by moderators'
    # decisions keeps the method its thresholds were measured with.
    splits = split_examples(read_corpus(corpus_dir)[0], [], PARAMS)
    size = len(splits.validation)
    assert 0 < size < len(splits.train)
    for limit, method in ((size + 1, "5-fold out-of-fold"), (size, "validation split")):
        params = replace(PARAMS, cv_below_validation_rows=limit)
        _, _, metrics = fit(splits, params, progress=False)
        assert {m["method"] for m in metrics.values()} == {method}
