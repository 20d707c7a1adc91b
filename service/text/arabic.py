"""Normalization of Arabic, Darija, Arabizi and French comments: small pure steps, composed once.

Three compositions serve three readers:

- ``normalize_for_matching``: what keyword lists and comments are compared in;
- ``normalize_with_offsets``: the same text, plus for every normalized character the span of the
  original it came from, so a match can be highlighted exactly as the reader wrote it;
- ``normalize_for_model``: the classifier's input: the same folding, plus URL/mention tokens and
  collapsed whitespace. It runs on every comment, so it is built from character tables applied
  by precompiled regexes (``_CharMap``), never a per-character Python loop.

The character steps run in this order: NFKC, look-alike folding, lowercasing, then the deleting
and folding maps (diacritics, tatweel, invisible characters, emoji skin tones, alef, hamza
carriers, alef maksura, teh marbuta, Latin accents), then elongation is collapsed and spaced-out
letters are joined.

Every character step maps one character to a fixed string, so it is exact to apply it per
character (how offsets are kept) or to the whole text (how it runs fast); ``_POST_FOLD_TABLE`` is
the maps that follow lowercasing, composed once, in order, at import. NFKC is applied to each base
character with its combining marks, so that every output character comes from one known span.

Latin-script tokens get two more folds, used by the keyword matcher: ``fold_arabizi`` (Darija in
Latin letters and digits) and ``fold_leet`` (French and English leetspeak).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import compress

# --- Character sets ------------------------------------------------------------------------------

# Harakat, tanween, shadda, sukun and the other Arabic combining marks (all Mn).
_ARABIC_MARKS: tuple[tuple[int, int], ...] = (
    (0x0610, 0x061A),  # ARABIC SIGN SALLALLAHOU ALAYHE WASSALLAM .. ARABIC SMALL KASRA (Quranic)
    (0x064B, 0x065F),  # ARABIC FATHATAN .. ARABIC WAVY HAMZA BELOW (tanween, harakat, shadda..)
    (0x0670, 0x0670),  # ARABIC LETTER SUPERSCRIPT ALEF (dagger alef)
    (0x06D6, 0x06DC),  # ARABIC SMALL HIGH LIGATURE SAD WITH LAM WITH ALEF MAKSURA .. HIGH SEEN
    (0x06DF, 0x06E4),  # ARABIC SMALL HIGH ROUNDED ZERO .. ARABIC SMALL HIGH MADDA
    (0x06E7, 0x06E8),  # ARABIC SMALL HIGH YEH .. ARABIC SMALL HIGH NOON
    (0x06EA, 0x06ED),  # ARABIC EMPTY CENTRE LOW STOP .. ARABIC SMALL LOW MEEM
    (0x08D3, 0x08E1),  # ARABIC SMALL LOW WAW .. ARABIC SMALL HIGH SIGN SAFHA (Quranic annotation)
    (0x08E3, 0x08FF),  # ARABIC TURNED DAMMA BELOW .. ARABIC MARK SIDEWAYS NOON GHUNNA
)

_TATWEEL = "\u0640"  # ARABIC TATWEEL (kashida), the elongation stroke

# Characters that render as nothing (or only steer direction) and are used to split words. The
# API's check for an empty comment (service/validation.py) reads them too.
INVISIBLES: tuple[tuple[int, int], ...] = (
    (0x00AD, 0x00AD),  # SOFT HYPHEN
    (0x034F, 0x034F),  # COMBINING GRAPHEME JOINER
    (0x061C, 0x061C),  # ARABIC LETTER MARK
    (0x115F, 0x1160),  # HANGUL CHOSEONG FILLER, HANGUL JUNGSEONG FILLER (render blank)
    (0x17B4, 0x17B5),  # KHMER VOWEL INHERENT AQ, KHMER VOWEL INHERENT AA (render blank)
    (0x180B, 0x180E),  # MONGOLIAN FREE VARIATION SELECTOR ONE .. MONGOLIAN VOWEL SEPARATOR
    (0x200B, 0x200F),  # ZERO WIDTH SPACE, ZWNJ, ZWJ, LEFT-TO-RIGHT MARK, RIGHT-TO-LEFT MARK
    (0x202A, 0x202E),  # LRE, RLE, PDF, LRO, RLO (bidi embeddings and overrides)
    (0x2060, 0x2064),  # WORD JOINER, FUNCTION APPLICATION .. INVISIBLE PLUS
    (0x2066, 0x2069),  # LRI, RLI, FSI, PDI (bidi isolates)
    (0x206A, 0x206F),  # INHIBIT SYMMETRIC SWAPPING .. NOMINAL DIGIT SHAPES (deprecated format)
    (0x3164, 0x3164),  # HANGUL FILLER (renders blank)
    (0xFE00, 0xFE0F),  # VARIATION SELECTOR-1 .. VARIATION SELECTOR-16
    (0xFEFF, 0xFEFF),  # ZERO WIDTH NO-BREAK SPACE (byte order mark)
    (0xFFA0, 0xFFA0),  # HALFWIDTH HANGUL FILLER (renders blank)
)

# The five skin tones an emoji may carry (🖕🏻, 👏🏿): the gesture is the same in every tone.
_EMOJI_MODIFIERS: tuple[tuple[int, int], ...] = (
    (0x1F3FB, 0x1F3FF),  # EMOJI MODIFIER FITZPATRICK TYPE-1-2 .. TYPE-6
)

# Combining marks over Latin letters left after NFKC (no precomposed form): dropped with accents.
_COMBINING_MARKS: tuple[tuple[int, int], ...] = (
    (0x0300, 0x036F),  # COMBINING GRAVE ACCENT .. COMBINING LATIN SMALL LETTER X
    (0x1AB0, 0x1AFF),  # Combining Diacritical Marks Extended
    (0x1DC0, 0x1DFF),  # Combining Diacritical Marks Supplement
    (0x20D0, 0x20FF),  # Combining Diacritical Marks for Symbols
    (0xFE20, 0xFE2F),  # Combining Half Marks
)

_ALEF_VARIANTS = {
    "\u0622": "\u0627",  # ARABIC LETTER ALEF WITH MADDA ABOVE -> ALEF
    "\u0623": "\u0627",  # ARABIC LETTER ALEF WITH HAMZA ABOVE -> ALEF
    "\u0625": "\u0627",  # ARABIC LETTER ALEF WITH HAMZA BELOW -> ALEF
    "\u0671": "\u0627",  # ARABIC LETTER ALEF WASLA -> ALEF
    "\u0672": "\u0627",  # ARABIC LETTER ALEF WITH WAVY HAMZA ABOVE -> ALEF
    "\u0673": "\u0627",  # ARABIC LETTER ALEF WITH WAVY HAMZA BELOW -> ALEF
    "\u0675": "\u0627",  # ARABIC LETTER HIGH HAMZA ALEF -> ALEF
}

_HAMZA_CARRIERS = {
    "\u0624": "\u0648",  # ARABIC LETTER WAW WITH HAMZA ABOVE -> WAW
    "\u0626": "\u064A",  # ARABIC LETTER YEH WITH HAMZA ABOVE -> YEH
}

_ALEF_MAKSURA = {
    "\u0649": "\u064A",  # ARABIC LETTER ALEF MAKSURA -> YEH
}

_TEH_MARBUTA = {
    "\u0629": "\u0647",  # ARABIC LETTER TEH MARBUTA -> HEH
}

# Letters of Persian, Urdu, Kurdish, Maghrebi and old orthographies that look like (or stand for)
# an Arabic letter, plus digits and the Cyrillic and Greek letters that look like Latin ones.
_LOOKALIKES = {
    "\u06A9": "\u0643",  # ARABIC LETTER KEHEH (Persian kaf) -> KAF
    "\u06AA": "\u0643",  # ARABIC LETTER SWASH KAF -> KAF
    "\u06AF": "\u0643",  # ARABIC LETTER GAF (Persian g) -> KAF
    "\u06AD": "\u0643",  # ARABIC LETTER NG (Moroccan g, as in ڭلس) -> KAF
    "\u06A8": "\u0642",  # ARABIC LETTER QAF WITH THREE DOTS ABOVE (Maghrebi g) -> QAF
    "\u06A7": "\u0642",  # ARABIC LETTER QAF WITH DOT ABOVE (Maghrebi qaf) -> QAF
    "\u066F": "\u0642",  # ARABIC LETTER DOTLESS QAF -> QAF
    "\u06CC": "\u064A",  # ARABIC LETTER FARSI YEH -> YEH
    "\u06D0": "\u064A",  # ARABIC LETTER E (Pashto/Uyghur yeh) -> YEH
    "\u06D2": "\u064A",  # ARABIC LETTER YEH BARREE (Urdu) -> YEH
    "\u06CD": "\u064A",  # ARABIC LETTER YEH WITH TAIL -> YEH
    "\u06CE": "\u064A",  # ARABIC LETTER YEH WITH SMALL V -> YEH
    "\u0678": "\u064A",  # ARABIC LETTER HIGH HAMZA YEH -> YEH
    "\u06C1": "\u0647",  # ARABIC LETTER HEH GOAL (Urdu) -> HEH
    "\u06BE": "\u0647",  # ARABIC LETTER HEH DOACHASHMEE (Urdu) -> HEH
    "\u06C0": "\u0647",  # ARABIC LETTER HEH WITH YEH ABOVE -> HEH
    "\u06D5": "\u0647",  # ARABIC LETTER AE (Kurdish) -> HEH
    "\u06C3": "\u0647",  # ARABIC LETTER TEH MARBUTA GOAL (Urdu) -> HEH
    "\u06A4": "\u0641",  # ARABIC LETTER VEH -> FEH
    "\u06A5": "\u0641",  # ARABIC LETTER FEH WITH THREE DOTS BELOW (Maghrebi v) -> FEH
    "\u06A2": "\u0641",  # ARABIC LETTER FEH WITH DOT MOVED BELOW (Maghrebi feh) -> FEH
    "\u06A1": "\u0641",  # ARABIC LETTER DOTLESS FEH -> FEH
    "\u067E": "\u0628",  # ARABIC LETTER PEH -> BEH
    "\u066E": "\u0628",  # ARABIC LETTER DOTLESS BEH -> BEH
    "\u0686": "\u062C",  # ARABIC LETTER TCHEH -> JEEM
    "\u0698": "\u0632",  # ARABIC LETTER JEH -> ZAIN
    "\u0679": "\u062A",  # ARABIC LETTER TTEH (Urdu) -> TEH
    "\u0688": "\u062F",  # ARABIC LETTER DDAL (Urdu) -> DAL
    "\u0691": "\u0631",  # ARABIC LETTER RREH (Urdu) -> REH
    "\u06BA": "\u0646",  # ARABIC LETTER NOON GHUNNA (dotless noon) -> NOON
    "\u06C6": "\u0648",  # ARABIC LETTER OE (Kurdish) -> WAW
    "\u06C7": "\u0648",  # ARABIC LETTER U -> WAW
    "\u06C8": "\u0648",  # ARABIC LETTER YU -> WAW
    "\u06CB": "\u0648",  # ARABIC LETTER VE -> WAW
    # Cyrillic letters drawn like Latin ones (upper and lower case).
    "\u0410": "a", "\u0430": "a",  # CYRILLIC CAPITAL/SMALL LETTER A
    "\u0412": "b",                 # CYRILLIC CAPITAL LETTER VE (looks like B)
    "\u0421": "c", "\u0441": "c",  # CYRILLIC CAPITAL/SMALL LETTER ES
    "\u0501": "d",                 # CYRILLIC SMALL LETTER KOMI DE
    "\u0415": "e", "\u0435": "e",  # CYRILLIC CAPITAL/SMALL LETTER IE
    "\u041D": "h", "\u04BB": "h",  # CYRILLIC CAPITAL LETTER EN, SMALL LETTER SHHA
    "\u0406": "i", "\u0456": "i",  # CYRILLIC CAPITAL/SMALL LETTER BYELORUSSIAN-UKRAINIAN I
    "\u0408": "j", "\u0458": "j",  # CYRILLIC CAPITAL/SMALL LETTER JE
    "\u041A": "k", "\u043A": "k",  # CYRILLIC CAPITAL/SMALL LETTER KA
    "\u041C": "m", "\u043C": "m",  # CYRILLIC CAPITAL/SMALL LETTER EM
    "\u041E": "o", "\u043E": "o",  # CYRILLIC CAPITAL/SMALL LETTER O
    "\u0420": "p", "\u0440": "p",  # CYRILLIC CAPITAL/SMALL LETTER ER
    "\u051A": "q", "\u051B": "q",  # CYRILLIC CAPITAL/SMALL LETTER QA
    "\u0405": "s", "\u0455": "s",  # CYRILLIC CAPITAL/SMALL LETTER DZE
    "\u0422": "t",                 # CYRILLIC CAPITAL LETTER TE
    "\u051C": "w", "\u051D": "w",  # CYRILLIC CAPITAL/SMALL LETTER WE
    "\u0425": "x", "\u0445": "x",  # CYRILLIC CAPITAL/SMALL LETTER HA
    "\u0423": "y", "\u0443": "y",  # CYRILLIC CAPITAL/SMALL LETTER U
    # Greek letters drawn like Latin ones.
    "\u0391": "a", "\u03B1": "a",  # GREEK CAPITAL/SMALL LETTER ALPHA
    "\u0392": "b",                 # GREEK CAPITAL LETTER BETA
    "\u0395": "e", "\u03B5": "e",  # GREEK CAPITAL/SMALL LETTER EPSILON
    "\u0396": "z",                 # GREEK CAPITAL LETTER ZETA
    "\u0397": "h",                 # GREEK CAPITAL LETTER ETA
    "\u0399": "i", "\u03B9": "i",  # GREEK CAPITAL/SMALL LETTER IOTA
    "\u039A": "k", "\u03BA": "k",  # GREEK CAPITAL/SMALL LETTER KAPPA
    "\u039C": "m",                 # GREEK CAPITAL LETTER MU
    "\u039D": "n", "\u03BD": "v",  # GREEK CAPITAL LETTER NU (N), SMALL LETTER NU (v)
    "\u039F": "o", "\u03BF": "o",  # GREEK CAPITAL/SMALL LETTER OMICRON
    "\u03A1": "p", "\u03C1": "p",  # GREEK CAPITAL/SMALL LETTER RHO
    "\u03A4": "t", "\u03C4": "t",  # GREEK CAPITAL/SMALL LETTER TAU
    "\u03A5": "y", "\u03C5": "u",  # GREEK CAPITAL LETTER UPSILON (Y), SMALL LETTER UPSILON (u)
    "\u03A7": "x", "\u03C7": "x",  # GREEK CAPITAL/SMALL LETTER CHI
    # Latin small capitals, as "fancy text" generators write them.
    "\u1D00": "a",  # LATIN LETTER SMALL CAPITAL A
    "\u0299": "b",  # LATIN LETTER SMALL CAPITAL B
    "\u1D04": "c",  # LATIN LETTER SMALL CAPITAL C
    "\u1D05": "d",  # LATIN LETTER SMALL CAPITAL D
    "\u1D07": "e",  # LATIN LETTER SMALL CAPITAL E
    "\uA730": "f",  # LATIN LETTER SMALL CAPITAL F
    "\u0262": "g",  # LATIN LETTER SMALL CAPITAL G
    "\u029C": "h",  # LATIN LETTER SMALL CAPITAL H
    "\u026A": "i",  # LATIN LETTER SMALL CAPITAL I
    "\u1D0A": "j",  # LATIN LETTER SMALL CAPITAL J
    "\u1D0B": "k",  # LATIN LETTER SMALL CAPITAL K
    "\u029F": "l",  # LATIN LETTER SMALL CAPITAL L
    "\u1D0D": "m",  # LATIN LETTER SMALL CAPITAL M
    "\u0274": "n",  # LATIN LETTER SMALL CAPITAL N
    "\u1D0F": "o",  # LATIN LETTER SMALL CAPITAL O
    "\u1D18": "p",  # LATIN LETTER SMALL CAPITAL P
    "\u0280": "r",  # LATIN LETTER SMALL CAPITAL R
    "\uA731": "s",  # LATIN LETTER SMALL CAPITAL S
    "\u1D1B": "t",  # LATIN LETTER SMALL CAPITAL T
    "\u1D1C": "u",  # LATIN LETTER SMALL CAPITAL U
    "\u1D20": "v",  # LATIN LETTER SMALL CAPITAL V
    "\u1D21": "w",  # LATIN LETTER SMALL CAPITAL W
    "\u028F": "y",  # LATIN LETTER SMALL CAPITAL Y
    "\u1D22": "z",  # LATIN LETTER SMALL CAPITAL Z
}
# ARABIC-INDIC DIGIT ZERO..NINE and EXTENDED ARABIC-INDIC (Persian/Urdu) DIGIT ZERO..NINE.
_LOOKALIKES.update({chr(0x0660 + d): str(d) for d in range(10)})
_LOOKALIKES.update({chr(0x06F0 + d): str(d) for d in range(10)})

# Latin letters whose accent-free spelling is not their decomposition.
_LATIN_SPECIALS = {
    "\u0153": "oe",  # LATIN SMALL LIGATURE OE
    "\u00E6": "ae",  # LATIN SMALL LETTER AE
    "\u00DF": "ss",  # LATIN SMALL LETTER SHARP S
    "\u00F8": "o",   # LATIN SMALL LETTER O WITH STROKE
    "\u0111": "d",   # LATIN SMALL LETTER D WITH STROKE
    "\u0142": "l",   # LATIN SMALL LETTER L WITH STROKE
    "\u0127": "h",   # LATIN SMALL LETTER H WITH STROKE
    "\u0131": "i",   # LATIN SMALL LETTER DOTLESS I
}


def _code_points(ranges: tuple[tuple[int, int], ...]) -> list[int]:
    return [cp for low, high in ranges for cp in range(low, high + 1)]


def _latin_accent_map() -> dict[str, str]:
    """Map every accented Latin letter (Latin-1 to Latin Extended Additional) to plain letters."""
    mapping = dict(_LATIN_SPECIALS)
    for cp in (*range(0x00C0, 0x0250), *range(0x1E00, 0x1F00)):
        char = chr(cp)
        decomposed = unicodedata.normalize("NFD", char)
        plain = "".join(c for c in decomposed if not unicodedata.combining(c))
        if plain != char and plain.isascii() and plain.isalpha():
            mapping.setdefault(char, plain)
    mapping.update(dict.fromkeys(map(chr, _code_points(_COMBINING_MARKS)), ""))
    return mapping


_DIACRITICS_TABLE = dict.fromkeys(_code_points(_ARABIC_MARKS))
_TATWEEL_TABLE = {ord(_TATWEEL): None}
_INVISIBLES_TABLE = dict.fromkeys(_code_points(INVISIBLES))
_EMOJI_MODIFIERS_TABLE = dict.fromkeys(_code_points(_EMOJI_MODIFIERS))
_ALEF_TABLE = str.maketrans(_ALEF_VARIANTS)
_HAMZA_TABLE = str.maketrans(_HAMZA_CARRIERS)
_ALEF_MAKSURA_TABLE = str.maketrans(_ALEF_MAKSURA)
_TEH_MARBUTA_TABLE = str.maketrans(_TEH_MARBUTA)
_LOOKALIKES_TABLE = str.maketrans(_LOOKALIKES)
_LATIN_ACCENTS_TABLE = str.maketrans(_latin_accent_map())


class _CharMap:
    """A one-character map applied by one regex pass over the characters it changes.

    Same result as ``str.translate``, but on Arabic text, where a dict lookup per character
    makes translate cost about 80 ns a character, only the few changed ones cost anything.
    """

    def __init__(self, table: dict[int, str | None]):
        self.table = table
        self.regex = re.compile("[" + "".join(re.escape(chr(k)) for k in sorted(table)) + "]+")

    def _replace(self, match: re.Match[str]) -> str:
        return match.group().translate(self.table)

    def __call__(self, text: str) -> str:
        return self.regex.sub(self._replace, text)


_DIACRITICS_MAP = _CharMap(_DIACRITICS_TABLE)
_TATWEEL_MAP = _CharMap(_TATWEEL_TABLE)
_INVISIBLES_MAP = _CharMap(_INVISIBLES_TABLE)
_EMOJI_MODIFIERS_MAP = _CharMap(_EMOJI_MODIFIERS_TABLE)
_ALEF_MAP = _CharMap(_ALEF_TABLE)
_HAMZA_MAP = _CharMap(_HAMZA_TABLE)
_ALEF_MAKSURA_MAP = _CharMap(_ALEF_MAKSURA_TABLE)
_TEH_MARBUTA_MAP = _CharMap(_TEH_MARBUTA_TABLE)
_LOOKALIKES_MAP = _CharMap(_LOOKALIKES_TABLE)
_LATIN_ACCENTS_MAP = _CharMap(_LATIN_ACCENTS_TABLE)


# --- The steps -----------------------------------------------------------------------------------

def _segments(text: str) -> list[str]:
    """Split text into base characters each followed by its combining marks."""
    return _SEGMENT_RE.findall(text)


def _combining_class_ranges() -> str:
    """Return a regex class body of every BMP code point with a non-zero combining class."""
    ranges: list[tuple[int, int]] = []
    for cp in range(0x0300, 0x10000):
        if unicodedata.combining(chr(cp)):
            if ranges and ranges[-1][1] == cp - 1:
                ranges[-1] = (ranges[-1][0], cp)
            else:
                ranges.append((cp, cp))
    return "".join(f"\\u{low:04x}-\\u{high:04x}" for low, high in ranges)


_SEGMENT_RE = re.compile(f".[{_combining_class_ranges()}]*", re.DOTALL)


def _nfkc_changes(text: str) -> list[tuple[int, str, str]]:
    """Return (start, segment, NFKC of it) for each segment of the words not already in NFKC.

    NFKC is applied to each base character with its marks, in the words that need it (a word
    already in NFKC, and a space, are left as they are): every output character then comes from
    one known segment of the original, and the common case costs one check per word.
    """
    changes = []
    position = 0
    for word in text.split(" "):
        if unicodedata.is_normalized("NFKC", word):
            position += len(word) + 1
            continue
        for segment in _segments(word):
            changes.append((position, segment, unicodedata.normalize("NFKC", segment)))
            position += len(segment)
        position += 1
    return changes


def apply_nfkc(text: str) -> str:
    """Apply NFKC (presentation forms, ligatures, full width, math letters), word by word."""
    if unicodedata.is_normalized("NFKC", text):
        return text
    parts = []
    done = 0
    for start, segment, normalized in _nfkc_changes(text):
        parts += (text[done:start], normalized)
        done = start + len(segment)
    parts.append(text[done:])
    return "".join(parts)


def strip_diacritics(text: str) -> str:
    """Remove harakat, tanween, shadda, sukun, superscript alef and Quranic marks."""
    return _DIACRITICS_MAP(text)


def strip_tatweel(text: str) -> str:
    """Remove the tatweel (kashida) used to stretch words."""
    return _TATWEEL_MAP(text)


def strip_zero_width_and_bidi(text: str) -> str:
    """Remove zero-width characters, bidi controls, the BOM, soft hyphens and blank fillers."""
    return _INVISIBLES_MAP(text)


def strip_emoji_modifiers(text: str) -> str:
    """Remove the skin tones of emoji (🖕🏿 -> 🖕), so a listed emoji matches in every tone."""
    return _EMOJI_MODIFIERS_MAP(text)


def normalize_alef(text: str) -> str:
    """Write every alef with hamza, madda or wasla as a bare alef."""
    return _ALEF_MAP(text)


def normalize_hamza_carriers(text: str) -> str:
    """Write waw and yeh with hamza above as bare waw and yeh."""
    return _HAMZA_MAP(text)


def normalize_alef_maksura(text: str) -> str:
    """Write alef maksura as yeh (على and علي meet)."""
    return _ALEF_MAKSURA_MAP(text)


def normalize_teh_marbuta(text: str) -> str:
    """Write teh marbuta as heh (قحبة and قحبه meet)."""
    return _TEH_MARBUTA_MAP(text)


def fold_lookalikes(text: str) -> str:
    """Fold look-alike letters of other scripts and orthographies, and all digits to ASCII."""
    return _LOOKALIKES_MAP(text)


def lowercase(text: str) -> str:
    """Lowercase, writing Greek final sigma as sigma so the result never depends on context."""
    return text.lower().replace("\u03C2", "\u03C3")  # GREEK SMALL LETTER FINAL SIGMA -> SIGMA


def strip_latin_accents(text: str) -> str:
    """Strip accents from Latin letters (é -> e, ç -> c) and spell ligatures out (œ -> oe)."""
    return _LATIN_ACCENTS_MAP(text)


_RUN_RE = re.compile(r"(.)\1{2,}", re.DOTALL)  # any run: faster to scan than a run of letters


def _collapse_run(match: re.Match[str]) -> str:
    char = match.group(1)
    return char if char.isalpha() else match.group()  # "!!!" and "1000" stay


def collapse_elongation(text: str) -> str:
    """Write a run of three or more of the same letter as one letter (حماااار -> حمار)."""
    return _RUN_RE.sub(_collapse_run, text)


_LETTER = r"[^\W_]"  # a letter or digit
# Arabic script has its own comma, semicolon and five-pointed star: "ق، ح، ب" spaces a word too.
_MARK = r"[.\-_*,/|+~:;'\"`^=#•·\u060c\u061b\u066d]"
_SPACER = rf"(?:\s|{_MARK})"
# A clitic written onto the first spaced letter ("الق.ح.ب.ة", "بالز.ا.م.ل", "lz.a.m.e.l"). Only
# with a mark right after that letter ("إلى ك ل ب" is a word, then a spaced one), and three
# letters at least, as without a clitic: with two, "لا... و" would be read as one word.
_CLITIC = r"(?:[وفبكل]?ال|لل|[وفبكل]|e?l)"
# Letters spaced by marks ("c.o.n", "ق. ح. ب") or by spaces alone ("k a l b"). A run spaced by
# marks goes on past a plain space only into another such word ("f.i.l.s, d.e p.u.t.e"), so a
# one-letter word after it stays a word ("c.o.n w", "h.m.a.r b sa7": w "and", b "with").
_SPACED_LETTERS_RE = re.compile(
    rf"(?<!{_LETTER})(?:{_CLITIC}{_LETTER}(?:{_MARK}{_SPACER}*{_LETTER}){{2,}}"
    rf"|{_LETTER}(?:(?:\s*{_MARK}{_SPACER}*|\s+(?={_LETTER}{_MARK})){_LETTER}){{2,}}"
    rf"|{_LETTER}(?:\s+{_LETTER}){{2,}})(?!{_LETTER})")
_SPACER_RE = re.compile(_SPACER)


def _join_spaced(match: re.Match[str]) -> str:
    spaced = match.group()
    if not any(c.isalpha() for c in spaced):  # "1 - 2 - 3" is a score, not a word
        return spaced
    return _SPACER_RE.sub("", spaced)


def join_spaced_letters(text: str) -> str:
    """Join 3+ single letters separated by spaces or punctuation into a word (ك.ل.ب -> كلب),
    with a clitic written onto the first (الق.ح.ب.ة -> القحبة)."""
    return _SPACED_LETTERS_RE.sub(_join_spaced, text)


# The deleting and folding maps that follow lowercasing, composed once in pipeline order.
_POST_LOWERCASE_STEPS = (
    strip_diacritics,
    strip_tatweel,
    strip_zero_width_and_bidi,
    strip_emoji_modifiers,
    normalize_alef,
    normalize_hamza_carriers,
    normalize_alef_maksura,
    normalize_teh_marbuta,
    strip_latin_accents,
)


def _compose(steps, keys) -> dict[int, str | None]:
    table: dict[int, str | None] = {}
    for key in keys:
        char = chr(key)
        for step in steps:
            char = step(char)
        table[key] = char or None
    return table


_POST_FOLD_TABLE = _compose(
    _POST_LOWERCASE_STEPS,
    {key for table in (_DIACRITICS_TABLE, _TATWEEL_TABLE, _INVISIBLES_TABLE,
                       _EMOJI_MODIFIERS_TABLE, _ALEF_TABLE,
                       _HAMZA_TABLE, _ALEF_MAKSURA_TABLE, _TEH_MARBUTA_TABLE, _LATIN_ACCENTS_TABLE)
     for key in table},
)
_POST_FOLD_MAP = _CharMap(_POST_FOLD_TABLE)


def fold_characters(text: str) -> str:
    """Apply every per-character step: NFKC, look-alikes, lowercase, then the folding maps."""
    return _POST_FOLD_MAP(lowercase(fold_lookalikes(apply_nfkc(text))))


@lru_cache(maxsize=4096)
def _fold_char(char: str) -> str:
    """Fold one NFKC-normalized character (the per-character form of ``fold_characters``)."""
    return _POST_FOLD_MAP(lowercase(fold_lookalikes(char)))


def normalize_for_matching(text: str) -> str:
    """Return the text keyword lists and comments are compared in."""
    return join_spaced_letters(collapse_elongation(fold_characters(text)))


# --- The same steps, keeping offsets -------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class MappedText:
    """Normalized text with, for each of its characters, the original span it comes from."""

    text: str
    starts: tuple[int, ...]
    ends: tuple[int, ...]

    def span(self, i: int, j: int) -> tuple[int, int]:
        """Return the original (start, end) that normalized characters [i, j) come from."""
        if not 0 <= i < j <= len(self.text):
            raise IndexError(f"empty or out-of-range span [{i}, {j}) of {len(self.text)} chars")
        return self.starts[i], self.ends[j - 1]


# Normalized text with its characters' original starts and ends, while being built.
Mapped = tuple[str, list[int], list[int]]

# The fast path folds the text whole, writing a deleted character as a placeholder so that
# every position still lines up with the original.
_DELETED = "\x00"
_POST_FOLD_KEEPING_PLACES = _CharMap(
    {key: _DELETED if value is None else value for key, value in _POST_FOLD_TABLE.items()})
_EXPANDING_RE = re.compile(
    "[" + "".join(re.escape(chr(k)) for k, v in _POST_FOLD_TABLE.items() if v and len(v) > 1) + "]")


def _nfkc_with_offsets(text: str) -> tuple[str, Sequence[int] | None, Sequence[int] | None]:
    """Return NFKC text with each character's original start and end (None: same as the text)."""
    if unicodedata.is_normalized("NFKC", text):
        return text, None, None
    parts: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    done = 0
    for start, segment, normalized in _nfkc_changes(text) + [(len(text), "", "")]:
        parts += (text[done:start], normalized)
        starts += range(done, start)
        ends += range(done + 1, start + 1)
        if segment == normalized:
            starts += range(start, start + len(segment))
            ends += range(start + 1, start + len(segment) + 1)
        else:  # every character of a compatibility form comes from the whole form
            starts += [start] * len(normalized)
            ends += [start + len(segment)] * len(normalized)
        done = start + len(segment)
    return "".join(parts), starts, ends


