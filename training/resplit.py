"""How the corpus-only model moderates on other draws of the corpus split.

The corpus's held-out split is one draw of 10%: about 600 clean comments, so its clean-held rate
moves by a point from one draw to the next, and it has been read during development. This draws
the 80/10/10 split again N times (salted hashes of the same near-duplicate key), trains the
corpus-only model on each draw with the given options, and reports on each held-out split the
share of clean comments the service holds (review or reject) and the share of violations it
catches, then both pooled over the draws. Compare training options with it before changing a
default; docs/evaluation.md has the figures behind the current ones.

    python -m training.resplit --splits 6 [--min-df 2 --suspect-recall 0.8 ...] [--json FILE]
        [--mistakes FILE]

It also counts what held each clean comment (a listed term, or the model's score for a rule),
and --mistakes writes those comments and the violations let through, to be read.
"""

from __future__ import annotations

import dataclasses
import json
from collections import Counter
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from sklearn.metrics import f1_score
from tqdm import tqdm

from service.keywords import DEFAULT_KEYWORD_DIR, KeywordMatcher
from service.model import ModelBundle
from service.rules import RULES
from service.scoring import APPROVE, Decision, Moderator
from training.cli import command_parser, reports_user_errors
from training.data import CORPUS_DIR, Example, data_files, hash_split, read_corpus
from training.train import (
    TrainingParams,
    add_param_arguments,
    fit,
    params_from_args,
    split_examples,
)


def resplit(examples: list[Example], salt: str) -> list[Example]:
    """Return the examples with the 80/10/10 split drawn again under ``salt``."""
    return [dataclasses.replace(e, split=hash_split(e.text, salt=salt)) for e in examples]


COUNTS = ("clean", "clean_held", "violating", "caught")


def summed(counts: Iterable[dict[str, int]]) -> dict[str, int]:
    """Add up count dicts (a missing key counts 0)."""
    counts = list(counts)
    return {key: sum(c.get(key, 0) for c in counts) for key in COUNTS}


def held_because(decision: Decision) -> str:
    """Return what held a comment: "keyword" when a listed term is among the reasons (a suspect
    term needs its rule's score too, but the list is what a reviewer would change), else
    "model:<rule>" for the flagged rule with the highest score."""
    if any(reason.source == "keyword" for reason in decision.reasons):
        return "keyword"
    return "model:" + max(decision.flags, key=decision.scores.__getitem__)


def mistake(salt: str, example: Example, decision: Decision) -> dict:
    """Return a held clean comment or a missed violation as a line of --mistakes."""
    answer = decision.to_dict()  # as the API answers it
    return {
        "draw": salt,
        "language": example.language,
        "labels": {rule: example.label(rule) for rule in RULES},
        **{key: answer[key] for key in ("verdict", "scores", "reasons")},
        "text": example.text,
    }


def measure_draw(salt: str, corpus_dir: Path, keyword_dir: Path, params: TrainingParams) -> dict:
    """Train on one draw; return what the service does on that draw's held-out comments, and
    the comments it got wrong ("mistakes")."""
    corpus = resplit(read_corpus(corpus_dir)[0], salt)
    classifier, thresholds, _ = fit(split_examples(corpus, [], params), params, progress=False)
    bundle = ModelBundle(classifier, {"thresholds": thresholds, "model_version": salt}, Path("."))
    moderator = Moderator(bundle, KeywordMatcher.from_directory(keyword_dir))
    test = [e for e in corpus if e.split == "test"]
    violating = [any(e.label(rule) for rule in RULES) for e in test]
    decisions = moderator.score_batch([e.text for e in test])
    macro_f1 = {
        rule: round(
            float(
                f1_score(
                    [e.label(rule) for e in test],
                    [d.scores[rule] >= thresholds[rule]["decision"] for d in decisions],
                    average="macro",
                )
            ),
            4,
        )
        for rule in RULES
    }
    # Per language too: a rate over the whole corpus can hide one language over the target.
    by_language: dict[str, dict[str, int]] = {}
    clean_held_by: Counter[str] = Counter()
    mistakes = []
    for example, decision, bad in zip(test, decisions, violating, strict=True):
        is_held = decision.verdict != APPROVE
        counts = by_language.setdefault(example.language or "unknown", dict.fromkeys(COUNTS, 0))
        counts["violating" if bad else "clean"] += 1
        counts["caught" if bad else "clean_held"] += is_held
        if is_held != bad:
            mistakes.append(mistake(salt, example, decision))
        if is_held and not bad:
            clean_held_by[held_because(decision)] += 1
    return {
        "salt": salt,
        **summed(by_language.values()),
        "by_language": by_language,
        "clean_held_by": dict(clean_held_by),
        "macro_f1": macro_f1,
        "mistakes": mistakes,
    }


