"""The keyword matcher's rules, the list files' validation, the shipped lists against evasion."""

import random
import re
from pathlib import Path

import pytest

from service import keywords
from service.keywords import (
    DEFAULT_KEYWORD_DIR,
    LEVELS,
    KeywordEntry,
    KeywordListError,
    KeywordMatcher,
    Match,
    entry_problem,
    load_keyword_entries,
    term_key,
)
from service.rules import RULES
from service.scoring import Policy, decide, is_mention
from service.text.arabic import EMOJI, collapse_doubles, normalize_for_matching
from tests import evasion

ENTRIES = [
    KeywordEntry("insult", "suspect", "كلب", "darija: dog"),
    KeywordEntry("insult", "suspect", "حمار", "darija: donkey"),
    KeywordEntry("insult", "block", "قحبة", "darija: whore"),
    KeywordEntry("insult", "block", "زب", "darija: dick"),
    KeywordEntry("insult", "block", "ولد الحرام", "darija: bastard"),
    KeywordEntry("insult", "block", "fils de pute", "fr: son of a whore"),
    KeywordEntry("insult", "block", "pute", "fr: whore"),
    KeywordEntry("insult", "block", "salope", "fr: slut"),
    KeywordEntry("insult", "suspect", "chienne", "fr: bitch"),
    KeywordEntry("insult", "suspect", "hmar", "arabizi: donkey"),
    KeywordEntry("insult", "suspect", "kelb", "arabizi: dog"),
    KeywordEntry("insult", "block", "9a7ba", "arabizi: whore"),
    KeywordEntry("insult", "block", "zamel", "arabizi: slur"),
    KeywordEntry("insult", "block", "wld l7ram", "arabizi: bastard"),
    KeywordEntry("religion", "block", "نعل دين", "darija: damn the religion of"),
    KeywordEntry("religion", "block", "n3al din", "arabizi: damn the religion of"),
    KeywordEntry("incitement", "suspect", "الروافض", "msa: sectarian term for Shia"),
]
ALLOW = ["زكي", "كسكس", "حرامي"]


@pytest.fixture(scope="module")
def matcher():
    return KeywordMatcher(ENTRIES + [KeywordEntry("insult", "block", "زك"),
                                     KeywordEntry("insult", "block", "سكس")], allow=ALLOW)


@pytest.fixture(scope="module")
def shipped():
    return KeywordMatcher.from_directory(DEFAULT_KEYWORD_DIR)


def found(matcher, text):
    """Return (rule, term, matched text) for each match."""
    return [(m.rule, m.term, text[m.start:m.end]) for m in matcher.find(text)]


def terms(matcher, text):
    return [m.term for m in matcher.find(text)]


# --- Whole tokens and clitics --------------------------------------------------------------------

@pytest.mark.parametrize("prefix", ["و", "ف", "ب", "ك", "ل", "ال", "لل", "وال", "فال", "بال", "كال",
                                    "ولل", "وب", "فب", "ول", "يا", "ويا", "يال", "ياال"])
def test_arabic_prefixes_are_stripped(matcher, prefix):
    assert found(matcher, f"شفت {prefix}كلب اليوم") == [("insult", "كلب", f"{prefix}كلب")]


@pytest.mark.parametrize("suffix", ["ه", "ها", "هم", "هن", "هما", "كم", "كن", "ك", "ي", "نا", "ني",
                                    "و"])
def test_arabic_pronoun_suffixes_are_stripped(matcher, suffix):
    assert terms(matcher, f"هذا حمار{suffix}") == ["حمار"]


def test_prefix_and_suffix_together(matcher):
    assert found(matcher, "وبحمارهم") == [("insult", "حمار", "وبحمارهم")]


def test_teh_marbuta_written_teh_before_a_suffix(matcher):
    assert found(matcher, "قحبتك") == [("insult", "قحبة", "قحبتك")]


def test_clitics_are_stripped_only_while_two_letters_remain():
    single_letter = KeywordMatcher([KeywordEntry("insult", "block", "ز")])
    assert terms(single_letter, "ز") == ["ز"]
    assert single_letter.find("وز") == [] and single_letter.find("زه") == []


@pytest.mark.parametrize("text", ["مكلبش", "كلبش", "الكلبوزات", "قلب", "كلابة", "زبون", "زبيب",
                                  "تحمارت", "salopette", "kelbouna"])
def test_no_match_inside_a_longer_word(matcher, text):
    assert matcher.find(text) == []


def test_plural_and_feminine_forms_match_only_when_listed(matcher):
    assert matcher.find("حمير") == []  # only حمار is listed here
    assert terms(KeywordMatcher([KeywordEntry("insult", "suspect", "حمير")]), "الحمير") == ["حمير"]


def test_an_article_on_a_listed_term_is_optional(matcher):
    assert terms(matcher, "روافض") == terms(matcher, "والروافض") == ["الروافض"]


def test_elongated_and_doubled_letters_meet_the_term(matcher):
    assert terms(matcher, "ياحماااار") == ["حمار"]
    assert terms(matcher, "حماار") == ["حمار"]


AFFIXED_WORDS = ["وبالمغرب", "فالحكومة", "للمواطنين", "والله", "كالكلب", "دالمغرب", "ولد", "وو",
                 "قحبتك", "دينمك", "كتابهم", "ها", "wlkelb", "fel", "lhmar", "yalkhra", "l", ""]


@pytest.mark.parametrize("prefixes", ["ARABIC_PREFIXES", "LATIN_PREFIXES", "ARABIC_ARTICLES",
                                      "LATIN_ARTICLES"])
def test_prefixes_are_tried_in_their_listed_order(prefixes):
    """Prefixes are looked up by their first letter: the forms are all listed ones', in order."""
    listed = getattr(keywords, prefixes)
    for word in AFFIXED_WORDS:
        for min_rest in (1, 2, 3):
            every = [word] + [word[len(p):] for p in listed
                              if word.startswith(p) and len(word) - len(p) >= min_rest]
            assert keywords._strip_prefixes(word, listed, min_rest) == every, word


def test_suffixes_are_tried_in_their_listed_order():
    for word in AFFIXED_WORDS:
        every = [word]
        for suffix in keywords.ARABIC_SUFFIXES:
            if word.endswith(suffix) and len(word) - len(suffix) >= keywords._MIN_STEM:
                every.append(word[: -len(suffix)])
                if every[-1].endswith("ت"):
                    every.append(every[-1][:-1] + "ه")
        assert keywords._strip_arabic_suffixes(word) == every, word


# --- The allow list ------------------------------------------------------------------------------

@pytest.mark.parametrize("text", ["زكي", "يازكي", "الكسكس", "بالكسكس", "وزكي"])
def test_allowed_words_never_match(matcher, text):
    assert matcher.find(text) == []


def test_the_allow_list_is_what_keeps_them_from_matching():
    without_allow = KeywordMatcher([KeywordEntry("insult", "block", "زك"),
                                    KeywordEntry("insult", "block", "سكس")])
    assert terms(without_allow, "زكي") == ["زك"] and terms(without_allow, "كسكس") == ["سكس"]


def test_an_allowed_word_does_not_hide_its_term(matcher):
    assert terms(matcher, "زكك") == ["زك"]


# --- Phrases -------------------------------------------------------------------------------------

@pytest.mark.parametrize("text", ["ولد الحرام", "وولد الحرام", "ولد لحرام", "ولد حرام",
                                  "يا ولد الحراااام",
                                  "ولد.الحرام", "ولد الحرامك", "ولدالحرام"])
def test_arabic_phrases(matcher, text):
    assert terms(matcher, text) == ["ولد الحرام"]


@pytest.mark.parametrize("text", ["ولد صاحبي الحرام", "ولد الحرامي", "الحرام ولد"])
def test_arabic_phrases_need_their_words_in_order(matcher, text):
    assert "ولد الحرام" not in terms(matcher, text)


@pytest.mark.parametrize("text", ["نعل دين مك", "نعل الدين", "نعلدين", "نعل دينمك", "ونعل دين"])
def test_blasphemous_curse_forms(matcher, text):
    assert terms(matcher, text) == ["نعل دين"]


@pytest.mark.parametrize("text", ["n3al din", "N3EL DINE", "n3al dinmok", "n3aldin",
                                  "n3aaaal diiiin"])
def test_arabizi_phrases(matcher, text):
    assert terms(matcher, text) == ["n3al din"]


@pytest.mark.parametrize("text", ["wld l7ram", "weld l7ram", "ould el7ram", "wld 7ram",
                                  "wlad l7ram"])
def test_arabizi_phrase_spellings_and_articles(matcher, text):
    assert terms(matcher, text) == ["wld l7ram"]


def test_a_phrase_hides_the_term_inside_it(matcher):
    assert found(matcher, "t'es un fils de pute") == [("insult", "fils de pute", "fils de pute")]


# --- Latin script --------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "term"), [
    ("7mar", "hmar"), ("hmer", "hmar"), ("HMAR", "hmar"), ("kalb", "kelb"), ("klb", "kelb"),
    ("qahba", "9a7ba"), ("9ahba", "9a7ba"), ("zaml", "zamel"), ("zzzzamel", "zamel"),
])
def test_arabizi_spellings(matcher, text, term):
    assert terms(matcher, f"nta {text} a sahbi") == [term]


