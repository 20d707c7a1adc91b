"""Behaviour of a candidate model with the shipped keyword lists: minimum functionality in each
language, invariance to disguises, direction of change, and restraint on hard negatives.

These expectations are the contract of a model, not a snapshot of one: if a retrained model fails
them, the model is not promoted; an expectation changes only with its
reason in the commit message."""

import random

import pytest

from service.keywords import DEFAULT_KEYWORD_DIR, GROUPS_FILE, load_fillers
from service.rules import RULES
from tests import evasion
from training.data import read_corpus

# (language, comment, rule it breaks or None)
MINIMUM_FUNCTIONALITY = [
    ("msa", "شكرا للكاتب على هذا المقال المفيد حول أزمة الماء", None),
    ("msa", "يجب على الحكومة أن تحاسب المسؤولين عن تأخر إعادة الإعمار", None),
    ("msa", "أنت حقير وكذاب يا كاتب المقال، اخرس", "insult"),
    ("msa", "هؤلاء الأفارقة حشرات يجب طردهم جميعا من بلادنا", "incitement"),
    ("darija", "الله يرحم الضحايا ديال الزلزال ويصبر عائلاتهم", None),
    ("darija", "سير تقود يا الحمار يا ولد الحرام", "insult"),
    ("darija", "نعل دين مك أ الكلب", "religion"),
    ("arabizi", "lah yr7em lwalidin, bravo 3la had lmaqal", None),
    ("arabizi", "nta 7mar o wld l9a7ba", "insult"),
    ("fr", "Le ministre doit démissionner après ce scandale, c'est un échec total", None),
    ("fr", "espèce de connard, ferme ta gueule", "insult"),
]

HARD_NEGATIVES = [
    "اليهود المغاربة جزء من تاريخ هذا البلد وثقافته",
    "الكلاب الضالة ولات خطر على الدراري فالحي، فين الجماعة؟",
    "المهاجرين الأفارقة عندهم الحق فالكرامة بحال أي إنسان",
    "الوزير فشل فهاد الملف وخاصو يقدم استقالتو",
    "صلاة التراويح فالمسجد الكبير كانت عامرة هاد العام",
    "les chrétiens du Maroc ont célébré Noël dans le calme",
    "lah ykhlf 3la lfellah, l7mir w lbgar mato bl3tech",
    # calls for coexistence in the frame of incitement ("X must ..."), written for evaluation:
    # training/corpus/coexist.jsonl holds other wordings and other pairs of communities
    "الشيعة والسنة يجب أن يتعايشوا",
    "يجب أن نتعلم من اليهود المغاربة حبهم للبلاد",
    "Il faut que sunnites et chiites vivent ensemble en paix",
    "lazem l3arab w l2amazigh ykounou khout",
    # a footnote star after a word that starts a listed term: a suspect match the model clears
    "هو أحسن مني* بكثير", "قصة النبي لوط* عليه السلام", "نحو* مستقبل أفضل",
    # three regions, then a Darija passive: a known failure (incitement 0.85) until round 7
    "خاص الصحراويين والريافة والسواسة يتعاملو بحال بحال",
    # French animals used literally, some beside criticism: since round 27 each is a suspect
    # term (insult.tsv), which holds a comment once the model's insult score reaches the suspect
    # threshold, well under the review one
    "Les singes magots d'Ifrane sont menacés, arrêtez de leur donner du pain",
    "On a trouvé une chèvre morte dans l'oued, les autorités n'ont rien fait, honteux",
    "Les cochons sauvages ravagent les champs près de Larache et le ministère ne fait rien",
    "Un rat dans la cuisine d'un restaurant de Gueliz, l'ONSSA doit fermer cet endroit",
    "Ce festival est nul, un clown et trois chanteurs ringards pour 5 millions de dirhams",
    "Les hyènes et les chacals ont disparu de nos montagnes à cause de la chasse",
]

PERTURBATIONS = [
    evasion.add_diacritics,
    evasion.add_tatweel,
    evasion.elongate,
    evasion.add_zero_width,
    evasion.swap_lookalikes,
    evasion.space_out,
]


@pytest.mark.parametrize(
    ("lang", "text", "rule"),
    MINIMUM_FUNCTIONALITY,
    ids=[
        f"{lang}-{rule or 'clean'}-{i}" for i, (lang, _, rule) in enumerate(MINIMUM_FUNCTIONALITY)
    ],
)
def test_minimum_functionality(moderator, lang, text, rule):
    decision = moderator.score(text)
    if rule is None:
        assert decision.verdict == "approve", decision.to_dict()
    else:
        assert decision.verdict != "approve" and rule in decision.flags, decision.to_dict()


