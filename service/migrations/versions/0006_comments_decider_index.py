"""An index for the queue's filter by who decided (decided_by=system|person).

The published comments the service decided alone, highest score first, are where a moderator
looks for its misses (docs/queue.md); without the index, listing and counting them read every
comment's wide row.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 13:40:00
"""

from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_comments_status_decider_score', 'comments',
                    ['status', 'human_decided', 'max_score', 'pk'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_comments_status_decider_score', table_name='comments')