@pytest.mark.parametrize(("text", "term"), [
    ("lkelb", "kelb"), ("el7mar", "hmar"), ("l9a7ba", "9a7ba"), ("wl9a7ba", "9a7ba"),
    ("bzamel", "zamel"), ("ya7mar", "hmar"), ("delkelb", "kelb"),
])
def test_darija_prefixes_on_latin_tokens(matcher, text, term):
    assert found(matcher, text) == [("insult", term, text)]


def test_a_latin_prefix_is_stripped_only_while_three_letters_remain():
    short = KeywordMatcher([KeywordEntry("insult", "block", "zb", "arabizi")])
    assert terms(short, "zb") == ["zb"] and short.find("lzb") == []


def test_kalb_and_qalb_stay_apart(matcher):
    assert matcher.find("qalbi m3ak") == []


@pytest.mark.parametrize("text", ["s@l0pe", "SALOPE", "sal0ppe", "salopes", "ѕаlоре", "p.u.t.e"])
def test_french_leetspeak(matcher, text):
    assert len(matcher.find(f"quelle {text} !")) == 1


def test_french_terms_skip_the_arabizi_skeleton(matcher):
    assert matcher.find("la chine") == []  # chienne and chine share the Arabizi skeleton "cin"
    assert terms(matcher, "ch1enne") == ["chienne"]


@pytest.mark.parametrize("text", ["contre", "kalbi", "hamra", "ahmar", "zamil", "9alb", "putsch"])
def test_latin_words_that_only_resemble_a_term(matcher, text):
    assert matcher.find(text) == []


# --- Matches -------------------------------------------------------------------------------------

def test_match_offsets_cover_the_disguised_word(matcher):
    text = "قال لي يا كَلْـــبٌ\u200d ثم ذهب"
    [match] = matcher.find(text)
    assert text[match.start:match.end] == "يا كَلْـــبٌ\u200d"[3:]


def test_matches_are_sorted_and_unique(matcher):
    text = "9a7ba w قحبة w kelb w 9a7ba"
    matches = matcher.find(text)
    assert [m.start for m in matches] == sorted(m.start for m in matches)
    assert len({(m.rule, m.start, m.end) for m in matches}) == len(matches) == 4


def test_block_wins_over_suspect_on_the_same_span():
    both = KeywordMatcher([KeywordEntry("insult", "suspect", "كلب"),
                           KeywordEntry("insult", "block", "كلب")])
    assert [m.level for m in both.find("كلب")] == ["block"]


def test_the_closest_term_explains_a_match():
    both = KeywordMatcher([KeywordEntry("insult", "block", "شرموط"),
                           KeywordEntry("insult", "block", "شرموطة")])
    assert terms(both, "يا شرموطة") == ["شرموطة"] and terms(both, "شرموطك") == ["شرموط"]


def test_match_to_dict():
    assert Match("insult", "block", "قحبة", 3, 7).to_dict() == {
        "rule": "insult", "level": "block", "term": "قحبة", "start": 3, "end": 7}


def test_clean_text_has_no_match(matcher):
    assert matcher.find("شكرا على المقال، merci pour l'article") == []


def test_word_positions_agree_with_the_tokenizer():
    rng = random.Random(5)
    for _ in range(3000):
        text = "".join(rng.choice("ab@$€! .كل3") for _ in range(rng.randint(1, 14)))
        words = keywords.tokenize(text)
        if words:
            assert keywords._word_spans(text, words, len(words) - 1) == [
                m.span() for m in keywords._TOKEN_RE.finditer(text)], text


# --- Entries and files ---------------------------------------------------------------------------

@pytest.mark.parametrize(("entry", "problem"), [
    (KeywordEntry("insults", "block", "x"), "unknown rule"),
    (KeywordEntry("insult", "blok", "x"), "unknown level"),
    (KeywordEntry("insult", "block", "\u064E\u0640"), "no letters"),
    (KeywordEntry("insult", "block", "123"), "no letters"),
    (KeywordEntry("insult", "block", "!!"), "no letters or emoji"),
])
def test_entry_problems(entry, problem):
    assert problem in entry_problem(entry)
    with pytest.raises(ValueError, match=problem):
        KeywordMatcher([entry])


def _write_lists(directory: Path, **files: str) -> Path:
    contents = {f"{rule}.tsv": "# header\n" for rule in RULES} | {"allow.txt": ""}
    contents |= {name.replace("_", "."): text for name, text in files.items()}
    for name, text in contents.items():
        (directory / name).write_text(text, encoding="utf-8")
    return directory


def test_load_keyword_entries(tmp_path):
    _write_lists(tmp_path, insult_tsv="# c\n\nblock\tقحبة\tdarija\nsuspect\tحمار\n",
                 allow_txt="# c\nزكي\n")
    entries, allow = load_keyword_entries(tmp_path)
    assert entries == [KeywordEntry("insult", "block", "قحبة", "darija"),
                       KeywordEntry("insult", "suspect", "حمار")]
    assert allow == ["زكي"]


@pytest.mark.parametrize(("files", "where", "what"), [
    ({"insult_tsv": "# c\nblok\tقحبة\n"}, "insult.tsv:2", "unknown level 'blok'"),
    ({"religion_tsv": "block قحبة\n"}, "religion.tsv:1", "got 1 tab-separated field"),
    ({"insult_tsv": "block\tقحبة\tnote\textra\n"}, "insult.tsv:1", "got 4 tab-separated field"),
    ({"insult_tsv": "block\t\u064E\n"}, "insult.tsv:1", "no letters"),
    ({"insult_tsv": "block\tقحبة\n\nsuspect\tقحبه\n"}, "insult.tsv:3", "duplicates line 1"),
    ({"insult_tsv": "block\tالروافض\nsuspect\tروافض\n"}, "insult.tsv:2", "duplicates line 1"),
    ({"insult_tsv": "block\tزكي\n", "allow_txt": "زكي\n"}, "insult.tsv:1", "on the allow list"),
    ({"allow_txt": "# c\n\u064E\n"}, "allow.txt:2", "no letters"),
    ({"allow_txt": "=pique nique\n"}, "allow.txt:1", "exactly one word as written"),
    ({"insult_tsv": "block\tسلا\n", "allow_txt": "=سلا\n"}, "insult.tsv:1", "on the allow list"),
    ({"incitement_tsv": "block\tيلعن {group}\n"}, "incitement.tsv:1", "no arabic group"),
    ({"incitement_tsv": "block\tsale {group}\tfr\n", "groups_txt": "arabic\tاليهود\tJews\n"},
     "incitement.tsv:1", "no french group"),
    ({"incitement_tsv": "block\t{group} {group}\n"}, "incitement.tsv:1", "at most one of"),
    ({"insult_tsv": "block\t{person} {group}\n"}, "insult.tsv:1", "at most one of"),
    ({"insult_tsv": "block\t{person} حمار\n"}, "insult.tsv:1", "no arabic person"),
    ({"people_txt": "arabic\tالكاتب\n"}, "people.txt:1", "expected 'script<TAB>person<TAB>gloss'"),
    ({"incitement_tsv": "block\tيلعن {groupe}\n"}, "incitement.tsv:1", "no other braces"),
    ({"groups_txt": "arabic\tاليهود\n"}, "groups.txt:1", "expected 'script<TAB>group<TAB>gloss'"),
    ({"groups_txt": "latin\tjuif\tJew\n"}, "groups.txt:1", "unknown script 'latin'"),
    ({"groups_txt": "arabic\tjuif\tJew\n"}, "groups.txt:1", "not written in arabic"),
    ({"groups_txt": "french\tاليهود\tJews\n"}, "groups.txt:1", "not written in french"),
    ({"incitement_tsv": "block\tيلعن {group}\nblock\tيلعن اليهود\n",
      "groups_txt": "arabic\tاليهود\tthe Jews\n"}, "incitement.tsv:2", "duplicates line 1"),
])
def test_list_errors_name_file_and_line(tmp_path, files, where, what):
    _write_lists(tmp_path, **files)
    with pytest.raises(KeywordListError) as error:
        load_keyword_entries(tmp_path)
    assert where in str(error.value) and what in str(error.value)


def test_a_template_is_read_once_per_group_of_its_script(tmp_path):
    _write_lists(
        tmp_path,
        incitement_tsv="block\tيلعن {group}\tmsa: damn {group}\nblock\tالموت ل{group}\n"
                       "block\tsale {group}\tfr: dirty {group}\nblock\tyn3al {group}\tarabizi\n",
        groups_txt="# c\narabic\tاليهود\tthe Jews\narabic\tعرب\tArabs\nfrench\tjuif\tJew\n"
                   "arabizi\tlihoud\tthe Jews\n")
    entries, _ = load_keyword_entries(tmp_path)
    assert [(e.term, e.note) for e in entries] == [
        ("يلعن اليهود", "msa: damn the Jews"), ("يلعن عرب", "msa: damn Arabs"),
        ("الموت لليهود", ""), ("الموت لعرب", ""),  # ل + ال is written لل
        ("sale juif", "fr: dirty Jew"), ("yn3al lihoud", "arabizi")]


