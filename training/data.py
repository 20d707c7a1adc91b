"""Reading labelled comments: the project's corpus and datasets in the unified JSONL format.

A label is 1 (the rule is broken), 0 (it is not) or None (the source does not say); None is never
read as 0."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from service.rules import RULES
from service.text.arabic import normalize_for_model

CORPUS_DIR = Path(__file__).resolve().parent / "corpus"
CORPUS_SOURCE = "corpus"
HARD_NEGATIVE = "hard_negative"  # the tag of a clean corpus comment on a sensitive topic
SPLITS = ("train", "dev", "test")


class DataError(ValueError):
    """A data file is unreadable or a row is malformed; the message names file and line."""


@dataclass(frozen=True)
class Example:
    """One labelled comment."""

    id: str
    text: str
    labels: dict[str, int | None]
    source: str
    split: str
    tags: tuple[str, ...] = field(default=())
    language: str | None = None  # the corpus's "lang" (darija, msa, fr, arabizi, mixed)

    def label(self, rule: str) -> int | None:
        return self.labels.get(rule)


def label_kind(example: Example) -> str:
    """Return "violating" (labelled as breaking a rule), "clean" (labelled, and breaking none of
    the rules it is labelled for) or "unlabelled"."""
    labels = [example.label(rule) for rule in RULES]
    if 1 in labels:
        return "violating"
    return "clean" if 0 in labels else "unlabelled"


@dataclass(frozen=True)
class DataSource:
    """A file read for training or evaluation, recorded in the model's metadata."""

    path: str
    sha256: str
    rows: int

    def to_dict(self) -> dict:
        return {"path": self.path, "sha256": self.sha256, "rows": self.rows}


def data_files(path: Path | str) -> list[Path]:
    """Return the JSONL files at ``path``: the file itself, or a folder's *.jsonl, sorted."""
    path = Path(path)
    if path.is_dir():
        files = sorted(path.glob("*.jsonl"))
        if not files:
            raise DataError(f"{path} holds no .jsonl files")
        return files
    if not path.is_file():
        raise DataError(f"{path} does not exist")
    return [path]


def read_jsonl(path: Path) -> tuple[list[Example], DataSource]:
    """Read one unified-format file; rows with no usable text are refused with their line."""
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise DataError(f"cannot read {path}: {error.strerror}") from error
    try:
        # utf-8-sig: a file saved by a spreadsheet or Notepad starts with a BOM, which the CSV
        # reader accepts too; json.loads would refuse it.
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise DataError(f"{path}:{line}: not UTF-8 (byte {raw[error.start]:#04x})") from error
    examples = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            examples.append(parse_row(json.loads(line), default_source=path.stem))
        except (ValueError, KeyError, TypeError) as error:
            raise DataError(f"{path}:{number}: {error}") from error
    source = DataSource(str(path), hashlib.sha256(raw).hexdigest(), len(examples))
    return examples, source


def parse_row(row: dict, default_source: str) -> Example:
    """Turn one JSON object of the unified format into an Example.

    :raise ValueError: naming what is wrong with the row.
    """
    if not isinstance(row, dict):
        raise ValueError("the line is not a JSON object")
    if "text" not in row:
        raise ValueError("'text' is missing")
    text = row["text"]
    if not isinstance(text, str) or not text.strip():
        raise ValueError("'text' must be a non-empty string")
    given = row.get("labels", {})
    if not isinstance(given, dict):
        raise ValueError(f"'labels' must be an object of rule: 0, 1 or null, not {given!r}")
    labels = {}
    for rule in RULES:
        value = given.get(rule)
        # true == 1 in Python, but a label written true is a file made by hand: say so.
        if isinstance(value, bool) or value not in (0, 1, None):
            raise ValueError(f"label {rule}={value!r} is not 0, 1 or null")
        labels[rule] = value
    source = row.get("source") or default_source
    split = row.get("split")
    if split in (None, ""):
        split = hash_split(text)
    elif split not in SPLITS:
        # A row in no known split would be neither trained on nor evaluated, silently.
        raise ValueError(f"split {split!r} is not one of {', '.join(SPLITS)} "
                         "(or null: a stable hash split)")
    return Example(str(row.get("id", "")), text, labels, source, split, tuple(row.get("tags", ())),
                   row.get("lang"))


