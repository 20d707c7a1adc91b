"""Retraining time and memory against the targets: 10 minutes and 4 GB on this 2-core machine.

    python -m benchmarks.retrain ../shared/data/unified [--keep] [--quiet]

Runs the retraining command exactly as an operator does (``python -m training.train --data PATH
--out TMP``: the corpus plus every train split of the datasets, features, fit, thresholds, the
artifact and its evaluation report) in a child process, into a temporary registry. Prints the
wall time, the peak resident memory of the child process tree (sampled every 0.1 s, and the
kernel's own peak for the largest process), the time the model records for reading and fitting,
and the rest (imports, writing, evaluating on the held-out rows, drawing the report)."""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WALL_TARGET_SECONDS = 600
MEMORY_TARGET_BYTES = 4 * 1024**3
_PAGE = os.sysconf("SC_PAGE_SIZE")


def tree_rss(pid: int) -> int:
    """Return the resident bytes of ``pid`` and all its descendants (0 once it is gone)."""
    total, pending = 0, [pid]
    while pending:
        current = pending.pop()
        try:
            with open(f"/proc/{current}/statm") as handle:
                total += int(handle.read().split()[1]) * _PAGE
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children") as handle:
                    pending.extend(int(child) for child in handle.read().split())
        except (FileNotFoundError, ProcessLookupError, ValueError):
            continue
    return total


class PeakSampler(threading.Thread):
    """Samples a process tree's resident memory until stopped; keeps the peak."""

    def __init__(self, pid: int, interval: float = 0.1):
        super().__init__(daemon=True)
        self.pid, self.interval, self.peak = pid, interval, 0
        self.done = threading.Event()

    def run(self):
        while not self.done.is_set():
            self.peak = max(self.peak, tree_rss(self.pid))
            self.done.wait(self.interval)


def main(argv: list[str] | None = None) -> int:
    """Retrain once on the corpus plus DATA's train splits; print time and memory vs targets."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.retrain",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("data", type=Path, help="the unified datasets folder (or a JSONL file)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary registry")
    parser.add_argument("--quiet", action="store_true", help="no progress bars from the training")
    args = parser.parse_args(argv)
    if not args.data.exists():
        parser.error(f"{args.data} does not exist")

    registry = Path(tempfile.mkdtemp(prefix="retrain-bench-"))
    command = [
        sys.executable,
        "-m",
        "training.train",
        "--data",
        str(args.data.resolve()),
        "--out",
        str(registry),
        *(["--no-progress"] if args.quiet else []),
    ]
    print("running:", " ".join(command), flush=True)
    load_before = os.getloadavg()[0]
    started = time.perf_counter()
    child = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    sampler = PeakSampler(child.pid)
    sampler.start()
    output, _ = child.communicate()
    wall = time.perf_counter() - started
    sampler.done.set()
    sampler.join()
    largest = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024  # KiB on Linux
    print(output, end="")
    if child.returncode != 0:
        print(f"training failed with exit code {child.returncode}", file=sys.stderr)
        return 1

    (version,) = [p for p in registry.iterdir() if p.is_dir() and not p.name.startswith(".")]
    metadata = json.loads((version / "metadata.json").read_text(encoding="utf-8"))
    evaluation = json.loads((version / "evaluation.json").read_text(encoding="utf-8"))
    peak = max(sampler.peak, largest)
    fit_seconds = metadata["training_seconds"]
    print()
    print(
        f"cores: {os.cpu_count()}   1-min load average before/after: {load_before:.2f} / "
        f"{os.getloadavg()[0]:.2f} (other work on the machine slows the run)"
    )
    print(
        f"rows: train {metadata['rows']['train']}, validation {metadata['rows']['validation']}, "
        f"evaluation {evaluation['n']}; features {metadata['n_features']}"
    )
    print(
        f"wall time: {wall:7.1f} s   (target {WALL_TARGET_SECONDS} s)  "
        f"{'OK' if wall <= WALL_TARGET_SECONDS else 'OVER TARGET'}"
    )
    print(f"  read + split + features + fit + thresholds: {fit_seconds:7.1f} s")
    print(f"  the rest (imports, artifact, evaluation, report): {wall - fit_seconds:7.1f} s")
    print(
        f"peak memory: {peak / 1024**3:5.2f} GiB  "
        f"(target {MEMORY_TARGET_BYTES / 1024**3:.0f} GiB)  "
        f"{'OK' if peak <= MEMORY_TARGET_BYTES else 'OVER TARGET'}"
    )
    print(
        f"  sampled process tree {sampler.peak / 1024**3:.2f} GiB; largest process (kernel) "
        f"{largest / 1024**3:.2f} GiB"
    )
    print(
        f"artifact: {(version / 'model.joblib').stat().st_size / 1024**2:.1f} MiB; "
        f"report: {(version / 'report.html').stat().st_size / 1024**2:.1f} MiB"
    )
    if args.keep:
        print(f"kept: {version}")
    else:
        shutil.rmtree(registry)
    return 0 if wall <= WALL_TARGET_SECONDS and peak <= MEMORY_TARGET_BYTES else 1


if __name__ == "__main__":
    sys.exit(main())
