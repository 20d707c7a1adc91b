"""Request latency while a running service switches models, as a promotion makes it do.

    python -m benchmarks.reload MODELS_DIR VERSION_A VERSION_B [--seconds 8] [--clients 3]

Copies the two versions into a temporary registry serving A, starts gunicorn (2 workers, 127.0.0.1,
MODERATION_MODEL_RELOAD_SECONDS=0.5), keeps a few clients posting comments, points ``current`` at
B halfway through, and prints: requests, failures, which versions answered, p50/p99/max latency
before and after the switch, and the longest gap between answers. Loading happens in a background
thread of each worker (service/reload.py), so the max latency shows whether a load stalls anyone.
The pointer is set directly (no promotion checks): this measures the reload, not the gate."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

from training.data import read_corpus
from training.registry import set_current

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def post(url: str, text: str) -> tuple[int, str]:
    request = urllib.request.Request(
        url, data=json.dumps({"text": text}).encode(), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.status, json.loads(response.read())["model_version"]


def quantiles(values: list[float]) -> str:
    if not values:
        return "no requests"
    ordered = sorted(values)
    pick = lambda q: ordered[min(len(ordered) - 1, int(len(ordered) * q))] * 1e3  # noqa: E731
    return f"p50 {pick(0.5):6.1f} ms  p99 {pick(0.99):7.1f} ms  max {ordered[-1] * 1e3:7.1f} ms"


def main(argv: list[str] | None = None) -> int:
    """Measure latency across one model switch under load."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.reload",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("models", type=Path)
    parser.add_argument("version_a")
    parser.add_argument("version_b")
    parser.add_argument("--seconds", type=float, default=8.0, help="total duration")
    parser.add_argument("--clients", type=int, default=3)
    args = parser.parse_args(argv)

    work = Path(tempfile.mkdtemp(prefix="reload-bench-"))
    registry = work / "models"
    registry.mkdir()
    for version in (args.version_a, args.version_b):
        shutil.copytree(args.models / version, registry / version)
    set_current(registry, args.version_a)
    texts = [e.text for e in read_corpus()[0] if e.split == "test"][:500]

    port = free_port()
    env = {
        **os.environ,
        "PORT": str(port),
        "HOST": "127.0.0.1",
        "WEB_CONCURRENCY": "2",
        "MODERATION_MODEL_DIR": str(registry),
        "MODERATION_MODEL_RELOAD_SECONDS": "0.5",
        "MODERATION_DATABASE_URL": f"sqlite:///{work / 'queue.db'}",
        "MODERATION_OUTBOX_WORKER": "false",
        "MODERATION_SECRET_KEY": "reload-benchmark-secret-key-0123456789",
    }
    with (work / "gunicorn.log").open("ab") as log:
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "--config",
                "gunicorn.conf.py",
                "service:create_app()",
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(base + "/readyz", timeout=2).close()
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    print((work / "gunicorn.log").read_text(errors="replace"), file=sys.stderr)
                    return 1
                time.sleep(0.2)

        answers: list[tuple[float, float, int | None, str | None]] = []
        lock, stop = threading.Lock(), threading.Event()

        def client(seed: int) -> None:
            i = seed
            while not stop.is_set():
                started = time.monotonic()
                try:
                    status, version = post(base + "/v1/moderate", texts[i % len(texts)])
                except OSError:
                    status, version = None, None
                with lock:
                    answers.append((started, time.monotonic(), status, version))
                i += args.clients

        threads = [
            threading.Thread(target=client, args=(n,), daemon=True) for n in range(args.clients)
        ]
        for thread in threads:
            thread.start()
        time.sleep(args.seconds / 2)
        switched = time.monotonic()
        set_current(registry, args.version_b)
        time.sleep(args.seconds / 2)
        stop.set()
        for thread in threads:
            thread.join(timeout=30)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)

    before = [end - start for start, end, _, _ in answers if end < switched]
    after = [end - start for start, end, _, _ in answers if end >= switched]
    ends = sorted(end for _, end, _, _ in answers)
    gaps = [b - a for a, b in zip(ends, ends[1:], strict=False)]
    failures = sum(1 for _, _, status, _ in answers if status != 200)
    first_b = min((end for _, end, _, v in answers if v == args.version_b), default=None)
    last_a = max((end for _, end, _, v in answers if v == args.version_a), default=None)
    print(f"requests {len(answers)}, failures {failures}, clients {args.clients}, workers 2")
    print(
        "answered by: "
        + ", ".join(
            f"{v} {sum(1 for a in answers if a[3] == v)}" for v in (args.version_a, args.version_b)
        )
    )
    if first_b is not None and last_a is not None:
        print(
            f"first answer from B {first_b - switched:5.2f} s after the switch; "
            f"last answer from A {last_a - switched:5.2f} s after it"
        )
    print(f"before the switch: {quantiles(before)}")
    print(f"after the switch:  {quantiles(after)}")
    print(f"longest gap between two answers: {max(gaps, default=0) * 1e3:.0f} ms")
    log_lines = [
        line
        for line in (work / "gunicorn.log").read_text(errors="replace").splitlines()
        if "serving model" in line or "refusing" in line
    ]
    print("\n".join(log_lines))
    shutil.rmtree(work)
    return 0 if failures == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
