"""Sentences that say what a religion, a scripture or a prophet is, and attacks of the same shape.

Before round 9 the model rejected "L'islam est une belle religion" and "La Bible est un livre sacré
pour les chrétiens": attacks in the corpus are mostly written "X est une religion de ...",
"X est un livre de ...", "X دين ...", so the shape, and the words "religion", "livre", "دين" in
it, had become evidence of an attack (training/corpus/predicates.jsonl, docs/evaluation.md). None
of these sentences is in the corpus, but three of them ("L'islam est une belle religion", "La
Bible est un livre sacré pour les chrétiens", "المسيحية دين المحبة عند أتباعها") were quoted, as
the bug, in the brief the file's writers read: weaker evidence than the blind probe
(religion_probe_round9.tsv). The attacks hold no listed word: the model must read the predicate,
not a keyword."""

import pytest

DEFINITIONS = [
    ("fr", "Le Coran est un livre sacré pour les musulmans"),
    ("fr", "La Bible est un livre sacré pour les chrétiens"),
    ("fr", "La Torah est le livre sacré des juifs"),
    ("fr", "L'islam est une belle religion"),
    ("fr", "Le Coran est un beau livre"),
    ("fr", "Le christianisme est une religion de juste milieu"),
    ("fr", "Le judaïsme est une religion très ancienne au Maroc"),
    ("msa", "المسيحية دين المحبة عند أتباعها"),
    ("darija", "اليهودية دين قديم فالمغرب"),
    ("arabizi", "l'9or2an ktab mo9addas 3nd lmuslimin"),
    ("fr", "L'islam est une religion"),  # a known failure until round 10 (rejected at 0.81)
]

ATTACKS = [
    ("fr", "La Bible est un ramassis de fables pour naïfs"),
    ("fr", "L'islam est une religion d'attardés"),
    ("msa", "المسيحية دين الخرافة والكذب"),
    ("darija", "القرآن غير كتاب ديال الحكايات"),
    ("arabizi", "l'injil ktab mzawwer w kolo kdoub"),
]

# (language, comment, why): known failures, visible in every run (XFAIL, XPASS once a model
# learns them). Not strict: the promotion gate runs these tests, and a candidate that fixes one
# must not be refused for it.
DEFINITIONS_KNOWN_FAILURES: list[tuple[str, str, str]] = []
ATTACKS_KNOWN_FAILURES = [
    ("fr", "Le Coran est un livre d'inepties",
     "'inepties' is in no training comment: religion ~0.5, approved"),
]


def _cases(rows, known_failures):
    return ([pytest.param(lang, text, id=f"{lang}-{i}") for i, (lang, text) in enumerate(rows)]
            + [pytest.param(lang, text, id=f"{lang}-known-failure-{i}",
                            marks=pytest.mark.xfail(strict=False, reason=why))
               for i, (lang, text, why) in enumerate(known_failures)])


@pytest.mark.parametrize(("lang", "text"), _cases(DEFINITIONS, DEFINITIONS_KNOWN_FAILURES))
def test_saying_what_a_religion_or_a_scripture_is_is_approved(moderator, lang, text):
    decision = moderator.score(text)
    assert decision.verdict == "approve", decision.to_dict()


@pytest.mark.parametrize(("lang", "text"), _cases(ATTACKS, ATTACKS_KNOWN_FAILURES))
def test_an_attack_of_the_same_shape_is_held_for_religion(moderator, lang, text):
    decision = moderator.score(text)
    assert decision.verdict != "approve" and "religion" in decision.flags, decision.to_dict()
    assert not decision.matches  # the model caught it, not a listed word
