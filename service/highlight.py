"""Marking matched keywords in a comment's original text, safely.

Comment text is untrusted. The HTML is built here, in Python, from escaped pieces: every slice
of the text and every attribute value goes through markupsafe, and only the ``<mark>`` tags we
write ourselves are markup. Templates print the result as it is and never mark raw text safe.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from markupsafe import Markup, escape

_MARK = Markup('<mark class="kw kw-{level}" data-rule="{rules}" title="{title}">{text}</mark>')


def _spans(text: str, matches: Iterable[Mapping[str, Any]]) -> list[tuple[int, int, list]]:
    """Return sorted, merged (start, end, matches) spans that lie inside ``text``."""
    valid = sorted(
        (m for m in matches
         if isinstance(m.get("start"), int) and isinstance(m.get("end"), int)
         and 0 <= m["start"] < m["end"] <= len(text)),
        key=lambda m: (m["start"], m["end"]))
    merged: list[tuple[int, int, list]] = []
    for match in valid:
        if merged and match["start"] < merged[-1][1]:  # overlapping: one mark covers both
            start, end, members = merged[-1]
            merged[-1] = (start, max(end, match["end"]), members + [match])
        else:
            merged.append((match["start"], match["end"], [match]))
    return merged


def highlight(text: str, matches: Iterable[Mapping[str, Any]]) -> Markup:
    """Return ``text`` as HTML with each keyword match wrapped in a ``<mark>``."""
    pieces: list[Markup] = []
    position = 0
    for start, end, members in _spans(text, matches):
        pieces.append(escape(text[position:start]))
        level = "block" if any(m.get("level") == "block" for m in members) else "suspect"
        rules = " ".join(sorted({str(m.get("rule", "")) for m in members}))
        title = ", ".join(f"{m.get('rule')}/{m.get('level')}: {m.get('term')}" for m in members)
        pieces.append(_MARK.format(level=level, rules=rules, title=title, text=text[start:end]))
        position = end
    pieces.append(escape(text[position:]))
    return Markup("").join(pieces)
