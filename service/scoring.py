"""From a comment to a verdict: keyword matches and model scores combined by a per-rule policy.

No Flask here: the API, the queue and the evaluation all call these functions."""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from service.keywords import KeywordMatcher, Match, tokenize
from service.model import ModelBundle
from service.rules import RULES
from service.text.arabic import normalize_for_matching

APPROVE, REVIEW, REJECT = "approve", "review", "reject"
_SEVERITY = {APPROVE: 0, REVIEW: 1, REJECT: 2}


@dataclass(frozen=True)
class RuleThresholds:
    """Scores at or above ``review`` hold a comment; at or above ``reject`` refuse it. A suspect
    keyword holds a comment when its rule's score reaches ``suspect``: words like "dog" or
    "donkey" are insults in one comment and farm news in the next, and the model tells which."""

    review: float
    reject: float
    suspect: float = 0.0

    def __post_init__(self):
        if not 0.0 <= self.suspect <= self.review <= self.reject <= 1.0:
            raise ValueError(
                "need 0 <= suspect <= review <= reject <= 1, got "
                f"{self.suspect}, {self.review}, {self.reject}"
            )


@dataclass(frozen=True)
class Policy:
    """Thresholds for every rule."""

    thresholds: Mapping[str, RuleThresholds]

    @classmethod
    def from_model(
        cls,
        stored: Mapping[str, Mapping[str, float]],
        overrides: Mapping[str, Mapping[str, float]] | None = None,
    ) -> Policy:
        """Build the policy from a model's stored thresholds, with configured overrides on top.

        :raise ValueError: on an unknown rule or level in the overrides, or an impossible pair.
        """
        overrides = overrides or {}
        unknown = set(overrides) - set(RULES)
        if unknown:
            raise ValueError(f"threshold overrides name unknown rules: {sorted(unknown)}")
        thresholds = {}
        for rule in RULES:
            merged = {
                level: stored[rule].get(level, 0.0) for level in ("suspect", "review", "reject")
            }
            extra = set(overrides.get(rule, {})) - set(merged)
            if extra:
                raise ValueError(f"threshold overrides for {rule} name unknown levels: {extra}")
            merged.update(overrides.get(rule, {}))
            merged["suspect"] = min(merged["suspect"], merged["review"])
            try:
                thresholds[rule] = RuleThresholds(**{k: float(v) for k, v in merged.items()})
            except ValueError as error:  # the levels out of order: name the rule
                raise ValueError(f"{rule}: {error}") from None
        return cls(thresholds)

    def to_dict(self) -> dict[str, dict[str, float]]:
        return {
            rule: {"suspect": t.suspect, "review": t.review, "reject": t.reject}
            for rule, t in self.thresholds.items()
        }


@dataclass(frozen=True)
class Reason:
    """Why a rule fired: a keyword match or a model score over a threshold."""

    rule: str
    source: str  # "keyword" or "model"
    verdict: str  # what this reason alone asks for: review or reject
    detail: str
    # the passage of a long comment whose score this is (offsets in the original text)
    passage: tuple[int, int] | None = None

    def to_dict(self) -> dict[str, Any]:
        reason: dict[str, Any] = {
            "rule": self.rule,
            "source": self.source,
            "verdict": self.verdict,
            "detail": self.detail,
        }
        if self.passage:
            reason["start"], reason["end"] = self.passage
        return reason


@dataclass(frozen=True)
class Decision:
    """The answer for one comment."""

    verdict: str
    scores: dict[str, float]
    flags: list[str]
    matches: list[Match]
    reasons: list[Reason]
    model_version: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "verdict": self.verdict,
            "scores": {rule: round(score, 4) for rule, score in self.scores.items()},
            "flags": self.flags,
            "matches": [m.to_dict() for m in self.matches],
            "reasons": [r.to_dict() for r in self.reasons],
            "model_version": self.model_version,
        }


