"""Keyword lists as data, and the matcher that finds their terms in comments, explained.

Each rule has a list, ``keywords/<rule>.tsv``: ``level<TAB>term<TAB>note`` lines, where level is
``block`` (reject) or ``suspect`` (hold for review). ``keywords/allow.txt`` lists innocent words
(and phrases) that look like a listed term once clitics are stripped. A term written with
``{group}`` ("يلعن {group}", "sale {group}") is a template, read once per group of its script in
``keywords/groups.txt``, so a curse covers every group and a group every curse; one written with
``{person}`` ("{person} حمار") is read once per word of ``keywords/people.txt`` (the writer, a
minister, "you"), so an animal word said of someone is caught where the word alone is only
suspect. Terms are normalized at load time with the same ``normalize_for_matching`` as comments.

Matching is by whole token, with the clitics of Arabic and Darija around a stem:

- Arabic script: prefixes و ف ب ك ل ال لل د and their combinations (وال، بال، فال، ولل، وب...),
  and vocative يا attached (ياحمار); pronoun suffixes ه ها هم هن هما كم كن ك ي نا ني و and
  Darija مك (a stem ending in ت before a suffix is also tried with the teh marbuta it was:
  قحبتك -> قحبه). Plural and feminine forms are listed as their own terms. Clitics
  are stripped only while a stem of 2+ letters remains, and a leading definite article on a term
  is dropped at load time so "الروافض" and "روافض" are one term (a one-word term keeps it
  before a stem of three letters: "العزي", a slur, is not "عزي", "my pride"). Letters doubled by
  elongation ("حماار") meet the term written once.
- Latin script: a term matches when ``fold_leet`` of the token and the term agree, or, for Arabizi
  terms, when ``fold_arabizi`` agrees (only for skeletons of 3+ characters, shorter ones collide
  with innocent words). Darija prefixes l, el, al, w, b, f, d, ya (and w/b/f/d + article) are
  stripped when 3+ characters remain, and a French plural "s" when 4+ remain.
- Phrases match across consecutive tokens: prefixes on the first token, suffixes on the last
  (Darija suffixes in Latin letters too: "n3al dinmok"), and the article (ال، لل، ل / l, el, al)
  may be present or not on the others ("ولد لحرام" for "ولد الحرام"). A phrase also matches
  written as one word ("n3aldin", "نعلدين", or spaced-out letters, which the normalizer joins).
  A two-letter term also matches as two separated letters ("ز ب"), which the normalizer, joining
  three or more, leaves apart. A phrase does not run across clause punctuation (, ; : ! ? ، ؛ ؟,
  a full stop or a quotation mark next to a space): "Salé, marocain" is not "sale marocain". A
  dot glued between two words ("ولد.الحرام") is a disguise, not a full stop, and still matches.
- Words cut apart by emoji or by a mark glued between two letters ("ز😡امل", "ق🤬ح🤬ب🤬ة",
  "ق.حبة", "9a7.ba", "z-ebbi") are also read joined, as the normalizer joins letters spaced out
  with punctuation; the parts are still read as they are written too. A star is no cut: it
  masks letters (below).
- A one-word Arabic term of four letters or more also matches cut in two by a space ("شر موطة",
  "زا مل"), with two of its letters or more on each side (single letters are the normalizer's
  job), clitics around the parts only from five letters ("وشر موطتك"), and never where a part is
  a common short word ("العرب ان" is not عربان, "كل اب" not كلاب).
- A one-word Arabic, French or English term matches a word with letters masked by stars ("ق**ة",
  "p*te", "f**k"): a run of n stars stands for 1 to n + 1 letters, and of the terms that fit,
  the one closest in length to what is written is reported. A word masked only at its end, with
  three letters or more showing ("encul*", "قحب*"), is a suspect match whatever the term's level:
  a star after a word is also a footnote ("مني*", "put*"). Arabizi terms are not guessed this way:
  their digits are letters, and their skeletons are too short to guess from.

An emoji is a word of a term ("🖕", "{person} 🐷", "{group} 🐒", "القران 💩"): such terms are read
by a second matcher whose words include each emoji, so that everywhere else an emoji stays a gap
between words (above). Skin tones are folded away by the normalizer (🖕🏿 is 🖕), a flag is one
word of two letters (🇩🇿), a run of the same emoji is read from its first ("الوزير🐷🐷🐷"), and a
run of emoji glued between two letters cuts a word rather than being read ("lafar😡9a"). A
template of emoji only ("{group} 🐒") is read with the groups or people of every script, French
ones as French words.

A denial of saying ("je ne dis pas que", "ما غاديش نقول", ``keywords/denials.txt``) earlier in the
clause of a block term read from a template lowers that match to suspect: "ما غاديش نقول على
الوزير حمار، غادي نقول بلي المخطط ديالو فشل" (I won't say the minister is a donkey, I'll say his
plan failed) is the word said of no one, as "حمار" alone is; the model judges whether the denial
is sincere. A listed slur stays block whatever denies it.

A note starting with ``fr`` or ``en`` marks a French or English term: it matches through
``fold_leet`` only, because French words run through the Arabizi skeleton meet innocent ones
(chienne and chine are both "cin").

A token on the allow list, whole or once a prefix is stripped (بالزكاه -> زكاه), never matches.
An allowed phrase ("pique nique", "حمار الوحش") hides the terms inside it, there only.
An allow-list word marked ``=`` ("=salé", "=عزى", "=pique-nique") is compared with the word as its
writer wrote it (case, Arabic marks and tatweel aside, hyphenated compounds whole): for words that
only an accent, an alef maqsura, a doubled letter or a hyphen sets apart from a listed term, which
folding erases.
Results are cached per distinct token, so ``find`` costs about a dict lookup per word.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from functools import cache, lru_cache
from pathlib import Path
from typing import NamedTuple

from service.rules import RULES
from service.text.arabic import (
    ARABIZI_DIGITS,
    EMOJI,
    IN_WORD_MARKS,
    MappedText,
    apply_nfkc,
    collapse_doubles,
    fold_arabizi,
    fold_leet,
    lowercase,
    normalize_for_matching,
    normalize_with_offsets,
    strip_diacritics,
    strip_tatweel,
    strip_zero_width_and_bidi,
)

LEVELS: tuple[str, ...] = ("block", "suspect")  # block = reject, suspect = hold for review
DEFAULT_KEYWORD_DIR = Path(__file__).parent / "keywords"
ALLOW_FILE = "allow.txt"
GROUPS_FILE = "groups.txt"
GROUP_SLOT = "{group}"  # a term written with it is read once per group of its script
PEOPLE_FILE = "people.txt"
PERSON_SLOT = "{person}"  # read once per person of its script
DENIALS_FILE = "denials.txt"
SLOT_FILES = {GROUP_SLOT: GROUPS_FILE, PERSON_SLOT: PEOPLE_FILE}
GROUP_SCRIPTS: tuple[str, ...] = ("arabic", "french", "arabizi")
WRITTEN_MARK = "="  # an allow-list word compared as written ("=salé"), not as folded

_LEVEL_RANK = {"block": 2, "suspect": 1}
_LEET_ONLY_LANGUAGES = frozenset({"fr", "en"})

# --- Clitics, as data ----------------------------------------------------------------------------

ARABIC_PREFIXES: tuple[str, ...] = (
    "و", "ف", "ب", "ك", "ل", "د",                # and, so, with, like, for, Darija "of"
    "ال", "لل",                                   # the, for the
    "وال", "فال", "بال", "كال", "دال",           # and/so/with/like/of + the
    "ولل", "فلل",                                 # and/so + for the
    "وب", "فب", "ول", "فل", "وك", "فك", "ود",    # and/so + preposition
    "وبال", "فبال", "ودال",                       # and/so + preposition + the
    "يا", "ويا", "يال", "ياال",                   # vocative: ياحمار، وياحمار، يالحمار، ياالحمار
)
ARABIC_SUFFIXES: tuple[str, ...] = (
    "ه", "ها", "هم", "هن", "هما", "هوم",  # his, her, their (هوم Darija)
    "ك", "كم", "كن", "كما", "كوم",        # your (كوم Darija)
    "ي", "ني", "نا",                       # my, me, our/us
    "و",                                   # Darija "his"
    "مك",                                  # Darija "your mother's", written on: دينمك، كسمك
)
ARABIC_ARTICLES: tuple[str, ...] = ("ال", "لل", "ل")
LATIN_PREFIXES: tuple[str, ...] = (
    "l", "el", "al", "w", "b", "f", "d", "ya",
    "wl", "wel", "wal", "bl", "bel", "fl", "fel", "dl", "del", "yal",
)
LATIN_ARTICLES: tuple[str, ...] = ("l", "el", "al")
# Darija pronoun suffixes in Latin letters, stripped from the last word of a phrase only
# ("n3al dinmok", "yl3n dinek"): alone, words ending so are too often innocent.
LATIN_SUFFIXES: tuple[str, ...] = ("mok", "mk", "ek", "ak", "k", "ha", "hom", "kom", "i", "o", "ou")

_MIN_STEM = 2            # Arabic: strip clitics only while this many letters remain
_MIN_ARTICLE_REST = 3    # Arabic phrase words: strip an article only while this many remain
_MIN_LATIN_REST = 3      # Latin: strip a prefix only while this many characters remain
_MIN_LATIN_PLURAL = 4    # Latin: strip a plural "s" only while this many characters remain
_MIN_ARABIZI_SKELETON = 3
_MIN_JOINED_PHRASE = 4   # a phrase is also matched written as one word of this many letters
_MIN_SPLIT_TERM = 4      # an Arabic term this long also matches cut in two by a space ("شر موطة")
_MIN_SPLIT_PART = 2      # ... with this many of its letters on each side of the space
_MIN_SPLIT_CLITICS = 5   # ... and with clitics around its two parts ("وشر موطتك") from this long
# Short words that stand alone too often to be half of a term cut in two: "العرب ان" would be
# عربان, "كل اب" كلاب, "او باش" اوباش (MSA and Darija; ى، ة and hamza carriers as normalized).
_NOT_SPLIT_PARTS = frozenset(normalize_for_matching(word) for word in """
    ان أن إن او أو اب أب ام أم اخ أخ كل ما لا من في عن هو هي هم يا لو قد بل ثم الا إلا الى إلى على
    مع اي أي انا أنا انت أنت نحن كان هذا هذه ذلك تلك لم لن اذا إذا اذ كي حتى غير بعد قبل عند منذ
    بين فوق تحت دون كما لكن ليس هنا هناك الله بلا يعني اللي لي دي ده هاد هادي ديال تاع بحال واش
    شنو علاش فين كيف راه كاع بزاف شي والو حنا نتا نتي هوما باش ملي يلا غي اش آش ها هاهو لان لأن
    """.split())

_ARABIC = (  # the letters a normalized Arabic-script token is made of (not tatweel, marks, digits)
    "\u0621-\u063a"  # ARABIC LETTER HAMZA .. ARABIC LETTER GHAIN
    "\u0641-\u064a"  # ARABIC LETTER FEH .. ARABIC LETTER YEH
    "\u066e-\u06d3"  # ARABIC LETTER DOTLESS BEH .. ARABIC LETTER YEH BARREE WITH HAMZA ABOVE
    "\u06d5"          # ARABIC LETTER AE
    "\u06ee\u06ef"    # ARABIC LETTER DAL WITH INVERTED V, ARABIC LETTER REH WITH INVERTED V
    "\u06fa-\u06fc"  # ARABIC LETTER SHEEN WITH DOT BELOW .. ARABIC LETTER GHAIN WITH DOT BELOW
    "\u06ff"          # ARABIC LETTER HEH WITH INVERTED V
    "\u0750-\u077f"  # Arabic Supplement letters
    "\u08a0-\u08c9"  # Arabic Extended-A letters
)
# Arabic, Arabic Supplement and Arabic Extended-A blocks: never part of a Latin token.
_NOT_LATIN = r"\W_\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff"
_TOKEN_RE = re.compile(  # an Arabic-script word, or a Latin one with leetspeak signs inside
    rf"[{_ARABIC}]+"
    rf"|[@$\u20ac]?[^{_NOT_LATIN}]+(?:[@$\u20ac!]+[^{_NOT_LATIN}]+)*"  # EURO SIGN reads "e"
)
# An emoji is a token of its own for emoji terms only ("{person} 🐷", "🖕"): a flag is its two
# regional indicator letters (🇩🇿); skin tones are gone by now (normalize_for_matching).
_EMOJI_TOKEN = "[\U0001f1e6-\U0001f1ff]{2}|" f"[{EMOJI}]"
_EMOJI_TOKEN_RE = re.compile(_EMOJI_TOKEN)
_TOKEN_OR_EMOJI_RE = re.compile(f"{_TOKEN_RE.pattern}|{_EMOJI_TOKEN}")
# a run of emoji with a letter or digit just before it and just after it
_IN_WORD_EMOJI_RE = re.compile(f"(?<=[^\\W_])(?:{_EMOJI_TOKEN})+(?=[^\\W_])")
_ARABIC_RE = re.compile(f"[{_ARABIC}]")
# Punctuation that ends a clause: a phrase never runs across it ("Salé, marocain"). A full stop
# counts only next to a space: glued between two words ("ولد.الحرام") a dot is a disguise. So do
# quotation marks next to a space: in "قال للاعب 'حمار'" the commenter quotes a word, and says
# nothing of the player.
_CLAUSE_BREAK_RE = re.compile(
    "[,;:!?"
    "\u060c\u061b\u061f"  # ARABIC COMMA, ARABIC SEMICOLON, ARABIC QUESTION MARK
    r"]|\s\.|\.\s"
    "|\\s[\"'«»“”‘’„‹›`]|[\"'«»“”‘’„‹›`]\\s")
_MASK_RE = re.compile(r"\*+")  # stars between two parts of one word: "f*ck", "p**e", "ق**ة"
_MIN_MASKED_VISIBLE = 2  # letters left showing: "*" alone, or "c*", is no word to guess
# A word whose end is masked ("encul*", "قحب*") shows only its start, which more innocent words
# share, and a star after a word is also a footnote mark: one letter more must show.
_MIN_END_MASKED_VISIBLE = 3
# Stars are not among them here: the matcher reads a star as masked letters ("f*ck").
_GLUE_MARKS = IN_WORD_MARKS.replace("*", "")
_GLUE_GAP_RE = re.compile(f"[{_GLUE_MARKS}]+")
_GLUED_RE = re.compile(f"[^\\W_][{_GLUE_MARKS}]+[^\\W_]")  # a word cut once at least
# A word as its writer wrote it: letters and digits with their marks, tatweel and invisible
# characters, and hyphens between letters ("pique-nique" is one word here, two tokens).
_WORD_PART = (
    r"[^\W_]"
    "|[\u0300-\u036f"          # COMBINING GRAVE ACCENT .. COMBINING LATIN SMALL LETTER X
    "\u0610-\u061a"            # ARABIC SIGN SALLALLAHOU ALAYHE WASSALLAM .. ARABIC SMALL KASRA
    "\u064b-\u065f\u0670"      # ARABIC FATHATAN .. ARABIC WAVY HAMZA BELOW, SUPERSCRIPT ALEF
    "\u0640"                   # ARABIC TATWEEL
    "\u00ad\u200b-\u200f\u2060]"  # SOFT HYPHEN, zero-width and direction marks, WORD JOINER
)
_WRITTEN_WORD_RE = re.compile(f"(?:{_WORD_PART})+(?:-(?:{_WORD_PART})+)*")
_ALLOWED_AS_WRITTEN_RE = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*")  # what "=word" may be
_HAS_LETTER_RE = re.compile(r"[^\W\d_]")
_NOTE_LANGUAGE_RE = re.compile(r"^\s*([a-z]+)")


# --- Entries and matches -------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class KeywordEntry:
    """One listed term: the rule it breaks, its level, and a note for moderators."""

    rule: str
    level: str
    term: str
    note: str = ""
    # matched as a French or English word (leetspeak only), whatever the note says: a French
    # group's name in a template of emoji only ("juif 🐷")
    leet_only: bool = False
    # read from a template ("{person} حمار"): a word that is suspect alone, raised because it is
    # said of someone, so a denial of saying it gives the raise back (KeywordMatcher)
    template: bool = False


@dataclass(frozen=True, slots=True)
class Match:
    """A listed term found in a comment; start and end are offsets into the original text."""

    rule: str
    level: str
    term: str
    start: int
    end: int

    def to_dict(self) -> dict:
        """Return the match as JSON-ready data."""
        return {"rule": self.rule, "level": self.level, "term": self.term,
                "start": self.start, "end": self.end}


class KeywordListError(ValueError):
    """A keyword file is malformed; the message names the file, the line and what is wrong."""


# --- Tokens and their keys -----------------------------------------------------------------------

class _Token(NamedTuple):
    text: str
    arabic: bool


def _token(word: str) -> _Token:
    return _Token(word, _ARABIC_RE.match(word) is not None)


def tokenize(normalized: str, emoji: bool = False) -> list[str]:
    """Split normalized text into Arabic-script and Latin-script words, and with ``emoji`` each
    emoji as a word too, but for emoji glued between two letters, which cut a word ("ز😡امل")."""
    if not emoji:
        return _TOKEN_RE.findall(normalized)
    # one pass over the runs that cut a word: looking back from each emoji for the start of its
    # run took 5.5 s for a comment of 5,000 emoji
    cut_ends = {run.start(): run.end() for run in _IN_WORD_EMOJI_RE.finditer(normalized)}
    words, skip_until = [], 0
    for token in _TOKEN_OR_EMOJI_RE.finditer(normalized):
        start = token.start()
        skip_until = max(skip_until, cut_ends.get(start, 0))
        if start >= skip_until:
            words.append(token.group())
    return words


def _is_emoji_term(entry: KeywordEntry) -> bool:
    return any(_EMOJI_TOKEN_RE.fullmatch(token.text) for token in _term_tokens(entry.term))


def _strip_prefixes(token: str, prefixes: tuple[str, ...], min_rest: int) -> list[str]:
    """Return the token and every form of it with one listed prefix removed."""
    # only the prefixes that begin with the token's letter, in their listed order: the same forms
    # for a fraction of the comparisons (every form of every new word is asked for)
    return [token] + [token[len(p):] for p in _by_letter(prefixes, 0).get(token[:1], ())
                      if token.startswith(p) and len(token) - len(p) >= min_rest]


@cache  # one entry per affix tuple of this module
def _by_letter(affixes: tuple[str, ...], position: int) -> dict[str, tuple[str, ...]]:
    """The affixes grouped by their first (0) or last (-1) letter, each group in listed order."""
    by_letter: dict[str, list[str]] = {}
    for affix in affixes:
        by_letter.setdefault(affix[position], []).append(affix)
    return {letter: tuple(group) for letter, group in by_letter.items()}


def _strip_arabic_suffixes(stem: str) -> list[str]:
    """Return the stem and every form of it with one pronoun suffix removed (ت -> ة restored)."""
    forms = [stem]
    for suffix in _by_letter(ARABIC_SUFFIXES, -1).get(stem[-1:], ()):
        if stem.endswith(suffix) and len(stem) - len(suffix) >= _MIN_STEM:
            bare = stem[: -len(suffix)]
            forms.append(bare)
            if bare.endswith("ت"):  # قحبتك: the teh marbuta of قحبة is written ت before a suffix
                forms.append(bare[:-1] + "ه")
    return forms


def _strip_latin_suffixes(word: str) -> list[str]:
    return [word] + [word[: -len(s)] for s in LATIN_SUFFIXES
                     if word.endswith(s) and len(word) - len(s) >= _MIN_STEM]


def _arabic_key(word: str) -> str:
    return "a:" + collapse_doubles(word)


def _latin_keys(word: str, arabizi: bool = True) -> list[str]:
    keys = ["l:" + fold_leet(word)]
    if arabizi:
        keys.append("z:" + fold_arabizi(word))
        # "ee" spells ي ("zeen") but also doubles a short e to stretch a word ("zeemel", "7meer"),
        # which collapsing runs of three leaves alone: a comment's word is read both ways (over
        # the corpus and the shared datasets, no match changed).
        if "ee" in word:
            keys.append("z:" + fold_arabizi(word.replace("ee", "e")))
    return keys


def _latin_plurals(words: list[str]) -> list[str]:
    return words + [w[:-1] for w in words if w.endswith("s") and len(w) > _MIN_LATIN_PLURAL]


# A vocative takes no clitic: ليا, فيا, بيا, ويا are "to me", "in me", "with me", "with".
_VOCATIVES = frozenset({"يا"})


def _head_keys(token: _Token) -> set[str]:
    """Keys of a token standing first in a phrase: prefixes may be attached."""
    if token.arabic:
        forms = _strip_prefixes(token.text, ARABIC_PREFIXES, _MIN_STEM)
        return {_arabic_key(f) for f in forms if f == token.text or f not in _VOCATIVES}
    forms = _latin_plurals(_strip_prefixes(token.text, LATIN_PREFIXES, _MIN_LATIN_REST))
    return {key for form in forms for key in _latin_keys(form)}


def _inner_keys(token: _Token) -> set[str]:
    """Keys of a token inside a phrase: the article may be present or not."""
    if token.arabic:
        forms = _strip_prefixes(token.text, ARABIC_ARTICLES, _MIN_ARTICLE_REST)
        return {_arabic_key(f) for f in forms}
    forms = _latin_plurals(_strip_prefixes(token.text, LATIN_ARTICLES, _MIN_LATIN_REST))
    return {key for form in forms for key in _latin_keys(form)}


def _tail_keys(token: _Token) -> set[str]:
    """Keys of a token ending a phrase: the article may be present, suffixes attached."""
    if not token.arabic:
        forms = _strip_prefixes(token.text, LATIN_ARTICLES, _MIN_LATIN_REST)
        forms = [stem for form in forms for stem in _strip_latin_suffixes(form)]
        return {key for form in _latin_plurals(forms) for key in _latin_keys(form)}
    forms = _strip_prefixes(token.text, ARABIC_ARTICLES, _MIN_ARTICLE_REST)
    return {_arabic_key(stem) for form in forms for stem in _strip_arabic_suffixes(form)}


def _single_keys(token: _Token) -> set[str]:
    """Keys of a token matched alone: prefixes and suffixes may be attached."""
    if not token.arabic:
        return _head_keys(token)
    return {_arabic_key(stem)
            for form in _strip_prefixes(token.text, ARABIC_PREFIXES, _MIN_STEM)
            for stem in _strip_arabic_suffixes(form)}


def _is_allowed(token: _Token, allow: frozenset[str]) -> bool:
    """Return whether the token, whole or without a prefix, is an allowed word."""
    if token.arabic:
        forms = _strip_prefixes(token.text, ARABIC_PREFIXES, _MIN_STEM)
        return any(form in allow for form in forms)
    forms = _strip_prefixes(token.text, LATIN_PREFIXES, _MIN_LATIN_REST)
    return any("l:" + fold_leet(form) in allow for form in forms)


def as_written(text: str) -> str:
    """Return text as its writer spelled it: NFKC and lower case, without Arabic marks, tatweel
    or invisible characters, but with its accents, alef maqsura and doubled letters."""
    return strip_zero_width_and_bidi(strip_tatweel(strip_diacritics(lowercase(apply_nfkc(text)))))


class _WrittenWords:
    """The written words of one comment, read once, looked up by position."""

    def __init__(self, text: str):
        self.text = text
        self._words = [(w.start(), w.end(), w.group()) for w in _WRITTEN_WORD_RE.finditer(text)]
        self._starts = [start for start, _, _ in self._words]

    def holding(self, start: int, end: int) -> str:
        """Return the written word that holds the token at [start, end), compounds whole
        ("pique-nique" for "nique"), or the token's own text if no written word holds it all."""
        index = bisect.bisect_right(self._starts, start) - 1
        if index >= 0:
            word_start, word_end, word = self._words[index]
            if word_start <= start and end <= word_end:
                return word
        return self.text[start:end]