# Hard negatives too: sharp criticism of officials and of the article, written before round 21's
# model was trained. Per comment, "وزير" (minister) was four times as frequent among the corpus's
# insults as among its clean comments, so it weighed toward insult: round 20's model rejected
# "وزير غير كفء" (an incompetent minister) and the known failure below (0.90), and scored the
# first of these 0.70 (round 21's: 0.09).
CRITICISM = [
    "هذا المسؤول ليس أهلا للمنصب الذي يشغله",
    "الوزير غير كفء لإدارة قطاع الصحة ويجب أن يرحل",
    "المقال سطحي والكاتب منحاز ولم يقرأ التقرير",
    "هاد الرئيس ديال الجماعة ما دار والو فخمس سنين، خاصو يتحاسب",
    "المدرب ماشي فالمستوى، الخطة ديالو فاشلة",
    "had lwazir makay3ref walo f lqita3 dyalo, khasso ymchi",
    "ra2is jama3a ma9edch l had lmas2oulia",
    "Ce ministre est incompétent et a menti sur les chiffres du chômage",
    "Cette maire n'est pas à la hauteur, elle doit démissionner",
    "Le maire ما دار حتى projet، خاصو يستقيل",
    "هاد الوزير incompétent، ماشي قد المسؤولية",
]
CRITICISM_KNOWN_FAILURES = [
    ("هاد الوزيرة غير كتصور وما كتخدم والو",
     "Darija 'غير' (only) after 'هاد' (this) reads as an insult's frame: rejected, insult 0.89 "
     "(round 23's model: held for review, 0.81)"),
]


@pytest.mark.parametrize("text", HARD_NEGATIVES + CRITICISM + [
    pytest.param(text, marks=pytest.mark.xfail(strict=False, reason=why))
    for text, why in CRITICISM_KNOWN_FAILURES])
def test_hard_negatives_are_approved(verdict, text):
    assert verdict(text) == "approve"


@pytest.mark.parametrize("perturb", PERTURBATIONS, ids=lambda f: f.__name__)
@pytest.mark.parametrize(
    ("lang", "text", "rule"),
    MINIMUM_FUNCTIONALITY,
    ids=[f"{lang}-{i}" for i, (lang, _, _) in enumerate(MINIMUM_FUNCTIONALITY)],
)
def test_disguises_do_not_change_the_verdict(verdict, perturb, lang, text, rule):
    assert verdict(perturb(text, random.Random(3))) == verdict(text)


@pytest.fixture(scope="module")
def held_out():
    return [e for e in read_corpus()[0] if e.split == "test"]


@pytest.fixture(scope="module")
def flagged(moderator, held_out) -> list[tuple[str, str]]:
    """(text, verdict) of the held-out comments the service holds or rejects."""
    return [
        (e.text, d.verdict)
        for e, d in zip(held_out, moderator.score_batch([e.text for e in held_out]), strict=True)
        if d.verdict != "approve"
    ]


@pytest.mark.parametrize("perturb", PERTURBATIONS, ids=lambda f: f.__name__)
def test_flagged_held_out_comments_keep_their_verdict_when_disguised(moderator, flagged, perturb):
    assert len(flagged) >= 50
    rng = random.Random(11)
    kept = sum(moderator.score(perturb(text, rng)).verdict == v for text, v in flagged)
    assert kept / len(flagged) >= 0.98, f"{kept}/{len(flagged)} kept their verdict"


def test_flagged_held_out_comments_mostly_keep_their_verdict_with_a_word_cut(moderator, flagged):
    """One mark glued inside a random word ("ق.حبة"): not among the target's disguises. Every
    block term is caught so cut (tests/unit), but the model still reads the parts beside the
    joined word, so a cut keyword moves its score a little: round 17's model keeps 96.8%
    (round 16's model and features, which read only the parts, 93.1%). The bound is a floor
    under that."""
    rng = random.Random(11)
    cut = [evasion.cut_with_a_mark(text, rng) for text, _ in flagged]
    kept = sum(d.verdict == v for d, (_, v) in zip(moderator.score_batch(cut), flagged,
                                                     strict=True))
    assert kept / len(flagged) >= 0.95, f"{kept}/{len(flagged)} kept their verdict"


