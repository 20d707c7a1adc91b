"""The blind audits: reviewers who had read neither the corpus nor the lists wrote comments as
this site's readers write them, clean ones with every hard case the rules allow, and violations
in every language, some disguised; comments that also occur in the corpus or in a public dataset
were left out. A candidate model must hold few of the clean ones and catch most of the
violations, with the shipped lists.

- blind_audit.tsv (257 comments, round 4): the model of 2026-11-29 held none of the clean
  comments and let 3 of the 86 violations through. Two fixes came from reading its errors
  (end-masked words, calls to deny a group its rights), so it is no longer blind to those.
- blind_audit_round8.tsv (847 comments, round 8, four reviewers): violations asked to include
  attacks a keyword list would miss, with no slur at all. Round 8's model held 2 of the 556 clean
  comments and let 36 of the 291 violations through (12%; docs/evaluation.md). Its set A was read
  to find fixes, its set B only once they were final (three disguises found in it since).
- religion_probe_round9.tsv (489 comments, round 9, one reviewer): sentences that say what a
  religion or a scripture is, and attacks in the same shapes. Round 8's model held 20 of its 329
  clean comments (6.1%); round 9's, trained with training/corpus/predicates.jsonl written by
  others who never saw the probe, holds 6 and lets 20 of the 160 violations through. Scored by
  counts only until then.
- blind_audit_round9.tsv (399 comments, round 9, one reviewer): comments under ordinary articles,
  scored once round 9's model was final: it holds 3 of the 249 clean comments and lets 8 of the
  150 violations through (round 8's model: 8 and 9).
- religion_probe_round10.tsv (318 comments, round 10, one reviewer): attacks on religion in
  ordinary words (contempt, sarcasm, "myths", mocked rites), most without a slur, and clean
  comments on the same subjects. Round 9's model held 1 of its 168 clean comments and let 82 of
  the 150 violations through (55%); round 10's, trained with training/corpus/contempt.jsonl
  written by others who never saw the probe, holds 1 and lets 54 through (36%). Scored by counts
  only until then.
- blind_audit_round10.tsv (400 comments, round 10, one reviewer): comments under ordinary
  articles, written and scored once round 10's model was final: it holds none of the 250 clean
  comments and lets 10 of the 150 violations through (round 9's model: 0 and 14).
- religion_probe_round11.tsv (319 comments, round 11, one reviewer): attacks on religion in
  ordinary words again, and clean comments on the same subjects. Round 10's model held none of
  its 169 clean comments and let 46 of the 150 violations through (31%); round 11's, trained
  with training/corpus/sacred.jsonl written by others who never saw the probe, holds none and
  lets 33 through (22%). Scored by counts only until then.
- blind_audit_round11.tsv (400 comments, round 11, one reviewer): comments under everyday
  articles, scored once round 11's model was final: it holds none of the 250 clean comments and
  lets 22 of the 150 violations through, 15 of them incitement (round 10's model: 0 and 23).
- incitement_probe_round12.tsv (319 comments, round 12, one reviewer): calm incitement against
  nationalities, migrants, regions, tribes and religious communities, in ordinary words, and
  clean comments naming the same groups. Round 11's model held none of its 170 clean comments
  and let 70 of the 149 violations through (47%); round 12's, trained with
  training/corpus/stereotypes.jsonl written by others who never saw the probe, holds 1 and lets
  54 through (36%). Scored by counts only until then.
- arabizi_probe_round13.tsv (320 comments, round 13, one reviewer): Darija in Latin letters in
  every spelling, alone or mixed with French or Arabic script, about 50 violations per rule,
  most without a slur, and clean comments on the same subjects. Round 12's model holds 3 of its
  170 clean comments and lets 46 of the 150 violations through (31%). Corpus parts in Arabizi
  written by others who never saw it brought that to 38-42, but on re-drawn corpus splits each
  held one more clean comment for every one or two more violations caught, and were left out
  (docs/evaluation.md, round 13). 45 with round 16's "you are a" fillers (people.txt), written
  after its misses were read ("nta wahd ghbi").
- darija_probe_round14.tsv (308 comments, round 14, one reviewer): Darija in Arabic script, the
  site's main language, about 40 violations per rule, most without a slur, and clean comments
  that defend or name groups, state a faith, or criticize officials in the same words. Round 12's
  model holds 3 of its 202 clean comments and lets 18 of the 106 violations through (17%). Corpus
  parts written by others who never saw it (groups defended and attacked, faith stated and
  attacked) held 4 or 5 and let 17 or 18 through, and were left out (docs/evaluation.md,
  round 14).
- french_probe_round15.tsv (312 comments, round 15, one reviewer): French as Moroccan readers
  write it, about 40 violations per rule, most without a slur, and clean comments on the same
  subjects and words. Round 12's model holds 2 of its 195 clean comments and lets 21 of the 117
  violations through (18%); 18 with the French insult words added after its misses were read
  (proposed by a helper who never saw it, chosen on the corpus and datasets; docs/evaluation.md,
  round 15), so its insult figure is no longer blind.
- mixed_probe_round17.tsv (320 comments, round 17, one reviewer): comments that mix languages
  (Darija in Arabic script with French or Arabizi, MSA with French, French with Arabizi), 50
  violations per rule, most without a slur, and clean comments on the same subjects. Round 16's
  model holds 1 of its 170 clean comments and lets 16 of the 150 violations through (11%); round
  17's, trained with training/corpus/codeswitch.jsonl written by another who never saw it and
  reading words cut by a glued mark ("9a7.ba", found in its misses), holds 1 and lets 12 through.
- long_probe_round18.tsv (260 comments, round 18, two reviewers): comments of 366 to 1,366
  characters, most violations one sentence inside a reasonable argument. Round 17's model, which
  scored a comment whole, held 2 of the 150 clean comments and let 75 of the 110 violations
  through (68%); scoring long comments passage by passage too (chosen on the first reviewer's half
  only), 2 and 11; round 18's model, trained with training/corpus/long.jsonl written by others
  who never saw it, 3 and 6.
- groups_probe_round19.tsv (456 comments, round 19, two reviewers): comments about groups that
  defend them in the words of those who attack them, against calm exclusion in the same words,
  and French comments that all use ils / leur / eux. Round 18's model held 14 of the 299 clean
  comments (4.7%, every one rejected) and let 14 of the 157 violations through (9%); round 19's,
  trained with training/corpus/pronouns.jsonl written by another who never saw it, 9 (3.0%) and
  17 (11%). No model has met the 2% target on its clean comments yet: its bound is 3.5%, a floor
  under round 19's figure, until one does.
- short_probe_round20.tsv (278 comments, round 20, one reviewer): comments of one to six words,
  replies, pronouns, groups named alone or kindly, formulas and short criticism, and short
  violations of every rule. Round 19's model held 8 of the 181 clean comments (4.4%, 7 rejected:
  "الشيعة", "les chiites") and let 14 of the 97 violations through; round 20's, whose incitement
  rule scales short comments toward its prior and which was trained with
  training/corpus/brief.jsonl written by another who never saw it, 2 and 15 (15%).
- officials_probe_round21.tsv (355 comments, round 21, one reviewer): the harshest legitimate
  criticism of ministers, mayors, the coach, judges, the article's writer, against the same
  criticism with name-calling. Round 20's model held 5 of the 229 clean comments (2.2%, 3
  rejected: "هذا المسؤول غير كفء لهذا المنصب") and let 18 of the 126 violations through (14%);
  round 21's, trained with training/corpus/officials.jsonl written by others who never saw it
  (its second half asked for after those held comments were read), 2 and 18.
- words_probe_round22.tsv (436 comments, round 22, one reviewer): the vocabulary of swearing,
  slurs and blasphemous curses in many spellings, against the same words said innocently
  (animals, news of a prostitution ring, insults reported or condemned) and sharp criticism.
  Round 21's model with round 21's lists held 3 of the 218 clean comments and let 23 of the 218
  violations through (11%); with round 22's lists, reviewed by another who never saw it, 3 and 18
  (8%).
- emoji_probe_round23.tsv (404 comments, round 23, one reviewer): emoji that insult a person,
  dehumanize a group or mock the sacred, most with no bad word, against the same emoji said
  innocently. Round 22's model and lists held none of the 203 clean comments and let 123 of the
  201 violations through (61%); round 23's, with emoji terms in the lists and trained with
  training/corpus/emoji.jsonl written by others who never saw it, 4 (2.0%) and 63 (31%).
- said_innocently_probe_round24.tsv (330 comments, round 24, one reviewer): the words of attacks
  said innocently, against the same words in attacks: animals said literally or thrown at a
  person, groups defended in the words their attackers use, religion stated plainly or
  attacked. Round 23's model held 7 of the 180 clean comments (3.9%) and let 11 of the 150
  violations through (7%); round 24's, trained with training/corpus/animals.jsonl,
  defences.jsonl, faith.jsonl and brief2.jsonl written by others who never saw it, 7 and 8 (5%).
- negation_probe_round25.tsv (300 comments, round 25, one reviewer): negation and contrast, both
  ways: defences that negate an attack ("we must not expel them"), negated insults in criticism,
  quoted slurs condemned, against attacks that use a negation ("they are not human", "I am not
  racist, but...", "not a minister but a clown"). Round 24's model and round 25's lists held 7
  of the 160 clean comments (4.4%) and let 24 of the 140 violations through (17%); two corpus
  parts written for it by others who never saw it were measured and not adopted
  (docs/evaluation.md, round 25).
- sports_probe_round26.tsv (300 comments, round 26, one reviewer): comments under sports
  articles: harsh criticism of referees, coaches and players, violent sports metaphors ("we
  slaughtered them"), animal team names, rival-club banter and racist chants condemned, against
  insults of players and referees, racist abuse of black players, hate against a nationality or
  a region through a club rivalry, and curses on religion over a match. Round 24's model with
  round 25's lists held 1 of the 160 clean comments (0.6%) and let 28 of the 140 violations
  through (20%; French 13 of 35); French templates of insults said of a person, written by
  another who never saw it, were measured and not adopted (docs/evaluation.md, round 26). Round
  26's denials of saying ("ما غاديش نقول على الوزير حمار") make round 25's probe hold 6.
  Round 27's French animal words, suspect alone ("rat", "chèvre", "singe"), were chosen after its
  misses were read: it lets 25 through with them, round 25's 22, round 15's 14, round 8's 13.
- colour_probe_round31.tsv (320 comments, round 31, one reviewer): comments about Black
  Moroccans and sub-Saharan migrants and students (crossings, camps, housing, work, schools,
  football, crime news): calm generalizations, dehumanization and calls to expel or exclude,
  most without a slur, and slurs thrown at a group or a person, against slurs quoted to condemn
  them, readers' own Black families, calm policy debate and colour said literally. Round 30's
  model held 4 of its 170 clean comments (2.4%: two slurs reported inside a quotation, "قال ليه
  "سير آ العزي"", rejected by the lists; two calls to organize migrants' papers, incitement 0.82
  and 0.86) and let 44 of the 150 violations through (29%); round 31's, trained with
  training/corpus/colour.jsonl written by another who never saw it, 4 and 40 (27%); round 37's,
  with incitement and religion fitted with a weaker penalty (C 16), 4 and 37 (25%).
- threats_probe_round32.tsv (320 comments, round 32, one reviewer): threats, death and disease
  wishes, calls to beat, lynch or burn a person or a group, and curses, against threats reported
  or condemned, a lawful sentence asked for, sharp criticism of officials, sport talk, idioms
  ("قتلني بالضحك"), prayers and laments. Round 31's model held 3 of its 170 clean comments (1.8%)
  and let 78 of the 150 violations through (52%), 77 with round 32's list entries; round 32's,
  trained with training/corpus/threats.jsonl written by others who never saw it, 3 and 52 (35%);
  round 36's, with training/corpus/threats2.jsonl, 3 and 41 (27%).
- faith_groups_probe_round34.tsv (317 comments, round 34, one reviewer): Darija in Arabic
  letters and Arabizi only, about groups and faith: migrants, Algerians, Amazigh, Riffians,
  Sahrawis, Jews, Christians, Shia, Bahá'ís and atheists defended, named with pride, or debated
  calmly, racism condemned, prayers, statements of faith and respectful religious debate, against
  calm exclusion of the same groups and contempt for the same faiths, in the same words. Written
  to measure what twelve re-drawn corpus splits show as the corpus's weak spot (Darija and Arabizi
  clean comments held over 2%). Round 32's model held 1 of its 169 clean comments (0.6%) and let
  21 of the 148 violations through (14%); a corpus part written for the weak spot by another who
  never saw it moved neither figure (1 and 20) and was not adopted (docs/evaluation.md, round 34).
- threats_probe_round35.tsv (559 comments, round 35, two reviewers; the second's 239, rows 321 on,
  were read by nobody on the team until every change of the round had been measured): threats in
  ordinary words, harm wished as a prayer, calls to beat, burn or shoot a named person, and curses,
  in Darija, Arabizi, MSA, French and mixed, against threats reported, lawful punishment asked for,
  sport talk, idioms, prayers and crime news. Round 32's model held 3 of its 289 clean comments
  (1.0%) and let 165 of the 270 violations through (61%; 96 of the first reviewer's 150, 69 of the
  second's 120): round 32's probe of threats (35%) flattered it. A corpus part written for them by
  others who never saw them (training/corpus/threats2.jsonl) caught 55 more, but held one more
  clean comment on a probe already at its bound, in every variant of round 35. Round 36 adopted
  it with the review cap at 0.50% and suspect terms needing more support from the model: 3 held
  and 112 missed (41%; the second reviewer's half 42 of 120; docs/evaluation.md, round 36).

The bounds are the target of issue 2 for clean comments (at most 2% held; 4.5% on round 24's probe,
4% on round 25's and 2.5% on round 31's, which no model has met the target on yet; round 19's met it
first in round 24, 1.7%) and, for violations, a floor under what models have reached: 10% missed for
the first audit and the general ones of rounds 9 and 10, 20% for round 8's, round 11's general one
(its calm incitement is missed one time in four) and round 9's religion probe, whose violations
without a slur the classifier alone must find, 40% for round 10's probe, where it finds about two in
three, 30% for round 11's, 40% for round 12's probe of calm incitement, 35% for round 13's of
Arabizi, and 25% for round 14's of Darija and round 15's of French, 15% for round 17's of mixed
languages and round 19's of groups, 10% for round 18's of long comments, and 20% for round 20's of
short comments, where a short attack in ordinary words gives the classifier little to read, and for
round 21's of insults of officials, which the classifier must tell from criticism as harsh in words
the lists do not hold, and 12% for round 22's of the lists' words, where the lists catch most and
the rest are words they lack, 35% for round 23's of emoji, where most violations have no word to
read but the emoji, 10% for round 24's of words said innocently, 20% for round 25's of negation,
whose attacks are written as denials ("these are not human beings"), 22% for round 26's of sports
comments, where French insults of a player said without a swear word ("c'est une chèvre", "un
déchet") and calm exclusion of a people go through, and 25% for round 31's of comments about Black
people, whose calm exclusion ("a law that forbids renting to them") has no word the lists or the
model know (28% before round 37), and 36% for round 32's of threats, most of which wish harm in
ordinary words ("may a bus hit you", "we will wait for you outside the stadium") that no list can
hold (28% since round 36), and 16% for round 34's of Darija and Arabizi comments about groups and
faith, whose calm exclusion ("they have no right to the hospital") the model scores under its
review threshold, and 42% for round 35's of threats (62% before round 36), most of which have no
word the lists hold and score under the review threshold."""

