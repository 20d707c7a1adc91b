"""What an edit to the keyword lists would flag, counted on labelled comments before it ships.

A term that matches clean comments holds them on the site, so count before adding one. This
reads every comment of the chosen splits (the corpus's, and those of any --data path) with the
shipped lists and with the edited ones, and prints, for each term of the edited lists that flags
a comment for its rule where the shipped lists did not (or raises it from suspect to block), how
many of those comments are labelled as breaking that rule, clean for it, or not labelled for it,
with a few of the clean ones to read. It also counts the comments that the edit stops flagging
(a removed term, a newly allowed word).

    python -m training.listcheck --keywords /tmp/my-lists [--base service/keywords] \\
        [--data ../shared/data/unified] [--splits train] [--examples 3]

The default is the training split: choosing levels there leaves the held-out comments, the
probes and the evaluation's dev and test rows unread. docs/keyword-review.md shows this kind of
count for every term of round 22's review.
"""

from __future__ import annotations

import sys
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from service.keywords import DEFAULT_KEYWORD_DIR, KeywordListError, KeywordMatcher, Match
from service.rules import RULES
from training.cli import command_parser, print_error, reports_user_errors, split_names
from training.data import CORPUS_DIR, Example, read_corpus, read_paths

LABELS = {1: "violating", 0: "clean", None: "unlabelled"}
_STRENGTH = {None: 0, "suspect": 1, "block": 2}


@dataclass
class TermEffect:
    """The comments one term of the edited lists flags (or raises to block) for its rule."""

    rule: str
    level: str
    term: str
    counts: Counter = field(default_factory=Counter)  # label name -> comments
    raised: int = 0  # of them, comments the shipped lists held as suspect for the rule
    clean_examples: list[str] = field(default_factory=list)


@dataclass
class ListChange:
    """Everything the edit changes on the comments read."""

    comments: int
    terms: list[TermEffect]
    unflagged: dict[str, Counter]  # rule -> label name -> comments no longer flagged for it


def strongest_levels(matches: Iterable[Match]) -> dict[str, str]:
    """Return, per rule the ``matches`` flag a comment for, the strongest level among them."""
    levels: dict[str, str] = {}
    for match in matches:
        if _STRENGTH[match.level] > _STRENGTH[levels.get(match.rule)]:
            levels[match.rule] = match.level
    return levels


def compare_lists(base: KeywordMatcher, edited: KeywordMatcher, examples: Sequence[Example],
                  examples_per_term: int = 3) -> ListChange:
    """Count, comment by comment, what the edited lists flag that the base lists do not."""
    effects: dict[tuple[str, str, str], TermEffect] = {}
    unflagged: dict[str, Counter] = defaultdict(Counter)
    for example in examples:
        matches = edited.find(example.text)
        before = strongest_levels(base.find(example.text))
        after = strongest_levels(matches)
        for rule in set(before) - set(after):
            unflagged[rule][LABELS[example.label(rule)]] += 1
        # One comment counts once per term, however often the term occurs in it.
        credited = set()
        for match in matches:
            key = (match.rule, match.level, match.term)
            if key in credited or _STRENGTH[match.level] <= _STRENGTH[before.get(match.rule)]:
                continue
            credited.add(key)
            effect = effects.setdefault(key, TermEffect(*key))
            label = LABELS[example.label(match.rule)]
            effect.counts[label] += 1
            effect.raised += before.get(match.rule) == "suspect"
            if label == "clean" and len(effect.clean_examples) < examples_per_term:
                effect.clean_examples.append(example.text)
    # Per rule, the riskiest first (the most clean comments), then the most used.
    ordered = sorted(effects.values(), key=lambda e: (e.rule, -e.counts["clean"],
                                                       -e.counts["violating"], e.term))
    return ListChange(len(examples), ordered, dict(unflagged))


def format_change(change: ListChange, width: int = 100) -> str:
    """The change as a table per term, the clean comments it matches, and what it stops flagging."""
    lines = [f"comments read: {change.comments}"]
    if not change.terms:
        lines.append("the edited lists flag no comment that the base lists do not")
    else:
        lines.append(f"{'rule':<11}{'level':<9}{'violating':>10}{'clean':>7}{'unlabelled':>11}"
                     f"{'raised':>8}  term")
        for effect in change.terms:
            lines.append(f"{effect.rule:<11}{effect.level:<9}{effect.counts['violating']:>10}"
                         f"{effect.counts['clean']:>7}{effect.counts['unlabelled']:>11}"
                         f"{effect.raised:>8}  {effect.term}")
        risky = [effect for effect in change.terms if effect.clean_examples]
        if risky:
            lines.append("clean comments matched:")
        for effect in risky:
            for text in effect.clean_examples:
                shown = " ".join(text.split())
                shown = shown if len(shown) <= width else shown[: width - 1] + "…"
                lines.append(f"  {effect.rule} {effect.term}: {shown}")
    for rule in RULES:
        if rule in change.unflagged:
            counts = change.unflagged[rule]
            lines.append(f"no longer flagged for {rule}: " + ", ".join(
                f"{counts[name]} {name}" for name in LABELS.values()))
    return "\n".join(lines)


def examples_to_read(data: list[Path], corpus_dir: Path, splits: set[str]) -> list[Example]:
    """The corpus's comments and those of the ``data`` paths whose split is in ``splits``."""
    examples = read_corpus(corpus_dir)[0] + read_paths(data)[0]
    return [example for example in examples if example.split in splits]


@reports_user_errors
def main(argv: list[str] | None = None) -> int:
    """Compare the --keywords lists with the --base lists on the chosen splits."""
    parser = command_parser("training.listcheck", __doc__)
    parser.add_argument("--keywords", type=Path, required=True,
                        help="the edited list folder (a copy of service/keywords)")
    parser.add_argument("--base", type=Path, default=DEFAULT_KEYWORD_DIR,
                        help="the lists to compare with (default: the shipped ones)")
    parser.add_argument("--data", type=Path, action="append", default=[],
                        help="also these unified-format files or folders")
    parser.add_argument("--corpus-dir", type=Path, default=CORPUS_DIR)
    parser.add_argument("--splits", type=split_names, default="train",
                        help="comma-separated splits to read")
    parser.add_argument("--examples", type=int, default=3,
                        help="clean comments shown per term (default 3)")
    args = parser.parse_args(argv)
    if args.examples < 0:
        parser.error("--examples must be 0 or more")
    try:
        base = KeywordMatcher.from_directory(args.base)
        edited = KeywordMatcher.from_directory(args.keywords)
    except KeywordListError as error:
        return print_error(error)
    examples = examples_to_read(args.data, args.corpus_dir, args.splits)
    if not examples:
        parser.error(f"no comment in the splits {','.join(sorted(args.splits))}")
    print(format_change(compare_lists(base, edited, examples, args.examples)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
