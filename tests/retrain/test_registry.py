"""The registry: promotion only for a candidate at least as good as the current model and passing
the behavioural gate (or forced, with a reason on record); rollback; list; history."""

from __future__ import annotations

import json
import os
import re
import shutil
import threading
import time

import pytest

from service.model import ARTIFACT_FILE, CURRENT_POINTER, ArtifactError, load_artifact
from tests.retrain.conftest import GATE, PARAMS
from tests.servers import wait_until
from training.registry import (
    DEFAULT_GATE,
    HISTORY_FILE,
    RegistryError,
    main,
    promote,
    read_current,
    read_history,
    registry_lock,
    rollback,
    run_gate,
    set_current,
    version_stack,
)
from training.train import train


@pytest.fixture(autouse=True)
def user(monkeypatch):
    monkeypatch.setenv("USER", "salma")


def cli(registry, corpus_dir, *args) -> int:
    return main(
        [
            args[0],
            *args[1:],
            "--models",
            str(registry),
            *(
                ["--corpus-dir", str(corpus_dir), "--gate", str(GATE), "--no-progress"]
                if args[0] == "promote"
                else []
            ),
        ]
    )


def test_a_candidate_as_good_as_the_current_model_is_promoted(
    make_registry, models, corpus_dir, capsys
):
    registry = make_registry("weak", "good")
    assert cli(registry, corpus_dir, "promote", models["good"].name) == 0
    assert read_current(registry) == models["good"].name
    out = capsys.readouterr().out
    assert (
        "behavioural tests: passed" in out
        and f"promoted: {models['good'].name} is now current" in out
    )

    (entry,) = read_history(registry)
    assert entry["action"] == "promote" and entry["user"] == "salma"
    assert (entry["from"], entry["to"]) == (models["weak"].name, models["good"].name)
    assert entry["forced"] is False and entry["reason"] is None and entry["overruled"] == []
    assert entry["at"].endswith("Z") and entry["gate"]["passed"] is True
    assert set(entry["metrics"]["candidate"]) == {"insult", "incitement", "religion"}
    assert (
        entry["metrics"]["candidate"]["insult"]["f1"]
        >= entry["metrics"]["current"]["insult"]["f1"] - 0.02
    )


def test_a_candidate_worse_than_the_current_model_is_not_promoted(
    make_registry, models, corpus_dir, capsys
):
    registry = make_registry("good", "shuffled")
    pointer_before = (registry / "current").stat()
    assert cli(registry, corpus_dir, "promote", models["shuffled"].name) == 1
    out = capsys.readouterr().out
    assert "NOT promoted" in out
    for rule in ("insult", "incitement", "religion"):
        assert f"{rule}: f1 " in out  # every rule fell below the current model's
    assert read_current(registry) == models["good"].name
    assert (registry / "current").stat().st_mtime_ns == pointer_before.st_mtime_ns
    assert read_history(registry) == []


@pytest.mark.slow
def test_the_shipped_model_passes_the_gate_it_will_be_held_to():
    # Known failures (xfail) are reported, not required: with them required, as the gate once
    # ran (--runxfail), no candidate could be promoted, not even a copy of the shipped model.
    shipped = DEFAULT_GATE.parents[1] / "models"
    gate = run_gate(shipped)
    assert gate.passed, gate.summary
    assert "xfailed" in gate.summary or "xpassed" in gate.summary


def test_the_behavioural_gate_alone_blocks_a_promotion(make_registry, models, corpus_dir):
    # The production behavioural suite (tests/model) asks more than a model of 300 hand-made
    # comments knows: the candidate is as good as the current one, but the gate fails.
    registry = make_registry("weak", "good")
    promotion = promote(
        registry, models["good"].name, corpus_dir=corpus_dir, gate_paths=[DEFAULT_GATE]
    )
    assert all(c.passed for c in promotion.comparisons)
    assert not promotion.gate.passed and not promotion.promoted
    assert promotion.failures == [f"behavioural tests failed: {promotion.gate.summary}"]
    assert "failed" in promotion.gate.summary
    assert read_current(registry) == models["weak"].name


