"""The normalizer: each step alone, the offset map, the model view and the Latin-script folds."""

import random

import pytest

from service.text import arabic
from service.text.arabic import (
    MappedText,
    apply_nfkc,
    collapse_doubles,
    collapse_elongation,
    fold_arabizi,
    fold_leet,
    fold_lookalikes,
    join_cut_word,
    join_spaced_letters,
    lowercase,
    normalize_alef,
    normalize_alef_maksura,
    normalize_for_matching,
    normalize_for_model,
    normalize_hamza_carriers,
    normalize_teh_marbuta,
    normalize_with_offsets,
    replace_urls_and_mentions,
    strip_diacritics,
    strip_emoji_modifiers,
    strip_latin_accents,
    strip_tatweel,
    strip_zero_width_and_bidi,
)
from tests import evasion

# --- Each step -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("raw", "expected"), [
    ("\uFEFB", "\u0644\u0627"),         # ARABIC LIGATURE LAM WITH ALEF ISOLATED FORM -> lam, alef
    ("\uFDF2", "\u0627\u0644\u0644\u0647"),  # ARABIC LIGATURE ALLAH ISOLATED FORM -> الله
    ("\uFE8D\uFEDF", "\u0627\u0644"),   # presentation forms of alef and lam
    ("\uFF4B\uFF41\uFF4C\uFF42", "kalb"),  # FULLWIDTH LATIN SMALL LETTERS
    ("\U0001D428", "o"),                # MATHEMATICAL BOLD SMALL O
    ("e\u0301", "\u00E9"),              # e + COMBINING ACUTE ACCENT composes to é
    ("\u0627\u0653", "\u0622"),         # alef + ARABIC MADDAH ABOVE composes to آ
])
def test_nfkc_folds_compatibility_forms(raw, expected):
    assert apply_nfkc(raw) == expected


@pytest.mark.parametrize("mark", [
    "\u064B",  # ARABIC FATHATAN
    "\u064C",  # ARABIC DAMMATAN
    "\u064D",  # ARABIC KASRATAN
    "\u064E",  # ARABIC FATHA
    "\u064F",  # ARABIC DAMMA
    "\u0650",  # ARABIC KASRA
    "\u0651",  # ARABIC SHADDA
    "\u0652",  # ARABIC SUKUN
    "\u0670",  # ARABIC LETTER SUPERSCRIPT ALEF
    "\u0610",  # ARABIC SIGN SALLALLAHOU ALAYHE WASSALLAM
    "\u06D6",  # ARABIC SMALL HIGH LIGATURE SAD WITH LAM WITH ALEF MAKSURA
    "\u06E1",  # ARABIC SMALL HIGH DOTLESS HEAD OF KHAH
])
def test_strip_diacritics_removes_each_mark(mark):
    assert strip_diacritics(f"ك{mark}ل{mark}ب") == "كلب"


def test_strip_diacritics_keeps_letters_and_hamza():
    assert strip_diacritics("سُوءُ الْأَدَبِ") == "سوء الأدب"


def test_strip_tatweel():
    assert strip_tatweel("حـــمـار") == "حمار"


@pytest.mark.parametrize("invisible", [
    "\u200B",  # ZERO WIDTH SPACE
    "\u200C",  # ZERO WIDTH NON-JOINER
    "\u200D",  # ZERO WIDTH JOINER
    "\u200E",  # LEFT-TO-RIGHT MARK
    "\u200F",  # RIGHT-TO-LEFT MARK
    "\u202A",  # LEFT-TO-RIGHT EMBEDDING
    "\u202C",  # POP DIRECTIONAL FORMATTING
    "\u202E",  # RIGHT-TO-LEFT OVERRIDE
    "\u2066",  # LEFT-TO-RIGHT ISOLATE
    "\u2069",  # POP DIRECTIONAL ISOLATE
    "\u2060",  # WORD JOINER
    "\uFEFF",  # ZERO WIDTH NO-BREAK SPACE (BOM)
    "\u00AD",  # SOFT HYPHEN
    "\u061C",  # ARABIC LETTER MARK
    "\u3164",  # HANGUL FILLER
])
def test_strip_zero_width_and_bidi_removes_each_invisible(invisible):
    assert strip_zero_width_and_bidi(f"ز{invisible}ب k{invisible}alb") == "زب kalb"


