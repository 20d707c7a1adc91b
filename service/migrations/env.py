"""Alembic environment: migrations run online against the URL the caller configured
(``flask --app service db upgrade`` passes MODERATION_DATABASE_URL)."""

from alembic import context
from sqlalchemy import create_engine, pool

from service.storage import UTCDateTime, is_search_index, metadata

config = context.config


def run_migrations() -> None:
    """Apply migrations on one connection, in one transaction where the backend allows it."""
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = create_engine(config.get_main_option("sqlalchemy.url"), poolclass=pool.NullPool)
    with engine.connect() as connection:
        _run(connection)
    engine.dispose()


def _run(connection) -> None:
    # render_as_batch: SQLite alters tables by copying them, which Alembic's batch mode does.
    context.configure(connection=connection, target_metadata=metadata, render_as_batch=True,
                      compare_type=True, render_item=_render_item, include_name=include_name)
    with context.begin_transaction():
        context.run_migrations()


def include_name(name, type_, parent_names) -> bool:
    """Leave the search index objects (created by raw DDL in 0001) out of autogenerate."""
    return not is_search_index(name)


def _render_item(type_, obj, autogen_context):
    # Migrations must not import the live type: write UTCDateTime as the DateTime it stores.
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime()"
    return False


if context.is_offline_mode():  # pragma: no cover, only online migrations are supported
    raise SystemExit("offline (--sql) migrations are not supported; run them against a database")
run_migrations()
