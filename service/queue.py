"""The moderation queue: storing the site's comments, moderators' decisions, the audit log.

No Flask here. Every status change and its audit entry and webhook event are written in one
transaction, so the three never disagree: either all happened or none did.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import Connection, and_, delete, func, insert, or_, select, text, update
from sqlalchemy.exc import IntegrityError

from service import outbox
from service.db import Database
from service.errors import APIError
from service.queue_input import (
    ChangesQuery,
    Cursor,
    DecisionRequest,
    QueueQuery,
    Submission,
    is_identifier,
)
from service.rules import RULES
from service.storage import (
    PENDING,
    PUBLISHED,
    REJECTED,
    STATUSES,
    WITHDRAWN,
    audit_log,
    comment_rules,
    comment_search,
    comments,
    utcnow,
)
from service.text.arabic import normalize_for_matching

# What the scoring engine's verdict means for the site.
VERDICT_STATUS = {"approve": PUBLISHED, "review": PENDING, "reject": REJECTED}
DECISION_STATUS = {"approve": PUBLISHED, "reject": REJECTED}


@dataclass(frozen=True)
class Actor:
    """Who acts: a person (moderator or admin), the site, or the system itself."""

    name: str
    role: str  # system | site | moderator | admin

    @property
    def is_person(self) -> bool:
        return self.role in ("moderator", "admin")


SYSTEM = Actor("system", "system")


def search_key(text: str) -> str:
    """Return the form of ``text`` the queue search compares: the keyword matcher's folding.

    Diacritics, tatweel, alef and hamza variants and case are folded, so a moderator typing
    plain letters finds the comment however it was written. Stored at arrival (search_text).
    """
    return normalize_for_matching(text)


def _iso(value: dt.datetime | None) -> str | None:
    return None if value is None else value.isoformat().replace("+00:00", "Z")


def comment_record(row: Any) -> dict[str, Any]:
    """Return the public JSON form of a stored comment."""
    return {
        "id": row.id,
        "status": row.status,
        "verdict": row.verdict,
        "scores": row.scores,
        "flags": row.flags,
        "matches": row.matches,
        "reasons": row.reasons,
        "model_version": row.model_version,
        "text": row.text,
        "article_id": row.article_id,
        "article_title": row.article_title,
        "article_url": row.article_url,
        "author_id": row.author_id,
        "author_name": row.author_name,
        "parent_id": row.parent_id,
        "created_at": _iso(row.created_at),
        "received_at": _iso(row.received_at),
        "decided_by": row.decided_by,
        "decided_at": _iso(row.decided_at),
        "rules": row.rules,
    }


def history_record(row: Any) -> dict[str, Any]:
    """Return the public JSON form of one audit entry about a comment."""
    return {"at": _iso(row.at), "actor": row.actor, "role": row.actor_role, "action": row.action,
            "from_status": row.from_status, "to_status": row.to_status, "rules": row.rules,
            "note": row.note}


def find_comment(connection: Connection, comment_id: str, *, lock: bool = False):
    """Return the stored comment row with the site's ``comment_id``, or None."""
    if not is_identifier(comment_id):  # never stored; and PostgreSQL refuses a NUL in a query
        return None
    query = select(comments).where(comments.c.id == comment_id)
    if lock:  # PostgreSQL: serialize decisions on one comment. SQLite's writer lock does it.
        query = query.with_for_update()
    return connection.execute(query).first()


def get_comment(connection: Connection, comment_id: str):
    """Return the stored comment row.

    :raise APIError 404: when no comment has that id.
    :raise APIError 410: when the site withdrew it.
    """
    row = find_comment(connection, comment_id)
    if row is None:
        raise APIError(404, f"no comment with id {comment_id!r}")
    if row.status == WITHDRAWN:
        raise _withdrawn(comment_id)
    return row


def _withdrawn(comment_id: str) -> APIError:
    return APIError(410, f"comment {comment_id!r} was withdrawn by the site (deleted there): its "
                         "text and author are erased, and there is nothing left to read or decide")


def comment_history(connection: Connection, comment_pk: int) -> list[dict[str, Any]]:
    """Return the comment's audit entries, oldest first."""
    rows = connection.execute(select(audit_log).where(audit_log.c.comment_pk == comment_pk)
                              .order_by(audit_log.c.id))
    return [history_record(row) for row in rows]


def _same_text(stored: str, sent: str) -> bool:
    """Whether a retry sends the text stored, as a reader would see it: a site that trims the
    text, or saves it in another Unicode form (é as e + accent), between two attempts is still
    retrying, not sending another comment."""
    return (stored == sent or unicodedata.normalize("NFC", stored).strip()
            == unicodedata.normalize("NFC", sent).strip())


