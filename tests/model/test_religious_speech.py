"""Religious speech, with a candidate model and the shipped keyword lists: pious formulas,
neutral talk about scripture, prophets and other faiths, and pious curses (Satan, poverty) are
approved; present-tense Darija curses on a person's family, threats, plural slurs, curses and death
wishes on groups, and attacks on a religion are held.

The sentences come from an audit of the corpus-only model, which rejected the clean ones on their
religion score alone. None of them is in the corpus (training/corpus/pious.jsonl holds different
sentences on the same patterns). Every expectation here is about the model: none relies on a
keyword that a clean sentence would need to avoid, or that an abusive one would need to be caught
(a keyword added later can only hold an abusive sentence sooner)."""

import pytest

# (language, comment) — each must be approved.
PIOUS_AND_NEUTRAL = [
    ("msa", "القرآن الكريم كلام الله"),
    ("msa", "الإسلام دين الرحمة والتسامح"),
    ("msa", "صلى الله على سيدنا محمد وعلى آله وصحبه"),
    ("msa", "النبي عيسى والنبي موسى عليهما السلام"),
    ("msa", "التوراة والإنجيل والقرآن كتب سماوية"),
    ("msa", "كان رسول الله يحب الصلاة"),
    ("darija", "الإرهاب ما عندو دين"),
    ("arabizi", "lah yn3al chitan a khouya, ma t9ele9ch"),
    ("darija", "نعل بو الشيطان وصلي على النبي"),
    ("darija", "الله يلعن الفقر وصافي"),
    ("arabizi", "din lislam din salam"),  # a known failure until round 5's corpus
    ("darija", "اليهود والمسيحيين والمسلمين كلهم ولاد آدم"),  # a known failure until round 9
    ("darija", "المسجد ديالنا قذر، خاصو شي تنظيف قبل رمضان"),  # filth, said of a floor
]

# Clean comments that name an animal on a suspect list: the suspect term holds them only if the
# model gives its rule support, and here it must not.
ANIMALS_NAMED_LITERALLY = [
    ("msa", "القردة والخنازير ذكرت في القرآن في قصة أصحاب السبت"),
    ("msa", "أحل لكم بهيمة الأنعام"),
    ("darija", "قطعان الخنازير البرية كتهاجم الحقول فتاونات"),
    ("fr", "Notre chienne a eu six chiots, qui en veut un à Rabat ?"),
]

# Short pious reactions, the most common comments under a death or a victory: two or three words
# put all of a comment's weight on one religious word, which short curses share ("n3al din").
# Written for evaluation (training/corpus/short.jsonl was written to avoid them).
SHORT_PIOUS = [
    ("arabizi", "allah akbar"), ("arabizi", "sob7an allah"), ("arabizi", "lah yhdina"),
    ("arabizi", "inchallah"), ("arabizi", "lah yr7mo"), ("arabizi", "allah y3awnkom"),
    ("arabizi", "lah ister"), ("arabizi", "machallah 3lik"), ("arabizi", "hamdoullah"),
    ("fr", "Dieu merci"), ("fr", "Que Dieu le protège"), ("msa", "الله أكبر"),
    ("msa", "سبحان الله"), ("darija", "الله يرحمو"), ("arabizi", "lah yhdi ma khla9"),
    ("arabizi", "allah y7fed lmalik"), ("arabizi", "rabi m3akom"), ("arabizi", "ya rabi"),
    ("arabizi", "lislam"), ("fr", "le prophète"), ("arabizi", "nbi"), ("arabizi", "rasoul allah"),
    ("arabizi", "lqor2an"), ("fr", "le Coran"), ("fr", "la mosquée"), ("arabizi", "lmasjid"),
    ("arabizi", "ramadan"), ("arabizi", "salat"), ("arabizi", "din lah sahel"),
    ("arabizi", "lislam din l7a9"), ("arabizi", "din lislam zwin"),
    ("arabizi", "din lah 7a9"),  # a known failure until hard negatives weighed 3 (round 6)
]

# Short attacks on religion: scaling short comments toward the prior must not let them through.
SHORT_ATTACKS = [
    ("arabizi", "tfou 3la dinkom", "religion"), ("fr", "fuck l'islam", "religion"),
    ("fr", "nique le coran", "religion"), ("darija", "تفو على القرآن", "religion"),
    ("msa", "نبيكم كذاب", "religion"),
    # approved until round 10 (religion 0.36, 0.69): the lists now name a religion called filthy
    ("msa", "الإسلام دين قذر", "religion"), ("fr", "L'islam est une religion sale", "religion"),
]

# (language, comment, rule it breaks) — each must be held or rejected, for that rule.
CURSES_THREATS_AND_ATTACKS = [
    ("darija", "الله ينعل بوك", "insult"),
    ("darija", "ينعل جد بوك", "insult"),
    ("arabizi", "yn3al bok", "insult"),
    ("darija", "غانحويك", "insult"),
    ("arabizi", "ghan7wik", "insult"),
    ("darija", "شرموطات", "insult"),
    ("darija", "قحبات", "insult"),
    ("msa", "لعن الله اليهود والنصارى، ما عندهم أمان", "incitement"),
    ("msa", "الموت للصحراويين الخونة", "incitement"),
    ("mixed", "f**k islam and all muslims", "religion"),
]


@pytest.mark.parametrize(
    ("lang", "text"),
    [pytest.param(lang, text, id=f"{lang}-{i}") for i, (lang, text) in enumerate(PIOUS_AND_NEUTRAL)]
    + [pytest.param(lang, text, id=f"{lang}-short-{i}")
       for i, (lang, text) in enumerate(SHORT_PIOUS)],
)
def test_pious_and_neutral_religious_comments_are_approved(moderator, lang, text):
    decision = moderator.score(text)
    assert decision.verdict == "approve", decision.to_dict()


@pytest.mark.parametrize(
    ("lang", "text"),
    ANIMALS_NAMED_LITERALLY,
    ids=[f"{lang}-{i}" for i, (lang, _) in enumerate(ANIMALS_NAMED_LITERALLY)],
)
def test_animals_named_literally_are_approved(moderator, lang, text):
    decision = moderator.score(text)
    assert decision.verdict == "approve", decision.to_dict()


@pytest.mark.parametrize(
    ("lang", "text", "rule"),
    CURSES_THREATS_AND_ATTACKS + SHORT_ATTACKS,
    ids=[f"{lang}-{rule}-{i}"
         for i, (lang, _, rule) in enumerate(CURSES_THREATS_AND_ATTACKS + SHORT_ATTACKS)],
)
def test_curses_threats_and_attacks_are_held(moderator, lang, text, rule):
    decision = moderator.score(text)
    assert decision.verdict != "approve" and rule in decision.flags, decision.to_dict()