# Cached: every hit of a comment asks for its words, and a comment repeating one listed word a
# thousand times (the slowest texts the benchmark builds) asked a thousand times. 4,096 words
# weigh about 1 MB; a worker's memory has little room (docs/benchmarks.md).
@lru_cache(maxsize=4_096)
def _is_allowed_as_written(word: str, allow: frozenset[str]) -> bool:
    """Return whether a written word, whole or without an Arabic prefix, is an "=" allow word."""
    written = as_written(word)
    forms = [written]
    if _ARABIC_RE.match(written):
        forms = _strip_prefixes(written, ARABIC_PREFIXES, _MIN_STEM)
    return any("w:" + form in allow for form in forms)


# --- Terms ---------------------------------------------------------------------------------------

def _is_leet_only(entry: KeywordEntry) -> bool:
    if entry.leet_only:
        return True
    language = _NOTE_LANGUAGE_RE.match(entry.note.lower())
    return bool(language) and language.group(1) in _LEET_ONLY_LANGUAGES


@lru_cache(maxsize=16_384)
def _term_tokens(term: str) -> tuple[_Token, ...]:
    return tuple(map(_token, tokenize(normalize_for_matching(term), emoji=True)))


def _strip_term_article(word: str, single: bool = False) -> str:
    """Drop a leading definite article from an Arabic term word (الروافض -> روافض).

    A one-word term keeps it before a stem of three letters: that short, the article is what
    tells the slur العزي from عزي ("my pride", and عزّى "offered condolences" once ى folds).
    """
    shortest = 6 if single else 5
    return word[2:] if word.startswith("ال") and len(word) >= shortest else word


