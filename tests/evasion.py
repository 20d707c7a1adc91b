"""Disguises commenters use to slip words past a filter, as pure functions.

Each function takes a text and an optional ``random.Random``:

- without one, it disguises every place it can, deterministically (for keyword tests: the whole
  text is one listed term, and every letter of it gets the disguise);
- with one, it disguises some places chosen by the generator (for model invariance tests on whole
  comments); the choices keep the text's meaning: a spaced-out word is never next to a one-letter
  word (which the normalizer would join to it), an elongated letter is never next to the same
  letter.

None of them changes what a reader sees as the words of the text.
"""

from __future__ import annotations

import random
import re

from service.text.arabic import ARABIZI_DIGITS

HARAKAT = (
    "\u064E",  # ARABIC FATHA
    "\u0651",  # ARABIC SHADDA
    "\u0650",  # ARABIC KASRA
    "\u0652",  # ARABIC SUKUN
    "\u064F",  # ARABIC DAMMA
    "\u064B",  # ARABIC FATHATAN
)
LATIN_ACCENTS = (
    "\u0301",  # COMBINING ACUTE ACCENT
    "\u0308",  # COMBINING DIAERESIS
    "\u0300",  # COMBINING GRAVE ACCENT
)
TATWEEL = "\u0640"  # ARABIC TATWEEL
ZERO_WIDTH = (
    "\u200D",  # ZERO WIDTH JOINER
    "\u200C",  # ZERO WIDTH NON-JOINER
    "\u200B",  # ZERO WIDTH SPACE
    "\u00AD",  # SOFT HYPHEN
    "\u2060",  # WORD JOINER
    "\u200F",  # RIGHT-TO-LEFT MARK
)
LOOKALIKES = {
    "\u0643": "\u06A9",  # ARABIC LETTER KAF -> KEHEH
    "\u064A": "\u06CC",  # ARABIC LETTER YEH -> FARSI YEH
    "\u0649": "\u06CC",  # ARABIC LETTER ALEF MAKSURA -> FARSI YEH
    "\u0647": "\u06BE",  # ARABIC LETTER HEH -> HEH DOACHASHMEE
    "\u0629": "\u06C3",  # ARABIC LETTER TEH MARBUTA -> TEH MARBUTA GOAL
    "\u0627": "\u0671",  # ARABIC LETTER ALEF -> ALEF WASLA
    "a": "\u0430",  # LATIN SMALL LETTER A -> CYRILLIC SMALL LETTER A
    "c": "\u0441",  # LATIN SMALL LETTER C -> CYRILLIC SMALL LETTER ES
    "e": "\u0435",  # LATIN SMALL LETTER E -> CYRILLIC SMALL LETTER IE
    "i": "\u0456",  # LATIN SMALL LETTER I -> CYRILLIC SMALL LETTER BYELORUSSIAN-UKRAINIAN I
    "j": "\u0458",  # LATIN SMALL LETTER J -> CYRILLIC SMALL LETTER JE
    "k": "\u043A",  # LATIN SMALL LETTER K -> CYRILLIC SMALL LETTER KA
    "o": "\u043E",  # LATIN SMALL LETTER O -> CYRILLIC SMALL LETTER O
    "p": "\u0440",  # LATIN SMALL LETTER P -> CYRILLIC SMALL LETTER ER
    "s": "\u0455",  # LATIN SMALL LETTER S -> CYRILLIC SMALL LETTER DZE
    "x": "\u0445",  # LATIN SMALL LETTER X -> CYRILLIC SMALL LETTER HA
    "y": "\u0443",  # LATIN SMALL LETTER Y -> CYRILLIC SMALL LETTER U
    "2": "\u0662",  # DIGIT TWO -> ARABIC-INDIC DIGIT TWO (Arabizi hamza)
    "3": "\u0663",  # DIGIT THREE -> ARABIC-INDIC DIGIT THREE (Arabizi ain)
    "5": "\u0665",  # DIGIT FIVE -> ARABIC-INDIC DIGIT FIVE (Arabizi kha)
    "7": "\u0667",  # DIGIT SEVEN -> ARABIC-INDIC DIGIT SEVEN (Arabizi hah)
    "9": "\u0669",  # DIGIT NINE -> ARABIC-INDIC DIGIT NINE (Arabizi qaf)
}
LEET = {"a": "4", "e": "3", "i": "1", "o": "0", "s": "5", "t": "7"}