def read_paths(paths: Iterable[Path | str]) -> tuple[list[Example], list[DataSource]]:
    """Read every file under ``paths``."""
    examples, sources = [], []
    for path in paths:
        for file in data_files(path):
            rows, source = read_jsonl(file)
            examples.extend(rows)
            sources.append(source)
    return examples, sources


def refuse_empty(sources: Iterable[DataSource]) -> None:
    """Refuse a file with no comment: most likely the wrong file, and going on without it would
    hide that.

    :raise DataError: naming every empty file.
    """
    empty = [source.path for source in sources if source.rows == 0]
    if empty:
        raise DataError(f"{', '.join(empty)} holds no comments")


def read_corpus(corpus_dir: Path = CORPUS_DIR) -> tuple[list[Example], list[DataSource]]:
    """Read the project's own hand-written corpus."""
    return read_paths([corpus_dir])


PROBE_SPLIT = "probe"
PROBE_CLEAN = "ok"


def read_probe(path: Path) -> list[Example]:
    """Read one blind probe of tests/model: ``label<TAB>text<TAB>note`` lines, ``#`` comments.

    The label is ``ok`` or the broken rules joined by ``+``; the reviewer labelled every comment
    by all three rules, so a rule not named is 0, not unknown.

    :raise DataError: naming the file and line of a malformed row.
    """
    examples = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        fields = line.split("\t")
        broken = set() if fields[0] == PROBE_CLEAN else set(fields[0].split("+"))
        if len(fields) != 3 or not fields[1].strip() or not broken <= set(RULES):
            raise DataError(f"{path}:{number}: expected {PROBE_CLEAN} or rules joined by +, "
                            "a comment and a note, separated by tabs")
        labels = {rule: int(rule in broken) for rule in RULES}
        examples.append(Example(f"{path.stem}:{number}", fields[1], labels, path.stem,
                                PROBE_SPLIT))
    return examples


def read_probes(folder: Path) -> list[Example]:
    """Read every probe (``*.tsv``) in ``folder``, in name order."""
    files = sorted(Path(folder).glob("*.tsv"))
    if not files:
        raise DataError(f"{folder} holds no .tsv probes")
    return [example for file in files for example in read_probe(file)]


_NON_LETTERS = re.compile(r"[\W\d_]+")


def dedup_key(text: str) -> str:
    """Return a key equal for comments that differ only in spelling noise, case, punctuation,
    digits, diacritics, elongation, mentions or URLs: near-duplicates share it."""
    return _NON_LETTERS.sub("", normalize_for_model(text).replace("USER", "").replace("URL", ""))


def hash_split(text: str, dev: int = 10, test: int = 10, salt: str = "") -> str:
    """Return a stable split for a text with no split of its own: 80/10/10 by default.

    ``salt`` draws another split of the same kind (training/resplit.py); "" is the one in use.
    """
    bucket = int(hashlib.sha256((dedup_key(text) + salt).encode()).hexdigest()[:8], 16) % 100
    return "test" if bucket < test else "dev" if bucket < test + dev else "train"


def in_validation(text: str, percent: int) -> bool:
    """Hold out ``percent``% of training texts for validation, by near-duplicate group."""
    key = dedup_key(text) + "#validation"
    return int(hashlib.sha256(key.encode()).hexdigest()[:8], 16) % 100 < percent


def deduplicate(examples: Iterable[Example]) -> list[Example]:
    """Keep the first example of each near-duplicate group (corpus rows come first)."""
    seen, kept = set(), []
    for example in examples:
        key = dedup_key(example.text) or example.text
        if key not in seen:
            seen.add(key)
            kept.append(example)
    return kept