def _term_word_keys(token: _Token, arabizi: bool, single: bool = False,
                    inner: bool = False) -> set[str]:
    """Keys a term's word is indexed under (``inner``: a phrase word after the first one)."""
    if token.arabic and inner:
        return {_arabic_key(f) for f in _strip_prefixes(token.text, ARABIC_ARTICLES,
                                                        _MIN_ARTICLE_REST)}
    if token.arabic:
        return {_arabic_key(_strip_term_article(token.text, single))}
    forms = _strip_prefixes(token.text, LATIN_ARTICLES, _MIN_LATIN_REST) if inner else [token.text]
    # An Arabizi digit in a term is a letter (7 is ح), not a leet disguise: read as leet, "t7wa"
    # would fold to "twa" and meet "7wa" (Eve, in "adam w 7wa").
    keys = {"l:" + fold_leet(form) for form in forms
            if not (arabizi and any(c in ARABIZI_DIGITS for c in form))}
    for form in forms if arabizi else ():
        skeleton = fold_arabizi(form)
        if not single or len(skeleton) >= _MIN_ARABIZI_SKELETON:
            keys.add("z:" + skeleton)
    return keys


def term_key(term: str) -> str:
    """Return the normalized form two terms of one rule must not share."""
    tokens = _term_tokens(term)
    return " ".join(_strip_term_article(t.text, len(tokens) == 1) if t.arabic else t.text
                    for t in tokens)


