"""Moderators' decisions as training labels, and how they win over every other source.

Decisions come from a file written by ``python -m training.export`` (unified JSONL, one comment a
line) or straight from the queue's database through ``training.export.export_rows``. They are
read with these rules:

- approved (every rule 0): every rule 0;
- rejected with rules (some rule 1): those rules 1 and the other rules null. A moderator who names
  the rule a comment breaks has not said the others are absent (the export writes them as null;
  a file exported with ``--unnamed-rules zero`` is read the same way here);
- rejected with no rule (a row with no 1 and no 0): no per-rule label, so no training row; the
  text is still taken out of the other sources' training rows, since a person said their labels
  were wrong (the export leaves such rejections out, so this only concerns hand-made files);
- a comment's latest decision wins: among rows of the same comment id, or of near-duplicate texts
  (``dedup_key``), the later line of the file (the export writes one line per comment, carrying
  its latest decision) or the later row from the database wins.

A decision replaces the *training* rows of any other source with the same text (exact or near
copy). Evaluation rows (dev/test splits) are never replaced: their text stays held out of
training, so the evaluation remains fair even when a moderator decided the same comment."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path

from service.rules import RULES
from training.data import DataSource, Example, dedup_key, read_jsonl

DECISIONS_SOURCE = "site"


def decision_labels(labels: dict[str, int | None]) -> dict[str, int | None] | None:
    """Return the per-rule labels a decision gives, or None when it gives none."""
    if any(labels.get(rule) == 1 for rule in RULES):
        return {rule: 1 if labels.get(rule) == 1 else None for rule in RULES}
    if any(labels.get(rule) == 0 for rule in RULES):
        return {rule: labels.get(rule) for rule in RULES}
    return None


def _key(example: Example) -> str:
    return dedup_key(example.text) or example.text


def latest_decisions(rows: Iterable[Example]) -> tuple[list[Example], set[str]]:
    """Return (one labelled example per decided text, the dedup keys of every decided text).

    Later rows win over earlier ones with the same comment id or the same dedup key; rejections
    with no rule give a key but no example.
    """
    winners: dict[str, Example] = {}
    key_of_id: dict[str, str] = {}
    for row in rows:
        key = _key(row)
        previous_key = key_of_id.get(row.id) if row.id else None
        if previous_key is not None and previous_key != key:
            winners.pop(previous_key, None)  # the comment's text changed: its old row is stale
        winners.pop(key, None)  # re-insert so the dict keeps the order of the winning rows
        winners[key] = row
        if row.id:
            key_of_id[row.id] = key
    labelled = []
    for row in winners.values():
        labels = decision_labels(row.labels)
        if labels is not None:
            labelled.append(replace(row, labels=labels))
    return labelled, set(winners)


def apply_decisions(
    corpus: list[Example], external: list[Example], decisions: Iterable[Example]
) -> tuple[list[Example], list[Example]]:
    """Return (corpus, external) with decisions in place of other sources' training rows.

    Training rows of the corpus and of external sources whose text (or a near copy of it) was
    decided are dropped; the decisions come first among the external rows, so de-duplication keeps
    them. Rows of dev/test splits are kept as they are.
    """
    labelled, decided = latest_decisions(decisions)

    def keep(example: Example) -> bool:
        return example.split != "train" or _key(example) not in decided

    return [e for e in corpus if keep(e)], labelled + [e for e in external if keep(e)]


def read_decision_files(paths: Iterable[Path]) -> tuple[list[Example], list[DataSource]]:
    """Read exported decision files (unified JSONL), in the order given."""
    examples, sources = [], []
    for path in paths:
        rows, source = read_jsonl(Path(path))
        examples.extend(rows)
        sources.append(source)
    return examples, sources


def read_decision_database(url: str) -> tuple[list[Example], DataSource]:
    """Read the decisions straight from the queue's database through training.export.

    Rejections' unnamed rules are read as null (``unnamed_rules=None``); see the module docstring.
    """
    from sqlalchemy.engine import make_url

    from training.data import parse_row
    from training.export import export_rows

    examples, digest = [], hashlib.sha256()
    for _kind, row in export_rows(url, unnamed_rules=None):
        if row is None:
            continue
        digest.update(json.dumps(row, ensure_ascii=False, sort_keys=True).encode())
        examples.append(parse_row(row, default_source=DECISIONS_SOURCE))
    shown = make_url(url).render_as_string(hide_password=True)
    return examples, DataSource(shown, digest.hexdigest(), len(examples))
