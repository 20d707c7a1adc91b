"""The evaluation report: written with every version, readable, images embedded, text escaped."""

from __future__ import annotations

import base64
import json
import re
import shutil

from markupsafe import escape

from service.keywords import DEFAULT_KEYWORD_DIR, KeywordMatcher
from service.model import load_artifact
from service.rules import RULES
from service.scoring import Moderator
from tests.retrain.conftest import PARAMS
from training.data import parse_row, read_corpus
from training.registry import main as registry_main
from training.report import EVALUATION_FILE, REPORT_FILE, write_report
from training.train import train
from training.verdicts import CHANGES, diff_verdicts


def moderator(model) -> Moderator:
    return Moderator(load_artifact(model), KeywordMatcher.from_directory(DEFAULT_KEYWORD_DIR))

XSS = "<script>alert('x')</script> <img src=x onerror=alert(1)> تعليق"


def copy_of(model, folder):
    """A copy of a version folder, for a report written outside the registry."""
    shutil.copytree(model, folder)
    return folder


def images(html: str) -> list[bytes]:
    return [
        base64.b64decode(m)
        for m in re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', html)
    ]


def test_training_writes_the_report_inside_the_published_version(models):
    good = models["good"]
    html = (good / REPORT_FILE).read_text(encoding="utf-8")
    assert good.name in html
    pictures = images(html)
    assert len(pictures) == 3 and all(p.startswith(b"\x89PNG\r\n\x1a\n") for p in pictures)
    for section in (
        "Comparison with the current model",
        "Per dataset",
        "Per script",
        "Thresholds",
        "Worst errors",
        "Precision–recall curves",
    ):
        assert section in html
    evaluation = json.loads((good / EVALUATION_FILE).read_text(encoding="utf-8"))
    assert evaluation["model_version"] == good.name and set(evaluation["rules"]) == set(RULES)
    # The store's current model was "weak" (trained first): "good" is compared with it.
    assert evaluation["compared_with"] == models["weak"].name
    assert models["weak"].name in html
    assert not [p for p in good.parent.iterdir() if p.name.startswith(".staging")]


def test_comment_text_is_escaped_and_reads_in_its_own_direction(models, hand_rows, tmp_path):
    version = copy_of(models["good"], tmp_path / "version")
    rows = [parse_row({**r, "split": "test"}, "hand") for r in hand_rows[:30]]
    # Labelled with every rule, so it is a false negative of at least one.
    rows.append(
        parse_row(
            {"id": "xss", "text": XSS, "split": "test", "labels": dict.fromkeys(RULES, 1)}, "site"
        )
    )
    html = write_report(version, rows).read_text(encoding="utf-8")
    assert "<script>alert" not in html and "<img src=x" not in html
    assert (
        "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &lt;img src=x onerror=alert(1)&gt;" in html
    )
    assert re.search(r'<td class="text" dir="auto">&lt;script&gt;', html)
    assert "No comparison" in html  # no current model given


def test_a_report_can_be_written_again_for_an_existing_version(make_registry, models, corpus_dir):
    registry = make_registry("weak", "good", current="good")
    weak = registry / models["weak"].name
    (weak / REPORT_FILE).unlink()
    assert (
        registry_main(
            [
                "report",
                weak.name,
                "--models",
                str(registry),
                "--corpus-dir",
                str(corpus_dir),
                "--no-progress",
            ]
        )
        == 0
    )
    html = (weak / REPORT_FILE).read_text(encoding="utf-8")
    evaluation = json.loads((weak / EVALUATION_FILE).read_text(encoding="utf-8"))
    assert evaluation["compared_with"] == models["good"].name  # today's current model
    assert f"Current model: <code>{models['good'].name}</code>" in html


def test_train_time_report_can_be_skipped(tmp_path, corpus_dir):
    version = train(
        [], tmp_path / "models", PARAMS, progress=False, corpus_dir=corpus_dir, report=False
    )
    assert not (version / REPORT_FILE).exists()


def test_the_report_shows_the_comments_whose_verdict_the_switch_changes(models, corpus_dir,
                                                                          tmp_path):
    version = copy_of(models["good"], tmp_path / "version")
    rows = [e for e in read_corpus(corpus_dir)[0] if e.split == "test"]
    rows.append(parse_row({"text": XSS, "split": "test", "labels": dict.fromkeys(RULES, 0)},
                          "site"))
    html = write_report(version, rows, current_dir=models["weak"]).read_text(encoding="utf-8")
    # The same counts as the service path gives on its own.
    diff = diff_verdicts(moderator(models["weak"]), moderator(models["good"]), rows)
    assert diff.changed, "the weak and the good model should disagree on some comments"
    evaluation = json.loads((version / EVALUATION_FILE).read_text(encoding="utf-8"))
    assert evaluation["verdict_changes"]["held"] == {
        side: dict(counts) for side, counts in diff.held.items()}
    section = html.split('id="verdicts"')[1].split('id="overall"')[0]
    for kind in ("clean", "violating"):
        for change in CHANGES[kind]:
            count = diff.count(kind, change)
            assert evaluation["verdict_changes"]["changes"][f"{kind}: {change}"] == count
            assert f"<h3>{kind} comments {change}: {count}</h3>" in section
    shown = diff.changed[0]
    assert escape(shown.example.text) in section
    assert "<script>alert" not in html


def test_a_report_without_a_current_model_says_so_in_place_of_verdict_changes(models, tmp_path,
                                                                               hand_rows):
    version = copy_of(models["good"], tmp_path / "version")
    rows = [parse_row({**r, "split": "test"}, "hand") for r in hand_rows[:30]]
    html = write_report(version, rows).read_text(encoding="utf-8")
    assert "No current model to compare verdicts with" in html
    assert json.loads((version / EVALUATION_FILE).read_text(encoding="utf-8"))[
        "verdict_changes"] is None