def _fold_with_offsets_fast(text: str) -> Mapped | None:
    """Fold a text whose characters each fold to at most one character; None for other texts."""
    if _DELETED in text:
        return None
    nfkc, nfkc_starts, nfkc_ends = _nfkc_with_offsets(text)
    lowered = lowercase(fold_lookalikes(nfkc))
    if len(lowered) != len(nfkc) or _EXPANDING_RE.search(lowered):
        return None
    folded = _POST_FOLD_KEEPING_PLACES(lowered)
    if nfkc_starts is None or nfkc_ends is None:
        if _DELETED not in folded:  # nothing deleted, nothing expanded: one character each
            return folded, list(range(len(folded))), list(range(1, len(folded) + 1))
        nfkc_starts, nfkc_ends = range(len(folded)), range(1, len(folded) + 1)
    kept = list(compress(range(len(folded)), map(_DELETED.__ne__, folded)))
    if not kept:
        return "", [], []
    # Deleted marks and joiners belong to the letter before them: a kept character ends where
    # the last character before the next kept one ends.
    ends = [nfkc_ends[k - 1] for k in kept[1:]]
    ends.append(nfkc_ends[-1])
    return folded.replace(_DELETED, ""), [nfkc_starts[k] for k in kept], ends


def _fold_with_offsets_slow(text: str) -> Mapped:
    """Fold any text one character at a time (for the few that fold to several characters)."""
    nfkc, nfkc_starts, nfkc_ends = _nfkc_with_offsets(text)
    chars: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    for index, char in enumerate(nfkc):
        start = index if nfkc_starts is None else nfkc_starts[index]
        end = index + 1 if nfkc_ends is None else nfkc_ends[index]
        folded = _fold_char(char)
        if not folded:
            if ends:  # a deleted mark or joiner belongs to the letter before it
                ends[-1] = end
            continue
        for out in folded:
            chars.append(out)
            starts.append(start)
            ends.append(end)
    return "".join(chars), starts, ends


