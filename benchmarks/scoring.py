"""Scoring speed and memory, ours against the naive baseline, measured in the same run.

    python -m benchmarks.scoring [--model models/] [--data FILE.jsonl] [--requests 2000]

Prints: in-process single-comment latency (p50/p99), batch throughput on one core, latency over
HTTP with one gunicorn worker, and that worker's resident memory, also once both per-word
caches (the keyword matcher's and the classifier's) are full. The baseline is trained here on the
project's corpus (same rows as the real model's corpus part), so the comparison is in one run on
one machine. Comments come from the project's corpus, shuffled, unless --data is given."""

from __future__ import annotations

import argparse
import gc
import http.client
import itertools
import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import joblib
from threadpoolctl import threadpool_limits

from service.config import DEFAULTS
from service.db import upgrade
from service.keywords import KeywordMatcher, load_keyword_entries
from service.model import load_artifact
from service.scoring import Moderator
from service.text.passages import LONG_COMMENT_CHARS
from training.baseline import BASELINE_FILE, fit_baseline
from training.data import read_corpus, read_paths
from training.train import TrainingParams, split_examples

MAX_CHARS = DEFAULTS["MAX_TEXT_CHARS"]  # the longest comment the API accepts by default
MASKED_LETTERS = "بتثجحخدذرزسشصضطظعغفقكلمن"  # 24 letters: 13,824 different words

ROOT = Path(__file__).resolve().parent.parent


def percentiles(samples: list[float]) -> tuple[float, float]:
    """Return p50 and p99 in milliseconds."""
    ordered = sorted(samples)
    return ordered[len(ordered) // 2] * 1e3, ordered[
        min(len(ordered) - 1, int(len(ordered) * 0.99))
    ] * 1e3


def time_each(function, texts: list[str]) -> list[float]:
    samples = []
    for text in texts:
        started = time.perf_counter()
        function(text)
        samples.append(time.perf_counter() - started)
    return samples


def throughput(function, texts: list[str], batch: int = 1000, rounds: int = 3) -> float:
    """Best of ``rounds`` comments/second for ``function`` over batches of ``batch``."""
    best = 0.0
    for _ in range(rounds):
        started = time.perf_counter()
        for i in range(0, len(texts), batch):
            function(texts[i : i + batch])
        best = max(best, len(texts) / (time.perf_counter() - started))
    return best


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def cache_fillers(texts: list[str], words: int = 70_000, per_comment: int = 40) -> list[str]:
    """Comments of ``words`` different words: more than either per-word cache holds (50,000), so
    the memory of a worker that has run for a while is measured, not a fresh one's. The words of
    ``texts``, then the same with a clitic in front (وكتاب, بكتاب): real words' n-grams, which the
    classifier's cache keeps more of than made-up letters'."""
    seen = dict.fromkeys(word for text in texts for word in text.split())
    variants = (clitic + word for clitic in ("", "و", "ب", "ف", "ل", "ال") for word in list(seen))
    picked = list(itertools.islice(dict.fromkeys(variants), words))
    return [" ".join(picked[i : i + per_comment]) for i in range(0, len(picked), per_comment)]


def serve_and_measure(app_spec: str, env: dict, texts: list[str], fillers: list[str]) -> dict:
    """Start gunicorn with one worker, time sequential keep-alive requests, read worker RSS;
    then fill its caches, reading it as they fill (they empty when full; the peak of the process
    since it started would be the model's unpickling instead)."""
    port = free_port()
    process = subprocess.Popen(
        # The project's gunicorn.conf.py is skipped: one worker, no access log, same for both apps.
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--config",
            "python:benchmarks.gunicorn_plain",
            "--workers",
            "1",
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            app_spec,
        ],
        cwd=ROOT,
        env={**os.environ, **env},
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
                connection.request(
                    "POST",
                    "/v1/moderate",
                    json.dumps({"text": "warm up"}),
                    {"Content-Type": "application/json"},
                )
                connection.getresponse().read()
                break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError(f"{app_spec} did not start") from None
                time.sleep(0.2)
        def post(text: str) -> float:
            body = json.dumps({"text": text})
            started = time.perf_counter()
            connection.request("POST", "/v1/moderate", body, {"Content-Type": "application/json"})
            response = connection.getresponse()
            response.read()
            if response.status != 200:
                raise RuntimeError(f"HTTP {response.status}")
            return time.perf_counter() - started

        samples = [post(text) for text in texts]
        children = subprocess.run(
            ["pgrep", "-P", str(process.pid)], capture_output=True, text=True
        ).stdout.split()
        worker = int(children[0]) if children else process.pid
        rss = rss_mb(worker)
        filled = rss
        for number, text in enumerate(fillers, 1):
            post(text)
            if number % 25 == 0:  # every 1,000 words
                filled = max(filled, rss_mb(worker))
        p50, p99 = percentiles(samples)
        return {"p50_ms": p50, "p99_ms": p99, "worker_rss_mb": rss, "filled_rss_mb": filled}
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)