def model_reasons(
    scores: Mapping[str, float], policy: Policy,
    passages: Mapping[str, tuple[int, int]] | None = None,
) -> list[Reason]:
    """Return a reason for every rule whose score reaches its review or reject threshold.

    :param passages: per rule, the passage of a long comment its score comes from, if not the
        whole comment; the reason names it.
    """
    reasons = []
    for rule in RULES:
        score, limits = scores[rule], policy.thresholds[rule]
        passage = (passages or {}).get(rule)
        scored = "passage score" if passage else "score"
        if score >= limits.reject:
            reasons.append(Reason(rule, "model", REJECT,
                                  f"{scored} {score:.2f} >= reject {limits.reject:.2f}", passage))
        elif score >= limits.review:
            reasons.append(Reason(rule, "model", REVIEW,
                                  f"{scored} {score:.2f} >= review {limits.review:.2f}", passage))
    return reasons


_OPENING_QUOTES = frozenset("\"'«“‘„‹`")
_CLOSING_QUOTES = frozenset("\"'»”’“‛›`")


def is_quoted(text: str, start: int, end: int) -> bool:
    """Return whether ``text[start:end]`` stands alone in quotation marks ("called him 'X'")."""
    before = text[:start].rstrip()
    after = text[end:].lstrip()
    return (
        bool(before)
        and bool(after)
        and before[-1] in _OPENING_QUOTES
        and after[0] in _CLOSING_QUOTES
    )


# Nouns that name a word. A block term right after one ("كلمة عزي فيها احتقار", "the word X",
# "الكلمة ديال X") or right before one ("X kalma 3onsoriya") is talked about, not thrown at anyone.
# Written as the keyword matcher's tokens read them (taa marbuta as ه, lower case).
_WORD_NOUNS = frozenset(
    {
        "كلمه", "الكلمه", "بكلمه", "كلمات", "الكلمات", "لفظ", "اللفظ", "لفظه", "اللفظه",
        "عباره", "العباره", "مصطلح", "المصطلح",
        "kalma", "lkalma", "kelma", "lkelma", "kalima", "lkalima", "kalimat", "lkalimat",
        "mot", "mots", "terme", "termes",
    }
)  # fmt: skip
_POSSESSIVES = frozenset({"ديال", "dyal", "diyal", "de", "d"})
# Words that report a slogan chanted or written by others. A block term just after one
# ("مستوطنون يرددون الموت للعرب", "des tags mort aux juifs") is reported, not said by the commenter.
_REPORTING_CUES = frozenset(
    {
        "يرددون", "يرددو", "رددوا", "رددو", "كيرددو", "يهتفون", "هتفوا", "هتاف", "هتافات",
        "الهتافات", "بهتافات", "شعار", "الشعار", "بشعار", "شعارات", "الشعارات", "بشعارات",
        "tag", "tags", "slogan", "slogans", "scandent", "scandaient", "scandait", "scande",
        "scandes", "scandant",
    }
)  # fmt: skip


# How far from a term its neighbouring words are looked for. Without a bound, a comment with no
# spaces and a thousand terms had its whole text before each term normalized: 0.3 to 6.7 s.
_NEIGHBOURHOOD = 80


def _text_before(text: str, start: int) -> str:
    return text[max(0, start - _NEIGHBOURHOOD):start]


def is_named_as_word(text: str, start: int, end: int) -> bool:
    """Return whether ``text[start:end]`` is named as a word ("the word X"), a mention."""
    # Only the words next to the term count: read three before and two after, not the comment.
    before = _words(" ".join(_text_before(text, start).rsplit(maxsplit=3)[-3:]))
    after = _words(" ".join(text[end:end + _NEIGHBOURHOOD].split(maxsplit=2)[:2]))
    if before and before[-1] in _POSSESSIVES:  # "الكلمة ديال X", "le mot de X"
        before = before[:-1]
    return bool(before and before[-1] in _WORD_NOUNS) or bool(after and after[0] in _WORD_NOUNS)


# Cached for the same reason as the matcher's allow words: one comment's hits share neighbours.
@lru_cache(maxsize=4_096)
def _words(text: str) -> tuple[str, ...]:
    return tuple(tokenize(normalize_for_matching(text)))


def is_reported(text: str, start: int, end: int) -> bool:
    """Return whether ``text[start:end]`` is reported as others' slogan ("ils scandaient X")."""
    before = _words(" ".join(_text_before(text, start).rsplit(maxsplit=2)[-2:]))  # two words
    return any(word in _REPORTING_CUES for word in before)