from pathlib import Path

import pytest

from training.data import PROBE_CLEAN, read_probe

AUDITS = {  # file: the share of its violations a candidate may let through
    "blind_audit.tsv": 0.10,
    "blind_audit_round8.tsv": 0.20,
    "religion_probe_round9.tsv": 0.20,
    "blind_audit_round9.tsv": 0.10,
    "religion_probe_round10.tsv": 0.40,
    "blind_audit_round10.tsv": 0.10,
    "religion_probe_round11.tsv": 0.30,
    "blind_audit_round11.tsv": 0.20,
    "incitement_probe_round12.tsv": 0.40,
    "arabizi_probe_round13.tsv": 0.35,
    "darija_probe_round14.tsv": 0.25,
    "french_probe_round15.tsv": 0.25,
    "mixed_probe_round17.tsv": 0.15,
    "long_probe_round18.tsv": 0.10,
    "groups_probe_round19.tsv": 0.15,
    "short_probe_round20.tsv": 0.20,
    "officials_probe_round21.tsv": 0.20,
    "words_probe_round22.tsv": 0.12,
    "emoji_probe_round23.tsv": 0.35,
    "said_innocently_probe_round24.tsv": 0.10,
    "negation_probe_round25.tsv": 0.20,
    "sports_probe_round26.tsv": 0.22,
    "colour_probe_round31.tsv": 0.25,
    "threats_probe_round32.tsv": 0.28,
    "faith_groups_probe_round34.tsv": 0.16,
    "threats_probe_round35.tsv": 0.42,
}
# The share of clean comments a candidate may hold: issue 2's target, 2%, except on a probe that
# no model has met it on yet, where the bound is a floor under the best figure reached.
CLEAN_HELD = dict.fromkeys(AUDITS, 0.02) | {
    "said_innocently_probe_round24.tsv": 0.045,  # round 23's and round 24's models 3.9%
    "negation_probe_round25.tsv": 0.04,  # round 24's model 4.4%, 3.8% with round 26's denials
    "colour_probe_round31.tsv": 0.025,  # round 30's and round 31's models 2.4% (4 of 170)
}