@pytest.mark.parametrize("tone", [chr(code) for code in range(0x1F3FB, 0x1F400)])
def test_strip_emoji_modifiers_removes_each_skin_tone(tone):
    assert strip_emoji_modifiers(f"🖕{tone} الوزير 👏{tone}👏") == "🖕 الوزير 👏👏"


def test_emoji_without_a_skin_tone_are_kept():
    assert normalize_for_matching("🐷 🐒 🇲🇦 ❤") == "🐷 🐒 🇲🇦 ❤"


@pytest.mark.parametrize("alef", ["\u0623", "\u0625", "\u0622", "\u0671"])  # أ إ آ ٱ
def test_normalize_alef(alef):
    assert normalize_alef(f"{alef}حمق") == "احمق"


def test_normalize_hamza_carriers():
    assert normalize_hamza_carriers("مؤمن رئيس") == "مومن رييس"


def test_normalize_alef_maksura():
    assert normalize_alef_maksura("على") == "علي"


def test_normalize_teh_marbuta():
    assert normalize_teh_marbuta("قحبة") == "قحبه"


@pytest.mark.parametrize(("lookalike", "letter"), [
    ("\u06A9", "\u0643"),  # KEHEH -> KAF
    ("\u06AF", "\u0643"),  # GAF -> KAF
    ("\u06AD", "\u0643"),  # NG (Moroccan g) -> KAF
    ("\u06A8", "\u0642"),  # QAF WITH THREE DOTS ABOVE (Maghrebi g) -> QAF
    ("\u06CC", "\u064A"),  # FARSI YEH -> YEH
    ("\u06D0", "\u064A"),  # E -> YEH
    ("\u06D2", "\u064A"),  # YEH BARREE -> YEH
    ("\u06C1", "\u0647"),  # HEH GOAL -> HEH
    ("\u06BE", "\u0647"),  # HEH DOACHASHMEE -> HEH
    ("\u06C0", "\u0647"),  # HEH WITH YEH ABOVE -> HEH
    ("\u06C3", "\u0647"),  # TEH MARBUTA GOAL -> HEH
    ("\u06A4", "\u0641"),  # VEH -> FEH
    ("\u067E", "\u0628"),  # PEH -> BEH
    ("\u0686", "\u062C"),  # TCHEH -> JEEM
    ("\u0698", "\u0632"),  # JEH -> ZAIN
    ("\u0663", "3"),       # ARABIC-INDIC DIGIT THREE
    ("\u06F7", "7"),       # EXTENDED ARABIC-INDIC DIGIT SEVEN
    ("\u0430", "a"),       # CYRILLIC SMALL LETTER A
    ("\u0421", "c"),       # CYRILLIC CAPITAL LETTER ES
    ("\u043E", "o"),       # CYRILLIC SMALL LETTER O
    ("\u0440", "p"),       # CYRILLIC SMALL LETTER ER
    ("\u03BF", "o"),       # GREEK SMALL LETTER OMICRON
    ("\u0391", "a"),       # GREEK CAPITAL LETTER ALPHA
    ("\u1D22", "z"),       # LATIN LETTER SMALL CAPITAL Z
])
def test_fold_lookalikes(lookalike, letter):
    assert fold_lookalikes(lookalike) == letter


def test_lowercase_does_not_depend_on_context():
    assert lowercase("ZAMEL \u03A3\u03A3") == lowercase("ZAMEL \u03A3") + "\u03C3"