def _same_or_conflict(row, submission: Submission):
    if row.status == WITHDRAWN:
        # Its text is erased, so a retry cannot be told from a new comment; and storing it again
        # would bring back what the reader (or the site) asked to be deleted.
        raise APIError(409, f"comment {submission.id!r} was withdrawn by the site and its text "
                            "erased; an id is not used again: send the comment under a new id")
    if not _same_text(row.text, submission.text):
        raise APIError(409, f"comment {submission.id!r} is already stored with a different text; "
                            "send a new id for a new comment")
    return row


def receive_comment(db: Database, submission: Submission,
                    score: Callable[[str], Any]) -> tuple[dict[str, Any], bool]:
    """Store and score a comment from the site; return (record, created).

    A retry of a stored comment returns the stored record (created False) without scoring it
    again; the same id with another text is a conflict.

    :raise APIError 409: when the id is stored with a different text, or was withdrawn.
    """
    with db.reading() as connection:
        existing = find_comment(connection, submission.id)
    if existing is not None:
        return comment_record(_same_or_conflict(existing, submission)), False
    decision = score(submission.text)  # outside the write transaction: scoring holds no lock
    try:
        with db.transaction() as connection:
            existing = find_comment(connection, submission.id)
            if existing is not None:
                return comment_record(_same_or_conflict(existing, submission)), False
            row = _insert_comment(connection, submission, decision, utcnow())
            return comment_record(row), True
    except IntegrityError:
        # PostgreSQL: a concurrent request stored the same id between our check and insert.
        with db.reading() as connection:
            existing = find_comment(connection, submission.id)
        if existing is None:  # pragma: no cover, an integrity error on some other constraint
            raise
        return comment_record(_same_or_conflict(existing, submission)), False


def _insert_comment(connection: Connection, submission: Submission, decision, now: dt.datetime):
    status = VERDICT_STATUS[decision.verdict]
    flags = list(decision.flags)
    public = decision.to_dict()  # stored exactly as POST /v1/moderate shows it (rounded scores)
    pk = connection.execute(insert(comments).values(
        id=submission.id, text=submission.text,
        article_id=submission.article_id, article_title=submission.article_title,
        article_url=submission.article_url, author_id=submission.author_id,
        author_name=submission.author_name, parent_id=submission.parent_id,
        created_at=submission.created_at, received_at=now, status=status,
        verdict=decision.verdict, max_score=max(public["scores"].values(), default=0.0),
        scores=public["scores"], flags=flags, matches=public["matches"],
        reasons=public["reasons"], model_version=decision.model_version,
        decided_by=SYSTEM.name, decided_at=now, rules=flags, human_decided=False,
    ).returning(comments.c.pk)).scalar_one()
    connection.execute(insert(comment_search).values(comment_pk=pk, status=status,
                                                     search_text=search_key(submission.text)))
    _file_under(connection, pk, flags, status)
    record_audit(connection, SYSTEM, f"system.{decision.verdict}", at=now, comment_pk=pk,
                 to_status=status, rules=flags,
                 note="; ".join(r.detail for r in decision.reasons) or None,
                 detail={"model_version": decision.model_version})
    return connection.execute(select(comments).where(comments.c.pk == pk)).one()


def _file_under(connection: Connection, comment_pk: int, rules: Sequence[str], status: str) -> None:
    """Rewrite the comment's rows in the rule index, with its status."""
    connection.execute(delete(comment_rules).where(comment_rules.c.comment_pk == comment_pk))
    if rules:
        connection.execute(insert(comment_rules), [
            {"comment_pk": comment_pk, "rule": rule, "status": status} for rule in rules])


def record_audit(connection: Connection, actor: Actor, action: str, *,
                 at: dt.datetime | None = None, comment_pk: int | None = None,
                 from_status: str | None = None, to_status: str | None = None,
                 rules: Sequence[str] | None = None, note: str | None = None,
                 detail: dict | None = None) -> None:
    """Append one entry to the audit log."""
    connection.execute(insert(audit_log).values(
        at=at or utcnow(), actor=actor.name, actor_role=actor.role, action=action,
        comment_pk=comment_pk, from_status=from_status, to_status=to_status,
        rules=list(rules) if rules is not None else None, note=note, detail=detail))


@dataclass(frozen=True)
class DecisionOutcome:
    """What a decision did to one comment."""

    record: dict[str, Any]
    result: str  # updated | unchanged
    event_id: str | None  # the webhook event announcing the change, if one was queued