def _rewrite(mapped: Mapped, regex: re.Pattern[str], rewrite_match) -> Mapped:
    """Apply a regex rewrite to mapped text; ``rewrite_match`` returns (char, start, end)s."""
    text, starts, ends = mapped
    out_chars: list[str] = []
    out_starts: list[int] = []
    out_ends: list[int] = []
    done = 0
    for match in regex.finditer(text):
        i, j = match.span()
        out_chars.append(text[done:i])
        out_starts += starts[done:i]
        out_ends += ends[done:i]
        for char, start, end in rewrite_match(match, mapped):
            out_chars.append(char)
            out_starts.append(start)
            out_ends.append(end)
        done = j
    if not done:
        return mapped
    out_chars.append(text[done:])
    out_starts += starts[done:]
    out_ends += ends[done:]
    return "".join(out_chars), out_starts, out_ends


def _unchanged(match: re.Match[str], mapped: Mapped) -> list[tuple[str, int, int]]:
    text, starts, ends = mapped
    return [(text[k], starts[k], ends[k]) for k in range(*match.span())]


def _collapse_run_with_offsets(match: re.Match[str], mapped: Mapped) -> list[tuple[str, int, int]]:
    """One letter stands for the whole run, so its span covers the run."""
    collapsed = _collapse_run(match)
    if collapsed == match.group():
        return _unchanged(match, mapped)
    _, starts, ends = mapped
    i, j = match.span()
    return [(collapsed, starts[i], ends[j - 1])]


