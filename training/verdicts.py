"""What switching models or keyword lists would change on the site, comment by comment.

`training.registry promote` asks whether a candidate is as good per rule; this asks what it would
do: which clean comments it would newly hold, which violations it would newly let through or
newly catch. Both sides are scored as the service scores (model, keyword lists, thresholds,
long comments passage by passage), so the counts are the queue moderators would see.

    python -m training.verdicts --before models --after models/VERSION \\
        [--before-keywords service/keywords] [--after-keywords DIR] \\
        [--data ../shared/data/unified] [--splits dev,test] [--probes tests/model] \\
        [--examples 5] [--json diff.json]

By default the comments read are the fixed evaluation set of a promotion: the corpus's test split
and the dev/test rows of every --data path, none of which either model was trained on. --splits
reads those splits of every source instead (train rows flatter both models), and --probes adds
the blind probes of tests/model. A comment is "violating" if it is labelled as breaking a rule,
"clean" if it is labelled and breaks none of the rules it is labelled for, and "held" if the
verdict is review or reject. Per source it also prints the clean comments held and the
violations missed on both sides: with --probes, each probe's figures, which
tests/model/test_blind_audit.py bounds (the same model on both sides gives one model's).
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from service.keywords import DEFAULT_KEYWORD_DIR
from service.scoring import Moderator
from training.cli import command_parser, reports_user_errors, split_names
from training.comparison import Side, evaluation_set, service_sides
from training.data import (
    CORPUS_DIR,
    DataError,
    Example,
    label_kind,
    read_corpus,
    read_paths,
    read_probes,
)
from training.evaluate import Evaluated

VERDICTS = ("approve", "review", "reject")
# What a verdict change means for a comment of each kind; the order is the order printed.
CHANGES = {
    "clean": ("newly held", "newly approved"),
    "violating": ("newly caught", "newly missed"),
    "unlabelled": ("newly held", "newly approved"),
}


@dataclass(frozen=True)
class Changed:
    """A comment whose verdict differs between the two sides."""

    example: Example
    kind: str
    before: Side
    after: Side

    @property
    def change(self) -> str:
        """"newly held"/"newly caught" when the second side holds it, else the opposite."""
        held, released = CHANGES[self.kind]
        if self.after.held != self.before.held:
            return held if self.after.held else released
        return "review and reject swapped"

    def to_dict(self) -> dict:
        return {
            "text": self.example.text, "source": self.example.source,
            "split": self.example.split, "labels": self.example.labels, "kind": self.kind,
            "change": self.change,
            "before": {"verdict": self.before.verdict, "flags": list(self.before.flags)},
            "after": {"verdict": self.after.verdict, "flags": list(self.after.flags)},
        }


@dataclass
class VerdictDiff:
    """The comments read, their verdicts on both sides, and those that changed."""

    before: str
    after: str
    transitions: Counter = field(default_factory=Counter)  # (before, after) verdict -> comments
    by_source: dict[str, Counter] = field(default_factory=dict)  # source -> "kind: change" -> n
    # source -> kind -> comments, and source -> "kind held before"/"kind held after" -> held: a
    # blind probe's own figures, which the pooled counts (totals, held) drown.
    source_counts: dict[str, Counter] = field(default_factory=dict)
    changed: list[Changed] = field(default_factory=list)

    @property
    def totals(self) -> Counter:
        """Comments read, by kind."""
        return sum((Counter({kind: counts[kind] for kind in CHANGES if kind in counts})
                    for counts in self.source_counts.values()), Counter())

    @property
    def held(self) -> dict[str, Counter]:
        """Comments held on each side ("before", "after"), by kind."""
        kinds = self.totals
        return {side: Counter({kind: sum(counts[f"{kind} held {side}"]
                                         for counts in self.source_counts.values())
                               for kind in kinds})
                for side in ("before", "after")}

    def count(self, kind: str, change: str) -> int:
        return sum(1 for c in self.changed if c.kind == kind and c.change == change)

    def counts(self) -> dict:
        """Comments read, held on each side, and each kind of change, by count."""
        return {
            "comments": dict(self.totals),
            "held": {side: dict(counts) for side, counts in self.held.items()},
            "changes": {f"{kind}: {change}": self.count(kind, change)
                        for kind in ("clean", "violating") for change in CHANGES[kind]},
        }

    def to_dict(self) -> dict:
        return {
            "before": self.before, "after": self.after, **self.counts(),
            "transitions": {f"{a}->{b}": n for (a, b), n in sorted(self.transitions.items())},
            "by_source": {source: dict(counts)
                          for source, counts in sorted(self.by_source.items())},
            "per_source": {source: dict(counts)
                           for source, counts in sorted(self.source_counts.items())},
            "changed": [c.to_dict() for c in self.changed],
        }


def diff_sides(examples: Sequence[Example], first: Sequence[Side], second: Sequence[Side],
               before: str, after: str) -> VerdictDiff:
    """Collect every comment of ``examples`` whose verdict differs between the two sides."""
    result = VerdictDiff(before, after)
    for example, old, new in zip(examples, first, second, strict=True):
        kind = label_kind(example)
        result.transitions[(old.verdict, new.verdict)] += 1
        counts = result.source_counts.setdefault(example.source, Counter())
        counts[kind] += 1
        counts[f"{kind} held before"] += old.held
        counts[f"{kind} held after"] += new.held
        if old.verdict != new.verdict:
            changed = Changed(example, kind, old, new)
            result.changed.append(changed)
            result.by_source.setdefault(example.source, Counter())[f"{kind}: {changed.change}"] += 1
    return result


def diff_verdicts(before: Moderator, after: Moderator, examples: Sequence[Example],
                  progress: bool = False) -> VerdictDiff:
    """Score ``examples`` with both moderators and collect every verdict that differs."""
    texts = [e.text for e in examples]
    return diff_sides(examples, service_sides(before, texts, "scoring before", progress),
                      service_sides(after, texts, "scoring after", progress),
                      before.bundle.version, after.bundle.version)


def _share(part: int, whole: int) -> str:
    return f"{part:,}/{whole:,} ({part / whole:.2%})" if whole else "0/0"


def _shown(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def format_diff(diff: VerdictDiff, examples: int = 5, width: int = 100) -> str:
    """The diff as text: held shares on both sides, what moved, per source, and examples."""
    lines = [f"before: {diff.before}", f"after:  {diff.after}",
             f"comments read: {sum(diff.totals.values()):,}: "
             + ", ".join(f"{diff.totals[kind]:,} {kind}" for kind in CHANGES)]
    for kind in ("clean", "violating"):
        verb = "held" if kind == "clean" else "caught"
        moves = ", ".join(f"{diff.count(kind, change)} {change}" for change in CHANGES[kind])
        lines.append(f"{kind} {verb}: {_share(diff.held['before'][kind], diff.totals[kind])} -> "
                     f"{_share(diff.held['after'][kind], diff.totals[kind])}  ({moves})")
    lines.append("verdicts (rows before, columns after):")
    lines.append(" " * 10 + "".join(f"{v:>9}" for v in VERDICTS))
    for old in VERDICTS:
        lines.append(f"{old:<10}" + "".join(f"{diff.transitions[(old, new)]:>9}"
                                            for new in VERDICTS))
    if diff.by_source:
        columns = [f"{kind}: {change}" for kind in ("clean", "violating")
                   for change in CHANGES[kind]]
        lines.append("per source (" + ", ".join(columns) + "):")
        for source, counts in sorted(diff.by_source.items()):
            lines.append(f"  {source:<36}" + "".join(f"{counts[c]:>7}" for c in columns))
    lines.append("per source, clean held and violating missed (before -> after):")
    for source, counts in sorted(diff.source_counts.items()):
        clean, violating = counts["clean"], counts["violating"]
        held = f"{counts['clean held before']}/{clean} -> {counts['clean held after']}/{clean}"
        missed = (f"{violating - counts['violating held before']}/{violating} -> "
                  f"{violating - counts['violating held after']}/{violating}")
        lines.append(f"  {source:<36} clean held {held:<22} violating missed {missed}")
    for kind in CHANGES:
        for change in (*CHANGES[kind], "review and reject swapped"):
            rows = [c for c in diff.changed if c.kind == kind and c.change == change]
            if not rows or not examples:
                continue
            lines.append(f"{kind}, {change} ({len(rows)}):")
            for c in rows[:examples]:
                flags = ",".join(c.after.flags or c.before.flags) or "-"
                lines.append(f"  {c.before.verdict}->{c.after.verdict} {flags} "
                             f"[{c.example.source}] {_shown(c.example.text, width)}")
    return "\n".join(lines)


def comments_to_read(data: list[Path], corpus_dir: Path, splits: set[str] | None,
                     probes: Path | None) -> list[Example]:
    """The fixed evaluation set, or every source's ``splits``; plus the probes if given."""
    if splits is None:
        examples = evaluation_set(data, corpus_dir)
    else:
        examples = [e for e in read_corpus(corpus_dir)[0] + read_paths(data)[0]
                    if e.split in splits]
    if probes is not None:
        examples += read_probes(probes)
    return examples