def is_mention(text: str, start: int, end: int) -> bool:
    """Return whether a term is mentioned rather than used: quoted, named as a word, or reported."""
    return (is_quoted(text, start, end) or is_named_as_word(text, start, end)
            or is_reported(text, start, end))


def keyword_reasons(
    matches: Sequence[Match], scores: Mapping[str, float], policy: Policy, text: str = ""
) -> list[Reason]:
    """Return one reason per distinct (rule, level, term) that counts.

    A block term rejects. A suspect term holds the comment when the model gives its rule at least
    the suspect threshold. A block term in quotation marks, named as a word or reported as a
    slogan is a mention, not a use ("stop calling migrants 'X'", "the word X is racist", "they
    chanted X"), so it counts as suspect.
    """
    seen, reasons = set(), []
    for match in matches:
        mentioned = match.level == "block" and is_mention(text, match.start, match.end)
        key = (match.rule, match.level, match.term, mentioned)
        if key in seen:
            continue
        seen.add(key)
        score = scores[match.rule]
        if match.level == "block" and not mentioned:
            reasons.append(Reason(match.rule, "keyword", REJECT, f"block term '{match.term}'"))
        elif score >= policy.thresholds[match.rule].suspect:
            kind = "mentioned block" if mentioned else "suspect"
            reasons.append(
                Reason(
                    match.rule,
                    "keyword",
                    REVIEW,
                    f"{kind} term '{match.term}' with score {score:.2f}",
                )
            )
    return reasons


def words_behind(text: str, reasons: Sequence[Mapping[str, Any]], model_version: str | None,
                 bundle: ModelBundle) -> dict[str, list[str]]:
    """Return, per rule a model reason names, the comment's words that raised its score most,
    read in the passage that gave the score when a long comment's passage did.

    For the review pages, not the scoring path: naming them costs about one more scoring of
    the comment. Only when ``bundle`` is the model that gave the reasons: another model weighs
    other words. A hold no listed word explains is otherwise a bare number to the moderator,
    and most clean comments held are such holds."""
    model = [r for r in reasons if r.get("source") == "model" and r.get("rule") in RULES]
    if not model or model_version != bundle.version:
        return {}
    rules_by_text: dict[str, list[str]] = {}  # one weighing per text read, not per rule
    for reason in model:
        rules_by_text.setdefault(passage_of(text, reason) or text, []).append(reason["rule"])
    words: dict[str, list[str]] = {}
    for scored, rules in rules_by_text.items():
        words.update(bundle.classifier.weighing_words(scored, list(dict.fromkeys(rules))))
    return words


def passage_of(text: str, reason: Mapping[str, Any]) -> str | None:
    """Return the passage of ``text`` a stored reason points at, or None if it points at none
    (a keyword reason, a whole comment's score, or offsets that do not fit the text)."""
    start, end = reason.get("start"), reason.get("end")
    if type(start) is int and type(end) is int and 0 <= start < end <= len(text):
        return text[start:end]
    return None


def decide(
    scores: Mapping[str, float], matches: Sequence[Match], policy: Policy, text: str = "",
    passages: Mapping[str, tuple[int, int]] | None = None,
) -> tuple[str, list[str], list[Reason]]:
    """Combine keyword matches and model scores into (verdict, flagged rules, reasons).

    The strictest reason wins: any block term or reject-level score rejects; a review-level score,
    or a suspect term the model supports, holds the comment for a moderator.
    """
    reasons = (keyword_reasons(matches, scores, policy, text)
               + model_reasons(scores, policy, passages))
    verdict = max((r.verdict for r in reasons), key=_SEVERITY.__getitem__, default=APPROVE)
    fired = {r.rule for r in reasons}
    return verdict, [rule for rule in RULES if rule in fired], reasons


@dataclass(frozen=True)
class ServingState:
    """What one request scores with: always a consistent model, policy and matcher."""

    bundle: ModelBundle
    policy: Policy
    matcher: KeywordMatcher


