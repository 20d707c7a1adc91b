"""Initial schema: comments (with their rule and search indexes), audit log, outbox, users,
API tokens, keyword overrides, settings.

Date-times are stored as naive UTC (service.storage.UTCDateTime adds the zone back on read).

Revision ID: 0001
Revises:
Create Date: 2026-11-29 01:05:52.499641
"""

import sqlalchemy as sa
from alembic import op

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('comments',
    sa.Column('pk', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('id', sa.String(length=200), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('article_id', sa.String(length=200), nullable=False),
    sa.Column('article_title', sa.Text(), nullable=True),
    sa.Column('article_url', sa.Text(), nullable=True),
    sa.Column('author_id', sa.String(length=200), nullable=False),
    sa.Column('author_name', sa.Text(), nullable=True),
    sa.Column('parent_id', sa.String(length=200), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=True),
    sa.Column('received_at', sa.DateTime(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('verdict', sa.String(length=16), nullable=False),
    sa.Column('max_score', sa.Float(), nullable=False),
    sa.Column('scores', sa.JSON(), nullable=False),
    sa.Column('flags', sa.JSON(), nullable=False),
    sa.Column('matches', sa.JSON(), nullable=False),
    sa.Column('reasons', sa.JSON(), nullable=False),
    sa.Column('model_version', sa.String(length=100), nullable=False),
    sa.Column('decided_by', sa.String(length=200), nullable=False),
    sa.Column('decided_at', sa.DateTime(), nullable=False),
    sa.Column('rules', sa.JSON(), nullable=False),
    sa.Column('human_decided', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('pk', name=op.f('pk_comments')),
    sa.UniqueConstraint('id', name=op.f('uq_comments_id'))
    )
    with op.batch_alter_table('comments', schema=None) as batch_op:
        batch_op.create_index('ix_comments_article_status', ['article_id', 'status', 'pk'], unique=False)
        batch_op.create_index('ix_comments_author_status', ['author_id', 'status', 'pk'], unique=False)
        batch_op.create_index('ix_comments_received_at', ['received_at'], unique=False)
        batch_op.create_index('ix_comments_status_pk', ['status', 'pk'], unique=False)
        batch_op.create_index('ix_comments_status_score', ['status', 'max_score', 'pk'], unique=False)

    op.create_table('keyword_overrides',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('rule', sa.String(length=32), nullable=False),
    sa.Column('level', sa.String(length=16), nullable=False),
    sa.Column('term', sa.String(length=200), nullable=False),
    sa.Column('action', sa.String(length=8), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('created_by', sa.String(length=100), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_keyword_overrides')),
    sa.UniqueConstraint('rule', 'level', 'term', name=op.f('uq_keyword_overrides_rule_level_term'))
    )
    op.create_table('settings',
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('value', sa.JSON(), nullable=False),
    sa.Column('version', sa.BigInteger(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('updated_by', sa.String(length=100), nullable=True),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_settings'))
    )
    op.create_table('users',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('name', name=op.f('uq_users_name'))
    )
    op.create_table('api_tokens',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('user_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_api_tokens_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_api_tokens_token_hash'))
    )
    op.create_table('audit_log',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('actor', sa.String(length=200), nullable=False),
    sa.Column('actor_role', sa.String(length=16), nullable=False),
    sa.Column('action', sa.String(length=64), nullable=False),
    sa.Column('comment_pk', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('from_status', sa.String(length=16), nullable=True),
    sa.Column('to_status', sa.String(length=16), nullable=True),
    sa.Column('rules', sa.JSON(), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('detail', sa.JSON(), nullable=True),
    sa.ForeignKeyConstraint(['comment_pk'], ['comments.pk'], name=op.f('fk_audit_log_comment_pk_comments'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_log'))
    )
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.create_index('ix_audit_log_comment_pk_id', ['comment_pk', 'id'], unique=False)

    op.create_table('comment_rules',
    sa.Column('comment_pk', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('rule', sa.String(length=32), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.ForeignKeyConstraint(['comment_pk'], ['comments.pk'], name=op.f('fk_comment_rules_comment_pk_comments'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('comment_pk', 'rule', name=op.f('pk_comment_rules'))
    )
    with op.batch_alter_table('comment_rules', schema=None) as batch_op:
        batch_op.create_index('ix_comment_rules_rule_pk', ['rule', 'comment_pk'], unique=False)
        batch_op.create_index('ix_comment_rules_rule_status', ['rule', 'status', 'comment_pk'], unique=False)

    op.create_table('comment_search',
    sa.Column('comment_pk', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('search_text', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['comment_pk'], ['comments.pk'], name=op.f('fk_comment_search_comment_pk_comments'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('comment_pk', name=op.f('pk_comment_search'))
    )
    _create_search_index()
    op.create_table('outbox',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('event_id', sa.String(length=36), nullable=False),
    sa.Column('comment_pk', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(), nullable=False),
    sa.Column('lease_owner', sa.String(length=100), nullable=True),
    sa.Column('lease_until', sa.DateTime(), nullable=True),
    sa.Column('delivered_at', sa.DateTime(), nullable=True),
    sa.Column('last_status', sa.Integer(), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['comment_pk'], ['comments.pk'], name=op.f('fk_outbox_comment_pk_comments'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox')),
    sa.UniqueConstraint('event_id', name=op.f('uq_outbox_event_id'))
    )
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.create_index('ix_outbox_comment_pk_id', ['comment_pk', 'id'], unique=False)
        batch_op.create_index('ix_outbox_pending', ['next_attempt_at', 'id'], unique=False, sqlite_where=sa.text('delivered_at IS NULL'), postgresql_where=sa.text('delivered_at IS NULL'))



def downgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_pending', sqlite_where=sa.text('delivered_at IS NULL'), postgresql_where=sa.text('delivered_at IS NULL'))
        batch_op.drop_index('ix_outbox_comment_pk_id')

    op.drop_table('outbox')
    if op.get_bind().dialect.name == "sqlite":
        for trigger in ("comment_search_ai", "comment_search_ad", "comment_search_au"):
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        op.execute("DROP TABLE IF EXISTS comment_search_fts")
    op.drop_table('comment_search')
    with op.batch_alter_table('comment_rules', schema=None) as batch_op:
        batch_op.drop_index('ix_comment_rules_rule_status')
        batch_op.drop_index('ix_comment_rules_rule_pk')

    op.drop_table('comment_rules')
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_log_comment_pk_id')

    op.drop_table('audit_log')
    op.drop_table('api_tokens')
    op.drop_table('users')
    op.drop_table('settings')
    op.drop_table('keyword_overrides')
    with op.batch_alter_table('comments', schema=None) as batch_op:
        batch_op.drop_index('ix_comments_status_score')
        batch_op.drop_index('ix_comments_status_pk')
        batch_op.drop_index('ix_comments_received_at')
        batch_op.drop_index('ix_comments_author_status')
        batch_op.drop_index('ix_comments_article_status')

    op.drop_table('comments')


def _create_search_index() -> None:
    """Index comment_search for substring search (see service/storage.py)."""
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        for statement in (
            "CREATE VIRTUAL TABLE comment_search_fts USING fts5(search_text, "
            "content='comment_search', content_rowid='comment_pk', tokenize='trigram')",
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
        ):
            op.execute(statement)
    elif bind.dialect.name == "postgresql":
        # pg_trgm ships with PostgreSQL (contrib) and is a trusted extension: the database's
        # owner may create it. Without it, search still works, by scanning.
        try:
            with bind.begin_nested():
                bind.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        except sa.exc.DBAPIError:
            return
        op.execute("CREATE INDEX ix_comment_search_trgm ON comment_search "
                   "USING gin (search_text gin_trgm_ops)")
