"""Cutting long comments into passages: sentences, runs of them, word windows, offsets."""

import random

import pytest

from service.text.passages import PASSAGE_CHARS, passages, sentences, word_windows


def pieces(text, spans):
    return [text[start:end] for start, end in spans]


def test_a_comment_no_longer_than_a_passage_is_one_passage():
    for text in ("", "كلمة", "x" * PASSAGE_CHARS):
        assert passages(text) == [(0, len(text))]


@pytest.mark.parametrize(("text", "expected"), [
    ("جملة أولى. جملة ثانية! واش هادي ثالثة؟ رابعة", ["جملة أولى. ", "جملة ثانية! ",
                                                  "واش هادي ثالثة؟ ", "رابعة"]),
    ("Première phrase... Deuxième ; troisième", ["Première phrase... ", "Deuxième ; ",
                                                 "troisième"]),
    ("سطر أول\nسطر ثاني\n\n  سطر ثالث", ["سطر أول\n", "سطر ثاني\n\n  ", "سطر ثالث"]),
    ("الفصل 103.13 من القانون، وموقع hespress.com",
     ["الفصل 103.13 من القانون، وموقع hespress.com"]),
    ("سير أ ق.ح.ب.ة شكون نتي", ["سير أ ق.ح.ب.ة شكون نتي"]),  # a disguise is no sentence end
    ("جملة.   ", ["جملة.   "]),
])
def test_sentences_end_at_marks_followed_by_a_space_or_at_line_breaks(text, expected):
    assert pieces(text, sentences(text)) == expected


def test_sentences_cover_the_text_in_order():
    text = "Un. Deux !  Trois ?\nQuatre… cinq"
    spans = sentences(text)
    assert "".join(pieces(text, spans)) == text
    assert all(a < b for a, b in spans)


def test_word_windows_keep_words_whole_and_overlap_by_half():
    text = " ".join(f"w{i:02d}" for i in range(30))  # 30 words of 3 letters: 119 characters
    windows = word_windows(text, 0, len(text), 40)
    assert all(b - a <= 40 for a, b in windows)
    words = [piece.split() for piece in pieces(text, windows)]
    assert all(text[a:b] == " ".join(w) for (a, b), w in zip(windows, words, strict=True))
    assert words[0][0] == "w00" and words[-1][-1] == "w29"
    # each window starts halfway through the one before it
    assert all(later[0] == earlier[len(earlier) // 2]
               for earlier, later in zip(words, words[1:], strict=False))


def test_a_word_longer_than_a_window_is_a_window_of_its_own():
    text = "قصير " + "ب" * 50 + " قصير"
    assert pieces(text, word_windows(text, 0, len(text), 20)) == ["قصير", "ب" * 50, "قصير"]


def test_sentences_are_gathered_into_passages_up_to_the_length():
    sentence = "الحكومة فشلت في تدبير أزمة الماء والناس كتعاني. "  # 48 characters
    text = sentence * 10
    spans = passages(text, 100)
    assert all(b - a <= 100 for a, b in spans)
    assert pieces(text, spans) == [(sentence * 2).strip()] * 5


def test_a_long_sentence_becomes_word_windows_between_the_short_ones():
    long_sentence = " ".join(["كلام بلا ترقيم"] * 20) + ". "
    text = "بداية قصيرة. " + long_sentence + "نهاية قصيرة."
    spans = passages(text, 60)
    found = pieces(text, spans)
    assert found[0] == "بداية قصيرة." and found[-1] == "نهاية قصيرة."
    assert all(b - a <= 60 for a, b in spans)
    assert len(found) > 4


def test_passages_hold_every_word_in_order_without_edge_spaces():
    rng = random.Random(7)
    words = ["الوزير", "qui", "7mar", "ديال", "المغرب", "très", "كيقول", "wach", "هادشي"]
    marks = [" ", " ", " ", ". ", "! ", "؟ ", "\n", " ... "]
    for _ in range(200):
        text = "".join(rng.choice(words) + rng.choice(marks) for _ in range(rng.randrange(9, 80)))
        if len(text) <= 50:
            continue  # one passage, the whole text (the first test)
        spans = passages(text, 50)
        assert all(text[a:b] == text[a:b].strip() and text[a:b] for a, b in spans)
        covered = {i for a, b in spans for i in range(a, b)}
        assert all(i in covered for i, char in enumerate(text) if not char.isspace())
        assert [a for a, _ in spans] == sorted(a for a, _ in spans)
