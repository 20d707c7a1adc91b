"""How fast the moderation queue answers with many stored comments.

    python -m benchmarks.queue_pages [--comments 100000] [--requests 200] [--database-url URL]

Seeds a fresh database (a temporary SQLite file unless --database-url names an empty migrated
one) with synthetic comments spread over statuses, rules, articles and authors, then times the
queue's JSON and HTML pages in process (the Flask app and the database, without the network),
printing p50 and p99 per page. The target is under 200 ms with 100,000 comments. Scoring is not
timed here (benchmarks/scoring.py does that).
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import insert

from service import create_app
from service.accounts import create_user, issue_token
from service.db import get_db_of, upgrade
from service.queue import search_key
from service.rules import RULES
from service.storage import (
    PENDING,
    PUBLISHED,
    REJECTED,
    audit_log,
    comment_rules,
    comment_search,
    comments,
)

ROOT = Path(__file__).resolve().parent.parent
WORDS = ["الحكومة", "الماء", "المغرب", "الوزير", "مزيان", "بزاف", "التعليم", "الصحة", "الطرق",
         "الشباب", "خدمة", "الثمن", "السوق", "البرلمان", "la", "ville", "prix", "route", "hchouma",
         "mzyan", "bzaf", "مكلخ", "الانتخابات", "الرياضة", "الكرة", "الفريق", "المدرب"]
SITE_KEY = "benchmark-site-key-0123456789"


def percentiles(samples: list[float]) -> tuple[float, float]:
    """Return p50 and p99 in milliseconds."""
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, int(round(0.99 * (len(ordered) - 1))))]
    return statistics.median(ordered) * 1000, p99 * 1000


def synthetic_rows(count: int, rng: random.Random):
    """Yield (comment, rules) rows: 30% pending, 55% published, 15% rejected."""
    # One comment every 25 s, the last one now: the last day (GET /metrics) holds 3,456.
    start = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=25 * count)
    for n in range(count):
        status = rng.choices([PENDING, PUBLISHED, REJECTED], [30, 55, 15])[0]
        scores = {rule: round(rng.random() ** 3, 4) for rule in RULES}
        flags = [r for r in RULES if scores[r] > 0.5]
        if not flags and status != PUBLISHED:
            flags = [rng.choice(RULES)]
        text = " ".join(rng.choices(WORDS, k=rng.randint(4, 30)))
        matches = []
        if "مكلخ" in text:
            start_at = text.index("مكلخ")
            matches = [{"rule": "insult", "level": "suspect", "term": "مكلخ", "start": start_at,
                        "end": start_at + 4}]
        at = start + dt.timedelta(seconds=n * 25)
        # A quarter of the decided comments were decided by a person (no draw from rng, so the
        # rest of the rows are those of earlier rounds).
        by_person = status != PENDING and n % 4 == 0
        yield {
            "id": f"bench-{n}", "text": text,
            "article_id": f"a{rng.randint(1, 2000)}", "article_title": "مقال رقم " + str(n % 2000),
            "article_url": f"https://news.example/a/{n % 2000}",
            "author_id": f"u{rng.randint(1, 8000)}",
            "author_name": None, "parent_id": None, "created_at": at, "received_at": at,
            "status": status, "verdict": {PENDING: "review", PUBLISHED: "approve",
                                          REJECTED: "reject"}[status],
            "max_score": max(scores.values()), "scores": scores, "flags": flags, "matches": matches,
            "reasons": [], "model_version": "benchmark",
            "decided_by": "bench" if by_person else "system", "decided_at": at,
            "rules": flags, "human_decided": by_person,
        }, flags


def seed(app, count: int, seed_value: int = 1) -> float:
    """Insert ``count`` comments (with their rules and one audit entry each); return seconds."""
    rng = random.Random(seed_value)
    database = get_db_of(app)
    began = time.perf_counter()
    batch: list[tuple[dict, list]] = []

    def flush():
        with database.transaction() as connection:
            returning = insert(comments).returning(comments.c.pk, sort_by_parameter_order=True)
            pks = connection.execute(returning, [row for row, _ in batch]).scalars().all()
            rules = [{"comment_pk": pk, "rule": r, "status": row["status"]}
                     for pk, (row, flags) in zip(pks, batch, strict=True) for r in flags]
            if rules:
                connection.execute(insert(comment_rules), rules)
            connection.execute(insert(comment_search), [
                {"comment_pk": pk, "status": row["status"], "search_text": search_key(row["text"])}
                for pk, (row, _) in zip(pks, batch, strict=True)])
            connection.execute(insert(audit_log), [
                {"at": row["received_at"], "actor": "system", "actor_role": "system",
                 "action": f"system.{row['verdict']}", "comment_pk": pk, "to_status": row["status"],
                 "rules": row["rules"]} for pk, (row, _) in zip(pks, batch, strict=True)])
        batch.clear()

    for item in synthetic_rows(count, rng):
        batch.append(item)
        if len(batch) == 5000:
            flush()
    if batch:
        flush()
    return time.perf_counter() - began


def model_dir(tmp: Path) -> str:
    """The project's model if one is built, else a tiny one trained from the test fixture."""
    models = ROOT / "models"
    if (models / "current").exists():
        return str(models)
    from training.train import TrainingParams, train

    corpus = tmp / "corpus"
    corpus.mkdir()
    fixture = ROOT / "tests" / "fixtures" / "tiny_corpus.jsonl"
    (corpus / "tiny.jsonl").write_bytes(fixture.read_bytes())
    train([], tmp / "models", TrainingParams(min_df=1, max_features=20_000), progress=False,
          corpus_dir=corpus)
    return str(tmp / "models")