def _join_run_with_offsets(match: re.Match[str], mapped: Mapped) -> list[tuple[str, int, int]]:
    """The spaced letters keep their own spans; the spacers between them are dropped."""
    kept = _unchanged(match, mapped)
    if _join_spaced(match) == match.group():
        return kept
    return [piece for piece in kept if not _SPACER_RE.fullmatch(piece[0])]


def normalize_with_offsets(text: str) -> MappedText:
    """Return ``normalize_for_matching(text)`` with each character's span in ``text``."""
    mapped = _fold_with_offsets_fast(text) or _fold_with_offsets_slow(text)
    mapped = _rewrite(mapped, _RUN_RE, _collapse_run_with_offsets)
    normalized, starts, ends = _rewrite(mapped, _SPACED_LETTERS_RE, _join_run_with_offsets)
    return MappedText(normalized, tuple(starts), tuple(ends))


# --- The classifier's view -----------------------------------------------------------------------

# Each branch starts only where a run of its characters starts (the lookbehinds): tried from
# every position inside a long run, a failing match rescans the rest of the run each time, and a
# 5,000-character comment of "a-a-a-…" took a quarter of a second (quadratic). Now linear.
_URL_RE = re.compile(
    r"(?<![\w.+-])[\w.+-]+@[a-z0-9-]+(?:\.[a-z0-9-]+)+"  # an e-mail address
    r"|(?:https?://|www\.)\S+"
    r"|(?<![\w.-])[a-z0-9][a-z0-9-]*(?:\.[a-z0-9-]+)*\.(?:com|net|org|info|ma|fr|be|io|co|me|ly|tv)"
    r"\b(?:/\S*)?"
)
_TLD_RE = re.compile(r"\.(?:com|net|org|info|ma|fr|be|io|co|me|ly|tv)\b")  # a cheap first look
_MENTION_RE = re.compile(r"(?<![\w@])@\w+")