def test_a_person_template_is_read_once_per_person_of_its_script(tmp_path):
    _write_lists(
        tmp_path,
        insult_tsv="block\t{person} حمار\tmsa: {person} (is) a donkey\nblock\t{person} kelb\n",
        people_txt="arabic\tالكاتب\tthe writer\narabic\tانت\tyou\narabizi\trak\tyou are\n")
    entries, _ = load_keyword_entries(tmp_path)
    assert [(e.term, e.note) for e in entries] == [
        ("الكاتب حمار", "msa: the writer (is) a donkey"), ("انت حمار", "msa: you (is) a donkey"),
        ("rak kelb", "")]


def test_a_template_of_emoji_only_is_read_with_every_script(tmp_path):
    """Readers put the emoji after a group's name in any script; a French name is then matched
    as a French word (leetspeak only), as in a template noted "fr"."""
    _write_lists(
        tmp_path,
        incitement_tsv="block\t{group} 🐒\temoji: {group} (are) monkeys\n",
        groups_txt="arabic\tالافارقة\tAfricans\nfrench\tafricain\tAfrican\n"
                   "arabizi\tlafar9a\tAfricans\n")
    entries, _ = load_keyword_entries(tmp_path)
    assert [(e.term, e.leet_only) for e in entries] == [
        ("الافارقة 🐒", False), ("africain 🐒", True), ("lafar9a 🐒", False)]


def test_a_one_word_allow_line_and_a_phrase(tmp_path):
    _write_lists(tmp_path, allow_txt="زكي\npique nique\n")
    assert load_keyword_entries(tmp_path)[1] == ["زكي", "pique nique"]


def test_missing_rule_list(tmp_path):
    _write_lists(tmp_path)
    (tmp_path / "religion.tsv").unlink()
    with pytest.raises(KeywordListError, match=r"religion\.tsv: missing keyword list"):
        load_keyword_entries(tmp_path)


def test_unknown_rule_list(tmp_path):
    _write_lists(tmp_path)
    (tmp_path / "insults.tsv").write_text("block\tx\n", encoding="utf-8")
    with pytest.raises(KeywordListError, match=r"insults\.tsv: no rule named 'insults'"):
        load_keyword_entries(tmp_path)


# --- The shipped lists ---------------------------------------------------------------------------

SHIPPED_ENTRIES, SHIPPED_ALLOW = load_keyword_entries(DEFAULT_KEYWORD_DIR)
_EMOJI_TERM_RE = re.compile(f"[{EMOJI}]")


def _disguisable(entries: list[KeywordEntry]) -> list[KeywordEntry]:
    """The entries whose disguises are tested: every term without an emoji, and one term with an
    emoji per rule and words (of "الوزير 🐷" and "الوزير 🐶" only the first): disguises change
    the words, and the emoji is one token whatever the words, so each further emoji would repeat
    the test of the same words (and double the unit tests' time)."""
    chosen, seen = [], set()
    for entry in entries:
        words = _EMOJI_TERM_RE.sub("", entry.term).strip()
        if words == entry.term.strip():
            chosen.append(entry)
        elif (entry.rule, words) not in seen:
            seen.add((entry.rule, words))
            chosen.append(entry)
    return chosen


BLOCK_ENTRIES = _disguisable([e for e in SHIPPED_ENTRIES if e.level == "block"])


def test_shipped_lists_are_valid():
    assert {e.rule for e in SHIPPED_ENTRIES} == set(RULES)
    assert {e.level for e in SHIPPED_ENTRIES} == set(LEVELS)
    for rule in RULES:
        keys = [term_key(e.term) for e in SHIPPED_ENTRIES if e.rule == rule]
        assert len(keys) == len(set(keys)), rule
    assert all(normalize_for_matching(e.term).strip() for e in SHIPPED_ENTRIES)
    assert all(e.note for e in SHIPPED_ENTRIES)
    # hand-written lists, not a dump of a word list (a template line counts once)
    written = [line for rule in RULES for line in
               (DEFAULT_KEYWORD_DIR / f"{rule}.tsv").read_text(encoding="utf-8").splitlines()
               if line.strip() and not line.startswith("#")]
    # 400 until round 22 added 123 terms, 600 until round 31 added 11, each measured on the
    # training splits (docs/keyword-review.md)
    assert 150 <= len(written) <= 650 < len(SHIPPED_ENTRIES)


@pytest.mark.parametrize("entry", SHIPPED_ENTRIES, ids=lambda e: f"{e.rule}-{e.term}")
def test_every_shipped_term_matches_itself(shipped, entry):
    assert any(m.rule == entry.rule and m.level == entry.level for m in shipped.find(entry.term))


@pytest.mark.parametrize("text", [
    "اليهود المغاربة جزء من تاريخ هذا البلد", "الشيعة والسنة", "المسيحيين في المغرب", "الأمازيغ",
    "الأفارقة", "المهاجرين", "les migrants subsahariens", "les juifs marocains",
    "les arabes et les berbères", "lihoud dial lmaghrib", "الصحراويين والجزائريين",
    # the Darija plural past tense is also the imperative: news of a killing names no hate
    "البوليس قتلو المهاجرين فالحدود", "الدواعش ذبحو المسيحيين فليبيا",
])
def test_shipped_lists_never_name_a_group(shipped, text):
    assert shipped.find(text) == []  # hate is in what is said of a group: the classifier's job


@pytest.mark.parametrize(("text", "rule", "level"), [
    # after a group, incitement
    ("اليهود القذرين", "incitement", "block"), ("ليهود القذرين", "incitement", "block"),
    ("اليهود القذرون", "incitement", "block"), ("والأفارقة الوسخين", "incitement", "block"),
    ("الشيعة الأنجاس", "incitement", "block"), ("هاد النصارى كلاب", "incitement", "suspect"),
    # pork is forbidden to Jews: a group then an animal is suspect, never block
    ("عند اليهود الخنازير محرمة بحال المسلمين", "incitement", "suspect"),
    # said of a religion, an attack on religion
    ("الإسلام دين قذر", "religion", "block"), ("المسيحية دين وسخ", "religion", "block"),
    ("الدين القذر ديالكم", "religion", "block"), ("din wsekh", "religion", "block"),
    ("l'islam est une religion pourrie", "religion", "block"),
    ("une sale religion", "religion", "block"),
    # filth said of a book could be of its pages: held only if the model reads religion too
    ("التوراة كتاب قذر يجب حرقه", "religion", "suspect"),
])
def test_a_word_of_filth_said_of_a_group_or_a_religion_is_listed(shipped, text, rule, level):
    assert {m.level for m in shipped.find(text) if m.rule == rule} == {level}


@pytest.mark.parametrize(("text", "term"), [
    ("nta 7meer", "nta hmar"), ("9ee7ba", "9a7ba"), ("zeemel", "zamel"), ("hmeer", "hmar"),
    ("l9a7pa", "9a7ba"),
])
def test_an_arabizi_word_stretched_with_ee_or_spelled_with_p_is_caught(shipped, text, term):
    assert term in {m.term for m in shipped.find(text)}


@pytest.mark.parametrize("text", ["zeen bzaf had lmaqal", "feen ghadi", "pas mal", "le pape"])
def test_reading_ee_and_p_both_ways_leaves_innocent_words_alone(shipped, text):
    assert shipped.find(text) == []


@pytest.mark.parametrize("word", SHIPPED_ALLOW)
def test_shipped_allowed_words_never_match(shipped, word):
    assert shipped.find(f"قال {word} امس") == []