def entry_problem(entry: KeywordEntry) -> str | None:
    """Return what is wrong with an entry (for an error message), or None if it is valid."""
    if entry.rule not in RULES:
        return f"unknown rule {entry.rule!r} (expected one of {', '.join(RULES)})"
    if entry.level not in LEVELS:
        return f"unknown level {entry.level!r} (expected {' or '.join(LEVELS)})"
    if _slot(entry.term):  # unread, "{person} حمار" would match "person حمار"
        return (f"term {entry.term!r} is a template: {', '.join(SLOT_FILES)} are read in the "
                "list files only; write the term for one group or person")
    tokens = _term_tokens(entry.term)
    if not tokens or not any(_HAS_LETTER_RE.search(t.text) or _EMOJI_TOKEN_RE.fullmatch(t.text)
                             for t in tokens):
        return f"term {entry.term!r} has no letters or emoji once normalized"
    return None


@dataclass(frozen=True, slots=True)
class _Phrase:
    entry: KeywordEntry
    rest: tuple[frozenset[str], ...]  # keys accepted for each word after the first


@dataclass(frozen=True, slots=True)
class _TokenInfo:
    """What a distinct word can do: match alone, start phrases, continue or end one."""

    singles: tuple[KeywordEntry, ...]
    heads: dict[str, tuple[_Phrase, ...]]  # phrases starting here, by a key their 2nd word takes
    inner: frozenset[str]
    tail: frozenset[str]
    splits: tuple[tuple[str, KeywordEntry], ...]  # (key the next word must take, term) when
    # this word is the first part of a one-word term cut in two


_NOTHING = _TokenInfo((), {}, frozenset(), frozenset(), ())
_Hit = tuple[int, int, KeywordEntry]  # first token, last token, entry


def _is_split_part_a_word(first: str, second: str) -> bool:
    """Return whether either part of a term cut in two is a common short word, clitics aside
    ("العرب انهم", "وكل اب")."""
    return (any(form in _NOT_SPLIT_PARTS for form in _strip_prefixes(first, ARABIC_PREFIXES,
                                                                     _MIN_STEM))
            or any(form in _NOT_SPLIT_PARTS for form in _strip_arabic_suffixes(second)))


def _phrase_end(phrase: _Phrase, infos: list[_TokenInfo], first: int) -> int | None:
    """Return the index of the phrase's last token if it matches from ``first``, else None."""
    last = first + len(phrase.rest)
    if last >= len(infos):
        return None
    for offset, accepted in enumerate(phrase.rest, 1):
        info = infos[first + offset]
        keys = info.tail if first + offset == last else info.inner
        if keys.isdisjoint(accepted):
            return None
    return last


# --- The matcher ---------------------------------------------------------------------------------

