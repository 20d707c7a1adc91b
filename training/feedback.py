"""What a round of moderators' decisions teaches the model, measured on comments it never saw.

The labelled comments given (the blind probes in tests/model, or a site's own labelled sample)
are cut in two halves by a hash of the near-duplicate key. The corpus-only model and the shipped
lists score half A; a moderator who never errs decides some of them, as the queue would show
them; the model is trained again on the corpus plus those decisions, exactly as
``training.train --decisions`` reads an export; and both models score half B, which no decision
touched. Who decides what:

- ``held``: the comments the service held or rejected (the pending and rejected tabs);
- ``held+top``: those, plus the share of the published comments with the highest scores (the
  published tab, decided by the service alone, sorted by score: docs/queue.md);
- ``held+random``: those, plus the same number of published comments drawn at random;
- ``all``: every comment of half A, the most a site could label.

It also prints how many of the violations the service published are among the published
comments with the highest scores, share by share: how much reading finds how many misses.

    python -m training.feedback --labelled tests/model [--draws 3] [--share 0.1] [--json FILE]

A ``.tsv`` file is read as the probes are written (label, text, note; "ok" or rules joined by
"+"); any other file or folder as unified JSONL (../shared/data's format), where a row with a 1
is a violation, a row with every rule 0 is clean, and the rest are left out. The decisions are
split as ``training.export`` splits them by default: about one in five lands in dev/test and is
held out of training. The training options of ``training.train`` (``--decision-weight``,
``--C``...) shape every model trained here, the one before any decision included.
"""

from __future__ import annotations

import json
import random
import tempfile
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

from tqdm import tqdm

from service.keywords import DEFAULT_KEYWORD_DIR, KeywordMatcher
from service.model import ModelBundle
from service.rules import RULES
from service.scoring import APPROVE, Decision, Moderator
from service.storage import PUBLISHED, REJECTED
from training.cli import command_parser, reports_user_errors
from training.data import CORPUS_DIR, DataError, hash_split, read_paths
from training.export import label_row
from training.train import (
    TrainingParams,
    add_param_arguments,
    fit,
    gather,
    params_from_args,
    split_examples,
)

SEED = 13
READING_SHARES = (0.02, 0.05, 0.1, 0.2, 0.3)
STRATEGIES = ("before", "held", "held+top", "held+random", "all")


@dataclass(frozen=True)
class Labelled:
    """A comment with the rules it breaks (none: clean)."""

    text: str
    rules: frozenset[str]


def read_tsv(path: Path) -> list[Labelled]:
    """Read a probe file: label<TAB>text<TAB>note, '#' lines are comments."""
    rows = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        fields = line.split("\t")
        rules = frozenset() if fields[0] == "ok" else frozenset(fields[0].split("+"))
        if len(fields) < 2 or not rules <= set(RULES):
            raise DataError(f"{path}:{number}: not 'ok' or rules joined by '+', then the text")
        rows.append(Labelled(fields[1], rules))
    return rows


def read_labelled(paths: Sequence[Path]) -> list[Labelled]:
    """Read every labelled comment under ``paths``, one copy of each text."""
    rows: list[Labelled] = []
    for path in paths:
        if path.is_dir():
            tsv = sorted(path.glob("*.tsv"))
        else:
            tsv = [path] if path.suffix == ".tsv" else []
        for file in tsv:
            rows += read_tsv(file)
        if not tsv:
            examples, _ = read_paths([path])
            for e in examples:
                if any(e.label(rule) == 1 for rule in RULES):
                    rows.append(Labelled(e.text, frozenset(r for r in RULES if e.label(r) == 1)))
                elif all(e.label(rule) == 0 for rule in RULES):
                    rows.append(Labelled(e.text, frozenset()))
    unique = list({row.text: row for row in rows}.values())
    if not unique:
        raise DataError(f"no labelled comment in {' '.join(map(str, paths))}")
    return unique


def half_of(text: str, salt: str) -> str:
    """Return "A" or "B" by the near-duplicate key, as every split here is drawn: near copies
    ("حمار" and "حماااار") land in the same half, so no decision teaches its copy's answer."""
    return "A" if hash_split(text, dev=0, test=50, salt="#feedback" + salt) == "test" else "B"


def decision_row(number: int, row: Labelled) -> dict:
    """The line training.export writes for a moderator's decision on this comment."""
    decided = SimpleNamespace(id=number, text=row.text, human_decided=True,
                              status=REJECTED if row.rules else PUBLISHED,
                              rules=[rule for rule in RULES if rule in row.rules])
    return label_row(decided)


