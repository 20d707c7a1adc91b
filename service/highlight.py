"""Marking a comment's matched keywords, and the passages the model held it for, safely.

Comment text is untrusted. The HTML is built here, in Python, from escaped pieces: every slice
of the text and every attribute value goes through markupsafe, and only the ``<mark>`` and
``<span>`` tags we write ourselves are markup. Templates print the result as it is and never
mark raw text safe.

A long comment's model reason may point at a passage (its ``start`` and ``end``). The passage is
an outer ``<span class="passage">`` and keyword marks nest inside it; a keyword that straddles a
passage's edge is marked in two pieces, so the HTML always nests. ``<mark>`` stays the keywords'
alone: the queue's fold counts marks as highlighted words.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from markupsafe import Markup, escape

from service.scoring import passage_of  # the one check that stored offsets fit the text

_MARK = Markup('<mark class="kw kw-{level}" data-rule="{rules}" title="{title}">{text}</mark>')
_PASSAGE = Markup('<span class="passage" data-rule="{rules}" title="{title}">{text}</span>')

Span = tuple[int, int, list]


def _spans(text: str, items: Iterable[Mapping[str, Any]]) -> list[Span]:
    """Return sorted, merged (start, end, items) spans of the items that lie inside ``text``;
    items without integer offsets (a keyword reason, a whole comment's score) are left out."""
    valid = sorted((item for item in items if passage_of(text, item) is not None),
                   key=lambda item: (item["start"], item["end"]))
    merged: list[Span] = []
    for item in valid:
        if merged and item["start"] < merged[-1][1]:  # overlapping: one mark covers both
            start, end, members = merged[-1]
            merged[-1] = (start, max(end, item["end"]), members + [item])
        else:
            merged.append((item["start"], item["end"], [item]))
    return merged


def _rules(members: list) -> str:
    return " ".join(sorted({str(member.get("rule", "")) for member in members}))


def _keywords(text: str, keyword_spans: list[Span], low: int, high: int) -> Markup:
    """Return ``text[low:high]`` as HTML, each keyword span marked where it falls inside it."""
    pieces: list[Markup] = []
    position = low
    for span_start, span_end, members in keyword_spans:
        start, end = max(span_start, low), min(span_end, high)
        if start >= end:
            continue
        pieces.append(escape(text[position:start]))
        level = "block" if any(m.get("level") == "block" for m in members) else "suspect"
        title = ", ".join(f"{m.get('rule')}/{m.get('level')}: {m.get('term')}" for m in members)
        pieces.append(_MARK.format(level=level, rules=_rules(members), title=title,
                                   text=text[start:end]))
        position = end
    pieces.append(escape(text[position:high]))
    return Markup("").join(pieces)


def highlight(text: str, matches: Iterable[Mapping[str, Any]],
              reasons: Iterable[Mapping[str, Any]] = (), passage_title: str = "") -> Markup:
    """Return ``text`` as HTML with each keyword match wrapped in a ``<mark>`` and each passage a
    reason points at wrapped in a ``<span class="passage">`` titled ``passage_title``."""
    keyword_spans = _spans(text, matches)
    pieces: list[Markup] = []
    position = 0
    for start, end, members in _spans(text, reasons):
        pieces.append(_keywords(text, keyword_spans, position, start))
        pieces.append(_PASSAGE.format(rules=_rules(members), title=passage_title,
                                      text=_keywords(text, keyword_spans, start, end)))
        position = end
    pieces.append(_keywords(text, keyword_spans, position, len(text)))
    return Markup("").join(pieces)
