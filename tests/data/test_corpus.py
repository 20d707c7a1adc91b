"""The project's hand-written corpus: the data the default model is built from."""

import json
from collections import Counter
from pathlib import Path

import pytest

from service.rules import RULES
from training.data import CORPUS_DIR, dedup_key, read_corpus

LANGS = {"msa", "darija", "arabizi", "fr", "mixed"}
SHARED_UNIFIED = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "unified"


@pytest.fixture(scope="module")
def rows():
    rows = []
    for path in sorted(CORPUS_DIR.glob("*.jsonl")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if line.strip():
                rows.append((f"{path.name}:{number}", json.loads(line)))
    return rows


def test_rows_have_the_unified_shape(rows):
    for where, row in rows:
        assert {"id", "text", "source", "lang", "labels"} <= set(row), where
        assert row["source"] == "corpus", where
        assert row["lang"] in LANGS, where
        assert set(row["labels"]) == set(RULES), where
        assert all(row["labels"][r] in (0, 1) for r in RULES), (
            f"{where}: corpus labels are never null"
        )
        assert isinstance(row["text"], str) and row["text"].strip(), where


def test_size_and_balance(rows):
    labels = [row["labels"] for _, row in rows]
    assert len(rows) >= 3000
    clean = sum(1 for lab in labels if not any(lab.values()))
    assert clean >= len(rows) / 2
    for rule in RULES:
        assert sum(lab[rule] for lab in labels) >= 300, rule


def test_every_language_is_well_represented(rows):
    langs = Counter(row["lang"] for _, row in rows)
    for lang in ("msa", "darija", "arabizi", "fr"):
        assert langs[lang] >= 300, langs


def test_hard_negatives_are_plentiful(rows):
    hard = [row for _, row in rows if "hard_negative" in row.get("tags", [])]
    assert len(hard) >= 800
    assert all(not any(row["labels"].values()) for row in hard), (
        "a hard negative is clean by definition"
    )


def test_ids_and_texts_are_unique(rows):
    ids = Counter(row["id"] for _, row in rows)
    assert [i for i, n in ids.items() if n > 1] == []
    keys = Counter(dedup_key(row["text"]) for _, row in rows)
    assert [k for k, n in keys.items() if n > 1] == [], "near-duplicate texts in the corpus"


def test_arabic_script_share(rows):
    arabic = sum(1 for _, row in rows if any("\u0600" <= ch <= "\u06ff" for ch in row["text"]))
    assert arabic / len(rows) > 0.4


def test_splits_leave_a_held_out_test_set():
    examples, _ = read_corpus()
    splits = Counter(e.split for e in examples)
    assert splits["test"] >= 0.07 * len(examples)
    assert splits["dev"] >= 0.07 * len(examples)


@pytest.mark.skipif(
    not SHARED_UNIFIED.is_dir(), reason="the shared datasets are not beside the project"
)
def test_no_public_dataset_text_is_copied(rows):
    ours = {row["text"].strip() for _, row in rows}
    for path in SHARED_UNIFIED.glob("*.jsonl"):
        with path.open(encoding="utf-8") as handle:
            copied = [t for t in (json.loads(line)["text"].strip() for line in handle) if t in ours]
        assert copied == [], f"{path.name}: {copied[:3]}"