def chosen_for_decision(rows: list[Labelled], decisions: list[Decision], who: str,
                        share: float, salt: str = "") -> list[int]:
    """Return the indices of the comments a moderator decides under the strategy ``who``."""
    if who == "all":
        return list(range(len(rows)))
    held = [i for i, d in enumerate(decisions) if d.verdict != APPROVE]
    published = [i for i, d in enumerate(decisions) if d.verdict == APPROVE]
    count = round(share * len(published))
    if who == "held+top":
        return held + sorted(published, key=lambda i: -max(decisions[i].scores.values()))[:count]
    if who == "held+random":
        return held + random.Random(f"{SEED}{salt}").sample(published, count)
    return held


def moderator_for(decision_file: Path | None, corpus_dir: Path, keyword_dir: Path,
                  name: str, params: TrainingParams) -> Moderator:
    """Train the corpus-only model with the decisions, as training.train does, and serve it."""
    corpus, external, _ = gather([], corpus_dir, decisions=[decision_file] if decision_file else [])
    classifier, thresholds, _ = fit(split_examples(corpus, external, params), params,
                                    progress=False)
    bundle = ModelBundle(classifier, {"thresholds": thresholds, "model_version": name}, Path("."))
    return Moderator(bundle, KeywordMatcher.from_directory(keyword_dir))


def outcome(rows: list[Labelled], decisions: list[Decision]) -> dict[str, int]:
    held = [d.verdict != APPROVE for d in decisions]
    return {
        "clean": sum(not r.rules for r in rows),
        "clean_held": sum(h for r, h in zip(rows, held, strict=True) if not r.rules),
        "violating": sum(bool(r.rules) for r in rows),
        "caught": sum(h for r, h in zip(rows, held, strict=True) if r.rules),
    }


def measure(task: tuple) -> dict:
    """Train with one strategy's decisions; return what the service does on both halves."""
    who, draw, decision_lines, halves, corpus_dir, keyword_dir, params = task
    with tempfile.TemporaryDirectory() as scratch:
        file = Path(scratch) / "decisions.jsonl"
        file.write_text("".join(json.dumps(line, ensure_ascii=False) + "\n"
                                for line in decision_lines), encoding="utf-8")
        moderator = moderator_for(file, corpus_dir, keyword_dir, who, params)
    return {"strategy": who, "draw": draw,
            **{name: outcome(rows, moderator.score_batch([r.text for r in rows]))
               for name, rows in halves.items()}}


def misses_by_reading(rows: list[Labelled], decisions: list[Decision]) -> list[dict]:
    """How many of the published violations the top shares of the published comments hold."""
    published = sorted(((max(d.scores.values()), bool(r.rules))
                        for r, d in zip(rows, decisions, strict=True) if d.verdict == APPROVE),
                       reverse=True)
    missed = sum(bad for _, bad in published)
    lines = []
    for share in READING_SHARES:
        top = published[:round(share * len(published))]
        lines.append({"share": share, "read": len(top), "misses": sum(bad for _, bad in top),
                      "of_misses": missed, "lowest_score": round(top[-1][0], 3) if top else None})
    return lines


