"""training.listcheck: what an edit to the keyword lists flags, counted by label, on real lists
read by the real matcher."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from service.keywords import KeywordMatcher
from training import listcheck
from training.data import Example

BASE_LISTS = {
    "insult.tsv": "suspect\tحمار\tdarija: donkey\nblock\tقحبة\tdarija: whore\n",
    "incitement.tsv": "block\tsale juif\tfr\n",
    "religion.tsv": "block\tنعل دين\tdarija\n",
    "allow.txt": "",
}


def write_lists(folder: Path, **changes: str) -> Path:
    folder.mkdir()
    for name, text in (BASE_LISTS | {k.replace("_", "."): v for k, v in changes.items()}).items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def comment(text: str, insult: int | None = 0, split: str = "train") -> Example:
    return Example("c", text, {"insult": insult, "incitement": 0, "religion": 0}, "test", split)


@pytest.fixture
def base(tmp_path) -> KeywordMatcher:
    return KeywordMatcher.from_directory(write_lists(tmp_path / "base"))


def edited(tmp_path, insult_tsv: str, allow_txt: str = "") -> KeywordMatcher:
    return KeywordMatcher.from_directory(
        write_lists(tmp_path / "edited", insult_tsv=insult_tsv, allow_txt=allow_txt))


def test_a_new_term_is_counted_by_the_label_of_each_comment_it_flags(base, tmp_path):
    lists = edited(tmp_path, BASE_LISTS["insult.tsv"] + "block\tقلاوي\tdarija: balls\n")
    change = listcheck.compare_lists(base, lists, [
        comment("الحكم قلاوي", insult=1),
        comment("قلاوي قلاوي قلاوي", insult=1),  # one comment, counted once
        comment("اشتريت قلاوي من السوق", insult=0),
        comment("قلاوي", insult=None),
        comment("مقال جيد", insult=0),
    ])
    assert change.comments == 5
    [effect] = change.terms
    assert (effect.rule, effect.level, effect.term) == ("insult", "block", "قلاوي")
    assert dict(effect.counts) == {"violating": 2, "clean": 1, "unlabelled": 1}
    assert effect.clean_examples == ["اشتريت قلاوي من السوق"]
    assert effect.raised == 0 and change.unflagged == {}


def test_raising_a_term_to_block_counts_the_comments_it_raises(base, tmp_path):
    lists = edited(tmp_path, "block\tحمار\tdarija: donkey\nblock\tقحبة\tdarija: whore\n")
    change = listcheck.compare_lists(base, lists, [
        comment("نتا حمار", insult=1), comment("الحمار فالدوار", insult=0),
        # already rejected for insult by another term: the raise changes nothing there
        comment("قحبة وحمار", insult=1),
    ])
    [effect] = change.terms
    assert (effect.level, effect.term, effect.raised) == ("block", "حمار", 2)
    assert dict(effect.counts) == {"violating": 1, "clean": 1}


def test_comments_an_edit_stops_flagging_are_counted(base, tmp_path):
    lists = edited(tmp_path, "block\tقحبة\tdarija: whore\n", allow_txt="")
    change = listcheck.compare_lists(base, lists, [
        comment("نتا حمار", insult=1), comment("الحمار فالدوار", insult=0),
        comment("قحبة", insult=1),
    ])
    assert change.terms == []
    assert dict(change.unflagged["insult"]) == {"violating": 1, "clean": 1}


def test_the_clean_comments_shown_are_capped(base, tmp_path):
    lists = edited(tmp_path, BASE_LISTS["insult.tsv"] + "suspect\tتيس\tdarija: billy goat\n")
    clean = [comment(f"التيس رقم {n} فالسوق") for n in range(5)]
    [effect] = listcheck.compare_lists(base, lists, clean, examples_per_term=2).terms
    assert effect.counts["clean"] == 5 and len(effect.clean_examples) == 2


@pytest.fixture
def command_files(tmp_path) -> dict[str, Path]:
    write_lists(tmp_path / "base")
    write_lists(tmp_path / "edited",
                insult_tsv=BASE_LISTS["insult.tsv"] + "block\tقلاوي\tdarija: balls\n")
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    rows = [("قلاوي عليك", 1, "train"), ("بغيت نشري قلاوي", 0, "train"),
            ("الحكم قلاوي", 1, "test")]  # a held-out comment: not read by default
    with (corpus / "part.jsonl").open("w", encoding="utf-8") as handle:
        for text, insult, split in rows:
            handle.write(json.dumps({"text": text, "split": split, "labels": {
                "insult": insult, "incitement": 0, "religion": 0}}, ensure_ascii=False) + "\n")
    data = tmp_path / "public.jsonl"
    data.write_text(json.dumps({"text": "يا قلاوي", "split": "train", "labels": {
        "insult": None, "incitement": None, "religion": None}}, ensure_ascii=False) + "\n",
        encoding="utf-8")
    return {"base": tmp_path / "base", "edited": tmp_path / "edited", "corpus": corpus,
            "data": data}


def test_the_command_prints_the_counts_and_the_clean_comments(command_files, capsys):
    status = listcheck.main([
        "--keywords", str(command_files["edited"]), "--base", str(command_files["base"]),
        "--corpus-dir", str(command_files["corpus"]), "--data", str(command_files["data"])])
    out = capsys.readouterr().out
    assert status == 0
    assert out.splitlines()[0] == "comments read: 3"
    [row] = [line for line in out.splitlines() if line.endswith("  قلاوي")]
    assert row.split() == ["insult", "block", "1", "1", "1", "0", "قلاوي"]
    assert "  insult قلاوي: بغيت نشري قلاوي" in out


def test_the_command_reads_other_splits_when_asked(command_files, capsys):
    listcheck.main(["--keywords", str(command_files["edited"]),
                    "--base", str(command_files["base"]),
                    "--corpus-dir", str(command_files["corpus"]), "--splits", "test"])
    out = capsys.readouterr().out
    assert out.splitlines()[0] == "comments read: 1"
    assert "clean comments matched" not in out


def test_a_broken_list_is_a_one_line_error(command_files, tmp_path, capsys):
    broken = write_lists(tmp_path / "broken", insult_tsv="blok\tقحبة\n")
    status = listcheck.main(["--keywords", str(broken), "--base", str(command_files["base"]),
                             "--corpus-dir", str(command_files["corpus"])])
    err = capsys.readouterr().err
    assert status == 2
    assert err.startswith("error: ") and "insult.tsv:1" in err and "Traceback" not in err


def test_a_missing_list_folder_is_a_one_line_error(command_files, tmp_path, capsys):
    status = listcheck.main(["--keywords", str(tmp_path / "nowhere"),
                             "--corpus-dir", str(command_files["corpus"])])
    assert status == 2
    assert "missing keyword list" in capsys.readouterr().err


def test_an_empty_selection_is_refused(command_files):
    with pytest.raises(SystemExit) as exit_info:
        listcheck.main(["--keywords", str(command_files["edited"]),
                        "--corpus-dir", str(command_files["corpus"]), "--splits", "dev"])
    assert exit_info.value.code == 2
