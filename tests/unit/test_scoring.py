"""The policy that turns keyword matches and scores into a verdict (pure functions, no app)."""

import pytest

from service.keywords import Match
from service.scoring import Policy, RuleThresholds, decide

STORED = {
    rule: {"suspect": 0.2, "review": 0.5, "reject": 0.9, "decision": 0.6}
    for rule in ("insult", "incitement", "religion")
}
CLEAN = {"insult": 0.1, "incitement": 0.1, "religion": 0.1}


@pytest.fixture
def policy():
    return Policy.from_model(STORED)


def test_clean_scores_and_no_match_approve(policy):
    assert decide(CLEAN, [], policy) == ("approve", [], [])


@pytest.mark.parametrize(
    ("score", "verdict"), [(0.49, "approve"), (0.5, "review"), (0.89, "review"), (0.9, "reject")]
)
def test_model_score_against_thresholds(policy, score, verdict):
    got, flags, reasons = decide({**CLEAN, "incitement": score}, [], policy)
    assert got == verdict
    assert flags == ([] if verdict == "approve" else ["incitement"])
    assert all(r.source == "model" for r in reasons)


def test_block_term_rejects_even_with_clean_scores(policy):
    match = Match("religion", "block", "نعل دين", 0, 7)
    verdict, flags, reasons = decide(CLEAN, [match], policy)
    assert (verdict, flags) == ("reject", ["religion"])
    assert reasons[0].source == "keyword" and "نعل دين" in reasons[0].detail


def test_suspect_term_holds_for_review_when_the_model_supports_its_rule(policy):
    match = Match("insult", "suspect", "حمار", 3, 7)
    verdict, flags, reasons = decide({**CLEAN, "insult": 0.2}, [match], policy)
    assert (verdict, flags) == ("review", ["insult"])
    assert "حمار" in reasons[0].detail


def test_suspect_term_alone_does_not_hold_a_comment_the_model_finds_clean(policy):
    # "الحمار وصل 3000 درهم فالسوق": farm news, not an insult.
    assert decide(CLEAN, [Match("insult", "suspect", "حمار", 0, 5)], policy) == ("approve", [], [])


def test_strictest_reason_wins_and_flags_keep_rule_order(policy):
    matches = [Match("religion", "suspect", "x", 0, 1)]
    verdict, flags, _ = decide({**CLEAN, "insult": 0.95, "religion": 0.3}, matches, policy)
    assert verdict == "reject"
    assert flags == ["insult", "religion"]


def test_repeated_matches_of_one_term_give_one_reason(policy):
    matches = [Match("insult", "block", "t", 0, 1), Match("insult", "block", "t", 5, 6)]
    assert len(decide(CLEAN, matches, policy)[2]) == 1


def test_overrides_replace_stored_thresholds():
    policy = Policy.from_model(STORED, {"insult": {"review": 0.2}})
    assert policy.thresholds["insult"] == RuleThresholds(review=0.2, reject=0.9, suspect=0.2)
    assert policy.thresholds["religion"] == RuleThresholds(review=0.5, reject=0.9, suspect=0.2)


@pytest.mark.parametrize(
    "overrides",
    [
        {"spam": {"review": 0.2}},
        {"insult": {"warn": 0.2}},
        {"insult": {"review": 0.95}},  # review above reject
        {"insult": {"reject": 1.5}},
    ],
)
def test_bad_overrides_are_refused(overrides):
    with pytest.raises(ValueError):
        Policy.from_model(STORED, overrides)


@pytest.mark.parametrize(
    ("text", "term", "quoted"),
    [
        ("قالو ليه 'عزي' فالزنقة، هادي عنصرية", "عزي", True),
        ("ils l'ont traité de « bougnoule », c'est honteux", "bougnoule", True),
        ('he wrote "X" again', "X", True),
        ("سير يا عزي", "عزي", False),
        ("'عزي وزيد'", "عزي", False),  # the quotes hold more than the term
    ],
)
def test_is_quoted(text, term, quoted):
    from service.scoring import is_quoted

    start = text.index(term)
    assert is_quoted(text, start, start + len(term)) is quoted


@pytest.mark.parametrize(
    ("text", "term", "named"),
    [
        ("كلمة عزي فيها احتقار، حيدوها من الهضرة", "عزي", True),
        ("الكلمة ديال عزي عيب وعار", "عزي", True),
        ("lkalma 3azzi fiha ta7qir", "3azzi", True),
        ("العزاوة كلمة عنصرية", "العزاوة", True),
        ("Le mot « bougnoule » est une insulte", "bougnoule", True),
        ("le terme de bougnoule est raciste", "bougnoule", True),
        ("سير يا عزي", "عزي", False),
        ("هاد العزي كلا ليا الخدمة", "العزي", False),
        ("espèce de bougnoule", "bougnoule", False),
    ],
)
def test_a_term_named_as_a_word_is_a_mention(text, term, named):
    from service.scoring import is_mention, is_named_as_word

    start = text.index(term)
    assert is_named_as_word(text, start, start + len(term)) is named
    assert is_mention(text, start, start + len(term)) is named


def block_match(text, term, rule="incitement"):
    start = text.index(term)
    return Match(rule, "block", term, start, start + len(term))


def test_a_quoted_block_term_is_a_mention_held_only_with_model_support(policy):
    text = "اللي كيعيط على الأفريقي 'عزي' خاصو يتعاقب"
    match = block_match(text, "عزي")
    assert decide(CLEAN, [match], policy, text)[0] == "approve"
    verdict, flags, reasons = decide({**CLEAN, "incitement": 0.3}, [match], policy, text)
    assert (verdict, flags) == ("review", ["incitement"]) and "mentioned" in reasons[0].detail
    used = "سير يا عزي"
    assert decide(CLEAN, [block_match(used, "عزي")], policy, used)[0] == "reject"