def replace_urls_and_mentions(text: str) -> str:
    """Replace links and e-mail addresses with " URL ", @mentions with " USER " (lowercased)."""
    if "@" in text or "://" in text or "www." in text or _TLD_RE.search(text):
        text = _URL_RE.sub(" URL ", text)
    if "@" in text:
        text = _MENTION_RE.sub(" USER ", text)
    return text


def collapse_whitespace(text: str) -> str:
    """Write every run of whitespace as one space and trim the ends."""
    return " ".join(text.split())


# Emoji and marks glued between two letters of one word cut it for a reader's eye only
# ("ق.حبة", "z-ebbi", "ز😡امل"); clause punctuation and quotation marks are not among them.
EMOJI = (
    "\u2600-\u27bf"          # Miscellaneous Symbols, Dingbats (☠ ✂ ❤)
    "\u2b00-\u2bff"          # Miscellaneous Symbols and Arrows (⬛ ⭐)
    "\U0001f000-\U0001faff"  # Mahjong Tiles .. Symbols and Pictographs Extended-A (😡 🤬 🖕)
)
IN_WORD_MARKS = (
    EMOJI + r"._/|+~^=#*\-\\"
    "\u2022\u00b7\u066d"  # BULLET, MIDDLE DOT, ARABIC FIVE POINTED STAR
)
_IN_WORD_CUT_RE = re.compile(rf"(?<={_LETTER})[{IN_WORD_MARKS}]+(?={_LETTER})")