@reports_user_errors
def main(argv: list[str] | None = None) -> int:
    """Compare the verdicts of --after with those of --before on labelled comments."""
    parser = command_parser("training.verdicts", __doc__)
    parser.add_argument("--before", type=Path, required=True,
                        help="the model serving now (a version folder or a registry)")
    parser.add_argument("--after", type=Path, required=True, help="the model to compare with it")
    parser.add_argument("--before-keywords", type=Path, default=DEFAULT_KEYWORD_DIR,
                        help="the lists served with --before (default: the shipped ones)")
    parser.add_argument("--after-keywords", type=Path,
                        help="the lists to serve with --after (default: --before-keywords)")
    parser.add_argument("--data", type=Path, action="append", default=[],
                        help="unified-format files or folders to read too")
    parser.add_argument("--corpus-dir", type=Path, default=CORPUS_DIR)
    parser.add_argument("--splits", type=split_names,
                        help="read these splits of every source instead of the evaluation set")
    parser.add_argument("--probes", type=Path, help="also the blind probes (*.tsv) in this folder")
    parser.add_argument("--examples", type=int, default=5,
                        help="comments shown per kind of change (default 5)")
    parser.add_argument("--json", type=Path, help="write every changed comment to this file")
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")
    args = parser.parse_args(argv)
    if args.examples < 0:
        parser.error("--examples must be 0 or more")
    before = Evaluated(args.before, args.before_keywords)
    after = Evaluated(args.after, args.after_keywords or args.before_keywords)
    for side, model in (("--before", before), ("--after", after)):
        if model.moderator is None:
            raise DataError(f"{side} {model.path} is a baseline: it has no verdicts, only scores")
    examples = comments_to_read(args.data, args.corpus_dir, args.splits, args.probes)
    if not examples:
        parser.error("no comment to read")
    diff = diff_verdicts(before.moderator, after.moderator, examples,
                         progress=not args.no_progress)
    if args.after_keywords:  # the same model on both sides says nothing without the lists
        diff.before += f" with the lists in {args.before_keywords}"
        diff.after += f" with the lists in {args.after_keywords}"
    print(format_diff(diff, args.examples))
    if args.json:
        args.json.write_text(json.dumps(diff.to_dict(), ensure_ascii=False, indent=1) + "\n",
                             encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