def test_flagged_held_out_comments_buried_in_a_long_comment_are_mostly_still_held(
    moderator, flagged, held_out
):
    """Each flagged comment among clean held-out comments, one a line, to 600 characters or more:
    a long comment where one line breaks a rule. Scored whole, round 17's model still held 12% of
    them (the rest of the comment outweighs the line); scored passage by passage too, 40%, and
    round 18's model 48%. A passage of up to 160 characters still gathers the line with a
    neighbour on another subject, and a passage's margin is blended with 15% of the whole
    comment's, here all clean comments on other subjects: on its own margin alone round 18's
    model held 60% of them, but also 11 instead of 6 of 195 clean long comments on six re-drawn
    splits (service/classifier.py, PASSAGE_WEIGHT). The bound is a floor under 48%."""
    rng = random.Random(5)
    clean = [e.text for e in held_out if not any(e.label(r) for r in RULES)]

    def buried(text: str) -> str:
        lines = [text]
        while sum(map(len, lines)) < 600:
            lines.insert(rng.randrange(len(lines) + 1), rng.choice(clean))
        return "\n".join(lines)

    decisions = moderator.score_batch([buried(text) for text, _ in flagged])
    held = sum(d.verdict != "approve" for d in decisions)
    assert held / len(flagged) >= 0.45, f"{held}/{len(flagged)} still held"


def test_clean_held_out_comments_are_rarely_held(moderator, held_out):
    clean = [e.text for e in held_out if not any(e.label(r) for r in RULES)]
    assert len(clean) >= 100
    held = [d for d in moderator.score_batch(clean) if d.verdict != "approve"]
    assert len(held) / len(clean) <= 0.02, [d.to_dict() for d in held][:5]


@pytest.mark.parametrize("clean", ["الماتش ديال البارح كان زوين", "très bon article, merci"])
def test_adding_a_block_term_rejects(verdict, clean):
    assert verdict(clean) == "approve"
    assert verdict(clean + " نعل دين مك") == "reject"


# Emoji readers add to anything. 😂 is left out: laughter at a prayer is mockery of it (the
# corpus labels "الصلاة 😂😂 رياضة ديال الكسالى" an attack on religion).
FRIENDLY_EMOJI = ["❤️", "👍", "🤲", "🇲🇦", "🙏🏽"]


@pytest.mark.parametrize("emoji", FRIENDLY_EMOJI)
def test_a_friendly_emoji_leaves_hard_negatives_approved(moderator, emoji):
    texts = [f"{text} {emoji}" for text in HARD_NEGATIVES]
    held = [text for text, d in zip(texts, moderator.score_batch(texts), strict=True)
            if d.verdict != "approve"]
    assert held == []


@pytest.mark.parametrize("clean", ["هاد الوزير ما دار والو فملف الماء", "شكرا على المقال"])
def test_an_animal_emoji_said_of_someone_rejects(verdict, clean):
    assert verdict(clean) == "approve"
    assert verdict(clean + "، الكاتب 🐷🐷") == "reject"


def test_adding_an_insult_raises_the_insult_score(moderator):
    base = "هاد المسؤول ما دار والو فهاد الملف"
    assert (
        moderator.score(base + " الحمار الحقير").scores["insult"]
        > moderator.score(base).scores["insult"]
    )


def groups_named_alone() -> list[str]:
    """Each group of the lists' groups.txt as a reader names it in a one- or two-word reply: the
    Arabic plural with its article, the French plural with and without "les", the Arabizi word."""
    names = []
    for group in load_fillers(DEFAULT_KEYWORD_DIR / GROUPS_FILE):
        if group.script == "french":
            plural = group.name if group.name.endswith("s") else group.name + "s"
            names += [plural, f"les {plural}"]
        else:
            names.append(group.name)
    return names


def test_a_group_named_alone_is_not_rejected_and_rarely_held(moderator):
    """Naming a group is not hate. Round 19's model rejected 19 of these 96 names ("اليهود",
    "les chiites", "dzayriyin"): each word was in more attacks than clean comments, and alone it
    carried a whole comment's weight. Incitement now scales short comments toward its prior, as
    religion does (training/train.py, full_evidence)."""
    names = groups_named_alone()
    decisions = moderator.score_batch(names)
    held = [(name, d.verdict) for name, d in zip(names, decisions, strict=True)
            if d.verdict != "approve"]
    assert not [name for name, verdict in held if verdict == "reject"], held
    assert len(held) / len(names) <= 0.02, held


# Replies that name no one: a pronoun or demonstrative alone, "no", "these people"
SHORT_REPLIES = ["ils", "eux", "leur", "ces gens", "هم", "هوما", "هادو", "هؤلاء", "homa",
                 "hadou", "لا", "non"]


@pytest.mark.parametrize("text", SHORT_REPLIES)
def test_a_short_reply_that_names_no_one_is_approved(verdict, text):
    assert verdict(text) == "approve"
