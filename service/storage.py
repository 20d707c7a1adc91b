"""The tables. Schema changes go through a new migration in service/migrations/versions/;
tests/queue/test_migrations.py fails when this file and the migrations disagree."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    DDL,
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    event,
)
from sqlalchemy.types import TypeDecorator

# Statuses a comment can be in: what the site shows, holds or hides.
PUBLISHED, PENDING, REJECTED = "published", "pending", "rejected"
STATUSES = (PUBLISHED, PENDING, REJECTED)
# A comment the site deleted (DELETE /v1/comments/<id>): its text and author are erased and it
# is out of the queue for good. Not one of STATUSES: no tab lists it, no count counts it, no
# decision or filter takes it. The column is a plain string, so it needs no migration.
WITHDRAWN = "withdrawn"

metadata = MetaData(naming_convention={
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
})

# SQLite only auto-increments INTEGER PRIMARY KEY; PostgreSQL gets a 64-bit key.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class UTCDateTime(TypeDecorator):
    """A UTC instant: stored without a zone on every backend, always read back as aware UTC."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None and value.tzinfo is not None:
            value = value.astimezone(dt.UTC).replace(tzinfo=None)
        return value

    def process_result_value(self, value, dialect):
        if value is not None:
            value = value.replace(tzinfo=dt.UTC)
        return value


def utcnow() -> dt.datetime:
    """Return the current time as an aware UTC datetime."""
    return dt.datetime.now(dt.UTC)


comments = Table(
    "comments", metadata,
    # Arrival order: the queue's "age" sort and its cursors use this key.
    Column("pk", BigId, primary_key=True, autoincrement=True),
    Column("id", String(200), nullable=False, unique=True),  # the site's comment id
    Column("text", Text, nullable=False),
    Column("article_id", String(200), nullable=False),
    Column("article_title", Text),
    Column("article_url", Text),
    Column("author_id", String(200), nullable=False),
    Column("author_name", Text),
    Column("parent_id", String(200)),
    Column("created_at", UTCDateTime),  # when the site says it was written
    Column("received_at", UTCDateTime, nullable=False),
    Column("status", String(16), nullable=False),
    Column("verdict", String(16), nullable=False),  # the system's verdict at arrival
    Column("max_score", Float, nullable=False),
    Column("scores", JSON, nullable=False),
    Column("flags", JSON, nullable=False),
    Column("matches", JSON, nullable=False),
    Column("reasons", JSON, nullable=False),
    Column("model_version", String(100), nullable=False),
    Column("decided_by", String(200), nullable=False),  # "system" until a person decides
    Column("decided_at", UTCDateTime, nullable=False),
    Column("rules", JSON, nullable=False),  # the rules of the latest decision
    Column("human_decided", Boolean, nullable=False, default=False),
)
Index("ix_comments_status_pk", comments.c.status, comments.c.pk)
Index("ix_comments_status_score", comments.c.status, comments.c.max_score, comments.c.pk)
Index("ix_comments_author_status", comments.c.author_id, comments.c.status, comments.c.pk)
Index("ix_comments_article_status", comments.c.article_id, comments.c.status, comments.c.pk)
Index("ix_comments_received_at", comments.c.received_at)
# The published comments the service decided alone, highest score first (decided_by=system),
# and the counts under that filter, read from the index instead of the wide rows.
Index("ix_comments_status_decider_score", comments.c.status, comments.c.human_decided,
      comments.c.max_score, comments.c.pk)

# Two narrow companions of ``comments`` that keep the queue's filters fast at 100,000+ rows: a
# scan or count over them reads a fraction of the bytes of the wide comments table. Each copies
# the comment's status, and service/queue.py rewrites both in the transaction that changes it.
#
# The rules a comment is filed under: the system's flags plus the rules of the current decision.
comment_rules = Table(
    "comment_rules", metadata,
    Column("comment_pk", BigId, ForeignKey("comments.pk", ondelete="CASCADE"), primary_key=True),
    Column("rule", String(32), primary_key=True),
    Column("status", String(16), nullable=False),
)
# One index serves a rule filter within a status, the other a rule filter over every status in
# arrival order (without it, listing "all" under a rule sorts every matching row).
Index("ix_comment_rules_rule_status", comment_rules.c.rule, comment_rules.c.status,
      comment_rules.c.comment_pk)
Index("ix_comment_rules_rule_pk", comment_rules.c.rule, comment_rules.c.comment_pk)

# The text as the search compares it (folded like the keyword matcher folds).
comment_search = Table(
    "comment_search", metadata,
    Column("comment_pk", BigId, ForeignKey("comments.pk", ondelete="CASCADE"), primary_key=True),
    Column("status", String(16), nullable=False),
    Column("search_text", Text, nullable=False),
)

# A substring search must not read every row. SQLite: an FTS5 trigram index over comment_search,
# kept in step by triggers. PostgreSQL: a pg_trgm GIN index, which LIKE '%...%' uses by itself.
# The migration creates the same objects; these statements serve create_all (test databases).
SEARCH_INDEX_NAMES = ("comment_search_fts", "ix_comment_search_trgm")
SQLITE_SEARCH_INDEX = (
    "CREATE VIRTUAL TABLE comment_search_fts USING fts5(search_text, content='comment_search', "
    "content_rowid='comment_pk', tokenize='trigram')",
    "CREATE TRIGGER comment_search_ai AFTER INSERT ON comment_search BEGIN "
    "INSERT INTO comment_search_fts(rowid, search_text) "
    "VALUES (new.comment_pk, new.search_text); END",
    "CREATE TRIGGER comment_search_ad AFTER DELETE ON comment_search BEGIN "
    "INSERT INTO comment_search_fts(comment_search_fts, rowid, search_text) "
    "VALUES ('delete', old.comment_pk, old.search_text); END",
    "CREATE TRIGGER comment_search_au AFTER UPDATE OF search_text ON comment_search BEGIN "
    "INSERT INTO comment_search_fts(comment_search_fts, rowid, search_text) "
    "VALUES ('delete', old.comment_pk, old.search_text); "
    "INSERT INTO comment_search_fts(rowid, search_text) "
    "VALUES (new.comment_pk, new.search_text); END",
)
POSTGRES_SEARCH_INDEX = (
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX ix_comment_search_trgm ON comment_search USING gin (search_text gin_trgm_ops)",
)
for _statement in SQLITE_SEARCH_INDEX:
    event.listen(comment_search, "after_create", DDL(_statement).execute_if(dialect="sqlite"))