class KeywordMatcher:
    """Finds listed terms in comments; built once from entries, then read-only (but for a cache)."""

    CACHE_SIZE = 50_000

    def __init__(self, entries: Iterable[KeywordEntry], allow: Iterable[str] = (), *,
                 emoji: bool = False, denials: Iterable[str] = ()):
        self.entries: tuple[KeywordEntry, ...] = tuple(entries)
        self.denials: tuple[str, ...] = tuple(denials)
        self._denials = _phrases_by_second_word(_denial_keys(self.denials))
        # Terms with an emoji ("🖕", "{person} 🐷") are read by a second matcher, whose words
        # include each emoji: in this one's words an emoji is a gap, so that "ز😡امل" is read
        # joined and "ولد 😡 الحرام" as the phrase.
        indexed = self.entries
        self._emoji: KeywordMatcher | None = None
        self._listed_emoji: re.Pattern[str] | None = None
        if not emoji:
            emoji_terms = [_is_emoji_term(entry) for entry in self.entries]
            indexed = tuple(e for e, has in zip(self.entries, emoji_terms, strict=True) if not has)
            with_emoji = [e for e, has in zip(self.entries, emoji_terms, strict=True) if has]
            if with_emoji:
                self._emoji = KeywordMatcher(with_emoji, allow, emoji=True)
                # the second reading only for a comment with a listed emoji: a 5,000-character
                # comment of emoji between letters took twice as long read twice (benchmarks)
                listed = {token.text for entry in with_emoji for token in _term_tokens(entry.term)
                          if _EMOJI_TOKEN_RE.fullmatch(token.text)}
                self._listed_emoji = re.compile(
                    "|".join(map(re.escape, sorted(listed, key=len, reverse=True))))
        self._reads_emoji = emoji
        self._singles: dict[str, list[KeywordEntry]] = {}
        self._heads: dict[str, list[_Phrase]] = {}
        self._split_heads: dict[str, list[tuple[str, KeywordEntry]]] = {}
        self._split_heads_bare: dict[str, list[tuple[str, KeywordEntry]]] = {}
        self._allow = frozenset(_allow_keys(allow))
        self._allowed_phrases = _phrases_by_second_word(
            key[2:] for key in self._allow if key.startswith("p:"))
        self._allowed_as_written = any(key.startswith("w:") for key in self._allow)
        self._cache: dict[str, _TokenInfo] = {}
        # French and English one-word terms as leet folds, and Arabic ones as normalized, for
        # words masked with "*" ("p*te", "ق**ة").
        self._maskable: dict[str, list[tuple[str, KeywordEntry]]] = {}  # by first letter
        self._cache_masked: dict[tuple[str, int], tuple[KeywordEntry, ...]] = {}
        for number, entry in enumerate(indexed, 1):
            problem = entry_problem(entry)
            if problem:
                raise ValueError(f"keyword entry {number} ({entry.rule}/{entry.term!r}): {problem}")
            self._index(entry)
            tokens = _term_tokens(entry.term)
            if emoji:  # an emoji is not masked with stars
                continue
            if len(tokens) == 1 and not tokens[0].arabic and _is_leet_only(entry):
                key = fold_leet(tokens[0].text)
            elif len(tokens) == 1 and tokens[0].arabic:
                key = collapse_doubles(tokens[0].text)
            else:
                continue
            self._maskable.setdefault(key[:1], []).append((key, entry))
        # The only keys a word's inner and tail sets are ever asked about. The rest are dropped
        # before caching: most words continue no phrase, and their full key sets made the cache
        # of 50,000 words weigh 42 MB.
        self._continuations = frozenset(
            {key for phrases in self._heads.values() for phrase in phrases
             for keys in phrase.rest for key in keys}
            | {rest for heads in (self._split_heads, self._split_heads_bare)
               for splits in heads.values() for rest, _ in splits})

    @classmethod
    def from_directory(cls, directory: Path | str) -> KeywordMatcher:
        """Build a matcher from the rule lists and allow list in ``directory``."""
        entries, allow = load_keyword_entries(directory)
        return cls(entries, allow, denials=load_denials(directory))

    def _index(self, entry: KeywordEntry) -> None:
        arabizi = not _is_leet_only(entry)
        tokens = _term_tokens(entry.term)
        if len(tokens) == 1:
            for key in _term_word_keys(tokens[0], arabizi, single=True):
                self._singles.setdefault(key, []).append(entry)
            if len(tokens[0].text) == 2 and not self._reads_emoji:  # "ز ب": too few letters
                # for the normalizer to join (a flag, "🇩🇿", is two characters too)
                first, second = (_Token(c, tokens[0].arabic) for c in tokens[0].text)
                rest = (frozenset(_term_word_keys(second, False)),)
                for key in _term_word_keys(first, False):
                    self._heads.setdefault(key, []).append(_Phrase(entry, rest))
            if tokens[0].arabic:
                self._index_split(entry, tokens[0])
            return
        rest = tuple(frozenset(_term_word_keys(t, arabizi, inner=True)) for t in tokens[1:])
        for key in _term_word_keys(tokens[0], arabizi):
            self._heads.setdefault(key, []).append(_Phrase(entry, rest))
        if self._reads_emoji:
            self._index_joined_before_emoji(entry, tokens, arabizi)
            return
        joined = "".join(t.text for t in tokens)
        if len(joined) >= _MIN_JOINED_PHRASE and len({t.arabic for t in tokens}) == 1:
            word = _Token(joined, tokens[0].arabic)
            for key in _term_word_keys(word, arabizi, single=True):
                self._singles.setdefault(key, []).append(entry)

    def _index_joined_before_emoji(self, entry: KeywordEntry, tokens: tuple[_Token, ...],
                                   arabizi: bool) -> None:
        """Index a term of words then an emoji ("كاتب المقال 🐷") with its words also written as
        one ("ك.ا.ت.ب ا.ل.م.ق.ا.ل 🐷" is joined by the normalizer into one word)."""
        words, emoji = tokens[:-1], tokens[-1]
        if (len(words) < 2 or not _EMOJI_TOKEN_RE.fullmatch(emoji.text)
                or len({t.arabic for t in words}) != 1):
            return
        joined = _Token("".join(t.text for t in words), words[0].arabic)
        rest = (frozenset(_term_word_keys(emoji, arabizi, inner=True)),)
        for key in _term_word_keys(joined, arabizi):
            self._heads.setdefault(key, []).append(_Phrase(entry, rest))

    def _index_split(self, entry: KeywordEntry, token: _Token) -> None:
        """Index a one-word Arabic term by every way a space can cut it in two ("شر موطة",
        "زا مل"), keeping at least two letters on each side: one letter apart is what the
        normalizer joins, and a short term cut anywhere meets too many innocent word pairs.

        The second part's key says how it must be written: "a:" as a phrase's last word
        (suffixes allowed), "x:" exactly, for four-letter terms, whose two-letter halves with a
        clitic around them are ordinary words ("فتح وانا" would be تحوا, "fuck off").
        """
        for key in _term_word_keys(token, False, single=True):
            letters = key[2:]
            if len(letters) < _MIN_SPLIT_TERM:
                continue
            clitics = len(letters) >= _MIN_SPLIT_CLITICS
            for cut in range(_MIN_SPLIT_PART, len(letters) - _MIN_SPLIT_PART + 1):
                heads = self._split_heads if clitics else self._split_heads_bare
                heads.setdefault("a:" + letters[:cut], []).append(
                    (("a:" if clitics else "x:") + letters[cut:], entry))

    def _info(self, word: str) -> _TokenInfo:
        info = self._describe(_token(word))
        if len(self._cache) >= self.CACHE_SIZE:
            self._cache.clear()
        self._cache[word] = info
        return info

    def _describe(self, token: _Token) -> _TokenInfo:
        if _is_allowed(token, self._allow):  # (number tokens are kept: "74" is leet for "ta")
            return _NOTHING
        singles = {id(e): e for k in _single_keys(token) for e in self._singles.get(k, ())}
        head_keys = _head_keys(token)
        heads: dict[str, dict[int, _Phrase]] = {}
        for phrase in (p for k in head_keys for p in self._heads.get(k, ())):
            for key in phrase.rest[0]:
                heads.setdefault(key, {})[id(phrase)] = phrase
        splits = ()
        if token.arabic:
            splits = (*(split for key in head_keys for split in self._split_heads.get(key, ())),
                      *self._split_heads_bare.get(_arabic_key(token.text), ()))
        inner = frozenset(_inner_keys(token) & self._continuations)
        tail = frozenset(_tail_keys(token) & self._continuations)
        if not (singles or heads or inner or tail or splits):
            return _NOTHING
        return _TokenInfo(tuple(singles.values()), {k: tuple(p.values()) for k, p in heads.items()},
                          inner, tail, splits)

    def _phrases_at(self, infos: list[_TokenInfo], first: int) -> list[_Hit]:
        """Return (first, last, entry) for each phrase matching from token ``first``."""
        if first + 1 == len(infos):
            return []
        heads = infos[first].heads
        candidates = {id(p): p for key in infos[first + 1].tail for p in heads.get(key, ())}
        ends = ((_phrase_end(p, infos, first), p.entry) for p in candidates.values())
        return [(first, last, entry) for last, entry in ends if last is not None]

    def _hits(self, words: list[str]) -> list[_Hit]:
        """Return (first, last, entry) for each term matching the words, alone or as a phrase."""
        cached = self._cache.get
        infos = [cached(word) or self._info(word) for word in words]
        found: list[_Hit] = []
        for i, info in enumerate(infos):
            if info.singles:
                found += [(i, i, entry) for entry in info.singles]
            if info.heads:
                found += self._phrases_at(infos, i)
            if info.splits and i + 1 < len(infos):
                found += self._split_at(infos, words, i)
        return found

    def _split_at(self, infos: list[_TokenInfo], words: list[str], first: int) -> list[_Hit]:
        """Return (first, first + 1, entry) for each one-word term that words[first] and the
        next word spell together, unless the two read together are an allowed word."""
        tail, exact = infos[first + 1].tail, "x" + _arabic_key(words[first + 1])[1:]
        entries = [entry for rest, entry in infos[first].splits if rest in tail or rest == exact]
        if (not entries or _is_split_part_a_word(words[first], words[first + 1])
                or _is_allowed(_token(words[first] + words[first + 1]), self._allow)):
            return []
        return [(first, first + 1, entry) for entry in entries]

    def _glued_hits(self, normalized: str, words: list[str]) -> list[_Hit]:
        """Return the hits of the words read with each run cut apart by emoji or glued marks
        joined."""
        runs = _glued_runs(normalized, words)
        if len(runs) == len(words):  # every cut is between two scripts
            return []
        found = self._hits(["".join(words[first:last + 1]) for first, last in runs])
        return [(runs[first][0], runs[last][1], entry) for first, last, entry in found]

    def _masked_hits(self, normalized: str, words: list[str]) -> list[_Hit]:
        """Return the one-word Arabic terms, and the French and English ones, written with
        letters masked by "*" ("ق**ة", "f*ck", "p*te", "enc**lé"): each run of stars stands for
        one to (stars + 1) letters of the word's script. A word masked only at its end
        ("encul*") is at most suspect: its start is also the start of innocent words, and a star
        after a word is also a footnote ("مني*" is "than me", not منيوك)."""
        spans = _word_spans(normalized, words, len(words) - 1)
        arabic = [_token(word).arabic for word in words]
        found: list[_Hit] = []
        first = 0
        while first < len(words):
            last = first
            while (last + 1 < len(words) and arabic[last + 1] == arabic[first]
                   and _MASK_RE.fullmatch(normalized, spans[last][1], spans[last + 1][0])):
                last += 1
            end_mask = _end_mask(normalized, spans[last][1])
            if last == first and not end_mask:
                first += 1
                continue
            letter, visible_form = ((f"[{_ARABIC}]", collapse_doubles) if arabic[first]
                                    else ("[a-z]", fold_leet))
            parts = [visible_form(words[k]) for k in range(first, last + 1)]
            gaps = [spans[k + 1][0] - spans[k][1] for k in range(first, last)]
            pattern = "".join(re.escape(part) + (f"{letter}{{1,{gap + 1}}}" if gap else "")
                              for part, gap in zip(parts, gaps + [0], strict=True))
            visible = sum(map(len, parts))
            hits: tuple[KeywordEntry, ...] = ()
            if last > first and visible >= _MIN_MASKED_VISIBLE:
                hits = self._unmask(pattern, spans[last][1] - spans[first][0], parts[0])
            if not hits and end_mask and visible >= _MIN_END_MASKED_VISIBLE:
                written = spans[last][1] + end_mask - spans[first][0]
                hits = tuple(replace(entry, level="suspect") for entry in
                             self._unmask(f"{pattern}{letter}{{1,{end_mask + 1}}}", written,
                                          parts[0]))
            found += [(first, last, entry) for entry in hits]
            first = last + 1
        return found

    def _unmask(self, pattern: str, written: int, start: str) -> tuple[KeywordEntry, ...]:
        """Return, per rule, the maskable terms a masked word's pattern fits whose length is
        closest to the ``written`` characters, one star a letter ("ز**ل" is زامل, not its
        plural زوامل). ``start`` is what the pattern starts with: only terms that start so are
        tried, so a comment of a thousand different masked words compiles few patterns. Cached:
        one comment can repeat one masked word a thousand times."""
        entries = self._cache_masked.get((pattern, written))
        if entries is None:
            candidates = [(key, entry) for key, entry in self._maskable.get(start[:1], ())
                          if key.startswith(start)]
            fits = []
            if candidates:
                masked = re.compile(pattern)
                fits = [(abs(len(key) - written), entry) for key, entry in candidates
                        if masked.fullmatch(key)]
            closest: dict[str, int] = {}
            for distance, entry in fits:
                closest[entry.rule] = min(distance, closest.get(entry.rule, distance))
            entries = tuple(entry for distance, entry in fits
                            if distance == closest[entry.rule])
            if len(self._cache_masked) >= self.CACHE_SIZE:
                self._cache_masked.clear()
            self._cache_masked[pattern, written] = entries
        return entries

    def _stands(self, hit: _Hit, written: _WrittenWords, mapped: MappedText,
                spans: list[tuple[int, int]]) -> bool:
        """Return whether a hit survives what only the written text shows: clause punctuation
        inside a phrase, and words allowed as written (Salé, عزى, pique-nique)."""
        first, last, _ = hit
        if any(_CLAUSE_BREAK_RE.search(mapped.text, spans[k][1], spans[k + 1][0])
               for k in range(first, last)):
            return False
        if not self._allowed_as_written:
            return True
        return not any(
            _is_allowed_as_written(written.holding(*mapped.span(*spans[k])), self._allow)
            for k in range(first, last + 1))

    def find(self, text: str) -> list[Match]:
        """Return the listed terms in ``text``, sorted by start, one per (rule, start, end)."""
        normalized = normalize_for_matching(text)
        words = tokenize(normalized)
        found = self._hits(words)
        if _GLUED_RE.search(normalized):
            found += self._glued_hits(normalized, words)
        if "*" in normalized:
            found += self._masked_hits(normalized, words)
        emoji_words: list[str] = []
        emoji_found: list[_Hit] = []
        if self._emoji is not None and self._listed_emoji.search(normalized):
            emoji_words = tokenize(normalized, emoji=True)
            emoji_found = self._emoji._hits(emoji_words)
            if _GLUED_RE.search(normalized):  # "🖕 ا_لكاتب"
                emoji_found += self._emoji._glued_hits(normalized, emoji_words)
        if not found and not emoji_found:
            return []
        mapped = normalize_with_offsets(text)
        written = _WrittenWords(text) if self._allowed_as_written else None
        matches = self._explained(found, words, normalized, mapped, written)
        if emoji_found:
            matches = _drop_covered(sorted(
                matches + self._explained(emoji_found, emoji_words, normalized, mapped, written),
                key=lambda m: (m.start, -m.end)))
            matches.sort(key=lambda m: (m.start, m.end, m.rule))
        return matches

    def _explained(self, found: list[_Hit], words: list[str], normalized: str,
                   mapped: MappedText, written: _WrittenWords | None) -> list[Match]:
        """Return the hits that survive what the written text shows, as matches."""
        if not found:
            return []
        spans = _word_spans(normalized, words, max(last for _, last, _ in found))
        found = [hit for hit in found if self._stands(hit, written, mapped, spans)]
        allowed = _phrase_spans(words, self._allowed_phrases) if self._allowed_phrases else []
        if allowed:
            found = [(first, last, entry) for first, last, entry in found
                     if not any(start <= first and last <= end for start, end in allowed)]
        if self._denials and any(entry.template and entry.level == "block"
                                 for _, _, entry in found):
            found = self._undo_raises_denied(found, words, spans, mapped)
        return _explain(found, words, spans, mapped)

    def _undo_raises_denied(self, found: list[_Hit], words: list[str],
                            spans: list[tuple[int, int]], mapped: MappedText) -> list[_Hit]:
        """Return the hits with each block template said after a denial of saying it in its
        clause ("je ne dis pas que le ministre est un âne", "ما غاديش نقول على الوزير حمار")
        lowered to suspect: the word alone is suspect, and whether the denial is sincere or a
        sly way of saying it is the model's to judge, not the list's."""
        denials = [end for _, end in _phrase_spans(words, self._denials)]
        if not denials:
            return found
        kept = []
        for first, last, entry in found:
            if entry.template and entry.level == "block" and any(
                    end < first and not _CLAUSE_BREAK_RE.search(
                        mapped.text, spans[end][1], spans[first][0])
                    for end in denials):
                entry = replace(entry, level="suspect")
            kept.append((first, last, entry))
        return kept