@pytest.fixture(scope="module")
def moderator(model_dir):
    from pathlib import Path

    from service.keywords import KeywordMatcher
    from service.model import load_artifact
    from service.scoring import Moderator

    keywords = Path(__file__).resolve().parents[2] / "service" / "keywords"
    return Moderator(load_artifact(model_dir), KeywordMatcher.from_directory(keywords))


def test_a_batch_is_scored_in_chunks_of_characters():
    from service.scoring import _chunks

    texts = ["a" * 40, "b" * 70, "c" * 10, "d" * 99, "e"]
    assert list(_chunks(texts, 100)) == [texts[:2], texts[2:4], texts[4:]]
    assert list(_chunks([], 100)) == []


def test_a_batch_in_chunks_gets_the_answers_of_one_comment_at_a_time(moderator, monkeypatch):
    texts = ["سير يا الحمار", "شكرا على المقال", "nta 7mar", "Le ministre doit partir"] * 3
    monkeypatch.setattr("service.scoring.BATCH_CHUNK_CHARS", 30)  # several chunks
    batch = moderator.score_batch(texts)
    assert [d.to_dict() for d in batch] == [moderator.score(t).to_dict() for t in texts]


def test_a_batch_past_its_deadline_stops_between_chunks(moderator, monkeypatch):
    import time

    from service.scoring import BatchTimeLimit

    monkeypatch.setattr("service.scoring.BATCH_CHUNK_CHARS", 30)
    texts = ["شكرا على المقال المفيد"] * 4  # 22 characters: two texts a chunk
    with pytest.raises(BatchTimeLimit) as late:
        moderator.score_batch(texts, deadline=time.monotonic() - 1)
    assert (late.value.scored, late.value.total) == (2, 4)  # the first chunk is always scored
    assert len(moderator.score_batch(texts[:2], deadline=time.monotonic() - 1)) == 2
    assert len(moderator.score_batch(texts, deadline=time.monotonic() + 60)) == 4


# A long comment: two long reasonable sentences, one insulting sentence, two more reasonable ones.
REASONABLE = ("الحكومة خاصها تراجع الأسعار ديال الخضرة فالأسواق لأن المواطن ما بقاش قادر يشري حتى "
              "الطماطم والبصل، والأجور باقية فبلاصتها من عشر سنين. ")
INSULTING = "هاد السيد كذاب ومنافق وما عندو حتى معقول."
LONG_COMMENT = REASONABLE * 2 + INSULTING + " " + REASONABLE * 2


def test_a_long_comment_scores_as_its_most_violating_passage(moderator):
    """Scored whole, the insulting sentence is a fifth of the comment and its score falls. Each
    passage is scored on its own margin with a little of the whole comment's."""
    import numpy as np

    from service.classifier import PASSAGE_WEIGHT
    from service.text.passages import passages

    decision = moderator.score(LONG_COMMENT)
    cuts = passages(LONG_COMMENT)
    assert len(cuts) > 1 and INSULTING in [LONG_COMMENT[a:b] for a, b in cuts]
    classifier = moderator.bundle.classifier
    whole = classifier.margins([LONG_COMMENT])[0]
    own = classifier.margins([LONG_COMMENT[a:b] for a, b in cuts])
    blended = PASSAGE_WEIGHT * own + (1 - PASSAGE_WEIGHT) * whole
    expected = classifier._calibrate(np.vstack([whole, blended])).max(axis=0)
    assert list(decision.scores.values()) == pytest.approx(list(expected))
    assert decision.scores["insult"] > classifier._calibrate(whole)[0] + 0.2
    assert 0 < PASSAGE_WEIGHT <= 1


def test_a_comment_no_longer_than_a_tweet_is_scored_whole(moderator):
    from service.text.passages import LONG_COMMENT_CHARS

    text = REASONABLE + INSULTING  # two passages, but under the length passages are read from
    assert len(text) <= LONG_COMMENT_CHARS
    classifier = moderator.bundle.classifier
    whole = classifier._calibrate(classifier.margins([text]))[0]
    assert list(moderator.score(text).scores.values()) == pytest.approx(list(whole))


def test_a_reason_from_a_passage_points_at_it(moderator):
    decision = moderator.score(LONG_COMMENT)
    assert decision.verdict == "review" and decision.flags == ["insult"]
    (reason,) = [r.to_dict() for r in decision.reasons]
    start = LONG_COMMENT.index(INSULTING)
    assert reason["start"] == start and reason["end"] == start + len(INSULTING)
    assert reason["detail"].startswith("passage score ")
    # a short comment's reason is about the whole comment: no offsets
    (short,) = [r.to_dict() for r in moderator.score(INSULTING).reasons]
    assert set(short) == {"rule", "source", "verdict", "detail"}
    assert short["detail"].startswith("score ")
    assert [d.to_dict() for d in moderator.score_batch([LONG_COMMENT, INSULTING])] == [
        decision.to_dict(), moderator.score(INSULTING).to_dict()]


@pytest.mark.parametrize(("reason", "passage"), [
    ({"start": 3, "end": 7}, "defg"),
    ({"start": 0, "end": 10}, "abcdefghij"),
    ({}, None), ({"start": 3}, None), ({"start": 7, "end": 3}, None),
    ({"start": 3, "end": 11}, None), ({"start": -1, "end": 3}, None),
    ({"start": "3", "end": "7"}, None), ({"start": True, "end": 3}, None),
])
def test_a_stored_reason_names_its_passage_only_if_it_fits_the_text(reason, passage):
    from service.scoring import passage_of

    assert passage_of("abcdefghij", reason) == passage