for _statement in POSTGRES_SEARCH_INDEX:
    event.listen(comment_search, "after_create", DDL(_statement).execute_if(dialect="postgresql"))


def is_search_index(name: str | None) -> bool:
    """Return True for the search index objects that live outside the table metadata."""
    return bool(name) and name.startswith(SEARCH_INDEX_NAMES)

# Every action by the system or a person: who, when, what, why, from which status.
audit_log = Table(
    "audit_log", metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("at", UTCDateTime, nullable=False),
    Column("actor", String(200), nullable=False),  # a user name, "system" or "site"
    Column("actor_role", String(16), nullable=False),  # system | site | moderator | admin
    Column("action", String(64), nullable=False),
    Column("comment_pk", BigId, ForeignKey("comments.pk", ondelete="CASCADE")),
    Column("from_status", String(16)),
    Column("to_status", String(16)),
    Column("rules", JSON),
    Column("note", Text),
    Column("detail", JSON),
)
Index("ix_audit_log_comment_pk_id", audit_log.c.comment_pk, audit_log.c.id)

# Webhook events, written in the same transaction as the status change they announce.
outbox = Table(
    "outbox", metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("event_id", String(36), nullable=False, unique=True),
    Column("comment_pk", BigId, ForeignKey("comments.pk", ondelete="CASCADE"), nullable=False),
    Column("body", Text, nullable=False),  # the exact JSON that is signed and sent
    Column("created_at", UTCDateTime, nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", UTCDateTime, nullable=False),
    Column("lease_owner", String(100)),
    Column("lease_until", UTCDateTime),
    Column("delivered_at", UTCDateTime),
    Column("last_status", Integer),
    Column("last_error", Text),
)
Index("ix_outbox_pending", outbox.c.next_attempt_at, outbox.c.id,
      sqlite_where=outbox.c.delivered_at.is_(None),
      postgresql_where=outbox.c.delivered_at.is_(None))
Index("ix_outbox_comment_pk_id", outbox.c.comment_pk, outbox.c.id)

users = Table(
    "users", metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("name", String(100), nullable=False, unique=True),
    Column("password_hash", String(255), nullable=False),
    Column("role", String(16), nullable=False),  # moderator | admin
    Column("active", Boolean, nullable=False, default=True),
    Column("created_at", UTCDateTime, nullable=False),
)

# Only a hash of each token is kept: a leaked database does not leak working tokens.
api_tokens = Table(
    "api_tokens", metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("user_id", BigId, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("created_at", UTCDateTime, nullable=False),
)

# One row per browser login. The signed cookie names its row, so logging out, a new password or
# a deactivated account ends the session on the server: a copied cookie stops working.
login_sessions = Table(
    "login_sessions", metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("user_id", BigId, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("ended_at", UTCDateTime),
)
Index("ix_login_sessions_user_id", login_sessions.c.user_id)

# Failed logins by account name and client address: ten in fifteen minutes from one address and
# the name is refused to that address for a while, a hundred from all addresses together and it
# is refused to every address but those in login_addresses, so a password cannot be guessed at
# the rate the server can check it (about 19 tries a second), and a stranger failing on purpose
# locks out only themselves (service/accounts.py). Rows from before the address was kept have
# address ''.
login_failures = Table(
    "login_failures", metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("name", String(100), nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Column("address", String(45), nullable=False, server_default=""),
)
# Serves the count from one address (the whole key) and the count over every address (the name
# prefix: a name has at most about a hundred recent rows, since a refused login records nothing).
Index("ix_login_failures_name_address_at", login_failures.c.name, login_failures.c.address,
      login_failures.c.at)

# The client addresses each account has logged in from lately (an IPv6 client as its /64, as in
# login_failures). A name refused to everyone after a hundred failures from all addresses together
# still opens from these, so an attacker with many addresses cannot lock a moderator out of the
# addresses they work from (service/accounts.py).
login_addresses = Table(
    "login_addresses", metadata,
    Column("user_id", BigId, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("address", String(45), primary_key=True),
    Column("last_at", UTCDateTime, nullable=False),
)

# Keyword entries added or hidden by admins, layered over the files in KEYWORD_DIR.
keyword_overrides = Table(
    "keyword_overrides", metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("rule", String(32), nullable=False),
    Column("level", String(16), nullable=False),  # block | suspect | allow | denial
    Column("term", String(200), nullable=False),
    Column("action", String(8), nullable=False),  # add | remove
    Column("note", Text),
    Column("created_by", String(100), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    UniqueConstraint("rule", "level", "term"),
)

# Small shared state: the threshold overrides and the version counter that tells every worker
# its keyword lists or thresholds are stale.
settings = Table(
    "settings", metadata,
    Column("key", String(64), primary_key=True),
    Column("value", JSON, nullable=False),
    Column("version", BigInteger, nullable=False, default=0),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("updated_by", String(100)),
)