def repeated(texts: list[str], count: int) -> list[str]:
    """The first ``count`` texts of ``texts`` repeated as often as needed."""
    return list(itertools.islice(itertools.cycle(texts), count))


def main(argv: list[str] | None = None) -> int:
    """Run every measurement and print a table of ours against the baseline."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.scoring",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--model", type=Path, default=ROOT / "models")
    parser.add_argument(
        "--data",
        type=Path,
        action="append",
        default=[],
        help="comments to score (default: the corpus hold-out)",
    )
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--batch-comments", type=int, default=5000)
    args = parser.parse_args(argv)

    corpus, _ = read_corpus()
    pool = [e.text for e in (read_paths(args.data)[0] if args.data else corpus)]
    random.Random(7).shuffle(pool)
    singles = repeated(pool, args.requests)
    # other comments than the measured ones: the matcher caches per word, and a warm-up on the
    # measured comments themselves would make every one of their words a cache hit
    warm_up = repeated(pool[args.requests:] or pool, args.requests)
    # and the classifier, which caches per word too, alone on comments the full verdict has not
    # scored
    classifier_texts = repeated(pool[2 * args.requests:] or pool, args.requests)
    batch_texts = repeated(pool, args.batch_comments)

    bundle = load_artifact(args.model)
    moderator = Moderator(bundle, KeywordMatcher.from_directory(ROOT / "service" / "keywords"))
    baseline = fit_baseline(split_examples(corpus, [], TrainingParams()), progress=False)

    results = {}
    # Warm up on as many comments as are measured, as a server that has scored a few thousand
    # comments is: the first touch of each vocabulary entry faults in memory the unpickled model
    # has not used yet (warmed on 200 comments, round 7's first default model measured 0.46-0.48
    # ms, 4.7-4.8x).
    time_each(moderator.score, warm_up)
    results["ours: full verdict (model + keywords)"] = percentiles(
        time_each(moderator.score, singles)
    )
    results["ours: classifier only"] = percentiles(
        time_each(bundle.classifier.predict_proba_one, classifier_texts)
    )
    time_each(baseline.predict_proba_one, warm_up)  # the same warm-up for the baseline
    results["baseline: 3 pipelines"] = percentiles(time_each(baseline.predict_proba_one, singles))
    # Comments over LONG_COMMENT_CHARS are scored whole and passage by passage: what that costs.
    long_comments = [text for text in pool if len(text) > LONG_COMMENT_CHARS]
    if long_comments:
        results[f"ours: full verdict, {len(long_comments)} long comments"] = percentiles(
            time_each(moderator.score, long_comments)
        )
        results[f"baseline: {len(long_comments)} long comments"] = percentiles(
            time_each(baseline.predict_proba_one, long_comments)
        )

    with threadpool_limits(1):  # "on one core": no BLAS threads behind either side's back
        ours_batch = throughput(moderator.score_batch, batch_texts)
        base_batch = throughput(baseline.predict_proba, batch_texts)

    # Texts at the length limit built to be slow: what one anonymous request can make us do.
    hostile = {name: (text * (MAX_CHARS // len(text) + 1))[:MAX_CHARS] for name, text in (
        ("hyphen run before a TLD", "a-"), ("underscores then @", "_"),
        ("dotted run then @", "a."), ("listed terms everywhere", "rak hmar wld l9hba zamel "),
        ("spaced letters", "k . a . l . b . "), ("emoji between letters", "ق🤬ح🤬ب🤬ة "),
        # listed emoji only, read a second time for the emoji terms (5.5 s each before round
        # 23's tokenizer found the runs that cut a word in one pass)
        ("listed emoji, no letters", "🐷🐒"),
        # no space at all: one glued run, and a listed word cut in two every six characters
        ("words cut by dots, no space", "قح.به."),
    )}
    hostile["hyphen run before a TLD"] = hostile["hyphen run before a TLD"][:-5] + "x .com"
    hostile["underscores then @"] = hostile["underscores then @"][:-1] + "@"
    hostile["dotted run then @"] = hostile["dotted run then @"][:-1] + "@"
    # every word different, so no cache helps: one masked pattern to try per word
    hostile["different words masked with stars"] = " ".join(
        f"{a}{b}*{c} {c}{a}{b}*" for a, b, c in itertools.product(MASKED_LETTERS, repeat=3)
    )[:MAX_CHARS]
    # A full garbage collection landing in one call (about 130 ms here: this process also holds
    # the corpus, the pool and the baseline) was read as that text's cost, and the batch figure
    # below is 200 times the slowest call: 34 s instead of 9. Frozen, as a worker freezes what it
    # loaded (gunicorn.conf.py), collections skip them.
    gc.freeze()
    slowest = {name: max(time_each(moderator.score, [text] * 5)) for name, text in hostile.items()}
    gc.unfreeze()

    entries, allow = load_keyword_entries(ROOT / "service" / "keywords")
    started = time.perf_counter()
    KeywordMatcher(entries, allow)
    build_ms = (time.perf_counter() - started) * 1e3

    fillers = cache_fillers(pool)
    with tempfile.TemporaryDirectory() as scratch:
        joblib.dump(baseline, Path(scratch) / BASELINE_FILE)
        # A migrated database of its own: the instance's may be missing or older than the code,
        # and a worker that cannot read the override tables logs a warning every refresh.
        database_url = f"sqlite:///{Path(scratch) / 'benchmark.db'}"
        upgrade(database_url)
        http_ours = serve_and_measure(
            "service:create_app()",
            {"MODERATION_MODEL_DIR": str(args.model), "MODERATION_DATABASE_URL": database_url},
            singles,
            fillers,
        )
        http_base = serve_and_measure(
            "benchmarks.baseline_app:create_app()", {"BASELINE_DIR": scratch}, singles, fillers
        )

    print(
        f"model {bundle.version}; {len(singles)} single comments, "
        f"{len(batch_texts)} in batches of 1000"
    )
    print(f"{'in-process single comment':42s} {'p50 ms':>8s} {'p99 ms':>8s}")
    for name, (p50, p99) in results.items():
        print(f"{name:42s} {p50:8.3f} {p99:8.3f}")
    ours_p50 = results["ours: full verdict (model + keywords)"][0]
    base_p50 = results["baseline: 3 pipelines"][0]
    print(f"speed-up of the full verdict over the baseline (p50): {base_p50 / ours_p50:.1f}x")
    print(
        f"{'batch throughput, one process':42s} ours {ours_batch:8.0f}/s   "
        f"baseline {base_batch:8.0f}/s"
    )
    print(f"{'keyword matcher build, shipped lists':42s} {build_ms:8.1f} ms ({len(entries)} terms)")
    print(f"hostile {MAX_CHARS:,}-character comments, full verdict (slowest of 5), ms")
    for name, seconds in slowest.items():
        print(f"  {name:40s} {seconds * 1e3:8.1f}")
    worst, cap = max(slowest.values()), DEFAULTS["MAX_BATCH_CHARS"]
    print(f"  a batch of the slowest at the {cap:,}-character batch limit: "
          f"{worst * cap / MAX_CHARS:.1f} s (gunicorn's worker timeout: 30 s)")
    print(f"{'over HTTP, 1 gunicorn worker':42s} {'p50 ms':>8s} {'p99 ms':>8s} {'RSS MB':>8s} "
          f"{'RSS MB, caches full':>20s}")
    for name, figures in (("ours", http_ours), ("baseline", http_base)):
        print(
            f"{name:42s} {figures['p50_ms']:8.3f} {figures['p99_ms']:8.3f} "
            f"{figures['worker_rss_mb']:8.1f} {figures['filled_rss_mb']:20.1f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