def _glued_runs(normalized: str, words: list[str]) -> list[tuple[int, int]]:
    """Return (first, last) word indices covering every word, one pair per run of words of one
    script with nothing but emoji or in-word marks between them ("ز😡امل", "ق.حبة"); most
    pairs are one word alone."""
    spans = _word_spans(normalized, words, len(words) - 1)
    runs: list[tuple[int, int]] = []
    for k, word in enumerate(words):
        glued = (k > 0 and _token(word).arabic == _token(words[k - 1]).arabic
                 and _GLUE_GAP_RE.fullmatch(normalized, spans[k - 1][1], spans[k][0]))
        if glued:
            runs[-1] = (runs[-1][0], k)
        else:
            runs.append((k, k))
    return runs


def _end_mask(normalized: str, end: int) -> int:
    """Return how many stars end the word that ends at ``end`` ("encul*"), 0 if none or if a
    letter follows them (then they join two parts, or belong to the next word: "*bravo*")."""
    stars = _MASK_RE.match(normalized, end)
    if stars is None or stars.end() < len(normalized) and normalized[stars.end()].isalnum():
        return 0
    return stars.end() - end


def _word_spans(normalized: str, words: list[str], last: int) -> list[tuple[int, int]]:
    """Return the (start, end) of words[0..last] in the text they were tokenized from.

    The next word is the first occurrence of its text after the previous one: anything that
    could start it earlier would have started a token there.
    """
    spans = []
    position = 0
    for word in words[: last + 1]:
        start = normalized.find(word, position)
        position = start + len(word)
        spans.append((start, position))
    return spans