def join_cut_word(word: str) -> str:
    """Return a word without the emoji and marks glued between its letters (ق.حبه -> قحبه)."""
    return _IN_WORD_CUT_RE.sub("", word)


def normalize_for_model(text: str) -> str:
    """Return the text the classifier's features are computed on."""
    text = replace_urls_and_mentions(fold_characters(text))
    return collapse_whitespace(join_spaced_letters(collapse_elongation(text)))


# --- Latin-script folds for keyword matching -----------------------------------------------------

# Arabizi spellings of one Darija sound, each written as one canonical letter. Longest first, in
# one pass, so a digraph is never re-read (the "x" written for kh is not then read as chin).
_ARABIZI_SPELLINGS = {
    "kh": "x", "5": "x",             # kha خ: "khra", "5ra"
    "ch": "c", "sh": "c", "x": "c",  # chin ش: "charmouta", "sharmouta"; Moroccan SMS writes "xi"
    "gh": "g",                       # ghain غ: "ghbi"; ڭ (g) is rare enough to share it
    "dj": "j",                       # jeem ج in Algerian spelling: "djazair"
    "th": "t", "dh": "d", "6": "t",  # no interdentals in Darija; 6 is Gulf Arabizi for tah ط
    "ph": "f", "p": "b",             # no p in Darija: "9a7pa" is 9a7ba with a French letter
    "ou": "u", "oo": "u", "o": "u", "w": "u",  # waw و: "ould", "wld", "oueld" all meet at "uld"
    "ee": "i", "y": "i",             # yeh ي: "yhoud", "ihoud"
    "7": "h",                        # hah ح: "7mar" and "hmar" (ح and ه are not told apart)
    "9": "q",                        # qaf ق: "9a7ba", "qahba"; k stays k: "kalb" dog ≠ "qalb" heart
    "3": "3",                        # ain ع keeps its digit: it is a consonant ("3azzi")
    "2": "",                         # hamza ء: written or not, the same word
}
# Digits that Arabizi writes letters with (ع ح ق خ ط ء): never a leetspeak disguise there.
ARABIZI_DIGITS = frozenset(k for k in _ARABIZI_SPELLINGS if k.isdigit())
# A two-letter spelling with both letters doubled ("cchhiaa") is still that one letter: doubles
# are collapsed only after respelling (so "oo" and "ee" can be read), too late for it.
_DOUBLED_DIGRAPH_RE = re.compile("|".join(
    f"{k[0]}{k[0]}+{k[1]}{k[1]}+" for k in _ARABIZI_SPELLINGS
    if len(k) == 2 and k[0] != k[1] and not k.isdigit()))