def apply_decision(connection: Connection, comment_id: str, request: DecisionRequest, actor: Actor,
                   *, notify: bool, now: dt.datetime | None = None) -> DecisionOutcome:
    """Record a person's decision on a comment, reversing an earlier one if need be.

    Repeating the latest decision (same person, same verdict, same rules, and no note or the
    same note) changes nothing, so a retried request is harmless. A changed status queues a
    webhook event when ``notify``.

    :raise APIError 404: when no comment has that id.
    :raise APIError 409: when ``expect_status`` is given and the comment is in another status.
    :raise APIError 410: when the site withdrew the comment.
    """
    row = find_comment(connection, comment_id, lock=True)
    if row is None:
        raise APIError(404, f"no comment with id {comment_id!r}")
    if row.status == WITHDRAWN:  # checked under the lock: a withdrawal may have just committed
        raise _withdrawn(comment_id)
    # The clock is read once the row is locked, so decisions on one comment are stamped in the
    # order they are applied, and a site that keeps the latest `at` keeps the latest decision.
    now = now or utcnow()
    status = DECISION_STATUS[request.decision]
    if request.rules is not None:
        rules = list(request.rules)
    else:
        rules = [r for r in RULES if r in row.flags] if status == "rejected" else []
    # A person repeating their own decision (a double click, a retried request) is not a
    # conflict, even though the status is no longer the one they saw.
    if (row.human_decided and row.status == status and row.decided_by == actor.name
            and list(row.rules) == rules
            # A new note ("author warned") is recorded, as a decision that keeps the status.
            and request.note in (None, _latest_note(connection, row.pk))):
        return DecisionOutcome(comment_record(row), "unchanged", None)
    if request.expect_status and row.status != request.expect_status:
        raise APIError(409, f"comment {comment_id!r} is {row.status} now, not "
                            f"{request.expect_status}: {row.decided_by} decided it")
    connection.execute(update(comments).where(comments.c.pk == row.pk).values(
        status=status, decided_by=actor.name, decided_at=now, rules=rules, human_decided=True))
    _file_under(connection, row.pk, sorted(set(row.flags) | set(rules), key=RULES.index), status)
    connection.execute(update(comment_search).where(comment_search.c.comment_pk == row.pk)
                       .values(status=status))
    reverses = row.human_decided and row.status != status
    record_audit(connection, actor, f"decision.{request.decision}", at=now, comment_pk=row.pk,
                 from_status=row.status, to_status=status, rules=rules, note=request.note,
                 detail={"reverses": row.decided_by} if reverses else None)
    event_id = None
    if notify and status != row.status:
        event_id = outbox.enqueue(connection, row.pk, comment_id=row.id, status=status,
                                  decided_by=actor.name, rules=rules, at=now)
    updated = connection.execute(select(comments).where(comments.c.pk == row.pk)).one()
    return DecisionOutcome(comment_record(updated), "updated", event_id)


# PostgreSQL numbers audit entries when they are written, not when their transaction commits: a
# site reading the changes could see entry 102 before 101 commits, and page past 101 for good. So
# a change is listed once it is this old, and never one after an entry still younger. SQLite
# commits one writer at a time, in id order, so there a change is listed at once.
CHANGES_SETTLE = dt.timedelta(seconds=5)
PEOPLES_DECISIONS = ("decision.approve", "decision.reject")


def list_changes(connection: Connection, query: ChangesQuery,
                 settled_before: dt.datetime | None = None) -> list[dict[str, Any]]:
    """Return the status changes people made after change ``query.after``, oldest first: what
    the webhooks announce, for a site that polls instead. With ``settled_before``, stop before
    the first entry written after that time."""
    newer = [audit_log.c.id > query.after]
    if settled_before is not None:
        unsettled = connection.execute(select(func.min(audit_log.c.id)).where(
            *newer, audit_log.c.at > settled_before)).scalar()
        if unsettled is not None:
            newer.append(audit_log.c.id < unsettled)
    rows = connection.execute(
        select(audit_log.c.id, audit_log.c.at, audit_log.c.actor, audit_log.c.to_status,
               audit_log.c.rules, comments.c.id.label("comment_id"))
        .join(comments, comments.c.pk == audit_log.c.comment_pk)
        .where(*newer, audit_log.c.action.in_(PEOPLES_DECISIONS),
               audit_log.c.from_status != audit_log.c.to_status)
        .order_by(audit_log.c.id).limit(query.limit))
    return [{"change": row.id, "id": row.comment_id, "status": row.to_status,
             "decided_by": row.actor, "rules": list(row.rules or []), "at": _iso(row.at)}
            for row in rows]