@pytest.mark.parametrize("text", [
    "زكريا دفع الزكاة وأكل الكسكس مع زكي", "الزبون اشترى الزبيب", "قلبي معاك", "كسى الفقراء",
    "الكلاب الضالة ولات خطر على الدراري فالحي", "ولد الحرامي شد الحبس", "رئيس الحكومة تفوه بكلام",
    "lah yr7em lwalidin, bravo 3la had lmaqal", "lah ykhlf 3la lfellah, l7mir w lbgar mato bl3tech",
    "Le ministre doit démissionner, c'est un échec total", "la Chine et le Japon",
    "Yannick porte des Nike", "الحمد لله على السلامة", "نعل جديدة فالسوق",
    "ما كاين حتى دين على الدولة", "tabboune et la presse",
    "قواعد اللعبة", "الإعراب عن القلق", "سيارة 2024 بثمن 74 مليون",
    "depuis le coup d'État au Niger, la route du Sahel s'est intensifiée", "NIGER", "le Nigeria",
    "ga3 nass wlad adam w 7wa",  # Adam and Eve: 7wa is not t7wa with its t read as leet
    "une salopette bleue pour le chantier",  # salop is listed, but inside a word nothing is
    "une sale race de chiens errants dans le quartier",  # "sale race": suspect, not block
    "Le pain bâtard est passé à 3 dh dans ma boulangerie",  # a loaf; bâtard is listed
    "الخرا على الأرض فكل زنقة، الكلاب الضالة عمرات الحي",  # lying there; "خرا على" is listed
    # round 16, words of comments labelled clean read as a listed term once a clitic or a
    # pronoun is stripped: ف + تحوا, عزوة + ي, و + كس + ة, عزيين in "console me", د + نياك,
    # عطاي + ك, و + زك + ها, ك + زب, ب + كس
    "يجب أن نتعاون مع السوريين، فكثير منهم فتحوا مطاعم ومحلات وشغلوا مغاربة",
    "ابوي يا عزوتي يا جعلني فداه", "يا اخواني وعزوتي", "عزيني نعزيك", "جتك وكسة",
    "وكسة الامارات لاتزال قوية", "دنياك بأكملها على عرضها و الطول", "من عطائك تخجلين",
    "اللهم آت نفسي تقواها وزكها", "دون كزب ونفاق", "قال ستار بكس ترمز لشخصية",
    # round 22, Arabizi skeletons of proposed terms that were dropped: khra is also "another"
    # (khra 3la: shit on), n7wi also grammar (I fuck), l97ab a spelling of the punishment
    # (9a7ab: whores)
    "mara khra 3la had lmawdo3, khasna nhdro", "l2ostad dyal n7wi w sarf mzyan",
    "l7okm kan khfif bzaf, l97ab khasso ykon 9ase7",
    # ... and of terms held to suspect: Nike, new shoes (n3al jdad, not "n3al jed", damn the
    # grandfather of), and the debate on children born outside marriage
    "عقد نايك مع الجامعة الملكية", "n3al jdad f souk", "حكم اولاد الزنا في الميراث",
    # and words of round 22's allow list
    "شريت صباط نايكي جديد", "عرصة مولاي عبد السلام فمراكش", "مباراة في البليدة",
    "une balade en quad dans le désert de Merzouga", "الزلزال جعل القرية عاليها سافلها",
])
def test_shipped_lists_leave_innocent_text_alone(shipped, text):
    assert [m for m in shipped.find(text) if m.level == "block"] == []


@pytest.mark.parametrize(("text", "term"), [
    ("الوزير سير تحوا أنت والحكومة ديالك", "تحوا"), ("وكسها", "كس"),
    ("المرا ديال الجار كيقولو ليها العزوة", "عزوة"), ("سير كول مع العزيين", "عزيين"),
    ("يا نياك", "نياك"), ("يا العطاي", "عطاي"), ("زكها", "زك"), ("بكس", "كس"),
])
def test_allowing_those_words_leaves_the_terms_inside_them_listed(shipped, text, term):
    assert term in {m.term for m in shipped.find(text) if m.level == "block"}


@pytest.mark.parametrize(("text", "expected"), [
    # round 25: "in the countryside" is the place; the people named with the same word, or sent
    # "back to their countryside", still hold the comment for review when the model agrees
    ("المعزة ما كتكلفش بزاف، مشروع مزيان فالعروبية", []),
    ("الجفاف ضرب بزاف في العروبية هاد العام", []),
    ("العروبية خاصهم يرجعو للعروبية ديالهم", ["عروبي", "عروبي"]),
])
def test_the_countryside_is_not_the_slur_for_its_people(shipped, text, expected):
    assert [m.term for m in shipped.find(text) if m.rule == "incitement"] == expected


# --- Evasion: every block term, disguised, is still caught where it is ---------------------------

def _is_arabic(term: str) -> bool:
    return any(evasion.is_arabic_letter(c) for c in term)


def _variants(term: str) -> dict[str, str]:
    # An emoji has no letters to disguise: the words of an emoji term are disguised, the emoji
    # stays where it is ("الوزير 🐷" -> "ا.ل.و.ز.ي.ر 🐷"). Their words are a phrase's first
    # word, which takes a clitic as written, not onto a spaced-out article ("بالا.ل.و.ز.ي.ر" is
    # the generator's "بال" + "الوزير"), and the normalizer joins three spaced letters or more:
    # "y a 🐷" stays two letters, as "y a hmar" would be three words.
    emoji = _EMOJI_EDGE_RE.search(term)
    if emoji:
        words = term[:emoji.start()] + term[emoji.end():]
        variants = _word_variants(words)
        variants.pop("clitic_dotted", None)
        if len(_letters(words)) < 3:
            del variants["spaced"], variants["dotted"]
        return {name: variant + emoji.group() if emoji.start() else emoji.group() + variant
                for name, variant in variants.items()}
    return _word_variants(term)


_EMOJI_EDGE_RE = re.compile(f"^[{EMOJI}]+ | [{EMOJI}]+$")  # an emoji term's emoji, and its space


def _letters(text: str) -> str:
    return "".join(c for c in normalize_for_matching(text) if c.isalnum())


def _word_variants(term: str) -> dict[str, str]:
    variants = {
        "diacritics": evasion.add_diacritics(term),
        "elongated": evasion.elongate(term),
        "zero_width": evasion.add_zero_width(term),
        "lookalikes": evasion.swap_lookalikes(term),
        "spaced": evasion.space_out(term),
        "dotted": evasion.space_out(term, sep="."),
    }
    if _is_arabic(term):
        variants["tatweel"] = evasion.add_tatweel(term)
        # clitics written onto the first dotted letter: "بالق.ح.ب.ة" (not for two letters,
        # which the normalizer does not join after a clitic: "بالز.ب" is not caught)
        if " " not in term and len(normalize_for_matching(term)) >= 3:
            variants["clitic_dotted"] = "بال" + evasion.space_out(term, sep=".")
    else:
        variants |= {"upper": evasion.upper_case(term), "leet": evasion.leetify(term),
                     "doubled": evasion.double_letters(term)}
    return variants


EVASION_CASES = [(entry, name, variant) for entry in BLOCK_ENTRIES
                 for name, variant in _variants(entry.term).items()]


@pytest.mark.parametrize(("entry", "name", "variant"), EVASION_CASES,
                         ids=[f"{e.rule}-{e.term}-{name}" for e, name, _ in EVASION_CASES])
def test_disguised_block_terms_are_caught(shipped, entry, name, variant):
    before = "قال لي " if _is_arabic(entry.term) else "il m'a dit "
    after = " البارحة" if _is_arabic(entry.term) else " hier soir"
    text = before + variant + after
    spans = {(m.start, m.end) for m in shipped.find(text)
             if m.rule == entry.rule and m.level == "block"}
    assert (len(before), len(before) + len(variant)) in spans, (variant, shipped.find(text))


CUT_TERMS = [e for e in BLOCK_ENTRIES if _is_arabic(e.term) and " " not in e.term
             and len(collapse_doubles(normalize_for_matching(e.term))) >= 5]


@pytest.mark.parametrize("entry", CUT_TERMS, ids=[e.term for e in CUT_TERMS])
def test_block_terms_cut_in_two_by_a_space_are_caught(shipped, entry):
    """Five letters or more (a doubled letter counted once): cut anywhere that leaves two on
    each side, unless a side is a common short word, clitics aside (the matcher's own rule)."""
    word = collapse_doubles(normalize_for_matching(entry.term))
    cuts = [cut for cut in range(2, len(word) - 1)
            if not keywords._is_split_part_a_word(word[:cut], word[cut:])]
    assert cuts, entry.term
    for cut in cuts:
        variant = word[:cut] + " " + word[cut:]
        text = "قال لي " + variant + " البارحة"
        assert (entry.rule, "block", 7, 7 + len(variant)) in [
            (m.rule, m.level, m.start, m.end) for m in shipped.find(text)], variant


# A one-letter word has no inside to cut ("ا 🐷", the Darija vocative before an emoji).
GLUABLE_ENTRIES = [e for e in BLOCK_ENTRIES if evasion.in_word_places(e.term)
                   or not _EMOJI_EDGE_RE.search(e.term)]


@pytest.mark.parametrize("entry", GLUABLE_ENTRIES,
                         ids=[f"{e.rule}-{e.term}" for e in GLUABLE_ENTRIES])
def test_block_terms_cut_by_one_glued_mark_are_caught(shipped, entry):
    """A dot, dash, underscore, slash, bullet or emoji glued between any two letters of a word
    ("ق.حبة", "9a7-ba", "z_ebbi"): the matcher reads the parts joined."""
    before = "قال لي " if _is_arabic(entry.term) else "il m'a dit "
    after = " البارحة" if _is_arabic(entry.term) else " hier soir"
    places = evasion.in_word_places(entry.term)
    assert places, entry.term
    for place in places:
        variant = evasion.cut_with_a_mark(entry.term, place=place)
        text = before + variant + after
        assert (entry.rule, len(before), len(before) + len(variant)) in [
            (m.rule, m.start, m.end) for m in shipped.find(text) if m.level == "block"
        ], (variant, shipped.find(text))


# --- Clause punctuation --------------------------------------------------------------------------

@pytest.mark.parametrize("text", ["ولد، الحرام", "ولد, الحرام", "ولد؛ الحرام", "ولد: الحرام",
                                  "ولد. الحرام", "ولد ؟ الحرام", "ولد! الحرام"])
def test_a_phrase_does_not_run_across_clause_punctuation(matcher, text):
    assert "ولد الحرام" not in terms(matcher, text)