def main(argv: list[str] | None = None) -> int:
    """Seed, time every page, print a table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--comments", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=200, help="timed requests per page")
    parser.add_argument("--database-url", default=None, help="an empty, migrated database")
    parser.add_argument("--reuse", action="store_true",
                        help="time the comments already in --database-url instead of seeding")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        url = args.database_url
        if url is None:
            url = f"sqlite:///{tmp / 'bench.db'}"
            upgrade(url)
        app = create_app({"DATABASE_URL": url, "MODEL_DIR": model_dir(tmp), "API_KEYS": [SITE_KEY],
                          "SECRET_KEY": "benchmark-secret-key-0123456789",
                          # Seeding speed only: the timed reads do not depend on it.
                          "SQLITE_SYNCHRONOUS": "NORMAL"})
        with get_db_of(app).transaction() as connection:
            if not args.reuse:
                create_user(connection, "bench", "admin", "benchmark password")
        if not args.reuse:
            seconds = seed(app, args.comments)
            print(f"seeded {args.comments:,} comments into {get_db_of(app).url.get_backend_name()} "
                  f"in {seconds:.1f}s")
        with get_db_of(app).transaction() as connection:
            token = issue_token(connection, "bench")
        client = app.test_client()
        api = {"Authorization": f"Bearer {token}"}
        page = client.post("/review/login", data={
            "username": "bench", "password": "benchmark password", "csrf_token": _csrf(client)})
        assert page.status_code == 302, page.status_code
        deep = _cursor_after(client, api, pages=50)
        pages = [
            ("JSON pending, oldest first", "/v1/queue", api),
            ("JSON pending, by score", "/v1/queue?sort=score", api),
            ("JSON all, rule=insult", "/v1/queue?status=all&rule=insult", api),
            ("JSON rejected, one author", "/v1/queue?status=rejected&author=u77", api),
            ("JSON search, a word in 45% of rows",
             "/v1/queue?status=all&q=%D9%85%D9%83%D9%84%D8%AE", api),
            ("JSON search, a rare phrase", "/v1/queue?status=all&q=ville%20route%20prix", api),
            ("JSON published by the service, by score",
             "/v1/queue?status=published&decided_by=system&sort=score", api),
            ("JSON page 51 (cursor)", f"/v1/queue?cursor={deep}", api),
            ("JSON one comment + history", "/v1/comments/bench-500", api),
            ("metrics for Prometheus (GET /metrics)", "/metrics", api),
            ("HTML queue, pending", "/review/queue", {}),
            ("HTML queue, rejected by score", "/review/queue?status=rejected&sort=score", {}),
            ("HTML published by the service, by score",
             "/review/queue?status=published&decided_by=system&sort=score", {}),
            ("HTML comment page", "/review/comments/bench-500", {}),
            ("HTML settings (a week of verdicts and decisions)", "/review/settings", {}),
        ]
        print(f"{'page':42} {'p50 ms':>8} {'p99 ms':>8}   "
              f"({args.requests} requests each, 50 comments per page)")
        worst = 0.0
        for name, url_path, headers in pages:
            for _ in range(5):  # warm caches
                client.get(url_path, headers=headers)
            samples = []
            for _ in range(args.requests):
                began = time.perf_counter()
                response = client.get(url_path, headers=headers)
                samples.append(time.perf_counter() - began)
                assert response.status_code == 200, (url_path, response.status_code)
            p50, p99 = percentiles(samples)
            worst = max(worst, p99)
            print(f"{name:42} {p50:8.1f} {p99:8.1f}")
        print(f"worst p99: {worst:.1f} ms (target: under 200 ms)")
        get_db_of(app).dispose()
    return 0


def _csrf(client) -> str:
    client.get("/review/login")
    with client.session_transaction() as session:
        return session["csrf"]


def _cursor_after(client, headers: dict, pages: int) -> str:
    cursor = None
    for _ in range(pages):
        url = "/v1/queue" + (f"?cursor={cursor}" if cursor else "")
        cursor = client.get(url, headers=headers).get_json()["next_cursor"]
    return cursor


if __name__ == "__main__":
    sys.exit(main())