def _explain(found: list[_Hit], words: list[str], spans: list[tuple[int, int]],
             mapped: MappedText) -> list[Match]:
    """Turn token-level hits into matches over the original text: best level per span, no match
    inside a longer one of the same rule at the same or a higher level."""
    best: dict[tuple[str, int, int], tuple[tuple[int, bool, int], KeywordEntry]] = {}
    for first, last, entry in found:
        # stars that end a word are part of it ("encul*"): highlighted with it
        end = spans[last][1] + _end_mask(mapped.text, spans[last][1])
        start, end = mapped.span(spans[first][0], end)
        key = (entry.rule, start, end)
        preference = _preference(entry, "".join(words[first:last + 1]))
        if key not in best or preference > best[key][0]:
            best[key] = preference, entry
    matches = [Match(e.rule, e.level, e.term, start, end)
               for (_, start, end), (_, e) in best.items()]
    matches.sort(key=lambda m: (m.start, -m.end))
    kept = _drop_covered(matches)
    return sorted(kept, key=lambda m: (m.start, m.end, m.rule))


def _preference(entry: KeywordEntry, written: str) -> tuple[int, bool, int]:
    """Of two entries matching one span, the higher level wins, then a term written out in the
    matched words (نيك is reported as نيك, not as ننيك, which doubles collapse onto it), then the
    longer (closer) term."""
    spelled = "".join(token.text for token in _term_tokens(entry.term))
    return _LEVEL_RANK[entry.level], spelled in written, len(term_key(entry.term))


def _drop_covered(matches: list[Match]) -> list[Match]:
    """Drop each match that a match sorted ahead of it (by start, then longest first) of the same
    rule, at the same or a higher level, contains.

    One pass keeping, per rule and level, the furthest end reached so far: comparing each match
    with all those before it was quadratic, and a comment at the length limit can hold a thousand.
    """
    reach: dict[tuple[str, int], int] = {}
    kept = []
    for match in matches:
        rank = _LEVEL_RANK[match.level]
        if not any(reach.get((match.rule, higher), -1) >= match.end
                   for higher in _LEVEL_RANK.values() if higher >= rank):
            kept.append(match)
        reach[match.rule, rank] = max(reach.get((match.rule, rank), -1), match.end)
    return kept


def _phrases_by_second_word(keys: Iterable[str]) -> dict[str, list[tuple[str, ...]]]:
    """Return phrases (their words as keys, space-separated) by their second word: a phrase is
    looked for where its second word is, which rarely occurs, rather than at every first word."""
    phrases: dict[str, list[tuple[str, ...]]] = {}
    for key in keys:
        phrase = tuple(key.split(" "))
        phrases.setdefault(phrase[1], []).append(phrase)
    return phrases


def _phrase_spans(words: list[str],
                  phrases: Mapping[str, list[tuple[str, ...]]]) -> list[tuple[int, int]]:
    """Return (first, last) word indices of each phrase in the words ("pique nique", "حمار
    الوحش"); the first word may carry a prefix clitic ("والخنزير البري", "وما غاديش نقول")."""
    spans = []
    for second in range(1, len(words)):
        for phrase in phrases.get(_allow_phrase_word(words[second]), ()):
            start, end = second - 1, second - 1 + len(phrase) - 1
            if (end < len(words) and phrase[0] in _allow_phrase_heads(words[start])
                    and all(_allow_phrase_word(words[start + k]) == phrase[k]
                            for k in range(2, len(phrase)))):
                spans.append((start, end))
    return spans


def _denial_keys(phrases: Iterable[str]) -> list[str]:
    """Return each denial phrase's words as keys, as allowed phrases are compared."""
    keys = []
    for phrase in phrases:
        tokens = _term_tokens(phrase)
        if len(tokens) < 2:
            raise ValueError(f"denial {phrase!r} must be two words or more once normalized")
        keys.append(_phrase_key(tokens))
    return keys


def _phrase_key(tokens: Iterable[_Token]) -> str:
    """Return a phrase's words as compared in a comment (allowed phrases, denials)."""
    return " ".join(_allow_phrase_word(token.text) for token in tokens)


def _allow_phrase_word(word: str) -> str:
    """Return a normalized word as allowed phrases are written in keys: Latin words leet-folded."""
    return word if _token(word).arabic else fold_leet(word)


def _allow_phrase_heads(word: str) -> set[str]:
    """Return the forms the first word of an allowed phrase may take: with or without a prefix."""
    token = _token(word)
    if token.arabic:
        return set(_strip_prefixes(word, ARABIC_PREFIXES, _MIN_STEM))
    return {fold_leet(form) for form in _strip_prefixes(word, LATIN_PREFIXES, _MIN_LATIN_REST)}


def _allow_keys(words: Iterable[str]) -> Iterable[str]:
    """Yield the keys an allowed word is checked under: its Arabic form, the leet fold of a Latin
    word, for an "=" word the word as written ("w:salé"), and for a phrase its words ("p:...")."""
    for word in words:
        if word.startswith(WRITTEN_MARK):
            written = as_written(word[len(WRITTEN_MARK):])
            if not _ALLOWED_AS_WRITTEN_RE.fullmatch(written):
                raise ValueError(f"allowed word {word!r} must be exactly one word as written")
            yield "w:" + written
            continue
        tokens = _term_tokens(word)
        if not tokens:
            raise ValueError(f"allowed word {word!r} has no letters once normalized")
        if len(tokens) > 1:
            yield "p:" + _phrase_key(tokens)
            continue
        token = tokens[0]
        yield token.text if token.arabic else "l:" + fold_leet(token.text)


# --- Loading the files ---------------------------------------------------------------------------