def test_a_forced_promotion_records_its_reason_and_what_it_overruled(
    make_registry, models, corpus_dir, capsys
):
    registry = make_registry("good", "shuffled")
    reason = "incident 42: the old model blocks every comment about the elections"
    assert (
        cli(registry, corpus_dir, "promote", models["shuffled"].name, "--force", "--reason", reason)
        == 0
    )
    assert read_current(registry) == models["shuffled"].name
    assert "FORCED over" in capsys.readouterr().out
    (entry,) = read_history(registry)
    assert entry["forced"] is True and entry["reason"] == reason and entry["user"] == "salma"
    assert any("below the current model" in f for f in entry["overruled"])
    assert any("behavioural tests failed" in f for f in entry["overruled"])


def test_force_needs_a_reason(make_registry, models, corpus_dir, capsys):
    registry = make_registry("good", "shuffled")
    assert cli(registry, corpus_dir, "promote", models["shuffled"].name, "--force") == 2
    assert "--force needs --reason" in capsys.readouterr().err
    assert read_current(registry) == models["good"].name


def test_a_renamed_copy_of_a_version_cannot_be_promoted_nor_served(make_registry, models,
                                                                   corpus_dir):
    # Running workers refuse a folder whose model is another version; promote and a starting
    # worker must refuse it too, or the registry and the workers disagree on what serves.
    registry = make_registry("weak", "good")
    copy = registry / "20261129T100002Z-renamed"
    shutil.copytree(registry / models["good"].name, copy)
    with pytest.raises(RegistryError, match="holds model .*, not 20261129T100002Z-renamed"):
        promote(registry, copy.name, corpus_dir=corpus_dir, gate_paths=[GATE], force=True,
                reason="it is the same model")
    assert read_current(registry) == models["weak"].name
    (registry / CURRENT_POINTER).write_text(copy.name + "\n", encoding="utf-8")
    with pytest.raises(ArtifactError, match="a copied or renamed version folder"):
        load_artifact(registry)


def test_a_damaged_candidate_cannot_be_promoted_even_forced(make_registry, models, corpus_dir):
    registry = make_registry("weak", "good")
    artifact = registry / models["good"].name / ARTIFACT_FILE
    artifact.write_bytes(artifact.read_bytes()[:-100])
    with pytest.raises(RegistryError, match="cannot serve, forced or not.*damaged"):
        promote(
            registry,
            models["good"].name,
            corpus_dir=corpus_dir,
            gate_paths=[GATE],
            force=True,
            reason="trust me",
        )
    assert read_current(registry) == models["weak"].name and read_history(registry) == []


@pytest.mark.parametrize("name", ["../good", ".staging-x", "nope", ""])
def test_only_versions_of_the_registry_can_be_promoted(make_registry, corpus_dir, name):
    registry = make_registry("weak")
    with pytest.raises(RegistryError, match="is not a model version"):
        promote(registry, name, corpus_dir=corpus_dir, gate_paths=[GATE])


def test_rollback_walks_back_through_the_promotions(make_registry, models, corpus_dir, capsys):
    weak, good, shuffled = (models[n].name for n in ("weak", "good", "shuffled"))
    registry = make_registry("weak", "good", "shuffled")
    assert cli(registry, corpus_dir, "promote", good) == 0
    assert cli(registry, corpus_dir, "promote", shuffled, "--force", "--reason", "test") == 0

    assert cli(registry, corpus_dir, "rollback") == 0
    assert read_current(registry) == good
    assert cli(registry, corpus_dir, "rollback") == 0
    assert read_current(registry) == weak
    assert cli(registry, corpus_dir, "rollback") == 2  # nothing before the first version
    assert "nothing to roll back to" in capsys.readouterr().err

    history = read_history(registry)
    assert [(e["action"], e["from"], e["to"]) for e in history] == [
        ("promote", weak, good),
        ("promote", good, shuffled),
        ("rollback", shuffled, good),
        ("rollback", good, weak),
    ]
    assert all(e["user"] == "salma" and e["at"] for e in history)
    assert history[2]["metrics"]["insult"]["f1"] is not None  # the target's recorded figures


def test_rollback_after_a_hand_edited_pointer_returns_to_what_the_registry_set(
    make_registry, models, corpus_dir
):
    registry = make_registry("weak", "good", "shuffled")
    assert cli(registry, corpus_dir, "promote", models["good"].name) == 0
    set_current(registry, models["shuffled"].name)  # by hand, outside the registry
    entry = rollback(registry, reason="someone edited the pointer")
    assert (entry["from"], entry["to"]) == (models["shuffled"].name, models["good"].name)
    assert read_current(registry) == models["good"].name