_ARABIZI_SPELLING_RE = re.compile(
    "|".join(re.escape(k) for k in sorted(_ARABIZI_SPELLINGS, key=len, reverse=True)))
_LEADING_VOWELS_RE = re.compile(r"^[ae]+")
_TRAILING_VOWELS_RE = re.compile(r"[ae]+$")
_INNER_VOWELS_RE = re.compile(r"[ae]+")


def _fold_short_vowels(skeleton: str) -> str:
    """Drop short vowels a/e inside a word, keeping a leading one and a final "a".

    Darija spellers write short vowels at will ("zamel", "zaml", "zmel"; "kelb", "kalb", "klb"),
    so inside a word they carry no information. A leading vowel is kept (as "a") so "ahmar" (red)
    stays apart from "hmar" (donkey); a final "a" is kept because it marks the feminine
    ("hamra", red, stays apart from "hmar"); a final "e" is dropped as French-style mute ("dine").
    """
    head = "a" if _LEADING_VOWELS_RE.match(skeleton) else ""
    tail_match = _TRAILING_VOWELS_RE.search(skeleton)
    tail = "a" if tail_match and tail_match.group().endswith("a") and tail_match.start() > 0 else ""
    return head + _INNER_VOWELS_RE.sub("", skeleton) + tail


_REPEAT_RE = re.compile(r"(.)\1+", re.DOTALL)