# Arabic letters that never join the letter after them: a tatweel after them would float.
_NON_JOINING = set("\u0627\u0623\u0625\u0622\u062F\u0630\u0631\u0632\u0648\u0624\u0621\u0629\u0649")
_WORD_RE = re.compile(r"[^\W_]+")


def is_arabic_letter(char: str) -> bool:
    """Return whether ``char`` is a letter of the basic Arabic alphabet."""
    return "\u0621" <= char <= "\u064A" and char != TATWEEL


def _pick(rng: random.Random | None, places: list[int], share: float = 0.5) -> set[int]:
    """Every place without a generator; a random share of them (at least one) with one."""
    if rng is None or not places:
        return set(places)
    chosen = {p for p in places if rng.random() < share}
    return chosen or {rng.choice(places)}


def _insert_after(text: str, places: set[int], make) -> str:
    return "".join(c + make(i) if i in places else c for i, c in enumerate(text))


def in_word_places(text: str) -> list[int]:
    """Indices of characters followed by another character of the same word."""
    return [i for i in range(len(text) - 1) if text[i].isalnum() and text[i + 1].isalnum()]


def add_diacritics(text: str, rng: random.Random | None = None) -> str:
    """Put harakat after Arabic letters and combining accents after Latin letters."""
    places = [i for i, c in enumerate(text) if c.isalpha()]
    chosen = _pick(rng, places)

    def mark(i: int) -> str:
        marks = HARAKAT if is_arabic_letter(text[i]) else LATIN_ACCENTS
        return rng.choice(marks) if rng else marks[i % len(marks)]
    return _insert_after(text, chosen, mark)


def add_tatweel(text: str, rng: random.Random | None = None) -> str:
    """Stretch Arabic words with tatweel between letters that join."""
    places = [i for i in range(len(text) - 1) if is_arabic_letter(text[i])
              and is_arabic_letter(text[i + 1]) and text[i] not in _NON_JOINING]
    chosen = _pick(rng, places)
    return _insert_after(text, chosen, lambda i: TATWEEL * (rng.randint(1, 4) if rng else 2))


# Letters that read as the same letter (ؤ is a waw with a hamza): a run of them is one run.
_BASE_LETTER = str.maketrans({
    "\u0624": "\u0648",  # ARABIC LETTER WAW WITH HAMZA ABOVE -> WAW
    "\u0626": "\u064A",  # ARABIC LETTER YEH WITH HAMZA ABOVE -> YEH
    "\u0649": "\u064A",  # ARABIC LETTER ALEF MAKSURA -> YEH
    "\u0623": "\u0627",  # ARABIC LETTER ALEF WITH HAMZA ABOVE -> ALEF
    "\u0625": "\u0627",  # ARABIC LETTER ALEF WITH HAMZA BELOW -> ALEF
    "\u0622": "\u0627",  # ARABIC LETTER ALEF WITH MADDA ABOVE -> ALEF
    "\u0629": "\u0647",  # ARABIC LETTER TEH MARBUTA -> HEH
})


def _elongation_places(text: str) -> list[int]:
    """Letters that no neighbour repeats: elongating one leaves the word's letters as they were."""
    base = text.lower().translate(_BASE_LETTER)
    return [i for i, c in enumerate(base) if c.isalpha()
            and (i == 0 or base[i - 1] != c) and (i + 1 == len(base) or base[i + 1] != c)]


def elongate(text: str, rng: random.Random | None = None, times: int = 4) -> str:
    """Repeat one letter ``times`` times (the middle one without a generator)."""
    places = _elongation_places(text)
    if not places:
        return text
    if rng:
        place = rng.choice(places)
    else:
        middle = len(text) // 2
        place = min(places, key=lambda p: (abs(p - middle), p))
    return text[:place] + text[place] * times + text[place + 1:]