@pytest.mark.parametrize(("accented", "plain"), [
    ("enculé", "encule"), ("ça", "ca"), ("bâtard", "batard"), ("naïf", "naif"),
    ("œuvre", "oeuvre"), ("è", "e"), ("q\u0301", "q"),
])
def test_strip_latin_accents(accented, plain):
    assert strip_latin_accents(accented) == plain


@pytest.mark.parametrize(("raw", "expected"), [
    ("حماااار", "حمار"), ("كللللب", "كلب"), ("zaaaaamel", "zamel"),
    ("حماار", "حماار"),      # two in a row can be a real double letter: kept
    ("1000 درهم", "1000 درهم"),  # digits are not letters
])
def test_collapse_elongation(raw, expected):
    assert collapse_elongation(raw) == expected


@pytest.mark.parametrize(("raw", "expected"), [
    ("zammel", "zamel"), ("حماار", "حمار"), ("ننيك", "نيك"), ("7mmaarr", "7mar"),
    ("kalb", "kalb"), ("", ""),             # no run: the word as it is
    ("aa\n\nbb", "a\nb"),                  # any character, line breaks too
])
def test_collapse_doubles_writes_every_run_once(raw, expected):
    """The keyword matcher's key for a word: doubled letters are a spelling, not a word."""
    assert collapse_doubles(raw) == expected


@pytest.mark.parametrize(("raw", "expected"), [
    ("ك ل ب", "كلب"),
    ("ك.ل.ب", "كلب"),
    ("ق، ح، ب، ة", "قحبة"),   # ARABIC COMMA
    ("ك؛ل؛ب", "كلب"),         # ARABIC SEMICOLON
    ("ك٭ل٭ب", "كلب"),         # ARABIC FIVE POINTED STAR
    ("ح_م_ا_ر", "حمار"),
    ("z a m e l", "zamel"),
    ("k-a-l-b", "kalb"),
    ("k * a * l * b !", "kalb !"),
    ("n 3 a l", "n3al"),
    ("قال ك ل ب امس", "قال كلب امس"),
    ("يا ولد الق.ح.ب.ة", "يا ولد القحبة"),  # a clitic written onto the first letter
    ("بالز. ا. م. ل", "بالزامل"),
    ("wld l9.a.7.b.a", "wld l9a7ba"),
    ("إلى ك ل ب", "إلى كلب"),  # a word, then a spaced word: only a mark glues a clitic on
    ("un vrai c.o.n w 9lil ttrbiya", "un vrai con w 9lil ttrbiya"),  # w "and" stays a word
    ("lmoukhrij h.m.a.r b sa7", "lmoukhrij hmar b sa7"),
    ("f.i.l.s, d.e p.u.t.e", "filsdepute"),  # past a space into another dotted word
])
def test_join_spaced_letters(raw, expected):
    assert join_spaced_letters(raw) == expected


@pytest.mark.parametrize("text", [
    "و ك",             # two single letters are not a spelled word
    "1 - 2 - 3",       # a score, not a word
    "انا و انت",       # one single-letter word
    "ab c d",          # "ab" is not a single letter
    "في... و ك",       # a clitic-like word, then two single letters
    "il n'y a pas",    # a mark, then a space before a lone letter: not one word
    "0.2 l mention",
])
def test_join_spaced_letters_leaves_other_text(text):
    assert join_spaced_letters(text) == text


@pytest.mark.parametrize(("word", "expected"), [
    ("ق.حبه", "قحبه"), ("9a7.ba", "9a7ba"), ("gh_ir", "ghir"), ("z-e-bbi", "zebbi"),
    ("ز😡امل", "زامل"), ("h//mar", "hmar"), ("ق•ح·ب٭ه", "قحبه"), ("f*ck", "fck"),
    ("3.5", "35"), ("#بايع_الكليجا", "#بايعالكليجا"),
])
def test_join_cut_word_removes_marks_glued_between_letters(word, expected):
    assert join_cut_word(word) == expected