def _data_lines(path: Path) -> Iterable[tuple[int, str]]:
    """Yield (line number, line) for each line that is not blank or a # comment."""
    for number, line in enumerate(path.read_text(encoding="utf-8-sig").splitlines(), 1):
        if line.strip() and not line.lstrip().startswith("#"):
            yield number, line


def load_denials(directory: Path | str) -> list[str]:
    """Read ``denials.txt`` if the folder has one: phrases that deny saying what follows them
    ("je ne dis pas", "ما غاديش نقول"), two words or more, one per line, # comments."""
    path = Path(directory) / DENIALS_FILE
    if not path.exists():
        return []
    phrases = []
    for number, line in _data_lines(path):
        phrase = line.strip()
        try:
            _denial_keys([phrase])
        except ValueError as error:
            raise KeywordListError(f"{path}:{number}: {error}") from None
        phrases.append(phrase)
    return phrases


def load_allow_terms(path: Path) -> list[str]:
    """Read an allow list: one innocent word per line ("=word": compared as written), # comments."""
    words = []
    for number, line in _data_lines(path):
        word = line.strip()
        try:
            list(_allow_keys([word]))
        except ValueError as error:
            raise KeywordListError(f"{path}:{number}: {error}") from None
        words.append(word)
    return words


@dataclass(frozen=True, slots=True)
class Filler:
    """What a template's slot is filled with: for "{group}", a group of people that hate targets
    (a community, an ethnicity, a nationality); for "{person}", someone a comment names or
    addresses. Its script, the word, and an English gloss."""

    script: str
    name: str
    gloss: str


def load_fillers(path: Path, kind: str = "group") -> list[Filler]:
    """Read a groups or people file: ``script<TAB>word<TAB>gloss`` lines."""
    fillers = []
    for number, line in _data_lines(path):
        fields = [field.strip() for field in line.split("\t")]
        if len(fields) != 3 or not all(fields):
            raise KeywordListError(f"{path}:{number}: expected 'script<TAB>{kind}<TAB>gloss', "
                                   f"got {line!r}")
        script, name, gloss = fields
        if script not in GROUP_SCRIPTS:
            raise KeywordListError(f"{path}:{number}: unknown script {script!r} "
                                   f"(expected one of {', '.join(GROUP_SCRIPTS)})")
        tokens = _term_tokens(name)
        if not tokens or tokens[0].arabic != (script == "arabic"):
            raise KeywordListError(f"{path}:{number}: {name!r} is not written in {script}")
        fillers.append(Filler(script, name, gloss))
    return fillers


def _template_scripts(entry: KeywordEntry) -> tuple[str, ...]:
    """Return the scripts of the words a template takes: its own for Arabic letters, else French
    for a French or English note, Arabizi otherwise; every script for a template of emoji only
    ("{group} 🐒"), since readers put the emoji after a group's name written in any script."""
    bare = entry.term.replace(_slot(entry.term) or "", "")
    if _EMOJI_TOKEN_RE.search(bare) and not _HAS_LETTER_RE.search(bare):
        return GROUP_SCRIPTS
    if _ARABIC_RE.search(entry.term):
        return ("arabic",)
    return ("french",) if _is_leet_only(entry) else ("arabizi",)


def _fill(template: str, slot: str, word: str) -> str:
    """Put a word in a template's slot; a lone "ل" before an Arabic article is written "لل"
    (الموت ل{group} with اليهود is الموت لليهود)."""
    head, _, tail = template.partition(slot)
    if word.startswith("ال") and (head == "ل" or head.endswith(" ل")):
        return head + word[1:] + tail
    return head + word + tail


def _slot(term: str) -> str | None:
    return next((slot for slot in SLOT_FILES if slot in term), None)


def _expand(entry: KeywordEntry, fillers: Mapping[str, Iterable[Filler]]) -> list[KeywordEntry]:
    """Return the entry once per filler of its slot and script if its term is a template, else
    itself."""
    slot = _slot(entry.term)
    if slot is None:
        return [entry]
    scripts = _template_scripts(entry)
    return [KeywordEntry(entry.rule, entry.level, _fill(entry.term, slot, filler.name),
                         entry.note.replace(slot, filler.gloss), filler.script == "french",
                         template=True)
            for filler in fillers.get(slot, ()) if filler.script in scripts]


def _parse_template(rule: str, path: Path, number: int, line: str) -> KeywordEntry:
    """Return a list line as an entry whose term may still hold one slot ("{group}",
    "{person}")."""
    fields = line.rstrip("\r\n").split("\t")
    if len(fields) not in (2, 3):
        raise KeywordListError(f"{path}:{number}: expected 'level<TAB>term[<TAB>note]', "
                               f"got {len(fields)} tab-separated field(s): {line!r}")
    level, term = fields[0].strip(), fields[1].strip()
    bare = term
    for slot in SLOT_FILES:
        bare = bare.replace(slot, "")
    if sum(term.count(slot) for slot in SLOT_FILES) > 1 or "{" in bare:
        raise KeywordListError(f"{path}:{number}: a term holds at most one of "
                               f"{', '.join(SLOT_FILES)} and no other braces: {term!r}")
    return KeywordEntry(rule, level, term, fields[2].strip() if len(fields) == 3 else "")


def load_rule_entries(rule: str, path: Path, allow: Iterable[str] = (),
                      fillers: Mapping[str, Iterable[Filler]] | None = None) -> list[KeywordEntry]:
    """Read one rule's list, with each template read once per group or person, refusing
    duplicates and terms that the allow list would hide."""
    allowed = frozenset(_allow_keys(allow))
    fillers = {slot: list(words) for slot, words in (fillers or {}).items()}
    seen: dict[str, int] = {}
    entries = []
    for number, line in _data_lines(path):
        template = _parse_template(rule, path, number, line)
        expanded = _expand(template, fillers)
        if not expanded:
            slot = _slot(template.term)
            scripts = " or ".join(_template_scripts(template))
            raise KeywordListError(f"{path}:{number}: template {template.term!r} has no "
                                   f"{scripts} {slot.strip('{}')} to fill it "
                                   f"({SLOT_FILES[slot]})")
        for entry in expanded:
            problem = entry_problem(entry)
            if problem:
                raise KeywordListError(f"{path}:{number}: {problem}")
            key = term_key(entry.term)
            if key in seen:
                raise KeywordListError(f"{path}:{number}: term {entry.term!r} duplicates line "
                                       f"{seen[key]} (both normalize to {key!r})")
            tokens = _term_tokens(entry.term)
            if len(tokens) == 1 and (_is_allowed(tokens[0], allowed)
                                     or _is_allowed_as_written(entry.term, allowed)):
                raise KeywordListError(f"{path}:{number}: term {entry.term!r} is on the allow "
                                       "list, so it could never match")
            seen[key] = number
            entries.append(entry)
    return entries


def load_keyword_entries(directory: Path | str) -> tuple[list[KeywordEntry], list[str]]:
    """Read every rule's list and the allow list from ``directory``: (entries, allow terms)."""
    directory = Path(directory)
    unknown = sorted(p.name for p in directory.glob("*.tsv") if p.stem not in RULES)
    if unknown:
        raise KeywordListError(f"{directory / unknown[0]}: no rule named {Path(unknown[0]).stem!r} "
                               f"(expected one of {', '.join(RULES)})")
    allow_path = directory / ALLOW_FILE
    allow = load_allow_terms(allow_path) if allow_path.exists() else []
    fillers = {slot: load_fillers(directory / name, slot.strip("{}"))
               for slot, name in SLOT_FILES.items() if (directory / name).exists()}
    entries: list[KeywordEntry] = []
    for rule in RULES:
        path = directory / f"{rule}.tsv"
        if not path.exists():
            raise KeywordListError(f"{path}: missing keyword list for rule {rule!r}")
        entries += load_rule_entries(rule, path, allow, fillers)
    return entries, allow