@pytest.mark.parametrize(("text", "expected"), [
    ("wld, l7ram", []), ("fils : de pute", ["pute"]), ("fils, de pute", ["pute"]),
    ("fils de pute : non", ["fils de pute"]),
])
def test_latin_phrases_stop_at_clause_punctuation_too(matcher, text, expected):
    assert terms(matcher, text) == expected


@pytest.mark.parametrize(("text", "term"), [
    ("ولد.الحرام", "ولد الحرام"),      # a dot glued between two words is a disguise
    ("ولد - الحرام", "ولد الحرام"),    # a dash is no clause break
    ("ك, ل, ب", "كلب"),                # commas between the letters of one word: spaced out
    ("p, u, t, e", "pute"),
    ("f.i.l.s, d.e p.u.t.e", "fils de pute"),
    ("ق.حبة", "قحبة"),                  # one mark glued inside a word: read joined
    ("يا قح-بة", "قحبة"),
    ("9a7.ba", "9a7ba"),
    ("ولد ال.حرام", "ولد الحرام"),
    ("ق😡حبة", "قحبة"),
])
def test_punctuation_inside_one_disguised_word_still_matches(matcher, text, term):
    assert terms(matcher, text) == [term]


@pytest.mark.parametrize(("text", "expected"), [
    ("ولد الحرام.قحبة", ["ولد الحرام", "قحبة"]),  # words glued by a dot are read apart too
    ("الوزير حمار.والحكومة", ["حمار"]),
    ("ولد,الحرام", []),                          # a comma glued between words ends a clause
    ("p.ute", ["pute"]), ("pu,te", []), ("pu'te", []),
])
def test_a_word_cut_by_a_mark_is_read_both_joined_and_as_written(matcher, text, expected):
    assert terms(matcher, text) == expected


# --- Words allowed as written --------------------------------------------------------------------

@pytest.fixture(scope="module")
def as_written():
    return KeywordMatcher([KeywordEntry("incitement", "block", "sale arabe", "fr: dirty Arab"),
                           KeywordEntry("incitement", "suspect", "عزي", "darija: slur"),
                           KeywordEntry("insult", "block", "nique", "fr: fuck")],
                          allow=["=salé", "=salles", "=عزى", "=pique-nique"])


@pytest.mark.parametrize("text", [
    "Salé arabe", "SALÉ ARABE", "Sale\u0301 arabe", "les salles arabes", "عزى", "عزّى", "والعزى",
    "اللات والعزى", "عـزى الملك", "pique-nique", "Pique-Nique en famille",
])
def test_words_allowed_as_written_never_match(as_written, text):
    assert as_written.find(text) == []


@pytest.mark.parametrize(("text", "term"), [
    ("sale arabe", "sale arabe"), ("sales arabes", "sale arabe"),
    ("s\u0301a\u0308l\u0300e\u0301 arabe", "sale arabe"),  # an accent on every letter: a disguise
    ("ssaallee aarraabbee", "sale arabe"), ("عزي", "عزي"), ("العزي", "عزي"),
    ("عز\u06cc", "عزي"),  # ARABIC LETTER FARSI YEH, a look-alike of ي, not the alef maqsura
    ("nique", "nique"), ("nique-toi", "nique"),
])
def test_words_allowed_as_written_leave_the_term_listed(as_written, text, term):
    assert terms(as_written, text) == [term]


def test_folding_an_accented_allow_word_would_allow_the_term():
    folded = KeywordMatcher([KeywordEntry("incitement", "block", "sale arabe", "fr")],
                            allow=["salé"])
    assert folded.find("sale arabe") == []  # why "=salé" is compared as written


# --- One-word terms with a short stem keep their article -----------------------------------------

def test_a_one_word_term_keeps_its_article_before_a_three_letter_stem():
    both = KeywordMatcher([KeywordEntry("incitement", "suspect", "عزي"),
                           KeywordEntry("incitement", "block", "العزي")])
    assert [m.level for m in both.find("العزي")] == ["block"]
    assert [m.level for m in both.find("والعزي")] == ["block"]
    assert [m.level for m in both.find("عزي")] == ["suspect"]
    assert term_key("العزي") != term_key("عزي")
    assert term_key("الروافض") == term_key("روافض") and term_key("الموت لليهود") == "موت لليهود"


# --- Emoji inside a word -------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "term"), [
    ("ق🤬ح🤬ب🤬ة", "قحبة"), ("ك😡لب", "كلب"), ("نعل د😡ين", "نعل دين"), ("p😡u😡te", "pute"),
    ("ياك😡لب", "كلب"),
])
def test_emoji_inside_a_word_are_read_as_spacers(matcher, text, term):
    assert found(matcher, f"قال {text} امس")[0][1:] == (term, text)


def test_emoji_between_words_keep_them_apart(matcher):
    assert terms(matcher, "قحبة😡يا") == ["قحبة"]
    assert terms(matcher, "كلب😂حمار") == ["كلب", "حمار"]
    assert matcher.find("ق😡a") == [] and matcher.find("ك 😡 لب") == []


# --- Emoji as terms -------------------------------------------------------------------------------

EMOJI_LISTS = [
    KeywordEntry("insult", "suspect", "🖕", "emoji: the middle finger"),
    KeywordEntry("insult", "block", "الوزير 🐷", "emoji: the minister (is) a pig"),
    KeywordEntry("insult", "block", "nta 🐷", "emoji: you (are) a pig"),
    KeywordEntry("insult", "block", "كاتب المقال 🐷", "emoji: the writer (is) a pig"),
    KeywordEntry("incitement", "block", "الافارقة 🐒", "emoji: Africans (are) monkeys"),
    KeywordEntry("incitement", "block", "africain 🐒", "", leet_only=True),
    *(entry for entry in ENTRIES if entry.term in ("قحبة", "ولد الحرام")),
]


@pytest.fixture(scope="module")
def emoji_matcher() -> KeywordMatcher:
    return KeywordMatcher(EMOJI_LISTS)


@pytest.mark.parametrize(("text", "term", "written"), [
    ("🖕 للكاتب", "🖕", "🖕"),
    ("🖕🏿", "🖕", "🖕🏿"),  # a skin tone is the same gesture, highlighted with it
    ("الوزير 🐷", "الوزير 🐷", "الوزير 🐷"),
    ("والوزير🐷🐷🐷 ما دار والو", "الوزير 🐷", "والوزير🐷"),  # a clitic, glued, repeated
    ("NTA 🐷", "nta 🐷", "NTA 🐷"),
    ("ك.ا.ت.ب ا.ل.م.ق.ا.ل 🐷", "كاتب المقال 🐷", "ك.ا.ت.ب ا.ل.م.ق.ا.ل 🐷"),  # joined words
    ("الأفارقة 🐒🐒", "الافارقة 🐒", "الأفارقة 🐒"),
    ("les Africains 🐒", "africain 🐒", "Africains 🐒"),
    ("lafar😡9a", None, None),  # a word cut by an emoji is no emoji term
])
def test_emoji_terms_are_found_where_they_are_written(emoji_matcher, text, term, written):
    matches = [m for m in emoji_matcher.find(text) if _EMOJI_TERM_RE.search(m.term)]
    assert [(m.term, text[m.start:m.end]) for m in matches] == (
        [(term, written)] if term else [])


@pytest.mark.parametrize("text", [
    "الوزير زار إفران 🐒",  # an animal emoji not said of the listed word
    "الوزير، 🐷",  # a clause break between them
    "المقال 🐷",  # a word the term does not hold
    "les Africains 🐐",  # another emoji
])
def test_emoji_terms_need_their_words_next_to_their_emoji(emoji_matcher, text):
    assert [m for m in emoji_matcher.find(text) if _EMOJI_TERM_RE.search(m.term)] == []


def test_emoji_terms_leave_the_words_terms_as_they_were(emoji_matcher):
    # an emoji is still a gap for the other terms: inside a word, and between a phrase's words
    assert [m.term for m in emoji_matcher.find("ق🤬ح🤬ب🤬ة")] == ["قحبة"]
    assert [m.term for m in emoji_matcher.find("ولد 😡 الحرام 🐷")] == ["ولد الحرام"]
    assert [(m.term, m.level) for m in emoji_matcher.find("الوزير🐷 قحبة")] == [
        ("الوزير 🐷", "block"), ("قحبة", "block")]


@pytest.mark.parametrize("text", [
    "قرد الماكاك 🐒 فغابة إفران كيشد الماكلة من يد السياح", "الحولي 🐑 وصل لـ5000 درهم",
    "الحلوف 🐷 خسر الزرع ديال الفلاحة", "الحارس 🦁 وقف كلشي", "اللاعب ديالنا 🐐",
    "الطريق رجعات كيف كانت 🤡", "Le singe de la médina 🐒 a volé mes lunettes 😂",
    "الحارس دار 🖕 للجمهور وخدا توقيف",
])
def test_shipped_emoji_terms_leave_innocent_emoji_alone(shipped, text):
    assert [m for m in shipped.find(text) if m.level == "block"] == []


