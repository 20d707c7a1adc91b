"""Export moderators' decisions as labelled comments for retraining.

    python -m training.export --out site_labels.jsonl [--database-url URL] [--site NAME]
    python -m training.train --decisions site_labels.jsonl --out models/

Rows are in the unified format of ../shared/data (see its README): ``labels`` per rule, 1, 0 or
null. Only a person's decision is a label; a comment the system decided and no one looked at
says nothing about the model's mistakes, so it is left out. The comment's current status is its
latest decision, so a reversed decision exports as the reversal.

- approved (published by a person): every rule 0;
- rejected with rules: those rules 1, the others null: a moderator who names the rule a comment
  breaks has not said the others are absent (``--unnamed-rules zero`` reads an unticked rule as
  judged absent instead). training.train reads decisions the same way (training/decisions.py);
- rejected without a rule: no per-rule label, so not exported (counted in the summary);
- withdrawn by the site (DELETE /v1/comments/<id>): its text is erased, so there is nothing to
  learn from and nothing to export, whatever a moderator decided before.

The split is the deterministic hash split training.data uses for sources without their own, so
a comment stays in the same split across exports; ``--split train`` puts every row in training.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import create_engine, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from service.config import PROJECT_ROOT
from service.db import database_url_problem
from service.rules import RULES
from service.storage import PUBLISHED, REJECTED, WITHDRAWN, comments
from training.cli import command_parser, reports_user_errors
from training.data import DataError, hash_split

SOURCE = "site"
DIALECT = "unknown (this site's comments)"


def label_row(row, unnamed_rules: int | None = None, split: str | None = None,
              site: str | None = None) -> dict | None:
    """Return the unified-format row for a comment a person decided, or None if it is no label.

    The id is ``site:<comment id>``, or ``site:<site>:<comment id>`` with ``site``: two sites'
    comment ids can meet, and training reads one id with two texts as an edited comment.
    """
    if not row.human_decided or row.status == WITHDRAWN:
        return None
    if row.status == PUBLISHED:
        labels = dict.fromkeys(RULES, 0)
        original = "approve"
    elif row.status == REJECTED and row.rules:
        labels = {rule: 1 if rule in row.rules else unnamed_rules for rule in RULES}
        original = "reject:" + ",".join(row.rules)
    else:
        return None
    row_id = f"{SOURCE}:{site}:{row.id}" if site else f"{SOURCE}:{row.id}"
    return {"id": row_id, "text": row.text, "source": SOURCE,
            "split": split or hash_split(row.text), "dialect": DIALECT, "labels": labels,
            "orig_label": original}


def export_rows(database_url: str, unnamed_rules: int | None = None,
                split: str | None = None, site: str | None = None
                ) -> Iterator[tuple[str, dict | None]]:
    """Yield (kind, row) for every comment a person decided and the site did not withdraw;
    kind says why a row is None.

    :raise DataError: when the database is missing, unreachable or has no comments table.
    """
    check_database_url(database_url)
    check_sqlite_file(database_url)
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            query = (select(comments.c.id, comments.c.text, comments.c.status, comments.c.rules,
                            comments.c.human_decided)
                     .where(comments.c.human_decided, comments.c.status != WITHDRAWN)
                     .order_by(comments.c.pk))
            for row in connection.execution_options(yield_per=1000).execute(query):
                labelled = label_row(row, unnamed_rules, split, site)
                kind = ("no_rule" if labelled is None else
                        "approved" if row.status == PUBLISHED else "rejected")
                yield kind, labelled
    except OperationalError as error:
        shown = make_url(database_url).render_as_string(hide_password=True)
        raise DataError(f"cannot read the comments in {shown}: {error.orig} (is it the "
                        "service's database, migrated with `flask --app service db upgrade`?)"
                        ) from error
    finally:
        engine.dispose()


def check_database_url(database_url: str, option: str = "the database URL") -> None:
    """Refuse a URL that SQLAlchemy cannot parse or has no installed driver for.

    :raise DataError: naming ``option`` and the URL forms that work.
    """
    problem = database_url_problem(database_url)
    if problem:
        raise DataError(f"{option} {problem}")


def check_sqlite_file(database_url: str) -> None:
    """Refuse a SQLite URL naming a file that does not exist.

    SQLite would create an empty file there and the export would then fail on its missing table,
    leaving the stray file behind.
    """
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or url.query.get("uri"):
        return  # a server, or a SQLite URI whose options are SQLite's to interpret
    if url.database and url.database != ":memory:" and not Path(url.database).exists():
        raise DataError(f"no database at {url.database} (`make run` creates the service's); "
                        "name another with the URL you pass (or MODERATION_DATABASE_URL)")


def write_export(database_url: str, out: Path, unnamed_rules: int | None = None,
                 split: str | None = None, site: str | None = None) -> Counter:
    """Write the labels to ``out`` atomically; return how many rows of each kind were seen."""
    if out.is_dir():
        raise DataError(f"--out {out} is a folder: name the file to write")
    check_database_url(database_url)
    counts: Counter = Counter()
    out.parent.mkdir(parents=True, exist_ok=True)
    handle = tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=out.parent, suffix=".tmp",
                                         delete=False)
    try:
        with handle:
            for kind, row in export_rows(database_url, unnamed_rules, split, site):
                counts[kind] += 1
                if row is not None:
                    handle.write(json.dumps(row, ensure_ascii=False) + "\n")
        os.replace(handle.name, out)
    except BaseException:
        # The temporary file holds the comments exported so far: never leave it behind.
        Path(handle.name).unlink(missing_ok=True)
        raise
    return counts


def site_name(value: str) -> str:
    """A --site value: letters, digits, dot, dash and underscore (it becomes part of ids)."""
    if not re.fullmatch(r"[A-Za-z0-9._-]{1,50}", value):
        raise argparse.ArgumentTypeError("1-50 letters, digits, '.', '_' or '-'")
    return value


def default_database_url() -> str:
    """MODERATION_DATABASE_URL, else the service's default SQLite file."""
    return os.environ.get("MODERATION_DATABASE_URL") or \
        f"sqlite:///{PROJECT_ROOT / 'instance' / 'moderation.db'}"


@reports_user_errors
def main(argv: list[str] | None = None) -> int:
    """Export the labels; print a summary to stderr."""
    parser = command_parser("training.export", __doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, required=True, help="the JSONL file to write")
    parser.add_argument("--database-url", default=None,
                        help="default: MODERATION_DATABASE_URL, else instance/moderation.db")
    parser.add_argument("--unnamed-rules", choices=("zero", "null"), default="null",
                        help="label of the rules a rejection did not name (default: null)")
    parser.add_argument("--split", choices=("train", "dev", "test"), default=None,
                        help="put every row in this split instead of the hash split")
    parser.add_argument("--site", type=site_name, default=None,
                        help="name this site in every id (site:NAME:ID), to train on the "
                             "exports of several sites together")
    args = parser.parse_args(argv)
    url = args.database_url or default_database_url()
    check_database_url(url, "--database-url" if args.database_url
                       else "MODERATION_DATABASE_URL" if os.environ.get("MODERATION_DATABASE_URL")
                       else "the database URL")
    counts = write_export(url, args.out, 0 if args.unnamed_rules == "zero" else None, args.split,
                          args.site)
    written = counts["approved"] + counts["rejected"]
    print(f"wrote {written} labelled comments to {args.out} ({counts['approved']} approved, "
          f"{counts['rejected']} rejected with rules; {counts['no_rule']} rejections named no "
          "rule and were left out)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