@pytest.fixture(scope="module", params=sorted(AUDITS))
def audit(request) -> tuple[str, list[tuple[str, str]]]:
    """The probe's rows as (label, text): "ok" or the broken rules joined by "+"."""
    rows = []
    for example in read_probe(Path(__file__).with_name(request.param)):
        broken = [rule for rule, label in example.labels.items() if label]
        rows.append(("+".join(broken) or PROBE_CLEAN, example.text))
    return request.param, rows


@pytest.fixture(scope="module")
def verdicts(moderator, audit) -> tuple[str, list[tuple[str, str, str]]]:
    name, rows = audit
    decisions = moderator.score_batch([text for _, text in rows])
    return name, [(label, text, d.verdict)
                  for (label, text), d in zip(rows, decisions, strict=True)]


def test_the_audit_is_what_it_says(audit):
    _, rows = audit
    labels = [label for label, _ in rows]
    assert len(rows) >= 250 and labels.count("ok") >= 150
    assert all(label == "ok" or set(label.split("+")) <= {"insult", "incitement", "religion"}
               for label in labels)


def test_few_clean_comments_are_held(verdicts):
    name, rows = verdicts
    held = [text for label, text, verdict in rows if label == "ok" and verdict != "approve"]
    clean = sum(label == "ok" for label, _, _ in rows)
    assert len(held) <= CLEAN_HELD[name] * clean, held


def test_most_violations_are_caught(verdicts):
    name, rows = verdicts
    missed = [text for label, text, verdict in rows if label != "ok" and verdict == "approve"]
    violations = sum(label != "ok" for label, _, _ in rows)
    assert len(missed) <= AUDITS[name] * violations, missed