@pytest.mark.parametrize("word", [
    "حمار.", ".حمار", "...", "ok,merci", "l'homme", "«حمار»", "qui?non", "#hashtag", "a!b",
])
def test_join_cut_word_leaves_edges_clause_punctuation_and_quotes(word):
    assert join_cut_word(word) == word


@pytest.mark.parametrize(("raw", "expected"), [
    ("الكَلْبُ", "الكلب"),
    ("أنتِ قحبـــــة", "انت قحبه"),
    ("ﻻ إله إلا ﷲ", "لا اله الا الله"),
    ("ZAMEL\u200d!", "zamel!"),
    ("Ça va, enculé", "ca va, encule"),
    ("ڭلس کلبی", "كلس كلبي"),
    ("ك . ل . ب", "كلب"),
])
def test_normalize_for_matching(raw, expected):
    assert normalize_for_matching(raw) == expected


# --- The offset map ------------------------------------------------------------------------------

TRICKY_TEXTS = [
    "",
    "   ",
    "قال لي كَلْبٌ البارحة",
    "يا حـــمـــار!!",
    "\u200fولد\u200d الحرام\u200e",
    "ﻻ ﷲ ﷺ كلب",
    "ЅАLОРЕ é\u0301 ΑΣ İ",
    "ك ل ب و ح.م.ا.ر zzzzamel",
    "e\u0301\u0301\u0301 \u0627\u0653\u064e",
    "ـــكلب",
]
_ALPHABET = [*"كلبحمار  ای.ـ-éﷲΣAa3ﻻœİ", "\u064E", "\u0651", "\u200D", "\u0653", "\u0301"]


def _fuzz_texts(count: int = 300) -> list[str]:
    rng = random.Random(7)
    return ["".join(rng.choice(_ALPHABET) for _ in range(rng.randint(0, 25))) for _ in range(count)]


@pytest.mark.parametrize("text", TRICKY_TEXTS + _fuzz_texts())
def test_offsets_text_is_the_matching_text(text):
    mapped = normalize_with_offsets(text)
    assert mapped.text == normalize_for_matching(text)
    assert len(mapped.starts) == len(mapped.ends) == len(mapped.text)
    assert all(0 <= s < e <= len(text) for s, e in zip(mapped.starts, mapped.ends, strict=True))
    assert list(mapped.starts) == sorted(mapped.starts)


@pytest.mark.parametrize("text", TRICKY_TEXTS + _fuzz_texts())
def test_fast_and_careful_offset_paths_agree(text):
    fast = arabic._fold_with_offsets_fast(text)  # the whole-text path, when it applies
    assert fast is None or fast == arabic._fold_with_offsets_slow(text)


DISGUISED = [
    ("قال لي ", "كَلْبٌ", " البارحة", "كلب"),
    ("يا ", "حـــمـــار", "!!", "حمار"),
    ("قال لي ", "ك\u200dل\u200bب", " البارحة", "كلب"),
    ("قال لي ", "ک ل ب", " البارحة", "كلب"),
    ("قال لي ", "ك.ل.ب", ". البارحة", "كلب"),
    ("c'est un ", "ZAAAAMEL", " voilà", "zamel"),
    ("c'est un ", "e\u0301ncule\u0301", " voilà", "encule"),
    ("\u200f", "قحبة\u064B\u200f", " ", "قحبه"),
    ("", "ﻻ", " شيء", "لا"),
    ("", "🖕\U0001F3FF", " للكاتب", "🖕"),  # the skin tone highlighted with its emoji
]


@pytest.mark.parametrize(("before", "word", "after", "normalized"), DISGUISED)
def test_offsets_highlight_exactly_what_the_reader_wrote(before, word, after, normalized):
    mapped = normalize_with_offsets(before + word + after)
    i = mapped.text.index(normalized)
    start, end = mapped.span(i, i + len(normalized))
    assert (before + word + after)[start:end] == word


def test_span_refuses_empty_ranges():
    with pytest.raises(IndexError):
        MappedText("ab", (0, 1), (1, 2)).span(1, 1)


