"""The blind audit (blind_audit.tsv): a reviewer who had read neither the corpus nor the lists
wrote 270 comments as this site's readers write them, clean ones with every hard case the rules
allow, and violations in every language, some disguised; the 257 kept are those that occur
neither in the corpus nor in a public dataset. A candidate model must hold few of the
clean ones and catch most of the violations, with the shipped lists.

The bounds are the targets of issue 2 for the corpus (at most 2% of clean comments held) and a
floor on recall under what models have reached (the model of 2026-11-29 held none of the clean
comments and let 3 of the 86 violations through). Two fixes came from reading this set's errors
(end-masked words, calls to deny a group its rights), so it is no longer blind to those."""

from pathlib import Path

import pytest

AUDIT = Path(__file__).with_name("blind_audit.tsv")


@pytest.fixture(scope="module")
def audit() -> list[tuple[str, str]]:
    rows = []
    for line in AUDIT.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            label, text, _note = line.split("\t")
            rows.append((label, text))
    return rows


@pytest.fixture(scope="module")
def verdicts(moderator, audit) -> list[tuple[str, str, str]]:
    decisions = moderator.score_batch([text for _, text in audit])
    return [(label, text, d.verdict) for (label, text), d in zip(audit, decisions, strict=True)]


def test_the_audit_is_what_it_says(audit):
    labels = [label for label, _ in audit]
    assert len(audit) >= 250 and labels.count("ok") >= 150
    assert all(label == "ok" or set(label.split("+")) <= {"insult", "incitement", "religion"}
               for label in labels)


def test_few_clean_comments_are_held(verdicts):
    held = [text for label, text, verdict in verdicts if label == "ok" and verdict != "approve"]
    clean = sum(label == "ok" for label, _, _ in verdicts)
    assert len(held) <= 0.02 * clean, held


def test_most_violations_are_caught(verdicts):
    missed = [text for label, text, verdict in verdicts if label != "ok" and verdict == "approve"]
    violations = sum(label != "ok" for label, _, _ in verdicts)
    assert len(missed) <= 0.10 * violations, missed