def pooled(draws: list[dict]) -> dict:
    """Sum the draws: the clean-held and caught rates over every held-out comment seen."""
    total: dict = summed(draws)
    languages = sorted({language for d in draws for language in d["by_language"]})
    total["by_language"] = {
        language: summed(d["by_language"].get(language, {}) for d in draws)
        for language in languages
    }
    total["clean_held_by"] = dict(sum((Counter(d["clean_held_by"]) for d in draws), Counter()))
    total["clean_held_rate"] = total["clean_held"] / max(total["clean"], 1)
    total["caught_rate"] = total["caught"] / max(total["violating"], 1)
    total["macro_f1"] = {
        rule: round(sum(d["macro_f1"][rule] for d in draws) / len(draws), 4) for rule in RULES
    }
    return total


def run(
    splits: int,
    params: TrainingParams,
    corpus_dir: Path = CORPUS_DIR,
    keyword_dir: Path = DEFAULT_KEYWORD_DIR,
    jobs: int = 1,
    progress: bool = True,
) -> dict:
    """Measure ``splits`` draws (in ``jobs`` processes); return them, their pooled figures and
    the comments they got wrong."""
    salts = [f"#draw{n}" for n in range(1, splits + 1)]
    arguments = ([corpus_dir] * splits, [keyword_dir] * splits, [params] * splits)
    with ProcessPoolExecutor(jobs) as pool:
        draws = list(
            tqdm(
                pool.map(measure_draw, salts, *arguments),
                total=splits,
                desc="draws",
                unit="draw",
                disable=not progress,
            )
        )
    mistakes = [line for draw in draws for line in draw.pop("mistakes")]
    return {
        "params": params.to_dict(),
        "draws": draws,
        "pooled": pooled(draws),
        "mistakes": mistakes,
    }


def format_result(result: dict) -> str:
    lines = [
        f"{'draw':8s} {'clean held':>14s} {'violations caught':>20s}   macro-F1 "
        + " / ".join(RULES)
    ]
    for d in result["draws"] + [dict(result["pooled"], salt="pooled")]:
        lines.append(
            f"{d['salt']:8s} {d['clean_held']:>5d} of {d['clean']:<5d} {d['caught']:>8d} of "
            f"{d['violating']:<5d}      " + " / ".join(f"{d['macro_f1'][r]:.3f}" for r in RULES)
        )
    total = result["pooled"]
    lines.append(
        f"clean comments held {100 * total['clean_held_rate']:.2f}%, "
        f"violations caught {100 * total['caught_rate']:.1f}%"
    )
    lines.append(
        "  clean held because of "
        + ", ".join(
            f"{cause} {n}"
            for cause, n in sorted(total["clean_held_by"].items(), key=lambda item: -item[1])
        )
    )
    for language, counts in total["by_language"].items():
        lines.append(
            f"  {language:8s} clean held {counts['clean_held']:>5d} of {counts['clean']:<5d} "
            f"({100 * counts['clean_held'] / max(counts['clean'], 1):.2f}%), caught "
            f"{counts['caught']:>5d} of {counts['violating']:<5d} "
            f"({100 * counts['caught'] / max(counts['violating'], 1):.1f}%)"
        )
    return "\n".join(lines)


@reports_user_errors
def main(argv: list[str] | None = None) -> int:
    parser = command_parser("training.resplit", __doc__)
    parser.add_argument("--splits", type=int, default=6, help="draws of the split (default 6)")
    parser.add_argument("--corpus-dir", type=Path, default=CORPUS_DIR)
    parser.add_argument("--keywords", type=Path, default=DEFAULT_KEYWORD_DIR)
    parser.add_argument("--jobs", type=int, default=2, help="processes (default 2)")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument(
        "--mistakes",
        type=Path,
        help="write the clean comments held and the violations missed here, one JSON object "
        "per line (draw, language, labels, verdict, scores, reasons, text)",
    )
    parser.add_argument("--no-progress", action="store_true")
    add_param_arguments(parser)
    args = parser.parse_args(argv)
    if args.splits < 1 or args.jobs < 1:
        parser.error("--splits and --jobs must be at least 1")
    data_files(args.corpus_dir)  # a wrong folder is reported before the worker processes start
    result = run(
        args.splits,
        params_from_args(args),
        args.corpus_dir,
        args.keywords,
        args.jobs,
        progress=not args.no_progress,
    )
    mistakes = result.pop("mistakes")
    print(format_result(result))
    if args.mistakes:
        args.mistakes.write_text(
            "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in mistakes),
            encoding="utf-8",
        )
    if args.json:
        args.json.write_text(json.dumps(result, indent=2, ensure_ascii=False), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