def add_zero_width(text: str, rng: random.Random | None = None) -> str:
    """Insert zero-width and direction characters between the letters of words."""
    chosen = _pick(rng, in_word_places(text))
    def joiner(i: int) -> str:
        return rng.choice(ZERO_WIDTH) if rng else ZERO_WIDTH[i % len(ZERO_WIDTH)]
    return _insert_after(text, chosen, joiner)


def swap_lookalikes(text: str, rng: random.Random | None = None) -> str:
    """Replace letters and Arabizi digits with look-alikes from other scripts."""
    places = _pick(rng, [i for i, c in enumerate(text) if c in LOOKALIKES])
    return "".join(LOOKALIKES[c] if i in places else c for i, c in enumerate(text))


def _space_word(word: str, sep: str) -> str:
    return sep.join(word)


def space_out(text: str, rng: random.Random | None = None, sep: str = " ") -> str:
    """Write letters apart: every word, run together, without a generator; one word with one."""
    if rng is None:
        return sep.join("".join(_WORD_RE.findall(text)))
    words = list(_WORD_RE.finditer(text))
    eligible = [k for k, w in enumerate(words) if len(w.group()) >= 3
                and all(len(words[n].group()) > 1 for n in (k - 1, k + 1) if 0 <= n < len(words))]
    if not eligible:
        return text
    word = words[rng.choice(eligible)]
    return text[:word.start()] + _space_word(word.group(), sep) + text[word.end():]


# Marks trolls glue inside a word, once ("ق.حبة", "9a7-ba", "z_ebbi"): readers still see the word.
IN_WORD_MARKS = (".", "-", "_", "/", "\u2022", "\U0001F621")  # BULLET, POUTING FACE


def cut_with_a_mark(text: str, rng: random.Random | None = None, place: int | None = None) -> str:
    """Glue one mark inside a word: after character ``place`` of the text, or, with a
    generator, inside one word of three letters or more; the marks take turns by place."""
    if rng is not None:
        words = [w for w in _WORD_RE.finditer(text) if len(w.group()) >= 3]
        if not words:
            return text
        word = rng.choice(words)
        place = rng.randrange(word.start(), word.end() - 1)
    if place is None or place not in in_word_places(text):
        raise ValueError(f"no place inside a word after character {place} of {text!r}")
    return text[:place + 1] + IN_WORD_MARKS[place % len(IN_WORD_MARKS)] + text[place + 1:]


def upper_case(text: str, rng: random.Random | None = None) -> str:
    """Write Latin letters in capitals (all of them, or some words with a generator)."""
    if rng is None:
        return text.upper()
    return _WORD_RE.sub(lambda m: m.group().upper() if rng.random() < 0.5 else m.group(), text)


# Arabizi already writes letters with 3, 5 and 7 (ع خ ح): in an Arabizi word, e/s/t written as
# those digits would be other letters, so a disguise there uses the other leet digits only.


def leetify(text: str, rng: random.Random | None = None) -> str:
    """Write Latin letters as leetspeak digits (a -> 4, e -> 3, i -> 1, o -> 0, s -> 5, t -> 7);
    in Arabizi (a word with 2 3 5 7 9 as letters), a -> 4, i -> 1 and o -> 0 only."""
    arabizi = any(c in ARABIZI_DIGITS for c in text)
    leet = {c: d for c, d in LEET.items() if not (arabizi and d in ARABIZI_DIGITS)}
    places = _pick(rng, [i for i, c in enumerate(text) if c in leet])
    return "".join(leet[c] if i in places else c for i, c in enumerate(text))


def double_letters(text: str, rng: random.Random | None = None) -> str:
    """Write letters twice (zzaammeell)."""
    places = _pick(rng, [i for i, c in enumerate(text) if c.isalnum()])
    return "".join(c * 2 if i in places else c for i, c in enumerate(text))