class Moderator:
    """The scoring engine a process serves with.

    Its state is replaced whole, never mutated, when a new model is promoted or the keyword lists
    change: a request reads ``self.state`` once and sees one consistent model, policy and matcher.
    """

    def __init__(
        self,
        bundle: ModelBundle,
        matcher: KeywordMatcher,
        threshold_overrides: Mapping[str, Mapping[str, float]] | None = None,
    ):
        self.threshold_overrides = dict(threshold_overrides or {})
        self.state = ServingState(
            bundle, Policy.from_model(bundle.thresholds, self.threshold_overrides), matcher
        )

    @property
    def bundle(self) -> ModelBundle:
        return self.state.bundle

    @property
    def policy(self) -> Policy:
        return self.state.policy

    @property
    def matcher(self) -> KeywordMatcher:
        return self.state.matcher

    def swap_model(self, bundle: ModelBundle) -> None:
        """Serve ``bundle`` from the next request on."""
        policy = Policy.from_model(bundle.thresholds, self.threshold_overrides)
        self.state = ServingState(bundle, policy, self.state.matcher)

    def swap_matcher(self, matcher: KeywordMatcher) -> None:
        """Match with ``matcher`` from the next request on."""
        self.state = ServingState(self.state.bundle, self.state.policy, matcher)

    def swap_thresholds(self, overrides: Mapping[str, Mapping[str, float]]) -> None:
        """Apply threshold ``overrides`` on the model's stored ones from the next request on."""
        policy = Policy.from_model(self.state.bundle.thresholds, overrides)
        self.threshold_overrides = dict(overrides)
        self.state = ServingState(self.state.bundle, policy, self.state.matcher)

    def score(self, text: str) -> Decision:
        """Score one comment."""
        state = self.state
        probabilities, spans = state.bundle.classifier.explain_proba_one(text)
        return _decision(text, probabilities, spans, state)

    def score_batch(self, texts: Sequence[str], deadline: float | None = None) -> list[Decision]:
        """Score many comments, a vectorization pass per chunk; same answers as ``score``.

        :param deadline: a ``time.monotonic()`` value; past it, no further chunk is started.
        :raise BatchTimeLimit: when the deadline passes with texts left to score.
        """
        state, decisions = self.state, []
        for chunk in _chunks(texts, BATCH_CHUNK_CHARS):
            if decisions and deadline is not None and time.monotonic() > deadline:
                raise BatchTimeLimit(len(decisions), len(texts))
            probabilities, spans = state.bundle.classifier.explain_proba(chunk)
            decisions += [_decision(*scored, state)
                          for scored in zip(chunk, probabilities, spans, strict=True)]
        return decisions


class BatchTimeLimit(Exception):
    """A batch outlasted its deadline after ``scored`` of its ``total`` texts."""

    def __init__(self, scored: int, total: int):
        super().__init__(f"{scored} of {total} texts scored before the deadline")
        self.scored, self.total = scored, total


# The characters vectorized together between two looks at the clock. The slowest text we could
# build costs about 27 us a character, read whole and in passages (docs/benchmarks.md), so a
# chunk is about 1.3 s at worst, and a batch of ordinary comments is one to six chunks of hundreds.
BATCH_CHUNK_CHARS = 50_000


def _chunks(texts: Sequence[str], max_chars: int) -> Iterator[list[str]]:
    """Yield consecutive runs of ``texts``, each stopping once it holds ``max_chars`` characters."""
    chunk, size = [], 0
    for text in texts:
        chunk.append(text)
        size += len(text)
        if size >= max_chars:
            yield chunk
            chunk, size = [], 0
    if chunk:
        yield chunk


def _decision(text: str, probabilities, spans, state: ServingState) -> Decision:
    scores = {rule: float(p) for rule, p in zip(RULES, probabilities, strict=True)}
    passages = {rule: (int(start), int(end))
                for rule, (start, end) in zip(RULES, spans, strict=True)
                if (start, end) != (0, len(text))}
    matches = state.matcher.find(text)
    verdict, flags, reasons = decide(scores, matches, state.policy, text, passages)
    return Decision(verdict, scores, flags, matches, reasons, state.bundle.version)