# --- The model's view ----------------------------------------------------------------------------

@pytest.mark.parametrize(("raw", "expected"), [
    ("شوف https://Hespress.com/x?y=1 دابا", "شوف URL دابا"),
    ("voir www.le360.ma et hespress.com", "voir URL et URL"),
    ("@Yassine  راك   حمار", "USER راك حمار"),
    ("رقم 2024 و 3", "رقم 2024 و 3"),
    ("  ك ل ب\n\tأنت  ", "كلب انت"),
    ("mail: a@b.ma", "mail: URL"),
])
def test_normalize_for_model(raw, expected):
    assert normalize_for_model(raw) == expected


def test_replace_urls_keeps_leetspeak_at_signs():
    assert replace_urls_and_mentions("s@lope") == "s@lope"


MODEL_SAMPLES = [
    "هاد المسؤول ما دار والو فهاد الملف وخاصو يستقيل",
    "نعل دين مك أ الكلب",
    "أنتم حمير يا ولاد الحرام",
    "nta 7mar o wld l9a7ba",
    "espèce de connard, ferme ta gueule",
    "الله يرحم الضحايا ديال الزلزال",
]


DISGUISES = [evasion.add_diacritics, evasion.add_tatweel, evasion.elongate, evasion.add_zero_width,
             evasion.swap_lookalikes, evasion.space_out]


@pytest.mark.parametrize("disguise", DISGUISES, ids=lambda f: f.__name__)
@pytest.mark.parametrize("text", MODEL_SAMPLES)
def test_model_view_ignores_disguises(disguise, text):
    for seed in range(5):
        assert normalize_for_model(disguise(text, random.Random(seed))) == normalize_for_model(text)


# --- Latin-script folds --------------------------------------------------------------------------

@pytest.mark.parametrize("variants", [
    ("7mar", "hmar", "hmer", "7mmar", "HMAR"),
    ("9a7ba", "qahba", "9ahba", "9e7ba", "q7ba", "9a77ba", "9a7pa"),  # no p in Darija
    ("kahba", "k7ba", "kehba"),
    ("kelb", "kalb", "klb", "kleb", "klab"),
    ("zamel", "zaml", "zmel", "zammel", "zaamel"),
    ("wld", "weld", "ould", "oueld", "wlad"),
    ("3azzi", "3zzi", "3azi"),
    ("khra", "5ra", "khraa", "kkhhra"),  # a two-letter spelling doubled is one letter
    ("charmouta", "sharmouta", "charmota", "xarmouta", "cchhaarrmmoouuttaa"),
    ("din", "dine", "diiin"),
    ("yl3n", "yal3an", "il3n"),
])
def test_fold_arabizi_spelling_variants_meet(variants):
    assert len({fold_arabizi(v) for v in variants}) == 1


@pytest.mark.parametrize(("one", "other"), [
    ("kalb", "qalb"),     # dog, heart: k and q stay apart
    ("hmar", "hamra"),    # donkey, red (fem.): a final a marks the feminine
    ("hmar", "ahmar"),    # donkey, red: a leading vowel is kept
    ("zamel", "zamil"),   # slur, colleague: i is a long vowel, kept
    ("3arbi", "3roubi"),  # Arab, hick
    ("kahba", "9a7ba"),   # k and q stay apart (both are listed)
    ("3azzi", "azzi"),    # ain is a consonant
])
def test_fold_arabizi_keeps_different_words_apart(one, other):
    assert fold_arabizi(one) != fold_arabizi(other)


@pytest.mark.parametrize(("leet", "plain"), [
    ("s@l0pe", "salope"), ("SALOPPE", "salope"), ("p$t€", "pste"), ("n!qu3", "nique"),
    ("c0nn4rd", "conard"), ("3ncul3", "encule"), ("enculé", "encule"), ("7r0u", "trou"),
    ("8ite", "8ite"),
])
def test_fold_leet(leet, plain):
    assert fold_leet(leet) == plain
