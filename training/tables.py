"""Reading labelled comments from CSV/TSV files with a column mapping given on the command line.

    python -m training.train --table PATH --text-column comment \\
        --label insult=is_offensive --label incitement=hate [--split-column split]

A label cell reads 1/true/yes as 1, 0/false/no as 0 and an empty cell as null (the file says
nothing about that rule for that row); anything else is refused with the file and line. Rules
with no mapped column are null for every row: a missing column is never read as 0."""

from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass, field
from pathlib import Path

from service.rules import RULES
from training.data import SPLITS, DataError, DataSource, Example, hash_split

_TRUE = frozenset({"1", "1.0", "true", "yes", "y"})
_FALSE = frozenset({"0", "0.0", "false", "no", "n"})


@dataclass(frozen=True)
class TableSpec:
    """A CSV/TSV file and how its columns map onto comments and rules."""

    path: Path
    text_column: str = "text"
    labels: dict[str, str] = field(default_factory=dict)  # rule -> column
    split_column: str | None = None
    id_column: str | None = None
    source: str | None = None  # default: the file's stem

    def to_dict(self) -> dict:
        return {
            "path": str(self.path),
            "text_column": self.text_column,
            "labels": dict(self.labels),
            "split_column": self.split_column,
            "id_column": self.id_column,
            "source": self.source_name,
        }

    @property
    def source_name(self) -> str:
        return self.source or self.path.stem


def parse_label_value(cell: str | None) -> int | None:
    """Return 1, 0 or None for a label cell.

    :raise ValueError: when the cell is none of 1/0/true/false/yes/no/empty.
    """
    value = (cell or "").strip().lower()
    if not value:
        return None
    if value in _TRUE:
        return 1
    if value in _FALSE:
        return 0
    raise ValueError(f"label value {cell!r} is not 1/0/true/false/yes/no or empty")


def parse_label_mapping(items: list[str]) -> dict[str, str]:
    """Turn ``["insult=is_offensive", ...]`` into ``{"insult": "is_offensive", ...}``.

    :raise ValueError: on a malformed item, an unknown rule or a rule mapped twice.
    """
    mapping: dict[str, str] = {}
    for item in items:
        rule, sep, column = item.partition("=")
        rule, column = rule.strip(), column.strip()
        if not sep or not rule or not column:
            raise ValueError(f"--label {item!r}: expected RULE=COLUMN, e.g. insult=is_offensive")
        if rule not in RULES:
            raise ValueError(
                f"--label {item!r}: unknown rule {rule!r}; the rules are {', '.join(RULES)}"
            )
        if rule in mapping:
            raise ValueError(f"--label: rule {rule!r} is mapped twice")
        mapping[rule] = column
    return mapping


def delimiter_for(path: Path) -> str:
    """Tab for .tsv/.tab files, comma otherwise."""
    return "\t" if path.suffix.lower() in (".tsv", ".tab") else ","


def read_table(spec: TableSpec) -> tuple[list[Example], DataSource]:
    """Read one CSV/TSV file through its column mapping.

    :raise DataError: when the file or a mapped column is missing, or a row is malformed
        (the message names file and line).
    """
    if not spec.labels:
        raise DataError(f"{spec.path}: map at least one rule to a column with --label RULE=COLUMN")
    try:
        raw = spec.path.read_bytes()
    except OSError as error:
        raise DataError(f"cannot read {spec.path}: {error}") from error
    reader = csv.DictReader(
        io.StringIO(raw.decode("utf-8-sig"), newline=""), delimiter=delimiter_for(spec.path)
    )
    header = reader.fieldnames or []
    wanted = [spec.text_column, *spec.labels.values(), spec.split_column, spec.id_column]
    missing = [c for c in wanted if c is not None and c not in header]
    if missing:
        raise DataError(
            f"{spec.path}: no column {', '.join(map(repr, missing))}; "
            f"the columns are {', '.join(map(repr, header))}"
        )
    examples = []
    for row in reader:
        line = reader.line_num
        try:
            examples.append(_example(spec, row, line))
        except ValueError as error:
            raise DataError(f"{spec.path}:{line}: {error}") from error
    source = DataSource(str(spec.path), hashlib.sha256(raw).hexdigest(), len(examples))
    return examples, source


def _example(spec: TableSpec, row: dict[str, str | None], line: int) -> Example:
    text = row.get(spec.text_column) or ""
    if not text.strip():
        raise ValueError(f"column {spec.text_column!r} is empty")
    labels = {rule: None for rule in RULES}
    for rule, column in spec.labels.items():
        labels[rule] = parse_label_value(row.get(column))
    split = (row.get(spec.split_column) or "").strip().lower() if spec.split_column else ""
    if split and split not in SPLITS:
        raise ValueError(f"split {split!r} is not one of {', '.join(SPLITS)}")
    identifier = (row.get(spec.id_column) or "").strip() if spec.id_column else ""
    return Example(
        f"{spec.source_name}:{identifier or line}",
        text,
        labels,
        spec.source_name,
        split or hash_split(text),
    )


def read_tables(specs: list[TableSpec]) -> tuple[list[Example], list[DataSource]]:
    """Read every table."""
    examples, sources = [], []
    for spec in specs:
        rows, source = read_table(spec)
        examples.extend(rows)
        sources.append(source)
    return examples, sources
