"""The database: one SQLAlchemy engine (two for SQLite) per app, transactions as context managers.

SQLite is the embedded default and runs in WAL mode so that readers never wait for the writer.
Write transactions start with ``BEGIN IMMEDIATE``: a deferred transaction that reads and then
writes can fail at once with "database is locked" when another process committed in between,
whereas an immediate one waits (``busy_timeout``) for its turn. Read-only work uses a second
engine whose transactions stay deferred, so page views never queue behind writers.

PostgreSQL (``MODERATION_DATABASE_URL=postgresql+psycopg://...``) uses one pooled engine for both.
Code here and in the storage modules is plain SQLAlchemy Core: no Flask outside ``init_app``.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click
from flask.cli import AppGroup
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError, ProgrammingError
from sqlalchemy.pool import StaticPool

EXTENSION_KEY = "moderation_db"
URL_FORMS = "sqlite:///PATH (sqlite:////ABSOLUTE/PATH) or postgresql+psycopg://USER:PASSWORD@HOST/DB"
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"

# Every Database ever built, so that a forked child (gunicorn with preload) drops the parent's
# pooled connections instead of sharing their sockets and file handles.
_LIVE: weakref.WeakSet[Database] = weakref.WeakSet()


def _after_fork_in_child() -> None:
    for database in list(_LIVE):
        database.forget_connections()


os.register_at_fork(after_in_child=_after_fork_in_child)


class Database:
    """Engines for one database URL and the two kinds of transaction the service needs."""

    def __init__(self, url: str, *, busy_timeout_ms: int = 15_000, synchronous: str = "FULL"):
        self.url = make_url(url)
        self.is_sqlite = self.url.get_backend_name() == "sqlite"
        self.in_memory = self.is_sqlite and self.url.database in (None, "", ":memory:")
        # One in-memory connection is the whole database, so it is shared and used by one
        # thread at a time.
        self._memory_lock = threading.RLock() if self.in_memory else None
        if self.is_sqlite:
            self.writer = self._sqlite_engine("BEGIN IMMEDIATE", busy_timeout_ms, synchronous)
            self.reader = self.writer if self.in_memory else self._sqlite_engine(
                "BEGIN", busy_timeout_ms, synchronous)
        else:
            self.writer = self.reader = create_engine(self.url, pool_pre_ping=True)
        _LIVE.add(self)

    def _sqlite_engine(self, begin: str, busy_timeout_ms: int, synchronous: str) -> Engine:
        if self.in_memory:
            engine = create_engine(self.url, poolclass=StaticPool,
                                   connect_args={"check_same_thread": False})
        else:
            engine = create_engine(self.url, connect_args={"timeout": busy_timeout_ms / 1000})

        @event.listens_for(engine, "connect")
        def _configure(dbapi_connection, _record):
            # Let SQLAlchemy's "begin" event below decide how transactions start.
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            if not self.in_memory:
                cursor.execute("PRAGMA journal_mode=WAL")
                # FULL: a comment answered with 2xx survives a power cut, not only a crash.
                cursor.execute(f"PRAGMA synchronous={synchronous}")
            cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
            cursor.execute("PRAGMA foreign_keys=ON")
            # Overwrite what a write frees, not only unlink it: a withdrawn comment's text must
            # leave the file (queue.withdraw_comment). Debian's SQLite does it by default; other
            # builds (python.org's, macOS's) do not.
            cursor.execute("PRAGMA secure_delete=ON")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _begin(connection):
            connection.exec_driver_sql(begin)

        return engine

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """Yield a connection in a write transaction; commit on success, roll back on error."""
        with self._exclusive(), self.writer.begin() as connection:
            yield connection

    @contextmanager
    def reading(self) -> Iterator[Connection]:
        """Yield a connection in a read-only transaction (one consistent snapshot)."""
        with self._exclusive(), self.reader.begin() as connection:
            yield connection

    @contextmanager
    def _exclusive(self) -> Iterator[None]:
        if self._memory_lock is None:
            yield
            return
        with self._memory_lock:
            yield

    def forget_connections(self) -> None:
        """Drop pooled connections without closing them (they belong to the parent process)."""
        for engine in {self.writer, self.reader}:
            engine.dispose(close=False)

    def dispose(self) -> None:
        """Close every pooled connection."""
        for engine in {self.writer, self.reader}:
            engine.dispose()

    def create_schema(self) -> None:
        """Create the tables directly, without migrations: for throwaway in-memory databases."""
        from service.storage import metadata

        with self.transaction() as connection:
            metadata.create_all(connection)


# What the engines keep of a row after it is overwritten or deleted, until they get round to it.
# SQLite's FTS5 index marks a deleted text's trigrams deleted but keeps them, with their
# positions, in its segments until they are merged (the text can be rebuilt from them);
# "optimize" merges every segment into one. Its write-ahead log keeps old pages until new writes
# reach them; a TRUNCATE checkpoint empties it. PostgreSQL keeps dead row versions until VACUUM.
SQLITE_SEARCH_OPTIMIZE = "INSERT INTO comment_search_fts(comment_search_fts) VALUES ('optimize')"
POSTGRES_VACUUM = "VACUUM comments, comment_search, audit_log"


class PurgeIncomplete(Exception):
    """The purge could not finish (a long read held SQLite's write-ahead log); run it again."""


def purge_erased(database: Database) -> list[str]:
    """Remove the copies the database engine still keeps of erased data (withdrawn comments'
    text, author and notes), and return what was done, one line each.

    Not done at each withdrawal: "optimize" rewrites the whole search index (0.75 s for 100,000
    comments, holding the write lock), so it is run as maintenance (`flask db purge`, daily).

    :raise PurgeIncomplete: when a reader held the write-ahead log for the whole busy timeout.
    """
    done = []
    if database.is_sqlite:
        with database.transaction() as connection:
            connection.exec_driver_sql(SQLITE_SEARCH_OPTIMIZE)
        done.append("search index merged: deleted texts' trigrams removed")
        if not database.in_memory:
            done.append(_truncate_wal(database))
    else:
        with database.writer.connect().execution_options(
                isolation_level="AUTOCOMMIT") as connection:  # VACUUM refuses a transaction
            connection.exec_driver_sql(POSTGRES_VACUUM)
        done.append("comments, comment_search, audit_log vacuumed: dead row versions removed "
                    "(the server's write-ahead log keeps them until it recycles its segments)")
    return done


def _truncate_wal(database: Database) -> str:
    connection = sqlite3.connect(database.url.database, timeout=15)
    try:
        busy, _, _ = connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    finally:
        connection.close()
    if busy:  # a reader held an old snapshot for the whole timeout
        raise PurgeIncomplete("the write-ahead log is in use: its old pages stay until the "
                              "next purge; run it again")
    return "write-ahead log checkpointed and emptied"


def default_database_url(instance_path: str) -> str:
    """Return the embedded default: a SQLite file in the app's instance folder."""
    # Owner only: the database holds readers' comments, accounts and password hashes.
    Path(instance_path).mkdir(mode=0o700, parents=True, exist_ok=True)
    return f"sqlite:///{Path(instance_path) / 'moderation.db'}"


def alembic_config(url: str):
    """Return an Alembic Config that migrates the database at ``url``."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    # ConfigParser interpolation would mangle a '%' in a password.
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "head") -> None:
    """Apply migrations to the database at ``url`` up to ``revision``."""
    from alembic import command

    command.upgrade(alembic_config(url), revision)


def current_revision(url: str) -> str | None:
    """Return the migration revision the database at ``url`` is at (None if never migrated)."""
    from alembic.runtime.migration import MigrationContext

    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()


def database_url_problem(database_url: str) -> str | None:
    """Say why ``database_url`` names no database this service can open (a malformed URL, a
    dialect or driver not installed), with its password hidden; None if it can be opened."""
    try:
        url = make_url(database_url)
    except ArgumentError:
        return f"{database_url!r} is not a database URL: give {URL_FORMS}"
    # SQLAlchemy 1.4 dropped the name "postgres" that hosting services still hand out.
    hint = (" (for PostgreSQL write postgresql+psycopg://)"
            if url.drivername.split("+")[0] == "postgres" else "")
    try:
        url.get_dialect().import_dbapi()
    except (NoSuchModuleError, ImportError):
        return (f"{url.render_as_string(hide_password=True)}: cannot read a {url.drivername}:// "
                f"database (no SQLAlchemy dialect or driver for it is installed){hint}; give "
                f"{URL_FORMS}")
    return None


def init_app(app) -> None:
    """Open the configured database; tests without a DATABASE_URL get a private in-memory one."""
    url = app.config.get("DATABASE_URL")
    if not url:
        url = "sqlite://" if app.testing else default_database_url(app.instance_path)
        app.config["DATABASE_URL"] = url
    problem = database_url_problem(url)
    if problem:
        raise RuntimeError(f"MODERATION_DATABASE_URL {problem}")
    database = Database(url, busy_timeout_ms=int(app.config["SQLITE_BUSY_TIMEOUT_MS"]),
                        synchronous=str(app.config["SQLITE_SYNCHRONOUS"]))
    if database.in_memory:
        database.create_schema()
    app.extensions[EXTENSION_KEY] = database
    app.cli.add_command(db_cli)


def get_db_of(app) -> Database:
    """Return ``app``'s Database (outside a request or app context)."""
    return app.extensions[EXTENSION_KEY]


def get_db() -> Database:
    """Return the running app's Database."""
    from flask import current_app

    return current_app.extensions[EXTENSION_KEY]


class SchemaCommands(AppGroup):
    """A command group that needs the schema: on a database never migrated, its commands say
    what to run instead of printing a traceback about a missing table."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except (OperationalError, ProgrammingError) as error:
            # SQLite says "no such table"; PostgreSQL raises SQLSTATE 42P01, undefined table.
            if ("no such table" not in str(error.orig)
                    and getattr(error.orig, "sqlstate", None) != "42P01"):
                raise
            raise click.ClickException(
                "the database has no moderation tables yet: run `flask --app service db "
                "upgrade` first") from None


db_cli = AppGroup("db", help="Manage the database: schema, backups, purges.")


@db_cli.command("upgrade")
@click.option("--revision", default="head", show_default=True, help="Target migration.")
def upgrade_command(revision: str) -> None:
    """Apply the schema migrations to MODERATION_DATABASE_URL (or the SQLite default)."""
    url = str(get_db().url.render_as_string(hide_password=False))
    before = current_revision(url)
    upgrade(url, revision)
    after = current_revision(url)
    click.echo(f"database at revision {after}"
               + ("" if before == after else f" (was {before or 'empty'})"))


@db_cli.command("current")
def current_command() -> None:
    """Print the migration revision the database is at."""
    click.echo(current_revision(get_db().url.render_as_string(hide_password=False)) or "none")


@db_cli.command("backup")
@click.argument("target", type=click.Path(dir_okay=False, path_type=Path))
def backup_command(target: Path) -> None:
    """Copy the SQLite database to TARGET, consistent, while the service runs.

    A copy of the database file alone loses what the write-ahead log (moderation.db-wal) still
    holds, the latest comments and decisions, even after the service stopped; SQLite's online
    backup reads both, as one snapshot. PostgreSQL has pg_dump for this.
    """
    database = get_db()
    if not database.is_sqlite or database.in_memory:
        raise click.ClickException("db backup copies a SQLite database file; for PostgreSQL "
                                   "use pg_dump (docs/operations.md)")
    if target.exists():
        raise click.ClickException(f"{target} exists already: name a new file")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    source = sqlite3.connect(database.url.database)
    copy = sqlite3.connect(partial)
    try:
        source.backup(copy)
        # One self-contained file: the copy would otherwise keep the source's WAL mode, and a
        # -wal file beside it that must travel with it.
        copy.execute("PRAGMA journal_mode=DELETE")
        # Nothing erased before the backup may be in it: merge the search index, and VACUUM
        # rewrites the file without the pages the source had freed.
        copy.execute(SQLITE_SEARCH_OPTIMIZE)
        copy.commit()
        copy.execute("VACUUM")
        comments = copy.execute("SELECT count(*) FROM comments").fetchone()[0]
        checked = copy.execute("PRAGMA quick_check").fetchone()[0]
    except sqlite3.Error as error:
        checked, problem = None, f"cannot back up {database.url.database}: {error}"
    else:
        problem = None if checked == "ok" else f"the copy fails SQLite's quick_check: {checked}"
    finally:
        copy.close()
        source.close()
    if problem:
        partial.unlink(missing_ok=True)
        raise click.ClickException(problem)
    # Renamed only once whole, so a file named TARGET is always a complete backup.
    os.replace(partial, target)
    click.echo(f"backed up {comments} comments to {target}")


@db_cli.command("purge")
def purge_command() -> None:
    """Remove what the database engine still keeps of withdrawn comments. Run it daily.

    A withdrawal (DELETE /v1/comments/<id>) erases a comment's text, author and notes in their
    rows at once; SQLite's search index and write-ahead log, and PostgreSQL's dead row versions,
    keep copies until this runs (docs/queue.md, "Withdrawing a comment").
    """
    try:
        done = purge_erased(get_db())
    except (OperationalError, ProgrammingError) as error:
        raise click.ClickException(f"cannot purge: {error.orig}; if the database has no "
                                   "moderation tables yet, run `flask --app service db upgrade` "
                                   "first") from None
    except PurgeIncomplete as error:
        raise click.ClickException(str(error)) from None
    for line in done:
        click.echo(line)