@pytest.mark.parametrize(("text", "rule"), [
    ("الوزير 🐷🐷", "insult"), ("nta 🤡", "insult"), ("يا 💩", "insult"),
    ("الصحفي🐕", "insult"), ("الأفارقة 🐒🐒", "incitement"), ("les juifs 🐷", "incitement"),
    ("lafar9a 🐒", "incitement"), ("المهاجرين 🐀", "incitement"), ("القرآن 💩", "religion"),
    ("le Coran 💩", "religion"),
])
def test_shipped_emoji_terms_reject_what_they_say(shipped, text, rule):
    assert rule in {m.rule for m in shipped.find(text) if m.level == "block"}


# --- Which term a match reports ------------------------------------------------------------------

def test_a_match_reports_the_term_written_out_in_it():
    both = KeywordMatcher([KeywordEntry("insult", "block", "نيك"),
                           KeywordEntry("insult", "block", "ننيك")])
    assert terms(both, "نيك") == ["نيك"] and terms(both, "ننيك") == ["ننيك"]


# --- Words cut in two, allowed phrases ----------------------------------------------------------

@pytest.fixture(scope="module")
def cut():
    return KeywordMatcher([KeywordEntry("insult", "block", "شرموطة"),
                           KeywordEntry("insult", "block", "زامل"),
                           KeywordEntry("incitement", "suspect", "عربان"),
                           KeywordEntry("insult", "suspect", "كلاب"),
                           KeywordEntry("insult", "block", "nique", "fr"),
                           KeywordEntry("insult", "suspect", "حمار")],
                          allow=["pique nique", "حمار الوحش"])


@pytest.mark.parametrize(("text", "term", "written"), [
    ("انتي شر موطة", "شرموطة", "شر موطة"), ("وشر موطتك", "شرموطة", "وشر موطتك"),
    ("شر.موطة", "شرموطة", "شر.موطة"), ("يا زا مل", "زامل", "زا مل"),
])
def test_a_term_cut_in_two_by_a_space_matches(cut, text, term, written):
    assert [(t, w) for _, t, w in found(cut, text)] == [(term, written)]


@pytest.mark.parametrize("text", [
    "على العرب ان يتحدوا", "قال العرب انهم", "للعرب لأنهم",  # عربان: ان، لأن are words
    "كل اب يحب اولاده",                                   # كلاب: كل، اب
    "وزا مل", "زا ملك",  # four letters: both halves exactly as written, no clitics
    "شر، موطة",  # clause punctuation is no disguise
    "زا mal",    # two scripts
])
def test_innocent_word_pairs_are_not_a_term_cut_in_two(cut, text):
    assert found(cut, text) == []


@pytest.mark.parametrize(("text", "expected"), [
    ("on a fait un pique nique", []),
    ("pique niques", [("insult", "nique", "niques")]),  # words as listed: list the plural too
    ("nique ta mère au pique nique", [("insult", "nique", "nique")]),
    ("حمار الوحش في الحديقة", []), ("والحمار الوحش", []),  # a prefix on the first word
    ("حمار الوحش وانت حمار", [("insult", "حمار", "حمار")]),
    ("الوحش حمار", [("insult", "حمار", "حمار")]),  # the phrase's words in its order only
])
def test_an_allowed_phrase_hides_the_terms_inside_it_only(cut, text, expected):
    assert found(cut, text) == expected


# --- The audit of the shipped lists --------------------------------------------------------------

AUDITED_INNOCENT = [
    "عزى جلالة الملك أسرة الفقيد في هذا المصاب الجلل، رحمه الله",
    "عزى رئيس الحكومة عائلات ضحايا الفيضانات بآسفي", "عزّى الوزير عائلة الضحية",
    "كان العرب في الجاهلية يعبدون اللات والعزى ومناة قبل الإسلام",
    "المرحوم زاملني في الثانوية", "زاملنا في كلية الحقوق بفاس", "زاملها وزاملهم في الجامعة",
    "كان دين مكة قبل الإسلام عبادة الأصنام", "تحية للأستاذ نور الدين المكي",
    "الدكتور عز الدين مكي من أحسن الأطباء", "لعب صلاح الدين مكي مباراة كبيرة",
    "Bravo Nour Din Mekki, meilleur prof de maths",
    "بلغ السيل الزبى مع هاد الغلاء", "ابن الكلبي مؤرخ عربي ألف كتاب الأصنام",
    "Le mellah de Salé: juifs et musulmans y vivaient en paix",
    "Je suis né à Salé, marocain et fier de l'être",
    "Un commerçant de Salé, algérien d'origine, a été arrêté hier",
    "Le boulevard de Salé noir de monde hier soir après la victoire",
    "Les habitants de Salé, arabes et amazighs, méritent mieux que ça",
    "Les salles arabes de cinéma ne passent plus ce genre de films",
    "On a fait un pique-nique en famille à la forêt de la Maâmora",
    "On a fait un pique nique en famille", "l'art nègre a inspiré Picasso",
    "الخنزير البري يفسد محاصيل الفلاحين", "حمار الوحش في حديقة الحيوانات",
    "على العرب ان يتحدوا", "كل اب يحب اولاده",
    "7ta ana chrit Nikes jdad b 1200 dh",
]


@pytest.mark.parametrize("text", AUDITED_INNOCENT)
def test_audited_innocent_text_has_no_block_match(shipped, text):
    assert [m for m in shipped.find(text) if m.level == "block"] == []


@pytest.mark.parametrize(("text", "term"), [
    ("الحمد لله، عزي وكرامتي في بلادي", "عزي"),  # also the slur: held if the model agrees
    ("Cet été on était à Cabo Negro", "négro"), ("Le FDP allemand a quitté la coalition", "fdp"),
])
def test_audited_ambiguous_words_are_suspect(shipped, text, term):
    assert [(m.level, m.term) for m in shipped.find(text)] == [("suspect", term)]


@pytest.mark.parametrize(("text", "rule", "term"), [
    # the real insults next to the audited innocent words
    ("هاد العزي خاصو يرجع لبلادو", "incitement", "العزي"), ("سير يا العزي", "incitement", "العزي"),
    ("هاد العزيين عمرو الرباط", "incitement", "عزيين"),
    ("واحد عزي دخل للحانوت", "incitement", "واحد عزي"), ("l3azzi", "incitement", "3azzi"),
    ("يا زامل", "insult", "زامل"), ("نعل دين مك", "religion", "نعل دين"),
    ("دينمك", "religion", "دين مك"), ("din mmak", "religion", "din mmak"),
    ("زبي", "insult", "زب"), ("ابن الكلب", "insult", "ابن الكلب"),
    ("sale arabe", "incitement", "sale arabe"), ("SALE MAROCAIN", "incitement", "sale marocain"),
    ("nique ta mère", "insult", "nique ta mère"), ("niquetamère", "insult", "nique ta mère"),
    ("nik mok", "insult", "nik mok"),
    # the terms the audit found missing
    ("الله ينعل بوك", "insult", "ينعل بوك"), ("ينعل جد بوك", "insult", "ينعل جد"),
    ("ينعل والديك", "insult", "ينعل والديك"), ("الله ينعل دينك", "religion", "ينعل دين"),
    ("الله ينعل دين مو", "religion", "ينعل دين"), ("ينعل ربك", "religion", "ينعل رب"),
    ("lah yn3al bok", "insult", "yn3al bok"), ("yen3el din", "religion", "yn3al din"),
    ("yn3al rabbek", "religion", "yn3al rabbek"), ("نعل الاسلام", "religion", "نعل الاسلام"),
    ("نعل الله", "religion", "نعل الله"),
    ("شرموته", "insult", "شرموتة"), ("الشرموطات", "insult", "شرموطات"),
    ("قحبات", "insult", "قحبات"), ("غانحويك", "insult", "غانحويك"),
    ("ghan7wik", "insult", "ghan7wik"), ("gan7wik", "insult", "ghan7wik"),
    ("الله ينعل هاد الدين اللي جبتو", "religion", "ينعل هاد الدين"),
    ("نتا وحد zmla ما تعرف والو", "insult", "zamla"),
    ("المدير ديالنا ق**ة بصح", "insult", "قحبة"), ("ز**ل", "insult", "زامل"),
    ("Cet enkulé de ministre", "insult", "enkulé"), ("ptn", "insult", "ptn"),
    ("vtff", "insult", "vtff"), ("tepu", "insult", "tepu"), ("pétasse", "insult", "pétasse"),
    ("pouffiasse", "insult", "pouffiasse"), ("sale feuj", "incitement", "sale feuj"),
    ("Les sales feujs contrôlent les médias", "incitement", "sale feuj"),
    ("sale rebeu", "incitement", "sale rebeu"), ("sale renoi", "incitement", "sale renoi"),
    ("لعن الله اليهود والنصارى", "incitement", "لعن الله اليهود"),
    ("لعن الله الشيعة", "incitement", "لعن الله الشيعة"),
    ("الموت للصحراويين الخونة", "incitement", "الموت للصحراويين"),
    ("الموت للشلوح", "incitement", "الموت للشلوح"),
    ("الموت للامازيغ", "incitement", "الموت للامازيغ"),
    ("الموت للجزائريين", "incitement", "الموت للجزائريين"),
    ("الموت للأفارقة", "incitement", "الموت للافارقة"),
    ("mort aux algériens", "incitement", "mort aux algérien"),
    ("mort aux Africains", "incitement", "mort aux africain"),
    ("Mort aux Subsahariens, dehors !", "incitement", "mort aux subsaharien"),
    ("à mort les chiites", "incitement", "à mort les chiite"),
    ("tuez les juifs", "incitement", "tuez les juif"),
    ("اقتلوا العرب", "incitement", "اقتلوا العرب"),
    ("واذبحوا الشيعة", "incitement", "اذبحوا الشيعة"),
    ("sale chiite", "incitement", "sale chiite"), ("yl3an ch3a", "incitement", "yl3an ch3a"),
    ("lazem n9atlo ga3 ch3a", "incitement", "n9atlo ga3 ch3a"),
    ("ق🤬ح🤬ب🤬ة", "insult", "قحبة"), ("ز😡امل", "insult", "زامل"),
    ("نعل د😡ين مك", "religion", "نعل دين"),
    ("نيك", "insult", "نيك"),
    ("الله ينعل اليهود", "incitement", "ينعل اليهود"),
    ("lah yn3al lihoud", "incitement", "yn3al lihoud"),
    ("الله ينعل الشلوح", "incitement", "ينعل الشلوح"),
    ("الموت للمهاجرين", "incitement", "الموت للمهاجرين"),
    ("sale juive", "incitement", "sale juive"),
    ("يلعن السوريين", "incitement", "يلعن السوريين"),
    ("ناري شر موطة", "insult", "شرموطة"), ("زا مل", "insult", "زامل"),
    # round 22: forms the lists lacked (docs/keyword-review.md)
    ("يا ابن الزانية", "insult", "ابن الزانية"), ("ولاد الكلب هادو", "insult", "ولاد الكلب"),
    ("بنت الكلب هاديك", "insult", "بنت الكلب"), ("كسختك", "insult", "كس ختك"),
    ("الله ينعل طاسيلة بوك", "insult", "ينعل طاسيلة"), ("nta wld lkelb", "insult", "wld lkelb"),
    ("يلعن ربكم", "religion", "يلعن رب"), ("n3al rabbkom", "religion", "n3al rab"),
    ("طز في الإسلام", "religion", "طز في الاسلام"),
    ("coran de merde", "religion", "coran de merde"),
    ("تفو على اليهود", "incitement", "تفو على اليهود"),
])
def test_audited_block_terms_are_caught(shipped, text, rule, term):
    assert (rule, "block", term) in [(m.rule, m.level, m.term) for m in shipped.find(text)]


