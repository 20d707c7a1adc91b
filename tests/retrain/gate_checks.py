"""The behavioural gate for the small models of tests/retrain, run by ``training.registry promote``
in a subprocess exactly as it runs tests/model for production candidates:

    python -m pytest tests/retrain/gate_checks.py --model-dir CANDIDATE

Not collected by a plain ``pytest`` run (its name does not start with ``test_``)."""

from pathlib import Path

import pytest

from service.keywords import KeywordMatcher
from service.model import load_artifact
from service.rules import RULES
from service.scoring import Moderator
from tests.retrain.corpus import CLEAN, PHRASES

KEYWORDS = Path(__file__).resolve().parents[2] / "service" / "keywords"


@pytest.fixture(scope="module")
def moderator(request):
    path = request.config.getoption("--model-dir")
    if not path:
        pytest.fail("give the candidate with --model-dir")
    return Moderator(load_artifact(path), KeywordMatcher.from_directory(KEYWORDS))


@pytest.mark.parametrize("rule", RULES)
def test_each_rule_scores_its_phrases_above_clean_comments(moderator, rule):
    clean = [
        moderator.score(f"{a} {b}").scores[rule] for a, b in zip(CLEAN, CLEAN[1:], strict=False)
    ]
    abusive = [
        moderator.score(f"{CLEAN[i % len(CLEAN)]} {p}").scores[rule]
        for i, p in enumerate(PHRASES[rule])
    ]
    assert sum(abusive) / len(abusive) > sum(clean) / len(clean) + 0.2, (abusive, clean)
