"""Garbage-collection pauses in a worker, with and without freezing what the app factory loaded.

    python -m benchmarks.gc_pauses [--model MODEL] [--comments N]

gunicorn.conf.py freezes a worker's objects after the app factory has run (``gc.freeze()`` in
``post_worker_init``), so the cyclic collector's full passes skip the imported libraries, the
model and the keyword lists. This runs the app factory and then N corpus comments through
``POST /v1/moderate`` (Flask's test client, one at a time) in two fresh processes, one frozen and
one not, and prints for each the full (generation 2) collections, the longest of them, and the
requests' latency percentiles."""

from __future__ import annotations

import argparse
import gc
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def measure(frozen: bool, comments: int) -> dict:
    """Run in this process: build the app, optionally freeze, post the comments."""
    from service import create_app
    from training.data import read_corpus

    texts = [example.text for example in read_corpus()[0]][:comments]
    client = create_app().test_client()
    client.post("/v1/moderate", json={"text": "warm-up"})
    tracked_after_loading = len(gc.get_objects())
    if frozen:
        gc.freeze()
    pauses, started = [], []

    def on_collection(phase: str, info: dict) -> None:
        if info["generation"] != 2:
            return
        if phase == "start":
            started.append(time.perf_counter())
        else:
            pauses.append((time.perf_counter() - started.pop()) * 1e3)

    gc.callbacks.append(on_collection)
    latencies = []
    for text in texts:
        start = time.perf_counter()
        client.post("/v1/moderate", json={"text": text})
        latencies.append((time.perf_counter() - start) * 1e3)
    gc.callbacks.remove(on_collection)
    latencies.sort()
    return {
        "frozen": frozen, "requests": len(latencies), "tracked": tracked_after_loading,
        "full_collections": len(pauses), "longest_ms": max(pauses, default=0.0),
        "p50": latencies[len(latencies) // 2], "p99": latencies[int(len(latencies) * 0.99)],
        "p999": latencies[int(len(latencies) * 0.999)], "max": latencies[-1],
    }


def run_child(frozen: bool, args: argparse.Namespace) -> dict:
    from service.db import upgrade  # here, not at the top: the child counts what it imports

    env = {**os.environ, "MODERATION_MODEL_DIR": str(args.model)}
    with tempfile.TemporaryDirectory() as scratch:
        env["MODERATION_DATABASE_URL"] = f"sqlite:///{scratch}/bench.db"
        upgrade(env["MODERATION_DATABASE_URL"])
        done = subprocess.run(
            [sys.executable, "-m", "benchmarks.gc_pauses", "--child",
             "frozen" if frozen else "unfrozen", "--comments", str(args.comments)],
            env=env, cwd=ROOT, check=True, capture_output=True, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=ROOT / "models")
    parser.add_argument("--comments", type=int, default=15_000)
    parser.add_argument("--child", choices=["frozen", "unfrozen"], help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(measure(args.child == "frozen", args.comments)))
        return 0
    print(f"model {args.model}; {args.comments} corpus comments, one POST /v1/moderate each")
    print(f"{'':10s} {'full collections':>17s} {'longest ms':>11s} "
          f"{'p50 ms':>7s} {'p99 ms':>7s} {'p99.9 ms':>9s} {'max ms':>7s}")
    for frozen in (False, True):
        result = run_child(frozen, args)
        print(f"{'frozen' if frozen else 'unfrozen':10s} {result['full_collections']:17d} "
              f"{result['longest_ms']:11.1f} {result['p50']:7.2f} {result['p99']:7.2f} "
              f"{result['p999']:9.2f} {result['max']:7.1f}")
    print(f"objects the collector tracks once the app is loaded: {result['tracked']:,}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