def run(paths: Sequence[Path], share: float = 0.1, draws: int = 1,
        corpus_dir: Path = CORPUS_DIR, keyword_dir: Path = DEFAULT_KEYWORD_DIR, jobs: int = 1,
        progress: bool = True, params: TrainingParams | None = None) -> dict:
    """Measure every strategy on ``draws`` cuts of the comments in halves; pool the counts.

    ``params``: the corpus-only model's (the default model's) unless given."""
    params = params or TrainingParams()
    rows = read_labelled(paths)
    before = moderator_for(None, corpus_dir, keyword_dir, "before", params)
    scored = before.score_batch([r.text for r in rows])
    tasks, decided, unchanged = [], {}, []
    for draw in range(1, draws + 1):
        salt = f"#{draw}"
        halves = {name: [i for i, r in enumerate(rows) if half_of(r.text, salt) == name]
                  for name in "AB"}
        seen = [rows[i] for i in halves["A"]]
        seen_decisions = [scored[i] for i in halves["A"]]
        parts = {name: [rows[i] for i in indices] for name, indices in halves.items()}
        # With no decision the model is the corpus-only one already trained: no need to refit.
        unchanged.append({"strategy": "before", "draw": draw, **{
            name: outcome(parts[name], [scored[i] for i in indices])
            for name, indices in halves.items()}})
        for who in STRATEGIES[1:]:
            chosen = chosen_for_decision(seen, seen_decisions, who, share, salt)
            counts = decided.setdefault(who, {"approved": 0, "rejected": 0})
            counts["approved"] += sum(not seen[i].rules for i in chosen)
            counts["rejected"] += sum(bool(seen[i].rules) for i in chosen)
            lines = [decision_row(n, seen[i]) for n, i in enumerate(chosen)]
            tasks.append((who, draw, lines, parts, corpus_dir, keyword_dir, params))
    with ProcessPoolExecutor(jobs) as pool:
        results = unchanged + list(tqdm(pool.map(measure, tasks), total=len(tasks),
                                        desc="models", unit="model", disable=not progress))
    strategies = []
    for who in STRATEGIES:
        mine = [r for r in results if r["strategy"] == who]
        strategies.append({
            "strategy": who,
            "decisions": decided.get(who, {"approved": 0, "rejected": 0}),
            **{name: {key: sum(r[name][key] for r in mine) for key in mine[0][name]}
               for name in "AB"},
            # The unseen half's counts cut by cut: how far one cut is from another.
            "by_draw": [{"draw": r["draw"], "B": r["B"]} for r in mine],
        })
    return {"labelled": len(rows), "share": share, "draws": draws,
            "reading": misses_by_reading(rows, scored), "strategies": strategies}


def _rate(part: int, whole: int) -> str:
    return f"{part:,} of {whole:,} ({part / max(whole, 1):.2%})"


def format_result(result: dict) -> str:
    lines = [f"{result['labelled']:,} labelled comments cut in halves {result['draws']} time(s): "
             "half A decided, half B unseen; published comments read under held+top and "
             f"held+random: {result['share']:.0%}", ""]
    for r in result["strategies"]:
        d, a, b = r["decisions"], r["A"], r["B"]
        lines.append(
            f"{r['strategy']:<12} decisions {d['approved']:>6,} approved {d['rejected']:>6,} "
            f"rejected | unseen B: clean held {_rate(b['clean_held'], b['clean'])}, caught "
            f"{_rate(b['caught'], b['violating'])} | decided A: clean held {a['clean_held']:,}, "
            f"caught {a['caught']:,}")
        if len(r["by_draw"]) > 1:
            lines.append(" " * 13 + "unseen B cut by cut: " + ", ".join(
                f"{d['B']['clean_held']} held / {d['B']['caught']} caught" for d in r["by_draw"]))
    lines += ["", "violations published, found by reading the published comments highest "
              "score first (before any decision):"]
    for line in result["reading"]:
        found = line["misses"] / max(line["of_misses"], 1)
        lines.append(f"  top {line['share']:>4.0%}: {line['read']:>5,} read, {line['misses']:>4} "
                     f"of {line['of_misses']} misses ({found:.0%}), scores from "
                     f"{line['lowest_score']}")
    return "\n".join(lines)


@reports_user_errors
def main(argv: list[str] | None = None) -> int:
    parser = command_parser("training.feedback", __doc__)
    parser.add_argument("--labelled", type=Path, action="append", required=True,
                        help="probe .tsv files, unified JSONL files, or folders of either")
    parser.add_argument("--share", type=float, default=0.1,
                        help="share of the published comments read under held+top and "
                             "held+random (default 0.1)")
    parser.add_argument("--draws", type=int, default=1,
                        help="cuts of the comments in halves, pooled (default 1)")
    parser.add_argument("--corpus-dir", type=Path, default=CORPUS_DIR)
    parser.add_argument("--keywords", type=Path, default=DEFAULT_KEYWORD_DIR)
    parser.add_argument("--jobs", type=int, default=2, help="processes (default 2)")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--no-progress", action="store_true")
    add_param_arguments(parser)  # the model retrained with the decisions, --decision-weight too
    args = parser.parse_args(argv)
    if not 0 < args.share <= 1 or args.jobs < 1 or args.draws < 1:
        parser.error("--share must be in (0, 1], --jobs and --draws at least 1")
    result = run(args.labelled, args.share, args.draws, args.corpus_dir, args.keywords,
                 args.jobs, progress=not args.no_progress, params=params_from_args(args))
    print(format_result(result))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