def test_version_stack_replays_promotions_and_rollbacks():
    history = [
        {"action": "promote", "from": "a", "to": "b"},
        {"action": "promote", "from": "b", "to": "c"},
        {"action": "rollback", "from": "c", "to": "b"},
        {"action": "promote", "from": "b", "to": "d"},
    ]
    assert version_stack(history) == ["a", "b", "d"]
    assert version_stack([]) == []


def test_pointer_updates_are_atomic_replacements(tmp_path):
    set_current(tmp_path, "v1")
    inode = (tmp_path / "current").stat().st_ino
    set_current(tmp_path, "v2")
    assert (tmp_path / "current").read_text() == "v2\n"
    assert (tmp_path / "current").stat().st_ino != inode  # a new file renamed over the old one
    assert sorted(p.name for p in tmp_path.iterdir()) == ["current"]  # no temporary file left


def test_list_shows_versions_metrics_and_the_current_one(make_registry, models, corpus_dir, capsys):
    registry = make_registry("weak", "good", current="good")
    (registry / models["weak"].name / "evaluation.json").unlink()  # e.g. trained with --no-report
    assert main(["list", "--models", str(registry)]) == 0
    lines = capsys.readouterr().out.splitlines()
    good_line = next(line for line in lines if models["good"].name in line)
    weak_line = next(line for line in lines if models["weak"].name in line)
    assert good_line.startswith("* ") and weak_line.startswith("  ")
    evaluation = json.loads((registry / models["good"].name / "evaluation.json").read_text())
    assert f"{evaluation['rules']['insult']['f1']:.3f}" in good_line and "report.html" in good_line
    # Without an evaluation file, the validation figures are shown, marked "v".
    assert re.search(r"\d\.\d{3}v", weak_line) and not re.search(r"\d\.\d{3}v", good_line)


def test_history_command_prints_every_change(make_registry, models, corpus_dir, capsys):
    registry = make_registry("weak", "good")
    assert cli(registry, corpus_dir, "promote", models["good"].name) == 0
    capsys.readouterr()
    assert main(["history", "--models", str(registry)]) == 0
    out = capsys.readouterr().out
    assert f"salma        promote  {models['weak'].name} -> {models['good'].name}" in out
    assert os.path.exists(registry / HISTORY_FILE)


def test_a_history_line_cut_short_is_named_not_a_traceback(make_registry, models, corpus_dir,
                                                          capsys):
    registry = make_registry("weak", "good")
    assert cli(registry, corpus_dir, "promote", models["good"].name) == 0
    with (registry / HISTORY_FILE).open("a", encoding="utf-8") as handle:
        handle.write('{"action": "promote", "fr')  # the power went mid-append
    capsys.readouterr()
    assert main(["history", "--models", str(registry)]) == 2
    assert main(["rollback", "--models", str(registry), "--reason", "x"]) == 2
    err = capsys.readouterr().err
    assert "history.jsonl:2 is not a JSON line" in err and "Traceback" not in err
    assert read_current(registry) == models["good"].name  # nothing changed


def test_the_first_promotion_of_a_registry_needs_only_the_gate(make_registry, models, corpus_dir):
    registry = make_registry("good")
    (registry / "current").unlink()
    promotion = promote(registry, models["good"].name, corpus_dir=corpus_dir, gate_paths=[GATE])
    assert promotion.promoted and promotion.previous is None
    assert all(c.current is None and c.passed for c in promotion.comparisons)
    (entry,) = read_history(registry)
    assert entry["from"] is None and entry["metrics"]["current"] is None


def test_the_first_training_into_an_empty_registry_points_current_under_the_lock(tmp_path,
                                                                                 corpus_dir):
    # Two first trainings at once both saw no `current` and both wrote it, last one winning.
    registry = tmp_path / "models"
    done = []
    with registry_lock(registry):
        worker = threading.Thread(target=lambda: done.append(
            train([], registry, PARAMS, progress=False, corpus_dir=corpus_dir, report=False)))
        worker.start()
        wait_until(lambda: any(p.name[0].isdigit() for p in registry.iterdir()), 120, 0.05,
                   "the version folder")
        time.sleep(0.3)
        assert not (registry / CURRENT_POINTER).exists()  # waiting for the lock
    worker.join(60)
    assert done and read_current(registry) == done[0].name