@pytest.mark.parametrize(("text", "term"), [
    ("ترمتك", "ترمة"), ("هاد المكلخين ما فاهمين والو", "مكلخين"), ("ftg toi", "ftg"),
    ("espèce d'ordure", "ordure"), ("الكحالش", "كحالش"),
    # "kill" in forms that also report a killing or mean "fight": held, not rejected
    ("Il faut tuer les migrants", "tuer les migrant"), ("khassna n9atlo chi3a", "n9atlo chi3a"),
])
def test_audited_suspect_terms_are_caught(shipped, text, term):
    assert ("suspect", term) in [(m.level, m.term) for m in shipped.find(text)]


# --- Reported slogans (scoring's mention cues) ---------------------------------------------------

@pytest.mark.parametrize(("text", "reported"), [
    ("مستوطنون يرددون الموت للعرب في باب العامود والعالم ساكت", True),
    ("رفعوا شعارات الموت للعرب", True), ("وسط هتافات الموت للعرب", True),
    ("Des tags mort aux juifs sur une synagogue à Paris, c'est honteux", True),
    ("Les manifestants scandaient mort aux arabes devant l'ambassade", True),
    ("الموت للعرب", False), ("شعارنا الموت للعرب", False),
    ("mort aux juifs, des tags partout", False),
])
def test_a_reported_slogan_is_a_mention(shipped, text, reported):
    [match] = [m for m in shipped.find(text) if m.level == "block"]
    policy = Policy.from_model({rule: {"suspect": 0.5, "review": 0.8, "reject": 0.9}
                                for rule in RULES})
    clean, supported = dict.fromkeys(RULES, 0.1), dict.fromkeys(RULES, 0.6)
    assert is_mention(text, match.start, match.end) is reported
    assert decide(clean, [match], policy, text)[0] == ("approve" if reported else "reject")
    assert decide(supported, [match], policy, text)[0] == ("review" if reported else "reject")


# --- Letters masked with "*" ---------------------------------------------------------------------

@pytest.mark.parametrize(("text", "term"), [
    ("f*ck you", "fuck"), ("f**k islam", "fuck"), ("fils de p*te", "pute"),
    ("c*nnard", "connard"), ("enc*lé de ministre", "enculé"), ("p*tain de retard", "putain"),
    ("المدير ق**ة", "قحبة"), ("شر*وطة", "شرموطة"), ("يا ز**ل", "زامل"),
    # masked inside and after: the stars after it are part of the disguise
    ("f*ck* you", "fuck"), ("fils de p*te*", "pute"), ("المدير ق**ة*", "قحبة"),
])
def test_terms_masked_with_stars_are_caught(shipped, text, term):
    (match,) = [m for m in shipped.find(text) if m.term == term]
    assert "*" in text[match.start:match.end] and match.level == "block"


@pytest.mark.parametrize(("text", "term"), [
    ("Encul*", "enculé"), ("fils de put*", "pute"), ("هاد قحب* ما تحشمش", "قحبة"),
    ("يا زام**", "زامل"),  # the blind audit's "Encul*"
])
def test_a_word_masked_at_its_end_is_a_suspect_match(shipped, text, term):
    (match,) = shipped.find(text)
    assert (match.term, match.level) == (term, "suspect")
    assert text[match.start:match.end].endswith("*")


@pytest.mark.parametrize("text", [
    "هو أحسن مني* بكثير", "نحو* مستقبل أفضل", "قصة النبي لوط* عليه السلام", "Who* is to blame",
    "I put* the link below", "حلال* عليك",
])
def test_a_footnote_star_after_a_word_never_rejects(shipped, text):
    # "مني*" could be منيوك masked, or "than me" with a footnote: the model decides (suspect)
    assert all(m.level == "suspect" for m in shipped.find(text))


def test_the_term_a_masked_word_reports_does_not_depend_on_earlier_comments(shipped):
    fresh = KeywordMatcher.from_directory(DEFAULT_KEYWORD_DIR)
    fresh.find("enncul*")  # doubled letters: the same pattern, a longer word written
    assert [m.term for m in fresh.find("encul*")] == [m.term for m in shipped.find("encul*")]


@pytest.mark.parametrize("text", [
    "prix* 30dh", "*important*", "le 2*3 fait 6", "ce m*c est nul", "note*: voir plus bas",
    "*الحكومة* فاشلة", "الحكومة*الفاشلة", "ق*", "*ة",
    # an end masked with two letters showing is too little to guess, doubled letters counting
    # once; a footnote star after a word that starts no term
    "pu** de ministre", "fu**", "p*t* de ministre", "puu** de ministre", "fuu**",
    "Le prix du pain* a encore monté", "الماء* مقطوع",
])
def test_stars_that_mask_no_listed_word_match_nothing(shipped, text):
    assert shipped.find(text) == []


def test_the_masked_term_reported_is_the_closest_in_length():
    both = KeywordMatcher([KeywordEntry("insult", "block", "زامل"),
                           KeywordEntry("insult", "block", "زوامل")])
    assert [m.term for m in both.find("ز**ل")] == ["زامل"]
    assert [m.term for m in both.find("ز***ل")] == ["زوامل"]


def test_arabizi_terms_are_not_guessed_under_stars():
    # Arabizi spells with digits and a skeleton: a star there is no letter to guess.
    arabizi = KeywordMatcher([KeywordEntry("insult", "block", "9a7ba", "darija: whore")])
    assert arabizi.find("9*7ba") == []
    french = KeywordMatcher([KeywordEntry("insult", "block", "salope", "fr: slut")])
    assert [m.term for m in french.find("sal*pe")] == ["salope"]


@pytest.mark.parametrize(("text", "level"), [
    ("espèce de salop", "block"), ("Salops!", "block"), ("s.a.l.o.p", "block"),
    ("sale race", "suspect"), ("Sale race va !", "suspect"),
])
def test_french_insults_an_auditor_saw_approved(shipped, text, level):
    assert [(m.rule, m.level) for m in shipped.find(text)] == [("insult", level)]


# Round 27: French animals (and a clown, a mop) said of people are suspect alone, as the Arabic
# ones are: they hold a comment only when the model sees an insult too, since the goats of
# Essaouira and the monkeys of Ifrane are news.
@pytest.mark.parametrize(("text", "term"), [
    ("Ce député est un rat", "rat"), ("L'arbitre est un guignol", "guignol"),
    ("ce singe de défenseur", "singe"), ("Ces joueurs sont des chèvres", "chèvre"),
    ("un ministre clown", "clown"), ("ch.a.c.a.l", "chacal"),
])
def test_french_animals_said_of_people_are_suspect(shipped, text, term):
    assert [(m.rule, m.level, m.term) for m in shipped.find(text)] == [("insult", "suspect", term)]