def _latest_note(connection: Connection, comment_pk: int) -> str | None:
    return connection.execute(select(audit_log.c.note).where(audit_log.c.comment_pk == comment_pk)
                              .order_by(audit_log.c.id.desc()).limit(1)).scalar()


def decide(db: Database, comment_id: str, request: DecisionRequest, actor: Actor,
           *, notify: bool) -> DecisionOutcome:
    """Record one decision in its own transaction (see apply_decision)."""
    with db.transaction() as connection:
        return apply_decision(connection, comment_id, request, actor, notify=notify)


def decide_many(db: Database, comment_ids: Sequence[str], request: DecisionRequest, actor: Actor,
                *, notify: bool, expect_status: Mapping[str, str] | None = None
                ) -> list[dict[str, Any]]:
    """Apply one decision to many comments in one transaction; report each id's result.

    ``expect_status`` gives some ids their own expected status (the one the moderator saw), in
    place of the request's. A missing id, a status conflict or a withdrawn comment is reported
    for that id and does not stop the others.
    """
    results = []
    with db.transaction() as connection:
        # PostgreSQL: lock every row first, in one order, so two overlapping bulk decisions
        # listed in different orders wait for each other instead of deadlocking.
        connection.execute(select(comments.c.pk).where(comments.c.id.in_(
            [i for i in comment_ids if is_identifier(i)])).order_by(comments.c.pk)
            .with_for_update()).all()
        for comment_id in comment_ids:
            one = request
            if expect_status and comment_id in expect_status:
                one = replace(request, expect_status=expect_status[comment_id])
            try:  # a 404, 409 or 410 is raised before anything is written for that id
                outcome = apply_decision(connection, comment_id, one, actor, notify=notify)
            except APIError as error:
                result = {404: "not_found", 409: "conflict", 410: "withdrawn"}[error.code]
                results.append({"id": comment_id, "result": result, "message": error.description})
                continue
            results.append({"id": comment_id, "result": outcome.result,
                            "status": outcome.record["status"]})
    return results


# --- Withdrawal: the site deleted the comment -------------------------------------------------

WITHDRAWAL = "site.withdraw"


def withdraw_comment(db: Database, comment_id: str, actor: Actor,
                     now: dt.datetime | None = None) -> bool:
    """Withdraw a comment the site deleted; return False when it was withdrawn already.

    The site deletes a comment when its author does, when it removes it, or when a reader asks
    for their data to be erased, so this erases rather than hides: the text, the author's id and
    name, the matches and reasons (listed terms at offsets into the text: pieces of it) and
    every note of its history (moderators quote what they decide) are overwritten in the row,
    and its rows in the rule and search indexes are deleted, so no tab, count, filter or search
    finds it again. What the audit needs stays: the id, the article, when it arrived, the
    service's verdict and scores, each status change with who made it and when, and an entry
    for this withdrawal by ``actor``. No webhook event is queued (the site made the change), and
    none is listed by list_changes; events queued before carry no text or name and still go out.

    :raise APIError 404: when no comment has that id.
    """
    with db.transaction() as connection:
        row = find_comment(connection, comment_id, lock=True)
        if row is None:
            raise APIError(404, f"no comment with id {comment_id!r}")
        if row.status == WITHDRAWN:
            return False  # a retried DELETE: nothing left to do, nothing more to record
        now = now or utcnow()
        # author_id is NOT NULL, and "" is no id (ID_PATTERN needs a character): no filter,
        # author summary or author history can meet it.
        connection.execute(update(comments).where(comments.c.pk == row.pk).values(
            status=WITHDRAWN, text="", author_id="", author_name=None, matches=[], reasons=[]))
        connection.execute(delete(comment_rules).where(comment_rules.c.comment_pk == row.pk))
        connection.execute(delete(comment_search).where(comment_search.c.comment_pk == row.pk))
        connection.execute(update(audit_log).where(audit_log.c.comment_pk == row.pk)
                           .values(note=None))
        record_audit(connection, actor, WITHDRAWAL, at=now, comment_pk=row.pk,
                     from_status=row.status, to_status=WITHDRAWN)
    return True


# --- Listing -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class QueuePage:
    """One page of a queue listing."""

    rows: list[Any]
    next_cursor: str | None
    counts: dict[str, int]