def collapse_doubles(text: str) -> str:
    """Write every run of one character as that character once (zammel -> zamel)."""
    # Most words have no run: looking for one costs a fifth of rebuilding the word, and the
    # keyword matcher asks this of every form of every new word.
    return _REPEAT_RE.sub(r"\1", text) if _REPEAT_RE.search(text) else text


def _respell(match: re.Match[str]) -> str:
    return _ARABIZI_SPELLINGS[match.group()]


@lru_cache(maxsize=65_536)
def fold_arabizi(token: str) -> str:
    """Return the consonant skeleton of an Arabizi token, where spelling variants meet.

    "7mar", "hmar", "hmer" -> "hmr"; "9a7ba", "qahba", "9e7ba" -> "qhba"; "wld", "ould" -> "uld".
    """
    token = lowercase(token) if token.isascii() else strip_latin_accents(lowercase(token))
    token = _DOUBLED_DIGRAPH_RE.sub(lambda m: m.group()[0] + m.group()[-1],
                                    token.translate(_LEET_ONLY))
    spelled = _ARABIZI_SPELLING_RE.sub(_respell, token)
    return collapse_doubles(_fold_short_vowels(collapse_doubles(spelled)))


_LEET = str.maketrans({
    "0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t",
    "@": "a", "$": "s", "\u20ac": "e",  # EURO SIGN
    "!": "i",
})


# Leet characters that are never Arabizi letters: "947ba" is 9a7ba disguised.
_LEET_ONLY = str.maketrans({k: v for k, v in _LEET.items() if chr(k) not in ARABIZI_DIGITS})


@lru_cache(maxsize=65_536)
def fold_leet(token: str) -> str:
    """Return a leetspeak token in plain letters, accents stripped and doubles collapsed.

    "s@l0pe", "SALOPPE", "sal0pé" -> "salope".
    """
    token = lowercase(token) if token.isascii() else strip_latin_accents(lowercase(token))
    return collapse_doubles(token.translate(_LEET))
