"""Moderators' decisions exported as labels that training.train reads."""

import json
import subprocess
import sys

from service.rules import RULES
from tests.conftest import FIXTURES
from tests.queue.conftest import BLOCKED, CLEAN, SUSPECT, both_backends
from tests.servers import ROOT
from training.data import read_paths
from training.decisions import latest_decisions, read_decision_files
from training.export import write_export
from training.train import TrainingParams, train


def decide_some(site, moderator, admin):
    site.submit("approved", SUSPECT + " 1")
    site.submit("rejected", SUSPECT + " 2")
    site.submit("reversed", SUSPECT + " 3")
    site.submit("no-rule", SUSPECT + " 4")
    site.submit("system-only", BLOCKED)
    site.submit("untouched", CLEAN)
    site.submit("confirmed", BLOCKED + " 5")
    moderator.decide("approved", "approve")
    moderator.decide("rejected", "reject", rules=["insult", "religion"])
    moderator.decide("reversed", "reject", rules=["insult"])
    admin.decide("reversed", "approve")
    moderator.decide("no-rule", "reject")
    moderator.decide("confirmed", "reject", rules=["insult"])


@both_backends
def test_export_writes_human_decisions_as_labels(site, moderator, admin, db_url, tmp_path):
    decide_some(site, moderator, admin)
    out = tmp_path / "labels.jsonl"
    counts = write_export(db_url, out)
    rows = {row["id"]: row for row in map(json.loads, out.read_text(encoding="utf-8").splitlines())}
    assert set(rows) == {"site:approved", "site:rejected", "site:reversed", "site:confirmed"}
    assert rows["site:approved"]["labels"] == dict.fromkeys(RULES, 0)
    # A rejection says nothing about the rules it did not name.
    assert rows["site:rejected"]["labels"] == {"insult": 1, "incitement": None, "religion": 1}
    assert rows["site:reversed"]["labels"] == dict.fromkeys(RULES, 0)  # the latest decision wins
    assert rows["site:confirmed"]["orig_label"] == "reject:insult"
    row = rows["site:rejected"]
    assert row["text"] == SUSPECT + " 2" and row["source"] == "site"
    assert row["split"] in ("train", "dev", "test")
    assert counts == {"approved": 2, "rejected": 2, "no_rule": 1}


def test_unnamed_rules_can_be_read_as_absent_and_the_split_forced(site, moderator, admin, db_url,
                                                                   tmp_path):
    decide_some(site, moderator, admin)
    out = tmp_path / "labels.jsonl"
    write_export(db_url, out, unnamed_rules=0, split="train")
    rows = {row["id"]: row for row in map(json.loads, out.read_text(encoding="utf-8").splitlines())}
    assert rows["site:rejected"]["labels"] == {"insult": 1, "incitement": 0, "religion": 1}
    assert {row["split"] for row in rows.values()} == {"train"}


def test_the_command_line_and_training_accept_the_export(site, moderator, admin, db_url, tmp_path):
    decide_some(site, moderator, admin)
    out = tmp_path / "labels.jsonl"
    result = subprocess.run([sys.executable, "-m", "training.export", "--out", str(out),
                             "--database-url", db_url, "--split", "train"],
                            cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "wrote 4 labelled comments" in result.stderr
    examples, sources = read_paths([out])
    assert len(examples) == 4 and sources[0].rows == 4
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "tiny.jsonl").write_bytes((FIXTURES / "tiny_corpus.jsonl").read_bytes())
    registry = tmp_path / "models"
    train([], registry, TrainingParams(min_df=1, max_features=20_000), progress=False,
          corpus_dir=corpus, decisions=[out])
    version = (registry / "current").read_text().strip()
    metadata = json.loads((registry / version / "metadata.json").read_text())
    assert any(source["path"] == str(out) for source in metadata["data_sources"])


def test_two_sites_exports_keep_both_sites_decisions(site, moderator, admin, db_url, tmp_path):
    # Without a site name both exports say "site:c-1", and training reads one id with two texts
    # as one comment edited: the first site's decision would vanish.
    site.submit("c-1", SUSPECT + " 1")
    moderator.decide("c-1", "reject", rules=["insult"])
    first, second = tmp_path / "hespress.jsonl", tmp_path / "le360.jsonl"
    write_export(db_url, first, site="hespress")
    lines = first.read_text(encoding="utf-8").replace("hespress", "le360")
    second.write_text(lines.replace(SUSPECT + " 1", CLEAN), encoding="utf-8")
    rows, _ = read_decision_files([first, second])
    labelled, _ = latest_decisions(rows)
    assert sorted(e.id for e in labelled) == ["site:hespress:c-1", "site:le360:c-1"]
    result = subprocess.run([sys.executable, "-m", "training.export", "--out", str(first),
                             "--database-url", db_url, "--site", "bad name"],
                            cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 2 and "--site" in result.stderr