def _driver(query: QueueQuery, dialect: str):
    """Return (table, its comment key, its status column, conditions) to drive a listing.

    A text search reads comment_search and a rule filter reads comment_rules: both are narrow
    copies holding the status, so counting them reads a fraction of the comments table. On
    SQLite a search of 3+ characters first asks the trigram index which rows can match.
    """
    if query.search:
        key = search_key(query.search)
        pattern = "%" + _escape_like(key) + "%"
        conditions = [comment_search.c.search_text.like(pattern, escape="\\")]
        if dialect == "sqlite" and len(key) >= 3:
            phrase = '"' + key.replace('"', '""') + '"'
            conditions.insert(0, comment_search.c.comment_pk.in_(
                text("SELECT rowid FROM comment_search_fts WHERE comment_search_fts MATCH :phrase")
                .bindparams(phrase=phrase)))
        if query.rule:
            conditions.append(comment_search.c.comment_pk.in_(
                select(comment_rules.c.comment_pk).where(comment_rules.c.rule == query.rule)))
        return comment_search, comment_search.c.comment_pk, comment_search.c.status, conditions
    if query.rule:
        return (comment_rules, comment_rules.c.comment_pk, comment_rules.c.status,
                [comment_rules.c.rule == query.rule])
    return comments, comments.c.pk, comments.c.status, []


def _comment_filters(query: QueueQuery) -> list:
    conditions = []
    if query.article_id:
        conditions.append(comments.c.article_id == query.article_id)
    if query.author_id:
        conditions.append(comments.c.author_id == query.author_id)
    if query.decided_by:
        conditions.append(comments.c.human_decided == (query.decided_by == "person"))
    if query.since:
        conditions.append(comments.c.received_at >= query.since)
    if query.until:
        conditions.append(comments.c.received_at < query.until)
    return conditions


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _after(cursor: Cursor, key):
    if cursor.sort == "oldest":
        return key > cursor.pk
    if cursor.sort == "newest":
        return key < cursor.pk
    return or_(comments.c.max_score < cursor.score,
               and_(comments.c.max_score == cursor.score, comments.c.pk > cursor.pk))


def _order(sort: str, key):
    if sort == "oldest":
        return (key.asc(),)
    if sort == "newest":
        return (key.desc(),)
    return (comments.c.max_score.desc(), comments.c.pk.asc())


def list_queue(connection: Connection, query: QueueQuery) -> QueuePage:
    """Return one page of comments matching ``query`` and the count in each status."""
    table, key, status, conditions = _driver(query, connection.dialect.name)
    extra = _comment_filters(query)
    counting = select(status, func.count()).select_from(table)
    if extra and table is not comments:
        counting = counting.join(comments, comments.c.pk == key)
    counts = dict.fromkeys(STATUSES, 0)
    counting = counting.where(*conditions, *extra).group_by(status)
    # Withdrawn comments have no rows in the rule and search tables; in the comments table they
    # are one more group here, dropped, rather than a condition on every count.
    counts.update((s, n) for s, n in connection.execute(counting).all() if s in counts)

    page = select(comments)
    if table is not comments:
        page = page.select_from(table.join(comments, comments.c.pk == key))
    page = page.where(*conditions, *extra)
    if query.status:
        page = page.where(status == query.status)
    elif table is comments:
        page = page.where(status != WITHDRAWN)
    if query.cursor:
        page = page.where(_after(query.cursor, key))
    rows = connection.execute(page.order_by(*_order(query.sort, key)).limit(query.limit + 1)).all()
    next_cursor = None
    if len(rows) > query.limit:
        rows = rows[:query.limit]
        last = rows[-1]
        next_cursor = Cursor(query.sort, last.max_score if query.sort == "score" else None,
                             last.pk).encode()
    return QueuePage(rows, next_cursor, counts)


def author_summaries(connection: Connection,
                     author_ids: Sequence[str]) -> dict[str, dict[str, int]]:
    """Return, per author, how many comments are stored and how many of them are rejected."""
    if not author_ids:
        return {}
    rows = connection.execute(
        select(comments.c.author_id, comments.c.status, func.count())
        .where(comments.c.author_id.in_(set(author_ids)))
        .group_by(comments.c.author_id, comments.c.status))
    summaries = {a: {"total": 0, "rejected": 0, "pending": 0, "published": 0} for a in author_ids}
    for author_id, status, count in rows:
        summaries[author_id]["total"] += count
        summaries[author_id][status] = count
    return summaries


def author_history(connection: Connection, author_id: str, *, before_pk: int | None = None,
                   limit: int = 10) -> list[Any]:
    """Return the author's latest comments (before ``before_pk`` if given), newest first."""
    query = select(comments).where(comments.c.author_id == author_id)
    if before_pk is not None:
        query = query.where(comments.c.pk < before_pk)
    return connection.execute(query.order_by(comments.c.pk.desc()).limit(limit)).all()