def test_darija_drat_is_not_the_french_rat(shipped):
    # "li drat m3ak" (what she did to you): the Darija d (of) + rat, allowed whole
    assert shipped.find("dir m3a nass li drat m3ak") == []
    assert [m.term for m in shipped.find("d rat")] == ["rat"]


@pytest.mark.parametrize(("text", "term"), [
    ("الكاتب حمار وما عارف والو فالاقتصاد", "الكاتب حمار"),
    ("المدرب بهيمة، بدل لاعب واحد ف90 دقيقة", "المدرب بهيمة"),
    ("هاد الوزير حمار", "الوزير حمار"), ("والكاتب كلب", "الكاتب كلب"),
    ("كاتب المقال حمار", "كاتب المقال حمار"), ("سكت أ الحمار", "ا حمار"),
    ("يا حيوان", "يا حيوان"), ("ياحيوان", "يا حيوان"), ("سير يا الكلب", "يا كلب"),
    ("sket ya l7ayawan", "ya 7ayawan"), ("nta 7mar", "nta hmar"), ("rak klb", "rak kelb"),
])
def test_an_animal_word_said_of_someone_is_blocked(shipped, text, term):
    """Round 8's audit: "الكاتب حمار …" in a long comment was approved (the word alone is
    suspect, and the model gave the comment 0.06)."""
    assert ("insult", "block", term) in [(m.rule, m.level, m.term) for m in shipped.find(text)]


@pytest.mark.parametrize("text", [
    "الفلاح حمارو مات والعام كان صعيب",  # nobody named: the word alone, suspect
    "كان ليا حمار فالدوار", "لا كلب لا قط فالدار",  # ليا, لا: not a vocative with a clitic
    "المعلق قال على الحكم 'قرد' وهذا عيب", "قال للاعب «حمار» فالبلاطو",  # a quoted word
    "جاب معاه ويا كلبو", "3tani lya kelb sghir",
    "lhilal la7mar wsal l nador", "a7mar",  # red, not "a" (vocative) + "7mar"
    "الحمار الوحشي في حديقة الحيوانات",
])
def test_an_animal_word_said_of_no_one_is_not_blocked(shipped, text):
    assert [m for m in shipped.find(text) if m.level == "block"] == []


@pytest.mark.parametrize(("text", "term"), [
    ("انت غبي وما فاهم والو", "انت غبي"), ("هاد الوزير مكلخ", "الوزير مكلخ"),
    ("ياحثالة", "يا حثالة"), ("الرئيس حقير", "الرئيس حقير"), ("يــا غــبــي", "يا غبي"),
    ("nta mkelkh a sa7bi", "nta mkelkh"), ("wach rak ghbi?", "rak ghbi"),
    ("sir a ya bouzbal", "ya bouzbal"),
    # the superlative's allow entry (اغبي) is for the word written whole, not spaced out
    ("ا غ ب ي سير تقرا", "ا غبي"), ("ا . غ . ب . ي", "ا غبي"),
])
def test_stupid_or_scum_said_of_someone_is_blocked(shipped, text, term):
    """Round 13: these words alone are suspect and wait for the model, which approved plain
    Arabizi insults in round 13's probe ("nta wahd ghbi", 0.08: with a word between, that one
    waited until round 16, below); said of someone they are insults."""
    assert ("insult", "block", term) in [(m.rule, m.level, m.term) for m in shipped.find(text)]


@pytest.mark.parametrize(("text", "term"), [
    ("nta wahd ghbi, la 3aref tarikh la jogharfia", "nta wahd ghbi"),
    ("nta wa7d l7mar", "nta wahd hmar"), ("نتا واحد الحمار ما فاهم والو", "نتا واحد حمار"),
    ("راك واحد البغل", "راك واحد بغل"), ("وإنت واحد كلب متلو", "انت واحد كلب"),
])
def test_you_are_a_with_one_before_the_insult_is_blocked(shipped, text, term):
    """Round 16: Darija and Levantine say "you are one donkey" ("نتا واحد الحمار"); the word
    between the person and the insult kept "{person} حمار" from matching."""
    assert ("insult", "block", term) in [(m.rule, m.level, m.term) for m in shipped.find(text)]


@pytest.mark.parametrize("text", [
    "انت واحد من الناس اللي كيفهمو", "nta wahd mn lmgharba li kaybghiw lkhir",
    "شريت واحد الحمار فالسوق", "rak wahd f lmillion",
])
def test_you_are_one_of_names_no_insult(shipped, text):
    assert [m for m in shipped.find(text) if m.level == "block"] == []


@pytest.mark.parametrize("text", [
    "هذا أغبى قرار اتخذته الحكومة", "بأغبى طريقة ممكنة ضيعنا الماتش",  # the superlative,
    "اغبي قرار اتخذته الحكومة", "واغبي حاجة هي الضريبة الجديدة",  # also written with ي
    "الحكم تافه مقارنة مع الجريمة",  # a lenient sentence: الحكم is not only the referee
    "المقال زبالة والمعطيات غالطة", "lmatch kan ghbi bzaf",  # an article, a match
])
def test_stupid_said_of_no_one_is_not_blocked(shipped, text):
    """Said of a person ("انت اغبي واحد") the superlative is left to the model, as any word is
    that insults people and also judges things."""
    assert [m for m in shipped.find(text) if m.level == "block"] == []


@pytest.mark.parametrize(("text", "expected"), [
    ("Lprof dyal wlidi un vrai c.o.n w 9lil ttrbiya", ("insult", "suspect", "con")),
    ("Had lmoukhrij h.m.a.r b sa7, kol film khayb", ("insult", "suspect", "hmar")),
    ("N3l t@bon m0k", ("insult", "block", "tabon mok")),
])
def test_disguises_round_8s_held_back_audit_found(shipped, text, expected):
    """Found reading the audit's second half after its figures were taken: a dotted word ran
    into the one-letter word after it ("c.o.n w" read "conw")."""
    assert expected in [(m.rule, m.level, m.term) for m in shipped.find(text)]


@pytest.mark.parametrize("text", [
    "خرا عليك وعلى الصحراويين ديالك", "خ.ر.ا عليك", "خرا عليه", "خرا على هاد الحكومة",
    "خرا عليكم انتوما وياه",
])
def test_a_swear_at_someone_is_blocked_where_the_word_alone_is_suspect(shipped, text):
    """Round 8's audit: "خ.ر.ا عليك" was approved, the word alone held only if the model
    agreed. Said of a person it is a swear; the word alone is also what dogs leave."""
    assert ("insult", "block", "خرا على") in [(m.rule, m.level, m.term) for m in shipped.find(text)]


# --- Denials of saying ---------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "term"), [
    ("ما غاديش نقول على الوزير حمار، غادي نقول بلي المخطط ديالو فشل", "الوزير حمار"),
    ("وما غاديش نقول على الوزير حمار", "الوزير حمار"),  # a clitic on the denial's first word
    ("لن أقول إن الوزير حمار بل إن خطته فشلت", "الوزير حمار"),
    ("ma ghadich ngoul belli nta hmar, ghir ma fhemtich", "nta hmar"),
])
def test_a_template_said_after_a_denial_of_saying_it_is_left_to_the_model(shipped, text, term):
    """Round 25's probe: "I won't say the minister is a donkey, I'll say his plan failed" was
    rejected by the block template "{person} حمار". Said of someone the word is raised from
    suspect to block; denied, it goes back to suspect: held if the model reads an insult in it
    (a sly denial), approved if not."""
    assert (term, "suspect") in [(m.term, m.level) for m in shipped.find(text)]
    assert [m for m in shipped.find(text) if m.level == "block"] == []


@pytest.mark.parametrize(("text", "term"), [
    ("الوزير حمار", "الوزير حمار"),
    ("ما غاديش نقول والو. الوزير حمار", "الوزير حمار"),  # the denial ends with its sentence
    ("ما غاديش نقول بزاف، الوزير حمار", "الوزير حمار"),
    ("الوزير حمار وما غاديش نقول كثر", "الوزير حمار"),  # a denial after the insult
    ("je ne dis pas que c'est un fils de pute", "fils de pute"),  # a slur is no template
])
def test_a_denial_elsewhere_or_of_a_slur_keeps_the_block(shipped, text, term):
    assert (term, "block") in [(m.term, m.level) for m in shipped.find(text)]


def test_denials_load_from_the_lists_folder_with_errors_by_line(tmp_path):
    _write_lists(tmp_path, insult_tsv="block\t{person} حمار\n",
                 people_txt="arabic\tالوزير\tthe minister\n")
    assert KeywordMatcher.from_directory(tmp_path).denials == ()  # no file, no denials
    (tmp_path / "denials.txt").write_text("# c\nما غاديش نقول\nje ne dis pas\n", encoding="utf-8")
    matcher = KeywordMatcher.from_directory(tmp_path)
    assert matcher.denials == ("ما غاديش نقول", "je ne dis pas")
    assert [m.level for m in matcher.find("ما غاديش نقول الوزير حمار")] == ["suspect"]
    (tmp_path / "denials.txt").write_text("# c\n\nnon\n", encoding="utf-8")
    with pytest.raises(KeywordListError, match="denials.txt:3: .*two words or more"):
        KeywordMatcher.from_directory(tmp_path)

